-- Argument checks shared by Socket and Server, raising Node's codes and
-- messages at the caller of the public function.
local errors = require('net.errors')

local M = {}

local js = require('net.address').js

-- A port as Node's validatePort: a number or numeric string (JavaScript's
-- Number(): '0x50', ' 80 ', '8e1') whose value is whole and in [0, 65535];
-- returned as a Lua integer.
function M.port(port, name)
  local ok, n = pcall(js.validatePort, port, name or 'Port')
  if not ok then errors.raise(n, 4) end
  return n
end

-- Is `v` a port rather than a pipe path, as Node's normalizeArgs decides
-- (Number(v) >= 0)?
function M.isPortLike(v)
  if type(v) == 'number' then return true end
  if type(v) ~= 'string' then return false end
  local n = js.toNumber(v)
  return n == n and n >= 0
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
