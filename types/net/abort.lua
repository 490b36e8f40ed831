---@meta _
-- LuaLS definitions for net.AbortController and net.AbortSignal
-- (docs/reference/abort.md).

---@class net.AbortSignal: net.EventEmitter
---@field aborted boolean
---@field reason any The abort reason (nil until aborted).
---@field onabort? fun() Called before the 'abort' listeners.
---@overload fun(): net.AbortSignal
local AbortSignal = {}

---A signal not tied to a controller.
---@return net.AbortSignal
function AbortSignal.new() end

---The constructor hook `new` calls (sets aborted = false).
function AbortSignal:init() end

---Raises `reason` if aborted.
function AbortSignal:throwIfAborted() end

---A signal already aborted.
---@param reason? any
---@return net.AbortSignal
function AbortSignal.abort(reason) end

---A signal that aborts by itself after `ms` (a TimeoutError).
---@param ms number
---@return net.AbortSignal
function AbortSignal.timeout(ms) end

---@param value any
---@return boolean
function AbortSignal.is(value) end

---@param event "abort"|"newListener"|"removeListener"|string
---@param listener fun()
---@return self
function AbortSignal:on(event, listener) end

---@param event "abort"|"newListener"|"removeListener"|string
---@param listener fun()
---@return self
function AbortSignal:once(event, listener) end

---@class net.AbortController
---@field signal net.AbortSignal
---@overload fun(): net.AbortController
local AbortController = {}

---@return net.AbortController
function AbortController.new() end

---Aborts the signal (once).
---@param reason? any
function AbortController:abort(reason) end
