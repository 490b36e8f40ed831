-- The line protocol of bench/run-lines.sh, in the sequential style
-- (net.promises): a task per connection reads lines with receive('*l')
-- and answers each with send (the answers to one batch leave together,
-- when the task next waits).
--   lua5.4 bench/lines-server-seq.lua [port]
--   "GET <key>\n" -> "VALUE <value>\n" | "NOT_FOUND\n"
local net = require('net')
local netp = require('net.promises')
local store = dofile((arg[0]:match('^(.*)/') or '.') .. '/lines-store.lua')

local function serve(sock)
  while true do
    local line = sock:receive('*l')
    if not line then break end
    local value = line:sub(1, 4) == 'GET ' and store[line:sub(5)]
    if value then
      sock:send('VALUE ' .. value .. '\n')
    else
      sock:send('NOT_FOUND\n')
    end
  end
  sock:end_()
end

netp.spawn(function()
  local server = assert(netp.listen({ port = tonumber(arg[1]) or 0, host = '127.0.0.1', noDelay = true }))
  print('listening on ' .. server:address().port)
  io.stdout:flush()
  for sock in server:incoming() do
    netp.spawn(serve, sock)
  end
end)
net.run()
