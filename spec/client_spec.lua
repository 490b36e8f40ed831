-- Client sockets, checked against Node (`node spec/node/client.js`).
-- Each socket's events go to its own log: the order across two sockets
-- depends on the kernel, the order on one socket does not.
local net = require('net')
local timers = require('net.timers')
local H = require('spec.helper')

local function trace(sock, log, with_state)
  sock:on('connect', function() log('connect') end)
  sock:on('ready', function() log('ready') end)
  sock:on('data', function(d) log('data:' .. d) end)
  sock:on('end', function()
    log('end' .. (with_state and (':writableEnded=' .. tostring(sock.writableEnded)) or ''))
  end)
  sock:on('finish', function() log('finish') end)
  sock:on('error', function(e) log('error:' .. tostring(e.code)) end)
  sock:on('close', function(h) log('close:' .. tostring(h)) end)
end

local raises = H.raises

describe('client', function()
  it('the connect cb (no arguments) runs first, then connect, ready, end, finish, close', function()
    local log = H.log()
    local server = net.createServer(function(c) c:end_() end)
    H.listen(server, function(port)
      local s = net.connect(port, '127.0.0.1', function(...) log('cb:' .. select('#', ...)) end)
      trace(s, log)
      s:on('close', function() server:close() end)
    end)
    H.run(3000)
    assert.same({ 'cb:0', 'connect', 'ready', 'end', 'finish', 'close:false' }, log.events)
  end)

  it("createConnection, connect({port, host}) and 'localhost' all reach the server", function()
    local got = {}
    local server = net.createServer(function(c) c:end_('hi') end)
    H.listen(server, function(port)
      local n = 0
      local function one(name, s)
        local buf, addr = {}, nil
        s:on('connect', function()
          addr = tostring(s.remoteAddress) .. ':' .. tostring(s.remoteFamily) .. ':' .. tostring(s.remotePort == port)
        end)
        s:on('data', function(d) buf[#buf + 1] = d end)
        s:on('close', function()
          got[name] = table.concat(buf) .. ':' .. tostring(addr)
          n = n + 1
          if n == 4 then server:close() end
        end)
      end
      one('createConnection', net.createConnection(port, '127.0.0.1'))
      one('options', net.connect({ port = port, host = '127.0.0.1' }))
      one('localhost', net.connect(port, 'localhost'))
      one('options-localhost', net.createConnection({ port = port, host = 'localhost' }))
    end)
    H.run(3000)
    assert.same({
      createConnection = 'hi:127.0.0.1:IPv4:true',
      options = 'hi:127.0.0.1:IPv4:true',
      localhost = 'hi:127.0.0.1:IPv4:true',
      ['options-localhost'] = 'hi:127.0.0.1:IPv4:true',
    }, got)
  end)

  it('client ends first: event order on both sides', function()
    local c, s = H.log(), H.log()
    local server = net.createServer(function(sock) trace(sock, s, true) end)
    H.listen(server, function(port)
      local cl = net.connect(port, '127.0.0.1')
      trace(cl, c, true)
      cl:on('connect', function() cl:write('ping'); cl:end_() end)
      cl:on('close', function() server:close() end)
    end)
    H.run(3000)
    assert.same({ 'connect', 'ready', 'finish', 'end:writableEnded=true', 'close:false' }, c.events)
    assert.same({ 'data:ping', 'end:writableEnded=false', 'finish', 'close:false' }, s.events)
  end)

  it('server ends first: event order on both sides', function()
    local c, s = H.log(), H.log()
    local server = net.createServer(function(sock) trace(sock, s, true); sock:end_('bye') end)
    H.listen(server, function(port)
      local cl = net.connect(port, '127.0.0.1')
      trace(cl, c, true)
      cl:on('close', function() server:close() end)
    end)
    H.run(3000)
    assert.same({ 'connect', 'ready', 'data:bye', 'end:writableEnded=false', 'finish', 'close:false' }, c.events)
    assert.same({ 'finish', 'end:writableEnded=true', 'close:false' }, s.events)
  end)

  it('allowHalfOpen defaults to false: the side that gets end ends too (after its end listeners)', function()
    local log = H.log()
    local server = net.createServer(function(sock)
      log('server-sock.allowHalfOpen=' .. tostring(sock.allowHalfOpen))
      sock:on('end', function()
        log('in-end:writableEnded=' .. tostring(sock.writableEnded) .. ':writable=' .. tostring(sock.writable))
      end)
      sock:resume()
    end)
    H.listen(server, function(port)
      local cl = net.connect(port, '127.0.0.1')
      log('client.allowHalfOpen=' .. tostring(cl.allowHalfOpen))
      cl:on('connect', function() cl:end_() end)
      cl:on('end', function() log('client-end') end)
      cl:resume()
      cl:on('close', function() server:close() end)
    end)
    H.run(3000)
    assert.same({
      'client.allowHalfOpen=false', 'server-sock.allowHalfOpen=false',
      'in-end:writableEnded=false:writable=true', 'client-end',
    }, log.events)
  end)

  it('allowHalfOpen = true: the server can still write after end', function()
    local c, s = H.log(), H.log()
    local server = net.createServer({ allowHalfOpen = true }, function(sock)
      s('allowHalfOpen=' .. tostring(sock.allowHalfOpen))
      trace(sock, s, true)
      sock:on('end', function()
        timers.setTimeout(function() sock:write('late'); sock:end_() end, 20)
      end)
    end)
    H.listen(server, function(port)
      local cl = net.connect(port, '127.0.0.1')
      trace(cl, c, true)
      cl:on('connect', function() cl:end_() end)
      cl:on('close', function() server:close() end)
    end)
    H.run(3000)
    assert.same({ 'connect', 'ready', 'finish', 'data:late', 'end:writableEnded=true', 'close:false' }, c.events)
    assert.same({ 'allowHalfOpen=true', 'end:writableEnded=false', 'finish', 'close:false' }, s.events)
  end)

  it('ECONNREFUSED: error with every Node field, destroyed, then close(true); no connect', function()
    local log = H.log()
    local got, port, destroyed_in_error
    local probe = net.createServer()
    H.listen(probe, function(p)
      port = p
      probe:close(function()
        local cl = net.connect(p, '127.0.0.1', function() log('connect-cb') end)
        trace(cl, log)
        cl:on('error', function(e) got = e; destroyed_in_error = cl.destroyed end)
        cl:on('close', function() log('destroyed=' .. tostring(cl.destroyed)) end)
      end)
    end)
    H.run(3000)
    assert.same({ 'error:ECONNREFUSED', 'close:true', 'destroyed=true' }, log.events)
    assert.is_true(destroyed_in_error)
    assert.is_true(net.Error.is(got))
    assert.equal('Error', got.name)
    assert.equal('ECONNREFUSED', got.code)
    assert.equal(-111, got.errno)
    assert.equal('integer', math.type(got.errno))
    assert.equal('connect', got.syscall)
    assert.equal('127.0.0.1', got.address)
    assert.equal(port, got.port)
    assert.equal('integer', math.type(got.port))
    assert.equal('connect ECONNREFUSED 127.0.0.1:' .. port, got.message)
  end)

  describe('bad arguments raise at once', function()
    for _, case in ipairs({
      { -1, 'type number (-1)' },
      { 65536, 'type number (65536)' },
    }) do
      it('connect(' .. case[1] .. ') and connect({port = ' .. case[1] .. '}): ERR_SOCKET_BAD_PORT', function()
        for _, args in ipairs({ { case[1], '127.0.0.1' }, { { port = case[1], host = '127.0.0.1' } } }) do
          local err = raises(net.connect, table.unpack(args))
          assert.equal('ERR_SOCKET_BAD_PORT', err.code)
          assert.equal('RangeError', err.name)
          assert.equal('Port should be >= 0 and < 65536. Received ' .. case[2] .. '.', err.message)
        end
      end)
    end

    it("connect({port = 'abc'}): ERR_SOCKET_BAD_PORT (a bare string would be a path)", function()
      local err = raises(net.connect, { port = 'abc', host = '127.0.0.1' })
      assert.equal('ERR_SOCKET_BAD_PORT', err.code)
      assert.equal("Port should be >= 0 and < 65536. Received type string ('abc').", err.message)
      err = raises(net.createConnection, { port = 'abc' })
      assert.equal('ERR_SOCKET_BAD_PORT', err.code)
    end)

    it('connect({port = {}}): ERR_INVALID_ARG_TYPE for options.port', function()
      local err = raises(net.connect, { port = {}, host = '127.0.0.1' })
      assert.equal('ERR_INVALID_ARG_TYPE', err.code)
      assert.equal('TypeError', err.name)
      assert.truthy(err.message:find('The "options.port" property must be one of type number or string. Received ',
        1, true), err.message)
    end)

    it('a host that is not a string: ERR_INVALID_ARG_TYPE', function()
      local err = raises(net.connect, { port = 80, host = 5 })
      assert.equal('ERR_INVALID_ARG_TYPE', err.code)
      assert.equal('The "hostname" argument must be of type string. Received type number (5)', err.message)
    end)

    it('connect() and connect({}): ERR_MISSING_ARGS', function()
      for _, args in ipairs({ {}, { {} } }) do
        local err = raises(net.connect, table.unpack(args))
        assert.equal('ERR_MISSING_ARGS', err.code)
        assert.equal('TypeError', err.name)
        assert.equal('The "options" or "port" or "path" argument must be specified', err.message)
      end
    end)
  end)
end)
