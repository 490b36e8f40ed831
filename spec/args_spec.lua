-- Arguments Node accepts without throwing, taken from node v20 scenarios
-- (spec/node/args.js): the answers are recorded here.
local net = require('net')
local H = require('spec.helper')

describe('arguments as Node takes them', function()
  it('listen(nil, cb) listens on a random port, as listen(undefined, cb)', function()
    local server = net.createServer()
    local port
    server:listen(nil, function()
      port = server:address().port
      server:close()
    end)
    H.run(2000)
    assert.is_true(math.type(port) == 'integer' and port > 0)
  end)

  it('setKeepAlive coerces its times as JavaScript numbers and never raises', function()
    local s = net.Socket()
    assert.equal(s, s:setKeepAlive(nil, {}))
    assert.equal(s, s:setKeepAlive('', -1, nil, 0.5))
    assert.equal(s, s:setKeepAlive(true, '5000'))
    assert.equal(s, s:setKeepAlive(true, 0 / 0))
    s:destroy()
    H.run(1000)
  end)

  it('setTimeout(2^63) is kept as given (Node truncates the timer to 2^31 - 1)', function()
    local s = net.Socket()
    s:setTimeout(2 ^ 63)
    assert.equal(2 ^ 63, s.timeout)
    s:destroy()
    H.run(1000)
  end)

  it('connect raises ERR_INVALID_ARG_TYPE at once for a keepAliveInitialDelay that is not a number', function()
    local err = H.raises(net.connect, { port = 1, host = '127.0.0.1', keepAlive = true, keepAliveInitialDelay = 'x' })
    assert.equal('ERR_INVALID_ARG_TYPE', err.code)
  end)

  it('write() returns exactly one value in every state', function()
    local s = net.Socket()
    s:on('error', function() end)
    assert.equal(1, select('#', s:write('x')))
    local server = net.createServer(function(c) c:resume() end)
    H.listen(server, function(port)
      local c = net.connect(port, '127.0.0.1')
      assert.equal(1, select('#', c:write('held')))
      c:on('connect', function()
        assert.equal(1, select('#', c:write('open')))
        assert.equal(1, select('#', c:write('open', function() end)))
        assert.equal(1, select('#', c:write('6f70656e', 'hex')))
        c:end_()
        c:on('error', function() end)
        assert.equal(1, select('#', c:write('ended')))
        c:destroy()
        assert.equal(1, select('#', c:write('destroyed')))
        server:close()
      end)
    end)
    H.run(3000)
  end)
end)

describe('connect and timeout details from node v20 (spec/node/args2.js)', function()
  it("a connect that fails at once (one address): lookup, connectionAttempt, then only 'error' and close(true)",
    function()
      local log = H.log()
      local s = net.connect({ host = 'x.invalid', port = 9, autoSelectFamily = false,
        lookup = function(_, _, cb) require('net.timers').setImmediate(cb, nil, '127.0.0.6', 6) end })
      for _, e in ipairs({ 'lookup', 'connectionAttempt', 'connectionAttemptFailed' }) do
        s:on(e, function(...)
          local parts = { e }
          for i = 1, select('#', ...) do
            local v = select(i, ...)
            parts[#parts + 1] = tostring(type(v) == 'table' and v.code or v)
          end
          log(table.concat(parts, ' '))
        end)
      end
      s:on('error', function(e) log('error ' .. e.code) end)
      s:on('close', function(h) log('close ' .. tostring(h)) end)
      H.run(2000)
      assert.same({
        'lookup nil 127.0.0.6 6 x.invalid', 'connectionAttempt 127.0.0.6 9 6', 'error EINVAL', 'close true',
      }, log.events)
    end)

  it('setTimeout(0.5) is a 1 ms timeout, not none', function()
    local fired = false
    local server = net.createServer(function(c)
      c:setTimeout(0.5, function()
        fired = true
        c:destroy()
      end)
    end)
    H.listen(server, function(port)
      local k = net.connect(port, '127.0.0.1')
      k:on('close', function() server:close() end)
    end)
    H.run(2000)
    assert.is_true(fired)
  end)
end)
