-- One worker of examples/multi-process.lua: a TCP server with reusePort on
-- the shared port; answers each connection with its worker id.
local net = require('net')

local port, id = tonumber(arg[1]), arg[2] or tostring(os.time())
local server = net.createServer(function(sock)
  sock:end_('worker ' .. id .. '\n')
end)
server:on('error', function(err)
  io.stderr:write('worker ', id, ': ', tostring(err), '\n')
  os.exit(1)
end)
server:listen({ port = port, host = '127.0.0.1', reusePort = true }, function()
  io.stdout:write('worker ', id, ' listening on ', server:address().port, '\n')
  io.stdout:flush()
end)
net.run()
