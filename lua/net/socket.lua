-- net.Socket: a duplex stream over a TCP or pipe handle, as Node's.
--
-- This file assembles the socket from its parts along Node's seams
-- (readable.lua, writable.lua, destroy.lua, pipe.lua, connect.lua) and
-- holds what is left: construction (net.Socket(), and accepted sockets
-- through M.accepted), the socket options, addresses and ref/unref.
local core = require('net.core')
local errors = require('net.errors')
local EventEmitter = require('net.emitter')
local abort = require('net.abort')
local shared = require('net.sockstate')
local readable = require('net.readable')
local writable = require('net.writable')
local destroy = require('net.destroy')
local pipe = require('net.pipe')
local connect = require('net.connect')

local S, tcp, pipec, handle = shared.S, shared.tcp, shared.pipe, shared.handle
local DEFAULTS, private, emit = shared.DEFAULTS, shared.private, shared.emit
local hasHandle = core.hasHandle

local class = shared.class
local Socket = class.methods
local getters, setters = class.getters, class.setters
setmetatable(Socket, { __index = EventEmitter })

local M = { Socket = Socket, normalize = connect.normalize }

-- --- options -------------------------------------------------------------

local function validate_tos(tos, name, level)
  if math.type(tos) ~= 'integer' then
    if type(tos) ~= 'number' then errors.raise(errors.invalidArgType(name, 'number', tos), level) end
    errors.raise(errors.outOfRange(name, 'an integer', tos), level)
  end
  if tos < 0 or tos > 255 then errors.raise(errors.outOfRange(name, '>= 0 && <= 255', tos), level) end
  return tos
end

-- onread = { buffer = size | function() -> size, callback = fn(nread, chunk) }
local function set_onread(sock, st, onread, level)
  if type(onread) ~= 'table' then
    errors.raise(errors.invalidArgType('options.onread', 'object', onread), level)
  end
  if type(onread.callback) ~= 'function' then
    errors.raise(errors.invalidArgType('options.onread.callback', 'function', onread.callback), level)
  end
  local size = onread.buffer
  local gen
  if type(size) == 'function' then
    -- as Node: asked when the handle is made (readable.handleMade), then
    -- after every read; never here
    gen, size = size, nil
  else
    if type(size) == 'string' then size = #size end
    if math.type(size) ~= 'integer' or size < 1 then
      errors.raise(errors.invalidArgType('options.onread.buffer', { 'number', 'function' }, onread.buffer), level)
    end
  end
  st.onread = onread.callback
  st.onreadBuffer = gen
  S.setOnread(sock, true, size)
end

local function keepalive_args(st)
  local interval = st.keepAliveInterval or DEFAULTS.keepAliveInterval
  local count = st.keepAliveCount or DEFAULTS.keepAliveCount
  local function secs(ms) return math.tointeger(ms // 1000) or 0 end
  return secs(st.keepAliveInitialDelay or 0), secs(interval), math.tointeger(count // 1) or 0
end

-- What the options asked of the handle, once it is connected.
local function apply_options(sock, st)
  if handle.kind(sock) ~= 'tcp' then return end
  if st.noDelay then tcp.setNoDelay(sock, true) end
  if st.keepAlive then tcp.setKeepAlive(sock, true, keepalive_args(st)) end
  if st.tos then tcp.setTypeOfService(sock, st.tos) end
end
connect.applyOptions = apply_options

-- Node's getHighWaterMark for one side of the Duplex: highWaterMark wins
-- over the side's own option; a value that is not a non-negative integer
-- is ERR_INVALID_ARG_VALUE under the side's name (the readable side is
-- checked first, whichever option held it).
local function side_hwm(options, side, level)
  local v = options.highWaterMark
  if v == nil then v = options[side] end
  if v == nil then return nil end
  if not (type(v) == 'number' and v >= 0 and v ~= math.huge and v == math.floor(v)) then
    errors.raise(errors.invalidArgValue('options.' .. side, v), level)
  end
  return math.tointeger(v)
end

-- Socket({ fd = n }): wrap a connected socket or pipe made elsewhere.
local function open_fd(sock, st, options)
  local fd = options.fd
  local ok_fd, err_fd = pcall(require('net.address').js.validateInt32, fd, 'fd', 0, 2147483647)
  if not ok_fd then errors.raise(err_fd, 4) end
  local kind = core.guessHandle(fd)
  local ok, err_no
  if kind == 'TCP' then
    ok, err_no = tcp.init(sock)
    if ok then ok, err_no = tcp.open(sock, fd) end
  elseif kind == 'PIPE' then
    ok, err_no = pipec.init(sock, false)
    if ok then ok, err_no = pipec.open(sock, fd) end
  else
    errors.raise(errors.new('TypeError', 'ERR_INVALID_FD_TYPE', 'Unsupported fd type: ' .. kind), 4)
  end
  if not ok then
    if hasHandle(sock) then handle.close(sock) end
    errors.raise(errors.uv(err_no, 'open'), 4)
  end
  st.hadHandle = true
  readable.handleMade(sock, st)
  -- a side the options close is ended from the start, as Node's Duplex
  if options.readable == false then
    st.rflag, st.ended, st.readableEnded = false, true, true
  end
  if options.writable == false then
    st.wflag, st.writableFinished = false, true
    S.finish(sock)
  end
  apply_options(sock, st)
  if options.readable ~= false then readable.read(sock, st, 0) end
end

-- Socket({ handle = bound }): the BoundSocket's bound socket becomes this
-- socket's handle at once (newest Node); connect() then leaves from its
-- address and port. A pipe's source path is its localAddress, and its file
-- goes when the handle closes.
local function adopt_bound(sock, st, bound)
  local bmod = require('net.boundsocket')
  if not bmod.isBoundSocket(bound) then
    errors.raise(errors.invalidArgType('options.handle', 'an instance of net.BoundSocket', bound), 4)
  end
  local ok_take, fd, kind, path = pcall(bmod.take, bound)
  if not ok_take then errors.raise(fd, 4) end
  local c = kind == 'pipe' and pipec or tcp
  local ok, err_no = c.init(sock, false)
  if ok then ok, err_no = c.open(sock, fd) end
  if not ok then
    if hasHandle(sock) then handle.close(sock) end
    bmod.release(fd, path)
    errors.raise(errors.uv(err_no, 'open'), 4)
  end
  st.bound = { kind = kind, path = path }
  st.boundPath = path
  st.hadHandle = true
end

-- The private state holds only what differs from the defaults (a missing
-- key reads as nil, which every rule takes for false): an idle accepted
-- socket carries a handful of keys, not every default.
local function init(sock, options)
  local st = private(sock)
  if options.allowHalfOpen == true then st.allowHalfOpen = true end
  local rh = side_hwm(options, 'readableHighWaterMark', 4)
  local wh = side_hwm(options, 'writableHighWaterMark', 4)
  if rh or wh then S.setHighWaterMarks(sock, rh, wh) end
  if options.noDelay then st.noDelay = options.noDelay end
  if options.keepAlive then
    st.keepAlive = options.keepAlive
    st.keepAliveInitialDelay = options.keepAliveInitialDelay
  end
  return st
end

function M.new(options)
  if options ~= nil and type(options) ~= 'table' then
    errors.raise(errors.invalidArgType('options', 'object', options))
  end
  options = options or {}
  connect.checkOptions(options, 3, true)
  local sock = core.newSocket()
  local st = init(sock, options)
  if options.onread ~= nil then set_onread(sock, st, options.onread, 3) end
  if options.blockList ~= nil then
    local BlockList = require('net.blocklist')
    if not BlockList.isBlockList(options.blockList) then
      errors.raise(errors.invalidArgType('options.blockList', 'an instance of net.BlockList', options.blockList))
    end
    st.blockList = options.blockList
  end
  if options.typeOfService ~= nil then st.tos = validate_tos(options.typeOfService, 'options.typeOfService', 3) end
  local signal = abort.check(options.signal, 'signal')
  if options.fd ~= nil then
    open_fd(sock, st, options)
  elseif options.handle ~= nil then
    adopt_bound(sock, st, options.handle)
  end
  if signal ~= nil then
    abort.onAbort(signal, function() sock:destroy(abort.abortError(signal)) end)
  end
  return sock
end

-- A connection a server accepted (csrc/server.c made `sock` with its
-- handle open): Node's new Socket({ handle, pauseOnCreate, ... }).
function M.accepted(server, sock, opts)
  local st = init(sock, opts)
  st.owner = server -- also the `server` field, unless the user assigns one
  if opts.noDelay then tcp.setNoDelay(sock, true) end
  if opts.keepAlive then tcp.setKeepAlive(sock, true, keepalive_args(st)) end
  if opts.pauseOnConnect then
    S.setFlowing(sock, false)
  else
    readable.read(sock, st, 0)
  end
  return sock
end

-- --- the parts --------------------------------------------------------------

readable.install(Socket, getters, setters)
writable.install(Socket, getters, setters)
destroy.install(Socket)
pipe.install(Socket)
connect.install(Socket, set_onread)

M.hooks = {
  data = readable.hooks.data,
  readable = readable.hooks.readable,
  eof = readable.hooks.eof,
  readerror = readable.hooks.readerror,
  written = writable.hooks.written,
  shutdown = writable.hooks.shutdown,
  connect = connect.hooks.connect,
  close = destroy.onClose,
  timeout = function(sock, st)
    emit(sock, st, 'timeout')
    shared.notify(sock, st, 'timeout')
  end,
}

-- --- the rest of the surface ----------------------------------------------

function Socket:setTimeout(ms, cb)
  local st = private(self)
  if type(ms) ~= 'number' then
    errors.raise(errors.invalidArgType('msecs', 'number', ms), 2)
  end
  if ms ~= ms or ms < 0 or ms == math.huge then
    errors.raise(errors.outOfRange('msecs', 'a non-negative finite number', ms), 2)
  end
  if cb ~= nil and type(cb) ~= 'function' then
    errors.raise(errors.invalidArgType('callback', 'function', cb), 2)
  end
  -- Node clamps to TIMEOUT_MAX (2^31 - 1) with a warning
  local whole = ms > 2147483647 and 2147483647 or math.floor(ms)
  -- as Node's timers: a positive duration under 1 ms is 1 ms, not "off"
  if ms > 0 and whole < 1 then whole = 1 end
  st.timeout = ms
  if cb ~= nil then
    if whole == 0 then self:removeListener('timeout', cb) else self:once('timeout', cb) end
  end
  S.setTimeout(self, whole)
  return self
end

function Socket:setNoDelay(enable)
  local st = private(self)
  if enable == nil then enable = true end
  st.noDelay = enable and true or false
  if not st.connecting and handle.kind(self) == 'tcp' then tcp.setNoDelay(self, st.noDelay) end
  return self
end

-- Node coerces keep-alive times as JavaScript numbers (~~(v / 1000)) and
-- never throws for them: a string is read as a number, anything else that
-- is not a number counts as 0.
local js = require('net.address').js
local function js_ms(v)
  if v == nil then return nil end
  local n
  if type(v) == 'number' then
    n = v
  elseif type(v) == 'string' then
    n = js.toNumber(v)
  elseif type(v) == 'boolean' then
    n = v and 1 or 0
  else
    n = 0 / 0
  end
  if n ~= n or n == math.huge or n == -math.huge then return 0 end
  return n
end

-- setKeepAlive([enable][, initialDelay][, interval][, count]) or
-- setKeepAlive({ enable =, initialDelay =, interval =, count = }); times in ms
function Socket:setKeepAlive(enable, initialDelay, interval, count)
  if type(enable) == 'table' then
    local o = enable
    enable, initialDelay, interval, count = o.enable, o.initialDelay, o.interval, o.count
  end
  local st = private(self)
  initialDelay, interval, count = js_ms(initialDelay), js_ms(interval), js_ms(count)
  st.keepAlive = enable and true or false
  st.keepAliveInitialDelay = initialDelay and math.max(0, initialDelay) or nil
  st.keepAliveInterval = interval and math.max(0, interval) or nil
  st.keepAliveCount = count and math.max(0, math.floor(count)) or nil
  if not st.connecting and handle.kind(self) == 'tcp' then
    tcp.setKeepAlive(self, st.keepAlive, keepalive_args(st))
  end
  return self
end

function Socket:setTypeOfService(tos)
  local st = private(self)
  st.tos = validate_tos(tos, 'tos', 3)
  if not st.connecting and handle.kind(self) == 'tcp' then
    local ok, err_no = tcp.setTypeOfService(self, tos)
    if not ok then errors.raise(errors.uv(err_no, 'setTypeOfService'), 2) end
  end
  return self
end

function Socket:getTypeOfService()
  local st = private(self)
  if not st.connecting and handle.kind(self) == 'tcp' then
    local tos = tcp.getTypeOfService(self)
    if tos then return tos end
  end
  return st.tos or 0
end

function Socket:address()
  if handle.kind(self) ~= 'tcp' then return {} end
  return tcp.sockname(self) or {}
end

-- ref/unref before connect apply to the handle connect makes (C keeps it)
function Socket:ref()
  handle.ref(self)
  return self
end

function Socket:unref()
  handle.unref(self)
  return self
end

class.meta.__close = function(sock) sock:destroy() end

-- --- properties ---------------------------------------------------------

local function peer(sock)
  local st = private(sock)
  if st.peer == nil and not st.connecting and handle.kind(sock) == 'tcp' then
    st.peer = tcp.peername(sock) or false
  end
  return st.peer or nil
end

function getters.remoteAddress(sock) local p = peer(sock) return p and p.address end
function getters.remotePort(sock) local p = peer(sock) return p and p.port end
function getters.remoteFamily(sock) local p = peer(sock) return p and p.family end

local function local_name(sock)
  if handle.kind(sock) ~= 'tcp' then return nil end
  return tcp.sockname(sock)
end
function getters.localAddress(sock)
  local path = private(sock).boundPath
  if path ~= nil and handle.kind(sock) == 'pipe' then return path end
  local n = local_name(sock)
  return n and n.address
end
function getters.localPort(sock) local n = local_name(sock) return n and n.port end
function getters.localFamily(sock) local n = local_name(sock) return n and n.family end

-- 'ip:port' of each Happy Eyeballs attempt, the last the connected one;
-- nil unless the algorithm ran (several addresses)
function getters.autoSelectFamilyAttemptedAddresses(sock) return private(sock).attemptedAddresses end

function getters.bytesRead(sock) return (S.stats(sock)) end
function getters.connecting(sock) return private(sock).connecting == true end
function setters.connecting(sock, v) private(sock).connecting = v and true or false end
function getters.pending(sock) return private(sock).connecting == true or not hasHandle(sock) end
function getters.destroyed(sock) return S.isDestroyed(sock) end
function setters.destroyed(sock, v) S.setDestroyed(sock, v) end
-- plain fields in Node: what is assigned is read back, nothing else changes
function getters.timeout(sock) return private(sock).timeout end
function setters.timeout(sock, v) private(sock).timeout = v end
-- `server` is a plain field in Node: the accepting server until assigned
-- (false stands for an assigned nil)
function getters.server(sock)
  local st = private(sock)
  local v = st.server
  if v == nil then return st.owner end
  if v == false then return nil end
  return v
end
function setters.server(sock, v)
  if v == nil then v = false end
  private(sock).server = v
end
function getters.allowHalfOpen(sock) return private(sock).allowHalfOpen == true end
function setters.allowHalfOpen(sock, v) private(sock).allowHalfOpen = v and true or false end

function getters.readyState(sock)
  if private(sock).connecting then return 'opening' end
  local r, w = sock.readable, sock.writable
  if r and w then return 'open' end
  if r and not w then return 'readOnly' end
  if not r and w then return 'writeOnly' end
  return 'closed'
end

return M
