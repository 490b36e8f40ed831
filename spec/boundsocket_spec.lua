-- net.BoundSocket and server:listen(bound). Node v20 has no BoundSocket, so
-- the expectations come from the newest Node docs (net.md, "Class:
-- net.BoundSocket", v26.7 / v24.20) and Node's own tests of it
-- (test-net-bound-socket*.js): codes, syscalls, defaults, the adopted state.
-- Adoption by a net.Socket ({ handle = bound }) is not here yet.
local net = require('net')
local core = require('net.core')
local lfs = require('lfs')
local H = require('spec.helper')

local raises = H.raises

local paths = H.socket_paths('bound')
local PID = io.open('/proc/self/stat'):read('l'):match('^%d+')
local tmp, abstract = paths.tmp, paths.abstract
local is_socket_file, open_fds = H.is_socket_file, H.open_fds

-- the status flags of descriptor `fd` (octal in /proc/self/fdinfo)
local function fd_flags(fd)
  local f = assert(io.open('/proc/self/fdinfo/' .. fd))
  local text = f:read('a')
  f:close()
  return tonumber(text:match('flags:%s*(%d+)'), 8)
end
local O_NONBLOCK, O_CLOEXEC = 0x800, 0x80000

-- a client that collects what it reads; calls done(text) at 'close'
local function fetch(target, done)
  local c = net.connect(target)
  local buf = {}
  c:on('data', function(d) buf[#buf + 1] = d end)
  c:on('error', function() end)
  c:on('close', function() done(table.concat(buf)) end)
  return c
end

-- the backlog the kernel shows for a listening TCP port (ss: Send-Q)
local function send_q(port)
  local f = assert(io.popen(string.format("LD_PRELOAD= ss -ltnH 'sport = :%d'", port)))
  local out = f:read('a')
  f:close()
  local fields = {}
  for w in out:gmatch('%S+') do fields[#fields + 1] = w end
  return tonumber(fields[3])
end

local function adopted_error(fn, ...)
  local e = raises(fn, ...)
  assert.equal('ERR_SOCKET_HANDLE_ADOPTED', e.code)
  assert.equal('Error', e.name)
  return e
end

describe('net.BoundSocket', function()
  after_each(function()
    paths.clean()
  end)

  describe('constructor defaults', function()
    it('no options: the IPv4 wildcard and a port the system chose; a TCP socket, not a pipe', function()
      local b = net.BoundSocket()
      local a = b:address()
      assert.same({ '0.0.0.0', 'IPv4' }, { a.address, a.family })
      assert.equal('integer', math.type(a.port))
      assert.is_true(a.port > 0)
      assert.is_false(b.isPipe)
      assert.equal('TCP', core.guessHandle(b:fd()))
      b:close()
    end)

    it('net.BoundSocket.new, an empty table and { port = 0 } are the same; each call gets its own port', function()
      local b1, b2, b3 = net.BoundSocket.new(), net.BoundSocket({}), net.BoundSocket({ port = 0 })
      for _, b in ipairs({ b1, b2, b3 }) do
        assert.equal('0.0.0.0', b:address().address)
      end
      assert.are_not.equal(b1:address().port, b2:address().port)
      assert.are_not.equal(b2:address().port, b3:address().port)
      b1:close(); b2:close(); b3:close()
    end)

    it("host and port are bound as given; a port may be a numeric string, as Node's validatePort takes", function()
      local b = net.BoundSocket({ host = '127.0.0.1' })
      local port = b:address().port
      b:close()
      local again = net.BoundSocket({ host = '127.0.0.1', port = tostring(port) })
      assert.same({ address = '127.0.0.1', family = 'IPv4', port = port }, again:address())
      again:close()
    end)

    it("ipv6Only alone binds '::'; '::1' binds IPv6 loopback; ipv6Only on an IPv4 host is ignored", function()
      local v6only = net.BoundSocket({ ipv6Only = true })
      assert.same({ '::', 'IPv6' }, { v6only:address().address, v6only:address().family })
      local lo6 = net.BoundSocket({ host = '::1' })
      assert.same({ '::1', 'IPv6' }, { lo6:address().address, lo6:address().family })
      local v4 = net.BoundSocket({ host = '127.0.0.1', ipv6Only = true })
      assert.same({ '127.0.0.1', 'IPv4' }, { v4:address().address, v4:address().family })
      v6only:close(); lo6:close(); v4:close()
    end)

    it('the descriptor is non-blocking and close-on-exec (TCP and pipe)', function()
      local t = net.BoundSocket({ host = '127.0.0.1' })
      local p = net.BoundSocket({ path = tmp('flags') })
      for _, b in ipairs({ t, p }) do
        local flags = fd_flags(b:fd())
        assert.equal(O_NONBLOCK, flags & O_NONBLOCK)
        assert.equal(O_CLOEXEC, flags & O_CLOEXEC)
      end
      assert.equal('PIPE', core.guessHandle(p:fd()))
      t:close(); p:close()
    end)

    it('isPipe is on the prototype (the probe for path support) and ignores assignment', function()
      assert.is_not_nil(net.BoundSocket.prototype.isPipe)
      assert.equal('function', type(net.BoundSocket.prototype.address))
      local b = net.BoundSocket({ path = tmp('ispipe') })
      b.isPipe = false
      assert.is_true(b.isPipe)
      b.tag = 'mine' -- a user's own field is kept
      assert.equal('mine', b.tag)
      b:close()
      assert.is_true(b.isPipe) -- still answers after close
    end)
  end)

  describe('option validation', function()
    it('options that are not a table: ERR_INVALID_ARG_TYPE', function()
      for _, v in ipairs({ 0, 'x', true }) do
        local e = raises(net.BoundSocket, v)
        assert.equal('ERR_INVALID_ARG_TYPE', e.code)
        assert.equal('TypeError', e.name)
      end
      assert.equal('The "options" argument must be of type object. Received type number (0)',
        raises(net.BoundSocket, 0).message)
    end)

    it('host: a numeric IP literal string (no lookup), else ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE', function()
      local e = raises(net.BoundSocket, { host = 1234 })
      assert.same({ 'ERR_INVALID_ARG_TYPE', 'TypeError' }, { e.code, e.name })
      assert.equal('The "options.host" property must be of type string. Received type number (1234)', e.message)
      for _, h in ipairs({ 'localhost', '', '127.0.0.256', 'example.com' }) do
        e = raises(net.BoundSocket, { host = h, port = 0 })
        assert.same({ 'ERR_INVALID_ARG_VALUE', 'TypeError' }, { e.code, e.name })
      end
      assert.equal("The property 'options.host' must be a numeric IP address. Received 'localhost'",
        raises(net.BoundSocket, { host = 'localhost' }).message)
    end)

    it('port: ERR_SOCKET_BAD_PORT outside 0..65535, for fractions and for non-numeric values', function()
      for _, p in ipairs({ 65536, -1, 1.5, 'abc', true }) do
        local e = raises(net.BoundSocket, { port = p })
        assert.same({ 'ERR_SOCKET_BAD_PORT', 'RangeError' }, { e.code, e.name })
      end
      assert.equal('options.port should be >= 0 and < 65536. Received type number (70000).',
        raises(net.BoundSocket, { port = 70000 }).message)
    end)

    it('ipv6Only and reusePort must be booleans', function()
      local e = raises(net.BoundSocket, { ipv6Only = 'yes' })
      assert.equal('ERR_INVALID_ARG_TYPE', e.code)
      assert.equal([[The "options.ipv6Only" property must be of type boolean. Received type string ('yes')]], e.message)
      e = raises(net.BoundSocket, { reusePort = 1 })
      assert.equal('ERR_INVALID_ARG_TYPE', e.code)
      assert.equal('The "options.reusePort" property must be of type boolean. Received type number (1)', e.message)
    end)

    it('path: a string, never with host, port, ipv6Only or reusePort (ERR_INVALID_ARG_VALUE)', function()
      local e = raises(net.BoundSocket, { path = 1234 })
      assert.same({ 'ERR_INVALID_ARG_TYPE', 'TypeError' }, { e.code, e.name })
      local p = tmp('exclusive')
      for _, extra in ipairs({ { host = '127.0.0.1' }, { port = 0 }, { ipv6Only = true }, { reusePort = true },
                               { ipv6Only = false } }) do
        extra.path = p
        e = raises(net.BoundSocket, extra)
        assert.same({ 'ERR_INVALID_ARG_VALUE', 'TypeError' }, { e.code, e.name })
        assert.is_truthy(e.message:find('can not specify path with host, port, ipv6Only or reusePort', 1, true))
      end
      assert.is_false(is_socket_file(p)) -- nothing was bound
    end)

    it('a rejected option makes no socket', function()
      local before = open_fds()
      for _ = 1, 20 do
        pcall(net.BoundSocket, { host = 'localhost' })
        pcall(net.BoundSocket, { port = -1 })
        pcall(net.BoundSocket, { path = '/x', port = 0 })
      end
      assert.equal(before, open_fds())
    end)
  end)

  describe('bind errors, raised by the constructor', function()
    it('EADDRINUSE on a port a server listens on: a net.Error shaped as Node\'s, syscall bind', function()
      local e
      local s = net.createServer()
      H.listen(s, function(port)
        e = raises(net.BoundSocket, { host = '127.0.0.1', port = port })
        assert.equal(port, e.port)
        s:close()
      end)
      H.run(2000)
      assert.equal('EADDRINUSE', e.code)
      assert.equal('Error', e.name)
      assert.equal(core.errno.EADDRINUSE, e.errno)
      assert.equal('bind', e.syscall)
      assert.equal('127.0.0.1', e.address)
      assert.equal('bind EADDRINUSE: address already in use 127.0.0.1:' .. e.port, e.message)
    end)

    it('EADDRNOTAVAIL for an address no interface has (port 0: no port field, none in the message)', function()
      local e = raises(net.BoundSocket, { host = '192.0.2.1', port = 0 })
      assert.same({ 'EADDRNOTAVAIL', 'bind', '192.0.2.1' }, { e.code, e.syscall, e.address })
      assert.is_nil(e.port)
      assert.equal('bind EADDRNOTAVAIL: address not available 192.0.2.1', e.message)
    end)

    it('ipv6Only: a v6-only bind coexists with an IPv4 listener on the port; a dual-stack one is EADDRINUSE', function()
      local got = {}
      local s = net.createServer()
      s:listen(0, '0.0.0.0', function()
        local port = s:address().port
        local v6 = net.BoundSocket({ ipv6Only = true, port = port })
        got.v6 = v6:address()
        v6:close()
        got.dual = raises(net.BoundSocket, { host = '::', port = port })
        got.port = port
        s:close()
      end)
      H.run(2000)
      assert.same({ address = '::', family = 'IPv6', port = got.port }, got.v6)
      assert.equal('EADDRINUSE', got.dual.code)
      assert.equal('bind EADDRINUSE: address already in use :::' .. got.port, got.dual.message)
    end)

    it('close() gives the port back at once: the same port binds again', function()
      local b = net.BoundSocket({ host = '127.0.0.1' })
      local port = b:address().port
      b:close()
      local again = net.BoundSocket({ host = '127.0.0.1', port = port })
      assert.equal(port, again:address().port)
      again:close()
    end)
  end)

  describe('pipes (path)', function()
    it('binds a socket file at once: address() is the path, isPipe true; close() removes the file', function()
      local p = tmp('file')
      local b = net.BoundSocket({ path = p })
      assert.is_true(is_socket_file(p))
      assert.is_true(b.isPipe)
      assert.equal(p, b:address())
      assert.equal('integer', math.type(b:fd()))
      b:close()
      assert.is_false(is_socket_file(p))
      b:close() -- nothing left to do: no error
    end)

    it('a second bind of the same path is EADDRINUSE, syscall bind, address the path, no port', function()
      local p = tmp('twice')
      local b = net.BoundSocket({ path = p })
      local e = raises(net.BoundSocket, { path = p })
      assert.same({ 'EADDRINUSE', 'bind', p }, { e.code, e.syscall, e.address })
      assert.is_nil(e.port)
      assert.equal('bind EADDRINUSE: address already in use ' .. p, e.message)
      assert.is_true(is_socket_file(p)) -- the failed bind removed nobody's file
      b:close()
      assert.is_false(is_socket_file(p))
    end)

    it('a missing directory is EACCES (as libuv reports ENOENT); a path too long for sun_path is EINVAL', function()
      local e = raises(net.BoundSocket, { path = '/tmp/net-spec-no-such-dir-' .. PID .. '/x.sock' })
      assert.same({ 'EACCES', 'bind' }, { e.code, e.syscall })
      e = raises(net.BoundSocket, { path = '/tmp/' .. string.rep('x', 200) })
      assert.same({ 'EINVAL', 'bind' }, { e.code, e.syscall })
      -- 107 bytes and a NUL fit sun_path (108); 108 bytes do not
      local base = string.format('/tmp/net-spec-%s-', PID)
      local fits = base .. string.rep('f', 107 - #base)
      paths.remember(fits)
      local b = net.BoundSocket({ path = fits })
      assert.is_true(is_socket_file(fits))
      b:close()
      e = raises(net.BoundSocket, { path = fits .. 'g' })
      assert.equal('EINVAL', e.code)
    end)

    it("an abstract name (leading '\\0') makes no file; its name is taken until close()", function()
      local name = abstract('abs')
      local b = net.BoundSocket({ path = name })
      assert.is_true(b.isPipe)
      assert.equal(name, b:address())
      assert.is_nil(lfs.attributes(name:sub(2)))
      local e = raises(net.BoundSocket, { path = name })
      assert.same({ 'EADDRINUSE', 'bind', name }, { e.code, e.syscall, e.address })
      b:close()
      local again = net.BoundSocket({ path = name })
      again:close()
    end)
  end)

  describe('close, <close> and the adopted state', function()
    it('close() twice is fine; after close() address() and fd() raise ERR_SOCKET_HANDLE_ADOPTED, as Node', function()
      local b = net.BoundSocket()
      b:close()
      b:close()
      adopted_error(b.address, b)
      adopted_error(b.fd, b)
    end)

    it('<close> closes a BoundSocket that was neither adopted nor closed, and removes its file', function()
      local p = tmp('tbc')
      local fd
      do
        local b <close> = net.BoundSocket({ path = p })
        fd = b:fd()
        assert.is_true(is_socket_file(p))
      end
      assert.is_false(is_socket_file(p))
      assert.is_nil(io.open('/proc/self/fdinfo/' .. fd)) -- closed (no other file took the number yet)
      do
        local closed <close> = net.BoundSocket()
        closed:close() -- then <close> does nothing
      end
      local s = net.createServer()
      do
        local adopted <close> = net.BoundSocket({ host = '127.0.0.1' })
        s:listen(adopted) -- adopted: <close> does nothing, the server keeps the socket
      end
      assert.is_true(s.listening)
      s:close()
      H.run(2000)
    end)

    it('methods called without their object raise ERR_INVALID_THIS', function()
      local b = net.BoundSocket()
      assert.equal('ERR_INVALID_THIS', raises(b.address).code)
      assert.equal('ERR_INVALID_THIS', raises(b.close, {}).code)
      b:close()
    end)

    it('a dropped BoundSocket is closed by the garbage collector, its file removed', function()
      local p = tmp('gc')
      local before = open_fds()
      local function make() net.BoundSocket({ path = p }); net.BoundSocket() end
      make()
      assert.is_true(is_socket_file(p))
      assert.equal(before, open_fds()) -- collects
      assert.is_false(is_socket_file(p))
    end)
  end)

  describe('server:listen(bound)', function()
    it('listens on the reserved port and accepts a connection there; the BoundSocket is adopted', function()
      local log = H.log()
      local b = net.BoundSocket({ host = '127.0.0.1' })
      local port = b:address().port
      local s = net.createServer(function(c) log('connection'); c:end_('pong') end)
      local r = s:listen(b, function()
        log('listening')
        local a = s:address()
        log(a.address .. ':' .. tostring(a.port == port) .. ':' .. a.family)
        fetch({ port = port, host = '127.0.0.1' }, function(t) log('got ' .. t); s:close() end)
      end)
      assert.equal(s, r)
      assert.is_true(s.listening)
      -- adoption is at once, inside listen()
      adopted_error(b.address, b)
      adopted_error(b.fd, b)
      adopted_error(b.close, b)
      assert.is_false(b.isPipe)
      H.run(2000)
      assert.same({ 'listening', '127.0.0.1:true:IPv4', 'connection', 'got pong' }, log.events)
    end)

    it('listen({ handle = bound }) ignores port, host and path; listen(bound, backlog, cb) sets the backlog', function()
      local q, addr = {}, {}
      local p = tmp('ignored')
      local b1 = net.BoundSocket({ host = '127.0.0.1' })
      local b2 = net.BoundSocket({ host = '127.0.0.1' })
      local s1, s2 = net.createServer(), net.createServer()
      s1:listen({ handle = b1, port = 0, host = '::1', path = p, backlog = 3 }, function()
        addr[1] = s1:address()
        q[1] = send_q(addr[1].port)
        s2:listen(b2, 7, function()
          addr[2] = s2:address()
          q[2] = send_q(addr[2].port)
          s1:close(); s2:close()
        end)
      end)
      H.run(3000)
      assert.equal('127.0.0.1', addr[1].address)
      assert.equal('127.0.0.1', addr[2].address)
      assert.is_false(is_socket_file(p))
      assert.same({ 511, 7 }, q) -- options.backlog does not count with a handle, as in Node
    end)

    it('an adopted or closed BoundSocket cannot be listened on again: ERR_SOCKET_HANDLE_ADOPTED at once', function()
      local b = net.BoundSocket({ host = '127.0.0.1' })
      local s1, s2 = net.createServer(), net.createServer()
      s1:listen(b)
      adopted_error(s2.listen, s2, b)
      adopted_error(s2.listen, s2, { handle = b })
      assert.is_false(s2.listening)
      local closed = net.BoundSocket()
      closed:close()
      adopted_error(s2.listen, s2, closed)
      s1:close()
      H.run(2000)
    end)

    it('while an adopted port listens, binding it again is EADDRINUSE at once', function()
      local e
      local b = net.BoundSocket({ host = '127.0.0.1' })
      local port = b:address().port
      local s = net.createServer()
      s:listen(b, function()
        e = raises(net.BoundSocket, { host = '127.0.0.1', port = port })
        s:close()
      end)
      H.run(2000)
      assert.same({ 'EADDRINUSE', 'bind', port }, { e.code, e.syscall, e.port })
    end)

    -- SO_REUSEADDR is set as libuv sets it for every TCP bind, so (as Node's
    -- own test notes) two binds that do not listen yet coexist; the second
    -- one to listen then fails, unless both asked for reusePort.
    it('without reusePort two binds of one port coexist, but only one can listen (listen EADDRINUSE)', function()
      local log = H.log()
      local b1 = net.BoundSocket({ host = '127.0.0.1' })
      local port = b1:address().port
      local b2 = net.BoundSocket({ host = '127.0.0.1', port = port })
      local s1, s2 = net.createServer(), net.createServer()
      s1:listen(b1, function()
        log('s1 listening')
        s2:on('error', function(e) log('s2 ' .. e.code .. ' ' .. e.syscall); s1:close() end)
        s2:listen(b2, function() log('s2 listening!?'); s2:close(); s1:close() end)
      end)
      H.run(2000)
      assert.same({ 's1 listening', 's2 EADDRINUSE listen' }, log.events)
      assert.is_false(s2.listening)
    end)

    it('with reusePort on both, two servers listen on the port and both serve', function()
      local log = H.log()
      local b1 = net.BoundSocket({ host = '127.0.0.1', reusePort = true })
      local port = b1:address().port
      local b2 = net.BoundSocket({ host = '127.0.0.1', port = port, reusePort = true })
      local s1 = net.createServer(function(c) c:end_('1') end)
      local s2 = net.createServer(function(c) c:end_('2') end)
      s1:listen(b1, function()
        s2:listen(b2, function()
          log('same port:' .. tostring(s1:address().port == port and s2:address().port == port))
          -- with s1 closed, the port still answers: s2 listens on it
          s1:close(function()
            fetch({ port = port, host = '127.0.0.1' }, function(t) log('reply ' .. t); s2:close() end)
          end)
        end)
      end)
      H.run(2000)
      assert.same({ 'same port:true', 'reply 2' }, log.events)
    end)

    it('a pipe BoundSocket: address() is the path, a client connects, close() removes the file', function()
      local log = H.log()
      local p = tmp('server')
      local b = net.BoundSocket({ path = p })
      local s = net.createServer(function(c) c:end_('over pipe') end)
      s:listen(b, function()
        log('address ' .. tostring(s:address() == p))
        fetch({ path = p }, function(t)
          log('got ' .. t)
          s:close()
          log('file after close ' .. tostring(is_socket_file(p)))
        end)
      end)
      adopted_error(b.address, b)
      H.run(2000)
      assert.same({ 'address true', 'got over pipe', 'file after close false' }, log.events)
    end)

    it('an abstract BoundSocket serves too, and close() has no file to remove', function()
      local log = H.log()
      local name = abstract('server')
      local b = net.BoundSocket({ path = name })
      local s = net.createServer(function(c) c:end_('abstract') end)
      s:listen(b, function()
        log('address ' .. tostring(s:address() == name))
        fetch({ path = name }, function(t) log('got ' .. t); s:close() end)
      end)
      H.run(2000)
      assert.same({ 'address true', 'got abstract' }, log.events)
      net.BoundSocket({ path = name }):close() -- the name is free again
    end)
  end)

  describe('descriptors', function()
    it('no descriptor leaks: binds, failed binds, closes, collection, adoption and server close', function()
      local function round()
        local held = net.BoundSocket({ host = '127.0.0.1' })
        pcall(net.BoundSocket, { host = '127.0.0.1', port = 1 }) -- root may bind it; dropped either way
        local p = tmp('leak')
        local pb = net.BoundSocket({ path = p })
        pcall(net.BoundSocket, { path = p }) -- EADDRINUSE
        pcall(net.BoundSocket, { path = '/tmp/net-spec-no-such-dir/x' })
        pcall(net.BoundSocket, { host = '192.0.2.1' })
        local ab = net.BoundSocket({ path = abstract('leak') })
        ab:close()
        pb:close()
        net.BoundSocket() -- dropped, collected
        local ts = net.createServer(function(c) c:end_('x') end)
        local ps = net.createServer(function(c) c:end_('y') end)
        local pp = tmp('leak-server')
        ts:listen(held, function()
          ps:listen(net.BoundSocket({ path = pp }), function()
            fetch({ port = ts:address().port, host = '127.0.0.1' }, function()
              fetch({ path = pp }, function() ts:close(); ps:close() end)
            end)
          end)
        end)
        H.run(2000)
      end
      round() -- first use may open what the loop keeps (e.g. its wakeup descriptors)
      local before = open_fds()
      for _ = 1, 5 do round() end
      assert.equal(before, open_fds())
    end)
  end)
end)
