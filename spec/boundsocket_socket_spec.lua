-- net.Socket({ handle = bound }) and net.createConnection({ handle = bound }):
-- a BoundSocket adopted as the source binding of an outgoing connection.
-- Node v20 has no BoundSocket: expectations from the newest Node docs (net.md:
-- "Class: net.BoundSocket", new net.Socket()'s and net.createConnection()'s
-- `handle` option) and Node's own tests (test-net-bound-socket*.js).
--
-- (Written ahead of the socket side, then made to pass.)
local net = require('net')
local lfs = require('lfs')
local H = require('spec.helper')

local raises = H.raises

local PID = io.open('/proc/self/stat'):read('l'):match('^%d+')
local seq, made = 0, {}
local function tmp(tag)
  seq = seq + 1
  local p = string.format('/tmp/net-spec-%s-bsock-%s-%d.sock', PID, tag, seq)
  os.remove(p)
  made[#made + 1] = p
  return p
end
local function abstract(tag)
  seq = seq + 1
  return string.format('\0net-spec-%s-bsock-%s-%d', PID, tag, seq)
end
local function is_socket_file(p) return lfs.attributes(p, 'mode') == 'socket' end

local function open_fds()
  collectgarbage()
  collectgarbage()
  local n = 0
  for name in lfs.dir('/proc/self/fd') do
    if name ~= '.' and name ~= '..' then n = n + 1 end
  end
  return n
end

local function adopted_error(fn, ...)
  local e = raises(fn, ...)
  assert.equal('ERR_SOCKET_HANDLE_ADOPTED', e.code)
  return e
end

-- an echo-ish server: answers 'pong:<remote port>' (TCP) or 'pong' (pipe)
local function pong_server()
  return net.createServer(function(c)
    c:on('data', function(d)
      c:end_(d == 'ping' and ('pong:' .. tostring(c.remotePort)) or ('?' .. d))
    end)
  end)
end

describe('net.Socket({ handle = BoundSocket })', function()
  after_each(function()
    for _, p in ipairs(made) do os.remove(p) end
    made = {}
  end)

  it('adopts at once: the BoundSocket raises ERR_SOCKET_HANDLE_ADOPTED right after the constructor', function()
    local b = net.BoundSocket({ host = '127.0.0.1' })
    local sock = net.Socket({ handle = b })
    adopted_error(b.address, b)
    adopted_error(b.fd, b)
    adopted_error(b.close, b)
    sock:destroy()
    H.run(2000)
  end)

  it('an adopted or closed BoundSocket is refused: ERR_SOCKET_HANDLE_ADOPTED', function()
    local b = net.BoundSocket({ host = '127.0.0.1' })
    local first = net.Socket({ handle = b })
    adopted_error(net.Socket, { handle = b })
    local closed = net.BoundSocket()
    closed:close()
    adopted_error(net.Socket, { handle = closed })
    first:destroy()
    H.run(2000)
  end)

  it('connect() leaves from the bound address and port: localPort, and the peer sees it, round trip', function()
    local log = H.log()
    local s = pong_server()
    H.listen(s, function(port)
      local b = net.BoundSocket({ host = '127.0.0.1' })
      local localPort = b:address().port
      local c = net.Socket({ handle = b })
      c:connect({ host = '127.0.0.1', port = port }, function()
        log('connect ' .. c.localAddress .. ' ' .. tostring(c.localPort == localPort))
        c:write('ping')
      end)
      c:on('data', function(d) log(d == 'pong:' .. localPort and 'pong from bound port' or ('data ' .. d)) end)
      c:on('close', function() s:close() end)
    end)
    H.run(2000)
    assert.same({ 'connect 127.0.0.1 true', 'pong from bound port' }, log.events)
  end)

  it('to an IP literal connect(2) runs inside connect(): localAddress/localPort are set when it returns', function()
    local got = {}
    local s = net.createServer(function(c) c:destroy() end)
    H.listen(s, function(port)
      -- the wildcard bind: the kernel picks the concrete source at connect(2)
      local b = net.BoundSocket()
      local localPort = b:address().port
      local c = net.Socket({ handle = b })
      c:connect({ host = '127.0.0.1', port = port })
      got.sync = { c.localAddress, c.localPort == localPort }
      c:on('connect', function()
        got.event = { c.localAddress, c.localPort == localPort }
        c:destroy()
        s:close()
      end)
      c:on('error', function() end)
    end)
    H.run(2000)
    assert.same({ '127.0.0.1', true }, got.sync)
    assert.same({ '127.0.0.1', true }, got.event)
  end)

  it('connect() with localAddress or localPort: ERR_INVALID_ARG_VALUE (the handle owns the local end)', function()
    local b = net.BoundSocket({ host = '127.0.0.1' })
    local c = net.Socket({ handle = b })
    local e = raises(c.connect, c, { host = '127.0.0.1', port = 1, localPort = 0 })
    assert.equal('ERR_INVALID_ARG_VALUE', e.code)
    e = raises(c.connect, c, { host = '127.0.0.1', port = 1, localAddress = '127.0.0.1' })
    assert.equal('ERR_INVALID_ARG_VALUE', e.code)
    c:destroy()
    H.run(2000)
  end)

  it('a failed connect is never raised: a deferred error event (family mismatch, refused)', function()
    local log = H.log()
    local b4 = net.BoundSocket({ host = '127.0.0.1' })
    local c1 = net.Socket({ handle = b4 })
    c1:on('error', function(e) log('mismatch ' .. e.syscall) end)
    c1:connect({ host = '::1', port = 1 })
    log('returned')
    -- a port nobody listens on: reserve one, then let it go
    local free = net.BoundSocket({ host = '127.0.0.1' })
    local port = free:address().port
    free:close()
    local c2 = net.Socket({ handle = net.BoundSocket({ host = '127.0.0.1' }) })
    c2:on('error', function(e) log('refused ' .. e.code .. ' ' .. e.syscall) end)
    c2:connect({ host = '127.0.0.1', port = port })
    log('returned')
    H.run(2000)
    assert.same({ 'returned', 'returned' }, { log.events[1], log.events[2] })
    table.sort(log.events)
    assert.same({ 'mismatch connect', 'refused ECONNREFUSED connect', 'returned', 'returned' }, log.events)
  end)

  it('net.createConnection({ handle = bound, ... }) uses the bound source too', function()
    local log = H.log()
    local s = pong_server()
    H.listen(s, function(port)
      local b = net.BoundSocket({ host = '127.0.0.1' })
      local localPort = b:address().port
      local c
      c = net.createConnection({ handle = b, host = '127.0.0.1', port = port }, function()
        log('localPort ' .. tostring(c.localPort == localPort))
        c:write('ping')
      end)
      adopted_error(b.address, b)
      c:on('data', function(d) log(d == 'pong:' .. localPort and 'pong from bound port' or d) end)
      c:on('close', function() s:close() end)
    end)
    H.run(2000)
    assert.same({ 'localPort true', 'pong from bound port' }, log.events)
  end)

  describe('pipes', function()
    it('a client bound to a source path: localAddress is that path once connect() returns and at connect', function()
      local log = H.log()
      local src, dst = tmp('src'), tmp('dst')
      local s = net.createServer(function(c) c:on('data', function() c:end_('pong') end) end)
      s:listen(net.BoundSocket({ path = dst }), function()
        local bsrc = net.BoundSocket({ path = src })
        local c = net.Socket({ handle = bsrc })
        c:connect({ path = dst })
        log('sync ' .. tostring(c.localAddress == src))
        c:on('connect', function()
          log('connect ' .. tostring(c.localAddress == src))
          c:write('ping')
        end)
        c:on('data', function(d) log(d) end)
        c:on('close', function()
          -- the adopter's handle closed: the source file goes with it
          log('src file after close ' .. tostring(is_socket_file(src)))
          s:close()
        end)
      end)
      H.run(2000)
      assert.same({ 'sync true', 'connect true', 'pong', 'src file after close false' }, log.events)
    end)

    it('an abstract source name, to an abstract server', function()
      local log = H.log()
      local src, dst = abstract('src'), abstract('dst')
      local s = net.createServer(function(c) c:end_('pong') end)
      s:listen(dst, function()
        local c = net.Socket({ handle = net.BoundSocket({ path = src }) })
        c:connect({ path = dst }, function() log('connect ' .. tostring(c.localAddress == src)) end)
        c:on('data', function(d) log(d) end)
        c:on('close', function() s:close() end)
      end)
      H.run(2000)
      assert.same({ 'connect true', 'pong' }, log.events)
    end)

    it('connect() again after close is still a pipe connect (the path says so, not the gone handle)', function()
      local log = H.log()
      local path = tmp('reconnect')
      local s = net.createServer(function(c) c:on('data', function(d) c:end_(d) end) end)
      s:listen(path, function()
        local c = net.Socket({ handle = net.BoundSocket({ path = tmp('reconnect-src') }) })
        c:connect({ path = path })
        c:once('connect', function()
          c:end_('ping')
          c:once('data', function(d) log(d) end)
          c:once('close', function()
            c:connect({ path = path })
            c:once('connect', function()
              c:end_('pong')
              c:once('data', function(d) log(d) end)
              c:once('close', function() s:close() end)
            end)
          end)
        end)
      end)
      H.run(2000)
      assert.same({ 'ping', 'pong' }, log.events)
    end)
  end)

  it('an adopted handle never connected is released by destroy(): no descriptor, no file left', function()
    local before = open_fds()
    local p = tmp('never')
    local c1 = net.Socket({ handle = net.BoundSocket({ host = '127.0.0.1' }) })
    local c2 = net.Socket({ handle = net.BoundSocket({ path = p }) })
    c1:destroy()
    c2:destroy()
    H.run(2000)
    assert.is_false(is_socket_file(p))
    assert.equal(before, open_fds())
  end)
end)
