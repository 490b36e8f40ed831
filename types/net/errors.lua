---@meta _
-- LuaLS definitions for error values (docs/reference/errors.md).

---An error value: raised for bad calls, passed to 'error' listeners and callbacks.
---@class net.Error
---@field name string 'Error', 'TypeError', 'RangeError', 'SyntaxError', 'AbortError', 'TimeoutError' or 'AggregateError'.
---@field message string
---@field code string|integer 'ECONNREFUSED', 'ERR_SOCKET_BAD_PORT', ... (a number on Node's DOMException reasons).
---@field errno? integer The negative libuv error number.
---@field syscall? string 'connect', 'listen', 'bind', 'accept', 'read', 'write', 'getaddrinfo', ...
---@field address? string
---@field port? integer
---@field hostname? string For getaddrinfo errors.
---@field errors? net.Error[] For an AggregateError: each attempt's error.
---@field cause? any For an AbortError: the signal's reason.
---@field context? any For ERR_UNHANDLED_ERROR: the emitted value.
---@field stack? string The Lua traceback, once the error escaped a callback (uncaught).

---The class of error values: `net.Error(message, fields)`.
---@class net.ErrorClass
---@overload fun(message?: any, fields?: table): net.Error
local Error = {}

---@param message? any
---@param fields? table Copied onto the error.
---@return net.Error
function Error.new(message, fields) end

---True for an error value of this module.
---@param value any
---@return boolean
function Error.is(value) end
