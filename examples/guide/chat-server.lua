-- Exercise 1, a solution: a chat server. Each line a client sends goes to
-- every other client, prefixed with the sender's name.
--   lua5.4 examples/guide/chat-server.lua [port]
-- Try it with two terminals running `nc 127.0.0.1 8124`.
local net = require('net')

local port = tonumber(arg[1]) or 8124
local clients = {}                   -- the sockets of everyone connected

local function broadcast(from, text)
  for other in pairs(clients) do
    if other ~= from then other:write(text) end
  end
end

local server = net.createServer(function(sock)
  local name = sock.remoteAddress .. ':' .. sock.remotePort
  clients[sock] = true
  sock:setEncoding('utf8')
  sock:write('welcome, ' .. name .. '\n')
  broadcast(sock, name .. ' joined\n')

  -- TCP delivers a stream of bytes, not messages: one 'data' event may hold
  -- half a line or several lines. Keep what is left over until the rest
  -- of the line arrives.
  local pending = ''
  sock:on('data', function(text)
    pending = pending .. text
    for line in pending:gmatch('([^\n]*)\n') do
      line = line:gsub('\r$', '')      -- telnet and nc on some systems send CR LF
      broadcast(sock, name .. ': ' .. line .. '\n')
    end
    pending = pending:match('[^\n]*$')
  end)

  sock:on('error', function() end)   -- 'close' follows; handled there
  sock:on('close', function()
    clients[sock] = nil
    broadcast(sock, name .. ' left\n')
  end)
end)

server:listen(port, '127.0.0.1', function()
  print('chat server listening on port ' .. server:address().port)
end)

net.run()
