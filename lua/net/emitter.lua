-- EventEmitter with Node's whole surface. Works on plain tables and on the
-- module's userdata objects alike: it only reads and writes `self._events`
-- and `self._maxListeners`.
--
-- _events[name] is a function (one listener) or a list of them. Lists are
-- never changed in place (copy on write), so emit walks a stable snapshot
-- without copying: removing a listener during an emit does not affect it.
local errors = require('net.errors')
local js = require('net.inspect')

local EventEmitter = {}
EventEmitter.__index = EventEmitter
EventEmitter.__name = 'EventEmitter'
EventEmitter.defaultMaxListeners = 10

-- A `once` wrapper: callable, and remembers the listener it wraps.
local Once = {}
Once.__call = function(w, ...)
  if not w.fired then
    w.fired = true
    w.target:removeListener(w.name, w)
    return w.listener(...)
  end
end

-- _events keeps the event names in insertion order in its array part
-- (ev[1], ev[2], ...: eventNames() lists them as Node does), so names are
-- never integers: as in Node, whose _events is an object, every name that
-- is not a string or a symbol (here: a table or a function) becomes one.
-- emitter:on(nil, fn) is Node's on(undefined, fn), and emit('undefined')
-- calls fn; on(1, fn) is on('1', fn).
local function key(name)
  if name == nil then return 'undefined' end
  local t = type(name)
  if t == 'number' then return js.number(name) end
  if t == 'boolean' then return tostring(name) end
  return name
end

local function is_single(h)
  return type(h) == 'function' or getmetatable(h) == Once
end

local function unwrap(l)
  if getmetatable(l) == Once then return l.listener end
  return l
end

local function check_listener(fn)
  if type(fn) ~= 'function' and getmetatable(fn) ~= Once then
    errors.raise(errors.invalidArgType('listener', 'function', fn), 4)
  end
end

local function add(self, given, l, prepend)
  local name = given
  if type(name) ~= 'string' then name = key(name) end
  local ev = self._events
  if ev == nil then
    -- the array part made with room for a second name (a socket's first
    -- two events are usually 'data' and 'error')
    ev = { name, nil, [name] = l }
    self._events = ev
    return self
  end
  if ev.newListener ~= nil then
    self:emit('newListener', given, unwrap(l))
  end
  local cur = ev[name]
  if cur == nil then
    ev[#ev + 1] = name -- first: the array part has room, the hash may grow
    ev[name] = l
  elseif is_single(cur) then
    ev[name] = prepend and { l, cur } or { cur, l }
  else
    local n = #cur
    local list = {}
    if prepend then
      list[1] = l
      for i = 1, n do list[i + 1] = cur[i] end
    else
      for i = 1, n do list[i] = cur[i] end
      list[n + 1] = l
    end
    ev[name] = list
  end
  return self
end

local function forget_name(ev, name)
  for i = 1, #ev do
    if ev[i] == name then
      table.remove(ev, i)
      return
    end
  end
end

function EventEmitter:on(name, fn)
  check_listener(fn)
  return add(self, name, fn, false)
end
EventEmitter.addListener = EventEmitter.on

function EventEmitter:prependListener(name, fn)
  check_listener(fn)
  return add(self, name, fn, true)
end

local function once_wrapper(self, name, fn)
  return setmetatable({ target = self, name = key(name), listener = fn, fired = false }, Once)
end

function EventEmitter:once(name, fn)
  check_listener(fn)
  return add(self, name, once_wrapper(self, name, fn), false)
end

function EventEmitter:prependOnceListener(name, fn)
  check_listener(fn)
  return add(self, name, once_wrapper(self, name, fn), true)
end

function EventEmitter:removeListener(given, fn)
  check_listener(fn)
  local name = key(given)
  local ev = self._events
  local cur = ev and ev[name]
  if cur == nil then return self end
  local removed
  if is_single(cur) then
    if cur == fn or unwrap(cur) == fn then
      removed = cur
      ev[name] = nil
      forget_name(ev, name)
    end
  else
    -- Node removes the most recently added match
    for i = #cur, 1, -1 do
      local l = cur[i]
      if l == fn or unwrap(l) == fn then
        removed = l
        local list = {}
        for j = 1, #cur do
          if j ~= i then list[#list + 1] = cur[j] end
        end
        ev[name] = #list == 1 and list[1] or list
        break
      end
    end
  end
  if removed ~= nil and ev.removeListener ~= nil then
    self:emit('removeListener', given, unwrap(removed))
  end
  return self
end
EventEmitter.off = EventEmitter.removeListener

function EventEmitter:removeAllListeners(name)
  local ev = self._events
  if ev == nil then return self end
  if name ~= nil then name = key(name) end -- nil: every event
  if ev.removeListener == nil then
    if name == nil then
      self._events = nil
    elseif ev[name] ~= nil then
      ev[name] = nil
      forget_name(ev, name)
    end
    return self
  end
  -- with 'removeListener' listeners, each removal is announced, last first
  local names
  if name == nil then
    names = {}
    for _, n in ipairs(ev) do
      if n ~= 'removeListener' then names[#names + 1] = n end
    end
  else
    names = { name }
  end
  for _, n in ipairs(names) do
    local cur = ev[n]
    while cur ~= nil do
      local last = is_single(cur) and cur or cur[#cur]
      self:removeListener(n, last)
      cur = ev[n]
    end
  end
  if name == nil then self:removeAllListeners('removeListener') end
  return self
end

-- emit(name, ...) -> true if there were listeners. An 'error' with none is
-- raised: the error value itself, as Node throws it.
function EventEmitter:emit(name, ...)
  local ev = self._events
  if type(name) ~= 'string' then name = key(name) end
  local h = ev and ev[name]
  if h == nil then
    if name == 'error' then
      local err = ...
      if errors.Error.is(err) then error(err, 0) end
      -- Node throws Error values as they are, and wraps anything else
      local shown = err == nil and 'undefined' or errors.inspect(err)
      local wrapped = errors.new('Error', 'ERR_UNHANDLED_ERROR', 'Unhandled error. (' .. shown .. ')')
      wrapped.context = err
      error(wrapped, 0)
    end
    return false
  end
  if type(h) == 'function' or getmetatable(h) == Once then -- is_single, inlined: emit is hot
    h(...)
  else
    for i = 1, #h do h[i](...) end
  end
  return true
end

function EventEmitter:listeners(name)
  local ev = self._events
  local h = ev and ev[key(name)]
  if h == nil then return {} end
  if is_single(h) then return { unwrap(h) } end
  local out = {}
  for i = 1, #h do out[i] = unwrap(h[i]) end
  return out
end

function EventEmitter:rawListeners(name)
  local ev = self._events
  local h = ev and ev[key(name)]
  if h == nil then return {} end
  if is_single(h) then return { h } end
  local out = {}
  for i = 1, #h do out[i] = h[i] end
  return out
end

function EventEmitter:listenerCount(name, fn)
  local ev = self._events
  local h = ev and ev[key(name)]
  if h == nil then return 0 end
  local list = is_single(h) and { h } or h
  if fn == nil then return #list end
  local n = 0
  for i = 1, #list do
    if list[i] == fn or unwrap(list[i]) == fn then n = n + 1 end
  end
  return n
end

function EventEmitter:eventNames()
  local ev = self._events
  if ev == nil then return {} end
  local out = {}
  for i, n in ipairs(ev) do out[i] = n end
  return out
end

function EventEmitter:setMaxListeners(n)
  if type(n) ~= 'number' then
    errors.raise(errors.invalidArgType('setMaxListeners', 'number', n))
  end
  if n < 0 or n ~= n then
    errors.raise(errors.outOfRange('setMaxListeners', '>= 0', n))
  end
  self._maxListeners = n
  return self
end

function EventEmitter:getMaxListeners()
  return self._maxListeners or EventEmitter.defaultMaxListeners
end

-- Classes: EventEmitter:extend() makes a class whose instances are
-- emitters; `Class(...)`/`Class.new(...)` make one and call `init(...)`.
local function new_class(parent)
  local cls = {}
  cls.__index = cls
  cls.__name = parent.__name
  cls.super = parent
  cls.new = function(...)
    local obj = setmetatable({}, cls)
    if obj.init then obj:init(...) end
    return obj
  end
  return setmetatable(cls, {
    __index = parent,
    __call = function(_, ...) return cls.new(...) end,
  })
end

-- The parent must be a class table (Node: `class X extends 0` is a TypeError).
function EventEmitter.extend(parent)
  if type(parent) ~= 'table' then
    local shown = type(parent) == 'string' and parent or errors.inspect(parent)
    errors.raise(errors.new('TypeError', nil, 'Class extends value ' .. shown .. ' is not a constructor or null'), 2)
  end
  return new_class(parent)
end

function EventEmitter.new()
  return setmetatable({}, EventEmitter)
end

return setmetatable(EventEmitter, {
  __call = function() return EventEmitter.new() end,
})
