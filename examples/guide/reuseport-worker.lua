-- One worker of a server that uses every core: start one per core, all on
-- the same port; the kernel spreads the connections among them.
--   for i in 1 2 3 4; do lua5.4 examples/guide/reuseport-worker.lua 8124 $i & done
local net = require('net')

local port = tonumber(arg[1]) or 8124
local name = arg[2] or '?'

local server = net.createServer(function(sock)
  sock:end_('hello from worker ' .. name .. '\n')
end)

server:on('error', function(err)
  print('worker ' .. name .. ': ' .. err.message)
  os.exit(1)
end)

server:listen({ port = port, host = '127.0.0.1', reusePort = true }, function()
  print('worker ' .. name .. ' listening on port ' .. server:address().port)
end)

net.run()
