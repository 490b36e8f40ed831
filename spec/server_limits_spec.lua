-- Connection limits and the server's life: maxConnections and 'drop',
-- dropMaxConnection, getConnections, ref/unref, `<close>`, and 5,000
-- connections at once. Checked against Node (`node spec/node/server_limits.js`);
-- maxConnections = 0 and dropMaxConnection follow the latest docs.
local net = require('net')
local timers = require('net.timers')
local H = require('spec.helper')

local raises = H.raises

local PID = io.open('/proc/self/stat'):read('l'):match('^%d+')

-- logs a client's connect/end/error/close into `log`
local function trace(c, log)
  c:on('connect', function() log('connect') end)
  c:on('end', function() log('end') end)
  c:on('error', function(e) log('error:' .. tostring(e.code)) end)
  c:on('close', function(had) log('close:' .. tostring(had)) end)
end

-- net.run() as a program runs it (no helper): `guard_ms` later an unref'd
-- timer calls `stop` if the loop is still going; returns whether it had to.
local function run_program(guard_ms, stop)
  local fired = false
  local guard = timers.setTimeout(function() fired = true; stop() end, guard_ms)
  guard:unref()
  local ok, err = pcall(net.run)
  timers.clearTimeout(guard)
  if not ok then
    stop()
    pcall(H.run, 1000)
    error(err, 0)
  end
  return fired
end

describe('server limits', function()
  describe('maxConnections', function()
    it("is nil by default; at the limit a connection is dropped with 'drop' and its addresses; then room again",
      function()
        local log, c2log = H.log(), H.log()
        local data, c2
        local s = net.createServer(function(c)
          log('connection')
          c:on('data', function(d) c:write(d) end)
        end)
        log('default:' .. tostring(s.maxConnections))
        s.maxConnections = 1
        log('set:' .. tostring(s.maxConnections))
        local port_ok, remote_ok
        s:on('drop', function(d)
          data = d
          port_ok = d.localPort == s:address().port
          remote_ok = d.remotePort == c2.localPort
          s:getConnections(function(_, n) log('connections-at-drop:' .. tostring(n)) end)
        end)
        H.listen(s, function(port)
          local c1
          c1 = net.connect(port, '127.0.0.1', function()
            c2 = net.connect(port, '127.0.0.1')
            trace(c2, c2log)
            c2:resume()
            c2:on('close', function()
              c1:write('still-served')
              c1:once('data', function(d)
                log('c1-got:' .. d)
                c1:end_()
                c1:on('close', function()
                  timers.setTimeout(function()
                    local c3
                    c3 = net.connect(port, '127.0.0.1', function() log('c3-connected'); c3:end_() end)
                    c3:resume()
                    c3:on('close', function() s:close() end)
                  end, 20)
                end)
              end)
            end)
          end)
        end)
        H.run(3000)
        assert.same({
          'default:nil', 'set:1', 'connection', 'connections-at-drop:1', 'c1-got:still-served',
          'connection', 'c3-connected',
        }, log.events)
        assert.same({ 'connect', 'end', 'close:false' }, c2log.events)
        assert.equal('table', type(data))
        local keys = {}
        for k in pairs(data) do keys[#keys + 1] = k end
        table.sort(keys)
        assert.same({ 'localAddress', 'localFamily', 'localPort', 'remoteAddress', 'remoteFamily', 'remotePort' }, keys)
        assert.same({ '127.0.0.1', 'IPv4', '127.0.0.1', 'IPv4' },
          { data.localAddress, data.localFamily, data.remoteAddress, data.remoteFamily })
        assert.is_true(port_ok, 'localPort is the server port')
        assert.is_true(remote_ok, "remotePort is the dropped client's localPort")
        assert.equal('integer', math.type(data.localPort))
        assert.equal('integer', math.type(data.remotePort))
      end)

    it("'drop' data on IPv6 says IPv6", function()
      local data
      local held
      local s = net.createServer(function(c) held = c end)
      s.maxConnections = 1
      s:on('drop', function(d) data = d end)
      s:listen(0, '::1', function()
        local port = s:address().port
        local c1
        c1 = net.connect(port, '::1', function()
          local c2 = net.connect(port, '::1')
          c2:resume()
          c2:on('close', function() c1:destroy(); held:destroy(); s:close() end)
        end)
      end)
      H.run(3000)
      assert.same({ '::1', 'IPv6', '::1', 'IPv6' },
        { data.localAddress, data.localFamily, data.remoteAddress, data.remoteFamily })
    end)

    it("a pipe server's 'drop' has no data; the dropped client sees connect, end, close", function()
      local p = string.format('/tmp/net-spec-%s-limits.sock', PID)
      os.remove(p)
      finally(function() os.remove(p) end)
      local log, c2log = H.log(), H.log()
      local held
      local s = net.createServer(function(c) held = c end)
      s.maxConnections = 1
      s:on('drop', function(d) log('drop:' .. tostring(d)) end)
      s:listen(p, function()
        local c1
        c1 = net.connect(p, function()
          local c2 = net.connect(p)
          trace(c2, c2log)
          c2:resume()
          c2:on('close', function() c1:destroy(); held:destroy(); s:close() end)
        end)
      end)
      H.run(3000)
      assert.same({ 'drop:nil' }, log.events)
      assert.same({ 'connect', 'end', 'close:false' }, c2log.events)
    end)

    -- latest docs (v21+): 0 drops every connection; Node v20 took 0 as no limit
    it("maxConnections = 0 (latest docs) drops every connection: no 'connection', one 'drop'", function()
      local log, clog = H.log(), H.log()
      local s = net.createServer(function(c) log('connection!?'); c:end_() end)
      s.maxConnections = 0
      s:on('drop', function() log('drop') end)
      H.listen(s, function(port)
        local c = net.connect(port, '127.0.0.1')
        trace(c, clog)
        c:resume()
        c:on('close', function() s:close() end)
      end)
      H.run(3000)
      assert.same({ 'drop' }, log.events)
      assert.same({ 'connect', 'end', 'close:false' }, clog.events)
    end)

    it('lowering maxConnections below the count keeps the connections already there; new ones are dropped',
      function()
        local log = H.log()
        local held = {}
        local s = net.createServer(function(c)
          held[#held + 1] = c
          c:on('data', function(d) c:write('echo:' .. d) end)
        end)
        s.maxConnections = 3
        s:on('drop', function() log('drop') end)
        H.listen(s, function(port)
          local cs, connected = {}, 0
          for i = 1, 2 do
            cs[i] = net.connect(port, '127.0.0.1', function()
              connected = connected + 1
              if connected < 2 then return end
              timers.setTimeout(function()
                s.maxConnections = 1
                log('lowered')
                local c3 = net.connect(port, '127.0.0.1')
                c3:on('error', function() end)
                c3:resume()
                c3:on('close', function()
                  local got = 0
                  for _, c in ipairs(cs) do
                    c:write('x')
                    c:once('data', function(d)
                      log('kept:' .. d)
                      got = got + 1
                      if got == 2 then
                        s:getConnections(function(_, n)
                          log('connections:' .. tostring(n))
                          for _, k in ipairs(cs) do k:destroy() end
                          for _, h in ipairs(held) do h:destroy() end
                          s:close()
                        end)
                      end
                    end)
                  end
                end)
              end, 20)
            end)
          end
        end)
        H.run(3000)
        assert.same({ 'lowered', 'drop', 'kept:echo:x', 'kept:echo:x', 'connections:2' }, log.events)
      end)

    -- latest docs: dropMaxConnection "is only effective in cluster mode"; outside
    -- a cluster the connection over the limit is closed either way and the
    -- oldest connection is not touched
    it('dropMaxConnection (latest docs): settable, no effect outside a cluster; the oldest connection is kept',
      function()
        local log = H.log()
        local held
        local s = net.createServer(function(c)
          held = c
          c:on('data', function(d) c:write(d) end)
        end)
        s.maxConnections = 1
        s.dropMaxConnection = true
        log('set:' .. tostring(s.dropMaxConnection))
        s:on('drop', function() log('drop') end)
        H.listen(s, function(port)
          local c1
          c1 = net.connect(port, '127.0.0.1', function()
            local c2 = net.connect(port, '127.0.0.1')
            c2:on('error', function() end)
            c2:resume()
            c2:on('close', function()
              c1:write('oldest-kept')
              c1:once('data', function(d)
                log('c1-got:' .. d)
                c1:destroy()
                held:destroy()
                s:close()
              end)
            end)
          end)
        end)
        H.run(3000)
        assert.same({ 'set:true', 'drop', 'c1-got:oldest-kept' }, log.events)
      end)
  end)

  describe('getConnections', function()
    it('calls back later with (nil, count): 0 when not listening, then each accepted socket until it closes',
      function()
        local log = H.log()
        local idle = net.createServer()
        idle:getConnections(function(e, n) log('not-listening:' .. tostring(e) .. ':' .. tostring(n)) end)
        local s
        s = net.createServer(function(c)
          s:getConnections(function(_, n) log('in-connection:' .. tostring(n)) end)
          c:on('close', function()
            s:getConnections(function(_, n) log('after-close:' .. tostring(n)); s:close() end)
          end)
          c:end_()
        end)
        local r = s:getConnections(function(e, n)
          log('cb:' .. tostring(e) .. ':' .. tostring(n) .. ':' .. tostring(math.type(n)))
        end)
        log('after-call')
        log('returns-server:' .. tostring(r == s))
        H.listen(s, function(port) net.connect(port, '127.0.0.1'):resume() end)
        H.run(3000)
        assert.same({
          'after-call', 'returns-server:true', 'not-listening:nil:0', 'cb:nil:0:integer', 'in-connection:1',
          'after-close:0',
        }, log.events)
      end)

    it('without a function: ERR_INVALID_ARG_TYPE for "callback", as Node', function()
      local s = net.createServer()
      local e = raises(s.getConnections, s)
      assert.equal('ERR_INVALID_ARG_TYPE', e.code)
      assert.equal('TypeError', e.name)
      assert.equal('The "callback" argument must be of type function. Received undefined', e.message)
      e = raises(s.getConnections, s, 5)
      assert.equal('The "callback" argument must be of type function. Received type number (5)', e.message)
      H.run(1000)
    end)
  end)

  describe('ref and unref', function()
    it('unref() on a listening server lets net.run() return; the server still listens; it returns the server',
      function()
        local log = H.log()
        local s = net.createServer()
        s:listen(0, '127.0.0.1', function()
          log('listening')
          log('returns:' .. tostring(s:unref() == s))
        end)
        local guard = run_program(1500, function() s:close() end)
        log('listening-after-run:' .. tostring(s.listening))
        s:close()
        H.run(1000)
        assert.is_false(guard, 'the loop kept running: unref() had no effect')
        assert.same({ 'listening', 'returns:true', 'listening-after-run:true' }, log.events)
      end)

    it('unref() before listen() holds once listening', function()
      local log = H.log()
      local s = net.createServer()
      s:unref()
      s:listen(0, '127.0.0.1', function() log('listening') end)
      local guard = run_program(1500, function() s:close() end)
      log('listening-after-run:' .. tostring(s.listening))
      s:close()
      H.run(1000)
      assert.is_false(guard, 'the loop kept running: unref() before listen() was lost')
      assert.same({ 'listening', 'listening-after-run:true' }, log.events)
    end)

    it('ref() after unref() keeps the loop running until an unref-ed timer closes the server', function()
      local log = H.log()
      local s = net.createServer()
      s:unref()
      log('ref-returns:' .. tostring(s:ref() == s))
      s:listen(0, '127.0.0.1', function() log('listening') end)
      local t = timers.setTimeout(function() log('timer-closes'); s:close() end, 100)
      t:unref()
      local guard = run_program(1500, function() s:close() end)
      timers.clearTimeout(t)
      s:close()
      H.run(1000)
      assert.is_false(guard)
      assert.same({ 'ref-returns:true', 'listening', 'timer-closes' }, log.events)
    end)

    it('an unref-ed server still waits for its accepted connections, which hold the loop', function()
      local log = H.log()
      local client
      local s = net.createServer(function(c)
        log('connection')
        timers.setTimeout(function() log('conn-ends'); c:end_() end, 100):unref()
        c:on('close', function() log('conn-close') end)
      end)
      s:listen(0, '127.0.0.1', function()
        s:unref()
        client = net.connect(s:address().port, '127.0.0.1')
        client:resume()
        client:unref()
      end)
      local guard = run_program(1500, function() if client then client:destroy() end; s:close() end)
      s:close()
      H.run(1000)
      assert.is_false(guard)
      assert.same({ 'connection', 'conn-ends', 'conn-close' }, log.events)
    end)
  end)

  describe('<close>', function()
    it('a listening server is closed at the end of the scope', function()
      local log = H.log()
      local s = net.createServer()
      s:on('close', function() log('close-event') end)
      H.listen(s, function()
        do
          local srv <close> = s
          log('in-scope:listening=' .. tostring(srv.listening))
        end
        log('after-scope:listening=' .. tostring(s.listening) .. ':address=' .. tostring(s:address()))
      end)
      H.run(2000)
      assert.same({ 'in-scope:listening=true', 'after-scope:listening=false:address=nil', 'close-event' }, log.events)
    end)

    it("local srv <close> = net.createServer(); srv:listen(0): closed at scope end, before 'listening'", function()
      local log = H.log()
      local captured
      do
        local srv <close> = net.createServer()
        srv:on('listening', function() log('listening!?') end)
        srv:on('close', function() log('close-event') end)
        srv:listen(0) -- no host: bound at once
        captured = srv
        log('in-scope:listening=' .. tostring(srv.listening))
      end
      log('after-scope:listening=' .. tostring(captured.listening))
      H.run(2000)
      assert.same({ 'in-scope:listening=true', 'after-scope:listening=false', 'close-event' }, log.events)
    end)

    it("a server that never listened: nothing happens, no 'close' (Node's asyncDispose returns at once)", function()
      local log = H.log()
      do
        local srv <close> = net.createServer()
        srv:on('close', function() log('close-event!?') end)
      end
      H.run(1000)
      assert.same({}, log.events)
    end)

    it('leaving the scope by an error closes the server too', function()
      local log = H.log()
      local s = net.createServer()
      s:on('close', function() log('close-event') end)
      H.listen(s, function()
        local ok, err = pcall(function()
          local srv <close> = s -- luacheck: no unused
          error('boom', 0)
        end)
        log('pcall:' .. tostring(ok) .. ':' .. tostring(err) .. ':listening=' .. tostring(s.listening))
      end)
      H.run(2000)
      assert.same({ 'pcall:false:boom:listening=false', 'close-event' }, log.events)
    end)

    it("with a connection open: stops listening at scope end; 'close' once the connection ends", function()
      local log = H.log()
      local s
      s = net.createServer(function(c)
        log('connection')
        c:on('close', function() log('conn-close') end)
        do
          local srv <close> = s -- luacheck: no unused
        end
        log('disposed:listening=' .. tostring(s.listening))
        timers.setTimeout(function() c:end_() end, 30)
      end)
      s:on('close', function() log('close') end)
      H.listen(s, function(port) net.connect(port, '127.0.0.1'):resume() end)
      H.run(3000)
      assert.same({ 'connection', 'disposed:listening=false', 'close', 'conn-close' }, log.events)
    end)
  end)

  it('5,000 concurrent connections: a message each way on every one, all closed, getConnections back to 0',
    function()
      local N, WINDOW = 5000, 500
      -- every connection is two fds here (client and server side)
      local need = 2 * N + 100
      local f = assert(io.open('/proc/self/limits'))
      local soft = f:read('a'):match('Max open files%s+(%d+)')
      f:close()
      assert(tonumber(soft) >= need, string.format(
        'this spec needs RLIMIT_NOFILE >= %d, the process has %s: raise `ulimit -n` before running '
        .. '(Lua cannot call setrlimit; core support for it is needed)', need, soft))

      local started, answered, bad, closed_early = 0, 0, 0, 0
      local server_closed = 0
      local at_peak, after
      local clients = {}
      local s
      s = net.createServer(function(c)
        local buf = ''
        c:on('data', function(d)
          buf = buf .. d
          local i = buf:find('\n', 1, true)
          if i then c:write('pong:' .. buf:sub(6, i - 1) .. '\n') end
        end)
        c:on('close', function()
          server_closed = server_closed + 1
          if server_closed == N then
            s:getConnections(function(_, n) after = n; s:close() end)
          end
        end)
      end)
      local function one(port)
        started = started + 1
        local i = started
        local buf = ''
        local c
        c = net.connect(port, '127.0.0.1', function() c:write('ping:' .. i .. '\n') end)
        clients[#clients + 1] = c
        c:on('data', function(d)
          buf = buf .. d
          if buf:sub(-1) ~= '\n' then return end
          if buf ~= 'pong:' .. i .. '\n' then bad = bad + 1 end
          if started < N then one(port) end
          answered = answered + 1
          if answered == N then
            s:getConnections(function(_, n)
              at_peak = n
              for _, k in ipairs(clients) do k:end_() end
            end)
          end
        end)
        c:on('error', function() end)
        c:on('close', function() if answered < N then closed_early = closed_early + 1 end end)
      end
      H.listen(s, function(port)
        for _ = 1, WINDOW do one(port) end
      end)
      H.run(30000)
      assert.equal(N, started)
      assert.equal(N, answered)
      assert.equal(0, bad)
      assert.equal(0, closed_early, 'connections closed before all were open at once')
      assert.equal(N, at_peak)
      assert.equal(N, server_closed)
      assert.equal(0, after)
      assert.is_false(s.listening)
    end)
end)
