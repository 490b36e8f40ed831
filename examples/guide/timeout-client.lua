-- Exercise 2, a solution: a client that gives up when the server is slow.
-- Sends one line and prints the first line of the answer, or gives up
-- after `ms` milliseconds of silence.
--   lua5.4 examples/guide/timeout-client.lua port [line] [ms]
local net = require('net')

local port = tonumber(arg[1]) or 8124
local request = arg[2] or 'ping'
local ms = tonumber(arg[3]) or 2000
local status = 1                     -- the exit status: 0 once we got an answer

local sock = net.connect({ port = port, host = '127.0.0.1' })
sock:setEncoding('utf8')

-- The idle timeout counts from the last activity: the connect, our write,
-- any data. It only notifies; closing is up to us.
sock:setTimeout(ms)
sock:on('timeout', function()
  print('no answer within ' .. ms .. ' ms, giving up')
  sock:destroy()
end)

sock:on('connect', function()
  sock:write(request .. '\n')
end)

local received = ''
sock:on('data', function(text)
  received = received .. text
  local line = received:match('^([^\n]*)\n')
  if line then
    print('answer: ' .. line)
    status = 0
    sock:destroy()                   -- we have what we came for
  end
end)

sock:on('error', function(err)
  print('failed: ' .. err.message)
end)

net.run()
os.exit(status)
