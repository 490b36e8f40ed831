-- Shared by the specs: run the loop with a deadline, so a hang fails fast
-- instead of blocking CI, and leave no handle open for the next spec.
local net = require('net')
local core = require('net.core')
local assert = require('luassert') -- busted's assert; this file is a plain module

local H = {}

-- Run the loop until nothing referenced is left. If that takes longer than
-- `ms` (default 5000), every open handle is closed and the spec fails.
-- A Lua error or an unhandled 'error' event inside a callback is re-raised
-- here (after the same clean-up), so assertions in callbacks fail the spec.
-- Slow runs (valgrind, ASan) stretch every deadline by NET_SPEC_SCALE.
local SCALE = tonumber(os.getenv('NET_SPEC_SCALE')) or 1
H.SCALE = SCALE -- for specs that measure elapsed time themselves

function H.run(ms)
  ms = math.floor((ms or 5000) * SCALE)
  local timed_out = false
  local deadline = core.newTimer()
  local open_at_deadline
  deadline:start(ms, 0, function()
    timed_out = true
    open_at_deadline = core.describeHandles()
    core.closeAll()
  end)
  deadline:unref()
  local ok, err = pcall(net.run)
  deadline:close()
  if not ok then
    core.closeAll()
    pcall(net.run)
    error(err, 0)
  end
  if timed_out then
    pcall(net.run)
    error(string.format('deadline of %d ms passed: the loop hung; open then:\n%s', ms, open_at_deadline), 0)
  end
  -- a socket or server still open now is held by nothing but an unref:
  -- a leak (an unref'd timer is not)
  local left = core.handleCount()
  if left > 0 then
    core.closeAll()
    pcall(net.run)
    error(string.format('%d handle(s) left open after the loop went idle', left), 0)
  end
end

-- Collects events in order: `local log = H.log()`, `log('connect')`,
-- then `assert.same({'connect', 'end'}, log.events)`.
function H.log()
  local t = { events = {} }
  return setmetatable(t, {
    __call = function(self, v) self.events[#self.events + 1] = v end,
  })
end

-- A listening TCP server on an OS-assigned port; calls `fn(port)` once listening.
function H.listen(server, fn)
  server:listen(0, '127.0.0.1', function() fn(server:address().port) end)
  return server
end

-- Shared by the spec files.

function H.raises(fn, ...)
  local ok, err = pcall(fn, ...)
  assert.is_false(ok, 'expected an error')
  assert.is_true(net.Error.is(err), 'expected a net.Error, got ' .. tostring(err))
  return err
end

-- A server on 127.0.0.1 whose connections go to `onconn`; calls fn(port, server).
function H.serve(onconn, fn, opts)
  local server = opts and net.createServer(opts, onconn) or net.createServer(onconn)
  H.listen(server, function(port) fn(port, server) end)
  return server
end

-- Deterministic binary test data with every byte value, "\0" included.
function H.make_data(n)
  local t, x = {}, 1
  for i = 1, 65537 do
    x = (x * 1103515245 + 12345) % 2147483648
    t[i] = string.char((x >> 16) & 255)
  end
  local block = table.concat(t)
  return string.rep(block, n // #block + 1):sub(1, n)
end

-- The kernel's view of the established TCP socket `s` (found by its local
-- and remote ports): timer kind (2: keepalive) and ticks left (1/100 s),
-- from /proc/net/tcp.
function H.proc_timer(s)
  local f = assert(io.open('/proc/net/tcp'))
  local lport, rport = string.format(':%04X', s.localPort), string.format(':%04X', s.remotePort)
  for line in f:lines() do
    -- a shared machine can list tens of thousands of sockets: split only
    -- the lines that can be this one (under valgrind, splitting them all
    -- took longer than the spec's deadline)
    local fields = {}
    if line:find(lport .. ' ', 1, true) and line:find(rport .. ' ', 1, true) then
      for w in line:gmatch('%S+') do fields[#fields + 1] = w end
    end
    if fields[2] and fields[2]:sub(-5) == lport and fields[3]:sub(-5) == rport and fields[4] == '01' then
      f:close()
      local tr, when = fields[6]:match('^(%x+):(%x+)$')
      return tonumber(tr, 16), tonumber(when, 16)
    end
  end
  f:close()
  error('no established /proc/net/tcp line for local port ' .. s.localPort)
end

-- Wall-clock milliseconds (LuaSocket), for specs that time events.
function H.now_ms() return require('socket').gettime() * 1000 end

-- A listener on every address in `hosts`, all on one port, that never
-- accepts (LuaSocket: nothing calls accept), with backlog 1, filled with
-- connections until one no longer completes: from then on the kernel drops
-- the SYNs and a connect() to it hangs. Loopback only. Returns the port
-- and stop().
function H.blackhole(hosts)
  local lsocket = require('socket')
  local held, port = {}, 0
  for _, host in ipairs(hosts) do
    local l = assert(lsocket.tcp())
    assert(l:bind(host, port))
    assert(l:listen(1))
    port = tonumber((select(2, l:getsockname())))
    held[#held + 1] = l
  end
  for _, host in ipairs(hosts) do
    for _ = 1, 16 do
      local c = assert(lsocket.tcp())
      c:settimeout(0.2)
      local ok = c:connect(host, port)
      held[#held + 1] = c
      if not ok then break end
    end
  end
  return port, function() for _, sock in ipairs(held) do sock:close() end end
end

-- H.run, then stop() whatever happened.
function H.run_then(stop, ms)
  local ok, err = pcall(H.run, ms)
  stop()
  assert(ok, err)
end

-- Unique Unix socket names for one spec file: paths.tmp(tag) (a file under
-- /tmp, removed by paths.clean()), paths.abstract(tag) (Linux's abstract
-- namespace), paths.remember(p) for a path made otherwise.
function H.socket_paths(prefix)
  local pid = io.open('/proc/self/stat'):read('l'):match('^%d+')
  local seq, made = 0, {}
  local paths = {}
  function paths.remember(p) made[#made + 1] = p end
  function paths.tmp(tag)
    seq = seq + 1
    local p = string.format('/tmp/net-spec-%s-%s-%s-%d.sock', pid, prefix, tag, seq)
    os.remove(p)
    paths.remember(p)
    return p
  end
  function paths.abstract(tag)
    seq = seq + 1
    return string.format('\0net-spec-%s-%s-%s-%d', pid, prefix, tag, seq)
  end
  function paths.clean()
    for _, p in ipairs(made) do os.remove(p) end
    made = {}
  end
  return paths
end

function H.is_socket_file(p) return require('lfs').attributes(p, 'mode') == 'socket' end

-- open descriptors of this process, after collecting garbage (objects
-- dropped by a spec close theirs when collected)
function H.open_fds()
  collectgarbage()
  collectgarbage()
  local n = 0
  for name in require('lfs').dir('/proc/self/fd') do
    if name ~= '.' and name ~= '..' then n = n + 1 end
  end
  return n
end

return H
