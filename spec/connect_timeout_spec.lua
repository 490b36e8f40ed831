-- The socket's idle timeout (setTimeout / the `timeout` option) while
-- connecting, and how write progress keeps it from firing, as Node v20 does
-- it (`node spec/node/connect_timeout.js`). Loopback only; a blackholed
-- address is a LuaSocket listener whose accept queue is full.
-- See HAPPY_EYEBALLS.md next to this file for Node's timer rules.
local net = require('net')
local core = require('net.core')
local timers = require('net.timers')
local H = require('spec.helper')

local now_ms = H.now_ms

local blackhole, run_then = H.blackhole, H.run_then

local MiB = 1024 * 1024

describe('the idle timeout while connecting', function()
  after_each(function()
    if core.handleCount() > 0 then
      core.closeAll()
      pcall(net.run)
    end
  end)

  it("timeout option, blackholed address: 'timeout' while connecting, nothing else; destroy() closes quietly",
    function()
      local port, stop = blackhole({ '127.0.0.2' })
      local log, dt = H.log(), nil
      local t0 = now_ms()
      local s = net.connect({ host = '127.0.0.2', port = port, timeout = 200 })
      log('timeout-field:' .. tostring(s.timeout))
      s:on('connectionAttempt', function(ip) log('attempt:' .. ip) end)
      s:on('timeout', function()
        dt = now_ms() - t0
        log(string.format('timeout:connecting=%s:pending=%s:readyState=%s:destroyed=%s', s.connecting, s.pending,
          s.readyState, s.destroyed))
        timers.setTimeout(function()
          log('still-connecting-100ms-later:' .. tostring(s.connecting))
          s:destroy()
        end, 100)
      end)
      s:on('error', function(e) log('error:' .. e.code) end)
      s:on('close', function(h) log('close:' .. tostring(h)) end)
      run_then(stop, 3000)
      assert.same({
        'timeout-field:200', 'attempt:127.0.0.2',
        'timeout:connecting=true:pending=true:readyState=opening:destroyed=false',
        'still-connecting-100ms-later:true', 'close:false',
      }, log.events)
      assert.is_true(dt >= 198 and dt < 200 + 300 * H.SCALE, 'timeout after ' .. tostring(dt) .. ' ms')
    end)

  it('setTimeout(ms, cb) before connect(): the same; the cb is a once listener', function()
    local port, stop = blackhole({ '127.0.0.2' })
    local log = H.log()
    local s = net.Socket()
    s:setTimeout(150, function() log('cb:connecting=' .. tostring(s.connecting)) end)
    s:on('timeout', function() log('timeout:connecting=' .. tostring(s.connecting)); s:destroy() end)
    s:connect(port, '127.0.0.2')
    s:on('close', function(h) log('close:' .. tostring(h) .. ':listeners=' .. s:listenerCount('timeout')) end)
    run_then(stop, 3000)
    assert.same({ 'cb:connecting=true', 'timeout:connecting=true', 'close:false:listeners=1' }, log.events)
  end)

  it('connect() restarts the idle timer: setTimeout(150), connect 100 ms later: timeout >= 150 ms after connect',
    function()
      local port, stop = blackhole({ '127.0.0.2' })
      local s = net.Socket()
      s:setTimeout(150)
      local tc, dt
      timers.setTimeout(function() tc = now_ms(); s:connect(port, '127.0.0.2') end, 100)
      s:on('timeout', function() dt = now_ms() - tc; s:destroy() end)
      run_then(stop, 3000)
      assert.is_true(dt >= 148, 'timeout ' .. tostring(dt) .. ' ms after connect()')
    end)

  it("a slow lookup: 'timeout' fires during the lookup; the connect goes on; the timer re-arms after connect",
    function()
      local log = H.log()
      local server = net.createServer(function(c) c:resume() end)
      H.listen(server, function(port)
        local t0, tc = now_ms(), nil
        local s = net.connect({ host = 'slow.invalid', port = port, timeout = 150, family = 4,
          lookup = function(_, _, cb) timers.setTimeout(cb, 300, nil, '127.0.0.1', 4) end })
        s:on('lookup', function() log('lookup') end)
        s:on('connect', function() tc = now_ms(); log('connect') end)
        local n = 0
        s:on('timeout', function()
          n = n + 1
          if n == 1 then
            log('timeout1:connecting=' .. tostring(s.connecting) .. ':after>=150:' .. tostring(now_ms() - t0 >= 148))
          else
            log('timeout2:connecting=' .. tostring(s.connecting) .. ':after-connect>=150:'
              .. tostring(now_ms() - tc >= 148))
            s:destroy()
          end
        end)
        s:on('close', function(h) log('close:' .. tostring(h)); server:close() end)
      end)
      H.run(3000)
      assert.same({
        'timeout1:connecting=true:after>=150:true', 'lookup', 'connect',
        'timeout2:connecting=false:after-connect>=150:true', 'close:false',
      }, log.events)
    end)

  it('Happy Eyeballs, all blackholed: the last attempt has no attempt timer; the idle timeout fires while connecting',
    function()
      local port, stop = blackhole({ '127.0.0.2', '127.0.0.3' })
      local log = H.log()
      local t0 = now_ms()
      local s = net.connect({ host = 'bh.invalid', port = port, timeout = 400, autoSelectFamilyAttemptTimeout = 100,
        lookup = function(_, _, cb)
          timers.setImmediate(cb, nil, { { address = '127.0.0.2', family = 4 }, { address = '127.0.0.3', family = 4 } })
        end })
      s:on('connectionAttempt', function(ip) log('attempt:' .. ip) end)
      s:on('connectionAttemptTimeout', function(ip) log('attemptTimeout:' .. ip) end)
      s:on('timeout', function()
        log('timeout:connecting=' .. tostring(s.connecting) .. ':after>=400:' .. tostring(now_ms() - t0 >= 398))
        timers.setTimeout(function() log('no-more-attempt-events-300ms-later'); s:destroy() end, 300)
      end)
      s:on('error', function(e) log('error:' .. e.code) end)
      s:on('close', function(h)
        log('close:' .. tostring(h) .. ':attempted=' .. #s.autoSelectFamilyAttemptedAddresses)
      end)
      run_then(stop, 3000)
      assert.same({
        'attempt:127.0.0.2', 'attemptTimeout:127.0.0.2', 'attempt:127.0.0.3',
        'timeout:connecting=true:after>=400:true', 'no-more-attempt-events-300ms-later', 'close:false:attempted=2',
      }, log.events)
    end)

  it('setTimeout(0) while connecting: no timeout', function()
    local port, stop = blackhole({ '127.0.0.2' })
    local log = H.log()
    local s = net.connect({ host = '127.0.0.2', port = port, timeout = 100 })
    s:setTimeout(0)
    s:on('timeout', function() log('timeout') end)
    timers.setTimeout(function() log('destroy'); s:destroy() end, 300)
    s:on('close', function(h) log('close:' .. tostring(h)) end)
    run_then(stop, 3000)
    assert.same({ 'destroy', 'close:false' }, log.events)
  end)
end)

describe('the idle timeout and write progress', function()
  after_each(function()
    if core.handleCount() > 0 then
      core.closeAll()
      pcall(net.run)
    end
  end)

  -- Node keeps the timer from firing while a write's queued bytes shrink;
  -- once the write callback has run, the rest sits in kernel buffers where
  -- the writer sees no progress, so the writer turns its timer off there
  -- (Node may emit 'timeout' after 'finish' otherwise: it did, with about
  -- 2.5 MiB left in the kernel at this pace).
  it("a slow but steady reader (64 KiB per 10 ms) of 21 MiB: no 'timeout' on the writer (setTimeout(300))",
    function()
      local log, received = H.log(), 0
      local t0 = now_ms()
      local server = net.createServer(function(c)
        local since_pause = 0
        c:on('data', function(d)
          received = received + #d
          since_pause = since_pause + #d
          if since_pause >= 64 * 1024 then
            since_pause = 0
            c:pause()
            timers.setTimeout(function() c:resume() end, 10)
          end
        end)
        c:on('end', function()
          c:end_()
          log('reader-end:' .. tostring(received == 21 * MiB) .. ':took>1s:' .. tostring(now_ms() - t0 > 1000))
        end)
      end)
      H.listen(server, function(port)
        local w = net.connect(port, '127.0.0.1')
        -- (slow runs stretch the period: building 21 MiB under ASan or
        -- valgrind alone takes longer than 300 ms)
        w:setTimeout(300 * H.SCALE)
        w:on('timeout', function() log('timeout:at ' .. received .. ' bytes') end)
        w:on('connect', function()
          w:write(string.rep('\7', 21 * MiB), function()
            log('write-cb:writableLength=' .. w.writableLength)
            w:setTimeout(0)
          end)
          w:end_()
        end)
        w:on('finish', function() log('finish') end)
        w:resume()
        w:on('close', function(h) log('close:' .. tostring(h)); server:close() end)
      end)
      H.run(15000)
      assert.same({ 'write-cb:writableLength=0', 'finish', 'reader-end:true:took>1s:true', 'close:false' },
        log.events)
    end)

  it("a reader that stops: the writer's 'timeout' fires 300..1000 ms after the last progress, mid-write",
    function()
      local log, received, peer, t_stop, dt = H.log(), 0, nil, nil, nil
      local server = net.createServer(function(c)
        peer = c
        c:on('data', function(d)
          received = received + #d
          if received >= MiB then
            c:pause()
            t_stop = t_stop or now_ms()
          end
        end)
      end)
      H.listen(server, function(port)
        local w = net.connect(port, '127.0.0.1')
        w:setTimeout(300 * H.SCALE)
        w:on('connect', function() w:write(string.rep('\7', 21 * MiB)) end)
        w:on('timeout', function()
          dt = now_ms() - t_stop
          log('timeout:connecting=' .. tostring(w.connecting) .. ':writableLength>0:' .. tostring(w.writableLength > 0))
          w:destroy()
          peer:destroy()
        end)
        w:on('close', function(h) log('close:' .. tostring(h)); server:close() end)
      end)
      H.run(5000)
      assert.same({ 'timeout:connecting=false:writableLength>0:true', 'close:false' }, log.events)
      -- Node: about 590 ms (the kernel keeps taking bytes for a while after
      -- the reader pauses; then one to two timer periods)
      assert.is_true(dt >= 298 * H.SCALE and dt < 1000 * H.SCALE,
        "'timeout' " .. tostring(dt) .. ' ms after the reader stopped')
    end)
end)
