-- net.Socket(options): fd, allowHalfOpen, signal, onread, noDelay and
-- keepAlive, blockList, typeOfService; checked against Node
-- (`node spec/node/socket_options.js`) or, for what Node 20 lacks, the
-- latest docs.
local net = require('net')
local core = require('net.core')
local timers = require('net.timers')
local H = require('spec.helper')

local serve = H.serve

local raises = H.raises

local proc_timer = H.proc_timer

-- A Lua child running `script` with fds set up by bash (`redirects`, e.g.
-- '3<>"$D/f"', with $D a fresh directory holding the FIFO `f` and a plain
-- file `file`); returns a handle whose :wait() gives the child's output lines.
local function spawn_child(script, redirects)
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute('mkdir ' .. dir .. ' && mkfifo ' .. dir .. '/f && echo x > ' .. dir .. '/file'))
  local path = dir .. '/child.lua'
  local f = assert(io.open(path, 'w'))
  f:write(script)
  f:close()
  local cmd = string.format([[D=%s bash -c 'exec timeout 5 lua5.4 "$D/child.lua" %s' 2>&1]], dir, redirects)
  local p = assert(io.popen(cmd))
  return {
    wait = function()
      local out = p:read('a')
      p:close()
      os.execute('rm -rf ' .. dir)
      local lines = {}
      for l in out:gmatch('[^\n]+') do lines[#lines + 1] = l end
      return lines
    end,
  }
end

describe('net.Socket options', function()
  after_each(function()
    if core.handleCount() > 0 then
      core.closeAll()
      pcall(net.run)
    end
  end)

  describe('fd', function()
    it('bad values raise', function()
      local got = {}
      for _, v in ipairs({ 'x', -1, 1.5 }) do
        local err = raises(net.Socket, { fd = v })
        got[#got + 1] = { err.code, err.name, err.message }
      end
      assert.same({
        { 'ERR_INVALID_ARG_TYPE', 'TypeError',
          [[The "fd" argument must be of type number. Received type string ('x')]] },
        { 'ERR_OUT_OF_RANGE', 'RangeError',
          'The value of "fd" is out of range. It must be >= 0 && <= 2147483647. Received -1' },
        { 'ERR_OUT_OF_RANGE', 'RangeError', 'The value of "fd" is out of range. It must be an integer. Received 1.5' },
      }, got)
    end)

    it('a FIFO opened read-write: writes come back; readable/writable = false; a plain file raises', function()
      local child = spawn_child([==[
        local net = require('net')
        local function st(s)
          return table.concat({ tostring(s.readyState), tostring(s.readable), tostring(s.writable), tostring(s.pending),
            tostring(s.connecting), tostring(s.remoteAddress), next(s:address()) == nil and '{}' or 'not-empty',
            tostring(s.bytesRead) }, ':')
        end
        local ok, e = pcall(net.Socket, { fd = 5 })
        print('file', ok and 'no raise' or (tostring(e.code) .. '|' .. tostring(e.name) .. '|' .. tostring(e.message)))
        local s = net.Socket({ fd = 3, readable = true, writable = true })
        print('fifo', st(s))
        s:on('connect', function() print('connect') end)
        s:on('data', function(d) print('data', d, st(s)); s:destroy() end)
        local function wo()
          local w = net.Socket({ fd = 7, writable = false })
          print('writable-false', st(w), tostring(w.writableEnded))
          w:on('error', function(err) print('w-error', err.code) end)
          print('w-write', tostring(w:write('x', function(err) print('w-cb', err and err.code) end)))
          w:on('close', function(h) print('w-close', tostring(h)) end)
        end
        local function ro()
          local r = net.Socket({ fd = 6, readable = false })
          print('readable-false', st(r), tostring(r.readableEnded))
          r:on('data', function(d) print('r-data', d) end)
          r:on('end', function() print('r-end') end)
          r:write('abc', function(err)
            print('r-written', tostring(err))
            require('net.timers').setTimeout(function() r:destroy() end, 50)
          end)
          r:on('close', function(h) print('r-close', tostring(h)); wo() end)
        end
        s:on('close', function(h)
          print('close', tostring(h))
          local t = net.Socket({ fd = 4 })
          print('no-flags', st(t))
          t:on('data', function(d) print('t-data', d); t:destroy() end)
          print('t-write', tostring(t:write('x')))
          t:on('close', function(h2) print('t-close', tostring(h2)); ro() end)
        end)
        print('write', tostring(s:write('hello')))
        net.run()
      ]==], '3<>"$D/f" 4<>"$D/f" 5<"$D/file" 6<>"$D/f" 7<>"$D/f"')
      assert.same({
        'file\tERR_INVALID_FD_TYPE|TypeError|Unsupported fd type: FILE',
        'fifo\topen:true:true:false:false:nil:{}:0',
        'write\ttrue',
        'data\thello\topen:true:true:false:false:nil:{}:5',
        'close\tfalse',
        'no-flags\topen:true:true:false:false:nil:{}:0',
        't-write\ttrue',
        't-data\tx',
        't-close\tfalse',
        'readable-false\twriteOnly:false:true:false:false:nil:{}:0\ttrue',
        'r-written\tnil',
        'r-close\tfalse',
        'writable-false\treadOnly:true:false:false:false:nil:{}:0\ttrue',
        'w-write\tfalse',
        'w-cb\tERR_STREAM_WRITE_AFTER_END',
        'w-error\tERR_STREAM_WRITE_AFTER_END',
        'w-close\ttrue',
      }, child.wait())
    end)

    it('a TCP connection made elsewhere (bash 3<>/dev/tcp/...): remote fields, data both ways', function()
      local child, port
      local server = net.createServer(function(c) c:on('data', function(d) c:end_('echo:' .. d) end) end)
      H.listen(server, function(p)
        port = p
        child = spawn_child(string.format([==[
          local net = require('net')
          local s = net.Socket({ fd = 3, readable = true, writable = true })
          print(table.concat({ tostring(s.readyState), tostring(s.remoteAddress), tostring(s.remotePort == %d),
            tostring(s.remoteFamily), tostring(s.localAddress), tostring(s.pending) }, ':'))
          s:on('data', function(d) print('data:' .. d) end)
          s:on('end', function() print('end') end)
          s:on('close', function(h) print('close:' .. tostring(h)) end)
          s:write('hi')
          net.run()
        ]==], p), '3<>/dev/tcp/127.0.0.1/' .. p)
        server:on('connection', function(c) c:on('close', function() server:close() end) end)
      end)
      H.run(5000)
      assert.is_not_nil(port)
      assert.same({ 'open:127.0.0.1:true:IPv4:127.0.0.1:false', 'data:echo:hi', 'end', 'close:false' }, child.wait())
    end)
  end)

  describe('allowHalfOpen', function()
    it('a client keeps writing after the peer ended, until it ends itself', function()
      local log = H.log()
      local server_got
      serve(function(c)
        local got = {}
        c:on('data', function(d) got[#got + 1] = d end)
        c:on('end', function() server_got = table.concat(got) end)
        c:end_('bye')
      end, function(port, server)
        local s = net.connect({ port = port, host = '127.0.0.1', allowHalfOpen = true })
        log('allowHalfOpen:' .. tostring(s.allowHalfOpen))
        s:on('data', function(d) log('data:' .. d) end)
        s:on('end', function()
          log('end:writable=' .. tostring(s.writable) .. ':' .. tostring(s.readyState))
          timers.setTimeout(function()
            s:write('late1')
            timers.setTimeout(function() s:end_('late2') end, 20)
          end, 20)
        end)
        s:on('finish', function() log('finish') end)
        s:on('close', function(h) log('close:' .. tostring(h)); server:close() end)
      end)
      H.run(3000)
      assert.same({ 'allowHalfOpen:true', 'data:bye', 'end:writable=true:writeOnly', 'finish', 'close:false' },
        log.events)
      assert.equal('late1late2', server_got)
    end)
  end)

  describe('signal', function()
    it('AbortController: aborted, the default reason (an AbortError), the abort event; abort twice keeps the reason',
      function()
        local ac = net.AbortController()
        local got = { tostring(ac.signal.aborted), tostring(ac.signal.reason) }
        ac.signal:on('abort', function() got[#got + 1] = 'abort-event' end)
        ac:abort()
        local r = ac.signal.reason
        got[#got + 1] = string.format('%s:%s:%s:%s', tostring(ac.signal.aborted), tostring(r.name), tostring(r.message),
          tostring(r.code))
        ac:abort('again')
        got[#got + 1] = 'reason-kept:' .. tostring(rawequal(ac.signal.reason, r))
        assert.same({
          'false', 'nil', 'abort-event', 'true:AbortError:This operation was aborted:20', 'reason-kept:true',
        }, got)
        local err = raises(net.Socket, { signal = { bogus = true } })
        assert.same({ 'ERR_INVALID_ARG_TYPE', 'TypeError',
          'The "signal" argument must be an instance of AbortSignal. Received an instance of Object' },
          { err.code, err.name, err.message })
      end)

    it("already aborted: 'error' AbortError (cause = the reason) on a later tick, 'close' with no hadError", function()
      local log = H.log()
      local ac = net.AbortController()
      ac:abort()
      local s = net.Socket({ signal = ac.signal })
      log('destroyed-at-once:' .. tostring(s.destroyed))
      s:on('error', function(e)
        log(string.format('error:%s:%s:%s:cause-is-reason=%s', tostring(e.name), tostring(e.code), tostring(e.message),
          tostring(rawequal(e.cause, ac.signal.reason))))
      end)
      s:on('close', function(h) log('close:' .. tostring(h)) end)
      H.run(1000)
      assert.same({
        'destroyed-at-once:false', 'error:AbortError:ABORT_ERR:The operation was aborted:cause-is-reason=true',
        'close:nil',
      }, log.events)
    end)

    it('abort while connecting: destroyed at once, AbortError, close(true), no connect', function()
      local log = H.log()
      serve(function(c) c:resume() end, function(port, server)
        local ac = net.AbortController()
        local s = net.connect({ port = port, host = '127.0.0.1', signal = ac.signal })
        s:on('connect', function() log('connect') end)
        s:on('error', function(e) log('error:' .. tostring(e.name) .. ':' .. tostring(e.code)) end)
        s:on('close', function(h) log('close:' .. tostring(h)); server:close() end)
        ac:abort()
        log('destroyed:' .. tostring(s.destroyed))
      end)
      H.run(3000)
      assert.same({ 'destroyed:true', 'error:AbortError:ABORT_ERR', 'close:true' }, log.events)
    end)

    it('abort(reason) when connected: the error carries cause = reason; the peer sees end, close(false)', function()
      local log = H.log()
      serve(function(c)
        c:on('end', function() log('peer-end') end)
        c:on('close', function(h) log('peer-close:' .. tostring(h)) end)
        c:resume()
      end, function(port, server)
        local ac = net.AbortController()
        local reason = net.Error('my reason')
        local s = net.connect({ port = port, host = '127.0.0.1', signal = ac.signal }, function()
          log('connect')
          ac:abort(reason)
        end)
        s:on('error', function(e)
          log(string.format('error:%s:%s:%s:cause-is-reason=%s', tostring(e.name), tostring(e.code),
            tostring(e.message), tostring(rawequal(e.cause, reason))))
        end)
        s:on('close', function(h)
          log('close:' .. tostring(h))
          timers.setTimeout(function() server:close() end, 50)
        end)
      end)
      H.run(3000)
      assert.same({
        'connect', 'error:AbortError:ABORT_ERR:The operation was aborted:cause-is-reason=true', 'close:true',
        'peer-end', 'peer-close:false',
      }, log.events)
    end)

    it('aborting after close does nothing', function()
      local log = H.log()
      serve(function(c)
        c:resume()
        c:on('end', function() c:end_() end)
      end, function(port, server)
        local ac = net.AbortController()
        local s
        s = net.connect({ port = port, host = '127.0.0.1', signal = ac.signal }, function() s:end_() end)
        s:on('error', function(e) log('error:' .. tostring(e.code)) end)
        s:resume()
        s:on('close', function(h)
          log('close:' .. tostring(h))
          ac:abort()
          timers.setTimeout(function() log('quiet'); server:close() end, 30)
        end)
      end)
      H.run(3000)
      assert.same({ 'close:false', 'quiet' }, log.events)
    end)
  end)

  describe('onread', function()
    it('a 4-byte buffer: chunks of at most 4 bytes, exactly nread long; no data events; end and close', function()
      local log = H.log()
      serve(function(c) c:end_('0123456789') end, function(port, server)
        local s = net.connect({ port = port, host = '127.0.0.1', onread = { buffer = 4, callback = function(n, chunk)
          log(tostring(n) .. ':' .. chunk .. ':' .. tostring(#chunk == n) .. ':' .. tostring(math.type(n)))
        end } })
        s:on('data', function() log('data') end)
        s:on('end', function() log('end') end)
        s:on('close', function(h) log('close:' .. tostring(h)); server:close() end)
      end)
      H.run(3000)
      assert.same({
        '4:0123:true:integer', '4:4567:true:integer', '2:89:true:integer', 'end', 'close:false',
      }, log.events)
    end)

    -- Node's docs say returning false "implicitly pause()s" the socket, but
    -- Node only stops reading: isPaused() stays false, resume() reads on.
    it('buffer as a function; returning false stops reading (isPaused() stays false); resume() goes on', function()
      local log = H.log()
      local calls = 0
      serve(function(c) c:end_('0123456789') end, function(port, server)
        local s
        local n_cb = 0
        s = net.Socket({ onread = {
          buffer = function() calls = calls + 1; return 3 end,
          callback = function(n, chunk)
            n_cb = n_cb + 1
            log(tostring(n) .. ':' .. chunk)
            if n_cb == 1 then
              timers.setTimeout(function() log('later:isPaused=' .. tostring(s:isPaused())); s:resume() end, 50)
              return false
            end
          end,
        } })
        s:connect(port, '127.0.0.1')
        s:on('end', function() log('end') end)
        s:on('close', function(h)
          log('close:' .. tostring(h) .. ':buffer-fn-called=' .. tostring(calls >= 4))
          server:close()
        end)
      end)
      H.run(3000)
      assert.same({
        '3:012', 'later:isPaused=false', '3:345', '3:678', '1:9', 'end', 'close:false:buffer-fn-called=true',
      }, log.events)
    end)
  end)

  describe('noDelay, keepAlive, keepAliveInitialDelay', function()
    it('keepAlive with keepAliveInitialDelay (Socket options and connect options) starts the kernel timer', function()
      local log = H.log()
      serve(function(c) c:resume() end, function(port, server)
        local a = net.Socket({ keepAlive = true, keepAliveInitialDelay = 6000, noDelay = true })
        a:connect(port, '127.0.0.1', function()
          timers.setTimeout(function()
            local tr, when = proc_timer(a)
            log(string.format('ctor:timer=%d:near-6s=%s', tr, tostring(when > 600 - 100 * H.SCALE and when <= 600)))
            local b
            b = net.connect({ port = port, host = '127.0.0.1', keepAlive = true, keepAliveInitialDelay = 4000,
              noDelay = true }, function()
              timers.setTimeout(function()
                local tr2, when2 = proc_timer(b)
                log(string.format('connect-options:timer=%d:near-4s=%s', tr2,
                  tostring(when2 > 400 - 100 * H.SCALE and when2 <= 400)))
                local c
                c = net.connect(port, '127.0.0.1', function()
                  timers.setTimeout(function()
                    log('default:timer=' .. (proc_timer(c)))
                    a:destroy()
                    b:destroy()
                    c:destroy()
                    timers.setTimeout(function() server:close() end, 20)
                  end, 20)
                end)
              end, 20)
            end)
          end, 20)
        end)
      end)
      H.run(3000)
      assert.same({ 'ctor:timer=2:near-6s=true', 'connect-options:timer=2:near-4s=true', 'default:timer=0' },
        log.events)
    end)
  end)

  -- Newer than Node 20 (v23.4 / v22.13): from the latest docs ("blockList can
  -- be used for disabling outbound access to specific IP addresses"), with
  -- Node's ERR_IP_BLOCKED ('IP(<address>) is blocked by net.BlockList'),
  -- raised as in Node's internalConnect: destroy(err) instead of connecting.
  describe('(latest docs) blockList', function()
    it('connecting to a blocked address: ERR_IP_BLOCKED, close(true), no connect; the server sees nothing', function()
      local log = H.log()
      local got
      local bl = net.BlockList()
      bl:addAddress('127.0.0.1')
      serve(function() log('server-connection') end, function(port, server)
        local s = net.connect({ port = port, host = '127.0.0.1', blockList = bl })
        s:on('connect', function() log('connect') end)
        s:on('error', function(e) got = e; log('error:' .. tostring(e.code)) end)
        s:on('close', function(h)
          log('close:' .. tostring(h))
          timers.setTimeout(function() server:close() end, 30)
        end)
      end)
      H.run(3000)
      assert.same({ 'error:ERR_IP_BLOCKED', 'close:true' }, log.events)
      assert.same({ 'Error', 'IP(127.0.0.1) is blocked by net.BlockList' }, { got.name, got.message })
    end)

    it('an address not in the list connects; a name that resolves to a blocked address is blocked', function()
      local log = H.log()
      local bl = net.BlockList()
      bl:addSubnet('127.0.0.0', 24)
      local ok_list = net.BlockList()
      ok_list:addAddress('10.0.0.1')
      serve(function(c) c:end_('hi') end, function(port, server)
        local a = net.connect({ port = port, host = '127.0.0.1', blockList = ok_list })
        a:on('data', function(d) log('allowed:' .. d) end)
        a:on('close', function()
          local b = net.connect({ port = port, host = 'blocked.invalid', family = 4, blockList = bl,
            lookup = function(_, _, cb) timers.setImmediate(cb, nil, '127.0.0.1', 4) end })
          b:on('lookup', function(err, address) log('lookup:' .. tostring(err) .. ':' .. tostring(address)) end)
          b:on('connect', function() log('connect') end)
          b:on('error', function(e) log('error:' .. tostring(e.code) .. ':' .. tostring(e.message)) end)
          b:on('close', function(h) log('close:' .. tostring(h)); server:close() end)
        end)
      end)
      H.run(3000)
      assert.same({
        'allowed:hi', 'lookup:nil:127.0.0.1', 'error:ERR_IP_BLOCKED:IP(127.0.0.1) is blocked by net.BlockList',
        'close:true',
      }, log.events)
    end)

    it('a blockList that is not a net.BlockList raises ERR_INVALID_ARG_TYPE', function()
      local err = raises(net.Socket, { blockList = { bogus = true } })
      assert.same({ 'ERR_INVALID_ARG_TYPE', 'TypeError',
        'The "options.blockList" property must be an instance of net.BlockList. Received an instance of Object' },
        { err.code, err.name, err.message })
    end)
  end)

  -- Newer than Node 20 (v25.6 / v24.15): from the latest docs ("The initial
  -- Type of Service (TOS) value"; getTypeOfService returns it before and
  -- after the connection is made).
  describe('(latest docs) typeOfService', function()
    it('net.Socket({typeOfService}) and connect options: the value before connecting and once connected', function()
      local log = H.log()
      serve(function(c) c:resume() end, function(port, server)
        local a = net.Socket({ typeOfService = 0x10 })
        log('before:' .. tostring(a:getTypeOfService()))
        a:connect(port, '127.0.0.1', function()
          log('connected:' .. tostring(a:getTypeOfService()))
          local b
          b = net.connect({ port = port, host = '127.0.0.1', typeOfService = 0x08 }, function()
            log('createConnection:' .. tostring(b:getTypeOfService()))
            a:destroy()
            b:destroy()
            server:close()
          end)
        end)
      end)
      H.run(3000)
      assert.same({ 'before:16', 'connected:16', 'createConnection:8' }, log.events)
    end)
  end)
end)
