-- Error values shaped like Node's: a table with metatable `Error`, fields
-- name, message, code and, where they apply, errno, syscall, address, port.
-- Also the constructors for Node's argument-validation codes, with Node's
-- message text, so every module raises the same words Node throws.
local core = require('net.core')
local inspect = require('net.inspect')

local M = {}

local Error = {}
Error.__index = Error
Error.__name = 'net.Error'
M.Error = Error

function Error.__tostring(e)
  local name = rawget(e, 'name') or 'Error'
  local msg = rawget(e, 'message')
  local code = rawget(e, 'code')
  -- Node prints "TypeError [ERR_X]: message" for its internal errors
  if code and code:sub(1, 4) == 'ERR_' then
    return string.format('%s [%s]: %s', name, code, msg)
  end
  if msg == nil or msg == '' then return name end
  return name .. ': ' .. msg
end

-- net.Error(message[, fields]): fields are copied onto the error; fields
-- that are not a table are ignored, as Node's Error ignores options that
-- are not an object.
function Error.new(message, fields)
  local e = { name = 'Error', message = message ~= nil and tostring(message) or '' }
  if type(fields) == 'table' then
    for k, v in pairs(fields) do e[k] = v end
  end
  return setmetatable(e, Error)
end

function Error.is(v)
  return getmetatable(v) == Error
end

setmetatable(Error, { __call = function(_, ...) return Error.new(...) end })

-- Make an error with Node's name, code and message.
function M.new(name, code, message, fields)
  local e = Error.new(message, fields)
  e.name = name
  e.code = code
  return e
end

-- Raise `err` at the caller of the public function (level 3 by default:
-- error() <- the validating helper <- the API function the user called).
function M.raise(err, level)
  error(err, level or 3)
end

-- Values printed as Node prints them (util.inspect, determineSpecificType).
M.inspect = inspect.inspect
M.describe = inspect.describe

local function kind(name)
  return name:find('.', 1, true) and 'property' or 'argument'
end

-- expected: a type name ('number'), a list of them ({'string', 'number'}),
-- or Node's own words ('of type string', 'an instance of AbortSignal').
function M.invalidArgType(name, expected, actual)
  local exp = expected
  if type(expected) == 'table' then
    if #expected == 1 then
      exp = 'of type ' .. expected[1]
    elseif #expected == 2 then
      exp = 'one of type ' .. expected[1] .. ' or ' .. expected[2]
    else
      exp = 'one of type ' .. table.concat(expected, ', ', 1, #expected - 1)
        .. ', or ' .. expected[#expected]
    end
  elseif not (exp:find('^of type ') or exp:find('^one of ') or exp:find('^an instance ')) then
    exp = 'of type ' .. exp
  end
  return M.new('TypeError', 'ERR_INVALID_ARG_TYPE',
    string.format('The "%s" %s must be %s. Received %s', name, kind(name), exp, inspect.describe(actual)))
end

-- value: shown with util.inspect, cut at 128 characters as Node does (a
-- string already formatted by the caller is shown as it is)
function M.invalidArgValue(name, value, reason, preformatted)
  local shown = preformatted and value or inspect.inspect(value)
  if inspect.len(shown) > 128 then shown = inspect.sub(shown, 128) .. '...' end
  return M.new('TypeError', 'ERR_INVALID_ARG_VALUE',
    string.format("The %s '%s' %s. Received %s", kind(name), name, reason or 'is invalid', shown))
end

-- range: Node's words ('>= 0 && <= 255'); integers past 2^32 get '_'s
function M.outOfRange(name, range, received)
  local text
  if type(received) == 'number' and received == math.floor(received) and math.abs(received) > 2 ^ 32
      and math.abs(received) ~= math.huge then
    text = inspect.separated(inspect.number(received))
  elseif type(received) == 'string' then
    text = received
  else
    text = inspect.inspect(received)
  end
  return M.new('RangeError', 'ERR_OUT_OF_RANGE',
    string.format('The value of "%s" is out of range. It must be %s. Received %s', name, range, text))
end

function M.badPort(name, port, allowZero)
  local op = allowZero == false and '>' or '>='
  return M.new('RangeError', 'ERR_SOCKET_BAD_PORT',
    string.format('%s should be %s 0 and < 65536. Received %s.', name or 'Port', op, inspect.describe(port)))
end

function M.missingArgs(...)
  local names = { ... }
  local list
  for i, n in ipairs(names) do names[i] = '"' .. n .. '"' end
  if #names == 1 then list = names[1]
  elseif #names == 2 then list = names[1] .. ' and ' .. names[2]
  else list = table.concat(names, ', ', 1, #names - 1) .. ', and ' .. names[#names] end
  return M.new('TypeError', 'ERR_MISSING_ARGS',
    string.format('The %s argument%s must be specified', list, #names > 1 and 's' or ''))
end

-- An error from a libuv status code (a negative integer), as Node's
-- UVExceptionWithHostPort: "connect ECONNREFUSED 127.0.0.1:9".
function M.uv(errno, syscall, address, port, extra)
  local code = core.errname(errno)
  local msg = syscall .. ' ' .. code
  if address then
    msg = msg .. ' ' .. address
    if port and port > 0 then msg = msg .. ':' .. port end
  elseif extra then
    msg = msg .. ' ' .. extra
  end
  local e = M.new('Error', code, msg)
  e.errno = errno
  e.syscall = syscall
  if address then e.address = address end
  if port and port > 0 then e.port = port end
  return e
end

-- Node's UVExceptionWithHostPort (listen, bind): the libuv message too,
-- "listen EADDRINUSE: address already in use 127.0.0.1:8080".
function M.uvWithMessage(errno, syscall, address, port)
  local code = core.errname(errno)
  local msg = string.format('%s %s: %s', syscall, code, core.strerror(errno))
  if address then
    msg = msg .. ' ' .. address
    if port and port > 0 then msg = msg .. ':' .. port end
  end
  local e = M.new('Error', code, msg)
  e.errno = errno
  e.syscall = syscall
  if address then e.address = address end
  -- Node sets port when it is truthy: -1 (pipes) yes, 0 no
  if port and port ~= 0 then e.port = port end
  return e
end

-- Node's dnsException: EAI_NONAME and EAI_NODATA read as ENOTFOUND.
function M.dns(errno, syscall, hostname)
  local code = core.errname(errno)
  if code == 'EAI_NONAME' or code == 'EAI_NODATA' then code = 'ENOTFOUND' end
  local e = M.new('Error', code, string.format('%s %s %s', syscall, code, hostname))
  e.errno = errno
  e.syscall = syscall
  e.hostname = hostname
  return e
end

return M
