-- Argument checks shared by Socket and Server, raising Node's codes and
-- messages at the caller of the public function.
local errors = require('net.errors')

local M = {}

-- A port as Node's validatePort: integer-valued number or numeric string in
-- [0, 65535]; returns it as a Lua integer.
function M.port(port, name, allowZero)
  local n
  if type(port) == 'number' then
    n = port
  elseif type(port) == 'string' and port:match('^%s*%d+%s*$') then
    n = tonumber(port)
  end
  if n == nil or n ~= math.floor(n) or n < 0 or n > 65535 or (n == 0 and allowZero == false) then
    errors.raise(errors.badPort(name or 'Port', port, allowZero), 4)
  end
  return math.tointeger(n)
end

-- Does `v` look like a port (Node's isLegalPort-ish check for argument
-- juggling): a number, or a string of digits.
function M.isPortLike(v)
  return type(v) == 'number' or (type(v) == 'string' and v:match('^%s*%d+%s*$') ~= nil)
end

function M.check(cond, err)
  if not cond then errors.raise(err, 4) end
end

function M.func(v, name)
  if v ~= nil and type(v) ~= 'function' then
    errors.raise(errors.invalidArgType(name, 'function', v), 4)
  end
  return v
end

function M.string(v, name)
  if v ~= nil and type(v) ~= 'string' then
    errors.raise(errors.invalidArgType(name, 'string', v), 4)
  end
  return v
end

function M.integer(v, name, min, max)
  if v == nil then return nil end
  if type(v) ~= 'number' then errors.raise(errors.invalidArgType(name, 'number', v), 4) end
  if v ~= math.floor(v) then
    errors.raise(errors.outOfRange(name, 'an integer', v), 4)
  end
  if (min and v < min) or (max and v > max) then
    errors.raise(errors.outOfRange(name, string.format('>= %d && <= %d', min, max), v), 4)
  end
  return math.tointeger(v)
end

return M
