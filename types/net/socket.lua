---@meta _
-- LuaLS definitions for net.Socket (docs/reference/socket.md).
-- Definitions only: nothing here runs.

---@alias net.Encoding
---| '"utf8"'
---| '"utf-8"'
---| '"latin1"'
---| '"binary"'
---| '"ascii"'
---| '"hex"'
---| '"base64"'
---| '"base64url"'
---| '"utf16le"'

---@alias net.Family
---| '"IPv4"'
---| '"IPv6"'

---@class net.AddressInfo
---@field address string
---@field family net.Family
---@field port integer

---@class net.OnRead
---@field buffer integer|fun(): integer The read size in bytes, or a function returning it.
---@field callback fun(nread: integer, chunk: string): boolean? Return false to stop reading.

---Options of `net.Socket(options)`.
---@class net.SocketOptions
---@field allowHalfOpen? boolean Keep our side open after the peer's 'end' (default false).
---@field highWaterMark? integer Both high-water marks, in bytes (default 16384).
---@field readableHighWaterMark? integer
---@field writableHighWaterMark? integer
---@field fd? integer Wrap an already connected socket.
---@field readable? boolean With `fd`: whether the read side is open (default true).
---@field writable? boolean With `fd`: whether the write side is open (default true).
---@field handle? net.BoundSocket Adopted at once; connect() leaves from its address and port (or path).
---@field onread? net.OnRead Read into callbacks instead of 'data' events.
---@field noDelay? boolean
---@field keepAlive? boolean
---@field keepAliveInitialDelay? number Milliseconds.
---@field typeOfService? integer 0-255.
---@field blockList? net.BlockList Refuse to connect to blocked addresses.
---@field signal? net.AbortSignal Aborting destroys the socket.
---@field objectMode? boolean Sockets carry bytes: only a falsy value is accepted (else ERR_INVALID_ARG_VALUE).
---@field readableObjectMode? boolean Only a falsy value is accepted.
---@field writableObjectMode? boolean Only a falsy value is accepted.

---The result of a custom `lookup` with `all = true`.
---@class net.LookupAddress
---@field address string
---@field family integer

---What a custom `lookup` receives (Node's dns.lookup options).
---@class net.LookupOptions
---@field family? 0|4|6 As the connect option.
---@field hints integer getaddrinfo flags: AI_ADDRCONFIG unless hints or a family of 4 or 6 was given.
---@field all? boolean True with autoSelectFamily: answer every address, as a list.

---Options of `socket:connect(options)`.
---@class net.ConnectOptions
---@field port? integer|string Required for TCP.
---@field host? string Default 'localhost'.
---@field path? string A Unix domain socket path instead of a port.
---@field family? 0|4|6
---@field hints? integer getaddrinfo flags.
---@field lookup? fun(hostname: string, options: net.LookupOptions, callback: fun(err: net.Error?, address: string|net.LookupAddress[]|nil, family: integer?))
---@field localAddress? string
---@field localPort? integer
---@field autoSelectFamily? boolean Happy Eyeballs; default net.getDefaultAutoSelectFamily().
---@field autoSelectFamilyAttemptTimeout? integer Milliseconds per attempt but the last: 1 to 2^31 - 1 (1..9 are 10).
---@field noDelay? boolean
---@field keepAlive? boolean
---@field keepAliveInitialDelay? number
---@field timeout? number setTimeout(timeout) before connecting: the lookup and attempts count as idle time.
---@field onread? net.OnRead

---Options of `net.connect(options)`: the Socket's and the connect's.
---@class net.NetConnectOptions: net.SocketOptions, net.ConnectOptions

---@class net.KeepAliveOptions
---@field enable? boolean
---@field initialDelay? number Milliseconds.
---@field interval? number Milliseconds.
---@field count? integer

---@class net.PipeOptions
---@field ["end"]? boolean End the destination when the source ends (default true).
---@field end_? boolean The same.

---A TCP or Unix domain socket connection: a duplex stream and an EventEmitter.
---@class net.Socket: net.EventEmitter
---@field prototype table The table of methods every instance finds (on the class).
---@field remoteAddress string? The peer's address (nil for Unix sockets).
---@field remotePort integer?
---@field remoteFamily net.Family?
---@field localAddress string? Also the bound path of a client made from a path BoundSocket.
---@field localPort integer?
---@field localFamily net.Family?
---@field bytesRead integer
---@field bytesWritten integer
---@field connecting boolean
---@field pending boolean
---@field readyState "opening"|"open"|"readOnly"|"writeOnly"|"closed"
---@field destroyed boolean
---@field readable boolean
---@field writable boolean
---@field readableEnded boolean
---@field writableEnded boolean
---@field writableFinished boolean
---@field readableFlowing boolean? nil: no consumer yet; true: flowing; false: paused. Assigning sets the mode only.
---@field readableLength integer Bytes; with setEncoding, UTF-16 code units of the text.
---@field readableHighWaterMark integer
---@field writableHighWaterMark integer
---@field writableLength integer
---@field writableNeedDrain boolean
---@field writableCorked integer
---@field bufferSize integer? Deprecated: writableLength while connected.
---@field errored net.Error? The error the socket was destroyed with.
---@field allowHalfOpen boolean
---@field closed boolean True once 'close' was emitted.
---@field readableAborted boolean Destroyed or errored before 'end'.
---@field readableDidRead boolean True once a byte was read.
---@field readableEncoding net.Encoding? The encoding setEncoding set, by its canonical name ('utf8', 'latin1', 'utf16le', ...).
---@field readableObjectMode boolean Always false.
---@field writableObjectMode boolean Always false.
---@field timeout number? The idle timeout set by setTimeout.
---@field server net.Server? The server that accepted this socket.
---@field autoSelectFamilyAttemptedAddresses string[]? 'ip:port' of each Happy Eyeballs attempt; nil unless a name gave several addresses.
---@overload fun(options?: net.SocketOptions): net.Socket
local Socket = {}

---A socket, not connected (unless `options.fd`).
---@param options? net.SocketOptions
---@return net.Socket
function Socket.new(options) end

---Connects: `connect(options[, cb])`, `connect(path[, cb])`, `connect(port[, host][, cb])`.
---@param options net.ConnectOptions
---@param connectListener? fun()
---@return self
function Socket:connect(options, connectListener) end

---@param path string A Unix domain socket path.
---@param connectListener? fun()
---@return self
function Socket:connect(path, connectListener) end

---@param port integer|string
---@param host? string Default 'localhost'.
---@param connectListener? fun()
---@return self
function Socket:connect(port, host, connectListener) end

---@param port integer|string
---@param connectListener fun()
---@return self
function Socket:connect(port, connectListener) end

---Sends data; false means: wait for 'drain' before writing more.
---@param data string
---@param encoding? net.Encoding Default 'utf8' (the bytes as they are).
---@param callback? fun(err: net.Error?)
---@return boolean
function Socket:write(data, encoding, callback) end

---@param data string
---@param callback fun(err: net.Error?)
---@return boolean
function Socket:write(data, callback) end

---Half-closes: writes `data` if given, then sends FIN.
---@param data? string
---@param encoding? net.Encoding
---@param callback? fun(err: net.Error?)
---@return self
function Socket:end_(data, encoding, callback) end

---@param callback fun(err: net.Error?)
---@return self
function Socket:end_(callback) end

---The same as `end_` (`end` is a Lua keyword: `sock['end'](sock)`).
---@param self net.Socket
---@param data? string
---@param encoding? net.Encoding
---@param callback? fun(err: net.Error?)
---@return net.Socket
Socket["end"] = function(self, data, encoding, callback) end

---Holds writes until uncork().
function Socket:cork() end

---Undoes one cork(); the held writes leave when none is left.
function Socket:uncork() end

---Stops 'data' events.
---@return self
function Socket:pause() end

---Starts or restarts 'data' events.
---@return self
function Socket:resume() end

---True if pause() stopped the flow.
---@return boolean
function Socket:isPaused() end

---Paused mode: takes `size` bytes (UTF-16 code units with setEncoding), or everything, out of the read buffer.
---read(0) only starts reading. What it returns is also emitted as 'data'.
---@param size? integer
---@return string?
function Socket:read(size) end

---Puts a chunk back at the front of the read buffer.
---@param chunk string
function Socket:unshift(chunk) end

---Makes 'data' deliver text in this encoding.
---@param encoding? net.Encoding Default 'utf8'.
---@return self
function Socket:setEncoding(encoding) end

---Sends everything read to `destination`, with backpressure.
---@generic D
---@param destination D
---@param options? net.PipeOptions
---@return D
function Socket:pipe(destination, options) end

---Stops piping to `destination` (or to all).
---@param destination? table|userdata
---@return self
function Socket:unpipe(destination) end

---Closes now; with `err`, 'error' is emitted with it.
---@param err? any
---@return self
function Socket:destroy(err) end

---Ends, then destroys once everything is written.
---@return self
function Socket:destroySoon() end

---Closes a TCP connection with RST.
---@return self
function Socket:resetAndDestroy() end

---Emits 'timeout' after `timeout` ms of inactivity (0 turns it off); runs from connect() on, while connecting too.
---@param timeout number
---@param callback? fun()
---@return self
function Socket:setTimeout(timeout, callback) end

---Nagle's algorithm off (true, the default) or on (false).
---@param noDelay? boolean
---@return self
function Socket:setNoDelay(noDelay) end

---TCP keep-alive.
---@param enable? boolean|net.KeepAliveOptions
---@param initialDelay? number Milliseconds.
---@param interval? number Milliseconds.
---@param count? integer
---@return self
function Socket:setKeepAlive(enable, initialDelay, interval, count) end

---@param tos integer 0-255
---@return self
function Socket:setTypeOfService(tos) end

---@return integer
function Socket:getTypeOfService() end

---The local address of a TCP socket; {} before connecting and for Unix sockets.
---@return net.AddressInfo|table
function Socket:address() end

---Keeps net.run() running while open (the default).
---@return self
function Socket:ref() end

---Lets net.run() return while this socket is open.
---@return self
function Socket:unref() end

-- net.promises adds these (docs/reference/promises.md).

---Waits for data: '*l' (default) a line, '*L' a line with its end, '*a' all, or n bytes.
---Inside a net.promises task; failures are `nil, err, partial`.
---@param pattern? "*l"|"l"|"*L"|"L"|"*a"|"a"|integer
---@return string? data
---@return "closed"|"timeout"|net.Error|nil err
---@return string? partial
function Socket:receive(pattern) end

---An iterator over receive('*l').
---@return fun(): string?
function Socket:lines() end

---Writes `data` (or data:sub(i, j)) and waits for the buffer to drain below the high-water mark.
---A task's sends leave together when it next waits or ends.
---@param data string
---@param i? integer
---@param j? integer
---@return integer? last The index of the last byte sent.
---@return "closed"|"timeout"|net.Error|nil err
---@return integer? sent On failure 0; on "timeout" the index of the last byte taken (it stays queued).
function Socket:send(data, i, j) end

---@alias net.SocketEvent
---| '"connect"' # The connection is made.
---| '"ready"' # Right after 'connect'.
---| '"lookup"' # A host name was resolved (once per address).
---| '"connectionAttempt"' # An attempt to one address (or Unix path) starts.
---| '"connectionAttemptFailed"' # An attempt failed.
---| '"connectionAttemptTimeout"' # An attempt took longer than autoSelectFamilyAttemptTimeout: the next address starts.
---| '"data"' # Bytes (or decoded text) arrived; adding this listener starts the flow.
---| '"readable"' # Paused mode: data (or the end) is waiting; call read().
---| '"end"' # The peer ended its side.
---| '"drain"' # The write buffer emptied after write() returned false.
---| '"prefinish"' # Just before the end_() callbacks and 'finish'.
---| '"finish"' # end_() was called and every write has left.
---| '"timeout"' # Idle for the setTimeout() time.
---| '"error"' # The connection failed; 'close' follows.
---| '"close"' # Fully closed: the last event.
---| '"pause"' # pause() stopped the flow.
---| '"resume"' # resume() restarted the flow.
---| '"pipe"' # This socket became the destination of src:pipe().
---| '"unpipe"' # src:unpipe() stopped piping here.
---| '"newListener"' # A listener is about to be added.
---| '"removeListener"' # A listener was removed.

---Adds a listener ('data' also starts the flow).
---@param event "connect"
---@param listener fun()
---@return self
function Socket:on(event, listener) end

---Adds a listener ('data' also starts the flow).
---@param event "ready"
---@param listener fun()
---@return self
function Socket:on(event, listener) end

---Adds a listener ('data' also starts the flow).
---@param event "lookup"
---@param listener fun(err: net.Error?, address: string?, family: integer?, host: string)
---@return self
function Socket:on(event, listener) end

---Adds a listener ('data' also starts the flow).
---@param event "connectionAttempt"
---@param listener fun(ip: string, port: integer?, family: integer?) (path, nil, nil) for a Unix socket.
---@return self
function Socket:on(event, listener) end

---Adds a listener ('data' also starts the flow).
---@param event "connectionAttemptFailed"
---@param listener fun(ip: string, port: integer?, family: integer?, err: net.Error) (path, nil, nil, err) for a Unix socket.
---@return self
function Socket:on(event, listener) end

---Adds a listener ('data' also starts the flow).
---@param event "connectionAttemptTimeout"
---@param listener fun(ip: string, port: integer, family: integer)
---@return self
function Socket:on(event, listener) end

---Adds a listener ('data' also starts the flow).
---@param event "data"
---@param listener fun(chunk: string)
---@return self
function Socket:on(event, listener) end

---Adds a listener ('data' also starts the flow).
---@param event "readable"
---@param listener fun()
---@return self
function Socket:on(event, listener) end

---Adds a listener ('data' also starts the flow).
---@param event "end"
---@param listener fun()
---@return self
function Socket:on(event, listener) end

---Adds a listener ('data' also starts the flow).
---@param event "drain"
---@param listener fun()
---@return self
function Socket:on(event, listener) end

---Adds a listener ('data' also starts the flow).
---@param event "prefinish"|"finish"
---@param listener fun()
---@return self
function Socket:on(event, listener) end

---Adds a listener ('data' also starts the flow).
---@param event "timeout"
---@param listener fun()
---@return self
function Socket:on(event, listener) end

---Adds a listener ('data' also starts the flow).
---@param event "error"
---@param listener fun(err: net.Error)
---@return self
function Socket:on(event, listener) end

---Adds a listener ('data' also starts the flow).
---@param event "close"
---@param listener fun(hadError: boolean?)
---@return self
function Socket:on(event, listener) end

---Adds a listener ('data' also starts the flow).
---@param event "pause"
---@param listener fun()
---@return self
function Socket:on(event, listener) end

---Adds a listener ('data' also starts the flow).
---@param event "resume"
---@param listener fun()
---@return self
function Socket:on(event, listener) end

---Adds a listener ('data' also starts the flow).
---@param event "pipe"
---@param listener fun(src: net.Socket)
---@return self
function Socket:on(event, listener) end

---Adds a listener ('data' also starts the flow).
---@param event "unpipe"
---@param listener fun(src: net.Socket)
---@return self
function Socket:on(event, listener) end

---Adds a listener ('data' also starts the flow).
---@param event net.SocketEvent|string
---@param listener net.Listener
---@return self
function Socket:on(event, listener) end

---Adds a one-time listener ('data' also starts the flow).
---@param event "connect"
---@param listener fun()
---@return self
function Socket:once(event, listener) end

---Adds a one-time listener ('data' also starts the flow).
---@param event "ready"
---@param listener fun()
---@return self
function Socket:once(event, listener) end

---Adds a one-time listener ('data' also starts the flow).
---@param event "lookup"
---@param listener fun(err: net.Error?, address: string?, family: integer?, host: string)
---@return self
function Socket:once(event, listener) end

---Adds a one-time listener ('data' also starts the flow).
---@param event "connectionAttempt"
---@param listener fun(ip: string, port: integer?, family: integer?) (path, nil, nil) for a Unix socket.
---@return self
function Socket:once(event, listener) end

---Adds a one-time listener ('data' also starts the flow).
---@param event "connectionAttemptFailed"
---@param listener fun(ip: string, port: integer?, family: integer?, err: net.Error) (path, nil, nil, err) for a Unix socket.
---@return self
function Socket:once(event, listener) end

---Adds a one-time listener ('data' also starts the flow).
---@param event "connectionAttemptTimeout"
---@param listener fun(ip: string, port: integer, family: integer)
---@return self
function Socket:once(event, listener) end

---Adds a one-time listener ('data' also starts the flow).
---@param event "data"
---@param listener fun(chunk: string)
---@return self
function Socket:once(event, listener) end

---Adds a one-time listener ('data' also starts the flow).
---@param event "readable"
---@param listener fun()
---@return self
function Socket:once(event, listener) end

---Adds a one-time listener ('data' also starts the flow).
---@param event "end"
---@param listener fun()
---@return self
function Socket:once(event, listener) end

---Adds a one-time listener ('data' also starts the flow).
---@param event "drain"
---@param listener fun()
---@return self
function Socket:once(event, listener) end

---Adds a one-time listener ('data' also starts the flow).
---@param event "prefinish"|"finish"
---@param listener fun()
---@return self
function Socket:once(event, listener) end

---Adds a one-time listener ('data' also starts the flow).
---@param event "timeout"
---@param listener fun()
---@return self
function Socket:once(event, listener) end

---Adds a one-time listener ('data' also starts the flow).
---@param event "error"
---@param listener fun(err: net.Error)
---@return self
function Socket:once(event, listener) end

---Adds a one-time listener ('data' also starts the flow).
---@param event "close"
---@param listener fun(hadError: boolean?)
---@return self
function Socket:once(event, listener) end

---Adds a one-time listener ('data' also starts the flow).
---@param event "pause"
---@param listener fun()
---@return self
function Socket:once(event, listener) end

---Adds a one-time listener ('data' also starts the flow).
---@param event "resume"
---@param listener fun()
---@return self
function Socket:once(event, listener) end

---Adds a one-time listener ('data' also starts the flow).
---@param event "pipe"
---@param listener fun(src: net.Socket)
---@return self
function Socket:once(event, listener) end

---Adds a one-time listener ('data' also starts the flow).
---@param event "unpipe"
---@param listener fun(src: net.Socket)
---@return self
function Socket:once(event, listener) end

---Adds a one-time listener ('data' also starts the flow).
---@param event net.SocketEvent|string
---@param listener net.Listener
---@return self
function Socket:once(event, listener) end

---Adds a listener (as `on`).
---@param event net.SocketEvent|string
---@param listener net.Listener
---@return self
function Socket:addListener(event, listener) end

---Adds a listener at the front.
---@param event net.SocketEvent|string
---@param listener net.Listener
---@return self
function Socket:prependListener(event, listener) end

---Adds a one-time listener at the front.
---@param event net.SocketEvent|string
---@param listener net.Listener
---@return self
function Socket:prependOnceListener(event, listener) end

---Removes a listener.
---@param event net.SocketEvent|string
---@param listener net.Listener
---@return self
function Socket:removeListener(event, listener) end

---Removes a listener (as `removeListener`).
---@param event net.SocketEvent|string
---@param listener net.Listener
---@return self
function Socket:off(event, listener) end

---Removes every listener of `event`, or of every event.
---@param event? net.SocketEvent|string
---@return self
function Socket:removeAllListeners(event) end

---Calls the listeners of `event`.
---@param event net.SocketEvent|string
---@param ... any
---@return boolean hadListeners
function Socket:emit(event, ...) end

---The listener functions of `event`.
---@param event net.SocketEvent|string
---@return function[]
function Socket:listeners(event) end

---How many listeners `event` has.
---@param event net.SocketEvent|string
---@param listener? function
---@return integer
function Socket:listenerCount(event, listener) end
