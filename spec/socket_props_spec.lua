-- Socket properties: state through a connection's life, readyState,
-- address(), counters, server and timeout, checked against Node
-- (`node spec/node/socket_props.js`).
local net = require('net')
local core = require('net.core')
local timers = require('net.timers')
local H = require('spec.helper')

local serve = H.serve

-- Every property the issue lists, in one table (nil ones are absent, as
-- JSON.stringify leaves out undefined in the Node scenario).
local function props(s)
  return {
    connecting = s.connecting, pending = s.pending, destroyed = s.destroyed, readyState = s.readyState,
    readable = s.readable, writable = s.writable, bufferSize = s.bufferSize, bytesRead = s.bytesRead,
    bytesWritten = s.bytesWritten, timeout = s.timeout, server = s.server, address = s:address(),
    localAddress = s.localAddress, localPort = s.localPort, localFamily = s.localFamily,
    remoteAddress = s.remoteAddress, remotePort = s.remotePort, remoteFamily = s.remoteFamily,
    writableLength = s.writableLength, readableLength = s.readableLength,
    writableHighWaterMark = s.writableHighWaterMark, readableHighWaterMark = s.readableHighWaterMark,
    writableEnded = s.writableEnded, writableFinished = s.writableFinished, readableEnded = s.readableEnded,
    allowHalfOpen = s.allowHalfOpen,
  }
end

-- the stream fields every scenario below shares, with overrides
local function base(over)
  local t = {
    connecting = false, pending = true, destroyed = false, readyState = 'open', readable = true, writable = true,
    bytesRead = 0, bytesWritten = 0, address = {}, writableLength = 0, readableLength = 0,
    writableHighWaterMark = 16384, readableHighWaterMark = 16384, writableEnded = false, writableFinished = false,
    readableEnded = false, allowHalfOpen = false,
  }
  for k, v in pairs(over or {}) do t[k] = v end
  return t
end

describe('socket properties', function()
  after_each(function()
    if core.handleCount() > 0 then
      core.closeAll()
      pcall(net.run)
    end
  end)

  it("a fresh net.Socket(): pending, readyState 'open' (a Duplex starts readable, writable), no bufferSize", function()
    local s = net.Socket()
    assert.same(base(), props(s))
    -- integers, as Node's
    assert.equal('integer', math.type(s.bytesRead))
    assert.equal('integer', math.type(s.writableHighWaterMark))
    s:destroy()
    H.run(1000)
  end)

  it('highWaterMark, readableHighWaterMark and writableHighWaterMark options', function()
    local a = net.Socket({ highWaterMark = 1000 })
    local b = net.Socket({ readableHighWaterMark = 10, writableHighWaterMark = 20 })
    assert.same({ 1000, 1000, 10, 20 },
      { a.readableHighWaterMark, a.writableHighWaterMark, b.readableHighWaterMark, b.writableHighWaterMark })
  end)

  it("while connecting, connected, after end_, at 'finish', 'data', 'end' and 'close'", function()
    local log = H.log()
    local port, lport
    local snap = {}
    serve(function(c)
      c:on('end', function() timers.setTimeout(function() c:end_('bye') end, 30) end)
      c:resume()
    end, function(p, server)
      port = p
      local s = net.connect({ port = p, host = '127.0.0.1', allowHalfOpen = true })
      snap.connecting = props(s)
      s:on('connect', function()
        lport = s.localPort
        snap.connected = props(s)
        s:end_('abc')
        log(string.format('after-end:%s:writable=%s:writableEnded=%s:writableFinished=%s:bufferSize=%s',
          tostring(s.readyState), tostring(s.writable), tostring(s.writableEnded), tostring(s.writableFinished),
          tostring(s.bufferSize)))
      end)
      s:on('finish', function()
        log('finish:' .. tostring(s.readyState) .. ':writableFinished=' .. tostring(s.writableFinished))
      end)
      s:on('data', function(d) log('data:' .. d .. ':' .. tostring(s.readyState)) end)
      s:on('end', function()
        log(string.format('end:%s:readableEnded=%s:readable=%s', tostring(s.readyState), tostring(s.readableEnded),
          tostring(s.readable)))
      end)
      s:on('close', function(h)
        log('close:' .. tostring(h))
        snap.closed = props(s)
        server:close()
      end)
    end, { allowHalfOpen = true })
    H.run(3000)
    assert.same(base({ connecting = true, readyState = 'opening', bufferSize = 0, allowHalfOpen = true }),
      snap.connecting)
    assert.same(base({
      pending = false, bufferSize = 0, allowHalfOpen = true,
      address = { address = '127.0.0.1', family = 'IPv4', port = lport },
      localAddress = '127.0.0.1', localPort = lport, localFamily = 'IPv4',
      remoteAddress = '127.0.0.1', remotePort = port, remoteFamily = 'IPv4',
    }), snap.connected)
    assert.same({
      'after-end:readOnly:writable=false:writableEnded=true:writableFinished=false:bufferSize=0',
      'finish:readOnly:writableFinished=true', 'data:bye:readOnly', 'end:closed:readableEnded=true:readable=false',
      'close:false',
    }, log.events)
    -- after close: the peer's address (read before) is kept, the local one is gone
    assert.same(base({
      destroyed = true, readyState = 'closed', readable = false, writable = false, bytesRead = 3, bytesWritten = 3,
      remoteAddress = '127.0.0.1', remotePort = port, remoteFamily = 'IPv4', writableEnded = true,
      writableFinished = true, readableEnded = true, allowHalfOpen = true,
    }), snap.closed)
  end)

  it("readyState 'writeOnly': allowHalfOpen and the peer ended first", function()
    local log = H.log()
    serve(function(c) c:on('data', function() c:end_() end) end, function(port, server)
      local s
      s = net.connect({ port = port, host = '127.0.0.1', allowHalfOpen = true }, function() s:write('go') end)
      s:on('end', function()
        log(string.format('end:%s:readable=%s:writable=%s', tostring(s.readyState), tostring(s.readable),
          tostring(s.writable)))
        timers.setTimeout(function() log('later:' .. tostring(s.readyState)); s:end_() end, 20)
      end)
      s:resume()
      s:on('close', function() log('close:' .. tostring(s.readyState)); server:close() end)
    end)
    H.run(3000)
    assert.same({ 'end:writeOnly:readable=false:writable=true', 'later:writeOnly', 'close:closed' }, log.events)
  end)

  it('after close: remote* read before are kept, local* and address() are gone, bytesRead stays', function()
    local log = H.log()
    serve(function(c) c:end_('xyz') end, function(port, server)
      local s = net.connect(port, '127.0.0.1')
      local t = net.connect(port, '127.0.0.1')
      s:on('connect', function() log('s-read:' .. tostring(s.remoteAddress) .. ':' .. tostring(s.localAddress)) end)
      s:resume()
      t:resume()
      local n = 0
      local function fin()
        n = n + 1
        if n == 2 then server:close() end
      end
      s:on('close', function()
        log(string.format('s-after-close:%s:%s:%s:%s:%s:%s:%s', tostring(s.remoteAddress),
          tostring(s.remotePort == port), tostring(s.remoteFamily), tostring(s.localAddress), tostring(s.localPort),
          tostring(next(s:address()) == nil), tostring(s.bytesRead)))
        fin()
      end)
      t:on('close', function()
        log(string.format('t-after-close:%s:%s:%s:%s:%s', tostring(t.remoteAddress), tostring(t.remotePort),
          tostring(t.localAddress), tostring(next(t:address()) == nil), tostring(t.bytesRead)))
        fin()
      end)
    end)
    H.run(3000)
    table.sort(log.events)
    assert.same({
      's-after-close:127.0.0.1:true:IPv4:nil:nil:true:3', 's-read:127.0.0.1:127.0.0.1',
      't-after-close:nil:nil:nil:true:3',
    }, log.events)
  end)

  it('socket.server is the accepting server (nil on clients); a failed connect: pending, not connecting', function()
    local log = H.log()
    local server
    server = net.createServer(function(c)
      log(string.format('accepted:server=%s:pending=%s:%s:connecting=%s:timeout=%s',
        tostring(rawequal(c.server, server)), tostring(c.pending), tostring(c.readyState), tostring(c.connecting),
        tostring(c.timeout)))
      c:end_()
    end)
    H.listen(server, function(port)
      local s = net.connect(port, '127.0.0.1')
      s:resume()
      s:on('close', function()
        log('client:server=' .. tostring(s.server))
        server:close(function()
          local e = net.connect(port, '127.0.0.1')
          e:on('error', function(err)
            log(string.format('error:%s:connecting=%s:pending=%s:%s:destroyed=%s', tostring(err.code),
              tostring(e.connecting), tostring(e.pending), tostring(e.readyState), tostring(e.destroyed)))
          end)
          e:on('close', function() log('close:pending=' .. tostring(e.pending)) end)
        end)
      end)
    end)
    H.run(3000)
    assert.same({
      'accepted:server=true:pending=false:open:connecting=false:timeout=nil', 'client:server=nil',
      'error:ECONNREFUSED:connecting=false:pending=true:closed:destroyed=true', 'close:pending=true',
    }, log.events)
  end)

  it('timeout: nil, then the ms as given (250.7 stays), 0 after setTimeout(0)', function()
    local s = net.Socket()
    local got = { tostring(s.timeout) }
    s:setTimeout(100)
    got[#got + 1] = s.timeout
    got[#got + 1] = math.type(s.timeout)
    s:setTimeout(250.7)
    got[#got + 1] = s.timeout
    s:setTimeout(0)
    got[#got + 1] = s.timeout
    assert.same({ 'nil', 100, 'integer', 250.7, 0 }, got)
    s:destroy()
    H.run(1000)
  end)

  it('bytesWritten counts encoded bytes, held writes included; bufferSize = writableLength while connecting', function()
    local log = H.log()
    serve(function(c)
      c:resume()
      c:on('end', function() c:end_() end)
    end, function(port, server)
      local s = net.connect(port, '127.0.0.1')
      s:write('hello')
      log(string.format('held:bytesWritten=%s:writableLength=%s:bufferSize=%s', tostring(s.bytesWritten),
        tostring(s.writableLength), tostring(s.bufferSize)))
      s:write('\u{e9}\u{20ac}') -- 5 bytes of UTF-8
      s:write('ff00', 'hex')    -- 2 bytes
      s:write('\u{e9}', 'latin1') -- 1 byte
      s:write('aGk=', 'base64') -- 2 bytes
      log('connecting:bytesWritten=' .. tostring(s.bytesWritten))
      s:on('connect', function() log('connect:writableLength=' .. tostring(s.writableLength)) end)
      s:end_()
      s:on('close', function() log('close:bytesWritten=' .. tostring(s.bytesWritten)); server:close() end)
    end)
    H.run(3000)
    assert.same({
      'held:bytesWritten=5:writableLength=5:bufferSize=5', 'connecting:bytesWritten=15', 'connect:writableLength=0',
      'close:bytesWritten=15',
    }, log.events)
  end)

  it('paused from the start: nothing is read (bytesRead 0, readableLength 0) until resume', function()
    local log = H.log()
    serve(function(c) c:end_('0123456789') end, function(port, server)
      local s = net.connect(port, '127.0.0.1')
      s:pause()
      timers.setTimeout(function()
        log(string.format('paused:bytesRead=%s:readableLength=%s:readableEnded=%s', tostring(s.bytesRead),
          tostring(s.readableLength), tostring(s.readableEnded)))
        s:on('data', function(d) log('data:' .. d) end)
        s:on('end', function()
          log('end:readableLength=' .. tostring(s.readableLength) .. ':readableEnded=' .. tostring(s.readableEnded))
        end)
        s:resume()
      end, 50)
      s:on('close', function() server:close() end)
    end)
    H.run(3000)
    assert.same({
      'paused:bytesRead=0:readableLength=0:readableEnded=false', 'data:0123456789',
      'end:readableLength=0:readableEnded=true',
    }, log.events)
  end)
end)
