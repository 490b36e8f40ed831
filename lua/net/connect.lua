-- Socket:connect(): argument forms, the lookup, the attempts on each
-- address, and the connect hook (Node's lookupAndConnect, internalConnect
-- and afterConnect).
local core = require('net.core')
local errors = require('net.errors')
local validate = require('net.validate')
local shared = require('net.sockstate')
local readable = require('net.readable')
local writable = require('net.writable')

local S, tcp, pipe, handle = shared.S, shared.tcp, shared.pipe, shared.handle
local state, nextTick = shared.state, shared.nextTick
local hasHandle = core.hasHandle
local ECANCELED = core.errno.ECANCELED
local ADDRCONFIG = core.AI_ADDRCONFIG
local is_ip_literal = require('net.address').isIP

local M = { hooks = {} }
local hooks = M.hooks

-- What the options asked of the handle, applied once it is connected
-- (the socket module fills this in: noDelay, keepAlive, typeOfService).
M.applyOptions = function() end

local connect_to

local function connect_error(st, err_no)
  return errors.uv(err_no, 'connect', st.connectAddress, st.connectPort)
end

local function after_failure(sock, st, err_no)
  local addrs = st.addresses
  if addrs ~= nil and st.addrIndex < #addrs and err_no ~= ECANCELED then
    -- the next address of the lookup
    st.onAttemptClosed = function()
      st.addrIndex = st.addrIndex + 1
      connect_to(sock, st)
    end
    handle.close(sock)
    return
  end
  sock:destroy(connect_error(st, err_no))
end

function hooks.connect(sock, st, status)
  -- ECANCELED: the handle was closed under the attempt; the close hook ends it
  if S.isDestroyed(sock) or not st.connecting or status == ECANCELED then return end
  if status < 0 then
    after_failure(sock, st, status)
    return
  end
  st.connecting = false
  st.addresses = nil
  S.connected(sock)
  M.applyOptions(sock, st)
  sock:emit('connect')
  sock:emit('ready')
  if S.isDestroyed(sock) then return end
  if S.isEnded(sock) then writable.shutdown(sock, st) end
  -- start the first read unless paused (Node's afterConnect read(0))
  if not sock:isPaused() then readable.read(sock, st, 0) end
end

connect_to = function(sock, st)
  local a = st.addresses[st.addrIndex]
  local fam = a.family == 6 and 'ipv6' or 'ipv4'
  if st.blockList ~= nil and st.blockList:check(a.address, fam) then
    sock:destroy(errors.new('Error', 'ERR_IP_BLOCKED', 'IP(' .. a.address .. ') is blocked by net.BlockList'))
    return
  end
  local ok, err_no = tcp.init(sock)
  if ok and (st.localAddress or st.localPort) then
    ok, err_no = tcp.bind(sock, st.localAddress or (a.family == 6 and '::' or '0.0.0.0'), st.localPort or 0)
    if not ok then
      sock:destroy(errors.uv(err_no, 'bind', st.localAddress, st.localPort))
      return
    end
  end
  st.connectAddress, st.connectPort = a.address, st.port
  if ok then ok, err_no = tcp.connect(sock, a.address, st.port) end
  if not ok then after_failure(sock, st, err_no) end
end

-- Node's lookupAndConnect: an IP literal connects on the next tick; a name
-- goes through `lookup` (dns.lookup's shape) or getaddrinfo, with Node's
-- options: ADDRCONFIG unless hints or a family say otherwise, and all
-- addresses (autoSelectFamily) unless a family or localAddress is given.
local function lookup_and_connect(sock, st, host, family, hints, lookup)
  local literal = is_ip_literal(host)
  if literal ~= 0 then
    st.addresses = { { address = host, family = literal } }
    st.addrIndex = 1
    nextTick(function() if st.connecting and not S.isDestroyed(sock) then connect_to(sock, st) end end)
    return
  end
  local dnsopts = { family = (family == 4 or family == 6) and family or nil, hints = hints or 0 }
  if dnsopts.family == nil and dnsopts.hints == 0 then dnsopts.hints = ADDRCONFIG end
  if dnsopts.family == nil and st.localAddress == nil then dnsopts.all = true end
  local function fail(err)
    sock:emit('lookup', err, nil, nil, host)
    sock:destroy(err)
  end
  local function on_addresses(list)
    if not st.connecting or S.isDestroyed(sock) then return end
    for _, a in ipairs(list) do
      sock:emit('lookup', nil, a.address, a.family, host)
      if is_ip_literal(a.address) == 0 then
        sock:destroy(errors.new('TypeError', 'ERR_INVALID_IP_ADDRESS', 'Invalid IP address: ' .. tostring(a.address)))
        return
      end
      if not dnsopts.all then break end
    end
    if S.isDestroyed(sock) then return end
    st.addresses = list
    st.addrIndex = 1
    connect_to(sock, st)
  end
  if lookup ~= nil then
    lookup(host, dnsopts, function(err, addrs, fam)
      if not st.connecting or S.isDestroyed(sock) then return end
      if err ~= nil then return fail(err) end
      if type(addrs) == 'string' then addrs = { { address = addrs, family = fam } } end
      if type(addrs) ~= 'table' then
        return fail(errors.new('TypeError', 'ERR_INVALID_IP_ADDRESS', 'Invalid IP address: ' .. tostring(addrs)))
      end
      on_addresses(addrs)
    end)
    return
  end
  local ok, err_no = core.getaddrinfo(host, dnsopts.family or 0, dnsopts.hints, function(lerr, list)
    if not st.connecting or S.isDestroyed(sock) then return end
    if lerr ~= nil then return fail(errors.dns(lerr, 'getaddrinfo', host)) end
    if not dnsopts.all then list = { list[1] } end
    on_addresses(list)
  end)
  if not ok then nextTick(fail, errors.dns(err_no, 'getaddrinfo', host)) end
end

-- Normalise connect()'s forms to (options, cb), as Node's normalizeArgs.
local function normalize(...)
  local a1, a2, a3 = ...
  if type(a1) == 'table' then
    return a1, type(a2) == 'function' and a2 or nil
  end
  local nargs = select('#', ...)
  local cb = nargs > 0 and select(nargs, ...) or nil
  if type(cb) ~= 'function' then cb = nil end
  if type(a1) == 'string' and not validate.isPortLike(a1) then
    return { path = a1 }, cb
  end
  local options = { port = a1 }
  if type(a2) == 'string' then options.host = a2 end
  return options, type(a3) == 'function' and a3 or cb
end
M.normalize = normalize

-- JavaScript's truthiness, for options Node tests with `if (options.x)`:
-- false, nil, 0, NaN and '' are falsy.
local function truthy(v)
  return v ~= nil and v ~= false and v ~= 0 and v ~= '' and v == v
end

-- Checks shared by the Socket constructor and connect (raise at once).
-- The objectMode options are the constructor's only (`constructing`), as
-- Node checks them in new Socket(), not in socket.connect().
function M.checkOptions(options, level, constructing)
  if constructing then
    if truthy(options.objectMode) then
      errors.raise(errors.invalidArgValue('options.objectMode', options.objectMode, 'is not supported'), level + 1)
    elseif truthy(options.readableObjectMode) or truthy(options.writableObjectMode) then
      -- Node names the readable one when it is truthy, else the writable one
      local name = truthy(options.readableObjectMode) and 'readableObjectMode' or 'writableObjectMode'
      errors.raise(errors.invalidArgValue('options.' .. name, options[name], 'is not supported'), level + 1)
    end
  end
  if options.keepAliveInitialDelay ~= nil and type(options.keepAliveInitialDelay) ~= 'number' then
    errors.raise(errors.invalidArgType('options.keepAliveInitialDelay', 'number',
      options.keepAliveInitialDelay), level + 1)
  end
end

local function connect_path(sock, st, path)
  if type(path) ~= 'string' then
    errors.raise(errors.invalidArgType('options.path', 'string', path), 4)
  end
  st.connecting = true
  st.connectAddress = path
  st.path = path
  st.hadHandle = true
  S.hold(sock)
  local ok, err_no = pipe.init(sock, false)
  if ok then
    readable.handleMade(sock, st)
    ok, err_no = pipe.connect(sock, path)
  end
  if not ok then sock:destroy(errors.uv(err_no, 'connect', path)) end
  return sock
end

function M.install(Socket, setOnread)
  function Socket:connect(...)
    local options, cb = normalize(...)
    local st = state[self]
    if st.connecting then return self end
    if type(options) ~= 'table' then
      errors.raise(errors.invalidArgType('options', 'object', options), 2)
    end
    if S.isDestroyed(self) and (st.closeEmitted or not hasHandle(self)) then
      -- reconnecting a closed socket (Node's _undestroy)
      M.undestroy(self, st)
    elseif hasHandle(self) then
      return self
    end
    M.checkOptions(options, 2)
    if cb ~= nil then self:once('connect', cb) end
    st.path = nil
    if options.path ~= nil then return connect_path(self, st, options.path) end
    local port = options.port
    if port == nil and options.host == nil then
      errors.raise(errors.new('TypeError', 'ERR_MISSING_ARGS',
        'The "options" or "port" or "path" argument must be specified'), 2)
    end
    if port ~= nil and type(port) ~= 'number' and type(port) ~= 'string' then
      errors.raise(errors.invalidArgType('options.port', { 'number', 'string' }, port), 2)
    end
    port = validate.port(port, 'Port')
    local host = options.host
    if host ~= nil and type(host) ~= 'string' then
      errors.raise(errors.invalidArgType('hostname', 'string', host), 2)
    end
    host = host or 'localhost'
    local family = options.family
    if family ~= nil and family ~= 0 and family ~= 4 and family ~= 6 then
      errors.raise(errors.invalidArgValue('options.family', family, 'must be one of: 0, 4, 6'), 2)
    end
    validate.func(options.lookup, 'options.lookup')
    local localAddress = options.localAddress
    if localAddress ~= nil and is_ip_literal(localAddress) == 0 then
      errors.raise(errors.new('TypeError', 'ERR_INVALID_IP_ADDRESS',
        'Invalid IP address: ' .. tostring(localAddress)), 2)
    end
    local localPort = options.localPort
    if localPort ~= nil and type(localPort) ~= 'number' then
      errors.raise(errors.invalidArgType('options.localPort', 'number', localPort), 2)
    end
    local hints = options.hints
    if hints ~= nil then
      if type(hints) ~= 'number' then errors.raise(errors.invalidArgType('options.hints', 'number', hints), 2) end
      local allowed = core.AI_ADDRCONFIG | core.AI_V4MAPPED | core.AI_ALL
      if math.type(hints) ~= 'integer' or hints & ~allowed ~= 0 then
        errors.raise(errors.invalidArgValue('hints', hints), 2)
      end
    end
    if options.timeout ~= nil and type(options.timeout) ~= 'number' then
      errors.raise(errors.invalidArgType('msecs', 'number', options.timeout), 2)
    end
    st.port = port
    st.host = host
    st.localAddress = options.localAddress
    st.localPort = options.localPort and validate.port(options.localPort, 'options.localPort')
    if options.noDelay ~= nil then st.noDelay = options.noDelay end
    if options.keepAlive ~= nil then st.keepAlive = options.keepAlive end
    if options.keepAliveInitialDelay ~= nil then st.keepAliveInitialDelay = options.keepAliveInitialDelay end
    if options.timeout ~= nil then self:setTimeout(options.timeout) end
    if options.onread ~= nil then setOnread(self, st, options.onread, 4) end
    st.connecting = true
    st.hadHandle = true -- Node makes the handle inside connect()
    readable.handleMade(self, st)
    S.hold(self)
    lookup_and_connect(self, st, host, family, options.hints, options.lookup)
    return self
  end
end

-- A closed socket connected again: the stream state starts afresh
-- (flowing and the counters are kept, as Node's _undestroy keeps them).
function M.undestroy(sock, st)
  S.reset(sock)
  for _, k in ipairs({ 'closeEmitted', 'errorEmitted', 'hadError', 'errored', 'ended', 'readableEnded',
                       'writableFinished', 'finishCbs', 'shutdownSent', 'writeAfterFIN', 'reading',
                       'emittedReadable', 'needReadable', 'peer', 'flushListening' }) do
    st[k] = nil
  end
end

return M
