---@meta net.timers
-- LuaLS definitions for require('net.timers') (docs/reference/timers.md).

---A pending setTimeout/setInterval.
---@class net.Timeout
local Timeout = {}

---@return self
function Timeout:ref() end

---@return self
function Timeout:unref() end

---@return boolean
function Timeout:hasRef() end

---Restarts the countdown.
---@return self
function Timeout:refresh() end

---Cancels the timer.
---@return self
function Timeout:close() end

---A pending setImmediate.
---@class net.Immediate
local Immediate = {}

---@return self
function Immediate:ref() end

---@return self
function Immediate:unref() end

---@return boolean
function Immediate:hasRef() end

---Node's timers on the module's loop.
---@class net.timers
local timers = {}

---Calls `callback(...)` once after `delay` ms.
---@param callback function
---@param delay? number Milliseconds (default 1).
---@param ... any
---@return net.Timeout
function timers.setTimeout(callback, delay, ...) end

---@param timeout net.Timeout|nil
function timers.clearTimeout(timeout) end

---Calls `callback(...)` every `delay` ms.
---@param callback function
---@param delay? number Milliseconds (default 1).
---@param ... any
---@return net.Timeout
function timers.setInterval(callback, delay, ...) end

---@param timeout net.Timeout|nil
function timers.clearInterval(timeout) end

---Calls `callback(...)` on the next turn of the loop.
---@param callback function
---@param ... any
---@return net.Immediate
function timers.setImmediate(callback, ...) end

---@param immediate net.Immediate|nil
function timers.clearImmediate(immediate) end

return timers
