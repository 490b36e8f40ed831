-- A client that misbehaves: it sends something, waits for the answer, then
-- slams the connection shut (a TCP reset instead of a clean end).
--   lua5.4 examples/guide/rude-client.lua [port]
local net = require('net')

local port = tonumber(arg[1]) or 8124

local sock = net.connect(port, '127.0.0.1')
sock:on('connect', function()
  sock:write('hi')
end)
sock:on('data', function()
  print('got an answer; resetting the connection')
  sock:resetAndDestroy()
end)
sock:on('error', function(err) print('failed: ' .. err.message) end)

net.run()
