-- A key-value server speaking a line protocol, in the sequential style
-- (net.promises). One command per line; a client may send several before
-- reading the answers (pipelining): they are answered in order.
--   SET key value -> OK            GET key -> VALUE value | NOT_FOUND
--   DEL key       -> DELETED | NOT_FOUND
--   KEYS          -> KEYS k1 k2 ... (sorted)     QUIT -> BYE, then the end
--   anything else -> ERROR unknown command
--
--   lua5.4 examples/promises-kv.lua [port]       (default 8125; try nc 127.0.0.1 8125)
--   lua5.4 examples/promises-kv.lua --selftest   a client in this process runs a
--                                                script of commands; exit 0 if right
local net = require('net')
local netp = require('net.promises')

local store = {}

local function answer(line)
  local cmd, rest = line:match('^(%u+)%s*(.-)%s*$')
  if cmd == 'SET' then
    local key, value = rest:match('^(%S+)%s+(.*)$')
    if not key then return 'ERROR usage: SET key value' end
    store[key] = value
    return 'OK'
  elseif cmd == 'GET' then
    local value = store[rest]
    return value and 'VALUE ' .. value or 'NOT_FOUND'
  elseif cmd == 'DEL' then
    if store[rest] == nil then return 'NOT_FOUND' end
    store[rest] = nil
    return 'DELETED'
  elseif cmd == 'KEYS' then
    local keys = {}
    for k in pairs(store) do keys[#keys + 1] = k end
    table.sort(keys)
    return 'KEYS ' .. table.concat(keys, ' ')
  end
  return 'ERROR unknown command'
end

local function serve(sock)
  for line in sock:lines() do
    if line == 'QUIT' then
      sock:send('BYE\n')
      break
    end
    -- the answers of one batch of pipelined commands leave together
    local _, err = sock:send(answer(line) .. '\n')
    if err then break end
  end
  sock:end_()
end

local function selftest(port)
  local sock = assert(netp.connect({ host = '127.0.0.1', port = port, timeout = 2000 }))
  local script = {
    { 'SET colour blue', 'OK' },
    { 'SET size  large  ', 'OK' },
    { 'GET colour', 'VALUE blue' },
    { 'GET size', 'VALUE large' },
    { 'GET weight', 'NOT_FOUND' },
    { 'KEYS', 'KEYS colour size' },
    { 'DEL colour', 'DELETED' },
    { 'DEL colour', 'NOT_FOUND' },
    { 'FROB', 'ERROR unknown command' },
    { 'SET lonely', 'ERROR usage: SET key value' },
  }
  -- one at a time, then all of them at once (pipelined), CR LF endings
  for _, step in ipairs(script) do
    sock:send(step[1] .. '\n')
    local got = sock:receive()
    assert(got == step[2], string.format('%s: expected %q, got %q', step[1], step[2], tostring(got)))
    print(step[1] .. ' -> ' .. got)
  end
  local batch = {}
  for i = 1, 50 do batch[#batch + 1] = 'SET k' .. i .. ' v' .. i .. '\r\n' end
  for i = 1, 50 do batch[#batch + 1] = 'GET k' .. i .. '\r\n' end
  sock:send(table.concat(batch))
  for _ = 1, 50 do assert(sock:receive() == 'OK') end
  for i = 1, 50 do assert(sock:receive() == 'VALUE v' .. i) end
  print('100 pipelined commands answered in order')
  sock:send('QUIT\n')
  assert(sock:receive() == 'BYE')
  assert(select(2, sock:receive()) == 'closed')
  print('selftest passed')
end

netp.spawn(function()
  local test = arg[1] == '--selftest'
  local server, err = netp.listen({ port = test and 0 or tonumber(arg[1] or '8125'), host = '127.0.0.1' })
  if not server then
    io.stderr:write('promises-kv: ', tostring(err), '\n')
    os.exit(1)
  end
  print('listening on port ' .. server:address().port)
  io.stdout:flush()
  if test then
    netp.spawn(function()
      selftest(server:address().port)
      server:close()
    end)
  end
  for sock in server:incoming() do
    netp.spawn(serve, sock)
  end
end)
net.run()
