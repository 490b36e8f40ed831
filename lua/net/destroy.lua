-- Node's destroy for sockets: the state changes at once; 'error' (if any)
-- on the next tick; 'close' once libuv has closed the handle. Also the
-- close hook, which ends the teardown (or hands a failed connect attempt
-- to the next address).
local errors = require('net.errors')
local shared = require('net.sockstate')

local S, tcp, handle, emit = shared.S, shared.tcp, shared.handle, shared.emit
local private, nextTick = shared.private, shared.nextTick
local hasHandle = require('net.core').hasHandle

local M = {}

local function emit_error_nt(sock, st, err)
  if st.errorEmitted then return end
  st.errorEmitted = true
  emit(sock, st, 'error', err)
end
M.emitErrorNT = emit_error_nt

-- A server counts its connection gone when the socket is destroyed (as
-- Node's _destroy), before the socket's own 'close'.
local function leave_server(st)
  local server = st.owner
  if server ~= nil and not st.left then
    st.left = true -- `owner` stays: it is also the socket's `server` field
    server:_connectionClosed()
  end
end

-- Node's errorBuffer for end_'s callbacks: the socket will never finish,
-- so they hear the error it was destroyed with, or ERR_STREAM_DESTROYED.
local function fail_finish_cbs(st)
  local cbs = st.finishCbs
  if cbs == nil then return end
  st.finishCbs = nil
  local err = st.errored
  if err == nil then
    err = errors.new('Error', 'ERR_STREAM_DESTROYED', 'Cannot call end after a stream was destroyed')
  end
  for i = 1, #cbs do cbs[i](err) end
end

local function emit_close(sock, st, never_connected)
  if st.closeEmitted then return end
  -- the callbacks of writes still queued were called as the handle closed
  fail_finish_cbs(st)
  st.closeEmitted = true
  leave_server(st)
  if never_connected then
    emit(sock, st, 'close') -- Node's emitCloseNT: no hadError argument
  else
    emit(sock, st, 'close', st.hadError == true)
  end
end

local CLOSED_BEFORE_CONNECTION = function()
  return errors.new('Error', 'ERR_SOCKET_CLOSED_BEFORE_CONNECTION',
    'Socket closed before the connection was established')
end

-- destroy(sock, st, err, reset): `reset` closes a TCP handle with RST.
function M.destroy(sock, st, err, reset)
  if S.isDestroyed(sock) then return sock end
  shared.notify(sock, st, 'destroy')
  local held = S.destroy(sock) -- callbacks of writes held for the connection
  if held ~= nil then
    local e = CLOSED_BEFORE_CONNECTION()
    for i = 1, #held do nextTick(held[i], e) end
  end
  -- with writes queued, Node calls end_'s callbacks after theirs (at
  -- close); else on the next tick, before 'error'
  if st.finishCbs ~= nil and not (hasHandle(sock) and S.state(sock, 'writableLength') > 0) then
    nextTick(fail_finish_cbs, st)
  end
  st.connecting = nil -- (nil reads as false; an accepted socket never had the key)
  if st.onDestroy then st.onDestroy() end -- the connect attempt's timers
  if err ~= nil then
    st.hadError = true
    if st.errored == nil then st.errored = err end
    nextTick(emit_error_nt, sock, st, err)
  end
  if hasHandle(sock) then
    -- 'close' comes from the close hook
    if not (reset and tcp.closeReset(sock)) then handle.close(sock) end
  else
    nextTick(emit_close, sock, st, not st.hadHandle)
  end
  leave_server(st)
  return sock
end

-- The handle closed: the teardown ends. (An attempt's handle that
-- connect moved on from is not reported: csrc/object.c.)
function M.onClose(sock, st)
  -- an adopted BoundSocket's pipe file goes with its handle
  if st.boundPath ~= nil then
    require('net.boundsocket').unlink(st.boundPath)
    st.boundPath = nil
  end
  if not S.isDestroyed(sock) then
    -- closed from below (core.closeAll): finish the teardown
    S.destroy(sock)
    st.connecting = nil
  end
  emit_close(sock, st)
  shared.notify(sock, st, 'close')
end

function M.install(Socket)
  function Socket:destroy(err)
    return M.destroy(self, private(self), err, false)
  end

  function Socket:destroySoon()
    if self.writable then self:end_() end
    if private(self).writableFinished then
      self:destroy()
    else
      self:once('finish', function() self:destroy() end)
    end
    return self
  end

  -- resetAndDestroy(): close with RST, so the peer sees ECONNRESET.
  function Socket:resetAndDestroy()
    local st = private(self)
    if hasHandle(self) or st.connecting then
      if handle.kind(self) == 'pipe' or st.path ~= nil then
        errors.raise(errors.new('TypeError', 'ERR_INVALID_HANDLE_TYPE', 'This handle type cannot be sent'), 3)
      end
      if st.connecting then
        self:once('connect', function() M.destroy(self, st, nil, true) end)
      else
        M.destroy(self, st, nil, true)
      end
      return self
    end
    return self:destroy(errors.new('Error', 'ERR_SOCKET_CLOSED', 'Socket is closed'))
  end
end

return M
