-- net.Server: listening on TCP or a Unix domain socket, accepting
-- connections as Sockets, and closing once the last connection is gone.
local core = require('net.core')
local errors = require('net.errors')
local EventEmitter = require('net.emitter')
local validate = require('net.validate')
local socket = require('net.socket')
local abort = require('net.abort')
local notify = require('net.sockstate').notify
local BoundSocket = require('net.boundsocket')

local fields = core.private
local tcp, pipe, handle, serverc = core.tcp, core.pipe, core.handle, core.server
local DEFAULTS = core.DEFAULTS
local nextTick = core.nextTick

local class = core.classes.Server
local Server = class.methods
local getters, setters = class.getters, class.setters
setmetatable(Server, { __index = EventEmitter })
local emit = require('net.sockstate').emitter(Server)

local M = { Server = Server, hooks = {} }

function M.new(options, listener)
  if type(options) == 'function' then options, listener = nil, options end
  if options ~= nil and type(options) ~= 'table' then
    errors.raise(errors.invalidArgType('options', 'object', options))
  end
  options = options or {}
  -- as Node's Server constructor: a number, and a negative one (or NaN,
  -- which Node's ~~(delay / 1000) makes 0) is 0
  local delay = options.keepAliveInitialDelay
  if delay ~= nil and type(delay) ~= 'number' then
    errors.raise(errors.invalidArgType('options.keepAliveInitialDelay', 'number', delay))
  end
  if delay ~= nil and (delay < 0 or delay ~= delay) then delay = 0 end
  local hwm = options.highWaterMark
  if hwm ~= nil and type(hwm) ~= 'number' then
    errors.raise(errors.invalidArgType('options.highWaterMark', 'number', hwm))
  end
  local server = core.newServer()
  local st = fields(server)
  st._isServer = true
  st._connections = 0
  st.listening = false
  st.allowHalfOpen = options.allowHalfOpen == true
  st.pauseOnConnect = options.pauseOnConnect == true
  st.noDelay = options.noDelay == true
  st.keepAlive = options.keepAlive == true
  st.keepAliveInitialDelay = delay or 0
  -- a negative highWaterMark means the default, as Node's
  st.highWaterMark = hwm ~= nil and hwm >= 0 and math.tointeger(hwm) or nil
  st.dropMaxConnection = false

  if options.blockList ~= nil then
    if not require('net.blocklist').isBlockList(options.blockList) then
      errors.raise(errors.invalidArgType('options.blockList', 'an instance of net.BlockList', options.blockList))
    end
    st.blockList = options.blockList
  end
  -- as Node: only a function becomes the 'connection' listener
  if type(listener) == 'function' then server:on('connection', listener) end
  return server
end

-- --- listening ------------------------------------------------------------

-- a listen that failed (the only errors emitted through here): the
-- server no longer waits to listen
local function emit_error(server, err)
  fields(server).listenRequested = nil
  server:emit('error', err)
end

local function listening_ok(server, st)
  st.listening = true
  nextTick(function()
    if st.listening then server:emit('listening') end
  end)
end

-- Bind and listen on an IP address (nil: '::', falling back to 0.0.0.0
-- where IPv6 is missing, as Node does).
local function listen_tcp(server, st, address, port, backlog, ipv6Only, reusePort)
  local candidates
  if address == nil then
    candidates = { { '::', 6 }, { '0.0.0.0', 4 } }
  else
    candidates = { { address, address:find(':', 1, true) and 6 or 4 } }
  end
  local ok, errno, shown
  for i, c in ipairs(candidates) do
    ok, errno = tcp.init(server)
    if ok then
      ok, errno = tcp.bind(server, c[1], port, ipv6Only, reusePort)
    end
    shown = c[1]
    if ok then
      ok, errno = serverc.listen(server, backlog)
    end
    if ok then break end
    if core.hasHandle(server) then handle.close(server) end
    -- only a missing IPv6 stack moves on to the IPv4 fallback
    if i == 1 and #candidates > 1 and errno ~= core.errno.EAFNOSUPPORT
        and errno ~= core.errno.EADDRNOTAVAIL then
      break
    end
  end
  if not ok then
    nextTick(emit_error, server, errors.uvWithMessage(errno, 'listen', shown, port))
    return
  end
  listening_ok(server, st)
end

local function listen_path(server, st, path, backlog, options)
  st._pipePath = path -- address() answers it even after a failure or close
  local ok, errno = pipe.init(server, false)
  if ok then ok, errno = pipe.bind(server, path) end
  if ok then ok, errno = serverc.listen(server, backlog) end
  if ok and (options.readableAll or options.writableAll) then
    ok, errno = pipe.chmod(server, options.readableAll, options.writableAll)
  end
  if not ok then
    if core.hasHandle(server) then handle.close(server) end
    nextTick(emit_error, server, errors.uvWithMessage(errno, 'listen', path, -1))
    return
  end
  listening_ok(server, st)
end

-- listen(handle): a Server's or Socket's open handle, a net.BoundSocket,
-- or { fd = n } (an inherited listening socket, as systemd's socket
-- activation gives).
local function listen_handle(server, st, options, backlog)
  local ok, errno
  local given = options.handle or options._handle or options
  if BoundSocket.isBoundSocket(given) then
    -- adoption consumes the BoundSocket at once; its socket is this
    -- server's from here, and so is the file of a pipe's path
    local fd, kind, path = BoundSocket.take(given)
    local c = kind == 'pipe' and pipe or tcp
    ok, errno = c.init(server, false)
    if ok then ok, errno = c.open(server, fd) end
    if not ok then BoundSocket.release(fd, path) end
    if ok and path then
      st._pipePath = path
      st._boundPath = path
    end
  elseif options.fd ~= nil then
    -- a descriptor libuv cannot wrap is Node's 'listen EINVAL' event
    local kind = core.guessHandle(options.fd)
    if kind == 'TCP' then
      ok, errno = tcp.init(server)
      if ok then ok, errno = tcp.open(server, options.fd) end
    elseif kind == 'PIPE' then
      ok, errno = pipe.init(server, false)
      if ok then ok, errno = pipe.open(server, options.fd) end
    else
      ok, errno = nil, core.errno.EINVAL
    end
  elseif type(given) == 'userdata' then
    -- only a Socket's or Server's handle can be taken; anything else (a
    -- file, io.stdout) is Node's 'listen EINVAL' event
    local mt = getmetatable(given)
    if mt == core.classes.Socket.meta or mt == core.classes.Server.meta then
      ok, errno = handle.adopt(server, given)
    else
      ok, errno = nil, core.errno.EINVAL
    end
  else
    errors.raise(errors.invalidArgValue('options', options), 4)
  end
  if ok then
    -- a pipe server made from a handle has no path of its own: address()
    -- is nil, as in Node, and close() unlinks nothing
    st._adoptedPipe = handle.kind(server) == 'pipe'
    ok, errno = serverc.listen(server, backlog)
  end
  if not ok then
    if core.hasHandle(server) then handle.close(server) end
    BoundSocket.unlink(st._boundPath)
    st._boundPath = nil
    nextTick(emit_error, server, errors.uvWithMessage(errno, 'listen'))
    return
  end
  listening_ok(server, st)
end

-- JavaScript's ToInt32 of a number: NaN and infinities are 0; the rest is
-- truncated and wrapped to 32 bits.
local function int32(n)
  if n ~= n or n == math.huge or n == -math.huge then return 0 end
  local i = math.tointeger(math.fmod(n >= 0 and math.floor(n) or math.ceil(n), 4294967296))
  if i < 0 then i = i + 4294967296 end
  if i >= 2147483648 then i = i - 4294967296 end
  return i
end

-- The backlog libuv gets: Node passes `backlog || 511` to its C++ listen,
-- which reads it as an int32 (0.5 and 1/0 are 0, so they work).
local function backlog_of(v)
  if v == nil or v == false or v == 0 or v == '' or v ~= v then return DEFAULTS.backlog end
  if type(v) == 'number' then return int32(v) end
  if type(v) == 'string' then return int32(require('net.address').js.toNumber(v)) end
  return v == true and 1 or 0
end

-- A backlog argument, as Node's toNumber: a number >= 0, else none.
local function arg_backlog(v)
  return type(v) == 'number' and v >= 0 and v or nil
end

-- listen's argument forms, as Node's normalizeArgs plus its backlog rules
local function normalize_listen(...)
  local n = select('#', ...)
  local args = { ... }
  local cb
  if n > 0 and type(args[n]) == 'function' then
    cb = args[n]
    n = n - 1
  end
  local a1 = args[1]
  -- listen() and listen(nil[, host][, cb]): a random port, as Node's
  -- listen(undefined, cb)
  if n == 0 then return { port = 0, _any = true }, cb end
  if a1 == nil then
    local options = { port = 0, _any = true }
    if type(args[2]) == 'string' then options.host = args[2] end
    return options, cb
  end
  -- listen(handle[, backlog][, cb]): only the argument sets the backlog
  -- (Node ignores options.backlog with an fd or handle)
  local backlog_arg = arg_backlog(args[2])
  if type(a1) == 'userdata' or BoundSocket.isBoundSocket(a1) then return { handle = a1 }, cb, backlog_arg end
  if type(a1) == 'table' then return a1, cb, backlog_arg end
  if type(a1) == 'string' and not validate.isPortLike(a1) then
    return { path = a1, backlog = backlog_arg }, cb
  end
  local options = { port = a1 }
  if type(args[2]) == 'string' then
    options.host = args[2]
    options.backlog = arg_backlog(args[3])
  else
    options.backlog = backlog_arg
  end
  return options, cb
end

local function listen(self, ...)
  local st = fields(self)
  local options, cb, backlog_arg = normalize_listen(...)
  validate.func(cb, 'cb')
  if core.hasHandle(self) then
    errors.raise(errors.new('Error', 'ERR_SERVER_ALREADY_LISTEN',
      'Listen method has been called more than once without closing.'), 3)
  end
  -- every listen() call (as Node's _listeningId) cancels a bind an earlier
  -- one deferred (a host still being looked up), even if this one raises
  st._listenGen = (st._listenGen or 0) + 1
  local gen = st._listenGen
  local backlog = backlog_of(options.backlog)
  local signal = abort.check(options.signal, 'options.signal')
  if cb ~= nil then self:once('listening', cb) end
  st._closeRequested = false
  st._pipePath, st._adoptedPipe = nil, nil
  if signal ~= nil then
    -- already aborted: Node still binds, then closes on the next tick,
    -- before 'listening' would be emitted
    abort.onAbort(signal, function() self:close() end)
  end
  local fd = options.fd
  if (math.type(fd) == 'integer' and fd >= 0) or options.handle ~= nil or options._handle ~= nil then
    listen_handle(self, st, options, backlog_of(backlog_arg))
    return self
  end
  if options.path ~= nil and options.port == nil then
    if type(options.path) ~= 'string' or options.path == '' then
      errors.raise(errors.invalidArgValue('options', options), 3)
    end
    if options.reusePort or options.ipv6Only or options.host ~= nil then
      errors.raise(errors.invalidArgValue('options', options,
        'can not specify path with host, ipv6Only or reusePort'), 3)
    end
    listen_path(self, st, options.path, backlog, options)
    return self
  end
  local port = options.port
  if port == nil and not options._any then
    if cb ~= nil then self:removeListener('listening', cb) end
    errors.raise(errors.invalidArgValue('options', options,
      'must have the property "port" or "path"'), 3)
  end
  if port ~= nil and type(port) ~= 'number' and type(port) ~= 'string' then
    if cb ~= nil then self:removeListener('listening', cb) end
    errors.raise(errors.invalidArgValue('options', options), 3)
  end
  port = validate.port(port or 0, 'options.port')
  local host = options.host
  if host ~= nil and type(host) ~= 'string' then
    errors.raise(errors.invalidArgType('hostname', 'string', host), 3)
  end
  local v6only, reuse = options.ipv6Only, options.reusePort
  if host == nil or host == '' then
    listen_tcp(self, st, nil, port, backlog, v6only, reuse)
  elseif host:match('^%d+%.%d+%.%d+%.%d+$') or host:find(':', 1, true) then
    -- Node looks the host up first, even an IP literal: bound a tick later
    nextTick(function()
      if st._listenGen == gen then listen_tcp(self, st, host, port, backlog, v6only, reuse) end
    end)
  else
    local ok, errno = core.getaddrinfo(host, 0, core.AI_ADDRCONFIG, function(lerr, list)
      if st._listenGen ~= gen then return end
      if lerr ~= nil then
        emit_error(self, errors.dns(lerr, 'getaddrinfo', host))
        return
      end
      listen_tcp(self, st, list[1].address, port, backlog, v6only, reuse)
    end)
    if not ok then nextTick(emit_error, self, errors.dns(errno, 'getaddrinfo', host)) end
  end
  return self
end

-- listenRequested: listen() was called (and returned) and neither close()
-- nor a listen error came since; listening or about to (net.promises'
-- accept() waits on such a server)
function Server:listen(...)
  local r = listen(self, ...)
  fields(self).listenRequested = true
  return r
end

function Server:address()
  local st = fields(self)
  if st._pipePath then return st._pipePath end
  if not core.hasHandle(self) then return nil end
  if st._adoptedPipe then return nil end
  return tcp.sockname(self)
end

-- --- connections ------------------------------------------------------------

function M.hooks.connection(server, st, client, status)
  if client == nil then
    server:emit('error', errors.uv(status, 'accept'))
    return
  end
  if st.blockList ~= nil and handle.kind(client) == 'tcp' then
    -- Node closes connections from blocked addresses at once, silently
    local peer = tcp.peername(client)
    if peer and st.blockList:check(peer.address, peer.family == 'IPv6' and 'ipv6' or 'ipv4') then
      handle.close(client)
      return
    end
  end
  if st.maxConnections ~= nil and st._connections >= st.maxConnections then
    local is_tcp = handle.kind(client) == 'tcp'
    local name = is_tcp and tcp.sockname(client)
    local peer = is_tcp and tcp.peername(client)
    handle.close(client)
    server:emit('drop', name and peer and {
      localAddress = name.address, localPort = name.port, localFamily = name.family,
      remoteAddress = peer.address, remotePort = peer.port, remoteFamily = peer.family,
    } or nil)
    return
  end
  st._connections = st._connections + 1
  socket.accepted(server, client, st)
  emit(server, st, 'connection', client)
end

local function emit_close_if_drained(server, st)
  if core.hasHandle(server) or st._connections > 0 or not st._closeRequested then return end
  st._closeRequested = false
  nextTick(function() server:emit('close') end)
end

-- called by a Socket of this server when it closes
function Server:_connectionClosed()
  local st = fields(self)
  st._connections = st._connections - 1
  emit_close_if_drained(self, st)
end

function Server:close(cb)
  local st = fields(self)
  if cb ~= nil then
    validate.func(cb, 'cb')
    if not core.hasHandle(self) then
      self:once('close', function()
        cb(errors.new('Error', 'ERR_SERVER_NOT_RUNNING', 'Server is not running.'))
      end)
    else
      self:once('close', cb)
    end
  end
  if core.hasHandle(self) then handle.close(self) end
  -- an adopted BoundSocket's pipe file goes with the server, as a path
  -- the server bound itself does
  BoundSocket.unlink(st._boundPath)
  st._boundPath = nil
  st._listenGen = (st._listenGen or 0) + 1
  st.listening = false
  st.listenRequested = nil
  st._closeRequested = true
  emit_close_if_drained(self, st)
  notify(self, st, 'closing')
  return self
end

function Server:getConnections(cb)
  if type(cb) ~= 'function' then errors.raise(errors.invalidArgType('callback', 'function', cb), 3) end
  local n = fields(self)._connections
  nextTick(cb, nil, n)
  return self
end

-- ref/unref before listen are remembered for the handle listen makes
function Server:ref()
  handle.ref(self)
  return self
end

function Server:unref()
  handle.unref(self)
  return self
end

-- The listening handle finished closing; nothing is waiting on it.
function M.onHandleClosed(server, st) notify(server, st, 'close') end

-- Node's asyncDispose: close if listening, else nothing at all
class.meta.__close = function(server)
  if core.hasHandle(server) then server:close() end
end

function getters.connections(server) return fields(server)._connections end

-- Node's server properties: each reads and sets the one place it lives
for _, name in ipairs({ 'listening' }) do
  getters[name] = function(server) return fields(server)[name] end
  setters[name] = function() end
end
for _, name in ipairs({ 'maxConnections', 'dropMaxConnection', 'allowHalfOpen', 'pauseOnConnect',
                        'noDelay', 'keepAlive', 'keepAliveInitialDelay', 'highWaterMark', 'blockList' }) do
  getters[name] = function(server) return fields(server)[name] end
  setters[name] = function(server, v) fields(server)[name] = v end
end

return M
