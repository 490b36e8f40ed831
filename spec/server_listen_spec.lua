-- server.listen in every form, checked against Node (`node spec/node/server_listen.js`).
-- spec/server_spec.lua already covers listen(port, host, backlog, cb), listen(cb),
-- listen({port, host, backlog}), ERR_SERVER_ALREADY_LISTEN for the TCP forms,
-- EADDRINUSE and the bad-port errors; this file covers the rest.
-- Inherited fds come from LuaSocket (a listening socket made outside net).
local net = require('net')
local timers = require('net.timers')
local socket = require('socket')
local lfs = require('lfs')
local H = require('spec.helper')

local raises = H.raises

-- unique Unix socket paths, removed after each spec
local PID = io.open('/proc/self/stat'):read('l'):match('^%d+')
local seq, made = 0, {}
local function tmp(tag)
  seq = seq + 1
  local p = string.format('/tmp/net-spec-%s-listen-%s-%d.sock', PID, tag, seq)
  os.remove(p)
  made[#made + 1] = p
  return p
end
local function exists(p) return lfs.attributes(p) ~= nil end

-- the backlog the kernel shows for a listening TCP port (ss: Send-Q); LD_PRELOAD
-- is cleared because the sanitizer runs preload their runtime into every child
local function send_q(port)
  local f = assert(io.popen(string.format("LD_PRELOAD= ss -ltnH 'sport = :%d'", port)))
  local out = f:read('a')
  f:close()
  local fields = {}
  for w in out:gmatch('%S+') do fields[#fields + 1] = w end
  return tonumber(fields[3])
end

-- A listening TCP socket made by LuaSocket: the object (to close it if net
-- never adopts the fd), its fd and its port.
local function tcp_listening_fd()
  local m = assert(socket.bind('127.0.0.1', 0, 16))
  local _, port = m:getsockname()
  return m, math.tointeger(m:getfd()), math.tointeger(tonumber(port))
end

-- a client that collects what it reads; calls done(text) at 'close'
local function fetch(target, done)
  local c = net.connect(target)
  local buf = {}
  c:on('data', function(d) buf[#buf + 1] = d end)
  c:on('error', function() end)
  c:on('close', function() done(table.concat(buf)) end)
  return c
end

describe('server listen forms', function()
  after_each(function()
    for _, p in ipairs(made) do os.remove(p) end
    made = {}
  end)

  it("listen('0') and listen({port = '0'}): a port-like string is a TCP port on '::'", function()
    local got = {}
    local s = net.createServer()
    s:listen('0', function()
      got[1] = s:address()
      s:close(function()
        s:listen({ port = '0' }, function() got[2] = s:address(); s:close() end)
      end)
    end)
    H.run(2000)
    assert.equal('table', type(got[1]))
    assert.equal('::', got[1].address)
    assert.equal('IPv6', got[1].family)
    assert.is_true(got[1].port > 0)
    assert.equal('table', type(got[2]))
    assert.equal('::', got[2].address)
    assert.equal('IPv6', got[2].family)
  end)

  it('listen({port, host, path}): the port wins and no file is made at path', function()
    local p = tmp('portwins')
    local got
    local s = net.createServer()
    s:listen({ port = 0, host = '127.0.0.1', path = p }, function() got = s:address(); s:close() end)
    H.run(2000)
    assert.equal('table', type(got))
    assert.equal('127.0.0.1', got.address)
    assert.is_false(exists(p))
  end)

  it("listen(0, 'localhost') binds 127.0.0.1; listen({port = 0, host = '::1'}) binds ::1", function()
    local got = {}
    local s = net.createServer()
    s:listen(0, 'localhost', function()
      got[1] = s:address()
      s:close(function()
        s:listen({ port = 0, host = '::1' }, function() got[2] = s:address(); s:close() end)
      end)
    end)
    H.run(2000)
    assert.same({ '127.0.0.1', 'IPv4' }, { got[1].address, got[1].family })
    assert.same({ '::1', 'IPv6' }, { got[2].address, got[2].family })
  end)

  it('the backlog reaches the kernel: 511 by default, then options.backlog, then the backlog argument', function()
    local q = {}
    local s = net.createServer()
    s:listen(0, '127.0.0.1', function()
      q[1] = send_q(s:address().port)
      s:close(function()
        s:listen({ port = 0, host = '127.0.0.1', backlog = 7 }, function()
          q[2] = send_q(s:address().port)
          s:close(function()
            s:listen(0, '127.0.0.1', 9, function() q[3] = send_q(s:address().port); s:close() end)
          end)
        end)
      end)
    end)
    H.run(3000)
    assert.same({ 511, 7, 9 }, q)
  end)

  -- Node hands `backlog || 511` to its C++ listen, which reads an int32;
  -- a negative backlog argument is no backlog (toNumber), a negative option
  -- goes to the kernel, which makes it somaxconn
  it('a backlog that is not a whole number reaches the kernel as Node reads it (ToInt32)', function()
    local cases = {
      { { 0.5 } }, { { 1 / 0 } }, { { 0 / 0 } }, { { -1 } },
      { nil, 2 ^ 32 + 5 }, { nil, 7.9 },
    }
    local q = {}
    local function one(i)
      if i > #cases then return end
      local s = net.createServer()
      local function then_()
        q[i] = send_q(s:address().port)
        s:close(function() one(i + 1) end)
      end
      if cases[i][1] then
        s:listen(0, '127.0.0.1', cases[i][1][1], then_)
      else
        s:listen({ port = 0, host = '127.0.0.1', backlog = cases[i][2] }, then_)
      end
    end
    one(1)
    H.run(3000)
    assert.same({ 0, 0, 511, 511, 5, 7 }, q)
  end)

  it("listen(path, 1/0) and listen(0, 0.5) listen (a backlog of 0), as Node's do", function()
    local path = tmp('inf')
    local log = H.log()
    local s = net.createServer()
    s:listen(path, 1 / 0, function()
      log('path:' .. tostring(s:address() == path))
      s:close(function()
        s:listen(0, 0.5, function() log('port:' .. math.type(s:address().port)); s:close() end)
      end)
    end)
    H.run(2000)
    assert.same({ 'path:true', 'port:integer' }, log.events)
  end)

  it('listen(io.stdout): not a handle it can take: an EINVAL error event, later, as Node gives for a file', function()
    local log = H.log()
    local s = net.createServer()
    s:on('error', function(e) log({ e.code, e.syscall, e.message, e.address, e.port }) end)
    s:on('listening', function() log('listening!?') end)
    assert.equal(s, s:listen(io.stdout))
    log('returned')
    H.run(2000)
    assert.same({ 'returned', { 'EINVAL', 'listen', 'listen EINVAL: invalid argument' } }, log.events)
    assert.is_false(s.listening)
  end)

  it('a second listen() cancels a first one whose bind is still deferred; the second one wins', function()
    local path = tmp('second')
    local log = H.log()
    local s = net.createServer()
    s:on('listening', function()
      log('listening:' .. tostring(s:address() == path))
      timers.setTimeout(function() s:close() end, 50)
    end)
    s:on('error', function(e) log('error:' .. tostring(e.code)) end)
    s:on('close', function() log('close') end)
    s:listen(0, '127.0.0.1')
    s:listen(path)
    H.run(2000)
    assert.same({ 'listening:true', 'close' }, log.events)
  end)

  it('exclusive = true listens and serves as usual outside a cluster', function()
    local got, addr
    local s = net.createServer(function(c) c:end_('x') end)
    s:listen({ port = 0, host = '127.0.0.1', exclusive = true }, function()
      addr = s:address().address
      fetch({ port = s:address().port, host = '127.0.0.1' }, function(t) got = t; s:close() end)
    end)
    H.run(2000)
    assert.equal('127.0.0.1', addr)
    assert.equal('x', got)
  end)

  it("no host is dual stack: an IPv4 peer is '::ffff:127.0.0.1' (IPv6); 0.0.0.0 on that port is EADDRINUSE", function()
    local log = H.log()
    local s = net.createServer(function(c)
      log(table.concat({ tostring(c.remoteAddress), tostring(c.remoteFamily), tostring(c.localAddress) }, ','))
      c:end_()
    end)
    s:listen({ port = 0 }, function()
      local port = s:address().port
      local c = net.connect(port, '127.0.0.1')
      c:resume()
      c:on('close', function()
        local s4 = net.createServer()
        s4:on('error', function(e) log('0.0.0.0 same port:' .. tostring(e.code)); s:close() end)
        s4:listen(port, '0.0.0.0', function() log('0.0.0.0 same port: listening'); s4:close(); s:close() end)
      end)
    end)
    H.run(3000)
    assert.same({ '::ffff:127.0.0.1,IPv6,::ffff:127.0.0.1', '0.0.0.0 same port:EADDRINUSE' }, log.events)
  end)

  it('ipv6Only: IPv4 clients are refused, ::1 connects, and 0.0.0.0 can take the same port', function()
    local log = H.log()
    local s = net.createServer(function(c) log('conn:' .. tostring(c.remoteAddress)); c:end_() end)
    s:listen({ port = 0, host = '::', ipv6Only = true }, function()
      local port = s:address().port
      log(s:address().address)
      local c4 = net.connect(port, '127.0.0.1')
      c4:on('connect', function() log('ipv4 client connected!?'); c4:destroy() end)
      c4:on('close', function()
        local c6 = net.connect(port, '::1')
        c6:resume()
        c6:on('close', function()
          local s4 = net.createServer()
          s4:on('error', function(e) log('0.0.0.0 same port:' .. tostring(e.code)); s:close() end)
          s4:listen(port, '0.0.0.0', function()
            log('0.0.0.0 same port: listening')
            s4:close(function() s:close() end)
          end)
        end)
      end)
      c4:on('error', function(e) log('ipv4 client:' .. tostring(e.code)) end)
    end)
    H.run(3000)
    assert.same({ '::', 'ipv4 client:ECONNREFUSED', 'conn:::1', '0.0.0.0 same port: listening' }, log.events)
  end)

  -- reusePort: from the latest docs (v23.1+); Node v20 has no such option.
  -- On Linux every socket on the port must set SO_REUSEPORT, so a second
  -- server with reusePort on a port held without it is EADDRINUSE.
  it('reusePort (latest docs): two servers share a port and both serve; not with a plain first server', function()
    local log = H.log()
    local replies = {}
    local s1 = net.createServer(function(c) c:end_('1') end)
    local s2 = net.createServer(function(c) c:end_('2') end)
    local s3 = net.createServer()
    local s4 = net.createServer()
    local function plain_then_reuse()
      s3:listen({ port = 0, host = '127.0.0.1' }, function()
        s4:on('error', function(e) log('s4:' .. tostring(e.code)); s3:close() end)
        s4:listen({ port = s3:address().port, host = '127.0.0.1', reusePort = true }, function()
          log('s4:listening'); s4:close(); s3:close()
        end)
      end)
    end
    s1:listen({ port = 0, host = '127.0.0.1', reusePort = true }, function()
      local port = s1:address().port
      s2:on('error', function(e) log('s2:' .. tostring(e.code)); s1:close(); plain_then_reuse() end)
      s2:listen({ port = port, host = '127.0.0.1', reusePort = true }, function()
        log('s2:listening:same-port=' .. tostring(s2:address().port == port))
        local left = 8
        for i = 1, 8 do
          fetch({ port = port, host = '127.0.0.1' }, function(t)
            replies[i] = t
            left = left - 1
            if left == 0 then s1:close(); s2:close(); plain_then_reuse() end
          end)
        end
      end)
    end)
    H.run(3000)
    assert.same({ 's2:listening:same-port=true', 's4:EADDRINUSE' }, log.events)
    assert.equal(8, #replies)
    for _, r in ipairs(replies) do assert.is_truthy(r == '1' or r == '2', 'reply ' .. r) end
  end)

  describe('handles', function()
    it('listen(otherServer): takes over its handle; connections reach the new server; both close', function()
      local log = H.log()
      local s1 = net.createServer(function() log('s1-connection') end)
      s1:on('close', function() log('s1-close') end)
      s1:listen(0, '127.0.0.1', function()
        local s2
        s2 = net.createServer(function(c) log('s2-connection:server=' .. tostring(c.server == s2)); c:end_() end)
        s2:on('listening', function() log('s2-listening') end)
        s2:on('close', function() log('s2-close') end)
        local r = s2:listen(s1, function()
          local a1, a2 = s1:address(), s2:address()
          log('s2-cb')
          assert(a1 and a2, 's1:address() or s2:address() is nil')
          log('same-address:' .. tostring(a1.port == a2.port and a1.address == a2.address))
          log('s1.listening:' .. tostring(s1.listening))
          local c = net.connect(a1.port, '127.0.0.1')
          c:resume()
          c:on('close', function() s2:close(function() s1:close() end) end)
        end)
        log('returns-server:' .. tostring(r == s2))
        log('sync-listening:' .. tostring(s2.listening))
      end)
      H.run(3000)
      assert.same({
        'returns-server:true', 'sync-listening:true', 's2-listening', 's2-cb', 'same-address:true',
        's1.listening:true', 's2-connection:server=true', 's2-close', 's1-close',
      }, log.events)
    end)

    it('listen({fd = n}) adopts an inherited listening TCP socket', function()
      local log = H.log()
      local m, fd, port = tcp_listening_fd()
      local adopted = false
      finally(function() if not adopted then m:close() end end)
      local got, addr
      local s
      s = net.createServer(function(c) log('conn:server=' .. tostring(c.server == s)); c:end_('via-fd') end)
      s:on('listening', function() log('listening-event') end)
      s:on('close', function() log('close') end)
      s:listen({ fd = fd }, function()
        log('cb')
        addr = s:address()
        log('listening:' .. tostring(s.listening))
        fetch({ port = port, host = '127.0.0.1' }, function(t) got = t; s:close() end)
      end)
      m:setfd(-1) -- the fd is the server's now
      adopted = true
      log('sync-listening:' .. tostring(s.listening))
      H.run(3000)
      assert.same({ 'sync-listening:true', 'listening-event', 'cb', 'listening:true', 'conn:server=true', 'close' },
        log.events)
      assert.same({ address = '127.0.0.1', family = 'IPv4', port = port }, addr)
      assert.equal('via-fd', got)
    end)

    it('listen(socket) adopts the handle of a Socket made from a listening fd', function()
      local log = H.log()
      local m, fd, port = tcp_listening_fd()
      local adopted = false
      finally(function() if not adopted then m:close() end end)
      local sock = net.Socket({ fd = fd, readable = false, writable = false })
      m:setfd(-1) -- the Socket owns the fd now
      adopted = true
      sock:on('error', function(e) log('sock-error:' .. tostring(e.code)) end)
      sock:on('close', function() log('sock-close') end)
      local got, addr
      local s
      s = net.createServer(function(c) log('conn:server=' .. tostring(c.server == s)); c:end_('via-socket') end)
      s:on('listening', function() log('listening-event') end)
      s:on('close', function() log('close') end)
      s:listen(sock, function()
        log('cb')
        addr = s:address()
        fetch({ port = port, host = '127.0.0.1' }, function(t) got = t; s:close() end)
      end)
      log('sync-listening:' .. tostring(s.listening))
      H.run(3000)
      assert.same({ 'sync-listening:true', 'listening-event', 'cb', 'conn:server=true', 'close' }, log.events)
      assert.same({ address = '127.0.0.1', family = 'IPv4', port = port }, addr)
      assert.equal('via-socket', got)
    end)

    it('listen({fd = n}) with a Unix socket: address() is nil and close() leaves the file it did not make', function()
      local log = H.log()
      local p = tmp('fd')
      local m = assert(require('socket.unix')())
      assert(m:bind(p))
      assert(m:listen(8))
      local adopted = false
      finally(function() if not adopted then m:close() end end)
      local s
      s = net.createServer(function(c)
        log('conn:' .. tostring(c.remoteAddress) .. ':server=' .. tostring(c.server == s))
        c:end_('unix-fd')
      end)
      s:listen({ fd = math.tointeger(m:getfd()) }, function()
        log('address:' .. tostring(s:address()))
        log('listening:' .. tostring(s.listening))
        fetch({ path = p }, function(t) log('got:' .. t); s:close() end)
      end)
      m:setfd(-1)
      adopted = true
      H.run(3000)
      assert.same({ 'address:nil', 'listening:true', 'conn:nil:server=true', 'got:unix-fd' }, log.events)
      assert.is_true(exists(p), 'the file was made outside net: close() must not unlink it')
    end)

    it('with an fd the backlog argument reaches the kernel; options.backlog is ignored (511), as in Node', function()
      local q = {}
      local forms = {
        function(s, fd, cb) s:listen({ fd = fd }, cb) end,
        function(s, fd, cb) s:listen({ fd = fd }, 5, cb) end,
        function(s, fd, cb) s:listen({ fd = fd, backlog = 7 }, cb) end,
      }
      for i, form in ipairs(forms) do
        local m, fd, port = tcp_listening_fd() -- made with backlog 16
        local adopted = false
        finally(function() if not adopted then m:close() end end)
        local s = net.createServer()
        form(s, fd, function() q[i] = send_q(port); s:close() end)
        m:setfd(-1)
        adopted = true
      end
      H.run(3000)
      assert.same({ 511, 5, 511 }, q)
    end)

    it("listen({fd = 99999}): 'error' EINVAL with no address or port; listen({fd = -1}) raises", function()
      local log = H.log()
      local got, bad
      local s = net.createServer()
      s:on('listening', function() log('listening!?') end)
      s:on('close', function() log('close!?') end)
      s:on('error', function(e)
        got = e
        log('error:listening=' .. tostring(s.listening) .. ':address=' .. tostring(s:address()))
        bad = raises(s.listen, s, { fd = -1 })
      end)
      s:listen({ fd = 99999 })
      log('sync-listening:' .. tostring(s.listening))
      H.run(2000)
      assert.same({ 'sync-listening:false', 'error:listening=false:address=nil' }, log.events)
      assert.equal('EINVAL', got.code)
      assert.equal(-22, got.errno)
      assert.equal('listen', got.syscall)
      assert.equal('listen EINVAL: invalid argument', got.message)
      assert.is_nil(got.address)
      assert.is_nil(got.port)
      assert.equal('ERR_INVALID_ARG_VALUE', bad.code)
      assert.equal('TypeError', bad.name)
      assert.equal([[The argument 'options' must have the property "port" or "path". Received { fd: -1 }]], bad.message)
    end)
  end)

  describe('again', function()
    it('listen() again after close(): listening, close, listening, close', function()
      local log = H.log()
      local s = net.createServer()
      s:on('listening', function() log('listening') end)
      s:on('close', function() log('close') end)
      s:listen(0, '127.0.0.1', function()
        s:close(function()
          s:listen(0, '127.0.0.1', function() log('second-cb'); s:close() end)
        end)
      end)
      H.run(2000)
      assert.same({ 'listening', 'close', 'listening', 'second-cb', 'close' }, log.events)
    end)

    it("listen() again after close() with a connection open: one 'close', after the second close, runs both cbs",
      function()
        local log = H.log()
        local client
        local s
        s = net.createServer(function(c)
          log('connection')
          c:on('close', function() log('conn-close') end)
          s:close(function(e) log('close-cb-1:' .. tostring(e)) end)
          s:listen(0, '127.0.0.1', function()
            log('relistening:' .. tostring(s.listening))
            timers.setTimeout(function() client:end_() end, 30)
            timers.setTimeout(function()
              log('second-close')
              s:close(function(e) log('close-cb-2:' .. tostring(e)) end)
            end, 100)
          end)
        end)
        s:on('close', function() log('close-event') end)
        s:on('listening', function() log('listening') end)
        s:listen(0, '127.0.0.1', function()
          client = net.connect(s:address().port, '127.0.0.1')
          client:resume()
        end)
        H.run(3000)
        assert.same({
          'listening', 'connection', 'listening', 'relistening:true', 'conn-close', 'second-close',
          'close-event', 'close-cb-1:nil', 'close-cb-2:nil',
        }, log.events)
      end)

    it('ERR_SERVER_ALREADY_LISTEN for the path and fd forms too; no file is made', function()
      local p = tmp('already')
      local codes = {}
      local s = net.createServer()
      H.listen(s, function()
        codes[1] = raises(s.listen, s, p).code
        codes[2] = raises(s.listen, s, { fd = 99999 }).code
        s:close()
      end)
      H.run(2000)
      assert.same({ 'ERR_SERVER_ALREADY_LISTEN', 'ERR_SERVER_ALREADY_LISTEN' }, codes)
      assert.is_false(exists(p))
    end)
  end)

  describe('errors', function()
    it("EADDRNOTAVAIL (192.0.2.1): Node's fields, no port field for port 0; listen() works again", function()
      local log = H.log()
      local errs = {}
      local s = net.createServer()
      s:on('close', function() log('close') end)
      s:on('listening', function() log('listening') end)
      s:on('error', function(e)
        errs[#errs + 1] = e
        log('error:' .. tostring(e.code) .. ':listening=' .. tostring(s.listening))
        if #errs == 1 then
          s:listen(8123, '192.0.2.1')
        else
          s:listen(0, '127.0.0.1', function() log('relisten-ok'); s:close() end)
        end
      end)
      s:listen(0, '192.0.2.1')
      H.run(3000)
      assert.same({
        'error:EADDRNOTAVAIL:listening=false', 'error:EADDRNOTAVAIL:listening=false',
        'listening', 'relisten-ok', 'close',
      }, log.events)
      local e1, e2 = errs[1], errs[2]
      assert.equal(-99, e1.errno)
      assert.equal('listen', e1.syscall)
      assert.equal('192.0.2.1', e1.address)
      assert.is_nil(e1.port)
      assert.equal('listen EADDRNOTAVAIL: address not available 192.0.2.1', e1.message)
      assert.equal('Error: listen EADDRNOTAVAIL: address not available 192.0.2.1', tostring(e1))
      assert.equal(8123, e2.port)
      assert.equal('integer', math.type(e2.port))
      assert.equal('listen EADDRNOTAVAIL: address not available 192.0.2.1:8123', e2.message)
    end)

    it("a host that does not resolve: 'error' ENOTFOUND from getaddrinfo, not listening", function()
      local got, listening
      local s = net.createServer()
      s:on('error', function(e) got = e; listening = s.listening end)
      s:listen(0, 'no-such-host.invalid')
      H.run(3000)
      assert.equal('ENOTFOUND', got.code)
      assert.equal(-3008, got.errno)
      assert.equal('getaddrinfo', got.syscall)
      assert.equal('no-such-host.invalid', got.hostname)
      assert.equal('getaddrinfo ENOTFOUND no-such-host.invalid', got.message)
      assert.is_false(listening)
    end)

    it("bad host and path types: Node's errors, raised at once", function()
      local s = net.createServer()
      local e = raises(s.listen, s, { port = 0, host = 5 })
      assert.equal('ERR_INVALID_ARG_TYPE', e.code)
      assert.equal('TypeError', e.name)
      assert.equal('The "hostname" argument must be of type string. Received type number (5)', e.message)
      e = raises(s.listen, s, { path = 5 })
      assert.equal('ERR_INVALID_ARG_VALUE', e.code)
      assert.equal('TypeError', e.name)
      assert.equal("The argument 'options' is invalid. Received { path: 5 }", e.message)
      e = raises(s.listen, s, { path = '' })
      assert.equal('ERR_INVALID_ARG_VALUE', e.code)
      assert.equal("The argument 'options' is invalid. Received { path: '' }", e.message)
      assert.is_false(s.listening)
      H.run(1000)
    end)

    it("a listen 'error' with no listener leaves the loop as the error value", function()
      net.createServer():listen(0, '192.0.2.1')
      local ok, err = pcall(H.run, 2000)
      assert.is_false(ok)
      assert.is_true(net.Error.is(err), 'expected a net.Error, got ' .. tostring(err))
      assert.equal('EADDRNOTAVAIL', err.code)
    end)
  end)
end)
