-- Where an idle connection's memory goes, in this module (bench/README.md,
-- "Where the bytes and microseconds go"). Runs the echo server of
-- bench/echo-server.lua (same connection listener) and drives it with
-- bench/bin/loadgen:
--
--   lua5.4 bench/conn-memory.lua LOADGEN [N]        (N = 5000)
--
-- 1. a 200-connection warm-up (connect, echo, close), then a full GC:
--    the baseline (Lua heap from collectgarbage('count'), VmRSS);
-- 2. N idle connections (loadgen idle); once the server holds all N:
--    VmRSS, then a full GC and the Lua heap: live bytes per socket;
-- 3. the live bytes split by taking each part away from every socket and
--    collecting again (the sockets are unusable afterwards, so the script
--    then exits): the listeners (_events and what only it holds), the
--    private state table;
-- 4. what is left (the userdata with its three user-value tables, the
--    state cache's entry, the registry's slot for the open handle) set
--    against the same objects made alone, N at a time.
--
-- Lua's count is what the allocator was asked for; malloc's own overhead
-- per block and the C side (net_handle, libuv) are in VmRSS only.
local net = require('net')
local core = require('net.core')
local shared = require('net.sockstate')
local timers = require('net.timers')

local LOADGEN = assert(arg[1], 'usage: lua5.4 bench/conn-memory.lua LOADGEN [N]')
local N = math.tointeger(tonumber(arg[2] or '5000')) or error('N must be an integer')

local function full_gc()
  collectgarbage('collect')
  collectgarbage('collect')
  return collectgarbage('count') * 1024
end

local function rss_bytes()
  for line in io.lines('/proc/self/status') do
    local kb = line:match('^VmRSS:%s*(%d+)')
    if kb then return tonumber(kb) * 1024 end
  end
end

local function per(bytes, n) return string.format('%7.1f', bytes / n) end

-- the sockets, in an array sized before the baseline (its slots are not
-- the sockets' cost)
local socks = {}
for i = 1, N do socks[i] = false end
local accepted, held = 0, 0
local holding = false -- the idle connections are coming: keep their sockets

local server = net.createServer(function(sock)
  sock:on('data', function(chunk) sock:write(chunk) end)
  sock:on('error', function() end)
end)
-- not the echo server's own listener: only for finding the sockets later
-- (the server's listener list is one per server, not per socket)
server:on('connection', function(sock)
  accepted = accepted + 1
  if holding then
    held = held + 1
    socks[held] = sock
  end
end)

local function spawn(args)
  -- the shell says its pid, then becomes the load generator
  local f = assert(io.popen('sh -c \'echo $$; exec "$0" "$@"\' ' .. LOADGEN .. ' ' .. args))
  local pid = assert(tonumber(f:read('l')), 'no pid from the load generator')
  return f, pid
end

local report = {}
local function out(fmt, ...) report[#report + 1] = string.format(fmt, ...) end

-- Bytes per object for `make` (returns one new object), N of them, kept.
local function alone(make)
  local keep = {}
  for i = 1, N do keep[i] = false end
  local before = full_gc()
  for i = 1, N do keep[i] = make(i) end
  local after = full_gc()
  local n = #keep
  keep = nil -- luacheck: ignore 311
  return (after - before) / n
end

local function breakdown(port, idle_f, idle_pid, base_lua, base_rss, rss_all)
  local live_lua = full_gc()
  local total = live_lua - base_lua
  out('Lua heap per idle socket (live, after a full GC): %s bytes', per(total, N))
  out('VmRSS per idle socket (before that GC):          %s bytes', per(rss_all - base_rss, N))

  -- the listeners: _events, the two closures and the
  -- upvalue they share
  for i = 1, N do
    shared.private(socks[i])._events = nil -- the listeners (kept in the private state)
  end
  local no_events = full_gc()
  local events = live_lua - no_events
  out('  listeners (_events + 2 closures + upvalue): %s', per(events, N))

  -- the private state table (user value 2)
  local keys, key_names = 0, {}
  for k, v in pairs(shared.private(socks[1])) do
    keys = keys + 1
    key_names[#key_names + 1] = tostring(k) .. '=' .. tostring(v)
  end
  table.sort(key_names)
  for i = 2, N do
    local n = 0
    for _ in pairs(shared.private(socks[i])) do n = n + 1 end
    if n ~= keys then out('  (socket %d has %d private keys, socket 1 has %d)', i, n, keys) break end
  end
  for i = 1, N do
    debug.setuservalue(socks[i], false, 2)
  end
  local no_state = full_gc()
  local state = no_events - no_state
  out('  private state table (%d keys: %s): %s', keys, table.concat(key_names, ' '), per(state, N))
  local rest = no_state - base_lua
  out('  the rest (userdata + user values 1-2 + registry slot): %s', per(rest, N))

  -- the same objects made alone
  local empty_table = alone(function() return {} end)
  local one_key = alone(function() return { _events = true } end)
  local bare = alone(function() return core.newSocket() end)
  -- (the private table is made with room for four keys)
  local four_keys = alone(function() return { a = 1, b = 2, c = 3, d = 4 } end)
  local closure = alone(function(i) return function() return i end end)
  local closure0 = alone(function() return function() end end)
  out('made alone, N at a time:')
  out('  empty table {}:                       %s', per(empty_table, 1))
  out('  table with one hash key:              %s', per(one_key, 1))
  out('  core.newSocket() (userdata + private {}):   %s', per(bare, 1))
  out('    of which the userdata:              %s', per(bare - four_keys, 1))
  out('  closure with one upvalue (+ UpVal):   %s', per(closure, 1))
  out('  closure with no upvalue:              %s', per(closure0, 1))
  out('N = %d; port %d; all numbers in bytes', N, port)

  os.execute('kill -TERM ' .. idle_pid)
  idle_f:close()
  print(table.concat(report, '\n'))
  io.stdout:flush()
  os.exit(0)
end

server:listen(0, '127.0.0.1', function()
  local port = server:address().port
  local warm = assert(io.popen(LOADGEN .. ' connect --host 127.0.0.1 --port ' .. port ..
    ' --conns 10 --total 200 --server lua'))
  local phase = 'warm'
  local idle_f, idle_pid, base_lua, base_rss
  local poll
  poll = timers.setInterval(function()
    if phase == 'warm' and accepted >= 200 and server.connections == 0 then
      warm:close()
      base_lua = full_gc()
      base_rss = rss_bytes()
      holding = true
      idle_f, idle_pid = spawn('idle --host 127.0.0.1 --port ' .. port .. ' --conns ' .. N ..
        ' --sources 4 --server lua')
      phase = 'idle'
    elseif phase == 'idle' and server.connections == N then
      phase = 'done'
      timers.clearInterval(poll)
      breakdown(port, idle_f, idle_pid, base_lua, base_rss, rss_bytes())
    end
  end, 50)
end)

net.run()
