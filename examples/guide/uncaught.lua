-- An 'error' event that nobody listens to stops the program.
--   lua5.4 examples/guide/uncaught.lua [port]      (default 1: nobody listens there)
local net = require('net')

local port = tonumber(arg[1]) or 1

local sock = net.connect(port, '127.0.0.1')
sock:on('connect', function()
  print('connected')
end)
-- no sock:on('error', ...) here

net.run()
print('this line is never reached')
