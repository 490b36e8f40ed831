-- net.promises, the reading side: sock:receive([pattern]) and sock:lines()
-- (API.md, "Sequential style"): the patterns cut in C (csrc/framing.c),
-- the end of the stream, failures kept for the next call, the idle
-- timeout, the read-ahead bound, setEncoding.
local net = require('net')
local netp = require('net.promises')
local H = require('spec.helper')

-- Runs fn as a task and the loop until everything is closed.
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

-- Inside a task: a connected pair, client and accepted socket.
local function pair(server_opts, client_opts)
  local server = assert(netp.listen(merge({ port = 0, host = '127.0.0.1' }, server_opts)))
  local client = assert(netp.connect(merge({ port = server:address().port, host = '127.0.0.1' }, client_opts)))
  local accepted = assert(server:accept())
  server:close()
  return client, accepted
end

-- Writes each piece as a chunk of its own (a pause between them).
local function trickle(sock, pieces, ending)
  netp.spawn(function()
    for _, p in ipairs(pieces) do
      sock:write(p)
      netp.sleep(2)
    end
    if ending then sock:end_() end
  end)
end

local function bytes(s)
  local out = {}
  for i = 1, #s do out[i] = s:sub(i, i) end
  return out
end

describe('socket:receive', function()
  it("'*l' (the default, also 'l') drops the LF and a CR right before it; a CR elsewhere stays", function()
    local got = {}
    task(function()
      local c, s = pair()
      c:write('one\ntwo\r\nthree\rfour\n\r\nlast\n\n')
      got[1] = s:receive()
      got[2] = s:receive('*l')
      got[3] = s:receive('l')
      got[4] = s:receive()
      got[5] = s:receive()
      got[6] = s:receive()
      c:destroy()
      s:destroy()
    end)
    assert.same({ 'one', 'two', 'three\rfour', '', 'last', '' }, got)
  end)

  it("'*L' (also 'L') keeps the end of line as it came", function()
    local got = {}
    task(function()
      local c, s = pair()
      c:write('a\nb\r\nc\r\r\n')
      got[1] = s:receive('*L')
      got[2] = s:receive('L')
      got[3] = s:receive('*L')
      c:destroy()
      s:destroy()
    end)
    assert.same({ 'a\n', 'b\r\n', 'c\r\r\n' }, got)
  end)

  it('cuts lines that arrive one byte per chunk, CR LF split between chunks included', function()
    local got = {}
    local reads
    task(function()
      local c, s = pair()
      local text = 'hello\r\nworld\nx\ry\r\n'
      trickle(c, bytes(text), true)
      for line in s:lines() do got[#got + 1] = line end
      reads = s.bytesRead
    end, 5000)
    assert.same({ 'hello', 'world', 'x\ry' }, got)
    assert.equal(#'hello\r\nworld\nx\ry\r\n', reads)
  end)

  it('a count gives exactly n bytes, NUL bytes and every byte value included', function()
    local data = H.make_data(200000)
    local parts = {}
    task(function()
      local c, s = pair()
      c:end_(data)
      parts[1] = s:receive(1)
      parts[2] = s:receive(3)
      parts[3] = s:receive(65536)
      parts[4] = s:receive(100000)
      parts[5] = s:receive(#data - 1 - 3 - 65536 - 100000)
      local rest, err, partial = s:receive(1)
      parts.rest = { rest, err, partial }
    end, 5000)
    assert.equal(1, #parts[1])
    assert.equal(3, #parts[2])
    assert.equal(65536, #parts[3])
    assert.equal(100000, #parts[4])
    assert.equal(data, table.concat(parts))
    assert.same({ nil, 'closed', '' }, parts.rest)
    assert.is_truthy(data:find('\0', 1, true))
  end)

  it('counts of bytes with NULs across one-byte chunks', function()
    local got = {}
    task(function()
      local c, s = pair()
      trickle(c, { '\0', '\0', 'a', '\0', '\n', '\255', '\0' }, true)
      got[1] = s:receive(2)
      got[2] = s:receive(3)
      got[3] = s:receive(2)
    end)
    assert.same({ '\0\0', 'a\0\n', '\255\0' }, got)
  end)

  it('receive(0) is the empty string at once', function()
    local got
    task(function()
      local c, s = pair()
      got = s:receive(0)
      c:destroy()
      s:destroy()
    end)
    assert.equal('', got)
  end)

  it("'*a' (also 'a') reads to the end of the stream, then gives '' and never nil", function()
    local got = {}
    task(function()
      local c, s = pair()
      trickle(c, { 'ab', '\0c', 'd\n' }, true)
      got[1] = s:receive('*a')
      got[2] = s:receive('a')
      got[3] = s:receive('*a')
    end)
    assert.same({ 'ab\0cd\n', '', '' }, got)
  end)

  it("'*a' reads past the readable high-water mark", function()
    local data = H.make_data(300000)
    local got, hwm
    task(function()
      local c, s = pair({ highWaterMark = 1024 })
      c:end_(data)
      got = s:receive('*a')
      hwm = s.readableHighWaterMark
    end, 5000)
    assert.equal(data, got)
    assert.equal(1024, hwm)
  end)

  it("at the end of the stream a partial line comes back as nil, 'closed', partial; then nil, 'closed', ''", function()
    local got = {}
    task(function()
      local c, s = pair()
      c:end_('whole\npart')
      got[1] = { s:receive() }
      got[2] = { s:receive() }
      got[3] = { s:receive() }
    end)
    assert.same({ { 'whole' }, { nil, 'closed', 'part' }, { nil, 'closed', '' } }, got)
  end)

  it("a short count at the end: nil, 'closed', the bytes there were", function()
    local got
    task(function()
      local c, s = pair()
      c:end_('abc')
      got = { s:receive(5) }
    end)
    assert.same({ nil, 'closed', 'abc' }, got)
  end)

  it("reaching the end emits 'end' and, without allowHalfOpen, closes the socket", function()
    local log = H.log()
    task(function()
      local c, s = pair()
      s:on('end', function() log('end') end)
      s:on('close', function() log('close') end)
      c:end_('x\n')
      log(s:receive())
      log(select(2, s:receive()))
      netp.once(s, 'close')
      log('destroyed:' .. tostring(s.destroyed))
    end)
    assert.same({ 'x', 'closed', 'end', 'close', 'destroyed:true' }, log.events)
  end)

  it('with allowHalfOpen the socket stays writable after the end', function()
    local got
    task(function()
      local c, s = pair({ allowHalfOpen = true })
      c:end_('req\n')
      assert.equal('req', s:receive())
      assert.equal('closed', select(2, s:receive()))
      assert.is_true(s.writable)
      s:end_('answer\n')
      got = c:receive()
      c:destroy()
    end)
    assert.equal('answer', got)
  end)

  it('a reset while it waits: nil and the error; sock.errored holds it', function()
    local got, errored
    task(function()
      local c, s = pair()
      netp.spawn(function()
        netp.sleep(20)
        c:resetAndDestroy()
      end)
      got = { s:receive() }
      errored = s.errored
    end)
    assert.is_nil(got[1])
    assert.is_true(net.Error.is(got[2]))
    assert.equal('ECONNRESET', got[2].code)
    assert.equal(got[2], errored)
  end)

  it('a reset while no call waits is kept for the next call (and raises nothing out of net.run)', function()
    local got
    task(function()
      local c, s = pair()
      assert.is_nil(s.errored)
      c:write('early\nhalf')
      netp.sleep(20)
      c:resetAndDestroy()
      netp.sleep(20)
      assert.is_true(s.destroyed)
      got = { s:receive() }
      got.again = { s:receive() }
    end)
    assert.is_nil(got[1])
    assert.equal('ECONNRESET', got[2].code)
    assert.equal('early\nhalf', got[3])
    assert.equal('ECONNRESET', got.again[2].code)
  end)

  it("ends a wait with nil, 'timeout' at the idle timeout; the socket stays usable and times out again", function()
    local log = H.log()
    local elapsed = {}
    task(function()
      local c, s = pair()
      s:setTimeout(60)
      local t0 = require('net.core').now()
      log({ s:receive() })
      elapsed[1] = require('net.core').now() - t0
      assert.is_false(s.destroyed)
      c:write('later\n')
      log({ s:receive() })
      t0 = require('net.core').now()
      log({ s:receive(4) })
      elapsed[2] = require('net.core').now() - t0
      c:destroy()
      s:destroy()
    end)
    assert.same({ { nil, 'timeout' }, { 'later' }, { nil, 'timeout' } }, log.events)
    assert.is_true(elapsed[1] >= 55, 'first wait ' .. elapsed[1])
    assert.is_true(elapsed[2] >= 55, 'second wait ' .. elapsed[2])
  end)

  it('times out again with nothing in between (the idle timer is armed again for the next wait)', function()
    local got = {}
    task(function()
      local c, s = pair()
      s:setTimeout(30)
      got[1] = { s:receive() }
      got[2] = { s:receive() }
      got[3] = { s:receive(10) }
      c:destroy()
      s:destroy()
    end)
    assert.same({ { nil, 'timeout' }, { nil, 'timeout' }, { nil, 'timeout' } }, got)
  end)

  it('after a timeout the unfinished line stays buffered: the next call goes on from it', function()
    local got = {}
    task(function()
      local c, s = pair()
      s:setTimeout(40)
      c:write('par')
      got[1] = { s:receive() }
      c:write('tial\n')
      got[2] = { s:receive() }
      c:destroy()
      s:destroy()
    end)
    assert.same({ { nil, 'timeout' }, { 'partial' } }, got)
  end)

  it('the connect option timeout is the idle timeout of later receives', function()
    local got
    task(function()
      local server = assert(netp.listen({ port = 0, host = '127.0.0.1' }))
      local c = assert(netp.connect({ port = server:address().port, host = '127.0.0.1', timeout = 50 }))
      local s = assert(server:accept())
      server:close()
      got = { c:receive() }
      assert.equal(50, c.timeout)
      c:destroy()
      s:destroy()
    end)
    assert.same({ nil, 'timeout' }, got)
  end)

  it('a line longer than readableHighWaterMark comes whole; the mark stays', function()
    local long = string.rep('x', 100000)
    local got, hwm
    task(function()
      local c, s = pair({ highWaterMark = 1024 })
      trickle(c, { long:sub(1, 30000), long:sub(30001) .. '\nnext\n' }, true)
      got = s:receive()
      hwm = s.readableHighWaterMark
      assert.equal('next', s:receive())
    end, 5000)
    assert.equal(long, got)
    assert.equal(1024, hwm)
  end)

  it('reads ahead at most to the mark while nobody receives (paused mode), then the peer waits', function()
    local read_then, hwm, sent
    task(function()
      local c, s = pair()
      hwm = s.readableHighWaterMark
      local block = string.rep('z', 65536)
      netp.spawn(function()
        for _ = 1, 64 do
          if not c:send(block) then break end
        end
      end)
      netp.sleep(150)
      read_then = s.bytesRead
      sent = c.bytesWritten
      assert.is_true(c.writableLength > 0 or c.writableNeedDrain)
      c:destroy()
      s:destroy()
    end, 5000)
    -- C stops reading once the buffer reaches the mark: one read (at most
    -- 64 KiB) may pass it
    assert.is_true(read_then < hwm + 65536, 'read ahead ' .. read_then)
    assert.is_true(sent > read_then)
  end)

  it('after a receive, reading stops again at the mark', function()
    local before, after
    task(function()
      local c, s = pair({ highWaterMark = 4096 })
      netp.spawn(function()
        local chunk = string.rep('y', 1000) .. '\n'
        for _ = 1, 2000 do
          if not c:send(chunk) then break end
        end
      end)
      netp.sleep(50)
      before = s.bytesRead
      for _ = 1, 10 do assert.equal(1000, #s:receive()) end
      netp.sleep(50)
      after = s.bytesRead
      c:destroy()
      s:destroy()
    end, 5000)
    assert.is_true(before < 4096 + 65536)
    assert.is_true(after - before < 4096 + 65536 + 11 * 1001, 'read ' .. (after - before))
  end)

  it('with setEncoding lines are text and a count counts as read(n) does (UTF-16 code units)', function()
    local got = {}
    task(function()
      local c, s = pair()
      s:setEncoding('utf8')
      -- 'é' is 2 bytes, one unit; the emoji 4 bytes, two units; split across chunks
      local text = 'h\195\169llo\n\240\159\152\128ab'
      local pieces = {}
      for i = 1, #text do pieces[i] = text:sub(i, i) end
      trickle(c, pieces, true)
      got[1] = s:receive()
      got[2] = s:receive(3)
      got[3] = { s:receive(5) }
    end, 5000)
    assert.equal('h\195\169llo', got[1])
    assert.equal('\240\159\152\128a', got[2])
    assert.same({ nil, 'closed', 'b' }, got[3])
  end)

  it('takes a flowing socket out of flowing mode while it waits', function()
    local flowing, got
    task(function()
      local c, s = pair()
      s:resume()
      netp.sleep(5)
      assert.is_true(s.readableFlowing)
      netp.spawn(function()
        netp.sleep(10)
        c:write('hi\n')
      end)
      got = s:receive()
      flowing = s.readableFlowing
      c:destroy()
      s:destroy()
    end)
    assert.equal('hi', got)
    assert.is_false(flowing)
  end)

  it('on a socket still connecting, waits for the connection first', function()
    local got
    task(function()
      local server = assert(netp.listen({ port = 0, host = '127.0.0.1',
        connectionListener = function(sock) sock:end_('welcome\n') end }))
      local c = net.connect(server:address().port, '127.0.0.1')
      assert.is_true(c.connecting)
      got = c:receive()
      c:destroy()
      server:close()
    end)
    assert.equal('welcome', got)
  end)

  it("on a socket that was never connected: nil, 'closed'", function()
    local got
    task(function()
      got = { net.Socket():receive() }
    end)
    assert.same({ nil, 'closed', '' }, got)
  end)

  it('raises ERR_INVALID_STATE when another task is receiving on the socket', function()
    local err
    task(function()
      local c, s = pair()
      netp.spawn(function() s:receive() end)
      local ok, e = pcall(s.receive, s)
      assert.is_false(ok)
      err = e
      c:end_()
      s:end_()
    end)
    assert.equal('ERR_INVALID_STATE', err.code)
  end)

  it('raises ERR_INVALID_STATE on a socket whose data goes to onread', function()
    local err
    task(function()
      local server = assert(netp.listen({ port = 0, host = '127.0.0.1' }))
      local c = assert(netp.connect({ port = server:address().port, host = '127.0.0.1',
        onread = { buffer = 64, callback = function() end } }))
      local s = server:accept()
      server:close()
      err = H.raises(c.receive, c)
      c:destroy()
      s:destroy()
    end)
    assert.equal('ERR_INVALID_STATE', err.code)
  end)

  it('raises for a pattern it does not know', function()
    local errs = {}
    task(function()
      local c, s = pair()
      errs[1] = H.raises(s.receive, s, '*x')
      errs[2] = H.raises(s.receive, s, {})
      errs[3] = H.raises(s.receive, s, -1)
      errs[4] = H.raises(s.receive, s, 1.5)
      c:destroy()
      s:destroy()
    end)
    assert.equal('ERR_INVALID_ARG_VALUE', errs[1].code)
    assert.equal('ERR_INVALID_ARG_TYPE', errs[2].code)
    assert.equal('ERR_OUT_OF_RANGE', errs[3].code)
    assert.equal('ERR_OUT_OF_RANGE', errs[4].code)
  end)

  it('where the task cannot yield (a C callback) it answers from the buffer, and raises if it must wait', function()
    local got, err
    task(function()
      local c, s = pair()
      c:write('there\n')
      netp.sleep(20)
      string.gsub('x', 'x', function()
        got = s:receive()
        local ok, e = pcall(s.receive, s)
        assert.is_false(ok)
        err = e
      end)
      c:destroy()
      s:destroy()
    end)
    assert.equal('there', got)
    assert.equal('ERR_INVALID_STATE', err.code)
  end)

  it('raises ERR_INVALID_STATE outside a task (a listener), even with a line buffered', function()
    local err, still
    task(function()
      local c, s = pair()
      c:write('ready\n')
      netp.sleep(20)
      require('net.timers').setTimeout(function()
        err = H.raises(s.receive, s)
        still = s.readableLength
        c:destroy()
        s:destroy()
      end, 1)
    end)
    assert.equal('ERR_INVALID_STATE', err.code)
    assert.equal('Error', err.name)
    assert.equal(6, still)
  end)
end)

describe('socket:lines', function()
  it('iterates over the lines and ends at the end of the stream (a last partial line is not a line)', function()
    local got = {}
    task(function()
      local c, s = pair()
      c:end_('a\r\nb\n\nc')
      for line in s:lines() do got[#got + 1] = line end
    end)
    assert.same({ 'a', 'b', '' }, got)
  end)

  it('ends at a failure; sock.errored then holds it', function()
    local got, errored = {}, nil
    task(function()
      local c, s = pair()
      netp.spawn(function()
        c:write('one\n')
        netp.sleep(20)
        c:resetAndDestroy()
      end)
      for line in s:lines() do got[#got + 1] = line end
      errored = s.errored
    end)
    assert.same({ 'one' }, got)
    assert.equal('ECONNRESET', errored.code)
  end)

  it('raises ERR_INVALID_STATE when iterated outside a task', function()
    local s = net.Socket()
    local it = s:lines()
    assert.equal('ERR_INVALID_STATE', H.raises(it).code)
  end)
end)
