---@meta net.promises
-- LuaLS definitions for require('net.promises') (docs/reference/promises.md).
-- The waiting calls run inside a task (netp.spawn); failures are `nil, err`.

---Options of `netp.listen(options)`.
---@class net.PromisesListenOptions: net.ServerOptions, net.ListenOptions
---@field connectionListener? fun(socket: net.Socket)

---The sequential style: coroutines that wait.
---@class net.promises
local netp = {}

---Runs `fn(...)` as a task, at once, until it first waits.
---@param fn function
---@param ... any
---@return thread
function netp.spawn(fn, ...) end

---Waits for 'connect'; with `timeout` the whole connect is bounded.
---@param options net.NetConnectOptions|string|integer
---@param host? string
---@return net.Socket? socket
---@return "timeout"|"closed"|net.Error|nil err
function netp.connect(options, host) end

---Makes a server and waits for 'listening'.
---@param options? net.PromisesListenOptions
---@return net.Server? server
---@return net.Error? err
function netp.listen(options) end

---Waits for `event` (Node's events.once): a table of its arguments, with `n`.
---@param emitter net.EventEmitter
---@param event any
---@return table? args The arguments, with their count in `n`.
---@return net.Error? err
function netp.once(emitter, event) end

---Waits `ms` milliseconds.
---@param ms number
function netp.sleep(ms) end

return netp
