-- net beside luv: both run on one loop. luv's timer and signal handles
-- work next to net's server; uv.run() (or net.run()) drives everything.
--   lua5.4 examples/guide/with-luv.lua [port]      (Debian: apt-get install lua-luv)
local net = require('net')
local uv = require('luv')

local port = tonumber(arg[1]) or 8124
local served = 0

local server = net.createServer(function(sock)
  served = served + 1
  sock:end_('you are visitor ' .. served .. '\n')
end)
server:listen(port, '127.0.0.1', function()
  print('listening on port ' .. server:address().port)
end)

-- a luv timer: a report every 5 seconds
local report = uv.new_timer()
uv.timer_start(report, 5000, 5000, function()
  print(served .. ' visitors so far')
end)

-- a luv signal handler: Ctrl-C stops the program cleanly
local sigint = uv.new_signal()
uv.signal_start(sigint, 'sigint', function()
  print('stopping')
  server:close()
  uv.close(report)
  uv.close(sigint)
end)

uv.run() -- returns once the server and both luv handles are closed
