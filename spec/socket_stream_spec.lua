-- Stream rules of net.Socket: writes after end/destroy, errors from the
-- network (EPIPE, ECONNRESET), finish and close order, half-open, and 64 MiB
-- through pipe() with bounded buffering; checked against Node
-- (`node spec/node/socket_stream.js`).
local net = require('net')
local core = require('net.core')
local timers = require('net.timers')
local H = require('spec.helper')

local serve = H.serve

-- every event of one socket, in order
local function trace(s, log, tag)
  tag = tag or ''
  for _, ev in ipairs({ 'connect', 'ready', 'data', 'end', 'finish', 'drain', 'error', 'close', 'timeout' }) do
    s:on(ev, function(a)
      if ev == 'data' then log(tag .. 'data:' .. a)
      elseif ev == 'error' then log(tag .. 'error:' .. tostring(a.code or a.message))
      elseif ev == 'close' then log(tag .. 'close:' .. tostring(a))
      else log(tag .. ev) end
    end)
  end
end

local function errinfo(e)
  if e == nil then return 'nil' end
  return { name = e.name, code = e.code, errno = e.errno, syscall = e.syscall, message = e.message }
end

local make_data = H.make_data

-- Runs `script` in a child lua5.4 (same LUA_PATH/LUA_CPATH); returns its
-- output lines (stderr included) and a last line 'exit=<status>'.
local function run_child(script)
  local path = os.tmpname()
  local f = assert(io.open(path, 'w'))
  f:write(script)
  f:close()
  -- SIGPIPE back to its default: an ignored signal is inherited, and the
  -- child must show what the module itself does about it
  local p = assert(io.popen('env --default-signal=PIPE timeout 5 lua5.4 ' .. path .. ' 2>&1; echo "exit=$?"'))
  local out = p:read('a')
  p:close()
  os.remove(path)
  local lines = {}
  for l in out:gmatch('[^\n]+') do lines[#lines + 1] = l end
  return lines
end

describe('socket stream rules', function()
  after_each(function()
    if core.handleCount() > 0 then
      core.closeAll()
      pcall(net.run)
    end
  end)

  describe('writes that cannot happen', function()
    it('after end_: false; the cb and an error event get ERR_STREAM_WRITE_AFTER_END; close(true)', function()
      local log = H.log()
      serve(function(c)
        c:resume()
        c:on('end', function() c:end_() end)
      end, function(port, server)
        local s
        s = net.connect(port, '127.0.0.1', function()
          s:end_()
          log('write:' .. tostring(s:write('late', function(e) log(errinfo(e)) end)))
        end)
        trace(s, log)
        s:on('close', function() server:close() end)
      end)
      H.run(3000)
      assert.same({
        'write:false', 'connect', 'ready',
        { name = 'Error', code = 'ERR_STREAM_WRITE_AFTER_END', message = 'write after end' },
        'error:ERR_STREAM_WRITE_AFTER_END', 'close:true',
      }, log.events)
    end)

    it('after destroy: false; the cb gets ERR_STREAM_DESTROYED; no error event; close(false)', function()
      local log = H.log()
      serve(function(c) c:resume() end, function(port, server)
        local s
        s = net.connect(port, '127.0.0.1', function()
          s:destroy()
          log('write:' .. tostring(s:write('late', function(e) log(errinfo(e)) end)))
        end)
        trace(s, log)
        s:on('close', function() server:close() end)
      end)
      H.run(3000)
      assert.same({
        'write:false', 'connect', 'ready',
        { name = 'Error', code = 'ERR_STREAM_DESTROYED', message = 'Cannot call write after a stream was destroyed' },
        'close:false',
      }, log.events)
    end)

    it('destroy() while writes wait for the connection: their cbs get ERR_SOCKET_CLOSED_BEFORE_CONNECTION', function()
      local log = H.log()
      serve(function(c) c:resume() end, function(port, server)
        local s = net.connect(port, '127.0.0.1')
        s:write('a', function(e) log(errinfo(e)) end)
        s:write('b', function(e) log('cb-b:' .. tostring(e and e.code)) end)
        s:destroy()
        trace(s, log)
        s:on('close', function() server:close() end)
      end)
      H.run(3000)
      assert.same({
        { name = 'Error', code = 'ERR_SOCKET_CLOSED_BEFORE_CONNECTION',
          message = 'Socket closed before the connection was established' },
        'cb-b:ERR_SOCKET_CLOSED_BEFORE_CONNECTION', 'close:false',
      }, log.events)
    end)

    it("peer ended, no allowHalfOpen: a write in the 'end' listener goes out; after the auto-end, EPIPE to the cb",
      function()
        local log = H.log()
        local server_got
        serve(function(c)
          local got = {}
          c:on('data', function(d) got[#got + 1] = d end)
          c:on('end', function() server_got = table.concat(got) end)
          c:end_()
        end, function(port, server)
          local s = net.connect(port, '127.0.0.1')
          s:on('end', function()
            log('in-end:writableEnded=' .. tostring(s.writableEnded) .. ':write=' .. tostring(s:write('reply')))
            timers.setImmediate(function()
              log('later:writableEnded=' .. tostring(s.writableEnded) .. ':destroyed=' .. tostring(s.destroyed))
              log('write:' .. tostring(s:write('too late', function(e) log(errinfo(e)) end)))
            end)
          end)
          trace(s, log, 'c-')
          s:on('close', function() timers.setTimeout(function() server:close() end, 30) end)
        end, { allowHalfOpen = true })
        H.run(3000)
        assert.same({
          'c-connect', 'c-ready', 'in-end:writableEnded=false:write=true', 'c-end', 'c-finish',
          'later:writableEnded=true:destroyed=true', 'write:false',
          { name = 'Error', code = 'EPIPE', message = 'This socket has been ended by the other party' },
          'c-close:false',
        }, log.events)
        assert.equal('reply', server_got)
      end)
  end)

  describe('errors from the network', function()
    -- In a child process: without SIGPIPE ignored (as Node ignores it), the
    -- write would kill the whole process instead of reporting EPIPE.
    it('EPIPE on write to a peer that is gone: the cb, then an error event (not a raise, no SIGPIPE), close(true)',
      function()
        local lines = run_child([==[
          local net = require('net')
          local timers = require('net.timers')
          local function info(e)
            return table.concat({ tostring(e.name), tostring(e.code), tostring(e.errno), tostring(e.syscall),
              tostring(e.message) }, '|')
          end
          local server = net.createServer(function(c) c:destroy() end)
          server:listen(0, '127.0.0.1', function()
            local s = net.connect({ port = server:address().port, host = '127.0.0.1', allowHalfOpen = true })
            s:on('end', function()
              print('end')
              s:write('x', function(e) print('cb1:' .. tostring(e and e.code)) end)
              timers.setTimeout(function()
                s:write('y', function(e) print('cb2:' .. info(e)) end)
              end, 50)
            end)
            s:on('error', function(e) print('error:' .. info(e) .. ':destroyed=' .. tostring(s.destroyed)) end)
            s:on('close', function(h) print('close:' .. tostring(h)); server:close() end)
          end)
          net.run()
          print('run returned')
        ]==])
        assert.same({
          'end', 'cb1:nil', 'cb2:Error|EPIPE|-32|write|write EPIPE',
          'error:Error|EPIPE|-32|write|write EPIPE:destroyed=true', 'close:true', 'run returned', 'exit=0',
        }, lines)
      end)

    it('ECONNRESET when the peer closes with unread data: syscall read, Node fields, close(true)', function()
      local log = H.log()
      serve(function(c) timers.setTimeout(function() c:destroy() end, 50) end, function(port, server)
        local s
        s = net.connect(port, '127.0.0.1', function() s:write('unread by the server') end)
        s:on('data', function() log('data') end)
        s:on('end', function() log('end') end)
        s:on('error', function(e) log(errinfo(e)) end)
        s:on('close', function(h) log('close:' .. tostring(h)); server:close() end)
      end, { pauseOnConnect = true })
      H.run(3000)
      assert.same({
        { name = 'Error', code = 'ECONNRESET', errno = -104, syscall = 'read', message = 'read ECONNRESET' },
        'close:true',
      }, log.events)
    end)

    it('an unhandled ECONNRESET is raised out of net.run with its code', function()
      serve(function(c) timers.setTimeout(function() c:destroy() end, 50) end, function(port, server)
        local s
        s = net.connect(port, '127.0.0.1', function() s:write('unread by the server') end)
        s:resume()
        s:on('close', function() server:close() end)
      end, { pauseOnConnect = true })
      local ok, err = pcall(H.run, 3000)
      assert.is_false(ok)
      assert.is_truthy(tostring(err):find('ECONNRESET', 1, true), tostring(err))
    end)
  end)

  describe('finish and close', function()
    it("'finish' after every write callback and the end_ callback, with nothing left to write", function()
      local log = H.log()
      serve(function(c)
        c:resume()
        c:on('end', function() c:end_() end)
      end, function(port, server)
        local s
        s = net.connect(port, '127.0.0.1', function()
          local big = ('z'):rep(1 << 20)
          s:write(big, function() log('cb1') end)
          s:write(big, function() log('cb2') end)
          s:end_('last', function() log('end-cb') end)
        end)
        s:on('finish', function()
          log(string.format('finish:writableLength=%s:writableFinished=%s:bytesWritten=%s', tostring(s.writableLength),
            tostring(s.writableFinished), tostring(s.bytesWritten)))
        end)
        s:resume()
        s:on('close', function() server:close() end)
      end)
      H.run(3000)
      assert.same({ 'cb1', 'cb2', 'end-cb', 'finish:writableLength=0:writableFinished=true:bytesWritten=2097156' },
        log.events)
    end)

    it("'close' exactly once and last, however the socket is torn down", function()
      local cases = {
        { 'destroy-twice', function(s) s:destroy(); s:destroy() end },
        { 'destroy-err-twice', function(s) s:destroy(net.Error('one')); s:destroy(net.Error('two')) end },
        { 'end-then-destroy', function(s) s:end_('x'); s:destroy() end },
        { 'destroy-in-error', function(s) s:on('error', function() s:destroy() end); s:destroy(net.Error('boom')) end },
        { 'destroy-in-close', function(s) s:on('close', function() s:destroy() end); s:destroy() end },
        { 'destroySoon-then-destroy', function(s) s:destroySoon(); s:destroy() end },
      }
      local res = {}
      serve(function(c)
        c:resume()
        c:on('error', function() end)
      end, function(port, server)
        local n = 0
        for _, case in ipairs(cases) do
          local log = H.log()
          local s
          s = net.connect(port, '127.0.0.1', function() case[2](s) end)
          trace(s, log)
          s:on('close', function()
            timers.setTimeout(function()
              res[case[1]] = log.events
              n = n + 1
              if n == #cases then server:close() end
            end, 50)
          end)
        end
      end)
      H.run(3000)
      assert.same({
        ['destroy-twice'] = { 'connect', 'ready', 'close:false' },
        ['destroy-err-twice'] = { 'connect', 'ready', 'error:one', 'close:true' },
        ['end-then-destroy'] = { 'connect', 'ready', 'close:false' },
        ['destroy-in-error'] = { 'connect', 'ready', 'error:boom', 'close:true' },
        ['destroy-in-close'] = { 'connect', 'ready', 'close:false' },
        ['destroySoon-then-destroy'] = { 'connect', 'ready', 'close:false' },
      }, res)
    end)
  end)

  describe('half-open', function()
    it('allowHalfOpen on both sides: the client ends first; the server streams 200 chunks after, then ends', function()
      local log = H.log()
      serve(function(c)
        c:on('end', function()
          local i = 0
          local function send()
            while i < 200 do
              i = i + 1
              if not c:write('chunk' .. i .. ';') then
                c:once('drain', send)
                return
              end
            end
            c:end_()
          end
          timers.setTimeout(send, 20)
        end)
        c:resume()
      end, function(port, server)
        local got = {}
        local s
        s = net.connect({ port = port, host = '127.0.0.1', allowHalfOpen = true }, function() s:end_('bye') end)
        s:on('data', function(d) got[#got + 1] = d end)
        s:on('finish', function() log('finish:' .. tostring(s.readyState)) end)
        s:on('end', function()
          local all = table.concat(got)
          local _, count = all:gsub(';', '')
          log('end:' .. count .. ':' .. tostring(all:sub(-9) == 'chunk200;'))
        end)
        s:on('close', function(h) log('close:' .. tostring(h)); server:close() end)
      end, { allowHalfOpen = true })
      H.run(3000)
      assert.same({ 'finish:readOnly', 'end:200:true', 'close:false' }, log.events)
    end)
  end)

  describe('pipe', function()
    -- 64 MiB from a producer socket, through pipe() on a relay, to a slow
    -- reader that pauses 10 ms after every MiB. Every byte is checked as it
    -- arrives; the relay's writableLength is sampled every 5 ms and on every
    -- chunk it reads, and must stay within the high-water mark plus one read;
    -- pipe() must have paused the relay's source ('pause' event) on the way.
    it('64 MiB through pipe() to a slow reader: every byte intact, buffering bounded', function()
      local N = 64 * 1024 * 1024
      local CHUNK = 64 * 1024
      local data = make_data(N)
      local max_relay, max_producer, pauses, received, ok = 0, 0, 0, 0, true
      local relay_pauses = 0
      local wait_relay_pause, relay_in
      local result
      local producer = net.createServer(function(p)
        local sent = 0
        local function pump()
          while sent < N do
            local more = p:write(data:sub(sent + 1, sent + CHUNK))
            sent = sent + CHUNK
            if p.writableLength > max_producer then max_producer = p.writableLength end
            if not more then
              p:once('drain', pump)
              return
            end
          end
          p:end_()
        end
        pump()
      end)
      local sink = net.createServer(function(c)
        c:on('data', function(d)
          if ok and d ~= data:sub(received + 1, received + #d) then ok = false end
          local before = received
          received = received + #d
          if received >> 20 ~= before >> 20 then
            c:pause()
            pauses = pauses + 1
            if pauses == 8 and not relay_in:isPaused() then
              -- hold until backpressure has reached the relay's source: with
              -- 64 MiB coming, the socket buffers fill and it must pause
              -- (whatever the speed of the run: valgrind's included)
              wait_relay_pause = function() c:resume() end
            else
              timers.setTimeout(function() c:resume() end, 10)
            end
          end
        end)
        c:on('end', function() c:end_() end)
      end)
      H.listen(producer, function(pport)
        H.listen(sink, function(sport)
          local out = net.connect(sport, '127.0.0.1')
          local inp = net.connect(pport, '127.0.0.1')
          relay_in = inp
          inp:on('pause', function()
            relay_pauses = relay_pauses + 1
            if wait_relay_pause then
              local go = wait_relay_pause
              wait_relay_pause = nil
              timers.setTimeout(go, 10)
            end
          end)
          inp:pipe(out)
          local function sample()
            if out.writableLength > max_relay then max_relay = out.writableLength end
          end
          local iv = timers.setInterval(sample, 5)
          inp:on('data', sample)
          out:on('close', function()
            timers.clearInterval(iv)
            producer:close()
            sink:close()
            result = {
              received = received, ok = ok, relayBounded = max_relay <= 16384 + CHUNK,
              producerBounded = max_producer <= 16384 + CHUNK, slowReaderPaused = pauses >= 60,
              relaySourcePaused = relay_pauses >= 1,
              inBytes = inp.bytesRead, outBytes = out.bytesWritten,
            }
          end)
        end)
      end)
      H.run(20000)
      assert.same({
        received = N, ok = true, relayBounded = true, producerBounded = true, slowReaderPaused = true,
        relaySourcePaused = true, inBytes = N, outBytes = N,
      }, result, string.format('max relay writableLength %d, max producer %d, pauses %d, relay pauses %d', max_relay,
        max_producer, pauses, relay_pauses))
    end)
  end)
end)
