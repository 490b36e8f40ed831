-- AbortController and AbortSignal, as the `signal` options of Socket and
-- Server.listen use them: signal.aborted, signal.reason, signal:on('abort').
local EventEmitter = require('net.emitter')
local errors = require('net.errors')

local M = {}

local AbortSignal = EventEmitter:extend()
AbortSignal.__name = 'AbortSignal'
M.AbortSignal = AbortSignal

function AbortSignal:init()
  self.aborted = false
  self.reason = nil
end

-- The DOMException Node gives as the default reason.
local function default_reason()
  local e = errors.new('AbortError', 20, 'This operation was aborted')
  return e
end

local function fire(signal, reason)
  if signal.aborted then return end
  signal.aborted = true
  signal.reason = reason == nil and default_reason() or reason
  if type(signal.onabort) == 'function' then signal.onabort() end
  signal:emit('abort')
end

function AbortSignal:throwIfAborted()
  if self.aborted then error(self.reason, 2) end
end

-- AbortSignal.abort([reason]): a signal already aborted
function AbortSignal.abort(reason)
  local s = AbortSignal.new()
  fire(s, reason)
  return s
end

-- AbortSignal.timeout(ms): aborts with a TimeoutError after ms
function AbortSignal.timeout(ms)
  local s = AbortSignal.new()
  local t = require('net.timers').setTimeout(function()
    fire(s, errors.new('TimeoutError', 23, 'The operation was aborted due to timeout'))
  end, ms)
  t:unref()
  return s
end

function AbortSignal.is(v)
  return getmetatable(v) == AbortSignal
end

local AbortController = {}
AbortController.__index = AbortController
AbortController.__name = 'AbortController'

function AbortController.new()
  return setmetatable({ signal = AbortSignal.new() }, AbortController)
end

function AbortController:abort(reason)
  fire(self.signal, reason)
end

setmetatable(AbortController, { __call = function() return AbortController.new() end })
M.AbortController = AbortController

-- Node's AbortError (code ABORT_ERR), with the signal's reason as cause.
function M.abortError(signal)
  local e = errors.new('AbortError', 'ABORT_ERR', 'The operation was aborted')
  e.cause = signal and signal.reason
  return e
end

-- Validate an options.signal value (Node's validateAbortSignal).
function M.check(signal, name)
  if signal ~= nil and not AbortSignal.is(signal) then
    errors.raise(errors.invalidArgType(name, 'an instance of AbortSignal', signal), 4)
  end
  return signal
end

-- Call fn once the signal aborts (at once, deferred, if it already has).
function M.onAbort(signal, fn)
  if signal.aborted then
    require('net.core').nextTick(fn)
    return function() end
  end
  signal:once('abort', fn)
  return function() signal:removeListener('abort', fn) end
end

return M
