-- A server on a Unix domain socket, and a client of it, in one program.
--   lua5.4 examples/guide/unix-hello.lua [path]
local net = require('net')

local path = arg[1] or '/tmp/guide-hello.sock'

-- A socket file left behind by a program that crashed would make listen()
-- fail with EADDRINUSE: remove it first.
os.remove(path)

local server = net.createServer(function(sock)
  sock:end_('hello from the server\n')
end)

server:listen(path, function()
  print('listening on ' .. server:address())

  local client = net.connect(path)
  client:setEncoding('utf8')
  client:on('data', function(text)
    io.write('the client got: ' .. text)
  end)
  client:on('close', function()
    server:close()               -- stop listening; this removes the file
  end)
end)

server:on('close', function()
  print('server closed; socket file removed: ' .. tostring(io.open(path) == nil))
end)

net.run()
