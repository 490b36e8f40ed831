-- Socket methods: setEncoding, setTimeout, setNoDelay/setKeepAlive, type of
-- service, ref/unref, cork/uncork, destroySoon, resetAndDestroy, unpipe and
-- `<close>`, checked against Node (`node spec/node/socket_methods.js`).
local net = require('net')
local core = require('net.core')
local timers = require('net.timers')
local H = require('spec.helper')

local serve = H.serve

local function raises(fn, ...)
  local ok, err = pcall(fn, ...)
  local args = {}
  for i = 1, select('#', ...) do args[i] = tostring((select(i, ...))) end
  assert.is_false(ok, 'expected an error for (' .. table.concat(args, ', ') .. ')')
  assert.is_true(net.Error.is(err), 'expected a net.Error, got ' .. tostring(err))
  return err
end

local function tohex(s)
  return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end

local function fromhex(h)
  return (h:gsub('..', function(x) return string.char(tonumber(x, 16)) end))
end

local function tmp_path()
  local p = os.tmpname()
  os.remove(p)
  return p .. '.sock'
end

local proc_timer = H.proc_timer

describe('socket methods', function()
  after_each(function()
    if core.handleCount() > 0 then
      core.closeAll()
      pcall(net.run)
    end
  end)

  describe('setEncoding', function()
    -- The same bytes for every encoding, in five writes 40 ms apart: a
    -- multi-byte character split across writes, and a cut one at the end.
    -- Expected: Node's 'data' events, as the hex of their UTF-8.
    local CHUNKS = { 'e2', '82ac41', 'f09f', '9880', 'c3' }
    local EXPECTED = {
      utf8 = { 'e282ac41', 'f09f9880', 'efbfbd' },
      ['utf-8'] = { 'e282ac41', 'f09f9880', 'efbfbd' },
      latin1 = { 'c3a2', 'c282c2ac41', 'c3b0c29f', 'c298c280', 'c383' },
      binary = { 'c3a2', 'c282c2ac41', 'c3b0c29f', 'c298c280', 'c383' },
      ascii = { '62', '022c41', '701f', '1800', '43' },
      hex = { '6532', '383261633431', '66303966', '39383830', '6333' },
      base64 = { '346f4b73', '51664366', '6d494444' },
      base64url = { '346f4b73', '51664366', '6d494444' },
      utf16le = { 'e88ba2e486ac', 'e9bfb0', 'e88298' },
    }
    local ENCODINGS = { 'utf8', 'utf-8', 'latin1', 'binary', 'ascii', 'hex', 'base64', 'base64url', 'utf16le' }

    it('every encoding of API.md: the events Node gives, no character cut between events', function()
      local got, returns_self = {}, {}
      serve(function(c)
        c:setNoDelay(true)
        local i = 0
        local function send()
          i = i + 1
          if i <= #CHUNKS then
            c:write(fromhex(CHUNKS[i]))
            timers.setTimeout(send, 40)
          else
            c:end_()
          end
        end
        send()
      end, function(port, server)
        local n = 0
        for _, enc in ipairs(ENCODINGS) do
          local s = net.connect(port, '127.0.0.1')
          returns_self[enc] = rawequal(s:setEncoding(enc), s)
          got[enc] = {}
          s:on('data', function(d) table.insert(got[enc], type(d) == 'string' and tohex(d) or type(d)) end)
          s:on('close', function()
            n = n + 1
            if n == #ENCODINGS then server:close() end
          end)
        end
      end)
      H.run(4000)
      for _, enc in ipairs(ENCODINGS) do
        assert.is_true(returns_self[enc], enc .. ': setEncoding returns the socket')
        assert.same(EXPECTED[enc], got[enc], enc)
      end
    end)

    it('setEncoding() means utf8; an unknown encoding raises ERR_UNKNOWN_ENCODING', function()
      local log = H.log()
      serve(function(c) c:end_('\xc3\xa9') end, function(port, server)
        local s = net.connect(port, '127.0.0.1')
        s:setEncoding()
        s:on('data', function(d) log('data:' .. tohex(d)) end)
        local err = raises(s.setEncoding, s, 'bogus')
        log({ err.code, err.name, err.message })
        s:on('close', function() server:close() end)
      end)
      H.run(3000)
      assert.same({ { 'ERR_UNKNOWN_ENCODING', 'TypeError', 'Unknown encoding: bogus' }, 'data:c3a9' }, log.events)
    end)
  end)

  describe('setTimeout', function()
    it("'timeout' once per idle period; the socket stays open and usable; returns the socket", function()
      local log = H.log()
      serve(function(c) c:on('data', function(d) c:end_('got:' .. d) end) end, function(port, server)
        local s = net.connect(port, '127.0.0.1')
        log('returns-self:' .. tostring(rawequal(s:setTimeout(60), s)))
        local n = 0
        s:on('timeout', function()
          n = n + 1
          log(string.format('timeout:%d:destroyed=%s:%s', n, tostring(s.destroyed), tostring(s.readyState)))
          if n == 1 then
            timers.setTimeout(function() log('count-after-200ms:' .. n); s:write('x') end, 200)
          end
        end)
        s:on('data', function(d) log('data:' .. d) end)
        s:on('close', function(h) log('close:' .. tostring(h)); server:close() end)
      end)
      H.run(3000)
      assert.same({
        'returns-self:true', 'timeout:1:destroyed=false:open', 'count-after-200ms:1', 'data:got:x', 'close:false',
      }, log.events)
    end)

    it('reads reset the idle timer', function()
      local log = H.log()
      serve(function(c)
        local i = 0
        local iv
        iv = timers.setInterval(function()
          c:write('r')
          i = i + 1
          if i == 6 then timers.clearInterval(iv) end
        end, 30)
        c:on('end', function() c:end_() end)
      end, function(port, server)
        local s = net.connect(port, '127.0.0.1')
        s:setTimeout(80)
        local reads = 0
        s:on('data', function(d) reads = reads + #d end)
        s:on('timeout', function() log('timeout-after-all-reads:' .. tostring(reads == 6)); s:end_() end)
        s:on('close', function() server:close() end)
      end)
      H.run(3000)
      assert.same({ 'timeout-after-all-reads:true' }, log.events)
    end)

    it('writes reset the idle timer', function()
      local log = H.log()
      serve(function(c)
        c:resume()
        c:on('end', function() c:end_() end)
      end, function(port, server)
        local s
        s = net.connect(port, '127.0.0.1', function()
          local i = 0
          local iv
          iv = timers.setInterval(function()
            s:write('w')
            i = i + 1
            if i == 6 then timers.clearInterval(iv) end
          end, 30)
        end)
        s:setTimeout(80)
        s:on('timeout', function() log('timeout-after-all-writes:' .. tostring(s.bytesWritten == 6)); s:end_() end)
        s:resume()
        s:on('close', function() server:close() end)
      end)
      H.run(3000)
      assert.same({ 'timeout-after-all-writes:true' }, log.events)
    end)

    it('0 disables; (ms, cb) adds cb once; (0, cb) removes it', function()
      local log = H.log()
      serve(function(c)
        c:resume()
        c:on('end', function() c:end_() end)
      end, function(port, server)
        local s = net.connect(port, '127.0.0.1')
        local cb = function() log('cb') end
        s:setTimeout(40, cb)
        log('listeners:' .. s:listenerCount('timeout'))
        s:setTimeout(0, cb)
        log('listeners-after-0:' .. s:listenerCount('timeout'))
        s:on('timeout', function() log('timeout') end)
        timers.setTimeout(function()
          log('after-150ms')
          s:setTimeout(30, function() log('cb2') end)
          s:once('timeout', function() log('listeners-in-timeout:' .. s:listenerCount('timeout')); s:end_() end)
        end, 150)
        s:resume()
        s:on('close', function() server:close() end)
      end)
      H.run(3000)
      assert.same({
        'listeners:1', 'listeners-after-0:0', 'after-150ms', 'timeout', 'cb2', 'listeners-in-timeout:1',
      }, log.events)
    end)

    it('bad arguments raise', function()
      local s = net.Socket()
      local got = {}
      for _, args in ipairs({ { '1' }, { -1 }, { 0 / 0 }, { 10, 5 } }) do
        local err = raises(s.setTimeout, s, table.unpack(args))
        got[#got + 1] = { err.code, err.name, err.message }
      end
      assert.same({
        { 'ERR_INVALID_ARG_TYPE', 'TypeError',
          [[The "msecs" argument must be of type number. Received type string ('1')]] },
        { 'ERR_OUT_OF_RANGE', 'RangeError',
          'The value of "msecs" is out of range. It must be a non-negative finite number. Received -1' },
        { 'ERR_OUT_OF_RANGE', 'RangeError',
          'The value of "msecs" is out of range. It must be a non-negative finite number. Received NaN' },
        { 'ERR_INVALID_ARG_TYPE', 'TypeError',
          'The "callback" argument must be of type function. Received type number (5)' },
      }, got)
    end)

    it('no timeout after destroy', function()
      local log = H.log()
      serve(function(c) c:resume() end, function(port, server)
        local s
        s = net.connect(port, '127.0.0.1', function() s:destroy() end)
        s:setTimeout(30, function() log('timeout') end)
        s:on('close', function()
          timers.setTimeout(function() log('quiet'); server:close() end, 100)
        end)
      end)
      H.run(3000)
      assert.same({ 'quiet' }, log.events)
    end)
  end)

  describe('setNoDelay and setKeepAlive', function()
    it('return the socket: before connect, connected, on a pipe, after destroy', function()
      local log = H.log()
      local path = tmp_path()
      local pserver = net.createServer(function(c) c:end_() end)
      pserver:listen(path, function()
        serve(function(c) c:end_() end, function(port, server)
          local s = net.Socket()
          log('before:' .. tostring(rawequal(s:setNoDelay(), s)) .. tostring(rawequal(s:setNoDelay(false), s))
            .. tostring(rawequal(s:setKeepAlive(true, 1000), s)) .. tostring(rawequal(s:setKeepAlive(), s)))
          s:connect(port, '127.0.0.1', function()
            log('connected:' .. tostring(rawequal(s:setNoDelay(true), s))
              .. tostring(rawequal(s:setKeepAlive(true, 2000), s)) .. tostring(rawequal(s:setKeepAlive(false), s)))
            local p
            p = net.connect(path, function()
              log('pipe:' .. tostring(rawequal(p:setNoDelay(true), p))
                .. tostring(rawequal(p:setKeepAlive(true, 1000), p)))
              p:destroy()
              log('destroyed:' .. tostring(rawequal(p:setNoDelay(true), p))
                .. tostring(rawequal(p:setKeepAlive(true), p)))
            end)
            p:on('close', function() server:close(); pserver:close() end)
          end)
          s:resume()
        end)
      end)
      H.run(3000)
      os.remove(path)
      assert.same({ 'before:truetruetruetrue', 'connected:truetruetrue', 'pipe:truetrue', 'destroyed:truetrue' },
        log.events)
    end)

    it('setKeepAlive(true, ms): the kernel runs a keepalive timer of that length; false stops it', function()
      local log = H.log()
      serve(function(c) c:resume() end, function(port, server)
        local s = net.Socket()
        s:setKeepAlive(true, 7000) -- before connect: applied once connected
        s:connect(port, '127.0.0.1', function()
          timers.setTimeout(function()
            local tr, when = proc_timer(s)
            log(string.format('before-connect-call:timer=%d:near-7s=%s', tr,
              tostring(when > 700 - 100 * H.SCALE and when <= 700)))
            s:setKeepAlive(false)
            timers.setTimeout(function()
              log('off:timer=' .. (proc_timer(s)))
              s:setKeepAlive(true, 3000)
              timers.setTimeout(function()
                local tr2, when2 = proc_timer(s)
                log(string.format('on-again:timer=%d:near-3s=%s', tr2,
                  tostring(when2 > 300 - 100 * H.SCALE and when2 <= 300)))
                s:destroy()
              end, 20)
            end, 20)
          end, 20)
        end)
        s:on('close', function() server:close() end)
      end)
      H.run(3000)
      assert.same({ 'before-connect-call:timer=2:near-7s=true', 'off:timer=0', 'on-again:timer=2:near-3s=true' },
        log.events)
    end)

    -- Newer than Node 20, from the latest docs: setKeepAlive(enable,
    -- initialDelay, interval, count) and setKeepAlive({ enable, initialDelay,
    -- interval, count }); both return the socket, and enabling starts the
    -- keepalive timer of initialDelay.
    it('(latest docs) setKeepAlive with interval and count, and the options form, return the socket', function()
      local log = H.log()
      serve(function(c) c:resume() end, function(port, server)
        local s
        s = net.connect(port, '127.0.0.1', function()
          log('positional:' .. tostring(rawequal(s:setKeepAlive(true, 5000, 2000, 5), s)))
          timers.setTimeout(function()
            local tr, when = proc_timer(s)
            log(string.format('positional-timer=%d:near-5s=%s', tr,
              tostring(when > 500 - 100 * H.SCALE and when <= 500)))
            log('options:' .. tostring(rawequal(s:setKeepAlive({ enable = true, initialDelay = 4000, interval = 1000,
              count = 10 }), s)))
            timers.setTimeout(function()
              local tr2, when2 = proc_timer(s)
              log(string.format('options-timer=%d:near-4s=%s', tr2,
                tostring(when2 > 400 - 100 * H.SCALE and when2 <= 400)))
              log('options-off:' .. tostring(rawequal(s:setKeepAlive({ enable = false }), s)))
              timers.setTimeout(function()
                log('off:timer=' .. (proc_timer(s)))
                s:destroy()
              end, 20)
            end, 20)
          end, 20)
        end)
        s:on('close', function() server:close() end)
      end)
      H.run(3000)
      assert.same({
        'positional:true', 'positional-timer=2:near-5s=true', 'options:true', 'options-timer=2:near-4s=true',
        'options-off:true', 'off:timer=0',
      }, log.events)
    end)
  end)

  -- Newer than Node 20 (v25.6 / v24.15): from the latest docs, with the
  -- argument checks of Node's validateInt32(tos, 'tos', 0, 255).
  describe('(latest docs) getTypeOfService and setTypeOfService', function()
    it('before connect the value is cached (0 when never set) and applied once connected', function()
      local log = H.log()
      serve(function(c) c:resume() end, function(port, server)
        local s = net.Socket()
        log('fresh:' .. tostring(s:getTypeOfService()))
        log('set-returns-self:' .. tostring(rawequal(s:setTypeOfService(0x10), s)))
        log('cached:' .. tostring(s:getTypeOfService()))
        s:connect(port, '127.0.0.1', function()
          log('connected:' .. tostring(s:getTypeOfService()))
          s:setTypeOfService(0x08)
          log('changed:' .. tostring(s:getTypeOfService()))
          log('integer:' .. tostring(math.type(s:getTypeOfService())))
          s:destroy()
        end)
        s:on('close', function() server:close() end)
      end)
      H.run(3000)
      assert.same({
        'fresh:0', 'set-returns-self:true', 'cached:16', 'connected:16', 'changed:8', 'integer:integer',
      }, log.events)
    end)

    it('IPv6: the traffic class', function()
      local log = H.log()
      local server = net.createServer(function(c) c:resume() end)
      server:listen(0, '::1', function()
        local s
        s = net.connect(server:address().port, '::1', function()
          s:setTypeOfService(0x20)
          log('tclass:' .. tostring(s:getTypeOfService()))
          s:destroy()
        end)
        s:on('close', function() server:close() end)
      end)
      H.run(3000)
      assert.same({ 'tclass:32' }, log.events)
    end)

    it('out of 0..255, not an integer, not a number: raises', function()
      local s = net.Socket()
      local got = {}
      for _, v in ipairs({ 256, -1, 1.5, 'x' }) do
        local err = raises(s.setTypeOfService, s, v)
        got[#got + 1] = { err.code, err.name, err.message }
      end
      assert.same({
        { 'ERR_OUT_OF_RANGE', 'RangeError',
          'The value of "tos" is out of range. It must be >= 0 && <= 255. Received 256' },
        { 'ERR_OUT_OF_RANGE', 'RangeError',
          'The value of "tos" is out of range. It must be >= 0 && <= 255. Received -1' },
        { 'ERR_OUT_OF_RANGE', 'RangeError', 'The value of "tos" is out of range. It must be an integer. Received 1.5' },
        { 'ERR_INVALID_ARG_TYPE', 'TypeError',
          [[The "tos" argument must be of type number. Received type string ('x')]] },
      }, got)
    end)
  end)

  describe('ref and unref', function()
    -- Runs the loop as a program would; a guard timer (unref-ed, so it only
    -- fires while something else keeps the loop alive) stops a hang by
    -- closing every handle.
    local function run_program(guard_ms, log)
      local guard = timers.setTimeout(function()
        log('hung')
        core.closeAll()
      end, guard_ms)
      guard:unref()
      local ok, err = pcall(net.run)
      timers.clearTimeout(guard)
      if not ok then
        core.closeAll()
        pcall(net.run)
        error(err, 0)
      end
    end

    it('return the socket; with everything unref-ed the loop ends while the connection is open', function()
      local log = H.log()
      local s, accepted
      local server = net.createServer(function(c) accepted = c; c:unref() end)
      H.listen(server, function(port)
        s = net.Socket()
        local r1 = s:unref() -- before connect: applies once connected
        s:connect(port, '127.0.0.1', function() log('connected'); server:unref() end)
        local r2, r3 = s:ref(), s:unref()
        log('returns-self:' .. tostring(rawequal(r1, s)) .. tostring(rawequal(r2, s)) .. tostring(rawequal(r3, s)))
      end)
      run_program(1000, log)
      log('run-returned:destroyed=' .. tostring(s.destroyed))
      s:destroy()
      if accepted then accepted:destroy() end
      server:close()
      H.run(2000)
      assert.same({ 'returns-self:truetruetrue', 'connected', 'run-returned:destroyed=false' }, log.events)
    end)

    it('ref() after unref() keeps the loop going', function()
      local log = H.log()
      local s, accepted
      local server = net.createServer(function(c) accepted = c; c:unref() end)
      H.listen(server, function(port)
        s = net.connect(port, '127.0.0.1', function()
          server:unref()
          s:unref()
          s:ref()
          local t = timers.setTimeout(function() log('still running, destroying'); s:destroy() end, 100)
          t:unref()
        end)
        s:on('close', function() log('close') end)
      end)
      run_program(2000, log)
      if accepted then accepted:destroy() end
      server:close()
      H.run(2000)
      assert.same({ 'still running, destroying', 'close' }, log.events)
    end)
  end)

  describe('cork and uncork', function()
    it('writes wait while corked (writableCorked counts), the peer gets them together; end_ uncorks', function()
      local log = H.log()
      serve(function(c)
        local got = {}
        c:on('data', function(d) got[#got + 1] = d end)
        c:on('end', function() c:end_(table.concat(got, '|')) end)
      end, function(port, server)
        local s
        s = net.connect(port, '127.0.0.1', function()
          s:cork()
          s:cork()
          log('corked:' .. tostring(s.writableCorked))
          log('w:' .. tostring(s:write('a')) .. tostring(s:write('b')))
          log('len:' .. tostring(s.writableLength))
          s:uncork()
          log('after-one-uncork:' .. tostring(s.writableCorked) .. ':len=' .. tostring(s.writableLength))
          timers.setTimeout(function()
            log('still-held:' .. tostring(s.writableLength))
            s:uncork()
            log('corked:' .. tostring(s.writableCorked))
            timers.setTimeout(function()
              s:cork()
              s:write('c')
              s:write('d')
              s:end_('e')
              log('end-uncorks:' .. tostring(s.writableCorked))
            end, 30)
          end, 30)
        end)
        s:on('data', function(d) log('server-got:' .. d) end)
        s:on('close', function() server:close() end)
      end)
      H.run(3000)
      assert.same({
        'corked:2', 'w:truetrue', 'len:2', 'after-one-uncork:1:len=2', 'still-held:2', 'corked:0', 'end-uncorks:0',
        'server-got:ab|cde',
      }, log.events)
    end)
  end)

  describe('destroySoon', function()
    it("ends, and destroys at 'finish': every byte arrives; after finish it destroys at once", function()
      local log = H.log()
      local server_got
      local first = true
      serve(function(c)
        if first then
          first = false
          local n = 0
          c:on('data', function(d) n = n + #d end)
          c:on('end', function() server_got = n; c:end_() end)
        else
          c:on('end', function() c:end_() end)
        end
      end, function(port, server)
        local s
        s = net.connect(port, '127.0.0.1', function()
          s:write(('x'):rep(1 << 20))
          s:destroySoon()
          log(string.format('after:writableEnded=%s:destroyed=%s', tostring(s.writableEnded), tostring(s.destroyed)))
        end)
        s:on('finish', function() log('finish:destroyed=' .. tostring(s.destroyed)) end)
        s:on('end', function() log('end') end)
        s:on('close', function(h)
          log('close:' .. tostring(h))
          local t
          t = net.connect(port, '127.0.0.1', function() t:end_() end)
          t:on('finish', function()
            timers.setImmediate(function()
              t:destroySoon()
              log('after-finish:destroyed=' .. tostring(t.destroyed))
            end)
          end)
          t:resume()
          t:on('close', function(h2) log('t-close:' .. tostring(h2)); server:close() end)
        end)
      end)
      H.run(3000)
      assert.same({
        'after:writableEnded=true:destroyed=false', 'finish:destroyed=false', 'close:false',
        'after-finish:destroyed=true', 't-close:false',
      }, log.events)
      assert.equal(1 << 20, server_got)
    end)
  end)

  describe('resetAndDestroy', function()
    it('the peer gets ECONNRESET (syscall read); this side closes without error; returns the socket', function()
      local log = H.log()
      local server, peer_err
      local n = 0
      local function fin()
        n = n + 1
        if n == 2 then server:close() end
      end
      server = serve(function(c)
        c:on('error', function(e) peer_err = e; log('peer-error:' .. tostring(e.code)) end)
        c:on('close', function(h) log('peer-close:' .. tostring(h)); fin() end)
      end, function(port)
        local s
        s = net.connect(port, '127.0.0.1', function()
          local r = s:resetAndDestroy()
          log('returns-self:' .. tostring(rawequal(r, s)) .. ':destroyed=' .. tostring(s.destroyed))
        end)
        s:on('error', function(e) log('error:' .. tostring(e.code)) end)
        s:on('close', function(h) log('close:' .. tostring(h)); fin() end)
      end)
      H.run(3000)
      assert.same({ 'returns-self:true:destroyed=true', 'close:false', 'peer-error:ECONNRESET', 'peer-close:true' },
        log.events)
      assert.same({ 'Error', 'ECONNRESET', 'read', -104, 'read ECONNRESET' },
        { peer_err.name, peer_err.code, peer_err.syscall, peer_err.errno, peer_err.message })
    end)

    it('while connecting: connect happens, then the RST', function()
      local log = H.log()
      local server
      local n = 0
      local function fin()
        n = n + 1
        if n == 2 then server:close() end
      end
      server = serve(function(c)
        c:on('error', function(e) log('peer-error:' .. tostring(e.code)) end)
        c:on('close', function(h) log('peer-close:' .. tostring(h)); fin() end)
      end, function(port)
        local s = net.connect(port, '127.0.0.1')
        s:on('connect', function() log('connect') end)
        local r = s:resetAndDestroy()
        log('returns-self:' .. tostring(rawequal(r, s)) .. ':connecting=' .. tostring(s.connecting))
        s:on('error', function(e) log('error:' .. tostring(e.code)) end)
        s:on('close', function(h) log('close:' .. tostring(h)); fin() end)
      end)
      H.run(3000)
      table.sort(log.events)
      assert.same({
        'close:false', 'connect', 'peer-close:true', 'peer-error:ECONNRESET', 'returns-self:true:connecting=true',
      }, log.events)
    end)

    it("never connected: destroy with ERR_SOCKET_CLOSED; 'close' with no hadError (no handle), as Node", function()
      local log = H.log()
      local s = net.Socket()
      log('returns-self:' .. tostring(rawequal(s:resetAndDestroy(), s)))
      s:on('error', function(e)
        log('error:' .. tostring(e.code) .. ':' .. tostring(e.name) .. ':' .. tostring(e.message))
      end)
      s:on('close', function(h) log('close:' .. tostring(h)) end)
      H.run(1000)
      assert.same({ 'returns-self:true', 'error:ERR_SOCKET_CLOSED:Error:Socket is closed', 'close:nil' }, log.events)
    end)

    it('on a pipe: raises ERR_INVALID_HANDLE_TYPE at once, the socket stays open', function()
      local log = H.log()
      local path = tmp_path()
      local server = net.createServer(function(c) c:resume() end)
      server:listen(path, function()
        local s
        s = net.connect(path, function()
          local ok, err = pcall(s.resetAndDestroy, s)
          log('raised:' .. tostring(not ok))
          if not ok then log({ err.code, err.name, err.message }) end
          log('destroyed=' .. tostring(s.destroyed))
          s:destroy()
        end)
        s:on('error', function(e) log('error:' .. tostring(e.code)) end)
        s:on('close', function() server:close() end)
      end)
      H.run(3000)
      os.remove(path)
      assert.same({
        'raised:true', { 'ERR_INVALID_HANDLE_TYPE', 'TypeError', 'This handle type cannot be sent' }, 'destroyed=false',
      }, log.events)
    end)
  end)

  describe('pipe and unpipe', function()
    it("unpipe(dest): 'unpipe' on dest, the source pauses and buffers; unpipe() returns the source", function()
      local log = H.log()
      local feeder
      local feed_server = net.createServer(function(c) feeder = c end)
      H.listen(feed_server, function(feed_port)
        local sink_server = net.createServer(function(c)
          c:on('data', function(d) log('sink-got:' .. d) end)
          c:on('end', function() c:end_() end)
        end)
        H.listen(sink_server, function(sink_port)
          local src = net.connect(feed_port, '127.0.0.1')
          local dst = net.connect(sink_port, '127.0.0.1')
          local up = 0
          local function go()
            up = up + 1
            if up < 2 then return end
            dst:on('pipe', function(s) log('pipe-event:' .. tostring(rawequal(s, src))) end)
            dst:on('unpipe', function(s) log('unpipe-event:' .. tostring(rawequal(s, src))) end)
            log('pipe-returns-dest:' .. tostring(rawequal(src:pipe(dst), dst)))
            feeder:write('one')
            timers.setTimeout(function()
              log('unpipe-returns-src:' .. tostring(rawequal(src:unpipe(dst), src)))
              log(string.format('after-unpipe:isPaused=%s:flowing=%s', tostring(src:isPaused()),
                tostring(src.readableFlowing)))
              feeder:write('two')
              timers.setTimeout(function()
                log('buffered-in-src:' .. tostring(src.readableLength))
                log('unpipe-none-returns-src:' .. tostring(rawequal(src:unpipe(), src)))
                src:destroy()
                feeder:destroy()
                dst:end_()
              end, 50)
            end, 50)
          end
          src:on('connect', function() timers.setTimeout(go, 20) end)
          dst:on('connect', go)
          dst:on('close', function() sink_server:close(); feed_server:close() end)
        end)
      end)
      H.run(3000)
      assert.same({
        'pipe-event:true', 'pipe-returns-dest:true', 'sink-got:one', 'unpipe-event:true', 'unpipe-returns-src:true',
        'after-unpipe:isPaused=true:flowing=false', 'buffered-in-src:3', 'unpipe-none-returns-src:true',
      }, log.events)
    end)

    it("pipe(dest, { ['end'] = false }) and { end_ = false }: dest stays writable after the source ends", function()
      for _, opts in ipairs({ { ['end'] = false }, { end_ = false } }) do
        local log = H.log()
        local src_server = net.createServer(function(c) c:end_('from-src') end)
        H.listen(src_server, function(src_port)
          local sink_server = net.createServer(function(c)
            local got = {}
            c:on('data', function(d) got[#got + 1] = d end)
            c:on('end', function() log('sink-got:' .. table.concat(got)); c:end_() end)
          end)
          H.listen(sink_server, function(sink_port)
            local dst
            dst = net.connect(sink_port, '127.0.0.1', function()
              local src = net.connect(src_port, '127.0.0.1')
              src:pipe(dst, opts)
              src:on('end', function()
                timers.setImmediate(function()
                  log('src-ended:dst.writableEnded=' .. tostring(dst.writableEnded))
                  dst:end_(':more')
                end)
              end)
            end)
            dst:resume()
            dst:on('close', function() sink_server:close(); src_server:close() end)
          end)
        end)
        H.run(3000)
        assert.same({ 'src-ended:dst.writableEnded=false', 'sink-got:from-src:more' }, log.events)
      end
    end)
  end)

  describe('<close>', function()
    it('a socket in a <close> variable is destroyed at the end of its scope', function()
      local log = H.log()
      local held
      do
        local s <close> = net.Socket()
        held = s
        s:on('close', function(h) log('close:' .. tostring(h)) end)
      end
      log('destroyed-after-scope:' .. tostring(held.destroyed))
      H.run(1000)
      -- a socket that never had a handle: Node emits 'close' with no argument
      assert.same({ 'destroyed-after-scope:true', 'close:nil' }, log.events)
    end)

    it('a connecting socket: destroyed when the scope ends, also by an error; the server sees nothing break', function()
      local log = H.log()
      local function onconn(c) c:on('error', function(e) log('peer-error:' .. tostring(e.code)) end) end
      serve(onconn, function(port, server)
        local held
        local ok = pcall(function()
          local s <close> = net.connect(port, '127.0.0.1')
          held = s
          s:on('connect', function() log('connect') end)
          s:on('close', function(h) log('close:' .. tostring(h)); server:close() end)
          error('boom')
        end)
        log('raised:' .. tostring(not ok) .. ':destroyed=' .. tostring(held.destroyed))
      end)
      H.run(3000)
      assert.same({ 'raised:true:destroyed=true', 'close:false' }, log.events)
    end)
  end)
end)
