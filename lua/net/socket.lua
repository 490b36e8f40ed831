-- net.Socket: a duplex stream over a TCP or pipe handle, as Node's.
--
-- The object is a userdata made in C (csrc/object.c); its state lives in
-- its fields table `st` (core.fields(sock)), which the C hooks pass in, so
-- the hot path (hooks.data) touches plain tables only. C owns the handle,
-- the write queue and the idle timer; this file owns Node's stream rules:
-- flowing and paused reading, end/finish/close order, errors.
local core = require('net.core')
local errors = require('net.errors')
local EventEmitter = require('net.emitter')
local validate = require('net.validate')
local encoding = require('net.encoding')
local abort = require('net.abort')

local nextTick = core.nextTick

-- state[obj] is the object's fields table. A weak-keyed cache in front of
-- core.fields(obj): a plain table read on the hot path instead of a C call.
local state = setmetatable({}, {
  __mode = 'k',
  __index = function(t, obj)
    local st = core.fields(obj)
    t[obj] = st
    return st
  end,
})
local function fields(obj) return state[obj] end
local ECANCELED = core.errno.ECANCELED
local ENOTCONN = core.errno.ENOTCONN

local class = core.classes.Socket
local Socket = class.methods
local getters, setters = class.getters, class.setters
setmetatable(Socket, { __index = EventEmitter })

local M = { Socket = Socket, hooks = {}, state = state }
local hooks = M.hooks
local flush_pending, push_text

local function is_ip(host)
  return host:match('^%d+%.%d+%.%d+%.%d+$') ~= nil or host:find(':', 1, true) ~= nil
end

-- --- construction --------------------------------------------------------

-- Reset the stream state: at construction and when a closed socket is
-- connected again (Node's _undestroy).
local function reset_state(st)
  st.connecting = false
  st._writeReady = false      -- connected and writable: write()'s fast path
  st.destroyed = false
  st.readable = true    -- a fresh Duplex is readable and writable
  st.writable = true
  st.readableEnded = false
  st.writableEnded = false
  st.writableFinished = false
  st._rbuf = {}
  st._rlen = 0
  st._eof = false
  st._endScheduled = false
  st._pending = {}      -- writes made before the connection exists
  st._pendingBytes = 0
  st._heldNeedDrain = false
  st._hadError = false
  st._errorEmitted = false
  st._closed = false
  st._corked = 0
  st._finishCbs = nil
  st._shutdownSent = false
  st._writeAfterFIN = false
  st._bytesRead, st._bytesWritten = 0, 0
end

local function init(sock, options)
  local st = fields(sock)
  options = options or {}
  -- _flowing: nil: no consumer yet; true: flowing; false: paused. Kept
  -- across a reconnect, as Node's _undestroy keeps it.
  reset_state(st)
  st._events = st._events
  st.allowHalfOpen = options.allowHalfOpen == true
  st.readableHighWaterMark = options.readableHighWaterMark or options.highWaterMark or 16384
  st.writableHighWaterMark = options.writableHighWaterMark or options.highWaterMark or 16384
  if core.hasHandle(sock) then sock:_setHighWaterMark(st.writableHighWaterMark) end
  st._noDelay = options.noDelay
  st._keepAlive = options.keepAlive
  st._keepAliveInitialDelay = options.keepAliveInitialDelay
  st.timeout = nil
  return st
end
M.init = init

local function validate_tos(tos, name)
  if math.type(tos) ~= 'integer' then
    if type(tos) ~= 'number' then errors.raise(errors.invalidArgType(name, 'number', tos), 4) end
    errors.raise(errors.outOfRange(name, 'an integer', tos), 4)
  end
  if tos < 0 or tos > 255 then errors.raise(errors.outOfRange(name, '>= 0 && <= 255', tos), 4) end
  return tos
end

-- onread = { buffer = size | function() -> size, callback = fn(nread, chunk) }
local function set_onread(st, onread)
  if type(onread) ~= 'table' then
    errors.raise(errors.invalidArgType('options.onread', 'object', onread), 4)
  end
  if type(onread.callback) ~= 'function' then
    errors.raise(errors.invalidArgType('options.onread.callback', 'function', onread.callback), 4)
  end
  local size = onread.buffer
  if type(size) == 'function' then
    st._onreadBuffer = size -- asked again before every read, as Node does
    size = size()
  end
  if type(size) == 'string' then size = #size end
  if math.type(size) ~= 'integer' or size < 1 then
    errors.raise(errors.invalidArgType('options.onread.buffer', { 'number', 'function' }, onread.buffer), 4)
  end
  st._onread = onread.callback
  st._readSize = size
end

-- Apply what the options asked of the handle, once it is connected.
local function apply_handle_options(sock, st)
  sock:_setHighWaterMark(st.writableHighWaterMark)
  if st._readSize then sock:_setReadSize(st._readSize) end
  if st._timeoutMs and st._timeoutMs > 0 then sock:_setTimeout(st._timeoutMs) end
  if st._isTcp then
    if st._noDelay then sock:_setNoDelay(true) end
    if st._keepAlive then
      sock:_setKeepAlive(true, math.floor((st._keepAliveInitialDelay or 0) / 1000),
        math.floor((st._keepAliveInterval or 1000) / 1000), st._keepAliveCount or 10)
    end
    if st._tos then sock:_setTypeOfService(st._tos) end
  end
end
M.applyHandleOptions = apply_handle_options

-- Socket({ fd = n }): wrap a connected socket or pipe made elsewhere.
local function open_fd(sock, st, options)
  local fd = options.fd
  local ok_fd, err_fd = pcall(require('net.address').js.validateInt32, fd, 'fd', 0, 2147483647)
  if not ok_fd then errors.raise(err_fd, 4) end
  local kind = core.guessHandle(fd)
  local ok, errno
  if kind == 'TCP' then
    ok, errno = sock:_initTcp(0)
    st._isTcp = true
  elseif kind == 'PIPE' then
    ok, errno = sock:_initPipe(false)
  else
    errors.raise(errors.new('TypeError', 'ERR_INVALID_FD_TYPE', 'Unsupported fd type: ' .. kind), 4)
  end
  if ok then ok, errno = sock:_open(fd) end
  if not ok then
    if core.hasHandle(sock) then sock:_close() end
    errors.raise(errors.uv(errno, 'open'), 4)
  end
  st._hadHandle = true
  st.readable = options.readable ~= false
  st.writable = options.writable ~= false
  -- a side the options close is ended from the start, as Node's Duplex
  st.readableEnded = not st.readable
  st.writableEnded = not st.writable
  st._writeReady = st.writable
  apply_handle_options(sock, st)
  if st.readable then sock:_readStart() else st._eof = true end
end

function M.new(options)
  if options ~= nil and type(options) ~= 'table' then
    errors.raise(errors.invalidArgType('options', 'object', options))
  end
  options = options or {}
  local sock = core.newSocket()
  local st = init(sock, options)
  if options.onread ~= nil then set_onread(st, options.onread) end
  if options.blockList ~= nil then
    local BlockList = require('net.blocklist')
    if not BlockList.isBlockList(options.blockList) then
      errors.raise(errors.invalidArgType('options.blockList', 'an instance of net.BlockList', options.blockList))
    end
    st._blockList = options.blockList
  end
  if options.typeOfService ~= nil then st._tos = validate_tos(options.typeOfService, 'options.typeOfService') end
  local signal = abort.check(options.signal, 'signal')
  if options.fd ~= nil then open_fd(sock, st, options) end
  if signal ~= nil then
    abort.onAbort(signal, function() sock:destroy(abort.abortError(signal)) end)
  end
  return sock
end

-- --- errors and teardown ------------------------------------------------

local function uv_error(errno, syscall, st)
  return errors.uv(errno, syscall, st and st._connectAddress, st and st._connectPort)
end

local function emit_error_nt(sock, st, err)
  if st._errorEmitted then return end
  st._errorEmitted = true
  sock:emit('error', err)
end

-- A server counts its connection gone when the socket is destroyed (as
-- Node's _destroy), before the socket's own 'close'.
local function leave_server(st)
  local server = st._server
  if server ~= nil then
    st._server = nil
    server:_connectionClosed()
  end
end

local function emit_close(sock, st, never_connected)
  if st._closed then return end
  st._closed = true
  leave_server(st)
  if never_connected then
    sock:emit('close') -- Node's emitCloseNT: no hadError argument
  else
    sock:emit('close', st._hadError)
  end
end

-- Node's destroy: state changes now; 'error' (if any) on the next tick;
-- 'close' when libuv has closed the handle. `reset` closes with RST.
local function destroy(sock, st, err, reset)
  if st.destroyed then return sock end
  local held = st._pending
  if #held > 0 then
    st._pending, st._pendingBytes = {}, 0
    local closed = errors.new('Error', 'ERR_SOCKET_CLOSED_BEFORE_CONNECTION',
      'Socket closed before the connection was established')
    for _, w in ipairs(held) do
      if w[2] then nextTick(w[2], closed) end
    end
  end
  st.destroyed = true
  st._writeReady = false
  st.connecting = false
  st.readable = false
  st.writable = false
  if err ~= nil then
    st._hadError = true
    nextTick(emit_error_nt, sock, st, err)
  end
  if core.hasHandle(sock) then
    -- 'close' comes from the close hook
    if not (reset and sock:_closeReset()) then sock:_close() end
  else
    nextTick(emit_close, sock, st, not st._hadHandle)
  end
  leave_server(st)
  return sock
end

function Socket:destroy(err)
  return destroy(self, fields(self), err, false)
end

function Socket:destroySoon()
  local st = fields(self)
  if st.writable then self:end_() end
  if st.writableFinished then
    self:destroy()
  else
    self:once('finish', function() self:destroy() end)
  end
  return self
end

-- resetAndDestroy(): close with RST, so the peer sees ECONNRESET.
function Socket:resetAndDestroy()
  local st = fields(self)
  if core.hasHandle(self) or st.connecting then
    if not st._isTcp then
      errors.raise(errors.new('TypeError', 'ERR_INVALID_HANDLE_TYPE', 'This handle type cannot be sent'), 3)
    end
    if st.connecting then
      self:once('connect', function() destroy(self, st, nil, true) end)
    else
      destroy(self, st, nil, true)
    end
    return self
  end
  return self:destroy(errors.new('Error', 'ERR_SOCKET_CLOSED', 'Socket is closed'))
end

-- --- reading ------------------------------------------------------------

local function emit_data(sock, st, chunk)
  local h = st._events and st._events.data
  if h == nil then return false end
  if type(h) == 'function' then h(chunk) else sock:emit('data', chunk) end
  return true
end

local function end_readable_nt(sock, st)
  if st.readableEnded or st._rlen > 0 or st.destroyed then return end
  st.readableEnded = true
  st.readable = false
  sock:emit('end')
  -- after the user's 'end' listeners (a write there still goes out)
  if not st.allowHalfOpen then st._writeAfterFIN = true end
  if st.destroyed then return end
  if st.writable and not st.allowHalfOpen then
    -- Node's endWritableNT: auto-end the writable side one tick later
    nextTick(function()
      if st.writable and not st.writableEnded and not st.destroyed then sock:end_() end
    end)
  elseif st.writableFinished then
    sock:destroy()
  end
end

local function maybe_end(sock, st)
  if st._eof and st._rlen == 0 and not st._endScheduled then
    st._endScheduled = true
    nextTick(end_readable_nt, sock, st)
  end
end

-- Hand buffered chunks to 'data' listeners while flowing.
local function flow(sock, st)
  local buf = st._rbuf
  while st._flowing and #buf > 0 and not st.destroyed do
    local chunk = table.remove(buf, 1)
    st._rlen = st._rlen - #chunk
    emit_data(sock, st, chunk)
  end
  if st._flowing and not st._eof and not st.destroyed and not st.connecting
      and core.hasHandle(sock) then
    sock:_readStart()
  end
  maybe_end(sock, st)
end

-- C: a chunk arrived. The hot path: flowing with an empty buffer emits at
-- once; otherwise the chunk waits, and reading stops past the high-water mark.
function hooks.data(sock, st, chunk)
  if st._onread ~= nil then
    if st._onread(#chunk, chunk) == false then sock:_readStop() end
    local gen = st._onreadBuffer
    if gen ~= nil and core.hasHandle(sock) then
      local size = gen()
      sock:_setReadSize(type(size) == 'string' and #size or size)
    end
    return
  end
  local dec = st._decoder
  if dec ~= nil then
    chunk = dec:write(chunk)
    if chunk == '' then return end
  end
  push_text(sock, st, chunk)
end

-- A chunk (decoded if setEncoding asked) to the listeners or the buffer.
function push_text(sock, st, chunk)
  if st._flowing and st._rlen == 0 then
    -- flowing: to the listeners, or to nobody (Node drops it too)
    emit_data(sock, st, chunk)
    return
  end
  local buf = st._rbuf
  buf[#buf + 1] = chunk
  st._rlen = st._rlen + #chunk
  if st._rlen >= st.readableHighWaterMark then sock:_readStop() end
end

function hooks.eof(sock, st)
  st._eof = true
  local dec = st._decoder
  if dec ~= nil then
    local rest = dec:flush()
    if rest ~= '' then push_text(sock, st, rest) end
  end
  if st._onread ~= nil then
    st._rlen = 0
  end
  maybe_end(sock, st)
end

function hooks.readerror(sock, _, errno)
  sock:destroy(errors.uv(errno, 'read'))
end

function Socket:pause()
  local st = fields(self)
  if st._flowing ~= false then
    st._flowing = false
    self:emit('pause')
  end
  if st._onread ~= nil and core.hasHandle(self) then self:_readStop() end
  return self
end

local function resume_nt(sock, st)
  if st._flowing then
    sock:emit('resume')
    flow(sock, st)
  end
end

function Socket:resume()
  local st = fields(self)
  if st._onread ~= nil and core.hasHandle(self) and not st.connecting and not st._eof then
    self:_readStart()
  end
  if not st._flowing then
    st._flowing = true
    nextTick(resume_nt, self, st)
  end
  return self
end

function Socket:isPaused()
  return fields(self)._flowing == false
end

function Socket:setEncoding(enc)
  local st = fields(self)
  st._decoder = encoding.decoder(enc == nil and 'utf8' or enc)
  st._encoding = st._decoder.encoding
  return self
end

-- Adding a 'data' listener starts the flow, unless paused explicitly.
function Socket:on(name, fn)
  EventEmitter.on(self, name, fn)
  if name == 'data' and fields(self)._flowing ~= false then self:resume() end
  return self
end
Socket.addListener = Socket.on

function Socket:once(name, fn)
  EventEmitter.once(self, name, fn)
  if name == 'data' and fields(self)._flowing ~= false then self:resume() end
  return self
end

-- --- writing ------------------------------------------------------------

local function write_error(sock, st, err, cb, emit)
  if cb then nextTick(cb, err) end
  if emit then
    st._hadError = true
    nextTick(function()
      emit_error_nt(sock, st, err)
      sock:destroy()
    end)
  end
end

-- Writes held while connecting leave together once connected, from a
-- 'connect' listener as in Node. When the kernel takes them at once, 'drain'
-- (if a write returned false) and then their callbacks run right there.
function flush_pending(sock, st)
  local pending = st._pending
  st._pending, st._pendingBytes = {}, 0
  st._writeReady = st.writable and not st.destroyed and not st.writableEnded
  local need_drain = st._heldNeedDrain
  st._heldNeedDrain = false
  local cbs, data = {}, {}
  for i, w in ipairs(pending) do
    data[i] = w[1]
    if w[2] then cbs[#cbs + 1] = w[2] end
  end
  local all_cb = #cbs > 0 and function(err)
    for _, cb in ipairs(cbs) do cb(err) end
  end or nil
  if st.destroyed then
    if all_cb then nextTick(all_cb, errors.new('Error', 'ERR_STREAM_DESTROYED',
      'Cannot call write after a stream was destroyed')) end
    return
  end
  if st._corked > 0 then sock:_cork(true) end
  if need_drain then sock:_needDrain() end
  local _, done = sock:_write(#data == 1 and data[1] or table.concat(data), all_cb, true)
  if done then
    if sock:_takeDrain() and not st.writableEnded then sock:emit('drain') end
    if all_cb then all_cb(nil) end
  end
end

-- Node's write(): the data leave through C at once when connected, or wait
-- in st._pending until the connection is made.
local c_write = Socket._write

local write_impl

function Socket:write(data, enc, cb)
  local st = state[self]
  if enc == nil and cb == nil and type(data) == 'string' and st._writeReady then
    -- the common case, kept short: connected, no encoding, no callback
    return c_write(self, data)
  end
  return write_impl(self, st, data, enc, cb, false)
end

-- from_end: end_(data) writes past the write-after-FIN guard, as Node's
-- end() calls the internal writer, not the replaced socket.write
function write_impl(self, st, data, enc, cb, from_end)
  if type(enc) == 'function' then enc, cb = nil, enc end
  if type(data) ~= 'string' then
    errors.raise(errors.invalidArgType('chunk', 'string or an instance of Buffer, TypedArray, or DataView', data), 3)
  end
  validate.func(cb, 'cb')
  if enc ~= nil and enc ~= 'utf8' and enc ~= 'utf-8' and enc ~= 'buffer' then
    data = encoding.encode(data, enc)
  end
  if st._writeAfterFIN and st.writableEnded and not from_end then
    -- Node's writeAfterFIN: the callback hears EPIPE; the socket goes
    if cb then nextTick(cb, errors.new('Error', 'EPIPE', 'This socket has been ended by the other party')) end
    self:destroy()
    return false
  end
  if st.writableEnded then
    local err = errors.new('Error', 'ERR_STREAM_WRITE_AFTER_END', 'write after end')
    write_error(self, st, err, cb, not st.destroyed)
    return false
  end
  if st.destroyed then
    write_error(self, st, errors.new('Error', 'ERR_STREAM_DESTROYED',
      'Cannot call write after a stream was destroyed'), cb, false)
    return false
  end
  if st.connecting or not core.hasHandle(self) then
    local p = st._pending
    if #p == 0 then
      -- as Node, the held writes go out from a 'connect' listener added now
      self:once('connect', function() flush_pending(self, st) end)
    end
    p[#p + 1] = { data, cb }
    st._pendingBytes = st._pendingBytes + #data
    local below = st._pendingBytes < st.writableHighWaterMark
    if not below then st._heldNeedDrain = true end
    return below
  end
  return (c_write(self, data, cb))
end

-- C: writes finished (or failed); `cbs` lists their callbacks in order.
function hooks.written(sock, st, errno, cbs)
  local err
  if errno ~= nil then
    if errno == ECANCELED or st.destroyed then
      err = errors.new('Error', 'ERR_STREAM_DESTROYED', 'Cannot call write after a stream was destroyed')
    else
      err = errors.uv(errno, 'write')
      sock:destroy(err)
    end
  end
  -- as Node's afterWrite: 'drain' first, then the callbacks
  if err == nil and not st.writableEnded and not st.destroyed and sock:_takeDrain() then
    sock:emit('drain')
  end
  if cbs ~= nil then
    for i = 1, #cbs do cbs[i](err) end
  end
end

function Socket:cork()
  local st = fields(self)
  st._corked = st._corked + 1
  if core.hasHandle(self) and not st.connecting then self:_cork(true) end
end

function Socket:uncork()
  local st = fields(self)
  if st._corked > 0 then
    st._corked = st._corked - 1
    if st._corked == 0 and core.hasHandle(self) and not st.connecting then self:_cork(false) end
  end
end

local function finish(sock, st)
  if st.writableFinished or st.destroyed then return end
  st.writableFinished = true
  local cbs = st._finishCbs
  st._finishCbs = nil
  if cbs then for _, cb in ipairs(cbs) do cb() end end
  sock:emit('finish')
  if st.readableEnded or st._eof and st._rlen == 0 and not st.readable then
    sock:destroy()
  end
end

-- Send FIN once every write is out (libuv orders the shutdown after them).
local function shutdown(sock, st)
  if st._shutdownSent or st.destroyed then return end
  st._shutdownSent = true
  local ok, errno = sock:_shutdown()
  if not ok then
    if errno == ENOTCONN then
      nextTick(finish, sock, st)
    else
      sock:destroy(errors.uv(errno, 'shutdown'))
    end
  end
end

function hooks.shutdown(sock, st, status)
  if status < 0 and status ~= ENOTCONN and status ~= ECANCELED then
    sock:destroy(errors.uv(status, 'shutdown'))
    return
  end
  finish(sock, st)
  if st.readableEnded and not st.destroyed then sock:destroy() end
end

function Socket:end_(data, enc, cb)
  if type(data) == 'function' then data, enc, cb = nil, nil, data
  elseif type(enc) == 'function' then enc, cb = nil, enc end
  local st = fields(self)
  if data ~= nil then write_impl(self, st, data, enc, nil, true) end
  if st._corked > 0 then
    st._corked = 1
    self:uncork()
  end
  if cb ~= nil then
    validate.func(cb, 'cb')
    if st.writableFinished then
      nextTick(cb, errors.new('Error', 'ERR_STREAM_ALREADY_FINISHED',
        'Cannot call end after a stream was finished'))
    elseif st.destroyed then
      nextTick(cb, errors.new('Error', 'ERR_STREAM_DESTROYED', 'Cannot call end after a stream was destroyed'))
    else
      st._finishCbs = st._finishCbs or {}
      table.insert(st._finishCbs, cb)
    end
  end
  if st.writableEnded or st.destroyed then return self end
  st.writableEnded = true
  st._writeReady = false
  st.writable = false
  if not st.connecting and core.hasHandle(self) then
    shutdown(self, st)
  elseif not st.connecting then
    nextTick(finish, self, st)
  end
  return self
end
Socket['end'] = Socket.end_

-- --- connecting ---------------------------------------------------------

local connect_to

local function after_connect_failure(sock, st, errno)
  local addrs = st._addresses
  if addrs ~= nil and st._addrIndex < #addrs and errno ~= ECANCELED then
    -- the next address of the lookup (Node's autoSelectFamily)
    sock:_close()
    st._reconnecting = true
    return
  end
  sock:destroy(uv_error(errno, 'connect', st))
end

function hooks.connect(sock, st, status)
  -- ECANCELED: the handle was closed under the attempt; the close hook ends it
  if st.destroyed or not st.connecting or status == ECANCELED then return end
  if status < 0 then
    after_connect_failure(sock, st, status)
    return
  end
  st.connecting = false
  st._addresses = nil
  st.readable = true
  st.writable = not st.writableEnded
  -- writes held while connecting go first (flush_pending opens the way)
  st._writeReady = st.writable and #st._pending == 0
  apply_handle_options(sock, st)
  if st._corked > 0 then sock:_cork(true) end
  sock:emit('connect')
  sock:emit('ready')
  if st.destroyed then return end
  if st.writableEnded then shutdown(sock, st) end
  if st._flowing ~= false then sock:_readStart() end
end

connect_to = function(sock, st)
  local a = st._addresses[st._addrIndex]
  local fam = a.family == 6 and 'ipv6' or 'ipv4'
  if st._blockList ~= nil and st._blockList:check(a.address, fam) then
    sock:destroy(errors.new('Error', 'ERR_IP_BLOCKED', 'IP(' .. a.address .. ') is blocked by net.BlockList'))
    return
  end
  st._isTcp = true
  local ok, errno = sock:_initTcp(a.family)
  if ok and st._unrefd then sock:_unref() end
  if ok then
    if st._localAddress or st._localPort then
      ok, errno = sock:_bind(st._localAddress or (a.family == 6 and '::' or '0.0.0.0'), st._localPort or 0,
        false, false, true)
      if not ok then
        sock:destroy(errors.uv(errno, 'bind', st._localAddress, st._localPort))
        return
      end
    end
    st._connectAddress, st._connectPort = a.address, st._port
    ok, errno = sock:_connect(a.address, st._port)
  end
  if not ok then
    st._connectAddress, st._connectPort = a.address, st._port
    after_connect_failure(sock, st, errno)
  end
end

-- The connect attempt's handle closed: try the next address if one is
-- waiting, else emit 'close'.
function hooks.close(obj, st)
  -- keep the counters for reads after close (Node's kBytesRead/Written)
  local read, written = obj:_stats()
  st._bytesRead, st._bytesWritten = read, written
  if st._reconnecting then
    st._reconnecting = false
    st._addrIndex = st._addrIndex + 1
    if not st.destroyed then connect_to(obj, st) end
    return
  end
  if not st.destroyed then
    -- closed from below (core.closeAll): finish the teardown
    st.destroyed = true
    st._writeReady = false
    st.readable, st.writable, st.connecting = false, false, false
  end
  emit_close(obj, st)
end

function hooks.timeout(sock)
  sock:emit('timeout')
end

local ADDRCONFIG = core.AI_ADDRCONFIG
local is_ip_literal = require('net.address').isIP

-- Node's lookupAndConnect: an IP literal connects on the next tick; a name
-- goes through `lookup` (dns.lookup's shape) or getaddrinfo, with Node's
-- options: ADDRCONFIG unless hints or a family say otherwise, and all
-- addresses (autoSelectFamily) unless a family or localAddress is given.
local function lookup_and_connect(sock, st, host, family, hints, lookup)
  if is_ip(host) then
    st._addresses = { { address = host, family = host:find(':', 1, true) and 6 or 4 } }
    st._addrIndex = 1
    nextTick(function() if st.connecting and not st.destroyed then connect_to(sock, st) end end)
    return
  end
  local dnsopts = { family = (family == 4 or family == 6) and family or nil, hints = hints or 0 }
  if dnsopts.family == nil and dnsopts.hints == 0 then dnsopts.hints = ADDRCONFIG end
  if dnsopts.family == nil and st._localAddress == nil then dnsopts.all = true end
  local function fail(err)
    sock:emit('lookup', err, nil, nil, host)
    sock:destroy(err)
  end
  local function on_addresses(list)
    if not st.connecting or st.destroyed then return end
    for _, a in ipairs(list) do
      sock:emit('lookup', nil, a.address, a.family, host)
      if is_ip_literal(a.address) == 0 then
        sock:destroy(errors.new('TypeError', 'ERR_INVALID_IP_ADDRESS', 'Invalid IP address: ' .. tostring(a.address)))
        return
      end
      if not dnsopts.all then break end
    end
    if st.destroyed then return end
    st._addresses = list
    st._addrIndex = 1
    connect_to(sock, st)
  end
  if lookup ~= nil then
    lookup(host, dnsopts, function(err, addrs, fam)
      if not st.connecting or st.destroyed then return end
      if err ~= nil then return fail(err) end
      if type(addrs) == 'string' then addrs = { { address = addrs, family = fam } } end
      on_addresses(addrs)
    end)
    return
  end
  local ok, errno = core.getaddrinfo(host, dnsopts.family or 0, dnsopts.hints, function(lerr, list)
    if not st.connecting or st.destroyed then return end
    if lerr ~= nil then return fail(errors.dns(lerr, 'getaddrinfo', host)) end
    if not dnsopts.all then list = { list[1] } end
    on_addresses(list)
  end)
  if not ok then nextTick(fail, errors.dns(errno, 'getaddrinfo', host)) end
end

-- Normalise connect()'s forms to (options, cb), as Node's normalizeArgs.
local function normalize(...)
  local a1, a2, a3 = ...
  if type(a1) == 'table' then
    return a1, type(a2) == 'function' and a2 or nil
  end
  local nargs = select('#', ...)
  local cb = nargs > 0 and select(nargs, ...) or nil
  if type(cb) ~= 'function' then cb = nil end
  if type(a1) == 'string' and not validate.isPortLike(a1) then
    return { path = a1 }, cb
  end
  local options = { port = a1 }
  if type(a2) == 'string' then options.host = a2 end
  return options, type(a3) == 'function' and a3 or cb
end
M.normalize = normalize

function Socket:connect(...)
  local options, cb = normalize(...)
  local st = fields(self)
  if st.connecting then return self end
  if st.destroyed and (st._closed or not core.hasHandle(self)) then
    -- reconnecting a closed socket
    reset_state(st)
  elseif core.hasHandle(self) then
    return self
  end
  if cb ~= nil then self:once('connect', cb) end
  local path = options.path
  if path ~= nil then
    if type(path) ~= 'string' then
      errors.raise(errors.invalidArgType('options.path', 'string', path), 3)
    end
    st.connecting = true
    st._connectAddress = path
    st._isTcp = false
    st._hadHandle = true
    local ok, errno = self:_initPipe(false)
    if ok and st._unrefd then self:_unref() end
    if ok then ok, errno = self:_connectPath(path) end
    if not ok then self:destroy(errors.uv(errno, 'connect', path)) end
    return self
  end
  local port = options.port
  if port == nil and options.host == nil then
    errors.raise(errors.new('TypeError', 'ERR_MISSING_ARGS',
      'The "options" or "port" or "path" argument must be specified'), 3)
  end
  if port ~= nil and type(port) ~= 'number' and type(port) ~= 'string' then
    errors.raise(errors.invalidArgType('options.port', { 'number', 'string' }, port), 3)
  end
  port = validate.port(port, 'Port')
  local host = options.host
  if host ~= nil and type(host) ~= 'string' then
    errors.raise(errors.invalidArgType('hostname', 'string', host), 3)
  end
  host = host or 'localhost'
  local family = options.family
  if family ~= nil and family ~= 0 and family ~= 4 and family ~= 6 then
    errors.raise(errors.invalidArgValue('options.family', family, 'must be one of: 0, 4, 6'), 3)
  end
  validate.func(options.lookup, 'options.lookup')
  local localAddress = options.localAddress
  if localAddress ~= nil and is_ip_literal(localAddress) == 0 then
    errors.raise(errors.new('TypeError', 'ERR_INVALID_IP_ADDRESS', 'Invalid IP address: ' .. tostring(localAddress)), 3)
  end
  local localPort = options.localPort
  if localPort ~= nil and type(localPort) ~= 'number' then
    errors.raise(errors.invalidArgType('options.localPort', 'number', localPort), 3)
  end
  local hints = options.hints
  if hints ~= nil then
    if type(hints) ~= 'number' then errors.raise(errors.invalidArgType('options.hints', 'number', hints), 3) end
    local allowed = core.AI_ADDRCONFIG | core.AI_V4MAPPED | core.AI_ALL
    if math.type(hints) ~= 'integer' or hints & ~allowed ~= 0 then
      errors.raise(errors.invalidArgValue('hints', hints), 3)
    end
  end
  if options.timeout ~= nil and type(options.timeout) ~= 'number' then
    errors.raise(errors.invalidArgType('msecs', 'number', options.timeout), 3)
  end
  st._port = port
  st._host = host
  st._localAddress = options.localAddress
  st._localPort = options.localPort and validate.port(options.localPort, 'options.localPort')
  if options.noDelay ~= nil then st._noDelay = options.noDelay end
  if options.keepAlive ~= nil then st._keepAlive = options.keepAlive end
  if options.keepAliveInitialDelay ~= nil then st._keepAliveInitialDelay = options.keepAliveInitialDelay end
  if options.timeout ~= nil then self:setTimeout(options.timeout) end
  if options.onread ~= nil then set_onread(st, options.onread) end
  st.connecting = true
  st._isTcp = true
  st._hadHandle = true -- Node makes the handle inside connect()
  st.writable = not st.writableEnded
  lookup_and_connect(self, st, host, family, options.hints, options.lookup)
  return self
end

-- --- the rest of the surface --------------------------------------------

function Socket:setTimeout(ms, cb)
  local st = fields(self)
  if type(ms) ~= 'number' then
    errors.raise(errors.invalidArgType('msecs', 'number', ms), 3)
  end
  if ms ~= ms or ms < 0 or ms == math.huge then
    errors.raise(errors.outOfRange('msecs', 'a non-negative finite number', ms), 3)
  end
  if cb ~= nil and type(cb) ~= 'function' then
    errors.raise(errors.invalidArgType('callback', 'function', cb), 3)
  end
  st.timeout = ms
  ms = math.floor(ms)
  st._timeoutMs = ms
  if cb ~= nil then
    validate.func(cb, 'callback')
    if ms == 0 then self:removeListener('timeout', cb) else self:once('timeout', cb) end
  end
  if core.hasHandle(self) then self:_setTimeout(ms) end
  return self
end

function Socket:setNoDelay(enable)
  local st = fields(self)
  if enable == nil then enable = true end
  st._noDelay = enable and true or false
  if core.hasHandle(self) and not st.connecting and st._isTcp then
    self:_setNoDelay(st._noDelay)
  end
  return self
end

-- setKeepAlive([enable][, initialDelay][, interval][, count]) or
-- setKeepAlive({ enable =, initialDelay =, interval =, count = }); times in ms
function Socket:setKeepAlive(enable, initialDelay, interval, count)
  if type(enable) == 'table' then
    local o = enable
    enable, initialDelay, interval, count = o.enable, o.initialDelay, o.interval, o.count
  end
  local st = fields(self)
  st._keepAlive = enable and true or false
  st._keepAliveInitialDelay = initialDelay
  st._keepAliveInterval, st._keepAliveCount = interval, count
  if core.hasHandle(self) and not st.connecting and st._isTcp then
    self:_setKeepAlive(st._keepAlive, math.floor((initialDelay or 0) / 1000),
      math.floor((interval or 1000) / 1000), count or 10)
  end
  return self
end

function Socket:setTypeOfService(tos)
  local st = fields(self)
  st._tos = validate_tos(tos, 'tos')
  if core.hasHandle(self) and not st.connecting and st._isTcp then
    local ok, errno = self:_setTypeOfService(tos)
    if not ok then errors.raise(errors.uv(errno, 'setTypeOfService'), 3) end
  end
  return self
end

function Socket:getTypeOfService()
  local st = fields(self)
  if core.hasHandle(self) and not st.connecting and st._isTcp then
    local tos = self:_getTypeOfService()
    if tos then return tos end
  end
  return st._tos or 0
end

function Socket:address()
  if not core.hasHandle(self) then return {} end
  local name = self:_sockname()
  return name or {}
end

-- ref/unref before connect are remembered and applied to the handle
function Socket:ref()
  fields(self)._unrefd = false
  if core.hasHandle(self) then self:_ref() end
  return self
end

function Socket:unref()
  fields(self)._unrefd = true
  if core.hasHandle(self) then self:_unref() end
  return self
end

-- pipe(dest[, { end = false }]): data flow with backpressure both ways.
function Socket:pipe(dest, opts)
  local do_end = true
  if opts ~= nil and (opts['end'] == false or opts.end_ == false) then do_end = false end
  local src = self
  local function ondata(chunk)
    if dest:write(chunk) == false then src:pause() end
  end
  local function ondrain() src:resume() end
  local function onend() if do_end then dest:end_() end end
  local function cleanup()
    src:removeListener('data', ondata)
    dest:removeListener('drain', ondrain)
    src:removeListener('end', onend)
  end
  local pipes = fields(self)._pipes or {}
  fields(self)._pipes = pipes
  pipes[dest] = cleanup
  src:on('data', ondata)
  dest:on('drain', ondrain)
  src:once('end', onend)
  src:once('close', cleanup)
  if dest.emit then dest:emit('pipe', src) end
  return dest
end

function Socket:unpipe(dest)
  local pipes = fields(self)._pipes
  if pipes == nil or next(pipes) == nil then return self end
  local gone = {}
  for d, cleanup in pairs(pipes) do
    if dest == nil or d == dest then
      cleanup()
      pipes[d] = nil
      gone[#gone + 1] = d
    end
  end
  if #gone > 0 and next(pipes) == nil then self:pause() end
  for _, d in ipairs(gone) do
    if d.emit then d:emit('unpipe', self) end
  end
  return self
end

Socket.__close = Socket.destroy
class.meta.__close = function(sock) sock:destroy() end

-- --- properties ---------------------------------------------------------

local function peer(sock)
  local st = fields(sock)
  if st._peer == nil and core.hasHandle(sock) and not st.connecting and sock._peername then
    st._peer = sock:_peername() or false
  end
  return st._peer or nil
end

function getters.remoteAddress(sock) local p = peer(sock) return p and p.address end
function getters.remotePort(sock) local p = peer(sock) return p and p.port end
function getters.remoteFamily(sock) local p = peer(sock) return p and p.family end

local function local_name(sock)
  if not core.hasHandle(sock) then return nil end
  return sock:_sockname()
end
function getters.localAddress(sock) local n = local_name(sock) return n and n.address end
function getters.localPort(sock) local n = local_name(sock) return n and n.port end
function getters.localFamily(sock) local n = local_name(sock) return n and n.family end

-- counters of the open handle, or those it had when it closed
function getters.bytesRead(sock)
  if core.hasHandle(sock) then return (sock:_stats()) end
  return fields(sock)._bytesRead
end

function getters.bytesWritten(sock)
  local st = fields(sock)
  local written = st._bytesWritten
  if core.hasHandle(sock) then
    local _
    _, written = sock:_stats()
  end
  return written + st._pendingBytes
end

function getters.writableLength(sock)
  local _, _, queued = sock:_stats()
  return queued + fields(sock)._pendingBytes
end
-- Node's bufferSize: writableLength while there is a handle (connecting
-- counts: Node makes the handle inside connect()), else nil
function getters.bufferSize(sock)
  if core.hasHandle(sock) or fields(sock).connecting then return getters.writableLength(sock) end
  return nil
end

function getters.readableLength(sock) return fields(sock)._rlen end
function getters.pending(sock)
  local st = fields(sock)
  return st.connecting or not core.hasHandle(sock)
end
function getters.readableFlowing(sock) return fields(sock)._flowing end
function getters.writableNeedDrain(sock)
  local st = fields(sock)
  return getters.writableLength(sock) >= st.writableHighWaterMark
end
function getters.writableCorked(sock) return fields(sock)._corked end

function getters.readyState(sock)
  local st = fields(sock)
  if st.connecting then return 'opening' end
  if st.readable and st.writable then return 'open' end
  if st.readable and not st.writable then return 'readOnly' end
  if not st.readable and st.writable then return 'writeOnly' end
  return 'closed'
end

function setters.writableHighWaterMark(sock, v)
  fields(sock).writableHighWaterMark = v
end

return M
