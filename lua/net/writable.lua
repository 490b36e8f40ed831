-- The writable side of a Socket, as Node's Writable: write, end, cork,
-- 'drain', 'finish'.
--
-- The write queue (including writes made while connecting), cork depth,
-- needDrain, the high-water mark, the byte counters and `ended` live only
-- in C (csrc/stream.c); C also decides when 'drain' is due. This file
-- keeps Node's rules around them: argument checks, errors for writes that
-- cannot happen, end/finish order.
local errors = require('net.errors')
local encoding = require('net.encoding')
local shared = require('net.sockstate')

local S, emit = shared.S, shared.emit
local private, nextTick = shared.private, shared.nextTick
local hasHandle = require('net.core').hasHandle
local errno = require('net.core').errno
local ECANCELED, ENOTCONN = errno.ECANCELED, errno.ENOTCONN

local M = { hooks = {} }
local hooks = M.hooks

local c_write = S.write

local function destroyed_error(what)
  return errors.new('Error', 'ERR_STREAM_DESTROYED', 'Cannot call ' .. what .. ' after a stream was destroyed')
end

local function finish(sock, st)
  if st.writableFinished or S.isDestroyed(sock) then return end
  if not st.prefinished then
    -- Node's prefinish (its _final is done): before the end() callbacks
    -- and 'finish', with writableFinished still false
    st.prefinished = true
    emit(sock, st, 'prefinish')
    if S.isDestroyed(sock) then return end
  end
  st.writableFinished = true
  local cbs = st.finishCbs
  st.finishCbs = nil
  if cbs then for i = 1, #cbs do cbs[i]() end end
  emit(sock, st, 'finish')
  -- Node's autoDestroy: once the readable side has ended, or when it was
  -- set not readable (`readable = false`)
  if st.readableEnded or st.rflag == false then
    sock:destroy()
  end
end
M.finish = finish

-- Send FIN once every write is out (libuv orders the shutdown after them).
local function shutdown(sock, st)
  if st.shutdownSent or S.isDestroyed(sock) then return end
  st.shutdownSent = true
  local ok, err = S.shutdown(sock)
  if not ok then
    if err == ENOTCONN then
      nextTick(finish, sock, st)
    else
      sock:destroy(errors.uv(err, 'shutdown'))
    end
  end
end
M.shutdown = shutdown

function hooks.shutdown(sock, st, status)
  if status < 0 and status ~= ENOTCONN and status ~= ECANCELED then
    sock:destroy(errors.uv(status, 'shutdown'))
    return
  end
  finish(sock, st)
  if st.readableEnded and not S.isDestroyed(sock) then sock:destroy() end
end

-- C: writes finished, failed, or were dropped unsent at close; `cbs`
-- lists their callbacks in order; `drain`: Node's 'drain' is due.
function hooks.written(sock, st, err_no, cbs, drain, unsent)
  local err
  if err_no ~= nil then
    if unsent then
      -- Node's errorBuffer: the error the stream was destroyed with
      err = st.errored or destroyed_error('write')
    elseif err_no ~= ECANCELED or not S.isDestroyed(sock) then
      err = errors.uv(err_no, 'write')
      sock:destroy(err)
    end
    -- a write in flight when the socket was destroyed: Node calls back with no error
  end
  if drain then emit(sock, st, 'drain') end
  if cbs ~= nil then
    for i = 1, #cbs do cbs[i](err) end
  end
  shared.notify(sock, st, 'written')
end

-- The writes held while connecting leave from a 'connect' listener, added
-- at the first such write, as Node's _writeGeneric does.
local function flush_held(sock)
  local st = private(sock)
  st.flushListening = false
  local cb, drain = S.flush(sock)
  if drain then emit(sock, st, 'drain') end
  if cb ~= nil then cb(nil) end
end

-- Node's errorOrDestroy for a write that cannot happen: the callback
-- hears the error on the next tick; the socket is destroyed with it now.
local function write_error(sock, err, cb)
  if cb then nextTick(cb, err) end
  if not S.isDestroyed(sock) then sock:destroy(err) end
end

-- Node's write() once the arguments are checked; from_end: end_(data)
-- writes past the write-after-FIN guard, as Node's end() calls the
-- internal writer, not the replaced socket.write.
local function write_impl(sock, st, data, enc, cb, from_end)
  if type(enc) == 'function' then enc, cb = nil, enc end
  if type(data) ~= 'string' then
    errors.raise(errors.invalidArgType('chunk', 'string or an instance of Buffer, TypedArray, or DataView', data), 4)
  end
  if enc ~= nil and type(enc) ~= 'string' then
    errors.raise(errors.new('TypeError', 'ERR_UNKNOWN_ENCODING', 'Unknown encoding: ' .. tostring(enc)), 4)
  end
  if cb ~= nil and type(cb) ~= 'function' then
    errors.raise(errors.invalidArgType('cb', 'function', cb), 4)
  end
  if enc ~= nil and enc ~= 'utf8' and enc ~= 'utf-8' and enc ~= 'buffer' then
    data = encoding.encode(data, enc)
  end
  if st.writeAfterFIN and S.isEnded(sock) and not from_end then
    -- Node's writeAfterFIN: the callback hears EPIPE, and the socket is
    -- destroyed with it ('error', then close(true))
    local err = errors.new('Error', 'EPIPE', 'This socket has been ended by the other party')
    if cb then nextTick(cb, err) end
    sock:destroy(err)
    return false
  end
  if S.isEnded(sock) then
    write_error(sock, errors.new('Error', 'ERR_STREAM_WRITE_AFTER_END', 'write after end'), cb)
    return false
  end
  if S.isDestroyed(sock) then
    if cb then nextTick(cb, destroyed_error('write')) end
    return false
  end
  local below = c_write(sock, data, cb)
  if below == nil then
    -- never connected and not connecting: Node's ERR_SOCKET_CLOSED
    local err = errors.new('Error', 'ERR_SOCKET_CLOSED', 'Socket is closed')
    if cb then nextTick(cb, err) end
    sock:destroy(err)
    return false
  end
  if st.connecting and not st.flushListening then
    st.flushListening = true
    sock:once('connect', function() flush_held(sock) end)
  end
  return below
end

function M.install(Socket, getters, setters)
  -- write(data[, encoding][, cb]): a C function, which writes the common
  -- case (a string, no encoding, no callback, connected) itself and hands
  -- anything else to Node's rules here
  Socket.write = S.makeWrite(function(self, data, enc, cb)
    return write_impl(self, private(self), data, enc, cb, false)
  end)

  function Socket:cork()
    S.cork(self)
  end

  function Socket:uncork()
    S.uncork(self)
  end

  function Socket:end_(data, enc, cb)
    if type(data) == 'function' then data, enc, cb = nil, nil, data
    elseif type(enc) == 'function' then enc, cb = nil, enc end
    if cb ~= nil and type(cb) ~= 'function' then
      errors.raise(errors.invalidArgType('cb', 'function', cb), 3)
    end
    local st = private(self)
    local err
    if data ~= nil then
      if S.isEnded(self) then
        err = errors.new('Error', 'ERR_STREAM_WRITE_AFTER_END', 'write after end')
        write_error(self, err, nil)
      else
        write_impl(self, st, data, enc, nil, true)
      end
    end
    if S.state(self, 'corked') > 0 then S.uncork(self, true) end
    local ended_now = false
    if err == nil and st.errored == nil and not S.isEnded(self) then
      ended_now = true
    elseif err == nil and st.writableFinished then
      err = errors.new('Error', 'ERR_STREAM_ALREADY_FINISHED', 'Cannot call end after a stream was finished')
    elseif err == nil and S.isDestroyed(self) then
      err = destroyed_error('end')
    end
    if cb ~= nil then
      if err ~= nil or st.writableFinished then
        nextTick(cb, err)
      else
        st.finishCbs = st.finishCbs or {}
        st.finishCbs[#st.finishCbs + 1] = cb
      end
    end
    if not ended_now then return self end
    S.finish(self)
    if not st.connecting and hasHandle(self) then
      shutdown(self, st)
    elseif not st.connecting then
      nextTick(finish, self, st)
    end
    return self
  end
  Socket['end'] = Socket.end_

  function getters.writable(sock) return shared.writable(sock, private(sock)) end
  function setters.writable(sock, v) private(sock).wflag = v and true or false end
  function getters.writableLength(sock) return S.state(sock, 'writableLength') end
  function getters.writableHighWaterMark(sock) return S.state(sock, 'writableHighWaterMark') end
  function getters.writableNeedDrain(sock)
    return not S.isDestroyed(sock) and not S.isEnded(sock) and S.state(sock, 'needDrain')
  end
  function getters.writableCorked(sock) return S.state(sock, 'corked') end
  function getters.writableEnded(sock) return S.isEnded(sock) end
  function getters.writableFinished(sock) return private(sock).writableFinished == true end
  function getters.writableObjectMode() return false end
  function getters.bytesWritten(sock) return (select(2, S.stats(sock))) end
  -- Node's bufferSize: writableLength while there is a handle (connecting
  -- counts: Node makes the handle inside connect()), else nil
  function getters.bufferSize(sock)
    if hasHandle(sock) or private(sock).connecting then return S.state(sock, 'writableLength') end
    return nil
  end
end

M.writeImpl = write_impl
M.flushHeld = flush_held

return M
