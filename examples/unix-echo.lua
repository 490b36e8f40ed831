-- An echo server on a Unix domain socket and a client talking to it, in
-- one process.   lua5.4 examples/unix-echo.lua [path]
-- The server removes the socket file when it closes, as Node's does.
local net = require('net')

local path = arg[1] or string.format('/tmp/net-unix-echo-%d.sock', os.time())

local server = net.createServer(function(sock)
  print('server: connection on ' .. tostring(sock.localAddress or path))
  sock:pipe(sock)
end)

server:listen(path, function()
  print('server: listening on ' .. server:address())
  local client = net.connect(path)
  local got = {}
  client:on('connect', function() client:end_('hello over a Unix socket') end)
  client:on('data', function(d) got[#got + 1] = d end)
  client:on('close', function()
    print('client: got back "' .. table.concat(got) .. '"')
    server:close()
  end)
end)

server:on('close', function()
  local still_there = io.open(path) ~= nil
  print('server: closed; socket file ' .. (still_there and 'still there' or 'removed'))
end)

net.run()
