-- The writable side: what write() returns in every state, write after
-- end_, writableNeedDrain and the high-water marks, the objectMode options,
-- write callbacks pending at a reset or destroy, and assigning fields,
-- checked against Node v20: every expected list below is what
-- `node spec/node/stream_write.js <scenario>` prints for the same scenario.
local net = require('net')
local timers = require('net.timers')
local H = require('spec.helper')

local serve = H.serve
-- the gaps that keep chunks apart grow with slow runs (ASan, valgrind)
local function later(ms, fn) return timers.setTimeout(fn, ms * H.SCALE) end
local function str(v) if v == nil then return 'null' end return tostring(v) end
local function code(e) if e == nil then return 'null' end return tostring(e.code) end

-- write() answers exactly one value, as a JS function returns one
local function one(...)
  assert.equal(1, select('#', ...), 'write() returned ' .. select('#', ...) .. ' values')
  return str((...))
end

-- every event of interest on s, into log, with a prefix
local function watch(s, log, p)
  for _, ev in ipairs({ 'error', 'finish', 'end', 'close', 'drain' }) do
    s:on(ev, function(x)
      local extra = ''
      if ev == 'error' then extra = ':' .. code(x) elseif ev == 'close' then extra = ':' .. str(x) end
      log(p .. ev .. extra)
    end)
  end
end

describe('write()', function()
  it('write-returns: one boolean in every state (new, connecting, open, ended, destroyed), cb or not', function()
    local log = H.log()
    local n = net.Socket()
    watch(n, log, 'new:')
    -- Node's close on a socket that never had a handle has no argument
    log('new:returns:' .. one(n:write('x', function(e) log('new:cb:' .. code(e)) end)))
    serve(function(c)
      c:resume()
      c:on('end', function() c:end_() end)
    end, function(port, server)
      local s = net.connect(port, '127.0.0.1')
      log('connecting:' .. one(s:write('a')) .. ':' .. one(s:write('b', function() log('connecting:cb') end))
        .. ':' .. one(s:write('6364', 'hex'))
        .. ':' .. one(s:write('6566', 'hex', function() log('connecting:hex-cb') end)))
      s:on('connect', function()
        log('open:' .. one(s:write('g')) .. ':' .. one(s:write('h', function() end)) .. ':' .. one(s:write('69', 'hex'))
          .. ':' .. one(s:write('6a', 'hex', function() end)))
        s:end_()
        log('ended:' .. one(s:write('k', function(e) log('ended:cb:' .. code(e)) end)))
      end)
      s:on('error', function(e)
        log('open:error:' .. code(e))
        local d = net.Socket()
        d:destroy()
        log('destroyed:' .. one(d:write('x'))
          .. ':' .. one(d:write('y', function(e2) log('destroyed:cb:' .. code(e2)) end))
          .. ':' .. one(d:write('7a', 'hex')))
        d:on('close', function() server:close() end)
      end)
    end)
    H.run(3000)
    assert.same({
      'new:returns:false', 'new:cb:ERR_SOCKET_CLOSED', 'new:error:ERR_SOCKET_CLOSED', 'new:close:null',
      'connecting:true:true:true:true', 'open:true:true:true:true', 'ended:false', 'connecting:cb', 'connecting:hex-cb',
      'ended:cb:ERR_STREAM_WRITE_AFTER_END', 'open:error:ERR_STREAM_WRITE_AFTER_END', 'destroyed:false:false:false',
      'destroyed:cb:ERR_STREAM_DESTROYED',
    }, log.events)
  end)
end)

describe('write after end_', function()
  local function after_end(setup)
    local log = H.log()
    serve(function(c)
      c:resume()
      c:on('error', function() end)
    end, function(port, server)
      local s = net.connect(port, '127.0.0.1')
      watch(s, log, '')
      setup(s, log)
      s:on('close', function()
        log('destroyed:' .. str(s.destroyed)); log('errored:' .. code(s.errored))
        log('writableFinished:' .. str(s.writableFinished))
        server:close()
      end)
    end)
    H.run(3000)
    return log.events
  end
  local TAIL = { 'destroyed:true', 'errored:ERR_STREAM_WRITE_AFTER_END', 'writableFinished:false' }
  local function with_tail(t, tail)
    for _, v in ipairs(tail or TAIL) do t[#t + 1] = v end
    return t
  end

  it("write-after-end-open: false; the write's cb, then end_'s cb, get the error; 'error'; close(true)", function()
    assert.same(with_tail({
      'write:false', 'sync:destroyed=true:writable=false', 'write-cb:ERR_STREAM_WRITE_AFTER_END:same-as-errored=true',
      'end-cb:ERR_STREAM_WRITE_AFTER_END', 'error:ERR_STREAM_WRITE_AFTER_END', 'close:true',
    }), after_end(function(s, log)
      s:on('connect', function()
        s:end_(function(e) log('end-cb:' .. code(e)) end)
        log('write:' .. one(s:write('late', function(e)
          log('write-cb:' .. code(e) .. ':same-as-errored=' .. str(rawequal(e, s.errored)))
        end)))
        log('sync:destroyed=' .. str(s.destroyed) .. ':writable=' .. str(s.writable))
      end)
    end))
  end)

  it("write-after-end-nocb: false, 'error', close(true)", function()
    assert.same(with_tail({ 'write:false', 'error:ERR_STREAM_WRITE_AFTER_END', 'close:true' }),
      after_end(function(s, log)
        s:on('connect', function()
          s:end_()
          log('write:' .. one(s:write('late')))
        end)
      end))
  end)

  it('write-after-end-connecting: the same while connecting', function()
    assert.same(with_tail({
      'write:false', 'write-cb:ERR_STREAM_WRITE_AFTER_END', 'end-cb:ERR_STREAM_WRITE_AFTER_END',
      'error:ERR_STREAM_WRITE_AFTER_END', 'close:true',
    }), after_end(function(s, log)
      s:end_(function(e) log('end-cb:' .. code(e)) end)
      log('write:' .. one(s:write('late', function(e) log('write-cb:' .. code(e)) end)))
    end))
  end)

  it("write-after-finish: end_'s cb and 'finish' first; the late write errors the socket", function()
    assert.same(with_tail({
      'end-cb:null', 'finish', 'write:false', 'write-cb:ERR_STREAM_WRITE_AFTER_END', 'error:ERR_STREAM_WRITE_AFTER_END',
      'close:true',
    }, { 'destroyed:true', 'errored:ERR_STREAM_WRITE_AFTER_END', 'writableFinished:true' }), after_end(function(s, log)
      s:on('connect', function()
        s:end_(function(e) log('end-cb:' .. code(e)) end)
        s:once('finish', function()
          log('write:' .. one(s:write('late', function(e) log('write-cb:' .. code(e)) end)))
        end)
      end)
    end))
  end)

  it("end-data-after-end: end_(data) after end_: both end_ cbs get the error, around 'error'", function()
    assert.same(with_tail({
      'end1-cb:ERR_STREAM_WRITE_AFTER_END', 'error:ERR_STREAM_WRITE_AFTER_END', 'end2-cb:ERR_STREAM_WRITE_AFTER_END',
      'close:true',
    }), after_end(function(s, log)
      s:on('connect', function()
        s:end_(function(e) log('end1-cb:' .. code(e)) end)
        s:end_('more', function(e) log('end2-cb:' .. code(e)) end)
      end)
    end))
  end)
end)

describe('writableNeedDrain and high-water marks', function()
  it('need-drain: true after write() said false, until drain; false after end_() and after destroy()', function()
    local log = H.log()
    local chunk = ('x'):rep(65536)
    local function fill(s)
      local ok, n = true, 0
      while ok and n < 1000 do ok = s:write(chunk); n = n + 1 end
      return ok
    end
    local conns = 0
    serve(function(c)
      conns = conns + 1
      later(150, function() c:resume() end)
      c:on('error', function() end)
    end, function(port, server)
      local a
      a = net.connect(port, '127.0.0.1', function()
        log('a:before:' .. str(a.writableNeedDrain))
        local ok = fill(a)
        log('a:fill:' .. str(ok) .. ':needDrain=' .. str(a.writableNeedDrain))
        a.writableNeedDrain = false
        log('a:assigned:' .. str(a.writableNeedDrain))
        a:once('drain', function() log('a:drain:' .. str(a.writableNeedDrain)); a:end_() end)
      end)
      a:on('close', function()
        local b
        b = net.connect(port, '127.0.0.1', function()
          fill(b)
          log('b:full:' .. str(b.writableNeedDrain))
          b:end_()
          log('b:after-end:' .. str(b.writableNeedDrain))
        end)
        b:on('close', function()
          local c
          c = net.connect(port, '127.0.0.1', function()
            fill(c)
            log('c:full:' .. str(c.writableNeedDrain))
            c:destroy()
            log('c:after-destroy:' .. str(c.writableNeedDrain))
          end)
          c:on('close', function() server:close(); log('conns:' .. conns) end)
        end)
      end)
    end, { pauseOnConnect = true })
    H.run(5000)
    assert.same({
      'a:before:false', 'a:fill:false:needDrain=true', 'a:assigned:true', 'a:drain:false', 'b:full:true',
      'b:after-end:false', 'c:full:true', 'c:after-destroy:false', 'conns:3',
    }, log.events)
  end)

  it('hwm-assign-ignored: the marks are getter-only; assigning them (nil too) changes nothing', function()
    local log = H.log()
    local s = net.Socket()
    s.writableHighWaterMark = 5
    s.readableHighWaterMark = 5
    log('assigned:' .. s.writableHighWaterMark .. ':' .. s.readableHighWaterMark)
    s.writableHighWaterMark = nil
    log('assigned-undefined:' .. str(s.writableHighWaterMark))
    serve(function(c)
      c:resume()
      c:on('end', function() c:end_() end)
    end, function(port, server)
      s:connect(port, '127.0.0.1')
      local w1, w2 = one(s:write(('\0'):rep(16383))), one(s:write('x'))
      log('w16383:' .. w1 .. ':w1:' .. w2 .. ':needDrain=' .. str(s.writableNeedDrain))
      s:on('drain', function() log('drain'); s:end_() end)
      s:resume()
      s:on('close', function() server:close() end)
    end)
    H.run(3000)
    assert.same({ 'assigned:16384:16384', 'assigned-undefined:16384', 'w16383:true:w1:false:needDrain=true', 'drain' },
      log.events)
  end)

  it('hwm-options: highWaterMark wins over the side options; bad values raise as Node; the marks work', function()
    local log = H.log()
    local big = net.Socket({ writableHighWaterMark = 64 * 1024 * 1024 })
    log('big:' .. big.writableHighWaterMark .. ':' .. big.readableHighWaterMark)
    local both = net.Socket({ highWaterMark = 1000 })
    log('hwm:' .. both.writableHighWaterMark .. ':' .. both.readableHighWaterMark)
    local mixed = net.Socket({ highWaterMark = 1000, readableHighWaterMark = 2000, writableHighWaterMark = 3000 })
    log('mixed:' .. mixed.writableHighWaterMark .. ':' .. mixed.readableHighWaterMark)
    local sides = net.Socket({ readableHighWaterMark = 2000, writableHighWaterMark = 3000 })
    log('sides:' .. sides.writableHighWaterMark .. ':' .. sides.readableHighWaterMark)
    local zero = net.Socket({ highWaterMark = 0 })
    log('zero:' .. zero.writableHighWaterMark .. ':' .. zero.readableHighWaterMark)
    for _, bad in ipairs({ -1, 1000.7, 0 / 0, math.huge, '5', true }) do
      local e = H.raises(net.Socket, { highWaterMark = bad })
      log('bad:' .. e.code .. ':' .. e.name .. ':' .. e.message)
    end
    local e = H.raises(net.Socket, { readableHighWaterMark = 2.5 })
    log('bad-r:' .. e.code .. ':' .. e.message)
    e = H.raises(net.Socket, { writableHighWaterMark = -3 })
    log('bad-w:' .. e.code .. ':' .. e.message)
    for _, x in ipairs({ big, both, mixed, sides, zero }) do x:destroy() end
    serve(function(c)
      c:resume()
      c:on('end', function() c:end_() end)
    end, function(port, server)
      local s = net.connect({ port = port, host = '127.0.0.1', writableHighWaterMark = 64 * 1024 * 1024 })
      log('connect-opt:' .. s.writableHighWaterMark)
      log('big-write:' .. one(s:write(('\0'):rep(1024 * 1024))) .. ':needDrain=' .. str(s.writableNeedDrain))
      local t = net.connect({ port = port, host = '127.0.0.1', highWaterMark = 1000 })
      local w1, w2 = one(t:write(('\0'):rep(999))), one(t:write('x'))
      log('small-write:' .. w1 .. ':' .. w2 .. ':needDrain=' .. str(t.writableNeedDrain))
      local left = 2
      local function fin() left = left - 1; if left == 0 then server:close() end end
      t:on('drain', function() log('t:drain'); t:end_() end)
      s:end_()
      s:resume(); t:resume()
      s:on('close', fin); t:on('close', fin)
    end)
    H.run(3000)
    -- Node names the readable side's option for a bad highWaterMark (its
    -- ReadableState is made first); JS prints NaN, Infinity and '5' so
    local nan, inf = 'NaN', 'Infinity'
    assert.same({
      'big:67108864:16384', 'hwm:1000:1000', 'mixed:1000:1000', 'sides:3000:2000', 'zero:0:0',
      "bad:ERR_INVALID_ARG_VALUE:TypeError:The property 'options.readableHighWaterMark' is invalid. Received -1",
      "bad:ERR_INVALID_ARG_VALUE:TypeError:The property 'options.readableHighWaterMark' is invalid. Received 1000.7",
      "bad:ERR_INVALID_ARG_VALUE:TypeError:The property 'options.readableHighWaterMark' is invalid. Received " .. nan,
      "bad:ERR_INVALID_ARG_VALUE:TypeError:The property 'options.readableHighWaterMark' is invalid. Received " .. inf,
      "bad:ERR_INVALID_ARG_VALUE:TypeError:The property 'options.readableHighWaterMark' is invalid. Received '5'",
      "bad:ERR_INVALID_ARG_VALUE:TypeError:The property 'options.readableHighWaterMark' is invalid. Received true",
      "bad-r:ERR_INVALID_ARG_VALUE:The property 'options.readableHighWaterMark' is invalid. Received 2.5",
      "bad-w:ERR_INVALID_ARG_VALUE:The property 'options.writableHighWaterMark' is invalid. Received -3",
      'connect-opt:67108864', 'big-write:true:needDrain=false', 'small-write:true:false:needDrain=true', 't:drain',
    }, log.events)
  end)
end)

describe('objectMode options', function()
  it("object-mode: truthy objectMode, readableObjectMode, writableObjectMode: Node's ERR_INVALID_ARG_VALUE", function()
    local log = H.log()
    local tries = {
      { 'objectMode:true', { objectMode = true } },
      { 'readableObjectMode:true', { readableObjectMode = true } },
      { 'writableObjectMode:1', { writableObjectMode = 1 } },
      { 'readableObjectMode:0,writableObjectMode:yes', { readableObjectMode = 0, writableObjectMode = 'yes' } },
      { 'objectMode:false', { objectMode = false } },
      { 'objectMode:0', { objectMode = 0 } },
      { "objectMode:''", { objectMode = '' } },
      { 'objectMode:nil', { objectMode = nil } },
      { 'objectMode:true,readableObjectMode:true', { objectMode = true, readableObjectMode = true } },
    }
    for _, t in ipairs(tries) do
      local ok, e = pcall(net.Socket, t[2])
      if ok then
        e:destroy(); log(t[1] .. ':ok')
      else
        log(t[1] .. ':' .. e.code .. ':' .. e.name .. ':' .. e.message)
      end
    end
    local ok, e = pcall(net.connect, { port = 1, objectMode = true })
    log(ok and 'connect:ok' or 'connect:' .. e.code .. ':' .. e.message)
    -- Node checks the constructor's options only: socket:connect() ignores them
    local s = net.Socket()
    s:on('error', function() end)
    ok, e = pcall(s.connect, s, { port = 1, host = '127.0.0.1', objectMode = true })
    log(ok and 'method-connect:ok' or 'method-connect:' .. tostring(e.code))
    s:destroy()
    H.run(1000)
    assert.same({
      'objectMode:true:ERR_INVALID_ARG_VALUE:TypeError:'
        .. "The property 'options.objectMode' is not supported. Received true",
      'readableObjectMode:true:ERR_INVALID_ARG_VALUE:TypeError:'
        .. "The property 'options.readableObjectMode' is not supported. Received true",
      'writableObjectMode:1:ERR_INVALID_ARG_VALUE:TypeError:'
        .. "The property 'options.writableObjectMode' is not supported. Received 1",
      'readableObjectMode:0,writableObjectMode:yes:ERR_INVALID_ARG_VALUE:TypeError:'
        .. "The property 'options.writableObjectMode' is not supported. Received 'yes'",
      'objectMode:false:ok', 'objectMode:0:ok', "objectMode:'':ok", 'objectMode:nil:ok',
      'objectMode:true,readableObjectMode:true:ERR_INVALID_ARG_VALUE:TypeError:'
        .. "The property 'options.objectMode' is not supported. Received true",
      "connect:ERR_INVALID_ARG_VALUE:The property 'options.objectMode' is not supported. Received true",
      'method-connect:ok',
    }, log.events)
  end)
end)

describe('pending write callbacks', function()
  local BIG = ('x'):rep(32 * 1024 * 1024)

  it("reset-pending-writes: 'error' ECONNRESET, the cb in flight nil, the queued ones the error, close", function()
    local log = H.log()
    serve(function(c)
      later(100, function() c:resetAndDestroy() end)
    end, function(port, server)
      local s
      s = net.connect(port, '127.0.0.1', function()
        log('w1:' .. one(s:write(BIG, function(e) log('cb1:' .. code(e)) end)))
        log('w2:' .. one(s:write('q2', function(e)
          log('cb2:' .. code(e) .. ':same=' .. str(rawequal(e, s.errored)))
        end)))
        log('w3:' .. one(s:write('q3', function(e) log('cb3:' .. code(e)) end)))
        log('writableLength>big:' .. str(s.writableLength > 0))
      end)
      s:on('error', function(e) log('error:' .. code(e) .. ':' .. str(e.syscall)) end)
      s:on('close', function(h) log('close:' .. str(h)); server:close() end)
    end, { pauseOnConnect = true })
    H.run(5000)
    assert.same({
      'w1:false', 'w2:false', 'w3:false', 'writableLength>big:true', 'error:ECONNRESET:read', 'cb1:null',
      'cb2:ECONNRESET:same=true', 'cb3:ECONNRESET', 'close:true',
    }, log.events)
  end)

  it("destroy-pending-writes: destroy(): the cb in flight nil, queued ones and end_'s ERR_STREAM_DESTROYED", function()
    local log = H.log()
    local peer
    serve(function(c)
      peer = c
      c:on('error', function() end)
    end, function(port, server)
      local s
      s = net.connect(port, '127.0.0.1', function()
        log('w1:' .. one(s:write(BIG, function(e) log('cb1:' .. code(e)) end)))
        s:write('q2', function(e) log('cb2:' .. code(e)) end)
        s:write('q3', function(e) log('cb3:' .. code(e)) end)
        s:end_(function(e) log('end-cb:' .. code(e)) end)
        later(50, function() s:destroy(); log('destroyed') end)
      end)
      watch(s, log, '')
      s:on('close', function() peer:destroy(); server:close() end)
    end, { pauseOnConnect = true })
    H.run(5000)
    assert.same({
      'w1:false', 'destroyed', 'cb1:null', 'cb2:ERR_STREAM_DESTROYED', 'cb3:ERR_STREAM_DESTROYED',
      'end-cb:ERR_STREAM_DESTROYED', 'close:false',
    }, log.events)
  end)

  it("destroy-err-pending-writes: destroy(err): 'error', the cb in flight nil, the queued one err, close", function()
    local log = H.log()
    local peer
    serve(function(c)
      peer = c
      c:on('error', function() end)
    end, function(port, server)
      local s
      s = net.connect(port, '127.0.0.1', function()
        s:write(BIG, function(e) log('cb1:' .. code(e)) end)
        s:write('q2', function(e) log('cb2:' .. code(e)) end)
        later(50, function() s:destroy(net.Error('mine', { code = 'EMINE' })) end)
      end)
      watch(s, log, '')
      s:on('close', function() peer:destroy(); server:close() end)
    end, { pauseOnConnect = true })
    H.run(5000)
    assert.same({ 'error:EMINE', 'cb1:null', 'cb2:EMINE', 'close:true' }, log.events)
  end)
end)

describe('assigning fields', function()
  it('assign-fields: getter-only fields ignore it; readable, writable, destroyed, readableFlowing: state', function()
    local log = H.log()
    serve(function(c)
      c:on('data', function(d) log('peer-data:' .. d) end)
      c:on('end', function() log('peer-end'); c:end_() end)
      c:on('error', function() end)
    end, function(port, server)
      local s
      s = net.connect(port, '127.0.0.1', function()
        local ro = { 'writableHighWaterMark', 'readableHighWaterMark', 'bytesRead', 'bytesWritten', 'writableNeedDrain',
          'writableLength', 'readableLength', 'writableEnded', 'writableFinished', 'readableEnded', 'writableCorked',
          'readableObjectMode', 'writableObjectMode', 'closed', 'errored', 'pending', 'readyState', 'readableAborted',
          'readableDidRead', 'readableEncoding', 'localPort', 'remotePort', 'remoteAddress', 'bufferSize' }
        local before, changed = {}, {}
        for _, k in ipairs(ro) do before[k] = s[k]; s[k] = 12345 end
        for _, k in ipairs(ro) do if s[k] ~= before[k] then changed[#changed + 1] = k end end
        log('getter-only-changed:' .. table.concat(changed, ','))
        s.id = 7; log('own-field:' .. s.id)
        s.readable = false; log('readable=false:' .. str(s.readable) .. ':readyState=' .. s.readyState)
        s.readable = true; log('readable=true:' .. str(s.readable))
        s.writable = false; log('writable=false:' .. str(s.writable) .. ':readyState=' .. s.readyState)
        log('write-when-writable-false:' .. one(s:write('w1')))
        s.writable = 1; log('writable=1:' .. str(s.writable))
        s.destroyed = true
        log('destroyed=true:' .. str(s.destroyed) .. ':writable=' .. str(s.writable) .. ':readable=' .. str(s.readable))
        log('write-when-destroyed:' .. one(s:write('w2', function(e) log('w2-cb:' .. code(e)) end)))
        s.destroyed = false
        log('destroyed=false:' .. str(s.destroyed) .. ':writable=' .. str(s.writable))
        log('write-again:' .. one(s:write('w3', function(e) log('w3-cb:' .. code(e)) end)))
        s.readableFlowing = false; log('flowing=false:' .. str(s.readableFlowing) .. ':isPaused=' .. str(s:isPaused()))
        s.readableFlowing = true; log('flowing=true:' .. str(s.readableFlowing))
        log('read:' .. str(s:read()))
        s:end_('bye', function() log('end-cb') end)
      end)
      watch(s, log, '')
      s:on('close', function() server:close() end)
    end)
    H.run(3000)
    assert.same({
      'getter-only-changed:', 'own-field:7', 'readable=false:false:readyState=writeOnly', 'readable=true:true',
      'writable=false:false:readyState=readOnly', 'write-when-writable-false:true', 'writable=1:true',
      'destroyed=true:true:writable=false:readable=false', 'write-when-destroyed:false',
      'destroyed=false:false:writable=true', 'write-again:true', 'flowing=false:false:isPaused=true',
      'flowing=true:true',
      'read:null', 'w2-cb:ERR_STREAM_DESTROYED', 'w3-cb:null', 'end-cb', 'finish', 'peer-data:w1w3bye', 'peer-end',
      'end', 'close:false',
    }, log.events)
  end)

  it('data-fields: timeout, server, allowHalfOpen are plain fields, read back as assigned', function()
    local log = H.log()
    local s = net.Socket()
    log('before:' .. str(s.timeout) .. ',' .. str(s.server) .. ',' .. str(s.allowHalfOpen) .. ',' .. str(s.connecting))
    s.timeout = 5; s.server = 'srv'; s.allowHalfOpen = true
    log('after:' .. str(s.timeout) .. ',' .. str(s.server) .. ',' .. str(s.allowHalfOpen))
    s:setTimeout(100)
    log('setTimeout:' .. str(s.timeout))
    s.timeout = 7
    log('assigned-again:' .. str(s.timeout))
    s:destroy()
    H.run(1000)
    assert.same({ 'before:null,null,false,false', 'after:5,srv,true', 'setTimeout:100', 'assigned-again:7' },
      log.events)
  end)

  it("readable-false-then-end: with readable = false, 'finish' destroys the socket at once", function()
    local log = H.log()
    serve(function(c)
      c:on('end', function() log('peer-end'); later(50, function() c:end_() end) end)
      c:resume()
      c:on('close', function() log('peer-close') end)
    end, function(port, server)
      local s
      s = net.connect(port, '127.0.0.1', function() s.readable = false; s:end_('x') end)
      watch(s, log, '')
      s:on('close', function()
        log('destroyed:' .. str(s.destroyed))
        later(100, function() server:close() end)
      end)
    end)
    H.run(3000)
    assert.same({ 'finish', 'close:false', 'destroyed:true', 'peer-end', 'peer-close' }, log.events)
  end)
end)

-- Not a Node scenario: every field of the class, assigned every kind of
-- value on an open socket, then written to, read, paused, resumed, corked,
-- ended and destroyed. Node's rules decide what each does; none may end in
-- a raw Lua error, and the socket must still close (no handle left).
describe('assigning any field any value', function()
  it('never leads to a raw Lua error, and the socket still closes', function()
    local class = require('net.core').classes.Socket
    local names = {}
    for k in pairs(class.getters) do names[#names + 1] = k end
    for k in pairs(class.setters) do if class.getters[k] == nil then names[#names + 1] = k end end
    table.sort(names)
    local values = { nil, false, true, 0, -1, 2.5, 0 / 0, math.huge, 'x', {}, function() end }
    local nvalues = 11
    local failures = {}
    local function try(what, f, ...)
      local ok, err = pcall(f, ...)
      if not ok then failures[#failures + 1] = what .. ': ' .. tostring(err) end
    end
    local pending = 0
    local server = net.createServer(function(c)
      c:on('error', function() end)
      c:resume()
      c:on('end', function() c:end_() end)
    end)
    H.listen(server, function(port)
      for _, name in ipairs(names) do
        for i = 1, nvalues do
          pending = pending + 1
          local s
          s = net.connect(port, '127.0.0.1', function()
            local what = name .. '=' .. tostring(values[i])
            try(what .. ':assign', function() s[name] = values[i] end)
            try(what .. ':read', function() return s[name] end)
            try(what .. ':write', s.write, s, 'x')
            try(what .. ':write-cb', s.write, s, 'y', function() end)
            try(what .. ':write-hex', s.write, s, '7a', 'hex', function() end)
            try(what .. ':read()', s.read, s)
            try(what .. ':read(1)', s.read, s, 1)
            try(what .. ':pause', s.pause, s)
            try(what .. ':resume', s.resume, s)
            try(what .. ':cork', function() s:cork(); s:write('c'); s:uncork() end)
            try(what .. ':props', function()
              for _, k in ipairs(names) do local _ = s[k] end
            end)
            try(what .. ':end', s.end_, s, 'z', function() end)
            later(20, function()
              try(what .. ':later-write', s.write, s, 'w', function() end)
              try(what .. ':later-read', s.read, s)
              -- a socket told it is destroyed ignores destroy(), as Node's
              s.destroyed = false
              try(what .. ':destroy', s.destroy, s)
            end)
          end)
          s:on('error', function() end)
          s:on('close', function()
            pending = pending - 1
            if pending == 0 then server:close() end
          end)
        end
      end
    end)
    H.run(10000)
    assert.same({}, failures)
    assert.equal(0, pending)
  end)
end)
