-- The sequential style: an echo server and a client written top to bottom,
-- with net.promises (coroutines that wait instead of callbacks).
--   lua5.4 examples/guide/sequential.lua
local net = require('net')
local netp = require('net.promises')

-- serve one client: read lines until it ends, answer each
local function serve(sock)
  for line in sock:lines() do
    sock:send('echo: ' .. line .. '\n')
  end
  sock:end_()
end

netp.spawn(function()
  local server = assert(netp.listen({ port = 0, host = '127.0.0.1' }))
  print('listening on port ' .. server:address().port)

  -- accept connections in a task of their own; each client gets a task
  netp.spawn(function()
    for sock in server:incoming() do
      netp.spawn(serve, sock)
    end
  end)

  -- a client, in this task
  local sock, err = netp.connect({ port = server:address().port, host = '127.0.0.1', timeout = 2000 })
  if not sock then
    print('connect failed: ' .. tostring(err))
    return server:close()
  end
  for _, word in ipairs({ 'one', 'two', 'three' }) do
    sock:send(word .. '\n')
    print(sock:receive('*l'))        -- waits for the answer line
  end
  sock:end_()
  server:close()
end)

net.run()
