-- Sends one message to the echo server and prints what comes back.
--   lua5.4 examples/guide/echo-client.lua [port] [message]
local net = require('net')

local port = tonumber(arg[1]) or 8124
local message = arg[2] or 'hello'
local failed = false

local sock = net.connect(port, '127.0.0.1')

sock:on('connect', function()
  print('connected, sending "' .. message .. '"')
  sock:end_(message)             -- write the message, then say we are done
end)

local answer = {}
sock:on('data', function(chunk)
  answer[#answer + 1] = chunk    -- the answer may come in several pieces
end)

sock:on('end', function()
  print('the server answered "' .. table.concat(answer) .. '"')
end)

sock:on('error', function(err)
  print('could not talk to the server: ' .. err.message)
  failed = true
end)

net.run()                        -- returns once the socket has closed
os.exit(failed and 1 or 0)
