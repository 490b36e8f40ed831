-- The readable side in paused mode ('readable', read([size]), read-ahead,
-- readableFlowing, errored, setEncoding), onread's buffer function and
-- pipe(), checked against Node v20: every expected list below is what
-- `node spec/node/stream_paused.js <scenario>` (or stream_write.js for the
-- pipe scenarios) prints for the same scenario.
local net = require('net')
local timers = require('net.timers')
local H = require('spec.helper')

local serve = H.serve
local core = require('net.core')
-- the gaps that keep chunks apart grow with slow runs (ASan, valgrind)
local function later(ms, fn) return timers.setTimeout(fn, ms * H.SCALE) end
local function str(v) if v == nil then return 'null' end return tostring(v) end

describe('paused mode', function()
  it("readable-read-all: 'readable' per chunk, read() takes everything, a last 'readable' at the end", function()
    local log = H.log()
    serve(function(c)
      c:write('hello')
      later(50, function() c:write(' world'); later(50, function() c:end_() end) end)
    end, function(port, server)
      local s = net.connect(port, '127.0.0.1')
      log('flowing:' .. str(s.readableFlowing))
      s:on('readable', function()
        log('readable:len=' .. s.readableLength)
        local ch = s:read()
        while ch ~= nil do log('read:' .. ch); ch = s:read() end
        log('after:len=' .. s.readableLength .. ':flowing=' .. str(s.readableFlowing))
      end)
      log('flowing-after-readable-listener:' .. str(s.readableFlowing))
      s:on('end', function() log('end:readableEnded=' .. str(s.readableEnded)) end)
      s:on('close', function(h) log('close:' .. str(h)); server:close() end)
    end)
    H.run(3000)
    assert.same({
      'flowing:null', 'flowing-after-readable-listener:false', 'readable:len=5', 'read:hello',
      'after:len=0:flowing=false', 'readable:len=6', 'read: world', 'after:len=0:flowing=false',
      'readable:len=0', 'after:len=0:flowing=false', 'end:readableEnded=true', 'close:false',
    }, log.events)
  end)

  it('read-n: read(n) gives n bytes or nil; past the mark it raises the mark; at the end, the rest', function()
    local log = H.log()
    serve(function(c)
      c:write('abcdefghijk')
      later(50, function() c:end_() end)
    end, function(port, server)
      local s = net.connect(port, '127.0.0.1')
      local first = true
      s:on('readable', function()
        log('readable:len=' .. s.readableLength)
        if first then
          first = false
          -- as the JS evaluates its arguments before pushing: 'data' events first
          local a, b, c = s:read(4), s:read(4), s:read(4)
          log('read4:' .. str(a)); log('read4:' .. str(b)); log('read4:' .. str(c)); log('len:' .. s.readableLength)
          local big = s:read(20000)
          log('read20000:' .. str(big)); log('rhwm:' .. s.readableHighWaterMark)
          local z, neg, frac = s:read(0), s:read(-1), s:read(2.9)
          log('read0:' .. str(z)); log('read-1:' .. str(neg)); log('read2.9:' .. str(frac))
          log('len:' .. s.readableLength)
        else
          local a, b = s:read(4), s:read(4)
          log('read4:' .. str(a)); log('read4:' .. str(b)); log('len:' .. s.readableLength)
        end
      end)
      s:on('data', function(d) log('data:' .. d) end)
      s:on('end', function() log('end') end)
      s:on('close', function(h) log('close:' .. str(h)); server:close() end)
    end)
    H.run(3000)
    assert.same({
      'readable:len=11', 'data:abcd', 'data:efgh', 'read4:abcd', 'read4:efgh', 'read4:null', 'len:3',
      'read20000:null', 'rhwm:32768', 'data:ij', 'read0:null', 'read-1:null', 'read2.9:ij', 'len:1',
      'readable:len=1', 'data:k', 'read4:k', 'read4:null', 'len:0', 'end', 'close:false',
    }, log.events)
  end)

  it('flowing-states: readableFlowing through listeners, pause, resume and assignment', function()
    local log = H.log()
    local s = net.Socket()
    local function f() return str(s.readableFlowing) end
    log('new:' .. f() .. ':isPaused=' .. str(s:isPaused()))
    local function ondata() end
    s:on('data', ondata); log('data-listener:' .. f())
    s:pause(); log('pause:' .. f() .. ':isPaused=' .. str(s:isPaused()))
    s:resume(); log('resume:' .. f() .. ':isPaused=' .. str(s:isPaused()))
    local function onr() end
    s:on('readable', onr); log('readable-listener:' .. f())
    s:removeListener('readable', onr); log('readable-removed-sync:' .. f())
    local t = net.Socket()
    core.nextTick(function()
      log('readable-removed-tick:' .. f())
      s:removeListener('data', ondata); log('data-removed:' .. f())
      t:on('readable', onr); log('t-readable:' .. str(t.readableFlowing))
      t:removeListener('readable', onr)
      core.nextTick(function()
        local function tf() return str(t.readableFlowing) .. ':isPaused=' .. str(t:isPaused()) end
        log('t-readable-removed-tick:' .. str(t.readableFlowing))
        t.readableFlowing = true; log('t-assign-true:' .. tf())
        t.readableFlowing = false; log('t-assign-false:' .. tf())
        t.readableFlowing = nil; log('t-assign-null:' .. tf())
        t:pause(); log('t-pause:' .. tf())
        t.readableFlowing = nil; log('t-assign-null-after-pause:' .. tf())
        s:destroy(); t:destroy()
      end)
    end)
    H.run(1000)
    assert.same({
      'new:null:isPaused=false', 'data-listener:true', 'pause:false:isPaused=true', 'resume:true:isPaused=false',
      'readable-listener:false', 'readable-removed-sync:false', 'readable-removed-tick:true', 'data-removed:true',
      't-readable:false', 't-readable-removed-tick:null', 't-assign-true:true:isPaused=false',
      't-assign-false:false:isPaused=true', 't-assign-null:null:isPaused=false', 't-pause:false:isPaused=true',
      't-assign-null-after-pause:null:isPaused=true',
    }, log.events)
  end)

  it("assign-flowing-false-before-connect: a 'data' listener does not start the flow; resume() does", function()
    local log = H.log()
    serve(function(c) c:end_('abc') end, function(port, server)
      local s = net.connect(port, '127.0.0.1')
      s.readableFlowing = false
      s:on('data', function(d) log('data:' .. d) end)
      s:on('end', function() log('end') end)
      later(100, function()
        log('after-100ms:bytesRead=' .. s.bytesRead .. ':len=' .. s.readableLength
          .. ':flowing=' .. str(s.readableFlowing))
        s:resume()
        log('resumed:flowing=' .. str(s.readableFlowing))
      end)
      s:on('close', function(h) log('close:' .. str(h)); server:close() end)
    end)
    H.run(3000)
    assert.same({
      'after-100ms:bytesRead=0:len=0:flowing=false', 'resumed:flowing=true', 'data:abc', 'end', 'close:false',
    }, log.events)
  end)

  it('errored: nil, then the very error passed to destroy(err)', function()
    local log = H.log()
    local s = net.Socket()
    log('before:' .. str(s.errored))
    local e = net.Error('boom')
    s:on('error', function(x)
      log('error:same=' .. str(rawequal(x, e)) .. ':errored-same=' .. str(rawequal(s.errored, e)))
    end)
    s:destroy(e)
    log('after-destroy:same=' .. str(rawequal(s.errored, e)))
    local t = net.Socket()
    t:destroy()
    log('destroy-no-err:' .. str(t.errored))
    s:on('close', function() log('close:errored-same=' .. str(rawequal(s.errored, e))) end)
    H.run(1000)
    assert.same({
      'before:null', 'after-destroy:same=true', 'destroy-no-err:null', 'error:same=true:errored-same=true',
      'close:errored-same=true',
    }, log.events)
  end)

  it("end-after-read-drains: 'end' waits until read() has taken the buffer", function()
    local log = H.log()
    serve(function(c) c:end_('abc') end, function(port, server)
      local s = net.connect(port, '127.0.0.1')
      local n = 0
      s:on('readable', function()
        n = n + 1
        log('readable#' .. n .. ':len=' .. s.readableLength)
        if n == 1 then
          later(100, function()
            log('later:ended=' .. str(s.readableEnded) .. ':len=' .. s.readableLength)
            log('read:' .. str(s:read()))
            log('read-again:' .. str(s:read()))
          end)
        end
      end)
      s:on('end', function() log('end') end)
      s:on('close', function(h) log('close:' .. str(h)); server:close() end)
    end)
    H.run(3000)
    assert.same({
      'readable#1:len=3', 'readable#2:len=3', 'later:ended=false:len=3', 'read:abc', 'read-again:null', 'end',
      'close:false',
    }, log.events)
  end)

  it("readable-removed-back-to-flowing: without its 'readable' listener the socket flows to 'data'", function()
    local log = H.log()
    serve(function(c)
      c:write('one')
      later(80, function() c:write('two'); later(50, function() c:end_() end) end)
    end, function(port, server)
      local s = net.connect(port, '127.0.0.1')
      s:on('data', function(d) log('data:' .. d .. ':flowing=' .. str(s.readableFlowing)) end)
      local onr
      function onr()
        log('readable:flowing=' .. str(s.readableFlowing))
        local ch = s:read()
        while ch ~= nil do log('read:' .. ch); ch = s:read() end
        s:removeListener('readable', onr)
        log('removed:flowing=' .. str(s.readableFlowing))
        timers.setImmediate(function() log('next:flowing=' .. str(s.readableFlowing)) end)
      end
      s:on('readable', onr)
      s:on('end', function() log('end') end)
      s:on('close', function(h) log('close:' .. str(h)); server:close() end)
    end)
    H.run(3000)
    assert.same({
      'readable:flowing=false', 'data:one:flowing=false', 'read:one', 'removed:flowing=false', 'next:flowing=true',
      'data:two:flowing=true', 'end', 'close:false',
    }, log.events)
  end)

  -- Node reads 64 KiB at a time and stops once the buffer reaches the mark,
  -- so the buffer ends in [mark, mark + 64 KiB): the exact figure depends
  -- on how the kernel hands the bytes over.
  local function read_ahead(opts, label)
    local log = H.log()
    local N = 1 << 20
    serve(function(c) c:end_(('x'):rep(N)) end, function(port, server)
      local o = { port = port, host = '127.0.0.1' }
      for k, v in pairs(opts) do o[k] = v end
      local s = net.connect(o)
      local hwm = s.readableHighWaterMark
      log('rhwm:' .. hwm)
      local function in_range() return s.readableLength >= hwm and s.readableLength < hwm + 65536 end
      later(200, function()
        log('idle:flowing=' .. str(s.readableFlowing) .. ':inRange=' .. str(in_range()) .. ':bytesRead=len:'
          .. str(s.bytesRead == s.readableLength))
        local first = s:read()
        log('read-all:' .. str(#first >= hwm) .. ':len=' .. s.readableLength)
        later(200, function()
          log('refilled:inRange=' .. str(in_range()) .. ':bytesRead>first:' .. str(s.bytesRead > #first))
          local got = #first
          s:on('data', function(d) got = got + #d end)
          s:on('end', function() log('end:got=' .. got) end)
        end)
      end)
      s:on('close', function(h) log('close:' .. str(h)); server:close() end)
    end)
    H.run(5000)
    return log.events, label
  end

  it('read-ahead: with no consumer the buffer fills to readableHighWaterMark, then again after read()', function()
    local expect = function(hwm)
      return {
        'rhwm:' .. hwm, 'idle:flowing=null:inRange=true:bytesRead=len:true', 'read-all:true:len=0',
        'refilled:inRange=true:bytesRead>first:true', 'end:got=1048576', 'close:false',
      }
    end
    assert.same(expect(16384), (read_ahead({})))
    assert.same(expect(262144), (read_ahead({ readableHighWaterMark = 256 * 1024 })))
    assert.same(expect(100), (read_ahead({ highWaterMark = 100 })))
  end)

  it("late-listeners: read() while connecting is nil; a late 'readable' listener hears of read-ahead data", function()
    local log = H.log()
    serve(function(c)
      c:write('early')
      later(100, function() c:end_('late') end)
    end, function(port, server)
      local s = net.connect(port, '127.0.0.1')
      log('read-connecting:' .. str(s:read()) .. ':flowing=' .. str(s.readableFlowing))
      later(50, function()
        log('buffered:' .. s.readableLength)
        s:on('readable', function()
          log('readable:len=' .. s.readableLength)
          local ch = s:read()
          while ch ~= nil do log('read:' .. ch); ch = s:read() end
        end)
        log('sync-after-listener')
      end)
      s:on('end', function() log('end') end)
      s:on('close', function(h) log('close:' .. str(h)); server:close() end)
    end)
    H.run(3000)
    assert.same({
      'read-connecting:null:flowing=null', 'buffered:5', 'sync-after-listener', 'readable:len=5', 'read:early',
      'readable:len=4', 'read:late', 'readable:len=0', 'end', 'close:false',
    }, log.events)
  end)

  it("late-data-listener: a 'data' listener added after read-ahead gets the buffered chunk first", function()
    local log = H.log()
    serve(function(c)
      c:write('early')
      later(100, function() c:end_('late') end)
    end, function(port, server)
      local s = net.connect(port, '127.0.0.1')
      later(50, function()
        log('buffered:' .. s.readableLength)
        s:on('data', function(d) log('data:' .. d .. ':len=' .. s.readableLength) end)
        log('sync-after-listener:flowing=' .. str(s.readableFlowing))
      end)
      s:on('end', function() log('end') end)
      s:on('close', function(h) log('close:' .. str(h)); server:close() end)
    end)
    H.run(3000)
    assert.same({
      'buffered:5', 'sync-after-listener:flowing=true', 'data:early:len=0', 'data:late:len=0', 'end', 'close:false',
    }, log.events)
  end)

  it("pause-with-readable: resume() does not make the socket flow while 'readable' listens", function()
    local log = H.log()
    serve(function(c)
      c:write('abc')
      later(50, function() c:end_() end)
    end, function(port, server)
      local s = net.connect(port, '127.0.0.1')
      s:on('readable', function()
        log('readable:len=' .. s.readableLength)
        local ch = s:read()
        while ch ~= nil do log('read:' .. ch); ch = s:read() end
      end)
      s:pause(); log('pause:' .. str(s.readableFlowing) .. ':' .. str(s:isPaused()))
      s:resume(); log('resume:' .. str(s.readableFlowing) .. ':' .. str(s:isPaused()))
      s:on('end', function() log('end') end)
      s:on('close', function(h) log('close:' .. str(h)); server:close() end)
    end)
    H.run(3000)
    assert.same({
      'pause:false:true', 'resume:false:true', 'readable:len=3', 'read:abc', 'readable:len=0', 'end', 'close:false',
    }, log.events)
  end)

  it('set-encoding-paused: read() returns text; a character split across chunks is never split', function()
    local log = H.log()
    serve(function(c)
      c:write('a\xe2\x82')
      later(50, function() c:write('\xacx'); later(50, function() c:end_('\xc3') end) end)
    end, function(port, server)
      local s = net.connect(port, '127.0.0.1')
      s:setEncoding('utf8')
      s:on('readable', function()
        log('readable:len=' .. s.readableLength)
        local ch = s:read()
        while ch ~= nil do log('read:' .. ch .. ':' .. type(ch)); ch = s:read() end
      end)
      s:on('end', function() log('end') end)
      s:on('close', function(h) log('close:' .. str(h)); server:close() end)
    end)
    H.run(3000)
    -- readableLength counts the text as Node does: UTF-16 code units
    assert.same({
      'readable:len=1', 'read:a:string', 'readable:len=2', 'read:\u{20ac}x:string', 'readable:len=1',
      'read:\u{fffd}:string', 'end', 'close:false',
    }, log.events)
  end)

  it('set-encoding-read-n: read(n) counts characters of the decoded text', function()
    local log = H.log()
    serve(function(c)
      c:write('abcdef')
      later(50, function() c:end_() end)
    end, function(port, server)
      local s = net.connect(port, '127.0.0.1')
      s:setEncoding('hex')
      s:once('readable', function()
        local len1 = s.readableLength
        local r = s:read(5)
        log('len:' .. len1); log('read5:' .. str(r)); log('len:' .. s.readableLength)
        s:on('readable', function()
          local ch = s:read()
          while ch ~= nil do log('read:' .. ch); ch = s:read() end
        end)
      end)
      s:on('end', function() log('end') end)
      s:on('close', function() server:close() end)
    end)
    H.run(3000)
    assert.same({ 'len:12', 'read5:61626', 'len:7', 'read:3646566', 'end' }, log.events)
  end)

  it('set-encoding-units: readableLength and read(n) count UTF-16 code units, as Node counts a string', function()
    local log = H.log()
    serve(function(c)
      c:write('\u{20ac}\u{1f600}ab\u{e9}')
      later(50, function() c:end_() end)
    end, function(port, server)
      local s = net.connect(port, '127.0.0.1')
      s:setEncoding('utf8')
      s:once('readable', function()
        log('len:' .. s.readableLength)
        log('read1:' .. str(s:read(1))); log('len:' .. s.readableLength)
        log('read2:' .. str(s:read(2))); log('len:' .. s.readableLength)
        local r4, r3 = s:read(4), s:read(3)
        log('read4:' .. str(r4)); log('read3:' .. str(r3)); log('len:' .. s.readableLength)
        s:on('readable', function()
          local ch = s:read()
          while ch ~= nil do log('read:' .. ch); ch = s:read() end
        end)
      end)
      s:on('end', function() log('end') end)
      s:on('close', function() server:close() end)
    end)
    H.run(3000)
    assert.same({
      'len:6', 'read1:\u{20ac}', 'len:5', 'read2:\u{1f600}', 'len:3', 'read4:null', 'read3:ab\u{e9}', 'len:0', 'end',
    }, log.events)
  end)
end)

describe('onread', function()
  it('onread-buffer-calls: the buffer function is asked once when the handle is made, then after each read', function()
    local log = H.log()
    local calls = 0
    serve(function(c) c:end_('abcdefghijk') end, function(port, server)
      local got = {}
      local s = net.connect({
        port = port, host = '127.0.0.1',
        onread = {
          buffer = function() calls = calls + 1; return 2 end,
          callback = function(_, chunk) got[#got + 1] = chunk end,
        },
      })
      log('calls-after-connect-call:' .. calls)
      s:on('connect', function() log('connect:calls=' .. calls) end)
      s:on('end', function() log('end:calls=' .. calls) end)
      s:on('close', function()
        log('close:calls=' .. calls); log('got:' .. table.concat(got, ','))
        server:close()
      end)
    end)
    H.run(3000)
    assert.same({
      'calls-after-connect-call:1', 'connect:calls=1', 'end:calls=7', 'close:calls=7', 'got:ab,cd,ef,gh,ij,k',
    }, log.events)
  end)

  it('onread-buffer-calls-socket: Socket({ onread }) asks nothing until connect() makes the handle', function()
    local log = H.log()
    local calls = 0
    serve(function(c) c:end_('abcde') end, function(port, server)
      local s = net.Socket({ onread = {
        buffer = function() calls = calls + 1; return 2 end, callback = function() end,
      } })
      log('after-new:' .. calls)
      s:connect(port, '127.0.0.1')
      log('after-connect-call:' .. calls)
      s:on('close', function() log('close:calls=' .. calls); server:close() end)
    end)
    H.run(3000)
    assert.same({ 'after-new:0', 'after-connect-call:1', 'close:calls=4' }, log.events)
  end)
end)

describe('pipe', function()
  local function counts(x)
    local t = {}
    for _, n in ipairs({ 'data', 'end', 'drain', 'finish', 'close', 'unpipe', 'error' }) do
      t[#t + 1] = x:listenerCount(n)
    end
    return table.concat(t, ',')
  end

  it("pipe-end-order: pipe, the source's end, the destination's finish, unpipe, close; no listener left", function()
    local log = H.log()
    local src_conn
    serve(function(c)
      if not src_conn then
        src_conn = c
        c:write('hello')
        later(50, function() c:end_() end)
        return
      end
      local got = ''
      c:on('data', function(d) got = got .. d end)
      c:on('end', function() log('sink-got:' .. got); c:end_() end)
    end, function(port, server)
      local src
      src = net.connect(port, '127.0.0.1', function()
        local dest
        dest = net.connect(port, '127.0.0.1', function()
          dest:on('pipe', function(x) log('pipe:' .. str(rawequal(x, src))) end)
          dest:on('unpipe', function(x) log('unpipe:' .. str(rawequal(x, src))) end)
          dest:on('finish', function() log('dest-finish') end)
          local before
          dest:on('close', function()
            log('dest-close'); log('listeners-as-before:' .. str(counts(src) .. '/' .. counts(dest) == before))
            server:close()
          end)
          src:on('end', function() log('src-end') end)
          before = counts(src) .. '/' .. counts(dest)
          log('returns-dest:' .. str(rawequal(src:pipe(dest), dest)))
        end)
      end)
    end)
    H.run(3000)
    assert.same({
      'pipe:true', 'returns-dest:true', 'src-end', 'dest-finish', 'unpipe:true', 'sink-got:hello', 'dest-close',
      'listeners-as-before:true',
    }, log.events)
  end)

  it("pipe-end-false: { end = false } leaves the destination open; 'unpipe' at the source's end", function()
    local log = H.log()
    local first = true
    serve(function(c)
      if first then
        first = false
        c:write('hello')
        later(50, function() c:end_() end)
        return
      end
      local got = ''
      c:on('data', function(d) got = got .. d end)
      c:on('end', function() log('sink-got:' .. got); c:end_() end)
    end, function(port, server)
      local src
      src = net.connect(port, '127.0.0.1', function()
        local dest
        dest = net.connect(port, '127.0.0.1', function()
          dest:on('unpipe', function() log('unpipe:writable=' .. str(dest.writable)) end)
          dest:on('finish', function() log('dest-finish') end)
          src:on('end', function()
            log('src-end')
            timers.setImmediate(function() log('dest-writable:' .. str(dest.writable)); dest:end_(' world') end)
          end)
          dest:on('close', function() log('dest-close'); server:close() end)
          src:pipe(dest, { ['end'] = false })
        end)
      end)
    end)
    H.run(3000)
    assert.same({
      'src-end', 'unpipe:writable=true', 'dest-writable:true', 'dest-finish', 'sink-got:hello world', 'dest-close',
    }, log.events)
  end)

  -- Node throws a plain TypeError from inside pipe() ("dest.on is not a
  -- function") and leaves its 'end' listener behind; here the argument is
  -- checked first: a net.Error TypeError, nothing added.
  it('pipe-bad-args: no destination, a number, NaN raise a TypeError, add no listener; pipe(d, 5) works', function()
    local s = net.Socket()
    local before = counts(s) .. ':' .. s:listenerCount('pause') .. ':' .. s:listenerCount('resume')
    for _, args in ipairs({ {}, { 5 }, { 0 / 0 }, { {} }, { 'x' } }) do
      local err = H.raises(s.pipe, s, table.unpack(args, 1, 1))
      assert.equal('TypeError', err.name)
      assert.equal('ERR_INVALID_ARG_TYPE', err.code)
      local want = 'The "destination" argument must be an instance of Writable'
      assert.truthy(err.message:find(want, 1, true), err.message)
    end
    assert.equal(before, counts(s) .. ':' .. s:listenerCount('pause') .. ':' .. s:listenerCount('resume'))
    local d = net.Socket()
    assert.is_true(rawequal(s:pipe(d, 5), d))
    s:destroy(); d:destroy()
    H.run(1000)
  end)
end)
