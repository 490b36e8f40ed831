-- The line protocol of bench/run-lines.sh, in the event style: 'data'
-- listeners, lines split in Lua (string.find, string.sub), a partial
-- line kept for the next chunk. With CORK=1 the answers to one chunk are
-- corked and leave as one write (what net.promises' send does by itself).
--   lua5.4 bench/lines-server-events.lua [port]
--   "GET <key>\n" -> "VALUE <value>\n" | "NOT_FOUND\n"
local net = require('net')
local store = dofile((arg[0]:match('^(.*)/') or '.') .. '/lines-store.lua')
local cork = os.getenv('CORK') == '1'

local server = net.createServer({ noDelay = true }, function(sock)
  local pending = ''
  sock:on('data', function(chunk)
    if pending ~= '' then chunk = pending .. chunk end
    if cork then sock:cork() end
    local pos = 1
    while true do
      local nl = chunk:find('\n', pos, true)
      if not nl then break end
      local stop = nl - 1
      if stop >= pos and chunk:byte(stop) == 13 then stop = stop - 1 end -- CR LF
      local value = chunk:sub(pos, pos + 3) == 'GET ' and store[chunk:sub(pos + 4, stop)]
      if value then
        sock:write('VALUE ' .. value .. '\n')
      else
        sock:write('NOT_FOUND\n')
      end
      pos = nl + 1
    end
    pending = chunk:sub(pos)
    if cork then sock:uncork() end
  end)
  sock:on('error', function() end)
end)
server:listen(tonumber(arg[1]) or 0, '127.0.0.1', function()
  print('listening on ' .. server:address().port)
  io.stdout:flush()
end)
net.run()
