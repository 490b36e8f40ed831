-- Exercise 3, a solution: a tiny key-value store on a Unix domain socket.
-- Commands, one per line: `SET key value` (answers OK), `GET key` (answers
-- the value, or NIL), `QUIT`.
--   lua5.4 examples/guide/unix-server.lua [path]
-- Try it with `nc -U /tmp/guide-kv.sock`.
local net = require('net')

local path = arg[1] or '/tmp/guide-kv.sock'
local store = {}

local function answer(line)
  local key, value = line:match('^SET (%S+) (.*)$')
  if key then
    store[key] = value
    return 'OK'
  end
  key = line:match('^GET (%S+)$')
  if key then return store[key] or 'NIL' end
  return 'ERROR unknown command'
end

local server = net.createServer(function(sock)
  sock:setEncoding('utf8')
  local pending = ''
  sock:on('data', function(text)
    pending = pending .. text
    for line in pending:gmatch('([^\n]*)\n') do
      line = line:gsub('\r$', '')
      if line == 'QUIT' then
        sock:end_('BYE\n')
        return
      end
      sock:write(answer(line) .. '\n')
    end
    pending = pending:match('[^\n]*$')
  end)
  sock:on('error', function() end)
end)

os.remove(path)                      -- a file left by a crashed run
server:listen(path, function()
  print('key-value store listening on ' .. server:address())
end)

net.run()
