-- Reads the LuaLS definition files under types/ without lua-language-server
-- (which Debian does not package): checks that every `---@` annotation
-- follows LuaLS's syntax and names only types that exist, and returns what
-- the files define (classes with their fields, methods and parents), for
-- spec/surface_spec.lua to compare with the running module.
--
--   local luals = require('luals_types')   -- with tools/ on package.path
--   local model, problems = luals.read({ 'types/net/init.lua', ... })
--
-- The grammar is the subset of LuaLS's annotations these files use:
-- @meta, @class, @field, @param, @return, @overload, @alias (with `---|`
-- lines), @generic; type expressions with unions, `?`, `[]`, literals,
-- `fun(...)`, table literals `{ k: T }` and `table<K, V>`.
local M = {}

local BUILTIN = {
  ['nil'] = true, any = true, boolean = true, string = true, number = true,
  integer = true, ['function'] = true, table = true, thread = true,
  userdata = true, lightuserdata = true, self = true, unknown = true,
}

-- --- type expressions ------------------------------------------------------

-- Parses one type expression at s[pos]; returns the position after it and
-- adds every type name it mentions to `names`. Raises a string on error.
local parse_type

local function skip(s, pos)
  return s:match('^%s*()', pos)
end

local function expect(s, pos, text)
  pos = skip(s, pos)
  if s:sub(pos, pos + #text - 1) ~= text then
    error(string.format("expected '%s' at column %d", text, pos), 0)
  end
  return pos + #text
end

local function parse_params(s, pos, names)
  -- fun( [name[?][: type] {, name[?][: type]}] )
  pos = skip(s, pos)
  if s:sub(pos, pos) == ')' then return pos + 1 end
  while true do
    pos = skip(s, pos)
    local name_end = s:match('^%.%.%.()', pos) or s:match('^[%a_][%w_]*()', pos)
    if not name_end then error('expected a parameter name at column ' .. pos, 0) end
    pos = name_end
    if s:sub(pos, pos) == '?' then pos = pos + 1 end
    pos = skip(s, pos)
    if s:sub(pos, pos) == ':' then pos = parse_type(s, pos + 1, names) end
    pos = skip(s, pos)
    local c = s:sub(pos, pos)
    if c == ')' then return pos + 1 end
    if c ~= ',' then error("expected ',' or ')' at column " .. pos, 0) end
    pos = pos + 1
  end
end

local function parse_primary(s, pos, names)
  pos = skip(s, pos)
  local c = s:sub(pos, pos)
  if c == '"' or c == "'" then
    local close = s:find(c, pos + 1, true)
    if not close then error('unterminated string literal at column ' .. pos, 0) end
    return close + 1
  elseif c == '`' then
    local close = s:find('`', pos + 1, true)
    if not close then error('unterminated `literal` at column ' .. pos, 0) end
    return close + 1
  elseif c:match('%d') or (c == '-' and s:sub(pos + 1, pos + 1):match('%d')) then
    return s:match('^%-?%d+()', pos)
  elseif c == '(' then
    pos = parse_type(s, pos + 1, names)
    return expect(s, pos, ')')
  elseif c == '{' then
    -- { key: type, [type]: type, ... }
    pos = skip(s, pos + 1)
    if s:sub(pos, pos) == '}' then return pos + 1 end
    while true do
      pos = skip(s, pos)
      if s:sub(pos, pos) == '[' then
        pos = expect(s, parse_type(s, pos + 1, names), ']')
      else
        local key_end = s:match('^[%a_][%w_]*()', pos)
        if not key_end then error('expected a field name at column ' .. pos, 0) end
        pos = key_end
      end
      pos = expect(s, pos, ':')
      pos = skip(s, parse_type(s, pos, names))
      local d = s:sub(pos, pos)
      if d == '}' then return pos + 1 end
      if d ~= ',' then error("expected ',' or '}' at column " .. pos, 0) end
      pos = pos + 1
    end
  elseif s:match('^fun%s*%(', pos) then
    pos = parse_params(s, s:match('^fun%s*%(()', pos), names)
    local after = skip(s, pos)
    if s:sub(after, after) == ':' then
      pos = parse_type(s, after + 1, names)
      -- more return types
      while s:match('^%s*,', pos) do
        pos = parse_type(s, s:match('^%s*,()', pos), names)
      end
    end
    return pos
  end
  local name_end = s:match('^[%a_][%w_]*()', pos)
  if not name_end then error('expected a type at column ' .. pos, 0) end
  -- dotted names: net.Socket
  while s:match('^%.[%a_]', name_end) do
    name_end = s:match('^%.[%a_][%w_]*()', name_end)
  end
  names[#names + 1] = s:sub(pos, name_end - 1)
  pos = name_end
  if s:sub(pos, pos) == '<' then
    pos = parse_type(s, pos + 1, names)
    while s:match('^%s*,', pos) do pos = parse_type(s, s:match('^%s*,()', pos), names) end
    pos = expect(s, pos, '>')
  end
  return pos
end

local function parse_postfix(s, pos, names)
  pos = parse_primary(s, pos, names)
  while true do
    if s:sub(pos, pos + 1) == '[]' then
      pos = pos + 2
    elseif s:sub(pos, pos) == '?' then
      pos = pos + 1
    else
      return pos
    end
  end
end

function parse_type(s, pos, names)
  pos = parse_postfix(s, pos, names)
  while s:match('^%s*|', pos) do
    pos = parse_postfix(s, s:match('^%s*|()', pos), names)
  end
  return pos
end

-- A whole "TYPE [description]": the type must end at a space or the end.
local function type_then_text(s, pos, names)
  local after = parse_type(s, pos, names)
  if after <= #s and not s:sub(after, after):match('%s') then
    error('unexpected text after the type at column ' .. after, 0)
  end
  return after
end

-- --- annotation lines -------------------------------------------------------

local NAME = '[%a_][%w_]*'

-- Each checker gets the text after the tag and the file state; raises on error.
local TAGS = {}

function TAGS.meta(rest)
  if rest ~= '' and not rest:match('^[%w_%.]+$') then error('bad @meta name', 0) end
end

function TAGS.class(rest, st)
  local body = rest:gsub('^%(exact%)%s*', '')
  local name, after = body:match('^([%a_][%w_%.]*)()')
  if not name then error('@class needs a name', 0) end
  local parents = {}
  local tail = body:sub(after)
  local plist = tail:match('^%s*:%s*(.*)$')
  if plist then
    for p in plist:gmatch('[^,%s]+') do parents[#parents + 1] = p end
    if #parents == 0 then error('@class: expected a parent after ":"', 0) end
    for _, p in ipairs(parents) do st.used[#st.used + 1] = p end
  elseif tail:match('%S') then
    error('@class: unexpected text after the name', 0)
  end
  st.pending_class = name
  st.defined[name] = true
  local class = st.model.classes[name] or { name = name, fields = {}, methods = {}, parents = {} }
  for _, p in ipairs(parents) do class.parents[#class.parents + 1] = p end
  st.model.classes[name] = class
  st.current_class = class
end

function TAGS.field(rest, st)
  if not st.current_class then error('@field outside a @class', 0) end
  rest = rest:gsub('^(private%s+)', ''):gsub('^(protected%s+)', ''):gsub('^(public%s+)', ''):gsub('^(package%s+)', '')
  local key, pos
  if rest:sub(1, 1) == '[' then
    local str, after = rest:match('^%[%s*(["\'][^"\']*["\'])%s*%]()')
    if str then
      key, pos = str:sub(2, -2), after
    else
      local names = {}
      pos = expect(rest, parse_type(rest, 2, names), ']')
      for _, n in ipairs(names) do st.used[#st.used + 1] = n end
    end
  else
    key, pos = rest:match('^(' .. NAME .. ')()')
    if not key then error('@field needs a name', 0) end
  end
  if rest:sub(pos, pos) == '?' then pos = pos + 1 end
  if not rest:sub(pos, pos):match('%s') then error('@field: expected a space before the type', 0) end
  local names = {}
  type_then_text(rest, skip(rest, pos), names)
  for _, n in ipairs(names) do st.used[#st.used + 1] = n end
  if key then st.current_class.fields[key] = true end
end

function TAGS.param(rest, st)
  local name, pos = rest:match('^(%.%.%.)()')
  if not name then name, pos = rest:match('^(' .. NAME .. ')()') end
  if not name then error('@param needs a name', 0) end
  if rest:sub(pos, pos) == '?' then pos = pos + 1 end
  if not rest:sub(pos, pos):match('%s') then error('@param: expected a space before the type', 0) end
  local names = {}
  type_then_text(rest, skip(rest, pos), names)
  for _, n in ipairs(names) do st.used[#st.used + 1] = n end
end

TAGS['return'] = function(rest, st)
  local names = {}
  type_then_text(rest, 1, names)
  for _, n in ipairs(names) do st.used[#st.used + 1] = n end
end

function TAGS.overload(rest, st)
  if not rest:match('^fun%s*%(') then error('@overload needs fun(...)', 0) end
  local names = {}
  type_then_text(rest, 1, names)
  for _, n in ipairs(names) do st.used[#st.used + 1] = n end
end

function TAGS.alias(rest, st)
  local name, pos = rest:match('^([%a_][%w_%.]*)()')
  if not name then error('@alias needs a name', 0) end
  st.defined[name] = true
  local tail = rest:sub(pos)
  if tail:match('%S') then
    local names = {}
    type_then_text(tail, skip(tail, 1), names)
    for _, n in ipairs(names) do st.used[#st.used + 1] = n end
    st.open_alias = false
  else
    st.open_alias = true -- `---|` lines follow
  end
end

function TAGS.generic(rest, st)
  for name in rest:gmatch('[%a_][%w_]*') do st.generics[name] = true end
end

-- --- files ------------------------------------------------------------------

local function read_file(path, st, problems)
  local f = assert(io.open(path, 'r'))
  local lineno = 0
  local var_class = {}   -- local variable name -> class it was annotated as
  for line in f:lines() do
    lineno = lineno + 1
    local function problem(msg)
      problems[#problems + 1] = string.format('%s:%d: %s', path, lineno, msg)
    end
    local tag, rest = line:match('^%-%-%-@(%a+)%s*(.-)%s*$')
    if tag then
      if tag ~= 'generic' and tag ~= 'param' and tag ~= 'return' then st.generics_next = nil end
      local check = TAGS[tag]
      if not check then
        problem('unknown annotation @' .. tag)
      else
        local ok, err = pcall(check, rest, st)
        if not ok then problem(err) end
      end
      if tag ~= 'alias' then st.open_alias = false end
    elseif line:match('^%-%-%-|') then
      if not st.open_alias then problem('a `---|` line outside an @alias or @param') end
      local alt = line:match("^%-%-%-|%s*'(.-)'%s*#?") or line:match('^%-%-%-|%s*(%S+)')
      if alt then
        local names = {}
        local ok, err = pcall(parse_type, alt, 1, names)
        if not ok then problem(err) end
        for _, n in ipairs(names) do st.used[#st.used + 1] = n end
      end
    elseif line:match('^%-%-%-') or line:match('^%-%-') or line:match('^%s*$') then
      -- documentation text or a plain comment
      if line:match('^%s*$') then
        st.current_class = nil
      end
    else
      local var = line:match('^local%s+(' .. NAME .. ')%s*=')
      if var and st.pending_class then
        var_class[var] = st.model.classes[st.pending_class]
      end
      st.pending_class = nil
      -- function V:name( / function V.name( / V.name = / V["name"] =
      local v, name = line:match('^function%s+(' .. NAME .. ')[:%.](' .. NAME .. ')%s*%(')
      if not v then v, name = line:match('^(' .. NAME .. ')%.(' .. NAME .. ')%s*=') end
      if not v then v, name = line:match('^(' .. NAME .. ')%[%s*["\']([^"\']+)["\']%s*%]%s*=') end
      if v then
        local class = var_class[v]
        if class then
          class.methods[name] = true
        elseif not line:match('^local') then
          problem('a definition on `' .. v .. '`, which is not annotated as a @class')
        end
      end
      st.current_class = nil
      st.generics = {}
    end
  end
  f:close()
end

-- read(paths) -> model, problems. model.classes[name] = { fields, methods,
-- parents }; problems lists syntax errors and unknown type names.
function M.read(paths)
  local st = { model = { classes = {} }, defined = {}, used = {}, generics = {} }
  local problems = {}
  for _, path in ipairs(paths) do
    st.current_class, st.pending_class, st.open_alias = nil, nil, false
    read_file(path, st, problems)
  end
  local generic_names = { D = true, T = true }
  for _, n in ipairs(st.used) do
    if not BUILTIN[n] and not st.defined[n] and not generic_names[n] then
      problems[#problems + 1] = 'unknown type name: ' .. n
    end
  end
  return st.model, problems
end

-- Every member of a class, its parents' included.
function M.members(model, name, seen)
  seen = seen or {}
  local out = {}
  local class = model.classes[name]
  if not class or seen[name] then return out end
  seen[name] = true
  for k in pairs(class.fields) do out[k] = true end
  for k in pairs(class.methods) do out[k] = true end
  for _, p in ipairs(class.parents) do
    for k in pairs(M.members(model, p, seen)) do out[k] = true end
  end
  return out
end

return M
