-- The C core's contract: objects, fields, hooks, deferred calls, handle
-- lifetime. (Node behaviour lives in the other specs.)
local net = require('net')
local core = require('net.core')
local timers = require('net.timers')
local H = require('spec.helper')

describe('core objects', function()
  it('keep user fields and expose C and Lua methods on one object', function()
    local sock = net.Socket()
    sock.id = 7
    assert.equal(7, sock.id)
    assert.is_function(sock.write)       -- Lua
    assert.is_nil(sock._write)           -- C entry points are not methods
    assert.is_nil(sock._stats)
    assert.is_function(sock.on)          -- EventEmitter
    assert.equal('opening', (function() sock.connecting = true return sock.readyState end)())
  end)

  it('are userdata with Node class names', function()
    assert.equal('userdata', type(net.Socket()))
    assert.matches('^net%.Server: ', tostring(net.createServer()))
  end)
end)

describe('deferred calls', function()
  it('run after the current callback, in order, before timers', function()
    local log = H.log()
    timers.setTimeout(function() log('timeout') end, 0)
    core.nextTick(function(a, b) log('tick1 ' .. a .. ' ' .. tostring(b)) end, 'x', nil)
    core.nextTick(function()
      log('tick2')
      core.nextTick(function() log('tick3 (queued while draining)') end)
    end)
    log('sync')
    H.run(1000)
    assert.same({ 'sync', 'tick1 x nil', 'tick2', 'tick3 (queued while draining)', 'timeout' }, log.events)
  end)
end)

describe('handle lifetime', function()
  it('leaves no handle open after a connection closes', function()
    local server = net.createServer(function(c) c:end_('bye') end)
    local got
    H.listen(server, function(port)
      local s = net.connect(port, '127.0.0.1')
      s:on('data', function(d) got = d end)
      s:on('close', function() server:close() end)
    end)
    H.run(2000)
    assert.equal('bye', got)
    assert.equal(0, core.handleCount())
  end)

  it('collects an abandoned socket that never opened a handle', function()
    local weak = setmetatable({}, { __mode = 'v' })
    weak[1] = net.Socket()
    collectgarbage()
    collectgarbage()
    assert.is_nil(weak[1])
  end)

  it('keeps an open socket alive though the user dropped it', function()
    local server = net.createServer(function(c) c:on('data', function(d) c:end_(d) end) end)
    local echoed
    H.listen(server, function(port)
      local s = net.connect(port, '127.0.0.1')
      s:on('data', function(d) echoed = d end)
      s:on('close', function() server:close() end)
      s:write('kept')
      s = nil -- luacheck: ignore
      collectgarbage()
      collectgarbage()
    end)
    H.run(2000)
    assert.equal('kept', echoed)
  end)

  it('closeAll closes every open handle and the objects still see close', function()
    local log = H.log()
    local server = net.createServer()
    server:listen(0, '127.0.0.1')
    server:on('listening', function()
      local s = net.connect(server:address().port, '127.0.0.1')
      s:on('connect', function()
        assert.is_true(core.handleCount() >= 3)
        core.closeAll()
      end)
      s:on('close', function() log('client close') end)
    end)
    H.run(2000)
    assert.same({ 'client close' }, log.events)
    assert.equal(0, core.handleCount())
  end)
end)

describe('errors in callbacks', function()
  it('stop the loop and leave net.run with a traceback', function()
    timers.setTimeout(function() error('boom in a timer') end, 1)
    local ok, err = pcall(net.run)
    assert.is_false(ok)
    assert.matches('boom in a timer', err)
    assert.matches('stack traceback', err)
  end)

  it('an error event with no listener leaves net.run as the error value', function()
    local s = net.connect(1, '127.0.0.1')
    local ok, err = pcall(net.run)
    assert.is_false(ok)
    assert.is_true(net.Error.is(err))
    assert.equal('ECONNREFUSED', err.code)
    -- the fields and the socket's state are Node's (node: uncaughtException
    -- sees syscall 'connect', errno -111, and a destroyed, closed socket)
    assert.equal('connect', err.syscall)
    assert.equal('127.0.0.1', err.address)
    assert.equal(1, err.port)
    assert.equal('integer', math.type(err.port))
    assert.equal(-111, err.errno)
    assert.equal('Error: connect ECONNREFUSED 127.0.0.1:1', tostring(err))
    assert.is_true(s.destroyed)
    assert.is_false(s.connecting)
    assert.equal('closed', s.readyState)
    H.run(1000) -- let the socket finish closing; no handle may be left
  end)
end)

describe('the write path', function()
  -- write_calls counts uv_try_write and uv_write calls (core.stream.stats)
  local function write_calls(sock) return select(4, core.stream.stats(sock)) end

  it('sends 1000 corked writes as one batch, bytes intact and in order', function()
    local got = {}
    local server = net.createServer(function(c)
      c:on('data', function(d) got[#got + 1] = d end)
      c:on('end', function() c:end_() end)
    end)
    local calls
    H.listen(server, function(port)
      local s = net.connect(port, '127.0.0.1')
      s:on('connect', function()
        local before = write_calls(s)
        s:cork()
        for i = 1, 1000 do s:write(string.format('%04d,', i)) end
        s:uncork()
        calls = write_calls(s) - before
        s:end_()
      end)
      s:on('close', function() server:close() end)
    end)
    H.run(3000)
    assert.equal(1, calls)
    local expected = {}
    for i = 1, 1000 do expected[i] = string.format('%04d,', i) end
    assert.equal(table.concat(expected), table.concat(got))
  end)

  it('coalesces writes made while one is in flight', function()
    local total = 0
    local server = net.createServer({ pauseOnConnect = true }, function(c)
      c:on('data', function(d) total = total + #d end)
      c:on('end', function() c:end_() end)
      timers.setTimeout(function() c:resume() end, 50)
    end)
    local calls, n
    H.listen(server, function(port)
      local s = net.connect(port, '127.0.0.1')
      s:on('connect', function()
        -- fill the kernel buffers so that a write stays in flight
        local big = string.rep('x', 1 << 20)
        n = 0
        while s:write(big) do n = n + 1 end
        local before = write_calls(s)
        for _ = 1, 500 do s:write('small') end
        calls = write_calls(s) - before
        s:end_()
      end)
      s:on('close', function() server:close() end)
    end)
    H.run(5000)
    assert.equal(0, calls) -- queued behind the write in flight: no syscall yet
    assert.equal((n + 1) * (1 << 20) + 500 * 5, total)
  end)
end)
