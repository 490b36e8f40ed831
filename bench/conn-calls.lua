-- What one connection and one message cost the Lua side of this module,
-- counted exactly (bench/README.md, "Where the bytes and microseconds
-- go"): function calls (Lua and C, by where they are defined) and bytes
-- allocated, with the GC stopped so that collectgarbage('count') only
-- grows. Runs the echo server of bench/echo-server.lua (same connection
-- listener) and drives it with bench/bin/loadgen:
--
--   lua5.4 bench/conn-calls.lua LOADGEN [CONNS] [MSGS]   (2000, 20000)
--
-- 1. connect: CONNS connections, each one 64-byte echo, then closed by
--    the client (loadgen connect --total): per connection;
-- 2. pingpong: one connection, 64-byte messages for a second or more,
--    counted by the server's 'data' events: per message (the
--    connection's own setup is outside the window).
local net = require('net')
local timers = require('net.timers')

local LOADGEN = assert(arg[1], 'usage: lua5.4 bench/conn-calls.lua LOADGEN [CONNS] [MSGS]')
local CONNS = math.tointeger(tonumber(arg[2] or '2000'))
local MSGS = math.tointeger(tonumber(arg[3] or '20000'))

local calls, ncalls = {}, 0
local function hook()
  local info = debug.getinfo(2, 'Sn')
  local key
  if info.what == 'C' then
    key = 'C ' .. (info.name or '?')
  else
    key = info.short_src:gsub('^.*/lua/', 'lua/'):gsub('^.*/bench/', 'bench/') ..
      ':' .. info.linedefined .. ' ' .. (info.name or '?')
  end
  calls[key] = (calls[key] or 0) + 1
  ncalls = ncalls + 1
end

-- the echo server's listener, counting messages in it (one upvalue more
-- than bench/echo-server.lua's: its closure is 8 bytes bigger); the
-- connections are counted by a second server listener, which shows up in
-- the lists as bench/conn-calls.lua
local accepted, messages = 0, 0
local server = net.createServer(function(sock)
  sock:on('data', function(chunk)
    messages = messages + 1
    sock:write(chunk)
  end)
  sock:on('error', function() end)
end)
server:on('connection', function() accepted = accepted + 1 end)

-- A window: with `hooked`, calls are counted (the hook allocates, so its
-- window's bytes are not reported); without, bytes allocated are.
local function start(what, hooked)
  calls, ncalls = {}, 0
  collectgarbage('collect')
  collectgarbage('stop')
  local w = { what = what, hooked = hooked, mem = collectgarbage('count') }
  if hooked then debug.sethook(hook, 'c') end
  return w
end

local function stop(w, n, unit)
  debug.sethook()
  local bytes = (collectgarbage('count') - w.mem) * 1024
  collectgarbage('restart')
  local one = unit:gsub('s$', '')
  if not w.hooked then
    print(string.format('%s: %d %s; per %s: %.0f bytes allocated (GC stopped)', w.what, n, unit,
      one, bytes / n))
    return
  end
  local list = {}
  for k, v in pairs(calls) do list[#list + 1] = { k, v } end
  table.sort(list, function(a, b) return a[2] > b[2] or (a[2] == b[2] and a[1] < b[1]) end)
  print(string.format('%s: %d %s; per %s: %.1f calls (Lua and C functions)', w.what, n, unit,
    one, ncalls / n))
  for i = 1, #list do
    if list[i][2] / n < 0.5 then break end
    print(string.format('  %7.2f  %s', list[i][2] / n, list[i][1]))
  end
end

server:listen(0, '127.0.0.1', function()
  local port = server:address().port
  local base = LOADGEN .. ' %s --host 127.0.0.1 --port ' .. port .. ' --server lua '
  -- warm-up: every path once
  local warm = assert(io.popen(base:format('connect') .. '--conns 5 --total 50'))
  -- the windows, in order: connections counted, then bytes; messages the same
  local steps = { { 'connect', true }, { 'connect', false }, { 'pingpong', true }, { 'pingpong', false } }
  local step, w, lg, t0 = 0, nil, nil, 0
  local poll
  local function next_step()
    step = step + 1
    local s = steps[step]
    if s == nil then
      timers.clearInterval(poll)
      os.exit(0) -- the pingpong load generator sees its connection go; that is fine
    end
    if s[1] == 'connect' then
      t0 = accepted
      w = start('connect + echo + close', s[2])
      lg = assert(io.popen(base:format('connect') .. '--conns 10 --total ' .. CONNS))
    elseif lg ~= nil then
      t0 = messages
      w = start('pingpong, 1 connection, 64 B', s[2])
    end
  end
  poll = timers.setInterval(function()
    local s = steps[step]
    if step == 0 then
      if accepted >= 50 and server.connections == 0 then
        warm:close()
        next_step()
      end
    elseif s[1] == 'connect' then
      if accepted - t0 >= CONNS and server.connections == 0 then
        stop(w, accepted - t0, 'connections')
        lg:close()
        lg = nil
        if steps[step + 1][1] == 'pingpong' then
          -- one connection for both message windows, set up outside them
          lg = assert(io.popen(base:format('pingpong') .. '--conns 1 --warmup 0.2 --duration 60 2>/dev/null'))
          t0 = messages
          step = step + 1
          w = nil
        else
          next_step()
        end
      end
    elseif w == nil then
      if messages - t0 > 100 then
        step = step - 1
        next_step()
      end
    elseif messages - t0 >= MSGS then
      stop(w, messages - t0, 'messages')
      next_step()
    end
  end, 20)
end)

net.run()
