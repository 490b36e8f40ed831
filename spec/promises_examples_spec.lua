-- The net.promises examples (examples/promises-*.lua), each run with
-- --selftest in a child process with a deadline: each runs a server and
-- its clients in one process, checks the conversation itself, and exits
-- 0 only if it came out right. Their output is checked here too.
local H = require('spec.helper')

local function run(script, seconds)
  local cmd = string.format('timeout %d lua5.4 examples/%s --selftest 2>&1; echo "exit=$?"',
    math.ceil(seconds * H.SCALE), script)
  local p = assert(io.popen(cmd))
  local out = p:read('a')
  p:close()
  local status = tonumber(out:match('exit=(%d+)\n$'))
  return (out:gsub('exit=%d+\n$', '')), status
end

describe('examples in the sequential style', function()
  it('promises-chat.lua: lines reach the others with the name; a half line of a client that left does not', function()
    local out, status = run('promises-chat.lua', 20)
    assert.equal(0, status, out)
    local port = out:match('^listening on port (%d+)\n')
    assert.is_not_nil(port, out)
    assert.equal(table.concat({
      'listening on port ' .. port, 'welcome, alice', 'welcome, bob', 'bob joined', 'bob: hi alice',
      'alice: hi bob', 'welcome, carol', 'carol joined', 'carol joined', 'carol left', 'carol left',
      'bob left', 'selftest passed', '' }, '\n'), out)
  end)

  it('promises-client.lua: a reply by name within the timeout; a silent server times out', function()
    local out, status = run('promises-client.lua', 20)
    assert.equal(0, status, out)
    assert.equal('answering server: PONG PING\nsilent server: reply: timeout\nselftest passed\n', out)
  end)

  it('promises-kv.lua: the commands, then 100 pipelined ones answered in order, then QUIT', function()
    local out, status = run('promises-kv.lua', 20)
    assert.equal(0, status, out)
    assert.matches('^listening on port %d+\n', out)
    assert.is_truthy(out:find('KEYS -> KEYS colour size\n', 1, true))
    assert.is_truthy(out:find('SET lonely -> ERROR usage: SET key value\n', 1, true))
    assert.is_truthy(out:find('\n100 pipelined commands answered in order\nselftest passed\n$'))
  end)
end)
