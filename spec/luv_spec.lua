-- net and luv (Debian's lua-luv) in one Lua state run on ONE loop, whichever
-- is required first, and either net.run() or uv.run() drives both.
-- A module loads once per state, so each require order runs in a child
-- process (spec/fixtures/luv_child.lua), which prints what happened.
local net = require('net')
local core = require('net.core')
local H = require('spec.helper')

local SCALE = H.SCALE

-- Run the child; returns its output (stdout and stderr) and exit status.
-- The child ends itself after 5 s (x NET_SPEC_SCALE) if its loop hangs;
-- `timeout` ends it should the luv deadline itself never run (two loops).
local function child(order, runner, scenario)
  local cmd = string.format('timeout -s KILL %d lua5.4 spec/fixtures/luv_child.lua %s %s %s 2>&1',
    10 * SCALE, order, runner, scenario)
  local f = assert(io.popen(cmd))
  local out = f:read('a')
  local _, _, status = f:close()
  return out, status
end

local function lines(...)
  return table.concat({ ... }, '\n') .. '\n'
end

for _, order in ipairs({ 'net', 'luv' }) do
  for _, runner in ipairs({ 'net', 'uv' }) do
    local name = string.format('%s required first, %s.run() driving', order, runner)
    describe(name, function()
      it('timers of both libraries fire in time order on the one loop', function()
        local out, status = child(order, runner, 'timers')
        assert.equal(lines('returned\tfalse', 'net20 luv40 net60 mode=default luv80'), out)
        assert.equal(0, status)
      end)

      it('a luv TCP client talks to a net server', function()
        local out, status = child(order, runner, 'luvclient')
        assert.equal(lines('returned\tfalse',
          'server: connection, data ping, end, close',
          'client: connect nil, data pong:ping, eof nil',
          'open\t0\t0'), out)
        assert.equal(0, status)
      end)

      it('a net client talks to a luv TCP server', function()
        local out, status = child(order, runner, 'netclient')
        assert.equal(lines('returned\tfalse',
          'server: connection nil, data ping, eof nil',
          'client: connect, data pong:ping, end, close false',
          'open\t0\t0'), out)
        assert.equal(0, status)
      end)

      it('returns once neither library has anything referenced left', function()
        local out, status = child(order, runner, 'idle')
        assert.equal(lines('returned\tfalse', 'immediate luv10', 'quick\ttrue', 'again\tfalse',
          'after closing\tfalse'), out)
        assert.equal(0, status)
      end)

      it('refuses net.run() inside a callback of the running loop', function()
        local out, status = child(order, runner, 'nested')
        if runner == 'uv' then
          -- the luv callback sees uv.run running; the net callback, net's own call depth
          assert.equal(lines('returned\tfalse',
            'false already running (uv.run) | false already running'), out)
        else
          assert.equal(lines('returned\tfalse', 'false already running | false already running'), out)
        end
        assert.equal(0, status)
      end)

      it('ends cleanly with handles of both libraries and a lookup still open', function()
        local out, status = child(order, runner, 'teardown')
        assert.matches('^open\t%d+\t1\n$', out)
        assert.equal(0, status) -- no signal; under ASan no error or leak (status 86)
      end)

      if runner == 'net' then
        it('a Lua error in a net callback leaves net.run() (the script dies of it)', function()
          local out, status = child(order, runner, 'error')
          assert.matches('^lua5.4: spec/fixtures/luv_child.lua:%d+: boom in a net timer\nstack traceback:', out)
          assert.falsy(out:find('luv timer ran', 1, true))
          assert.equal(1, status)
        end)
      else
        it("a Lua error in a net callback goes to luv's handler: printed, the process exits", function()
          local out, status = child(order, runner, 'error')
          assert.matches('^Uncaught Error: spec/fixtures/luv_child.lua:%d+: boom in a net timer\n' ..
            'stack traceback:\n', out)
          -- the traceback is the callback's, not the rethrow's
          assert.truthy(out:find('in upvalue \'fn\'', 1, true), out)
          assert.falsy(out:find('luv timer ran', 1, true))
          assert.equal(255, status) -- luv's exit(-1)
        end)

        it("an 'error' event nobody listens to reaches luv's handler as Node prints it", function()
          local out, status = child(order, runner, 'errorevent')
          assert.matches('^Uncaught Error: Error: connect ECONNREFUSED 127%.0%.0%.1:%d+\nstack traceback:\n', out)
          assert.equal(255, status)
        end)
      end
    end)
  end
end

-- In this process net came first (the spec helper loaded it): the luv
-- required here adopts net's loop.
describe('luv in the spec process (net loaded first)', function()
  local uv = require('luv')

  it('a luv TCP client and a net server under net.run (H.run)', function()
    local log = H.log()
    local server = net.createServer(function(sock)
      sock:on('data', function(d)
        log('server data ' .. d)
        sock:end_('bye')
      end)
    end)
    H.listen(server, function(port)
      local c = uv.new_tcp()
      c:connect('127.0.0.1', port, function(err)
        log('client connect ' .. tostring(err))
        c:read_start(function(_, chunk)
          if chunk then
            log('client data ' .. chunk)
          else
            log('client eof')
            c:close()
            server:close()
          end
        end)
        c:write('hi')
      end)
    end)
    H.run(3000)
    assert.same({ 'client connect nil', 'server data hi', 'client data bye', 'client eof' }, log.events)
  end)

  it('a net client and a luv server under uv.run, with a deadline', function()
    local log = H.log()
    -- the deadline is a luv timer: it runs under uv.run whatever loop that is
    local timed_out, luv_handles = false, {}
    local deadline = uv.new_timer()
    deadline:start(3000 * SCALE, 0, function()
      timed_out = true
      core.closeAll()
      for _, h in ipairs(luv_handles) do
        if not h:is_closing() then h:close() end
      end
    end)
    deadline:unref()
    local server = uv.new_tcp()
    luv_handles[1] = server
    assert(server:bind('127.0.0.1', 0))
    assert(server:listen(8, function()
      local conn = uv.new_tcp()
      luv_handles[2] = conn
      server:accept(conn)
      conn:read_start(function(_, chunk)
        if chunk then
          log('server data ' .. chunk)
          conn:write('yo', function()
            conn:close()
            server:close()
          end)
        end
      end)
    end))
    local sock = net.connect(server:getsockname().port, '127.0.0.1', function() log('client connect') end)
    sock:write('hey')
    sock:on('data', function(d) log('client data ' .. d) end)
    sock:on('close', function() log('client close') end)
    assert.is_false(uv.run())
    assert.is_false(timed_out)
    deadline:close()
    uv.run()
    assert.same({ 'client connect', 'server data hey', 'client data yo', 'client close' }, log.events)
    assert.equal(0, (core.handleCount()))
  end)
end)
