---@meta net
-- LuaLS definitions for require('net') (docs/reference/net.md).
-- Definitions only: nothing here runs. Add this repository's types/ folder
-- to `workspace.library` to use them.

---Node's `net` module for Lua 5.4.
---@class net
---@field Socket net.Socket The Socket class: `net.Socket(options)`.
---@field Stream net.Socket Another name for Socket.
---@field Server net.Server The Server class: `net.Server(options, listener)`.
---@field BlockList net.BlockList The BlockList class.
---@field SocketAddress net.SocketAddress The SocketAddress class.
---@field BoundSocket net.BoundSocket The BoundSocket class.
---@field EventEmitter net.EventEmitter The EventEmitter class.
---@field AbortController net.AbortController The AbortController class.
---@field AbortSignal net.AbortSignal The AbortSignal class.
---@field Error net.ErrorClass The class of every error value.
---@field timers net.timers setTimeout, setInterval, setImmediate.
---@field promises net.promises The sequential style (coroutines).
local net = {}

---Makes a Server (not listening yet).
---@param options? net.ServerOptions
---@param connectionListener? fun(socket: net.Socket)
---@return net.Server
function net.createServer(options, connectionListener) end

---@param connectionListener fun(socket: net.Socket)
---@return net.Server
function net.createServer(connectionListener) end

---Makes a Socket and starts connecting it.
---@param options net.NetConnectOptions
---@param connectListener? fun()
---@return net.Socket
function net.createConnection(options, connectListener) end

---@param path string A Unix domain socket path.
---@param connectListener? fun()
---@return net.Socket
function net.createConnection(path, connectListener) end

---@param port integer|string
---@param host? string Default 'localhost'.
---@param connectListener? fun()
---@return net.Socket
function net.createConnection(port, host, connectListener) end

---@param port integer|string
---@param connectListener fun()
---@return net.Socket
function net.createConnection(port, connectListener) end

---The same as createConnection.
---@param options net.NetConnectOptions
---@param connectListener? fun()
---@return net.Socket
function net.connect(options, connectListener) end

---@param path string A Unix domain socket path.
---@param connectListener? fun()
---@return net.Socket
function net.connect(path, connectListener) end

---@param port integer|string
---@param host? string Default 'localhost'.
---@param connectListener? fun()
---@return net.Socket
function net.connect(port, host, connectListener) end

---@param port integer|string
---@param connectListener fun()
---@return net.Socket
function net.connect(port, connectListener) end

---6 for an IPv6 address, 4 for IPv4, 0 otherwise.
---@param input any
---@return 0|4|6
function net.isIP(input) end

---@param input any
---@return boolean
function net.isIPv4(input) end

---@param input any
---@return boolean
function net.isIPv6(input) end

---The default of the autoSelectFamily connect option (Happy Eyeballs; initially true).
---@return boolean
function net.getDefaultAutoSelectFamily() end

---Sets the default of autoSelectFamily; anything but a boolean raises ERR_INVALID_ARG_TYPE.
---@param value boolean
function net.setDefaultAutoSelectFamily(value) end

---The default of autoSelectFamilyAttemptTimeout, in ms (initially 250).
---@return integer
function net.getDefaultAutoSelectFamilyAttemptTimeout() end

---Sets the default attempt timeout: an integer from 1 to 2^31 - 1 (1..9 become 10);
---not a number raises ERR_INVALID_ARG_TYPE, a fraction or out of range ERR_OUT_OF_RANGE.
---@param value integer Milliseconds.
function net.setDefaultAutoSelectFamilyAttemptTimeout(value) end

---Runs the loop: until nothing referenced is left ('default'), once, or without waiting.
---Raises the first uncaught error of a callback.
---@param mode? "default"|"once"|"nowait"
---@return boolean alive
function net.run(mode) end

return net
