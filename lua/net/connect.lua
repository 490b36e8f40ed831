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
local private, nextTick = shared.private, shared.nextTick
local hasHandle = core.hasHandle
local ECANCELED, ETIMEDOUT = core.errno.ECANCELED, core.errno.ETIMEDOUT
local timers = require('net.timers')
local ADDRCONFIG = core.AI_ADDRCONFIG
local is_ip_literal = require('net.address').isIP

local M = { hooks = {} }
local hooks = M.hooks

-- What the options asked of the handle, applied once it is connected
-- (the socket module fills this in: noDelay, keepAlive, typeOfService).
M.applyOptions = function() end

-- The defaults net.setDefaultAutoSelectFamily(AttemptTimeout) change.
local defaults = { autoSelectFamily = true, attemptTimeout = 250 }

local function check_boolean(v, name, level)
  if type(v) ~= 'boolean' then errors.raise(errors.invalidArgType(name, 'boolean', v), level + 1) end
end

-- Node's validateInt32(v, name, 1)
local function check_int32(v, name, level)
  if type(v) ~= 'number' then errors.raise(errors.invalidArgType(name, 'number', v), level + 1) end
  if v ~= v or v == math.huge or v == -math.huge or v ~= math.floor(v) then
    errors.raise(errors.outOfRange(name, 'an integer', v), level + 1)
  end
  if v < 1 or v > 2147483647 then
    errors.raise(errors.outOfRange(name, '>= 1 && <= 2147483647', v), level + 1)
  end
  return math.tointeger(v)
end

function M.getDefaultAutoSelectFamily() return defaults.autoSelectFamily end
function M.setDefaultAutoSelectFamily(v)
  check_boolean(v, 'value', 2)
  defaults.autoSelectFamily = v
end
function M.getDefaultAutoSelectFamilyAttemptTimeout() return defaults.attemptTimeout end
function M.setDefaultAutoSelectFamilyAttemptTimeout(v)
  v = check_int32(v, 'value', 2)
  defaults.attemptTimeout = v < 10 and 10 or v
end

-- Node's ExceptionWithHostPort for a connect attempt
local function attempt_error(err_no, a)
  return errors.uv(err_no, 'connect', a.address, a.port)
end

local function make_handle(sock, st)
  if st.bound then return true end -- the adopted BoundSocket's
  return tcp.init(sock)
end

-- A socket's blockList (newest Node) refuses an address before any attempt.
local function blocked(sock, st, address, family)
  if st.blockList ~= nil and st.blockList:check(address, family == 6 and 'ipv6' or 'ipv4') then
    sock:destroy(errors.new('Error', 'ERR_IP_BLOCKED', 'IP(' .. address .. ') is blocked by net.BlockList'))
    return true
  end
  return false
end

-- Node's internalConnect: one address, no fallback.
local function internal_connect(sock, st, address, port, family, localAddress, localPort)
  if blocked(sock, st, address, family) then return end
  local ok, err_no = make_handle(sock, st)
  if ok and (localAddress or localPort) then
    localAddress = localAddress or (family == 6 and '::' or '0.0.0.0')
    ok, err_no = tcp.bind(sock, localAddress, localPort or 0)
    if not ok then
      sock:destroy(errors.uv(err_no, 'bind', localAddress, localPort))
      return
    end
  end
  local a = { address = address, port = port, family = family }
  st.attempt = a
  sock:emit('connectionAttempt', address, port, family)
  if S.isDestroyed(sock) then return end
  if ok then ok, err_no = tcp.connect(sock, address, port, family) end
  -- a failure at once is only 'error' (Node's internalConnect; the
  -- connectionAttemptFailed event is afterConnect's)
  if not ok then sock:destroy(attempt_error(err_no, a)) end
end

-- Node's internalConnectMultiple: the next address of the sorted list,
-- each but the last with `timeout` ms before it is abandoned.
local function connect_multiple(sock, st, ctx, canceled)
  if ctx.timer then
    ctx.timer:close()
    ctx.timer = nil
  end
  if canceled or ctx.current == #ctx.addresses then
    if #ctx.errors == 0 then
      sock:destroy(errors.new('Error', 'ERR_SOCKET_CONNECTION_TIMEOUT', 'Socket connection timeout'))
    else
      local agg = errors.new('AggregateError', ctx.errors[1].code, '')
      agg.errors = ctx.errors
      sock:destroy(agg)
    end
    return
  end
  ctx.current = ctx.current + 1
  local current = ctx.current
  local a = ctx.addresses[current]
  if blocked(sock, st, a.address, a.family) then return end
  if current > 1 and hasHandle(sock) then handle.close(sock) end -- a fresh handle per attempt
  local ok, err_no = make_handle(sock, st)
  -- as Node's kReinitializeHandle: the new handle asks onread's buffer
  if ok and current > 1 then readable.handleMade(sock, st) end
  if ok and ctx.localPort then
    local localAddress = a.family == 6 and '::' or '0.0.0.0'
    ok, err_no = tcp.bind(sock, localAddress, ctx.localPort)
    if not ok then
      ctx.errors[#ctx.errors + 1] = errors.uv(err_no, 'bind', localAddress, ctx.localPort)
      return connect_multiple(sock, st, ctx)
    end
  end
  local attempt = { address = a.address, port = ctx.port, family = a.family }
  st.attempt = attempt
  sock:emit('connectionAttempt', a.address, ctx.port, a.family)
  if S.isDestroyed(sock) or not st.connecting then return end
  local attempted = st.attemptedAddresses
  attempted[#attempted + 1] = a.address .. ':' .. ctx.port
  if ok then ok, err_no = tcp.connect(sock, a.address, ctx.port, a.family) end
  if not ok then
    local ex = attempt_error(err_no, attempt)
    ctx.errors[#ctx.errors + 1] = ex
    sock:emit('connectionAttemptFailed', a.address, ctx.port, a.family, ex)
    return connect_multiple(sock, st, ctx)
  end
  if current < #ctx.addresses then
    ctx.timer = timers.setTimeout(function()
      ctx.timer = nil
      -- Node's internalConnectMultipleTimeout
      sock:emit('connectionAttemptTimeout', attempt.address, attempt.port, attempt.family)
      ctx.errors[#ctx.errors + 1] = attempt_error(ETIMEDOUT, attempt)
      if hasHandle(sock) then handle.close(sock) end
      if st.connecting and not S.isDestroyed(sock) then connect_multiple(sock, st, ctx) end
    end, ctx.timeout)
  end
end

function hooks.connect(sock, st, status)
  local ctx = st.multi
  if S.isDestroyed(sock) or not st.connecting then
    -- an attempt cut short by destroy(): Node's afterConnectMultiple still
    -- reports it; the single-address path says nothing
    if ctx ~= nil and status < 0 and st.attempt ~= nil then
      local ex = attempt_error(status, st.attempt)
      ctx.errors[#ctx.errors + 1] = ex
      sock:emit('connectionAttemptFailed', ex.address, ex.port, st.attempt.family, ex)
    end
    return
  end
  if ctx ~= nil and ctx.timer then
    ctx.timer:close()
    ctx.timer = nil
  end
  if status < 0 then
    local ex = attempt_error(status, st.attempt)
    if ctx ~= nil then
      ctx.errors[#ctx.errors + 1] = ex
      sock:emit('connectionAttemptFailed', ex.address, ex.port, st.attempt.family, ex)
      if st.connecting and not S.isDestroyed(sock) then
        connect_multiple(sock, st, ctx, status == ECANCELED)
      end
    else
      sock:emit('connectionAttemptFailed', ex.address, ex.port, st.attempt.family, ex)
      sock:destroy(ex)
    end
    return
  end
  st.connecting = nil
  st.multi = nil
  S.connected(sock)
  M.applyOptions(sock, st)
  sock:emit('connect')
  sock:emit('ready')
  if S.isDestroyed(sock) then return end
  if S.isEnded(sock) then writable.shutdown(sock, st) end
  -- start the first read unless paused (Node's afterConnect read(0))
  if not sock:isPaused() then readable.read(sock, st, 0) end
end

-- Node's lookupAndConnectMultiple, from the lookup's answer on: the
-- addresses in alternating families, the first answer's family first.
local function connect_to_list(sock, st, host, addresses, port, localPort, timeout)
  local groups, seen, order = { {}, {} }, { {}, {} }, nil
  for _, a in ipairs(addresses) do
    local ip, fam = a.address, a.family
    sock:emit('lookup', nil, ip, fam, host)
    if not st.connecting then return end
    if type(ip) == 'string' and is_ip_literal(ip) ~= 0 and (fam == 4 or fam == 6) then
      order = order or (fam == 6 and { [6] = 1, [4] = 2 } or { [4] = 1, [6] = 2 })
      local g = order[fam]
      if not seen[g][ip] then
        seen[g][ip] = true
        groups[g][#groups[g] + 1] = a
      end
    end
  end
  if #groups[1] == 0 and #groups[2] == 0 then
    local first = addresses[1] or {}
    local err
    if type(first.address) ~= 'string' or is_ip_literal(first.address) == 0 then
      local shown = first.address == nil and 'undefined' or tostring(first.address)
      err = errors.new('TypeError', 'ERR_INVALID_IP_ADDRESS', 'Invalid IP address: ' .. shown)
    else
      err = errors.new('RangeError', 'ERR_INVALID_ADDRESS_FAMILY',
        string.format('Invalid address family: %s %s:%s', tostring(first.family), host, tostring(port)))
    end
    nextTick(function() sock:destroy(err) end)
    return
  end
  local list = {}
  for i = 1, math.max(#groups[1], #groups[2]) do
    if groups[1][i] then list[#list + 1] = groups[1][i] end
    if groups[2][i] then list[#list + 1] = groups[2][i] end
  end
  S.touch(sock)
  if #list == 1 then
    return internal_connect(sock, st, list[1].address, port, list[1].family, nil, localPort)
  end
  st.attemptedAddresses = {}
  local ctx = { addresses = list, current = 0, port = port, localPort = localPort, timeout = timeout, errors = {} }
  st.multi = ctx
  st.onDestroy = function()
    if ctx.timer then
      ctx.timer:close()
      ctx.timer = nil
    end
  end
  connect_multiple(sock, st, ctx)
end

-- dns.lookup's shape over getaddrinfo: cb(err, address, family), or with
-- all = true cb(err, { {address =, family =}, ... })
local function default_lookup(host, dnsopts, cb)
  local ok, err_no = core.getaddrinfo(host, dnsopts.family or 0, dnsopts.hints or 0, function(lerr, list)
    if lerr ~= nil then return cb(errors.dns(lerr, 'getaddrinfo', host)) end
    if dnsopts.all then return cb(nil, list) end
    cb(nil, list[1].address, list[1].family)
  end)
  if not ok then nextTick(cb, errors.dns(err_no, 'getaddrinfo', host)) end
end

-- Node's lookupAndConnect: an IP literal connects on the next tick (at
-- once with an adopted BoundSocket, as its connect(2) is synchronous); a
-- name goes through `lookup` (dns.lookup's shape), with Node's options:
-- ADDRCONFIG unless hints or a family say otherwise, and every address
-- (Happy Eyeballs) unless autoSelectFamily is off or a family or a
-- localAddress is given.
local function lookup_and_connect(sock, st, o)
  local literal = is_ip_literal(o.host)
  if literal ~= 0 then
    local function go()
      if st.connecting and not S.isDestroyed(sock) then
        internal_connect(sock, st, o.host, o.port, literal, o.localAddress, o.localPort)
      end
    end
    if st.bound then go() else nextTick(go) end
    return
  end
  local dnsopts = { family = o.family, hints = o.hints or 0 }
  if o.family ~= 4 and o.family ~= 6 and dnsopts.hints == 0 then dnsopts.hints = ADDRCONFIG end
  local lookup = o.lookup or default_lookup
  local host = o.host
  if o.family ~= 4 and o.family ~= 6 and o.localAddress == nil and o.autoSelectFamily and not st.bound then
    dnsopts.all = true
    lookup(host, dnsopts, function(err, addresses)
      if not st.connecting or S.isDestroyed(sock) then return end
      if err ~= nil then
        sock:emit('lookup', err, nil, nil, host)
        nextTick(function() sock:destroy(err) end)
        return
      end
      if type(addresses) == 'string' then
        -- Node walks a string answer as an array of characters: entries
        -- with no address
        local list = {}
        for i = 1, #addresses do list[i] = {} end
        addresses = list
      elseif type(addresses) ~= 'table' then
        addresses = { {} }
      end
      connect_to_list(sock, st, host, addresses, o.port, o.localPort, o.attemptTimeout)
    end)
    return
  end
  lookup(host, dnsopts, function(err, ip, family)
    sock:emit('lookup', err, ip, family, host)
    if not st.connecting or S.isDestroyed(sock) then return end
    local e = err
    if e == nil and (type(ip) ~= 'string' or is_ip_literal(ip) == 0) then
      local shown = type(ip) == 'table' and require('net.inspect').inspect(ip) or tostring(ip)
      e = errors.new('TypeError', 'ERR_INVALID_IP_ADDRESS', 'Invalid IP address: ' .. shown)
    elseif e == nil and family ~= 4 and family ~= 6 then
      e = errors.new('RangeError', 'ERR_INVALID_ADDRESS_FAMILY',
        string.format('Invalid address family: %s %s:%s', tostring(family), host, tostring(o.port)))
    end
    if e ~= nil then
      nextTick(function() sock:destroy(e) end)
      return
    end
    S.touch(sock)
    internal_connect(sock, st, ip, o.port, family, o.localAddress, o.localPort)
  end)
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
  local ok, err_no = true, nil
  if not st.bound then ok, err_no = pipe.init(sock, false) end
  if ok and not st.bound then readable.handleMade(sock, st) end
  st.attempt = { address = path }
  sock:emit('connectionAttempt', path, nil, nil)
  if ok then ok, err_no = pipe.connect(sock, path) end
  -- failing at once is only 'error', as in Node's internalConnect
  if not ok then sock:destroy(errors.uv(err_no, 'connect', path)) end
  return sock
end

function M.install(Socket, setOnread)
  function Socket:connect(...)
    local options, cb = normalize(...)
    local st = private(self)
    if st.connecting then return self end
    if type(options) ~= 'table' then
      errors.raise(errors.invalidArgType('options', 'object', options), 2)
    end
    if S.isDestroyed(self) and (st.closeEmitted or not hasHandle(self)) then
      -- reconnecting a closed socket (Node's _undestroy)
      M.undestroy(self, st)
    elseif hasHandle(self) and not st.bound then
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
    local auto = options.autoSelectFamily
    if auto ~= nil then check_boolean(auto, 'options.autoSelectFamily', 2) else auto = defaults.autoSelectFamily end
    local attempt_timeout = options.autoSelectFamilyAttemptTimeout
    if attempt_timeout ~= nil then
      attempt_timeout = check_int32(attempt_timeout, 'options.autoSelectFamilyAttemptTimeout', 2)
      if attempt_timeout < 10 then attempt_timeout = 10 end
    else
      attempt_timeout = defaults.attemptTimeout
    end
    if st.bound then
      -- the adopted socket owns its local end
      for _, name in ipairs({ 'localAddress', 'localPort' }) do
        if options[name] ~= nil then
          errors.raise(errors.invalidArgValue('options.' .. name, options[name],
            'cannot be used with a BoundSocket handle'), 2)
        end
      end
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
    if not st.bound then readable.handleMade(self, st) end
    S.touch(self) -- Node's _unrefTimer in connect()
    S.hold(self)
    lookup_and_connect(self, st, {
      host = host, port = port, family = family, hints = options.hints, lookup = options.lookup,
      localAddress = st.localAddress, localPort = st.localPort,
      autoSelectFamily = auto, attemptTimeout = attempt_timeout,
    })
    return self
  end
end

-- A closed socket connected again: the stream state starts afresh
-- (flowing and the counters are kept, as Node's _undestroy keeps them).
function M.undestroy(sock, st)
  S.reset(sock)
  for _, k in ipairs({ 'closeEmitted', 'errorEmitted', 'hadError', 'errored', 'ended', 'readableEnded',
                       'writableFinished', 'finishCbs', 'shutdownSent', 'writeAfterFIN', 'reading',
                       'emittedReadable', 'needReadable', 'peer', 'flushListening',
                       'attemptedAddresses', 'multi', 'attempt', 'onDestroy', 'bound' }) do
    st[k] = nil
  end
end

return M
