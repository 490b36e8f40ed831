---@meta net.promises
-- LuaLS definitions for require('net.promises') (docs/reference/promises.md).
-- The waiting calls run inside a task (netp.spawn); failures are `nil, err`.

---Options of `netp.listen(options)`.
---@class net.PromisesListenOptions: net.ServerOptions, net.ListenOptions
---@field connectionListener? fun(socket: net.Socket)

---The sequential style: coroutines that wait.
---@class net.promises
local netp = {}

---Runs `fn(...)` as a task, at once, until it first waits. An error escaping it leaves net.run().
---@param fn function
---@param ... any
---@return thread
function netp.spawn(fn, ...) end

---Waits for 'connect'; with `timeout` the whole connect (lookup and attempts) is bounded, and it stays the idle timeout.
---@param options net.NetConnectOptions|string|integer
---@param host? string
---@return net.Socket? socket
---@return "timeout"|"closed"|net.Error|nil err
function netp.connect(options, host) end

---Makes a server and waits for 'listening' (no port, path or handle: a random port).
---@param options? net.PromisesListenOptions
---@return net.Server? server
---@return net.Error? err
function netp.listen(options) end

---Waits for `event` (Node's events.once): a table of its arguments, with `n`.
---@param emitter net.EventEmitter
---@param event any
---@return table? args The arguments, with their count in `n`.
---@return any err What 'error' was emitted with, if it came first.
function netp.once(emitter, event) end

---Waits `ms` milliseconds (not a number from 1 to 2^31 - 1: 1 ms).
---@param ms? number
function netp.sleep(ms) end

return netp
