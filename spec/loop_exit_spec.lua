-- The loop at the end of the program and after an error leaves net.run().
local net = require('net')
local core = require('net.core')
local H = require('spec.helper')

-- Runs the child `n` times (ten at a time) and returns the exit statuses.
local function statuses(mode, n)
  local cmd = string.format('for b in $(seq %d); do for i in $(seq 10); do ' ..
    '(lua5.4 spec/fixtures/exit_while_resolving.lua %s >/dev/null 2>&1; echo "status $?") & ' ..
    'done; wait; done', n // 10, mode)
  local f = assert(io.popen(cmd))
  local got = {}
  for line in f:lines() do
    got[#got + 1] = tonumber(line:match('^status (%d+)$'))
  end
  f:close()
  return got
end

describe('the end of the program', function()
  -- A lookup answered while the state closes used to call into Lua and
  -- reach the freed tick queue: a segfault. Nothing calls into Lua now
  -- once the state is closing.
  for _, mode in ipairs({ 'end', 'exit', 'callback' }) do
    it(string.format('with lookups and connects in flight (%s) exits with status 0, 50 times of 50', mode), function()
      local got = statuses(mode, 50)
      assert.equal(50, #got)
      for i = 1, #got do
        assert.equal(0, got[i], 'run ' .. i .. ' ended with status ' .. tostring(got[i]))
      end
    end)
  end
end)

describe('an error leaving net.run()', function()
  -- Twenty clients connect at once; the server's first 'connection'
  -- listener throws. The connections accepted in that same loop pass have
  -- no Lua call to go to: they are closed, not left open for ever.
  local function serve_and_throw()
    local calls = 0
    local clients = {}
    local server = net.createServer(function()
      calls = calls + 1
      error('boom in connection ' .. calls)
    end)
    H.listen(server, function(port)
      for i = 1, 20 do
        local c = net.connect(port, '127.0.0.1')
        c:on('error', function() end)
        clients[i] = c
      end
    end)
    local ok, err = pcall(net.run)
    assert.is_false(ok)
    assert.matches('boom in connection 1\n', err)
    assert.equal(1, calls)
    return server, clients
  end

  it('closing what the program holds lets the loop end with no handle left', function()
    local server, clients = serve_and_throw()
    server:close()
    for _, c in ipairs(clients) do c:destroy() end
    -- fails on a hang (the deadline) or on any handle left open
    H.run(3000)
    assert.equal(0, (core.handleCount()))
  end)

  it('closeAll() and a run leave no handle open', function()
    serve_and_throw()
    assert.is_true(core.closeAll() > 0)
    assert.is_false(net.run())
    assert.equal(0, (core.handleCount()))
  end)
end)
