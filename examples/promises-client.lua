-- A client in the sequential style (net.promises): connect to a host by
-- name, with a timeout over the whole connect (lookup and every address
-- tried) that then stays as the socket's idle timeout; send one request
-- line; read one reply line.
--   lua5.4 examples/promises-client.lua HOST PORT [REQUEST] [TIMEOUT_MS]
--       prints the reply; exit 1 with the reason if there is none
--   lua5.4 examples/promises-client.lua --selftest
--       asks a server in this process (by the name localhost), then one
--       that never answers; exit 0 if both come out as they should
local net = require('net')
local netp = require('net.promises')

-- The whole conversation: the reply line, or nil and why not.
local function ask(host, port, request, timeout)
  local sock, err = netp.connect({ host = host, port = port, timeout = timeout })
  if not sock then return nil, 'connect: ' .. tostring(err) end
  sock:send(request .. '\n')
  local reply, rerr = sock:receive()   -- '*l': one line, its end of line dropped
  sock:destroy()
  if not reply then return nil, 'reply: ' .. tostring(rerr) end
  return reply
end

local function selftest()
  -- a server that answers, and one that reads but never answers
  local answering = assert(netp.listen({ port = 0, host = 'localhost' }))
  netp.spawn(function()
    for sock in answering:incoming() do
      netp.spawn(function()
        local line = sock:receive()
        if line then sock:send('PONG ' .. line .. '\n') end
        sock:end_()
      end)
    end
  end)
  local silent = assert(netp.listen({ port = 0, host = '127.0.0.1' }))
  netp.spawn(function()
    for sock in silent:incoming() do
      netp.spawn(function() sock:receive('*a') end)  -- reads until the client goes
    end
  end)
  local reply, err = ask('localhost', answering:address().port, 'PING', 2000)
  print('answering server: ' .. tostring(reply or err))
  local t0 = require('net.core').now()
  reply, err = ask('127.0.0.1', silent:address().port, 'PING', 200)
  local waited = require('net.core').now() - t0
  print('silent server: ' .. tostring(reply or err))
  answering:close()
  silent:close()
  if reply == nil and err == 'reply: timeout' and waited >= 150 then
    print('selftest passed')
  else
    io.stderr:write('promises-client: unexpected ', tostring(err), ' after ', waited, ' ms\n')
    os.exit(1)
  end
end

netp.spawn(function()
  if arg[1] == '--selftest' then return selftest() end
  local host, port = arg[1], tonumber(arg[2])
  if not host or not port then
    io.stderr:write('usage: lua5.4 examples/promises-client.lua HOST PORT [REQUEST] [TIMEOUT_MS]\n')
    os.exit(2)
  end
  local reply, err = ask(host, port, arg[3] or 'HELLO', tonumber(arg[4]) or 3000)
  if not reply then
    io.stderr:write('promises-client: ', err, '\n')
    os.exit(1)
  end
  print(reply)
end)
net.run()
