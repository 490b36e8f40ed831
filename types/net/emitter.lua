---@meta _
-- LuaLS definitions for net.EventEmitter (docs/reference/emitter.md).
-- Definitions only: nothing here runs.

---A listener: called with the event's arguments, never with the emitter.
---@alias net.Listener fun(...: any)

---Node's EventEmitter. `net.EventEmitter()` makes one;
---`net.EventEmitter:extend()` makes a class whose instances are emitters.
---@class net.EventEmitter
---@field defaultMaxListeners integer The limit `getMaxListeners()` reports when none was set (10).
---@field super? table The parent class (on classes made by `extend()`).
---@field _events? table Where the listeners are kept (internal).
---@field _maxListeners? number The limit set by `setMaxListeners` (internal).
---@overload fun(): net.EventEmitter
local EventEmitter = {}

---A fresh emitter.
---@return net.EventEmitter
function EventEmitter.new() end

---A class whose instances are emitters; `Class(...)`/`Class.new(...)` call `init(...)`.
---@return table class
function EventEmitter:extend() end

---Adds `listener` at the end of `event`'s listeners.
---@param event any
---@param listener net.Listener
---@return self
function EventEmitter:on(event, listener) end

---The same as `on`.
---@param event any
---@param listener net.Listener
---@return self
function EventEmitter:addListener(event, listener) end

---Adds a listener that is removed before its first call.
---@param event any
---@param listener net.Listener
---@return self
function EventEmitter:once(event, listener) end

---Adds `listener` at the front of `event`'s listeners.
---@param event any
---@param listener net.Listener
---@return self
function EventEmitter:prependListener(event, listener) end

---Adds a one-time listener at the front.
---@param event any
---@param listener net.Listener
---@return self
function EventEmitter:prependOnceListener(event, listener) end

---Removes the most recently added registration of `listener`.
---@param event any
---@param listener net.Listener
---@return self
function EventEmitter:removeListener(event, listener) end

---The same as `removeListener`.
---@param event any
---@param listener net.Listener
---@return self
function EventEmitter:off(event, listener) end

---Removes every listener of `event`, or of every event.
---@param event? any
---@return self
function EventEmitter:removeAllListeners(event) end

---Calls each listener of `event`; an 'error' nobody listens to is raised.
---@param event any
---@param ... any
---@return boolean hadListeners
function EventEmitter:emit(event, ...) end

---The listener functions of `event` (once-wrappers unwrapped).
---@param event any
---@return function[]
function EventEmitter:listeners(event) end

---The listeners of `event` as registered (once-wrappers included).
---@param event any
---@return (function|table)[]
function EventEmitter:rawListeners(event) end

---How many listeners `event` has, or how often `listener` is registered.
---@param event any
---@param listener? function
---@return integer
function EventEmitter:listenerCount(event, listener) end

---The event names that have listeners, in order of first registration.
---@return any[]
function EventEmitter:eventNames() end

---Records the listener limit (no warning is ever printed).
---@param n number
---@return self
function EventEmitter:setMaxListeners(n) end

---The limit set by `setMaxListeners`, or `defaultMaxListeners`.
---@return number
function EventEmitter:getMaxListeners() end
