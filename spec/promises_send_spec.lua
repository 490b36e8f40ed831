-- net.promises, the writing side: sock:send(data[, i[, j]]) (API.md,
-- "Sequential style"): LuaSocket's indices, backpressure through
-- writableHighWaterMark and 'drain', failures as values, the idle timeout,
-- and the batching of a task's sends into one write.
local net = require('net')
local netp = require('net.promises')
local core = require('net.core')
local H = require('spec.helper')

local function task(fn, ms)
  netp.spawn(fn)
  H.run(ms or 3000)
end

local function merge(a, b)
  local t = {}
  for k, v in pairs(a) do t[k] = v end
  for k, v in pairs(b or {}) do t[k] = v end
  return t
end

local function pair(server_opts, client_opts)
  local server = assert(netp.listen(merge({ port = 0, host = '127.0.0.1' }, server_opts)))
  local client = assert(netp.connect(merge({ port = server:address().port, host = '127.0.0.1' }, client_opts)))
  local accepted = assert(server:accept())
  server:close()
  return client, accepted
end

local function write_calls(sock) return select(4, core.stream.stats(sock)) end

describe('socket:send', function()
  it('returns the index of the last byte sent; i and j as LuaSocket (string.sub, clamped)', function()
    local got, received = {}, nil
    task(function()
      local c, s = pair()
      got[1] = c:send('hello\n')
      got[2] = c:send('0123456789', 3, 5)     -- '234'
      got[3] = c:send('abcdef', -3)           -- 'def'
      got[4] = c:send('abcdef', 2, -2)        -- 'bcde'
      got[5] = c:send('abc', 5, 9)            -- nothing: 4
      got[6] = c:send('abc', 0, 100)          -- 'abc'
      got[7] = c:send('')
      got[8] = c:send('xyz', 3, 1)            -- nothing: 2
      c:end_()
      received = s:receive('*a')
    end)
    assert.same({ 6, 5, 6, 5, 4, 3, 0, 2 }, got)
    assert.equal('hello\n234defbcdeabc', received)
  end)

  it('raises for bad arguments', function()
    local errs = {}
    task(function()
      local c, s = pair()
      errs[1] = H.raises(c.send, c, 5)
      errs[2] = H.raises(c.send, c, 'x', 'a')
      errs[3] = H.raises(c.send, c, 'x', 1, 2.5)
      c:destroy()
      s:destroy()
    end)
    assert.equal('ERR_INVALID_ARG_TYPE', errs[1].code)
    assert.equal('ERR_INVALID_ARG_TYPE', errs[2].code)
    assert.equal('ERR_OUT_OF_RANGE', errs[3].code)
  end)

  it("on a socket already ended or destroyed: nil, 'closed', 0, and the socket is left as it was", function()
    local got = {}
    task(function()
      local c, s = pair()
      c:end_()
      got[1] = { c:send('late') }
      got.ended_destroyed = c.destroyed
      s:destroy()
      netp.once(s, 'close')
      got[2] = { s:send('x') }
      got[3] = { net.Socket():send('x') }
      netp.once(c, 'close')
    end)
    assert.same({ nil, 'closed', 0 }, got[1])
    assert.is_false(got.ended_destroyed)
    assert.same({ nil, 'closed', 0 }, got[2])
    assert.same({ nil, 'closed', 0 }, got[3])
  end)

  it('after a failure: nil, the error, 0', function()
    local got
    task(function()
      local c, s = pair()
      s:resetAndDestroy()
      netp.once(c, 'close')
      got = { c:send('x') }
    end)
    assert.is_nil(got[1])
    assert.equal('ECONNRESET', got[2].code)
    assert.equal(0, got[3])
  end)

  it('returns only once writableLength is under writableHighWaterMark: a peer that stops reading holds it', function()
    local log = H.log()
    local lengths, hwm = {}, nil
    task(function()
      local c, s = pair()
      hwm = c.writableHighWaterMark
      local block = string.rep('b', 65536)
      local sender = netp.spawn(function()
        for i = 1, 200 do
          local last = c:send(block)
          if not last then return log('send failed') end
          lengths[i] = c.writableLength
        end
        log('sent all')
        c:end_()
      end)
      netp.sleep(150)
      -- the peer reads nothing: the sender is stuck, far from 200 blocks
      log('stuck:' .. coroutine.status(sender))
      local stuck_at = #lengths
      assert.is_true(stuck_at < 200, 'sent ' .. stuck_at)
      local all = s:receive('*a')
      log('received:' .. #all)
    end, 10000)
    assert.same({ 'stuck:suspended', 'sent all', 'received:' .. 200 * 65536 }, log.events)
    for i, len in ipairs(lengths) do
      assert.is_true(len < hwm, 'send ' .. i .. ' returned with ' .. len .. ' buffered')
    end
  end)

  it("ends a wait with nil, 'timeout', last at the idle timeout; the bytes stay queued, the socket usable",
    function()
    local got, still_open, received
    task(function()
      local c, s = pair()
      c:setTimeout(60)
      local block = string.rep('t', 1024 * 1024)
      repeat
        got = { c:send(block) }
      until got[1] == nil
      still_open = not c.destroyed and c.writable
      c:setTimeout(0)
      c:end_()
      received = #s:receive('*a')
    end, 10000)
    assert.same({ nil, 'timeout', 1024 * 1024 }, got)
    assert.is_true(still_open)
    assert.is_true(received % (1024 * 1024) == 0 and received > 0)
  end)

  it('a reset while it waits: nil, the error, 0', function()
    local got
    task(function()
      local c, s = pair()
      netp.spawn(function()
        netp.sleep(50)
        s:resetAndDestroy()
      end)
      local block = string.rep('r', 1024 * 1024)
      repeat
        got = { c:send(block) }
      until got[1] == nil
    end, 5000)
    assert.is_nil(got[1])
    assert.is_true(net.Error.is(got[2]))
    assert.is_truthy(({ ECONNRESET = true, EPIPE = true })[got[2].code], got[2].code)
    assert.equal(0, got[3])
  end)

  it('two tasks sending to one socket both wait for the drain and both finish', function()
    local done = {}
    task(function()
      local c, s = pair()
      local block = string.rep('d', 256 * 1024)
      for t = 1, 2 do
        netp.spawn(function()
          for _ = 1, 8 do assert(c:send(block)) end
          done[#done + 1] = t
        end)
      end
      local total = 0
      while total < 2 * 8 * #block do
        total = total + #assert(s:receive(65536))
      end
      c:destroy()
      s:destroy()
    end, 10000)
    table.sort(done)
    assert.same({ 1, 2 }, done)
  end)

  it('the sends of one run of a task leave in one write, when it waits', function()
    local calls, corked_inside, corked_after, got
    task(function()
      local c, s = pair()
      local before = write_calls(c)
      for i = 1, 16 do c:send('answer ' .. i .. '\n') end
      corked_inside = c.writableCorked
      netp.sleep(1)
      corked_after = c.writableCorked
      calls = write_calls(c) - before
      got = {}
      for i = 1, 16 do got[i] = s:receive() end
      c:destroy()
      s:destroy()
    end)
    assert.equal(1, calls)
    assert.equal(1, corked_inside)
    assert.equal(0, corked_after)
    assert.equal('answer 1', got[1])
    assert.equal('answer 16', got[16])
  end)

  it('a send followed by destroy() in the same run still sends its bytes', function()
    local got
    task(function()
      local c, s = pair()
      c:send('last words\n')
      c:destroy()
      got = { s:receive() }
      s:destroy()
    end)
    assert.same({ 'last words' }, got)
  end)

  it('a send followed by end_() in the same run: the bytes, then the end', function()
    local got
    task(function()
      local c, s = pair()
      c:send('a\n')
      c:send('b\n')
      c:end_()
      got = s:receive('*a')
    end)
    assert.equal('a\nb\n', got)
  end)

  it('on a socket still connecting, holds the bytes for the connection', function()
    local got
    task(function()
      local server = assert(netp.listen({ port = 0, host = '127.0.0.1' }))
      local c = net.connect(server:address().port, '127.0.0.1')
      assert.is_true(c.connecting)
      assert.equal(6, c:send('early\n'))
      c:end_()
      local s = server:accept()
      server:close()
      got = s:receive('*a')
    end)
    assert.equal('early\n', got)
  end)

  it('raises ERR_INVALID_STATE outside a task', function()
    local s = net.Socket()
    assert.equal('ERR_INVALID_STATE', H.raises(s.send, s, 'x').code)
  end)
end)
