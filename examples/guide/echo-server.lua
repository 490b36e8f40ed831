-- An echo server: whatever a client sends comes straight back.
--   lua5.4 examples/guide/echo-server.lua [port]      (default 8124; 0: any free port)
local net = require('net')

local port = tonumber(arg[1]) or 8124

-- This function runs once for every client that connects.
local server = net.createServer(function(sock)
  local who = sock.remoteAddress .. ':' .. sock.remotePort
  print('client connected from ' .. who)

  sock:on('data', function(chunk)
    sock:write(chunk)            -- send the bytes back
  end)
  sock:on('end', function()
    print('client ' .. who .. ' is done')
  end)
  sock:on('error', function(err)
    print('client ' .. who .. ' failed: ' .. err.code)
  end)
end)

server:listen(port, '127.0.0.1', function()
  print('echo server listening on port ' .. server:address().port)
end)

net.run() -- handle events until the program is stopped (Ctrl-C)
