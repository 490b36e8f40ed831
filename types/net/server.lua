---@meta _
-- LuaLS definitions for net.Server (docs/reference/server.md).
-- Definitions only: nothing here runs.

---Options of `net.createServer(options)`.
---@class net.ServerOptions
---@field allowHalfOpen? boolean
---@field pauseOnConnect? boolean Accepted sockets start paused.
---@field noDelay? boolean
---@field keepAlive? boolean
---@field keepAliveInitialDelay? number Milliseconds.
---@field highWaterMark? integer Accepted sockets' high-water marks, in bytes.
---@field blockList? net.BlockList Close connections from blocked addresses.

---Options of `server:listen(options)`.
---@class net.ListenOptions
---@field port? integer|string 0 (or absent with no path): a free port.
---@field host? string Default '::' (or '0.0.0.0' without IPv6).
---@field path? string A Unix domain socket path (ignored when port is given).
---@field backlog? integer Default 511.
---@field ipv6Only? boolean
---@field reusePort? boolean SO_REUSEPORT: share the port between processes.
---@field readableAll? boolean
---@field writableAll? boolean
---@field exclusive? boolean Accepted; only matters to Node's cluster.
---@field signal? net.AbortSignal Aborting closes the server.
---@field handle? net.BoundSocket|net.Server|net.Socket An already bound handle.
---@field fd? integer An inherited listening descriptor.

---The argument of the 'drop' event (nil on a Unix-socket server).
---@class net.DropData
---@field localAddress string
---@field localPort integer
---@field localFamily net.Family
---@field remoteAddress string
---@field remotePort integer
---@field remoteFamily net.Family

---A TCP or Unix domain socket server.
---@class net.Server: net.EventEmitter
---@field prototype table The table of methods every instance finds (on the class).
---@field listening boolean
---@field maxConnections integer? Beyond this many connections, new ones are dropped.
---@field dropMaxConnection boolean Kept; no effect outside Node's cluster.
---@field connections integer The number of open connections (deprecated: getConnections).
---@field allowHalfOpen boolean
---@field pauseOnConnect boolean
---@field noDelay boolean
---@field keepAlive boolean
---@field keepAliveInitialDelay number
---@field highWaterMark integer?
---@field blockList net.BlockList?
---@overload fun(options?: net.ServerOptions, connectionListener?: fun(socket: net.Socket)): net.Server
---@overload fun(connectionListener: fun(socket: net.Socket)): net.Server
local Server = {}

---A server (not listening yet); the same as net.createServer.
---@param options? net.ServerOptions
---@param connectionListener? fun(socket: net.Socket)
---@return net.Server
function Server.new(options, connectionListener) end

---Listens: `listen([port[, host[, backlog]]][, cb])`, `listen(path[, backlog][, cb])`, `listen(options[, cb])`, `listen(handle[, backlog][, cb])`.
---@param port? integer|string 0: a free port.
---@param host? string
---@param backlog? integer
---@param callback? fun()
---@return self
function Server:listen(port, host, backlog, callback) end

---@param port integer|string
---@param host string
---@param callback fun()
---@return self
function Server:listen(port, host, callback) end

---@param port integer|string
---@param callback fun()
---@return self
function Server:listen(port, callback) end

---@param callback? fun()
---@return self
function Server:listen(callback) end

---@param path string A Unix domain socket path.
---@param backlog? integer
---@param callback? fun()
---@return self
function Server:listen(path, backlog, callback) end

---@param options net.ListenOptions
---@param callback? fun()
---@return self
function Server:listen(options, callback) end

---@param handle net.BoundSocket|net.Server|net.Socket
---@param backlog? integer
---@param callback? fun()
---@return self
function Server:listen(handle, backlog, callback) end

---Stops accepting; 'close' comes once the last connection is gone.
---@param callback? fun(err: net.Error?)
---@return self
function Server:close(callback) end

---The bound address, the path of a Unix-socket server, or nil.
---@return net.AddressInfo|string|nil
function Server:address() end

---Calls back with the number of open connections.
---@param callback fun(err: nil, count: integer)
---@return self
function Server:getConnections(callback) end

---@return self
function Server:ref() end

---@return self
function Server:unref() end

-- net.promises adds these (docs/reference/promises.md).

---An iterator over incoming connections (inside a net.promises task).
---@return fun(): net.Socket?
function Server:incoming() end

---Waits for the next connection (inside a net.promises task).
---@return net.Socket? socket
---@return "closed"|net.Error|nil err
function Server:accept() end

---@alias net.ServerEvent
---| '"listening"' # Bound and accepting connections.
---| '"connection"' # A new connection.
---| '"error"' # listen or accept failed.
---| '"close"' # Stopped listening and the last connection is gone.
---| '"drop"' # A connection was refused by maxConnections.
---| '"newListener"' # A listener is about to be added.
---| '"removeListener"' # A listener was removed.

---@param event "listening"
---@param listener fun()
---@return self
function Server:on(event, listener) end

---@param event "connection"
---@param listener fun(socket: net.Socket)
---@return self
function Server:on(event, listener) end

---@param event "error"
---@param listener fun(err: net.Error)
---@return self
function Server:on(event, listener) end

---@param event "close"
---@param listener fun()
---@return self
function Server:on(event, listener) end

---@param event "drop"
---@param listener fun(data: net.DropData?)
---@return self
function Server:on(event, listener) end

---@param event net.ServerEvent|string
---@param listener net.Listener
---@return self
function Server:on(event, listener) end

---@param event "listening"
---@param listener fun()
---@return self
function Server:once(event, listener) end

---@param event "connection"
---@param listener fun(socket: net.Socket)
---@return self
function Server:once(event, listener) end

---@param event "error"
---@param listener fun(err: net.Error)
---@return self
function Server:once(event, listener) end

---@param event "close"
---@param listener fun()
---@return self
function Server:once(event, listener) end

---@param event "drop"
---@param listener fun(data: net.DropData?)
---@return self
function Server:once(event, listener) end

---@param event net.ServerEvent|string
---@param listener net.Listener
---@return self
function Server:once(event, listener) end

---Adds a listener (as `on`).
---@param event net.ServerEvent|string
---@param listener net.Listener
---@return self
function Server:addListener(event, listener) end

---Adds a listener at the front.
---@param event net.ServerEvent|string
---@param listener net.Listener
---@return self
function Server:prependListener(event, listener) end

---Adds a one-time listener at the front.
---@param event net.ServerEvent|string
---@param listener net.Listener
---@return self
function Server:prependOnceListener(event, listener) end

---Removes a listener.
---@param event net.ServerEvent|string
---@param listener net.Listener
---@return self
function Server:removeListener(event, listener) end

---Removes a listener (as `removeListener`).
---@param event net.ServerEvent|string
---@param listener net.Listener
---@return self
function Server:off(event, listener) end

---Removes every listener of `event`, or of every event.
---@param event? net.ServerEvent|string
---@return self
function Server:removeAllListeners(event) end

---Calls the listeners of `event`.
---@param event net.ServerEvent|string
---@param ... any
---@return boolean hadListeners
function Server:emit(event, ...) end

---The listener functions of `event`.
---@param event net.ServerEvent|string
---@return function[]
function Server:listeners(event) end

---How many listeners `event` has.
---@param event net.ServerEvent|string
---@param listener? function
---@return integer
function Server:listenerCount(event, listener) end
