-- A client for echo-server.lua: sends each argument as a line and prints
-- what comes back.   lua5.4 examples/echo-client.lua PORT hello world
local net = require('net')

local port = tonumber(arg[1]) or error('usage: echo-client.lua PORT [message ...]')
local messages = { table.unpack(arg, 2) }
if #messages == 0 then messages = { 'hello' } end
local expected = table.concat(messages, '\n') .. '\n'

local received = {}
local sock
sock = net.connect(port, '127.0.0.1', function()
  for _, m in ipairs(messages) do print('> ' .. m) end
  sock:end_(expected)
end)
sock:on('data', function(chunk) received[#received + 1] = chunk end)
sock:on('end', function()
  local got = table.concat(received)
  for line in got:gmatch('[^\n]+') do print('< ' .. line) end
  if got ~= expected then
    io.stderr:write('echo-client: the echo did not match\n')
    os.exit(1)
  end
end)
sock:on('error', function(err)
  io.stderr:write('echo-client: ', tostring(err), '\n')
  os.exit(1)
end)
net.run()
