-- An echo server: every byte a client sends comes back.
--   lua5.4 examples/echo-server.lua [port]     (default 8124; 0 = any free port)
local net = require('net')

local port = tonumber(arg[1] or '8124')
local server = net.createServer(function(sock)
  sock:on('data', function(chunk) sock:write(chunk) end)
  sock:on('error', function() end) -- a peer's reset only ends that connection
end)

server:on('error', function(err)
  io.stderr:write('echo-server: ', tostring(err), '\n')
  os.exit(1)
end)

server:listen(port, function()
  io.stdout:write('listening on ', server:address().port, '\n')
  io.stdout:flush()
end)

net.run()
