-- The Lua `net` echo server for bench/run-echo.sh: examples/echo-server.lua
-- (the same two listeners per connection: 'data' -> write, and an 'error'
-- listener), but listening on HOST as the Node and C servers do, not on
-- '::' (an IPv6 socket taking IPv4-mapped connections would not be the
-- same work for the kernel).
--
--   lua5.4 bench/echo-server.lua PORT [HOST]     (HOST defaults to 127.0.0.1)
--
-- Prints "listening on PORT" once bound and runs until killed.
local net = require('net')

local port = tonumber(arg[1] or '0')
local host = arg[2] or '127.0.0.1'
local server = net.createServer(function(sock)
  sock:on('data', function(chunk) sock:write(chunk) end)
  sock:on('error', function() end) -- a peer's reset only ends that connection
end)

server:on('error', function(err)
  io.stderr:write('echo-server.lua: ', tostring(err), '\n')
  os.exit(1)
end)

server:listen(port, host, function()
  io.stdout:write('listening on ', server:address().port, '\n')
  io.stdout:flush()
end)

net.run()
