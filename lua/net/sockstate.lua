-- What the socket modules (readable, writable, destroy, pipe, connect,
-- socket) share: the private state of each socket and the C entry points.
--
-- A socket's private state table (user value 2 of its userdata, made in
-- csrc/object.c) holds only Node's rules that C does not need: flags such
-- as `connecting`, `readableEnded` or `errorEmitted`, the decoder, the
-- remembered options. Everything C needs (the write queue, cork depth,
-- needDrain, the high-water marks, the byte counters, the read buffer,
-- flowing, ended, destroyed, the idle timeout) lives only in C and is read
-- through core.stream. The table also holds the emitter's `_events` (what
-- `sock._events` reads and assigns) and, under a key only C can make, the
-- write buffers C keeps alive: a socket pays for one table, not three.
local core = require('net.core')
local EventEmitter = require('net.emitter')

local M = {
  S = core.stream,        -- stream state and the hot path (csrc/stream.c)
  tcp = core.tcp,         -- csrc/tcp.c
  pipe = core.pipe,       -- csrc/pipe.c
  handle = core.handle,   -- handle life: close, ref, adopt (csrc/object.c)
  DEFAULTS = core.DEFAULTS,
  nextTick = core.nextTick,
  class = core.classes.Socket,
}

-- st.waiter: function(obj, st, event), set by net.promises on the sockets
-- and servers its tasks wait on; the event points below call it after
-- their own work ('data' with setEncoding, 'readable', 'eof', 'readerror',
-- 'written', 'timeout', 'destroy' before destroying, 'close'; a server's
-- 'closing' from close() and 'close' when its handle is gone).
function M.notify(obj, st, event)
  local w = st.waiter
  if w ~= nil then w(obj, st, event) end
end

-- emitter(methods) -> emit(obj, st, name, ...): what obj:emit(name, ...)
-- does, for the rules, which hold obj's private state: the listeners are
-- read from it directly (no lookups through the object's __index for
-- `emit` and `_events`). An `emit` of the object's own (C sets st.ownEmit
-- when a user assigns one) or a replaced class method is called, as
-- Node's internals call this.emit.
local base_emit = EventEmitter.emit
function M.emitter(methods)
  return function(obj, st, name, ...)
    if st.ownEmit or methods.emit ~= base_emit then return obj:emit(name, ...) end
    -- the rules' event names are strings: most have no listener
    local ev = st._events
    if (ev == nil or ev[name] == nil) and name ~= 'error' then return false end
    -- (the emitter only reads `_events` of its self: st holds obj's)
    return base_emit(st, name, ...)
  end
end
M.emit = M.emitter(core.classes.Socket.methods)

-- Node's `writable`: not set false, not errored, neither destroyed nor
-- ended (what the getter answers; the rules ask it here, without the
-- getter's lookup)
function M.writable(sock, st)
  return st.wflag ~= false and st.errored == nil and core.stream.canWrite(sock)
end

-- private(sock): the private table (a C call; hooks are handed it).
M.private = core.private

return M
