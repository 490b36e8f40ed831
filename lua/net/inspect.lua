-- How Node prints values in its error messages: util.inspect, the
-- "Received ..." of ERR_INVALID_ARG_TYPE (determineSpecificType) and
-- Number#toString, with JavaScript's lengths (UTF-16 units). Used by
-- errors.lua's constructors, so every module words errors as Node does.
local js = {}

-- Length in UTF-16 code units, which is what JavaScript's limits count.
local function jslen(s)
  local n = 0
  for i = 1, #s do
    local b = s:byte(i)
    if b < 0x80 or b >= 0xc0 then n = n + 1 end
    if b >= 0xf0 then n = n + 1 end -- astral: a surrogate pair
  end
  return n
end

-- The first `n` UTF-16 units of s (not splitting a character).
local function jssub(s, n)
  local units, i = 0, 1
  while i <= #s do
    local b = s:byte(i)
    local len = b >= 0xf0 and 4 or b >= 0xe0 and 3 or b >= 0xc0 and 2 or 1
    local w = len == 4 and 2 or 1
    if units + w > n then break end
    units = units + w
    i = i + len
  end
  return s:sub(1, i - 1)
end

-- Number.prototype.toString: shortest round-trip digits, exponent form
-- outside [1e-7, 1e21).
function js.number(n)
  if math.type(n) == 'integer' then return tostring(n) end
  if n ~= n then return 'NaN' end
  if n == math.huge then return 'Infinity' end
  if n == -math.huge then return '-Infinity' end
  if n == 0 then return '0' end
  local sign = n < 0 and '-' or ''
  local a = math.abs(n)
  local s
  for p = 0, 16 do
    s = string.format('%.' .. p .. 'e', a)
    if tonumber(s) == a then break end
  end
  local lead, frac, e = s:match('^(%d)%.?(%d*)e([-+]%d+)$')
  local digits = (lead .. frac):gsub('0+$', '')
  local k, point = #digits, tonumber(e) + 1 -- value = 0.digits * 10^point
  local out
  if k <= point and point <= 21 then
    out = digits .. string.rep('0', point - k)
  elseif 0 < point and point <= 21 then
    out = digits:sub(1, point) .. '.' .. digits:sub(point + 1)
  elseif -6 < point and point <= 0 then
    out = '0.' .. string.rep('0', -point) .. digits
  else
    local x = point - 1
    out = digits:sub(1, 1) .. (k > 1 and '.' .. digits:sub(2) or '')
      .. 'e' .. (x < 0 and '-' or '+') .. math.abs(x)
  end
  return sign .. out
end

-- util.inspect of a number: as toString, but -0 shows its sign.
local function inspectNumber(n)
  if n == 0 and 1 / n < 0 then return '-0' end
  return js.number(n)
end

local META = {
  [8] = '\\b', [9] = '\\t', [10] = '\\n', [11] = '\\x0B', [12] = '\\f', [13] = '\\r',
}

-- util.inspect's strEscape: picks ', " or ` so that quotes need no escape,
-- escapes control characters (C0, DEL, C1) and backslashes.
local function quote(s)
  local q = "'"
  if s:find("'", 1, true) then
    if not s:find('"', 1, true) then
      q = '"'
    elseif not s:find('`', 1, true) and not s:find('${', 1, true) then
      q = '`'
    end
  end
  local body = s:gsub("[\0-\31'\\\127]", function(c)
    local b = c:byte()
    if c == "'" then return q == "'" and "\\'" or "'" end
    if c == '\\' then return '\\\\' end
    return META[b] or string.format('\\x%02X', b)
  end):gsub('\194([\128-\159])', function(c)
    return string.format('\\x%02X', c:byte())
  end)
  return q .. body .. q
end

-- util.inspect of a string: a long one (over 76 units) is cut after each
-- newline into quoted pieces joined with " +\n  ".
local function inspectString(s)
  if jslen(s) > 16 and jslen(s) > 76 and s:find('\n', 1, true) then
    local parts = {}
    for line in s:gmatch('[^\n]*\n?') do
      if line ~= '' then parts[#parts + 1] = quote(line) end
    end
    return table.concat(parts, ' +\n  ')
  end
  return quote(s)
end

-- JavaScript's null where a Lua value must stand for it (JSON input).
js.null = setmetatable({}, { __tostring = function() return 'null' end })

-- Is a plain Lua table a JavaScript array (a sequence) or an object?
local function isArrayLike(t)
  return next(t) == nil or rawget(t, 1) ~= nil
end

-- util.inspect, for the values an argument error can show.
function js.inspect(v, depth)
  local t = type(v)
  if t == 'string' then return inspectString(v) end
  if t == 'number' then return inspectNumber(v) end
  if v == nil then return 'undefined' end
  if t == 'boolean' then return tostring(v) end
  if t == 'function' then return '[Function (anonymous)]' end
  if t == 'table' then
    local mt = getmetatable(v)
    if mt and mt.__tostring then return tostring(v) end
    depth = depth or 0
    if isArrayLike(v) then
      if next(v) == nil then return '[]' end
      if depth > 2 then return '[Array]' end
      local items = {}
      for i = 1, #v do items[i] = js.inspect(v[i], depth + 1) end
      return '[ ' .. table.concat(items, ', ') .. ' ]'
    end
    if depth > 2 then return '[Object]' end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for i, k in ipairs(keys) do
      local name = type(k) == 'string' and k:match('^[%a_$][%w_$]*$') and k or quote(tostring(k))
      keys[i] = name .. ': ' .. js.inspect(v[k], depth + 1)
    end
    return '{ ' .. table.concat(keys, ', ') .. ' }'
  end
  return tostring(v)
end

-- JSON.stringify of a string (Node's describe uses it for strings with ').
local function jsonString(s)
  return '"' .. s:gsub('[\0-\31"\\]', function(c)
    local b = c:byte()
    local short = { [8] = '\\b', [9] = '\\t', [10] = '\\n', [12] = '\\f', [13] = '\\r',
      [34] = '\\"', [92] = '\\\\' }
    return short[b] or string.format('\\u%04x', b)
  end) .. '"'
end

-- What ERR_INVALID_ARG_TYPE says it received (determineSpecificType).
function js.describe(v)
  local t = type(v)
  if v == nil then return 'undefined' end
  if v == js.null then return 'null' end
  if t == 'number' then return 'type number (' .. inspectNumber(v) .. ')' end
  if t == 'boolean' then return 'type boolean (' .. tostring(v) .. ')' end
  if t == 'function' then return 'function ' end
  if t == 'string' then
    if jslen(v) > 28 then v = jssub(v, 25) .. '...' end
    if not v:find("'", 1, true) then return "type string ('" .. v .. "')" end
    return 'type string (' .. jsonString(v) .. ')'
  end
  if t == 'table' or t == 'userdata' then
    local mt = getmetatable(v)
    local name = type(mt) == 'table' and rawget(mt, '__name')
    if type(name) == 'string' then return 'an instance of ' .. name end
    if t == 'table' and isArrayLike(v) then return 'an instance of Array' end
    return 'an instance of Object'
  end
  return 'type ' .. t .. ' (' .. tostring(v) .. ')'
end

-- Node writes integers beyond 2^32 with '_' every three digits.
local function separated(s)
  local res, i = '', #s
  local start = s:sub(1, 1) == '-' and 2 or 1
  while i >= start + 3 do
    res = '_' .. s:sub(i - 2, i) .. res
    i = i - 3
  end
  return s:sub(1, i) .. res
end

js.len, js.sub, js.quote, js.separated = jslen, jssub, quote, separated
js.isArrayLike = isArrayLike

return js
