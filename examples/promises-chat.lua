-- A line-based chat server in the sequential style (net.promises): a task
-- per client reads its lines and sends each to every other client. The
-- first line a client sends is its name; '/quit' leaves. A client that
-- leaves in the middle of a line (its last bytes have no newline) never
-- has that half line shown to anyone.
--   lua5.4 examples/promises-chat.lua [port]        (default 8124; then: nc 127.0.0.1 8124)
--   lua5.4 examples/promises-chat.lua --selftest    three clients in this process
--                                                   check the conversation; exit 0 if right
local net = require('net')
local netp = require('net.promises')

local selftest = arg[1] == '--selftest'
local members = {}   -- socket -> name, of everyone who has given a name

-- send waits while a member's buffer is full: a member who stops reading
-- slows the speaker down instead of filling the server's memory. The list
-- is copied first, as members come and go while a send waits.
local function broadcast(from, text)
  local to = {}
  for sock in pairs(members) do
    if sock ~= from then to[#to + 1] = sock end
  end
  for _, sock in ipairs(to) do sock:send(text) end
end

local function serve(sock)
  local name = sock:receive()
  if not name or name == '' then return sock:destroy() end
  sock:send('welcome, ' .. name .. '\n')
  broadcast(sock, name .. ' joined\n')
  members[sock] = name
  -- lines() ends at the end of the stream (a half line is dropped), at a
  -- failure such as a reset, or here at '/quit'
  for line in sock:lines() do
    if line == '/quit' then break end
    broadcast(sock, name .. ': ' .. line .. '\n')
  end
  members[sock] = nil
  broadcast(sock, name .. ' left\n')
  sock:end_()
end

-- --selftest: alice, bob and carol talk; carol leaves mid-line.
local function check(sock, want)
  local got, err = sock:receive()
  if got ~= want then
    error(string.format('expected %q, got %q (%s)', want, tostring(got), tostring(err)), 2)
  end
  print(want)
end

local function join(port, name)
  local sock = assert(netp.connect({ host = '127.0.0.1', port = port, timeout = 2000 }))
  sock:send(name .. '\n')
  check(sock, 'welcome, ' .. name)
  return sock
end

local function conversation(server)
  local port = server:address().port
  local alice = join(port, 'alice')
  local bob = join(port, 'bob')
  check(alice, 'bob joined')
  bob:send('hi alice\n')
  check(alice, 'bob: hi alice')
  alice:send('hi bob\n')
  check(bob, 'alice: hi bob')
  local carol = join(port, 'carol')
  check(alice, 'carol joined')
  check(bob, 'carol joined')
  carol:send('this line never ends')   -- and she is gone:
  carol:destroy()
  check(alice, 'carol left')           -- nothing of her half line first
  check(bob, 'carol left')
  bob:send('/quit\n')
  assert(select(2, bob:receive()) == 'closed', 'bob is still connected')
  check(alice, 'bob left')
  alice:end_()
  assert(select(2, alice:receive()) == 'closed', 'alice is still connected')
  server:close()
  print('selftest passed')
end

netp.spawn(function()
  local server, err = netp.listen({ port = selftest and 0 or tonumber(arg[1] or '8124'), host = '127.0.0.1' })
  if not server then
    io.stderr:write('promises-chat: ', tostring(err), '\n')
    os.exit(1)
  end
  print('listening on port ' .. server:address().port)
  io.stdout:flush()
  if selftest then netp.spawn(conversation, server) end
  for sock in server:incoming() do
    netp.spawn(serve, sock)
  end
end)

if selftest then
  -- a watchdog: a hung conversation fails instead of waiting forever
  require('net.timers').setTimeout(function()
    io.stderr:write('promises-chat: selftest timed out\n')
    os.exit(1)
  end, 10000):unref()
end
net.run()
