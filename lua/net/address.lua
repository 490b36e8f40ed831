-- net.isIP, net.isIPv4, net.isIPv6, and what socketaddress.lua and
-- blocklist.lua share: Node's argument validators with Node's exact message
-- text, which needs JavaScript's way of printing values (util.inspect,
-- Number#toString). The parsing itself is C (csrc/addr_parse.c).
local core = require('net.core')
local errors = require('net.errors')

local M = {}

-- Node's isIP: 6 for IPv6 (zone ids and a dotted IPv4 tail included), 4 for
-- dotted-decimal IPv4 without leading zeros, 0 for anything else, including
-- values that are not strings.
function M.isIP(input)
  return core.addr_isip(input)
end

function M.isIPv4(input)
  return core.addr_isip(input) == 4
end

function M.isIPv6(input)
  return core.addr_isip(input) == 6
end

---------------------------------------------------------------------------
-- Printing values and Node's error constructors come from net.inspect and
-- net.errors; `js` gathers them with the validators below for
-- socketaddress.lua and blocklist.lua.

local js = {}
for k, v in pairs(require('net.inspect')) do js[k] = v end
js.invalidArgType = errors.invalidArgType
js.invalidArgValue = errors.invalidArgValue
js.outOfRange = errors.outOfRange
M.js = js

---------------------------------------------------------------------------
-- Validators (internal/validators.js). Each raises at the caller's caller.

local function raise(err)
  errors.raise(err, 4)
end

function js.validateString(v, name)
  if type(v) ~= 'string' then raise(js.invalidArgType(name, 'of type string', v)) end
  return v
end

-- A number that is a whole value (JavaScript has no integer type: 24.0 is
-- 24), as a Lua integer when it fits.
local function whole(v)
  return v == v and v ~= math.huge and v ~= -math.huge and v == math.floor(v)
end

function js.validateInt32(v, name, min, max)
  if type(v) ~= 'number' then raise(js.invalidArgType(name, 'of type number', v)) end
  if not whole(v) then raise(js.outOfRange(name, 'an integer', v)) end
  if v < min or v > max then
    raise(js.outOfRange(name, string.format('>= %d && <= %d', min, max), v))
  end
  return math.tointeger(v) -- -0.0 becomes 0
end

function js.validateUint32(v, name)
  return js.validateInt32(v, name, 0, 4294967295)
end

-- A Lua table stands for an array unless it is an instance of a class
-- (a metatable with __name, as SocketAddress and BlockList have).
function js.isArray(v)
  if type(v) ~= 'table' then return false end
  local mt = getmetatable(v)
  return not (type(mt) == 'table' and rawget(mt, '__name') ~= nil)
end

function js.validateArray(v, name)
  if not js.isArray(v) then
    raise(js.invalidArgType(name, 'an instance of Array', v))
  end
  return v
end

-- JavaScript's white space, as String.prototype.trim and Number() see it.
local WS = { '\t', '\n', '\v', '\f', '\r', ' ', '\194\160', '\225\154\128',
  '\226\128\168', '\226\128\169', '\226\128\175', '\226\129\159', '\227\128\128',
  '\239\187\191' }
for c = 0x80, 0x8a do WS[#WS + 1] = '\226\128' .. string.char(c) end

local function trim(s)
  local changed = true
  while changed do
    changed = false
    for _, w in ipairs(WS) do
      if s:sub(1, #w) == w then
        s, changed = s:sub(#w + 1), true
      end
      if #s >= #w and s:sub(-#w) == w then
        s, changed = s:sub(1, -#w - 1), true
      end
    end
  end
  return s
end
js.trim = trim

-- Number(string): decimal (with fraction and exponent), Infinity, or
-- 0x / 0o / 0b integers; NaN for anything else.
function js.toNumber(s)
  s = trim(s)
  if s == '' then return 0 end
  local radix = { x = 16, o = 8, b = 2 }
  local p, digits = s:match('^0([xXoObB])(%w+)$')
  if p then
    local r = radix[p:lower()]
    local v = 0
    for c in digits:gmatch('.') do
      local d = tonumber(c, 36)
      if d == nil or d >= r then return 0 / 0 end
      v = v * r + d
    end
    return v
  end
  local sign, rest = s:match('^([+-]?)(.*)$')
  local v
  if rest == 'Infinity' then
    v = math.huge
  elseif rest:match('^%d+%.?%d*$') or rest:match('^%.%d+$')
    or rest:match('^%d+%.?%d*[eE][+-]?%d+$') or rest:match('^%.%d+[eE][+-]?%d+$') then
    v = tonumber(rest) + 0.0
  else
    return 0 / 0
  end
  return sign == '-' and -v or v
end

-- validatePort: a number or numeric string, whole, 0..65535. Returns it as
-- a Lua integer (what `port | 0` makes of it).
function js.validatePort(port, name)
  local n
  if type(port) == 'number' then
    n = port
  elseif type(port) == 'string' and trim(port) ~= '' then
    n = js.toNumber(port)
  end
  if n == nil or not whole(n) or n < 0 or n > 65535 then
    raise(errors.new('RangeError', 'ERR_SOCKET_BAD_PORT', string.format(
      '%s should be >= 0 and < 65536. Received %s.', name, js.describe(port))))
  end
  return math.tointeger(n)
end

-- Raised by methods called on something that is not their object
-- (bl.check(x) instead of bl:check(x)).
function js.invalidThis(class)
  return errors.new('TypeError', 'ERR_INVALID_THIS',
    'Value of "this" must be of type ' .. class)
end

-- Node's strict-mode error for assigning a getter-only property.
function js.readOnly(name, class)
  return errors.new('TypeError', nil, string.format(
    'Cannot set property %s of #<%s> which has only a getter', name, class))
end

return M
