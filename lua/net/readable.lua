-- The readable side of a Socket, as Node's Readable: flowing and paused
-- mode, 'data', 'readable', read([size]), 'end', setEncoding, onread.
--
-- The bytes wait in C (csrc/stream.c): its read buffer, flowing and the
-- high-water mark live there, and C hands a chunk straight to hooks.data
-- while the socket flows with nothing buffered (the hot path). This file
-- keeps Node's bookkeeping that C does not need: needReadable,
-- emittedReadable, readableListening, ended, endEmitted, the decoder.
local errors = require('net.errors')
local encoding = require('net.encoding')
local EventEmitter = require('net.emitter')
local shared = require('net.sockstate')

local S, notify, emit = shared.S, shared.notify, shared.emit
local private, nextTick = shared.private, shared.nextTick
local hasHandle = require('net.core').hasHandle

local M = { hooks = {} }
local hooks = M.hooks

-- Node's resumeScheduled, for the one tick between resume() and its
-- effect: kept apart from the state table, which it would otherwise grow
-- for good (a key added once keeps its slot)
local resume_scheduled = setmetatable({}, { __mode = 'k' })

local flowing, buffered, rhwm = S.flowing, S.readableLength, S.readableHighWaterMark
local read_state, writable = S.readState, shared.writable

local function listener_count(sock, name)
  local ev = sock._events
  local h = ev and ev[name]
  if h == nil then return 0 end
  if type(h) == 'table' and getmetatable(h) == nil then return #h end
  return 1
end

local read, emit_readable, end_readable

-- Node's Socket._read: ask the handle for data (after connecting)
local function want_data(sock, st)
  if st.connecting then
    -- as Node's _read: once connected
    if not st.readOnConnect then
      st.readOnConnect = true
      sock:once('connect', function()
        st.readOnConnect = false
        if hasHandle(sock) then
          st.reading = true
          S.readStart(sock)
        end
      end)
    end
    return
  end
  if not hasHandle(sock) then return end
  st.reading = true
  S.readStart(sock)
end

-- Node's endWritableNT: end the writable side, one tick after 'end'
local function end_writable_nt(sock, st)
  if writable(sock, st) then sock:end_() end
end

local function end_readable_nt(sock, st)
  if st.errored ~= nil or st.closeEmitted or st.readableEnded or buffered(sock) > 0 then return end
  st.readableEnded = true
  emit(sock, st, 'end')
  -- after the user's 'end' listeners: a write() there still goes out
  if not st.allowHalfOpen then st.writeAfterFIN = true end
  if S.isDestroyed(sock) then return end
  if not st.allowHalfOpen and writable(sock, st) then
    nextTick(end_writable_nt, sock, st)
  elseif st.writableFinished or st.wflag == false then
    sock:destroy()
  end
end

function end_readable(sock, st)
  if st.readableEnded then return end
  st.ended = true
  nextTick(end_readable_nt, sock, st)
end

local function flow(sock, st)
  while flowing(sock) == true and read(sock, st, nil) ~= nil do end
end
M.flow = flow

local function emit_readable_now(sock, st)
  local len, hwm, fl, destroyed = read_state(sock)
  if not destroyed and st.errored == nil and (len > 0 or st.ended) then
    emit(sock, st, 'readable')
    st.emittedReadable = nil
    len, hwm, fl = read_state(sock)
  end
  st.needReadable = (fl ~= true and not st.ended and len <= hwm) or nil
  flow(sock, st)
end

function emit_readable(sock, st)
  st.needReadable = nil
  if not st.emittedReadable then
    st.emittedReadable = true
    nextTick(emit_readable_now, sock, st)
  end
end

-- Node's Readable.read(n): n nil reads what is buffered (one chunk while
-- flowing), 0 only starts reading.
function read(sock, st, n)
  local len, hwm, fl, destroyed = read_state(sock)
  if n ~= nil and n > hwm then
    -- Node's computeNewHighWaterMark: the next power of two
    local m = 1
    while m < n do m = m * 2 end
    S.setHighWaterMarks(sock, m, nil)
    hwm = m
  end
  if n ~= 0 then st.emittedReadable = nil end
  if n == 0 and st.needReadable and ((hwm ~= 0 and len >= hwm) or (hwm == 0 and len > 0) or st.ended) then
    if len == 0 and st.ended then end_readable(sock, st) else emit_readable(sock, st) end
    return nil
  end
  -- how much to read
  local take
  if n == nil then
    take = len
  elseif n <= 0 or (len == 0 and st.ended) then
    take = 0
  elseif n <= len then
    take = n
  else
    take = st.ended and len or 0
  end
  if len == 0 and st.ended then take = 0 end
  if take == 0 and st.ended then
    if len == 0 then end_readable(sock, st) end
    return nil
  end
  local do_read = st.needReadable or len == 0 or len - take < hwm
  if do_read and not (st.ended or st.reading or destroyed or st.errored ~= nil) then
    if len == 0 then st.needReadable = true end
    want_data(sock, st)
  end
  local ret
  if take > 0 then
    if n == nil and fl == true then
      ret = S.takeChunk(sock)
    else
      ret = S.take(sock, take)
    end
  end
  if ret == nil then
    st.needReadable = st.needReadable or len <= hwm or nil
    take = 0
  else
    len = buffered(sock)
  end
  if len == 0 then
    if not st.ended then st.needReadable = true end
    if n ~= take and st.ended then end_readable(sock, st) end
  end
  if ret ~= nil and not st.errorEmitted and not st.closeEmitted then
    emit(sock, st, 'data', ret)
  end
  return ret
end

-- A chunk (decoded if setEncoding asked) that C did not buffer itself.
local function push(sock, st, chunk)
  if flowing(sock) == true and buffered(sock) == 0 and listener_count(sock, 'data') > 0 then
    emit(sock, st, 'data', chunk)
    return
  end
  S.push(sock, chunk)
  if st.needReadable then emit_readable(sock, st) end
end

-- onread's buffer function: the next read's size. What is not a size
-- keeps the one in use, as Node keeps its buffer when the function does
-- not return one.
local function ask_buffer(sock, gen)
  local size = gen()
  if type(size) == 'string' then size = #size end
  if math.type(size) == 'integer' and size >= 1 then S.setOnread(sock, true, size) end
end

-- A handle was made for the socket (connect, or Socket({ fd })): Node's
-- initSocketHandle, which asks onread's buffer function for the first
-- buffer.
function M.handleMade(sock, st)
  local gen = st.onreadBuffer
  if gen ~= nil then ask_buffer(sock, gen) end
end

-- C: a chunk for the consumer: flowing with nothing buffered (the hot
-- path, when C did not call a single plain 'data' listener itself), or
-- every chunk in onread and decoding modes.
function hooks.data(sock, st, chunk)
  local onread = st.onread
  if onread ~= nil then
    if onread(#chunk, chunk) == false then S.readStop(sock) end
    local gen = st.onreadBuffer
    if gen ~= nil and hasHandle(sock) then ask_buffer(sock, gen) end
    return
  end
  local dec = st.decoder
  if dec ~= nil then
    st.reading = nil
    chunk = dec:write(chunk)
    if chunk ~= '' then push(sock, st, chunk) end
    notify(sock, st, 'data')
    return
  end
  -- (one plain listener and no emit of the socket's own: C called it)
  emit(sock, st, 'data', chunk)
end

-- C: bytes were added to the read buffer.
function hooks.readable(sock, st)
  st.reading = nil
  if st.needReadable then emit_readable(sock, st) end
  notify(sock, st, 'readable')
end

-- Node's onEofChunk, then read(0) as net's onStreamRead does.
local function eof(sock, st)
  st.reading = nil
  if st.ended then return end
  local dec = st.decoder
  if dec ~= nil then
    local rest = dec:flush()
    if rest ~= '' then S.push(sock, rest) end
  end
  st.ended = true
  st.needReadable = nil
  st.emittedReadable = true
  emit_readable_now(sock, st)
  read(sock, st, 0)
end

function hooks.eof(sock, st)
  eof(sock, st)
  notify(sock, st, 'eof')
end

function hooks.readerror(sock, st, errno)
  sock:destroy(errors.uv(errno, 'read'))
  notify(sock, st, 'readerror')
end

-- 'readable' listeners changed (a tick after a removal, as Node's).
local function update_readable_listening(sock, st)
  st.readableListening = listener_count(sock, 'readable') > 0 or nil
  -- (Node's kPaused === false: resume() ran, and set resumeScheduled)
  if resume_scheduled[sock] and not st.paused then
    S.setFlowing(sock, true)
  elseif listener_count(sock, 'data') > 0 then
    sock:resume()
  elseif not st.readableListening then
    S.setFlowing(sock, nil)
  end
end

local function resume_nt(sock, st)
  if not st.reading then read(sock, st, 0) end
  resume_scheduled[sock] = nil
  emit(sock, st, 'resume')
  flow(sock, st)
  if flowing(sock) == true and not st.reading then read(sock, st, 0) end
end

local function on_added(sock, name)
  local st = private(sock)
  if name == 'data' then
    st.readableListening = listener_count(sock, 'readable') > 0 or nil
    if flowing(sock) ~= false then sock:resume() end
  elseif name == 'readable' then
    if not st.readableEnded and not st.readableListening then
      st.readableListening, st.needReadable = true, true
      S.setFlowing(sock, false)
      st.emittedReadable = nil
      if buffered(sock) > 0 then
        emit_readable(sock, st)
      elseif not st.reading then
        nextTick(read, sock, st, 0)
      end
    end
  end
end

function M.install(Socket, getters, setters)
  function Socket:read(n)
    if n ~= nil then
      if type(n) ~= 'number' then
        n = tonumber(n)
      end
      if n == nil or n ~= n then
        n = nil
      else
        -- Node's computeNewHighWaterMark refuses more than 1 GiB
        if n > 0x40000000 then errors.raise(errors.outOfRange('size', '<= 1GiB', n), 2) end
        n = math.tointeger(n >= 0 and math.floor(n) or math.ceil(n)) or 0
      end
    end
    return read(self, private(self), n)
  end

  function Socket:pause()
    local st = private(self)
    if flowing(self) ~= false then
      S.setFlowing(self, false)
      emit(self, st, 'pause')
    end
    st.paused = true
    if st.onread ~= nil then S.readStop(self) end
    return self
  end

  function Socket:resume()
    local st = private(self)
    if flowing(self) ~= true then
      S.setFlowing(self, not st.readableListening)
      if st.onread ~= nil and hasHandle(self) and not st.connecting then S.readStart(self) end
      if not resume_scheduled[self] then
        resume_scheduled[self] = true
        nextTick(resume_nt, self, st)
      end
    end
    st.paused = nil -- Node's false; nil, so an idle socket's state needs no key for it
    return self
  end

  function Socket:isPaused()
    return private(self).paused == true or flowing(self) == false
  end

  function Socket:unshift(chunk)
    if type(chunk) ~= 'string' then
      errors.raise(errors.invalidArgType('chunk', { 'string', 'Buffer', 'Uint8Array' }, chunk), 3)
    end
    local st = private(self)
    S.unshift(self, chunk)
    if st.needReadable then emit_readable(self, st) end
  end

  function Socket:setEncoding(enc)
    local st = private(self)
    st.decoder = encoding.decoder(enc == nil and 'utf8' or enc)
    st.encoding = st.decoder.encoding
    if st.onread == nil then S.setDecode(self, true) end
    -- what is buffered is decoded now, as Node re-decodes its buffer
    local pending = S.take(self)
    if pending ~= nil then S.push(self, st.decoder:write(pending)) end
    return self
  end

  -- Adding a 'data' listener starts the flow unless paused; a 'readable'
  -- listener switches to paused mode.
  function Socket:on(name, fn)
    EventEmitter.on(self, name, fn)
    on_added(self, name)
    return self
  end
  Socket.addListener = Socket.on

  function Socket:once(name, fn)
    EventEmitter.once(self, name, fn)
    on_added(self, name)
    return self
  end

  function Socket:removeListener(name, fn)
    EventEmitter.removeListener(self, name, fn)
    if name == 'readable' then nextTick(update_readable_listening, self, private(self)) end
    return self
  end
  Socket.off = Socket.removeListener

  function Socket:removeAllListeners(name)
    EventEmitter.removeAllListeners(self, name)
    if name == 'readable' or name == nil then nextTick(update_readable_listening, self, private(self)) end
    return self
  end

  function getters.readable(sock)
    local st = private(sock)
    return st.rflag ~= false and not S.isDestroyed(sock) and not st.errorEmitted and not st.readableEnded
  end
  function setters.readable(sock, v) private(sock).rflag = v and true or false end
  function getters.readableFlowing(sock) return flowing(sock) end
  function setters.readableFlowing(sock, v)
    if v == nil then S.setFlowing(sock, nil) else S.setFlowing(sock, v and true or false) end
  end
  function getters.readableLength(sock) return buffered(sock) end
  function getters.readableHighWaterMark(sock) return rhwm(sock) end
  function getters.readableEnded(sock) return private(sock).readableEnded == true end
  function getters.readableEncoding(sock) return private(sock).encoding end
  function getters.readableObjectMode() return false end
  function getters.readableAborted(sock)
    local st = private(sock)
    return (S.isDestroyed(sock) or st.errored ~= nil) and not st.readableEnded
  end
  function getters.readableDidRead(sock) return S.stats(sock) > 0 end
  function getters.errored(sock) return private(sock).errored end
  function getters.closed(sock) return private(sock).closeEmitted == true end
end

M.read = read
M.emitReadable = emit_readable

return M
