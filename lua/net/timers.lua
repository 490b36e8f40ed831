-- Node's timers on the module's loop: setTimeout, setInterval and
-- setImmediate with their clear functions. Timeout objects wrap one libuv
-- timer each; immediates are a queue run in libuv's check phase.
local core = require('net.core')
local errors = require('net.errors')

local M = {}

local function check_callback(fn)
  if type(fn) ~= 'function' then
    errors.raise(errors.invalidArgType('callback', 'function', fn), 4)
  end
end

-- Node clamps delays below 1 (or not numbers) to 1 ms.
local function delay_of(ms)
  if type(ms) ~= 'number' or ms ~= ms or ms < 1 or ms > 2147483647 then return 1 end
  return math.floor(ms)
end

local Timeout = {}
Timeout.__index = Timeout
Timeout.__name = 'Timeout'

local function make_timer(fn, ms, rep, ...)
  check_callback(fn)
  local n, args = select('#', ...), { ... }
  local t = setmetatable({ _timer = core.newTimer(), _repeat = rep }, Timeout)
  local delay = delay_of(ms)
  t._run = function()
    if not rep then t._timer:close() end
    fn(table.unpack(args, 1, n))
  end
  t._timer:start(delay, rep and delay or 0, t._run)
  return t
end

function Timeout:ref()
  if self._timer:isActive() then self._timer:ref() end
  return self
end

function Timeout:unref()
  if self._timer:isActive() then self._timer:unref() end
  return self
end

function Timeout:hasRef()
  return self._timer:isActive() and self._timer:hasRef()
end

-- refresh(): restart the countdown with the same delay and callback
function Timeout:refresh()
  if self._timer:isActive() then
    local ms = self._delay
    self._timer:stop()
    self._timer:start(ms, self._repeat and ms or 0, self._run)
  end
  return self
end

function Timeout:close()
  self._timer:close()
  return self
end
Timeout.__close = Timeout.close

function M.setTimeout(fn, ms, ...)
  local t = make_timer(fn, ms, false, ...)
  t._delay = delay_of(ms)
  return t
end

function M.setInterval(fn, ms, ...)
  local t = make_timer(fn, ms, true, ...)
  t._delay = delay_of(ms)
  return t
end

function M.clearTimeout(t)
  if getmetatable(t) == Timeout then t._timer:close() end
end
M.clearInterval = M.clearTimeout

-- Immediates: a FIFO; those queued while the queue runs wait for the next
-- loop iteration, as in Node.
local Immediate = {}
Immediate.__index = Immediate
Immediate.__name = 'Immediate'

-- The queue lives on the core table, which exists once per Lua state: a
-- second load of this module (busted reloads modules per spec file) must
-- not strand the immediates, nor the count that keeps the loop alive.
local imm = core.immediateQueue
if imm == nil then
  imm = { queue = {}, referenced = 0 }
  core.immediateQueue = imm
end

local function sync_loop()
  core.immediates(#imm.queue > 0, imm.referenced > 0)
end

local function run_immediates()
  local batch = imm.queue
  imm.queue = {}
  for _, im in ipairs(batch) do
    if not im._cleared then
      im._cleared = true
      if im._ref then imm.referenced = imm.referenced - 1 end
      sync_loop()
      im._fn(table.unpack(im._args, 1, im._n))
    end
  end
  sync_loop()
end
core.setImmediateRunner(run_immediates)

function M.setImmediate(fn, ...)
  check_callback(fn)
  local im = setmetatable({ _fn = fn, _args = { ... }, _n = select('#', ...), _ref = true }, Immediate)
  imm.queue[#imm.queue + 1] = im
  imm.referenced = imm.referenced + 1
  sync_loop()
  return im
end

function M.clearImmediate(im)
  if getmetatable(im) ~= Immediate or im._cleared then return end
  im._cleared = true
  if im._ref then imm.referenced = imm.referenced - 1 end
  for i, q in ipairs(imm.queue) do
    if q == im then
      table.remove(imm.queue, i)
      break
    end
  end
  sync_loop()
end

function Immediate:ref()
  if not self._ref and not self._cleared then
    self._ref = true
    imm.referenced = imm.referenced + 1
    sync_loop()
  end
  return self
end

function Immediate:unref()
  if self._ref and not self._cleared then
    self._ref = false
    imm.referenced = imm.referenced - 1
    sync_loop()
  end
  return self
end

function Immediate:hasRef()
  return self._ref and not self._cleared
end

return M
