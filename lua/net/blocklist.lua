-- net.BlockList: rules that block IP addresses, ranges and subnets, with
-- Node's argument handling and rule strings. Matching is in C
-- (csrc/blocklist.c, csrc/bl_index.c): a check is a binary search however
-- many rules there are.
--
-- Node v20 has addAddress, addRange, addSubnet, check and rules; those
-- follow v20 exactly. The newer members (isBlockList, toJSON, fromJSON,
-- addAddresses, addCIDR(s), remove*, clear, size, PRIVATE_RANGES) follow
-- the newest Node documentation and code.
local core = require('net.core')
local errors = require('net.errors')
local js = require('net.address').js
local SocketAddress = require('net.socketaddress')

local BlockList = {}
BlockList.__name = 'BlockList'

local HANDLE = {} -- private key: the C handle of an instance
local GETTERS = { rules = true, size = true }

local function handle(self)
  local h = type(self) == 'table' and rawget(self, HANDLE)
  if not h then errors.raise(js.invalidThis('BlockList'), 3) end
  return h
end

function BlockList.__index(self, key)
  if key == 'rules' then return core.blocklist_rules(handle(self)) end
  if key == 'size' then return core.blocklist_size(handle(self)) end
  return BlockList[key]
end

function BlockList.__newindex(self, key, value)
  if GETTERS[key] then errors.raise(js.readOnly(key, 'BlockList'), 2) end
  rawset(self, key, value)
end

function BlockList.new()
  return setmetatable({ [HANDLE] = core.blocklist_new() }, BlockList)
end

setmetatable(BlockList, {
  __call = function() return BlockList.new() end,
})

function BlockList.isBlockList(value)
  return getmetatable(value) == BlockList
end

-- A string argument becomes a SocketAddress of the given family (default
-- 'ipv4'), which raises Node's errors for a bad family or address.
local function toAddress(value, family, name)
  if SocketAddress.isSocketAddress(value) then return value end
  js.validateString(value, name)
  if family == nil then family = 'ipv4' end
  js.validateString(family, 'family')
  return SocketAddress.new({ address = value, family = family })
end

local bytes = SocketAddress._bytes

local function prefixOf(network, prefix)
  return js.validateInt32(prefix, 'prefix', 0, network.family == 'ipv4' and 32 or 128)
end

function BlockList:addAddress(address, family)
  local h = handle(self)
  address = toAddress(address, family, 'address')
  core.blocklist_add(h, 'address', bytes(address))
end

-- addAddresses(list[, family]): validates every entry before adding any.
function BlockList:addAddresses(addresses, family)
  local h = handle(self)
  js.validateArray(addresses, 'addresses')
  if family == nil then family = 'ipv4' end
  js.validateString(family, 'family')
  local list = {}
  for i = 1, #addresses do
    list[i] = toAddress(addresses[i], family, 'addresses[' .. i .. ']')
  end
  for _, address in ipairs(list) do core.blocklist_add(h, 'address', bytes(address)) end
end

function BlockList:addRange(start, end_, family)
  local h = handle(self)
  start = toAddress(start, family, 'start')
  end_ = toAddress(end_, family, 'end')
  if not core.blocklist_add(h, 'range', bytes(start), bytes(end_)) then
    errors.raise(js.invalidArgValue('start', start, 'must come before end'), 2)
  end
end

function BlockList:addSubnet(network, prefix, family)
  local h = handle(self)
  network = toAddress(network, family, 'network')
  prefix = prefixOf(network, prefix)
  core.blocklist_add(h, 'subnet', bytes(network), prefix)
end

-- '10.0.0.0/8' -> address, prefix, family (IPv6 when the address has ':').
local function parseCIDR(cidr)
  js.validateString(cidr, 'cidr')
  local address, prefixStr = cidr:match('^(.*)/(.-)$')
  if not address then
    errors.raise(js.invalidArgValue('cidr', cidr,
      'must contain a prefix length (e.g. "10.0.0.0/8")'), 4)
  end
  -- Node: parseInt(prefixStr, 10), which must print back as prefixStr
  local prefix = prefixStr:match('^%-?%d+$') and tonumber(prefixStr)
  if not prefix or js.number(prefix) ~= prefixStr then
    errors.raise(js.invalidArgValue('cidr', cidr, 'prefix length must be a valid integer'), 4)
  end
  return address, prefix, address:find(':', 1, true) and 'ipv6' or 'ipv4'
end

function BlockList:addCIDR(cidr)
  handle(self)
  local address, prefix, family = parseCIDR(cidr)
  self:addSubnet(address, prefix, family)
end

-- addCIDRs(list): every entry is parsed before any is added (an address or
-- prefix rejected by addSubnet can still stop it half-way, as in Node).
function BlockList:addCIDRs(cidrs)
  handle(self)
  js.validateArray(cidrs, 'cidrs')
  local parsed = {}
  for i = 1, #cidrs do
    js.validateString(cidrs[i], 'cidrs[' .. i .. ']')
    parsed[i] = { parseCIDR(cidrs[i]) }
  end
  for _, p in ipairs(parsed) do self:addSubnet(p[1], p[2], p[3]) end
end

-- The remove* methods take what the matching add* took and drop the rules
-- that have exactly those values; nothing happens when there is none.
function BlockList:removeAddress(address, family)
  local h = handle(self)
  address = toAddress(address, family, 'address')
  core.blocklist_remove(h, 'address', bytes(address))
end

function BlockList:removeRange(start, end_, family)
  local h = handle(self)
  start = toAddress(start, family, 'start')
  end_ = toAddress(end_, family, 'end')
  core.blocklist_remove(h, 'range', bytes(start), bytes(end_))
end

function BlockList:removeSubnet(network, prefix, family)
  local h = handle(self)
  network = toAddress(network, family, 'network')
  prefix = prefixOf(network, prefix)
  core.blocklist_remove(h, 'subnet', bytes(network), prefix)
end

function BlockList:removeCIDR(cidr)
  handle(self)
  local address, prefix, family = parseCIDR(cidr)
  self:removeSubnet(address, prefix, family)
end

function BlockList:clear()
  core.blocklist_clear(handle(self))
end

-- check(address[, family]): true when a rule blocks it. An address string
-- that does not parse for the family (or a family other than ipv4/ipv6,
-- in any case) is simply not blocked. The common case, a string and a
-- lower-case family, goes straight to C.
local FAMILIES = { ipv4 = 4, ipv6 = 6 }

function BlockList:check(address, family)
  local h = type(self) == 'table' and rawget(self, HANDLE) or handle(self)
  if type(address) == 'string' then
    if family == nil then return core.blocklist_check_string(h, address, 4) end
    local af = FAMILIES[family]
    if not af then
      js.validateString(family, 'family')
      af = FAMILIES[family:lower()]
      if not af then return false end
    end
    return core.blocklist_check_string(h, address, af)
  end
  if SocketAddress.isSocketAddress(address) then
    return core.blocklist_check(h, bytes(address))
  end
  js.validateString(address, 'address') -- raises: not a string
end

function BlockList:toJSON()
  return core.blocklist_rules(handle(self))
end

---------------------------------------------------------------------------
-- fromJSON: JSON text or a list of rule strings, read back with Node's
-- regular expressions (which do not anchor, and for IPv6 only take hex
-- digits and colons, so a dotted IPv4 tail is cut off as in Node).

-- A small JSON reader with JSON.parse's results and V8's error wording.
local function jsonError(fmt, ...)
  errors.raise(errors.new('SyntaxError', nil, string.format(fmt, ...)), 5)
end

local function jsonDecode(src)
  local pos = 1
  local function ws()
    pos = src:find('[^ \t\n\r]', pos) or #src + 1
  end
  local function unexpected()
    if pos > #src then jsonError('Unexpected end of JSON input') end
    local c = src:sub(pos, pos)
    if #src <= 21 then
      jsonError('Unexpected token \'%s\', "%s" is not valid JSON', c, src)
    end
    local from, to = math.max(1, pos - 10), math.min(#src, pos + 10)
    jsonError('Unexpected token \'%s\', %s"%s"%s is not valid JSON', c,
      from > 1 and '...' or '', src:sub(from, to), to < #src and '...' or '')
  end
  local value
  local function str()
    local out, i = {}, pos + 1
    while true do
      local c = src:sub(i, i)
      if c == '' then jsonError('Unterminated string in JSON at position %d', i - 1) end
      if c == '"' then break end
      if c:byte() < 32 then
        jsonError('Bad control character in string literal in JSON at position %d', i - 1)
      end
      if c == '\\' then
        local e = src:sub(i + 1, i + 1)
        local simple = { ['"'] = '"', ['\\'] = '\\', ['/'] = '/', b = '\b', f = '\f',
          n = '\n', r = '\r', t = '\t' }
        if simple[e] then
          out[#out + 1] = simple[e]
          i = i + 2
        elseif e == 'u' and src:sub(i + 2, i + 5):match('^%x%x%x%x$') then
          local cp = tonumber(src:sub(i + 2, i + 5), 16)
          i = i + 6
          local lo = src:match('^\\u(%x%x%x%x)', i)
          if cp >= 0xd800 and cp <= 0xdbff and lo and tonumber(lo, 16) >= 0xdc00
            and tonumber(lo, 16) <= 0xdfff then
            cp = 0x10000 + (cp - 0xd800) * 0x400 + (tonumber(lo, 16) - 0xdc00)
            i = i + 6
          end
          out[#out + 1] = utf8.char(cp)
        else
          jsonError('Bad escaped character in JSON at position %d', i)
        end
      else
        out[#out + 1] = c
        i = i + 1
      end
    end
    pos = i + 1
    return table.concat(out)
  end
  function value()
    ws()
    local c = src:sub(pos, pos)
    if c == '"' then return str() end
    if c == '[' then
      local arr = {}
      pos = pos + 1
      ws()
      if src:sub(pos, pos) == ']' then
        pos = pos + 1
        return arr
      end
      while true do
        arr[#arr + 1] = value()
        ws()
        c = src:sub(pos, pos)
        pos = pos + 1
        if c == ']' then return arr end
        if c ~= ',' then
          pos = pos - 1
          if c == '' then unexpected() end
          jsonError("Expected ',' or ']' after array element in JSON at position %d", pos - 1)
        end
      end
    end
    if c == '{' then
      local obj = setmetatable({}, { __name = 'Object' })
      pos = pos + 1
      ws()
      if src:sub(pos, pos) == '}' then
        pos = pos + 1
        return obj
      end
      while true do
        ws()
        if src:sub(pos, pos) ~= '"' then
          if pos > #src then unexpected() end
          jsonError('Expected double-quoted property name in JSON at position %d', pos - 1)
        end
        local k = str()
        ws()
        if src:sub(pos, pos) ~= ':' then
          if pos > #src then unexpected() end
          jsonError("Expected ':' after property name in JSON at position %d", pos - 1)
        end
        pos = pos + 1
        obj[k] = value()
        ws()
        c = src:sub(pos, pos)
        pos = pos + 1
        if c == '}' then return obj end
        if c ~= ',' then
          pos = pos - 1
          if c == '' then unexpected() end
          jsonError("Expected ',' or '}' after property value in JSON at position %d", pos - 1)
        end
      end
    end
    -- -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
    local q = pos + (c == '-' and 1 or 0)
    local int = src:match('^0', q) or src:match('^[1-9]%d*', q)
    if int then
      q = q + #int
      local frac = src:match('^%.%d+', q) or ''
      q = q + #frac
      local exp = src:match('^[eE][-+]?%d+', q) or ''
      q = q + #exp
      local num = tonumber(src:sub(pos, q - 1))
      pos = q
      return num
    end
    for word, v in pairs({ ['true'] = true, ['false'] = false, null = js.null }) do
      if src:sub(pos, pos + #word - 1) == word then
        pos = pos + #word
        return v
      end
    end
    unexpected()
  end
  local result = value()
  ws()
  if pos <= #src then
    jsonError('Unexpected non-whitespace character after JSON at position %d', pos - 1)
  end
  return result
end

local function badData(data)
  errors.raise(js.invalidArgType('data', 'of type string or string[]', data), 3)
end

local function allStrings(data)
  if not js.isArray(data) then return false end
  for i = 1, #data do
    if type(data[i]) ~= 'string' then return false end
  end
  return true
end

-- Finds `literal` anywhere in s (case-insensitively for the IPv6 forms)
-- and calls try(position after it) until one succeeds.
local function search(s, literal, nocase, try)
  local hay = nocase and s:lower() or s
  local init = 1
  while true do
    local i, j = hay:find(nocase and literal:lower() or literal, init, true)
    if not i then return nil end
    local a, b, c = try(j + 1)
    if a then return a, b, c end
    init = i + 1
  end
end

-- \d{1,3}(?:\.\d{1,3}){3} at p. Only the last number can stop early (after
-- three digits), and only when `openEnd`: otherwise what follows is a
-- literal that a digit cannot match.
local function dotted(s, p, openEnd)
  local start = p
  for i = 1, 4 do
    local d = s:match('^%d+', p)
    if not d then return nil end
    if i == 4 and openEnd then
      d = d:sub(1, 3)
    elseif #d > 3 then
      return nil
    end
    p = p + #d
    if i < 4 then
      if s:sub(p, p) ~= '.' then return nil end
      p = p + 1
    end
  end
  return s:sub(start, p - 1), p
end

-- [0-9a-fA-F:]{1,39} at p, likewise.
local function hexColons(s, p, openEnd)
  local run = s:match('^[%x:]+', p)
  if not run then return nil end
  if openEnd then run = run:sub(1, 39) elseif #run > 39 then return nil end
  return run, p + #run
end

local function parseRule(self, item)
  if item:find('IPv4', 1, true) then
    local net, prefix = search(item, 'Subnet: IPv4 ', false, function(p)
      local a, q = dotted(item, p, false)
      local digits = a and item:sub(q, q) == '/' and item:match('^%d%d?', q + 1)
      if digits then return a, digits end
    end)
    if net then return self:addSubnet(net, tonumber(prefix)) end
    local address = search(item, 'Address: IPv4 ', false, function(p)
      return (dotted(item, p, true))
    end)
    if address then return self:addAddress(address) end
    local first, last = search(item, 'Range: IPv4 ', false, function(p)
      local a, q = dotted(item, p, false)
      if a and item:sub(q, q) == '-' then
        local b = dotted(item, q + 1, true)
        if b then return a, b end
      end
    end)
    if first then return self:addRange(first, last) end
  end
  if item:find('IPv6', 1, true) then
    local net, prefix = search(item, 'Subnet: IPv6 ', true, function(p)
      local a, q = hexColons(item, p, false)
      local digits = a and item:sub(q, q) == '/' and item:match('^%d%d?%d?', q + 1)
      if digits then return a, digits end
    end)
    if net then return self:addSubnet(net, tonumber(prefix), 'ipv6') end
    local address = search(item, 'Address: IPv6 ', true, function(p)
      return (hexColons(item, p, true))
    end)
    if address then return self:addAddress(address, 'ipv6') end
    local first, last = search(item, 'Range: IPv6 ', true, function(p)
      local a, q = hexColons(item, p, false)
      if a and item:sub(q, q) == '-' then
        local b = hexColons(item, q + 1, true)
        if b then return a, b end
      end
    end)
    if first then return self:addRange(first, last, 'ipv6') end
  end
end

-- fromJSON(rules | json): adds the rules that toJSON()/rules listed.
function BlockList:fromJSON(data)
  handle(self)
  if type(data) == 'string' then
    data = jsonDecode(data)
    if not allStrings(data) then badData(data) end
  elseif not allStrings(data) then
    badData(data)
  end
  for i = 1, #data do parseRule(self, data[i]) end
end

-- PRIVATE_RANGES: frozen, like Node's ObjectFreeze'd array.
local PRIVATE = {
  '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', -- RFC 1918
  '127.0.0.0/8', '::1/128',                         -- loopback
  '169.254.0.0/16', 'fe80::/10',                    -- link-local
  'fc00::/7',                                       -- unique local
}
BlockList.PRIVATE_RANGES = setmetatable({}, {
  __index = PRIVATE,
  __len = function() return #PRIVATE end,
  __pairs = function() return ipairs(PRIVATE) end,
  __newindex = function(_, key)
    errors.raise(errors.new('TypeError', nil,
      string.format('Cannot add property %s, object is not extensible', tostring(key))), 2)
  end,
})

-- As util.inspect shows it.
function BlockList:__tostring()
  local rules = core.blocklist_rules(handle(self))
  for i, r in ipairs(rules) do rules[i] = js.inspect(r) end
  if #rules == 0 then return 'BlockList { rules: [] }' end
  return 'BlockList { rules: [ ' .. table.concat(rules, ', ') .. ' ] }'
end

return BlockList
