-- net.promises: the sequential style. Node's net/promises answers with
-- promises; here a task (a coroutine) waits: for a connection, a line, a
-- count of bytes, a drain, an event or some time, while the loop serves
-- everything else. Failures are return values (`nil, err[, partial]`), as
-- in LuaSocket and OpenResty's cosockets.
--
-- How a task waits: it leaves itself, with a token, where the answer will
-- come from (the socket's private state for receive and send, a server's
-- accept queue, a listener, a timer) and yields. The answer resumes it:
--   * from a C hook (bytes arrived, the peer ended, a write finished, the
--     idle timeout, the handle closed) or a timer: at once, on the main
--     thread, as any callback runs;
--   * from a listener ('connect', 'listening', netp.once, ...): on the next
--     tick, after the emitting code, as a promise's continuation runs.
-- A wake whose token is no longer the task's current one is ignored, so no
-- wait is answered twice. Nothing but the object waited on holds a waiting
-- task: a task whose socket (or emitter) is garbage is garbage too.
--
-- An error escaping a task is raised again from the tick queue, with the
-- task's traceback: it stops the loop and leaves net.run() as an error in
-- a callback does.
--
-- receive cuts lines and counts in C (csrc/framing.c) straight out of the
-- socket's read buffer, in paused mode: the buffer reads ahead up to
-- readableHighWaterMark while nobody asks, and past it only while a call
-- needs a longer line or count.
local net = require('net')
local core = require('net.core')
local errors = require('net.errors')
local shared = require('net.sockstate')
local readable = require('net.readable')
local abort = require('net.abort')

local S, private, nextTick = shared.S, shared.private, shared.nextTick
local F = core.framing
local fields, hasHandle = core.private, core.hasHandle
local Socket = core.classes.Socket.methods
local Server = core.classes.Server.methods
local c_write = S.write
local co_running, co_yield, co_resume = coroutine.running, coroutine.yield, coroutine.resume
local co_isyieldable, co_status = coroutine.isyieldable, coroutine.status

local M = {}

-- --- tasks -------------------------------------------------------------------

local function invalid_state(message)
  return errors.new('Error', 'ERR_INVALID_STATE', 'Invalid state: ' .. message)
end

-- Waiting needs a coroutine that can yield: not the main thread, not
-- inside a metamethod or C function that cannot yield.
local function not_in_task(what)
  errors.raise(invalid_state(what .. ' waits: call it inside a task (netp.spawn)'), 4)
end

-- waiting[co] = the token of the wait co is in (weak: a task is held only
-- by what it waits on)
local waiting = setmetatable({}, { __mode = 'k' })
local last_token = 0

local function next_token()
  last_token = last_token + 1
  return last_token
end

-- An error escaped task `co`: raise it from the tick queue with the
-- task's traceback (the stack is still there until the coroutine is
-- closed); closing it then runs its to-be-closed variables.
local function fail(co, err)
  local value = err
  if type(err) == 'string' then
    value = debug.traceback(co, err)
  elseif type(err) == 'table' and rawget(err, 'stack') == nil then
    rawset(err, 'stack', debug.traceback(co))
  end
  coroutine.close(co)
  nextTick(function() error(value, 0) end)
end

-- Sends made while a task runs are corked, and leave together (one
-- writev per socket) once the task waits or ends: a task answering a batch
-- of pipelined requests costs the kernel one write, not one per answer,
-- as Node's cork() + nextTick(uncork) idiom batches a tick's writes. Only
-- while a resume of ours is under way (`running` > 0), so the uncork below
-- is sure to come.
local running = 0
local corked_socks, corked_states, ncorked = {}, {}, 0

local function uncork_all()
  for i = 1, ncorked do
    local sock, st = corked_socks[i], corked_states[i]
    corked_socks[i], corked_states[i] = nil, nil
    if st.pCorked then
      st.pCorked = nil
      S.uncork(sock)
    end
  end
  ncorked = 0
end

local function cork(sock, st)
  st.pCorked = true
  S.cork(sock)
  ncorked = ncorked + 1
  corked_socks[ncorked], corked_states[ncorked] = sock, st
end

local function uncork(sock, st)
  if st.pCorked then
    st.pCorked = nil
    S.uncork(sock)
  end
end

local function resume(co, ...)
  -- closed by its owner (coroutine.close) while it waited: nothing to do
  if co_status(co) ~= 'suspended' then return end
  running = running + 1
  local ok, err = co_resume(co, ...)
  running = running - 1
  if ncorked > 0 then uncork_all() end
  if not ok then fail(co, err) end
end

-- The answer to wait `token` of `co`, now (from C hooks and timers only:
-- they run on the main thread, never inside a task's code).
local function wake_now(co, token, a, b)
  if waiting[co] ~= token then return end
  waiting[co] = nil
  resume(co, a, b)
end

-- The answer to wait `token` of `co`, on the next tick (from listeners and
-- from calls a task or the main program makes: the woken task runs after
-- the code that woke it).
local function wake_later(co, token, a, b)
  if waiting[co] ~= token then return end
  waiting[co] = nil
  nextTick(resume, co, a, b)
end

-- Suspend `co` until wait `token` is answered; returns the answer. A
-- resume from anyone else (the task's own resumer, if it was not made by
-- spawn) is not an answer: the task goes back to waiting.
local function wait(co, token)
  waiting[co] = token
  while true do
    local a, b = co_yield()
    if waiting[co] ~= token then return a, b end
  end
end

local function check_task(what)
  if not co_isyieldable() then not_in_task(what) end
  return (co_running())
end

function M.spawn(fn, ...)
  if type(fn) ~= 'function' then
    errors.raise(errors.invalidArgType('fn', 'function', fn), 2)
  end
  local co = coroutine.create(fn)
  resume(co, ...)
  return co
end

-- Node's timers/promises setTimeout: a delay that is not a number from 1
-- to 2^31 - 1 is 1 ms, as net.timers.setTimeout.
function M.sleep(ms)
  local co = check_task('netp.sleep')
  if type(ms) ~= 'number' or ms ~= ms or ms < 1 or ms > 2147483647 then
    ms = 1
  end
  local token = next_token()
  local timer = core.newTimer()
  timer:start(math.floor(ms), 0, function()
    timer:close()
    wake_now(co, token)
  end)
  wait(co, token)
end

local function is_emitter(v)
  local t = type(v)
  return (t == 'table' or t == 'userdata') and type(v.on) == 'function'
    and type(v.removeListener) == 'function'
end

-- Node's events.once: the event's arguments (a table with n), or nil and
-- the error if 'error' comes first.
function M.once(emitter, name)
  local co = check_task('netp.once')
  if not is_emitter(emitter) then
    errors.raise(errors.invalidArgType('emitter', 'an instance of EventEmitter', emitter), 2)
  end
  local token = next_token()
  local on_event, on_error
  local function off()
    emitter:removeListener(name, on_event)
    if on_error ~= nil then emitter:removeListener('error', on_error) end
  end
  on_event = function(...)
    off()
    wake_later(co, token, table.pack(...))
  end
  if name ~= 'error' then
    on_error = function(err)
      off()
      wake_later(co, token, nil, err)
    end
  end
  emitter:on(name, on_event)
  if on_error ~= nil then emitter:on('error', on_error) end
  return wait(co, token)
end

-- --- waking tasks from the C hooks ----------------------------------------------

-- A socket's private state holds its receiving task (pRecvCo, pRecvToken)
-- and its sending tasks (pSenders: co, token, co, token, ...).
local function wake_receiver(st, reason)
  local co = st.pRecvCo
  if co ~= nil then
    st.pRecvCo = nil
    wake_now(co, st.pRecvToken, reason)
  end
end

local function wake_senders(st, reason)
  local list = st.pSenders
  if list ~= nil then
    st.pSenders = nil
    for i = 1, #list, 2 do wake_now(list[i], list[i + 1], reason) end
  end
end

-- A server's accept queue holds its waiting tasks the same way (waiters).
local function wake_acceptors(q, later)
  local list = q.waiters
  if list ~= nil then
    q.waiters = nil
    local wake = later and wake_later or wake_now
    for i = 1, #list, 2 do wake(list[i], list[i + 1]) end
  end
end

-- What a socket or server a task waits on does next (net.sockstate's
-- waiter, called by the core after its own work): each event wakes the
-- tasks it can concern.
local function waiter(obj, st, event)
  if st._isServer then
    local q = st.pQueue
    if q ~= nil then wake_acceptors(q, event == 'closing') end
  elseif event == 'data' or event == 'readable' then
    if st.pRecvCo ~= nil then wake_receiver(st) end
  elseif event == 'written' then
    if st.pSenders ~= nil then wake_senders(st) end
  elseif event == 'eof' then
    wake_receiver(st)
  elseif event == 'timeout' then
    -- the timer fires once per idle period: the next wait arms it again
    st.pTimedOut = true
    wake_receiver(st, 'timeout')
    wake_senders(st, 'timeout')
  elseif event == 'destroy' then
    -- destroy() sends first what a running task's send() corked: send
    -- said those bytes were taken (end_() uncorks by itself)
    uncork(obj, st)
  else -- 'readerror', 'close'
    wake_receiver(st)
    wake_senders(st)
  end
end

-- --- sockets -------------------------------------------------------------------

-- A socket used in the sequential style keeps its failures as values
-- (sock.errored, and the next call's result): an 'error' listener, so that
-- an error no call waited for is not an uncaught one.
local function keep_errors() end
local function guard(sock, st)
  if not st.pGuarded then
    st.pGuarded = true
    st.waiter = waiter
    sock:on('error', keep_errors)
  end
end

-- After a 'timeout', the idle timer is armed again for the next wait.
local function rearm(sock, st)
  st.pTimedOut = nil
  local ms = S.state(sock, 'timeout')
  if ms > 0 then S.setTimeout(sock, ms) end
end

-- A socket still connecting: wait for 'connect', 'close' or 'timeout'.
-- Returns 'timeout' if that came first.
local function await_connect(sock, co)
  local token = next_token()
  local function on_connect() wake_later(co, token) end
  local function on_timeout() wake_later(co, token, 'timeout') end
  sock:once('connect', on_connect)
  sock:once('close', on_connect)
  sock:once('timeout', on_timeout)
  local reason = wait(co, token)
  sock:removeListener('connect', on_connect)
  sock:removeListener('close', on_connect)
  sock:removeListener('timeout', on_timeout)
  return reason
end

-- receive's patterns
local LINE, LINE_EOL, ALL, COUNT = 1, 2, 3, 4
local PATTERNS = { ['*l'] = LINE, l = LINE, ['*L'] = LINE_EOL, L = LINE_EOL, ['*a'] = ALL, a = ALL }

local function pattern_of(pattern)
  if pattern == nil then return LINE end
  local kind = PATTERNS[pattern]
  if kind ~= nil then return kind end
  if type(pattern) == 'number' then
    local n = math.tointeger(pattern)
    if n == nil then errors.raise(errors.outOfRange('pattern', 'an integer', pattern), 4) end
    if n < 0 then errors.raise(errors.outOfRange('pattern', '>= 0', pattern), 4) end
    return COUNT, n
  end
  if type(pattern) == 'string' then
    errors.raise(errors.invalidArgValue('pattern', pattern,
      "must be '*l', '*L', '*a' (or 'l', 'L', 'a') or a number of bytes"), 4)
  end
  errors.raise(errors.invalidArgType('pattern', { 'string', 'number' }, pattern), 4)
end

-- One try at the pattern on what is buffered: the result, or nil and how
-- far a line was scanned. C starts reading when it finds too little. When
-- the take emptied the buffer after the peer's end, Node's read() would
-- end the readable side ('end', then the writable side unless
-- allowHalfOpen): read(0) does it.
local function try(sock, kind, n, from)
  local got, more
  if kind == LINE then
    got, more = F.line(sock, false, from)
  elseif kind == LINE_EOL then
    got, more = F.line(sock, true, from)
  elseif kind == COUNT then
    got, more = F.count(sock, n)
  else
    got, more = F.all(sock)
  end
  if got ~= nil and more == true then readable.read(sock, private(sock), 0) end
  return got, more
end

-- framing.park's answers
local DESTROYED, NO_HANDLE = 1, 2

-- What is buffered, taken whole: the partial of a call that cannot finish.
local function take_rest(sock)
  return S.take(sock) or ''
end

-- receive once the buffer could not answer at once: wait until it can,
-- or the stream ends, fails, or times out.
local function receive_wait(sock, kind, n, scanned)
  local co = check_task('socket:receive')
  local st = private(sock)
  if st.onread ~= nil then
    errors.raise(invalid_state('socket:receive cannot read a socket whose data goes to onread'), 3)
  end
  if st.pRecvCo ~= nil and st.pRecvCo ~= co then
    errors.raise(invalid_state('another task is receiving on this socket'), 3)
  end
  guard(sock, st)
  local from = scanned or 0
  while true do
    -- destroyed, no handle, or able to wait (and then in paused mode: C
    -- buffers what arrives and wakes us)
    local status = F.park(sock)
    if status == DESTROYED then
      return nil, st.errored or 'closed', take_rest(sock)
    end
    if st.ended then
      local rest = take_rest(sock)
      readable.read(sock, st, 0)
      if kind == ALL then return rest end
      return nil, 'closed', rest
    end
    if st.connecting then
      if await_connect(sock, co) == 'timeout' then return nil, 'timeout' end
    elseif status == NO_HANDLE then
      -- never connected, or closed from below: nothing will come
      return nil, 'closed', take_rest(sock)
    else
      -- Node's 'readable' bookkeeping stays out of the way
      st.needReadable = nil
      if st.pTimedOut then rearm(sock, st) end
      local token = next_token()
      st.pRecvCo, st.pRecvToken = co, token
      local reason = wait(co, token)
      if st.pRecvCo == co then st.pRecvCo = nil end
      -- the bytes of an unfinished line or count stay buffered: the next
      -- call goes on from them
      if reason == 'timeout' then return nil, 'timeout' end
    end
    local got, more = try(sock, kind, n, from)
    if got ~= nil then return got end
    from = more or 0
  end
end

-- The calls that may answer at once check only for the main thread (a
-- resume of ours under way means a task runs: no check at all); whether
-- the task can yield is checked when it has to wait.
-- receive('*l') (lines() calls it per line)
local function receive_line(sock)
  if running == 0 and not co_isyieldable() then not_in_task('socket:receive') end
  local line, more = F.line(sock, false, 0)
  if line ~= nil then
    if more == true then readable.read(sock, private(sock), 0) end
    return line
  end
  return receive_wait(sock, LINE, nil, more)
end

function Socket:receive(pattern)
  if pattern == nil or pattern == '*l' then
    -- receive_line, written out: one call less per line
    if running == 0 and not co_isyieldable() then not_in_task('socket:receive') end
    local line, more = F.line(self, false, 0)
    if line ~= nil then
      if more == true then readable.read(self, private(self), 0) end
      return line
    end
    return receive_wait(self, LINE, nil, more)
  end
  if running == 0 and not co_isyieldable() then not_in_task('socket:receive') end
  local kind, n = pattern_of(pattern)
  if kind == COUNT and n == 0 then return '' end
  local got, more = try(self, kind, n, 0)
  if got ~= nil then return got end
  return receive_wait(self, kind, n, more)
end

function Socket:lines()
  local sock = self
  return function()
    return (receive_line(sock))
  end
end

-- send's i and j, as LuaSocket reads them (string.sub's rules, clamped):
-- the part to send and the index of its last byte.
local function span(data, i, j)
  local len = #data
  for _, v in ipairs({ { 'i', i }, { 'j', j } }) do
    if v[2] ~= nil and math.tointeger(v[2]) == nil then
      if type(v[2]) ~= 'number' then errors.raise(errors.invalidArgType(v[1], 'number', v[2]), 4) end
      errors.raise(errors.outOfRange(v[1], 'an integer', v[2]), 4)
    end
  end
  i, j = math.tointeger(i or 1), math.tointeger(j or -1)
  if i < 0 then i = len + i + 1 end
  if j < 0 then j = len + j + 1 end
  if i < 1 then i = 1 end
  if j > len then j = len end
  if i > j then return '', i - 1 end
  return data:sub(i, j), j
end

-- send once write() said the buffer is over the mark: wait for 'drain'.
local function send_wait(sock, st, last)
  local co = check_task('socket:send')
  guard(sock, st)
  -- what this task corked goes now: 'drain' needs the queue to move
  uncork(sock, st)
  while true do
    if S.isDestroyed(sock) or st.errored ~= nil then
      return nil, st.errored or 'closed', 0
    end
    -- under the mark; or ended meanwhile (what was taken goes out before
    -- the FIN, and no 'drain' comes after end)
    if S.state(sock, 'writableLength') < S.state(sock, 'writableHighWaterMark') or S.isEnded(sock) then
      return last
    end
    if st.connecting then
      if await_connect(sock, co) == 'timeout' then return nil, 'timeout', last end
    else
      if st.pTimedOut then rearm(sock, st) end
      local token = next_token()
      local list = st.pSenders
      if list == nil then
        list = {}
        st.pSenders = list
      end
      list[#list + 1] = co
      list[#list + 1] = token
      -- what was taken stays queued: on 'timeout' it still goes out
      if wait(co, token) == 'timeout' then return nil, 'timeout', last end
    end
  end
end

function Socket:send(data, i, j)
  if running == 0 and not co_isyieldable() then not_in_task('socket:send') end
  if type(data) ~= 'string' then
    errors.raise(errors.invalidArgType('data', 'string', data), 2)
  end
  local last = #data
  if i ~= nil or j ~= nil then data, last = span(data, i, j) end
  local st = private(self)
  local below
  if st.connecting then
    -- write() holds it for the connection (and flushes it on 'connect')
    if S.isEnded(self) or S.isDestroyed(self) then return nil, st.errored or 'closed', 0 end
    below = Socket.write(self, data)
  else
    if running > 0 and not st.pCorked then cork(self, st) end
    below = c_write(self, data)
    -- nil: ended, destroyed or never connected: nothing was taken
    if below == nil then return nil, st.errored or 'closed', 0 end
  end
  if below then return last end
  return send_wait(self, st, last)
end

-- --- servers -----------------------------------------------------------------------

-- Whether a server counts as listening for accept: listening, or listen()
-- called and neither close() nor a listen error since (net.server's
-- listenRequested).
local function server_open(st)
  return st.listening or st.listenRequested == true
end

-- The queue of connections accepted and not yet taken. A server from
-- netp.listen without a connectionListener has it from the start (listen,
-- connect to it, then accept: the connection is not lost); any other
-- server from the first accept() or incoming(), as Node's iterator
-- subscribes when it is made. The server counts queued sockets among its
-- connections, so maxConnections bounds the queue too.
local function queue_of(server)
  local st = fields(server)
  local q = st.pQueue
  if q == nil then
    q = { head = 1, tail = 0 }
    st.pQueue = q
    st.waiter = waiter
    server:on('connection', function(sock)
      guard(sock, private(sock))
      q.tail = q.tail + 1
      q[q.tail] = sock
      wake_acceptors(q)
    end)
    server:on('error', function(err)
      q.err = err
      wake_acceptors(q)
    end)
  end
  return q, st
end

local function accept(server)
  local co = check_task('server:accept')
  local q, st = queue_of(server)
  while true do
    if q.head <= q.tail then
      local sock = q[q.head]
      q[q.head] = nil
      q.head = q.head + 1
      return sock
    end
    local err = q.err
    if err ~= nil then
      q.err = nil
      return nil, err
    end
    if not server_open(st) then return nil, 'closed' end
    local token = next_token()
    local list = q.waiters
    if list == nil then
      list = {}
      q.waiters = list
    end
    list[#list + 1] = co
    list[#list + 1] = token
    wait(co, token)
  end
end

Server.accept = accept

function Server:incoming()
  local server = self
  return function()
    local sock, err = accept(server)
    if sock ~= nil then return sock end
    if err == 'closed' then return nil end
    error(err, 0)
  end
end

-- --- connect and listen ----------------------------------------------------------

function M.connect(...)
  local co = check_task('netp.connect')
  local options = ...
  local timeout = type(options) == 'table' and options.timeout or nil
  local sock = net.createConnection(...)
  local st = private(sock)
  guard(sock, st)
  local token = next_token()
  local result
  local function done(r)
    if result == nil then
      result = r
      wake_later(co, token)
    end
  end
  local function on_connect() done(true) end
  local function on_error(err) done(err) end
  local function on_close() done('closed') end
  sock:once('connect', on_connect)
  sock:on('error', on_error)
  sock:once('close', on_close)
  -- the whole connect (lookup and every attempt) within `timeout`
  local timer
  if type(timeout) == 'number' and timeout > 0 then
    timer = core.newTimer()
    timer:start(math.ceil(math.min(timeout, 2147483647)), 0, function() done('timeout') end)
  end
  wait(co, token)
  if timer ~= nil then timer:close() end
  sock:removeListener('connect', on_connect)
  sock:removeListener('error', on_error)
  sock:removeListener('close', on_close)
  if result == true then return sock end
  if not S.isDestroyed(sock) then sock:destroy() end
  return nil, result
end

function M.listen(options)
  local co = check_task('netp.listen')
  if options == nil then
    options = {}
  elseif type(options) ~= 'table' then
    errors.raise(errors.invalidArgType('options', 'object', options), 2)
  end
  local listener = options.connectionListener
  if listener ~= nil and type(listener) ~= 'function' then
    errors.raise(errors.invalidArgType('options.connectionListener', 'function', listener), 2)
  end
  local signal = abort.check(options.signal, 'options.signal')
  if signal ~= nil and signal.aborted then return nil, abort.abortError(signal) end
  local server = net.createServer(options, listener)
  local token = next_token()
  local result
  local function done(r)
    if result == nil then
      result = r
      wake_later(co, token)
    end
  end
  local function on_listening() done(true) end
  local function on_error(err) done(err) end
  server:once('listening', on_listening)
  server:on('error', on_error)
  local abort_off
  if signal ~= nil then
    abort_off = abort.onAbort(signal, function() done(abort.abortError(signal)) end)
  end
  local function off()
    server:removeListener('listening', on_listening)
    server:removeListener('error', on_error)
    if abort_off ~= nil then abort_off() end
  end
  if listener == nil then queue_of(server) end
  local listen_options = options
  if options.port == nil and options.path == nil and options.fd == nil and options.handle == nil then
    -- no port, path or handle: a random port, as listen() without arguments
    listen_options = setmetatable({ port = 0 }, { __index = options })
  end
  local ok, err = pcall(server.listen, server, listen_options)
  if not ok then
    off()
    error(err, 0)
  end
  wait(co, token)
  off()
  if result == true then return server end
  if hasHandle(server) or server.listening then server:close() end
  return nil, result
end

return M
