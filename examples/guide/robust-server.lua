-- A server that keeps going when a client misbehaves.
--   lua5.4 examples/guide/robust-server.lua [port]
local net = require('net')

local port = tonumber(arg[1]) or 8124

local server = net.createServer(function(sock)
  local who = sock.remoteAddress .. ':' .. sock.remotePort

  -- 1. Every socket gets an 'error' listener: a reset, a broken pipe or a
  --    timeout on one connection is that connection's problem only.
  --    'close' follows by itself; nothing else to clean up.
  sock:on('error', function(err)
    print('client ' .. who .. ': ' .. err.code .. ' (' .. err.syscall .. ')')
  end)

  -- 2. A client that stays silent for 10 seconds is let go.
  sock:setTimeout(10000)
  sock:on('timeout', function()
    print('client ' .. who .. ': idle, closing')
    sock:destroy()
  end)

  sock:on('data', function(chunk)
    sock:write(chunk)
  end)
end)

-- 3. The server itself can fail too (port in use, out of file descriptors).
server:on('error', function(err)
  print('server: ' .. err.message)
  if err.syscall == 'listen' then os.exit(1) end -- cannot even start
end)

server:listen(port, '127.0.0.1', function()
  print('listening on port ' .. server:address().port)
end)

net.run()
