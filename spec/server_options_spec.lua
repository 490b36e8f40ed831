-- createServer options, what accepted sockets inherit, blockList and the
-- listen signal, checked against Node (`node spec/node/server_options.js`).
-- allowHalfOpen's effect on end is in spec/client_spec.lua; here only its
-- inheritance. blockList is from the latest docs (Node v20 lacks it).
-- Socket options are read back with the core's `core.tcp.sockopt(sock, name)`.
local net = require('net')
local core = require('net.core')
local timers = require('net.timers')
local H = require('spec.helper')

local raises = H.raises

local function AbortController()
  assert(net.AbortController, 'net.AbortController is missing (API.md)')
  return net.AbortController()
end

-- A server on 127.0.0.1 with `options`; one client connects; `onconn(c, s)`
-- sees the accepted socket, which is then destroyed and the server closed.
local function accept_one(options, onconn)
  local s
  s = net.createServer(options, function(c)
    local ok, err = pcall(onconn, c, s)
    c:destroy()
    s:close()
    if not ok then error(err, 0) end
  end)
  H.listen(s, function(port)
    local c = net.connect(port, '127.0.0.1')
    c:on('error', function() end)
    c:resume()
  end)
  return s
end

describe('server options', function()
  describe('construction', function()
    it('net.Server(options, fn), net.Server.new, createServer(fn), createServer(nil); a non-function is ignored',
      function()
        assert.equal(1, net.Server({ allowHalfOpen = true }, function() end):listenerCount('connection'))
        assert.equal(1, net.Server.new({}, function() end):listenerCount('connection'))
        assert.equal(1, net.createServer(function() end):listenerCount('connection'))
        assert.equal(0, net.createServer(nil):listenerCount('connection'))
        -- Node adds the listener only when it is a function, and never throws for it
        assert.equal(0, net.createServer({}, 'not a function'):listenerCount('connection'))
      end)

    it('options that are not a table, and a highWaterMark that is not a number, raise ERR_INVALID_ARG_TYPE', function()
      for _, case in ipairs({
        { 'x', "type string ('x')" }, { 5, 'type number (5)' }, { true, 'type boolean (true)' },
      }) do
        local e = raises(net.createServer, case[1])
        assert.equal('ERR_INVALID_ARG_TYPE', e.code)
        assert.equal('TypeError', e.name)
        assert.equal('The "options" argument must be of type object. Received ' .. case[2], e.message)
      end
      local e = raises(net.createServer, { highWaterMark = 'x' })
      assert.equal('ERR_INVALID_ARG_TYPE', e.code)
      assert.equal([[The "options.highWaterMark" property must be of type number. Received type string ('x')]],
        e.message)
    end)
  end)

  describe('accepted sockets', function()
    it('know their server and inherit allowHalfOpen, pauseOnConnect and highWaterMark', function()
      local got = {}
      local opts = {
        'none', { allowHalfOpen = true, pauseOnConnect = true, highWaterMark = 1024 },
        { highWaterMark = -1 }, { highWaterMark = 0 },
      }
      local i = 0
      local function one()
        i = i + 1
        if not opts[i] then return end
        local s = accept_one(opts[i] ~= 'none' and opts[i] or nil, function(c, s)
          got[i] = { c.server == s, c.allowHalfOpen, c:isPaused(), c.readableHighWaterMark, c.writableHighWaterMark }
        end)
        s:on('close', one)
      end
      one()
      H.run(3000)
      assert.same({
        { true, false, false, 16384, 16384 },
        { true, true, true, 1024, 1024 },
        { true, false, false, 16384, 16384 }, -- a negative highWaterMark means the default
        { true, false, false, 0, 0 },
      }, got)
    end)

    it('pauseOnConnect: nothing is read from the connection until resume()', function()
      local log = H.log()
      local s
      s = net.createServer({ pauseOnConnect = true }, function(c)
        log('connection:isPaused=' .. tostring(c:isPaused()))
        c:on('data', function(d) log('data:' .. d) end)
        c:on('end', function() log('end'); s:close() end)
        timers.setTimeout(function()
          log('after-100ms:bytesRead=' .. tostring(c.bytesRead) .. ':readableLength=' .. tostring(c.readableLength)
            .. ':isPaused=' .. tostring(c:isPaused()))
          c:resume()
          log('resumed')
        end, 100)
      end)
      H.listen(s, function(port)
        local c = net.connect(port, '127.0.0.1')
        c:end_('hello')
      end)
      H.run(3000)
      assert.same({
        'connection:isPaused=true', 'after-100ms:bytesRead=0:readableLength=0:isPaused=true',
        'resumed', 'data:hello', 'end',
      }, log.events)
    end)

    it('noDelay, keepAlive and keepAliveInitialDelay (ms, set in whole seconds) are set on the accepted socket',
      function()
        -- what strace shows Node setting on the accepted fd
        local f = assert(io.open('/proc/sys/net/ipv4/tcp_keepalive_time'))
        local system_idle = math.tointeger(f:read('n'))
        f:close()
        local got = {}
        local opts = {
          { keepAlive = true, keepAliveInitialDelay = 5000, noDelay = true },
          { keepAlive = true, keepAliveInitialDelay = 1500 },
          { keepAlive = true }, -- delay 0: Node's TCP_KEEPIDLE(0) fails, ignored; the system default stays
          {},
        }
        local i = 0
        local function one()
          i = i + 1
          if not opts[i] then return end
          local s = accept_one(opts[i], function(c)
            assert(core.tcp.sockopt(c, 'TCP_NODELAY'), 'the accepted socket has no TCP handle')
            c:on('error', function(e) got[i] = 'error:' .. tostring(e.code) end)
            local opt = core.tcp.sockopt
            got[i] = { opt(c, 'TCP_NODELAY'), opt(c, 'SO_KEEPALIVE'), opt(c, 'TCP_KEEPIDLE') }
          end)
          s:on('close', one)
        end
        one()
        H.run(3000)
        assert.same({ 1, 1, 5 }, got[1])
        assert.same({ 0, 1, 1 }, got[2])
        assert.same({ 0, 1, system_idle }, got[3])
        assert.same({ 0, 0 }, { got[4][1], got[4][2] })
      end)
  end)

  describe('keepAliveInitialDelay', function()
    it('must be a number (raised at once); a negative one or NaN is 0 (the system default stays)', function()
      local err = H.raises(net.createServer, { keepAlive = true, keepAliveInitialDelay = 'x' })
      assert.same({ 'ERR_INVALID_ARG_TYPE', 'TypeError',
        [[The "options.keepAliveInitialDelay" property must be of type number. Received type string ('x')]] },
        { err.code, err.name, err.message })
      local f = assert(io.open('/proc/sys/net/ipv4/tcp_keepalive_time'))
      local system_idle = math.tointeger(f:read('n'))
      f:close()
      local got = {}
      local delays = { -5000, 0 / 0 }
      local i = 0
      local function one()
        i = i + 1
        if not delays[i] then return end
        local s = accept_one({ keepAlive = true, keepAliveInitialDelay = delays[i] }, function(c)
          got[i] = { core.tcp.sockopt(c, 'SO_KEEPALIVE'), core.tcp.sockopt(c, 'TCP_KEEPIDLE') }
        end)
        s:on('close', one)
      end
      one()
      H.run(3000)
      assert.same({ { 1, system_idle }, { 1, system_idle } }, got)
    end)
  end)

  -- blockList: from the latest docs and Node's test-net-server-blocklist.js;
  -- a blocked connection is closed at once, with no 'connection' and no 'drop'.
  -- What the client sees is what a v20 server that destroys the connection at
  -- once gives: connect, end, close(false).
  describe('blockList (latest docs)', function()
    it("a blocked peer is closed at once: no 'connection', no 'drop'; the client sees connect, end, close", function()
      assert(net.BlockList, 'net.BlockList is missing')
      local log, c = H.log(), H.log()
      local list = net.BlockList()
      list:addAddress('127.0.0.1')
      local s = net.createServer({ blockList = list }, function() log('connection!?') end)
      s:on('drop', function() log('drop!?') end)
      log('blockList-kept:' .. tostring(s.blockList == list))
      H.listen(s, function(port)
        local cl = net.connect(port, '127.0.0.1')
        for _, ev in ipairs({ 'connect', 'end', 'error', 'close' }) do
          cl:on(ev, function(x) c(ev .. (x == nil and '' or ':' .. tostring(type(x) == 'table' and x.code or x))) end)
        end
        cl:resume()
        cl:on('close', function()
          s:getConnections(function(_, n) log('connections:' .. tostring(n)); s:close() end)
        end)
      end)
      H.run(3000)
      assert.same({ 'blockList-kept:true', 'connections:0' }, log.events)
      assert.same({ 'connect', 'end', 'close:false' }, c.events)
    end)

    it('a subnet rule blocks 127.0.0.1 (as ::ffff:127.0.0.1 on a dual-stack server too); ::1 gets through',
      function()
        assert(net.BlockList, 'net.BlockList is missing')
        local log, v4 = H.log(), H.log()
        local list = net.BlockList()
        list:addSubnet('127.0.0.0', 8)
        local s = net.createServer({ blockList = list }, function(c)
          log('connection:' .. tostring(c.remoteAddress))
          c:end_('ok')
        end)
        s:listen(0, function()
          local port = s:address().port
          local got = {}
          local left = 2
          local function done() left = left - 1; if left == 0 then s:close() end end
          local c6 = net.connect(port, '::1')
          c6:on('data', function(d) got[#got + 1] = d end)
          c6:on('close', function() log('v6-got:' .. table.concat(got)); done() end)
          local c4 = net.connect(port, '127.0.0.1')
          c4:on('connect', function() v4('connect') end)
          c4:on('data', function(d) v4('data:' .. d) end)
          c4:on('end', function() v4('end') end)
          c4:on('error', function(e) v4('error:' .. tostring(e.code)) end)
          c4:on('close', function(had) v4('close:' .. tostring(had)); done() end)
        end)
        H.run(3000)
        -- Node's BlockList matches an IPv4 rule against an IPv4-mapped IPv6
        -- address (v20: check('::ffff:127.0.0.1', 'ipv6') is true for 127.0.0.0/8)
        assert.same({ 'connection:::1', 'v6-got:ok' }, log.events)
        assert.same({ 'connect', 'end', 'close:false' }, v4.events)
      end)

    it('a blockList that is not a net.BlockList raises ERR_INVALID_ARG_TYPE', function()
      local e = raises(net.createServer, { blockList = { x = 1 } })
      assert.equal('ERR_INVALID_ARG_TYPE', e.code)
      assert.equal('TypeError', e.name)
      assert.equal('The "options.blockList" property must be an instance of net.BlockList.'
        .. ' Received an instance of Object',
        e.message)
    end)
  end)

  describe('listen signal', function()
    it('abort() while listening closes the server at once; a second abort does nothing', function()
      local log = H.log()
      local ac = AbortController()
      local s = net.createServer()
      s:on('close', function()
        log('close')
        timers.setTimeout(function() ac:abort(); log('abort-again') end, 10)
      end)
      s:on('listening', function() log('listening') end)
      s:listen({ port = 0, host = '127.0.0.1', signal = ac.signal }, function()
        log('cb')
        ac:abort()
        log('after-abort:listening=' .. tostring(s.listening) .. ':address=' .. tostring(s:address()))
      end)
      H.run(2000)
      assert.same({ 'listening', 'cb', 'after-abort:listening=false:address=nil', 'close', 'abort-again' },
        log.events)
      assert.is_true(ac.signal.aborted)
    end)

    for _, case in ipairs({
      { 'no host', {}, 'sync:listening=true' },
      { 'a host (looked up first)', { host = '127.0.0.1' }, 'sync:listening=false' },
      { 'a path', { path = true }, 'sync:listening=true' },
    }) do
      it("an already aborted signal, " .. case[1] .. ": never 'listening', one 'close', nothing left open", function()
        local log = H.log()
        local ac = AbortController()
        ac:abort()
        local opts = { signal = ac.signal }
        local path
        if case[2].path then
          path = string.format('/tmp/net-spec-%s-sig.sock', io.open('/proc/self/stat'):read('l'):match('^%d+'))
          os.remove(path)
          opts.path = path
        else
          opts.port, opts.host = 0, case[2].host
        end
        local s = net.createServer()
        s:on('close', function() log('close') end)
        s:on('listening', function() log('listening!?') end)
        s:on('error', function(e) log('error:' .. tostring(e.code)) end)
        s:listen(opts, function() log('cb!?') end)
        log('sync:listening=' .. tostring(s.listening))
        timers.setTimeout(function()
          log('later:listening=' .. tostring(s.listening))
          if path then log('file:' .. tostring(io.open(path) ~= nil)) end
        end, 50)
        H.run(2000)
        if path then os.remove(path) end
        local want = { case[3], 'close', 'later:listening=false' }
        if path then want[4] = 'file:false' end
        assert.same(want, log.events)
      end)
    end

    it("abort() with a connection open: stops listening at once, 'close' once the connection ends", function()
      local log = H.log()
      local ac = AbortController()
      local client
      local s
      s = net.createServer(function(c)
        log('connection')
        c:on('end', function() log('conn-end') end)
        c:on('close', function() log('conn-close') end)
        ac:abort()
        log('aborted:listening=' .. tostring(s.listening))
        timers.setTimeout(function() log('client-ends'); client:end_() end, 30)
      end)
      s:on('close', function() log('close') end)
      s:listen({ port = 0, host = '127.0.0.1', signal = ac.signal }, function()
        client = net.connect(s:address().port, '127.0.0.1')
        client:resume()
      end)
      H.run(3000)
      assert.same({ 'connection', 'aborted:listening=false', 'client-ends', 'conn-end', 'close', 'conn-close' },
        log.events)
    end)

    it('a signal that is not an AbortSignal raises ERR_INVALID_ARG_TYPE', function()
      local s = net.createServer()
      for _, case in ipairs({ { { x = 1 }, 'an instance of Object' }, { 'x', "type string ('x')" } }) do
        local e = raises(s.listen, s, { port = 0, signal = case[1] })
        assert.equal('ERR_INVALID_ARG_TYPE', e.code)
        assert.equal('TypeError', e.name)
        assert.equal('The "options.signal" property must be an instance of AbortSignal. Received ' .. case[2],
          e.message)
      end
      assert.is_false(s.listening)
      H.run(1000)
    end)
  end)
end)
