-- The quick-start example: an echo server and three clients in one
-- process, on a free port. Prints every message as it passes and exits 0
-- once every echo came back intact (1 otherwise).
local net = require('net')
local timers = require('net.timers')

local messages = { 'hello', 'from Lua', string.rep('x', 100000) }
local ok = true

local server = net.createServer(function(sock)
  print(string.format('server: connection from %s:%d', sock.remoteAddress, sock.remotePort))
  sock:pipe(sock) -- echo, with backpressure
end)

local function show(s)
  return #s > 40 and (s:sub(1, 20) .. string.format('... (%d bytes)', #s)) or s
end

server:listen(0, '127.0.0.1', function()
  local port = server:address().port
  print('server: listening on 127.0.0.1:' .. port)
  local pending = #messages
  for i, msg in ipairs(messages) do
    local client = net.connect(port, '127.0.0.1')
    local got = {}
    client:on('connect', function()
      print(string.format('client %d: sends %s', i, show(msg)))
      client:end_(msg)
    end)
    client:on('data', function(chunk) got[#got + 1] = chunk end)
    client:on('close', function(hadError)
      local echo = table.concat(got)
      local same = echo == msg and not hadError
      ok = ok and same
      print(string.format('client %d: got back %s: %s', i, show(echo), same and 'match' or 'MISMATCH'))
      pending = pending - 1
      if pending == 0 then server:close() end
    end)
  end
end)

server:on('close', function() print('server: closed') end)

-- a deadline so that a broken build fails instead of hanging
local deadline = timers.setTimeout(function()
  print('echo: timed out')
  os.exit(1)
end, 10000)
deadline:unref()

net.run()
print(ok and 'echo: all messages came back intact' or 'echo: FAILED')
os.exit(ok and 0 or 1)
