-- BlockList:check throughput with few and with many rules.
--   LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='build/?.so;;' \
--     lua5.4 bench/blocklist_bench.lua [seconds-per-case]
-- Rules are a random mix of IPv4 addresses, ranges and subnets plus some
-- IPv6 ones; checks are IPv4 and IPv6 address strings, half of them taken
-- from the address rules (so both hits and misses are timed). Prints checks
-- per second and microseconds per check for each case.
local BlockList = require('net.blocklist')
local SocketAddress = require('net.socketaddress')

local seconds = tonumber(arg and arg[1]) or 1.0
math.randomseed(42)

local function v4(a)
  a = a or math.random(0, 0xffffffff)
  return string.format('%d.%d.%d.%d', a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)
end

local function v6()
  return string.format('2001:db8:%x:%x::%x', math.random(0, 0xffff), math.random(0, 0xffff),
    math.random(0, 0xffff))
end

local function build(n, hits)
  local bl = BlockList()
  for i = 1, n do
    local kind = i % 10
    if kind < 5 then
      local a = v4()
      hits[#hits + 1] = a
      bl:addAddress(a)
    elseif kind < 8 then
      local a = math.random(0, 0xffffff00)
      bl:addRange(v4(a), v4(a + math.random(0, 255)))
    elseif kind < 9 then
      bl:addSubnet(v4(), math.random(16, 32))
    else
      bl:addSubnet(v6(), math.random(48, 128), 'ipv6')
    end
  end
  return bl
end

-- Runs `fn(i)` in batches until `seconds` have passed; returns calls/s.
local function rate(fn)
  local calls, start = 0, os.clock()
  repeat
    for i = 1, 10000 do fn(i) end
    calls = calls + 10000
  until os.clock() - start >= seconds
  return calls / (os.clock() - start)
end

print(string.format('%-36s %14s %10s', 'case', 'checks/s', 'us/check'))
for _, n in ipairs({ 10, 100000 }) do
  local hits = {}
  local t0 = os.clock()
  local bl = build(n, hits)
  local built = os.clock() - t0
  t0 = os.clock()
  bl:check('1.2.3.4') -- the first check indexes the rules
  local indexed = os.clock() - t0

  local queries, sockaddrs = {}, {}
  for i = 1, 4096 do
    local a = i % 2 == 0 and hits[math.random(#hits)] or v4()
    queries[i] = i % 8 == 1 and { v6(), 'ipv6' } or { a, 'ipv4' }
    sockaddrs[i] = SocketAddress({ address = a })
  end
  local blocked = 0
  for _, q in ipairs(queries) do
    if bl:check(q[1], q[2]) then blocked = blocked + 1 end
  end

  local r = rate(function(i)
    local q = queries[(i & 4095) + 1]
    bl:check(q[1], q[2])
  end)
  print(string.format('%-36s %14.0f %10.3f', string.format('%d rules, check(string)', n), r, 1e6 / r))
  r = rate(function(i) bl:check(sockaddrs[(i & 4095) + 1]) end)
  print(string.format('%-36s %14.0f %10.3f', string.format('%d rules, check(SocketAddress)', n), r,
    1e6 / r))
  print(string.format('  (%d rules: added in %.3f s, indexed in %.3f s, %d%% of queries blocked)',
    bl.size, built, indexed, blocked * 100 // #queries))
end
