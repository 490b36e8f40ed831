-- net.promises (API.md, "Sequential style: coroutines"): tasks, waiting
-- and its rules, netp.once and netp.sleep (as Node's events.once and
-- timers/promises: spec/node/promises.js), netp.connect, netp.listen,
-- server:incoming() and server:accept(), many tasks at once. Reading and
-- writing: promises_receive_spec.lua, promises_send_spec.lua.
local net = require('net')
local netp = require('net.promises')
local core = require('net.core')
local timers = require('net.timers')
local H = require('spec.helper')

local function task(fn, ms)
  netp.spawn(fn)
  H.run(ms or 3000)
end

local function listen(opts)
  local o = { port = 0, host = '127.0.0.1' }
  for k, v in pairs(opts or {}) do o[k] = v end
  return assert(netp.listen(o))
end

-- a lookup that never answers: a connect that can only time out or abort
local function silent_lookup() end

describe('net.promises', function()
  it("is require('net.promises') and net.promises", function()
    assert.equal(netp, net.promises)
    for _, name in ipairs({ 'spawn', 'connect', 'listen', 'once', 'sleep' }) do
      assert.equal('function', type(netp[name]), name)
    end
    for _, name in ipairs({ 'receive', 'lines', 'send' }) do
      assert.equal('function', type(net.Socket.prototype[name]), name)
    end
    for _, name in ipairs({ 'incoming', 'accept' }) do
      assert.equal('function', type(net.Server.prototype[name]), name)
    end
  end)
end)

describe('netp.spawn', function()
  it('runs the function at once, with its arguments, until it first waits; returns the coroutine', function()
    local log = H.log()
    local co = netp.spawn(function(a, b)
      log('start:' .. a .. b)
      netp.sleep(1)
      log('after sleep')
    end, 'x', 'y')
    log('spawned:' .. coroutine.status(co))
    assert.equal('thread', type(co))
    H.run(2000)
    assert.same({ 'start:xy', 'spawned:suspended', 'after sleep' }, log.events)
    assert.equal('dead', coroutine.status(co))
  end)

  it('spawned from a task, the new task runs at once inside it until it waits', function()
    local log = H.log()
    task(function()
      log('outer')
      netp.spawn(function()
        log('inner')
        netp.sleep(5)
        log('inner done')
      end)
      log('outer again')
      netp.sleep(10)
      log('outer done')
    end)
    assert.same({ 'outer', 'inner', 'outer again', 'inner done', 'outer done' }, log.events)
  end)

  it('raises ERR_INVALID_ARG_TYPE for what is not a function', function()
    local err = H.raises(netp.spawn, 'nope')
    assert.equal('ERR_INVALID_ARG_TYPE', err.code)
  end)

  it("an error escaping a task leaves net.run() with the task's traceback", function()
    local function deep() error('task broke') end
    local co = netp.spawn(function()
      netp.sleep(1)
      deep()
    end)
    local ok, err = pcall(net.run)
    assert.is_false(ok)
    assert.equal('string', type(err))
    assert.is_truthy(err:find('task broke', 1, true))
    -- the task's frames: where it broke, and the function of the task
    assert.is_truthy(err:find("in upvalue 'deep'", 1, true) or err:find("in local 'deep'", 1, true), err)
    local _, tracebacks = err:gsub('stack traceback:', '')
    assert.equal(1, tracebacks)
    assert.equal('dead', coroutine.status(co))
    core.closeAll()
    H.run(1000)
  end)

  it('an error value escaping a task leaves net.run() as that very value, its stack set', function()
    local value = net.Error('mine', { code = 'EMINE' })
    netp.spawn(function()
      netp.sleep(1)
      error(value)
    end)
    local ok, err = pcall(net.run)
    assert.is_false(ok)
    assert.equal(value, err)
    assert.equal('string', type(err.stack))
    H.run(1000)
  end)

  it('spawn never raises the error of a task that fails at once: the next net.run() does', function()
    local co = netp.spawn(function() error('at once') end)
    assert.equal('dead', coroutine.status(co))
    local ok, err = pcall(net.run)
    assert.is_false(ok)
    assert.is_truthy(err:find('at once', 1, true))
    H.run(1000)
  end)

  it("a failed task's to-be-closed variables are closed (its socket is destroyed)", function()
    local sock
    netp.spawn(function()
      local server = listen()
      local c <close> = assert(netp.connect(server:address().port, '127.0.0.1'))
      sock = c
      local s = server:accept()
      server:close()
      s:destroy()
      error('after connecting')
    end)
    local ok = pcall(net.run)
    assert.is_false(ok)
    assert.is_true(sock.destroyed)
    H.run(2000)
  end)
end)

describe('waiting', function()
  it('raises ERR_INVALID_STATE on the main thread, for every waiting call', function()
    local server = net.createServer()
    local sock = net.Socket()
    local calls = {
      function() netp.sleep(1) end,
      function() netp.once(server, 'listening') end,
      function() netp.connect(9, '127.0.0.1') end,
      function() netp.listen({ port = 0 }) end,
      function() server:accept() end,
      function() server:incoming()() end,
      function() sock:receive() end,
      function() sock:receive(4) end,
      function() sock:lines()() end,
      function() sock:send('x') end,
    }
    for i, call in ipairs(calls) do
      local err = H.raises(call)
      assert.equal('ERR_INVALID_STATE', err.code, 'call ' .. i)
    end
    assert.is_false(server.listening)
    H.run(1000)
  end)

  it('raises ERR_INVALID_STATE in a coroutine that cannot yield (inside a C function)', function()
    local err
    task(function()
      local ok, e = pcall(string.gsub, 'x', 'x', function() netp.sleep(1) end)
      assert.is_false(ok)
      err = e
    end)
    assert.equal('ERR_INVALID_STATE', err.code)
  end)

  it('works in a coroutine the program resumes itself: the wait returns to its resumer, the loop goes on',
    function()
    local log = H.log()
    local co = coroutine.create(function()
      log('before')
      netp.sleep(5)
      log('after')
      return 'finished'
    end)
    local ok, extra = coroutine.resume(co)
    log('resume returned:' .. tostring(ok) .. ':' .. tostring(extra))
    -- resuming it again while it waits is not an answer
    coroutine.resume(co)
    log('status:' .. coroutine.status(co))
    H.run(2000)
    assert.same({ 'before', 'resume returned:true:nil', 'status:suspended', 'after' }, log.events)
  end)

  it('a waiting coroutine closed by its owner is not resumed (no error when its answer comes)', function()
    local log = H.log()
    local co = coroutine.create(function()
      netp.sleep(5)
      log('resumed')
    end)
    coroutine.resume(co)
    assert.is_true(coroutine.close(co))
    H.run(2000)
    assert.same({}, log.events)
  end)
end)

describe('netp.sleep', function()
  it('waits ms milliseconds; tasks wake in the order of their delays', function()
    local log = H.log()
    local t0 = core.now()
    local took
    for _, ms in ipairs({ 30, 10, 20 }) do
      netp.spawn(function()
        netp.sleep(ms)
        log(ms)
        if ms == 30 then took = core.now() - t0 end
      end)
    end
    H.run(2000)
    assert.same({ 10, 20, 30 }, log.events)
    assert.is_true(took >= 29, 'took ' .. took)
  end)

  it('returns nothing; a delay that is not a number is 1 ms (as timers)', function()
    local got
    task(function()
      got = table.pack(netp.sleep(1))
      netp.sleep('soon')
      netp.sleep(nil)
      netp.sleep(-5)
    end)
    assert.equal(0, got.n)
  end)
end)

describe('netp.once', function()
  it("gives the event's arguments (a table with n) and runs after the code that emitted", function()
    local log = H.log()
    local e = net.EventEmitter()
    local args
    task(function()
      timers.setImmediate(function()
        e:emit('x', 1, nil, 3)
        log('after emit')
      end)
      args = netp.once(e, 'x')
      log('resumed')
    end)
    -- node spec/node/promises.js: args [1,null,3] 3 order after emit,resumed
    assert.same({ 1, nil, 3, n = 3 }, args)
    assert.same({ 'after emit', 'resumed' }, log.events)
    assert.equal(0, e:listenerCount('x'))
    assert.equal(0, e:listenerCount('error'))
  end)

  it("nil, err if 'error' comes first (listeners removed); waiting for 'error' gives its arguments", function()
    local e = net.EventEmitter()
    local first, second
    task(function()
      timers.setImmediate(function() e:emit('error', net.Error('bad')) end)
      first = { netp.once(e, 'x') }
      timers.setImmediate(function() e:emit('error', net.Error('boom')) end)
      second = netp.once(e, 'error')
    end)
    -- node: rejected bad 0 0 / error event boom
    assert.is_nil(first[1])
    assert.equal('bad', first[2].message)
    assert.equal('boom', second[1].message)
    assert.equal(0, e:listenerCount('x'))
    assert.equal(0, e:listenerCount('error'))
  end)

  it("works on sockets and servers (their events, e.g. 'close')", function()
    local got
    task(function()
      local server = listen()
      local c = assert(netp.connect(server:address().port, '127.0.0.1'))
      local s = server:accept()
      server:close()
      s:destroy()
      got = netp.once(c, 'end')
      netp.once(c, 'close')
    end)
    assert.same({ n = 0 }, got)
  end)

  it('raises ERR_INVALID_ARG_TYPE for what is not an emitter', function()
    local err
    task(function() err = H.raises(netp.once, {}, 'x') end)
    -- node: bad emitter ERR_INVALID_ARG_TYPE
    assert.equal('ERR_INVALID_ARG_TYPE', err.code)
  end)

  it('a task waiting on an emitter that becomes garbage is garbage too', function()
    local weak = setmetatable({}, { __mode = 'k' })
    do
      local sock = net.Socket()
      local co = netp.spawn(function() netp.once(sock, 'never') end)
      weak[co] = true
      weak[sock] = true
      sock:destroy()
    end
    H.run(1000)
    collectgarbage()
    collectgarbage()
    assert.is_nil(next(weak))
  end)

  it('a task abandoned while it waits on a socket it alone knows leaks nothing', function()
    local weak = setmetatable({}, { __mode = 'k' })
    netp.spawn(function()
      local server = listen()
      local c = assert(netp.connect(server:address().port, '127.0.0.1'))
      local s = server:accept()
      server:close()
      netp.spawn(function()
        local t = coroutine.running()
        weak[t] = true
        netp.once(c, 'never')
      end)
      weak[c] = true
      c:destroy()
      s:destroy()
    end)
    H.run(2000)
    collectgarbage()
    collectgarbage()
    assert.is_nil(next(weak))
  end)
end)

describe('netp.connect', function()
  it('waits for the connection and returns the socket (options, or port and host)', function()
    local a, b
    task(function()
      local server = listen({ connectionListener = function(s) s:end_() end })
      local port = server:address().port
      a = assert(netp.connect({ port = port, host = '127.0.0.1' }))
      b = assert(netp.connect(port, '127.0.0.1'))
      assert.is_false(a.connecting)
      assert.equal(port, a.remotePort)
      assert.equal(port, b.remotePort)
      a:destroy()
      b:destroy()
      server:close()
    end)
    assert.is_true(a.destroyed)
  end)

  it('a refused connection: nil and the error; the socket is destroyed', function()
    local got
    task(function()
      local server = listen()
      local port = server:address().port
      server:close()
      netp.once(server, 'close')
      got = { netp.connect(port, '127.0.0.1') }
    end)
    assert.is_nil(got[1])
    assert.equal('ECONNREFUSED', got[2].code)
    assert.equal('connect', got[2].syscall)
  end)

  it("with timeout, a lookup that never answers: nil, 'timeout' after the time; the socket destroyed", function()
    local got, took, sock
    task(function()
      local t0 = core.now()
      local orig = net.createConnection
      net.createConnection = function(...)
        sock = orig(...)
        return sock
      end
      got = { netp.connect({ port = 80, host = 'never.example', lookup = silent_lookup, timeout = 60 }) }
      net.createConnection = orig
      took = core.now() - t0
    end)
    assert.same({ nil, 'timeout' }, got)
    assert.is_true(took >= 55, 'took ' .. took)
    assert.is_true(sock.destroyed)
  end)

  it('with timeout, bounds the attempts after the lookup too (a peer that never answers the SYN)', function()
    -- a listening socket that never accepts, its accept queue full: the
    -- kernel drops further SYNs, so a connect attempt hangs
    local socket = require('socket')
    local raw = assert(socket.tcp())
    assert(raw:bind('127.0.0.1', 0))
    assert(raw:listen(0))
    local _, port = raw:getsockname()
    local fillers = {}
    local got, took
    task(function()
      for i = 1, 4 do
        fillers[i] = net.connect(port, '127.0.0.1')
        fillers[i]:on('error', function() end)
      end
      netp.sleep(50)
      local t0 = core.now()
      got = { netp.connect({ port = port, host = '127.0.0.1', timeout = 100 }) }
      took = core.now() - t0
      for _, f in ipairs(fillers) do f:destroy() end
    end, 5000)
    raw:close()
    assert.same({ nil, 'timeout' }, got)
    assert.is_true(took >= 95, 'took ' .. took)
  end)

  it('a signal aborts it: nil and the AbortError (aborted during the lookup, or before)', function()
    local during, before
    task(function()
      local ac = net.AbortController()
      timers.setTimeout(function() ac:abort() end, 20)
      during = { netp.connect({ port = 80, host = 'never.example', lookup = silent_lookup, signal = ac.signal }) }
      local server = listen()
      before = { netp.connect({ port = server:address().port, host = '127.0.0.1',
        signal = net.AbortSignal.abort() }) }
      server:close()
    end)
    assert.is_nil(during[1])
    assert.equal('AbortError', during[2].name)
    assert.equal('ABORT_ERR', during[2].code)
    assert.is_nil(before[1])
    assert.equal('ABORT_ERR', before[2].code)
  end)

  it('a failed lookup: nil and its error', function()
    local got
    task(function()
      got = { netp.connect({ port = 80, host = 'nowhere.invalid', lookup = function(_, _, cb)
        cb(net.Error('getaddrinfo ENOTFOUND nowhere.invalid', { code = 'ENOTFOUND' }))
      end }) }
    end)
    assert.is_nil(got[1])
    assert.equal('ENOTFOUND', got[2].code)
  end)

  it('bad arguments raise at once', function()
    local errs = {}
    task(function()
      errs[1] = H.raises(netp.connect, { port = -1 })
      errs[2] = H.raises(netp.connect, { port = 80, timeout = 'soon' })
    end)
    assert.equal('ERR_SOCKET_BAD_PORT', errs[1].code)
    assert.equal('ERR_INVALID_ARG_TYPE', errs[2].code)
  end)
end)

describe('netp.listen', function()
  it('waits for listening and returns the server; connectionListener gets connections', function()
    local log = H.log()
    task(function()
      local server = listen({ connectionListener = function(s)
        log('connection')
        s:end_('hi\n')
      end })
      log('listening:' .. tostring(server.listening))
      local c = assert(netp.connect(server:address().port, '127.0.0.1'))
      log(c:receive())
      c:destroy()
      server:close()
    end)
    assert.same({ 'listening:true', 'connection', 'hi' }, log.events)
  end)

  it('listens on a Unix socket path; connect takes the path', function()
    local path = string.format('/tmp/net-promises-%d.sock', math.random(1, 1e9))
    local got
    task(function()
      local server = assert(netp.listen({ path = path }))
      assert.equal(path, server:address())
      local c = assert(netp.connect(path))
      local s = assert(server:accept())
      server:close()
      c:send('over a pipe\n')
      got = s:receive()
      c:destroy()
      s:destroy()
    end)
    assert.equal('over a pipe', got)
  end)

  it('with a connectionListener, connections are queued for accept only from its first call', function()
    local log = H.log()
    task(function()
      local server = listen({ connectionListener = function() log('listener') end })
      local early = assert(netp.connect(server:address().port, '127.0.0.1'))
      netp.sleep(20)
      local accepted_port
      netp.spawn(function()
        local s = server:accept()
        log('accepted')
        accepted_port = s.remotePort
        s:destroy()
      end)
      local late = assert(netp.connect(server:address().port, '127.0.0.1'))
      local late_port = late.localPort
      netp.sleep(20)
      -- the one accept() got is the connection made after it was called
      log(accepted_port == late_port and 'the late one' or 'the early one')
      server:close()
      early:destroy()
      late:destroy()
    end)
    assert.same({ 'listener', 'listener', 'accepted', 'the late one' }, log.events)
  end)

  it('takes no options: a random port on every address', function()
    local port
    task(function()
      local server = assert(netp.listen())
      port = server:address().port
      server:close()
    end)
    assert.is_true(port > 0)
  end)

  it('a port in use: nil and the error (EADDRINUSE); the server is closed', function()
    local got
    task(function()
      local first = listen()
      got = { netp.listen({ port = first:address().port, host = '127.0.0.1' }) }
      first:close()
    end)
    assert.is_nil(got[1])
    assert.equal('EADDRINUSE', got[2].code)
    assert.equal('listen', got[2].syscall)
  end)

  it('a signal aborted before listening: nil and the AbortError; aborted later, the server closes', function()
    local before, later_listening, closed
    task(function()
      before = { netp.listen({ port = 0, host = '127.0.0.1', signal = net.AbortSignal.abort() }) }
      local ac = net.AbortController()
      local mid = { netp.listen({ port = 0, host = '127.0.0.1', signal = ac.signal }) }
      local server = assert(mid[1])
      later_listening = server.listening
      ac:abort()
      netp.once(server, 'close')
      closed = not server.listening
    end)
    assert.is_nil(before[1])
    assert.equal('ABORT_ERR', before[2].code)
    assert.is_true(later_listening)
    assert.is_true(closed)
  end)

  it('a signal aborted while the lookup is under way: nil and the AbortError', function()
    local got
    task(function()
      local ac = net.AbortController()
      -- after listen() started its lookup, before it can answer
      core.nextTick(function()
        assert.is_false(ac.signal.aborted)
        ac:abort()
      end)
      got = { netp.listen({ port = 0, host = 'localhost', signal = ac.signal }) }
    end)
    assert.is_nil(got[1])
    assert.equal('ABORT_ERR', got[2].code)
  end)

  it('bad options raise at once', function()
    local errs = {}
    task(function()
      errs[1] = H.raises(netp.listen, 'x')
      errs[2] = H.raises(netp.listen, { port = -5 })
      errs[3] = H.raises(netp.listen, { port = 0, connectionListener = 5 })
      errs[4] = H.raises(netp.listen, { port = 0, signal = 'x' })
    end)
    assert.equal('ERR_INVALID_ARG_TYPE', errs[1].code)
    assert.equal('ERR_SOCKET_BAD_PORT', errs[2].code)
    assert.equal('ERR_INVALID_ARG_TYPE', errs[3].code)
    assert.equal('ERR_INVALID_ARG_TYPE', errs[4].code)
  end)
end)

describe('server:incoming and server:accept', function()
  it("incoming yields each connection ('connection' listeners see it too); ends once closed and drained",
    function()
    local log = H.log()
    task(function()
      local server = listen()
      server:on('connection', function() log('listener') end)
      local port = server:address().port
      local clients = {}
      for i = 1, 3 do clients[i] = assert(netp.connect(port, '127.0.0.1')) end
      netp.sleep(20)
      -- three are queued; close, then the loop still gets all three
      server:close()
      for sock in server:incoming() do
        log('socket:' .. tostring(sock.remotePort ~= nil))
        sock:destroy()
      end
      log('loop ended')
      for _, c in ipairs(clients) do c:destroy() end
    end)
    assert.same({ 'listener', 'listener', 'listener', 'socket:true', 'socket:true', 'socket:true',
      'loop ended' }, log.events)
  end)

  it("accept: the next socket; nil, 'closed' once the server stopped listening; acceptors take turns",
    function()
    local got = {}
    task(function()
      local server = listen()
      local port = server:address().port
      for i = 1, 2 do
        netp.spawn(function()
          local s = server:accept()
          got[#got + 1] = 'acceptor ' .. i .. ':' .. tostring(s ~= nil)
          s:destroy()
        end)
      end
      local a = assert(netp.connect(port, '127.0.0.1'))
      local b = assert(netp.connect(port, '127.0.0.1'))
      netp.sleep(20)
      server:close()
      got[#got + 1] = { server:accept() }
      a:destroy()
      b:destroy()
    end)
    table.sort(got, function(x, y) return tostring(x) < tostring(y) end)
    assert.equal(3, #got)
    local strings = {}
    for _, v in ipairs(got) do if type(v) == 'string' then strings[#strings + 1] = v end end
    table.sort(strings)
    assert.same({ 'acceptor 1:true', 'acceptor 2:true' }, strings)
    for _, v in ipairs(got) do
      if type(v) == 'table' then assert.same({ nil, 'closed' }, v) end
    end
  end)

  it('close() ends a wait in accept at once', function()
    local got
    task(function()
      local server = listen()
      netp.spawn(function()
        netp.sleep(10)
        server:close()
      end)
      got = { server:accept() }
    end)
    assert.same({ nil, 'closed' }, got)
  end)

  it("accept on a server that never listened: nil, 'closed'", function()
    local got
    task(function() got = { net.createServer():accept() } end)
    assert.same({ nil, 'closed' }, got)
  end)

  it('accept waits for a listen under way (a name to look up) on a server made by createServer', function()
    local got
    task(function()
      local server = net.createServer()
      server:listen(0, 'localhost')
      netp.spawn(function()
        netp.once(server, 'listening')
        local c = assert(netp.connect(server:address().port, 'localhost'))
        c:end_()
      end)
      local s = server:accept()
      got = s ~= nil
      s:destroy()
      server:close()
    end)
    assert.is_true(got)
  end)

  it("an 'error' of the server: accept returns it, incoming raises it", function()
    local got, raised
    task(function()
      local server = listen()
      local e1, e2 = net.Error('first'), net.Error('second')
      netp.spawn(function()
        netp.sleep(5)
        server:emit('error', e1)
        netp.sleep(5)
        server:emit('error', e2)
      end)
      got = { server:accept() }
      local ok, err = pcall(function()
        for _ in server:incoming() do end
      end)
      raised = { ok, err }
      server:close()
    end)
    assert.equal('first', got[2].message)
    assert.is_false(raised[1])
    assert.equal('second', raised[2].message)
  end)

  it('maxConnections bounds the queue: the rest are dropped', function()
    local log = H.log()
    task(function()
      local server = listen()
      server.maxConnections = 2
      server:on('drop', function() log('drop') end)
      local port = server:address().port
      local clients = {}
      for i = 1, 4 do
        clients[i] = assert(netp.connect(port, '127.0.0.1'))
      end
      netp.sleep(50)
      server:close()
      local n = 0
      for sock in server:incoming() do
        n = n + 1
        sock:destroy()
      end
      log('queued:' .. n)
      for _, c in ipairs(clients) do c:destroy() end
    end)
    assert.same({ 'drop', 'drop', 'queued:2' }, log.events)
  end)
end)

describe('many tasks', function()
  it('200 concurrent client tasks against a sequential echo server', function()
    local done, bad = 0, 0
    task(function()
      local server = listen({ backlog = 511 })
      netp.spawn(function()
        for sock in server:incoming() do
          netp.spawn(function()
            for line in sock:lines() do sock:send('echo ' .. line .. '\n') end
          end)
        end
      end)
      local port = server:address().port
      local finished = 0
      local me = coroutine.running()
      for i = 1, 200 do
        netp.spawn(function()
          local c = assert(netp.connect(port, '127.0.0.1'))
          for j = 1, 5 do
            c:send(i .. ':' .. j .. '\n')
            if c:receive() ~= 'echo ' .. i .. ':' .. j then bad = bad + 1 end
          end
          c:end_()
          assert.equal('closed', select(2, c:receive()))
          done = done + 1
          finished = finished + 1
          if finished == 200 then server:close() end
        end)
      end
      assert.equal('thread', type(me))
    end, 20000)
    assert.equal(200, done)
    assert.equal(0, bad)
  end)
end)
