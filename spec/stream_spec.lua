-- Sockets as duplex streams, checked against Node (`node spec/node/stream.js`).
local net = require('net')
local timers = require('net.timers')
local H = require('spec.helper')

local serve = H.serve

local raises = H.raises

local make_data = H.make_data

describe('stream', function()
  describe('write', function()
    it('returns false at the 16384-byte high-water mark; drain comes before the write callbacks', function()
      local log = H.log()
      local got = 0
      serve(function(c)
        c:on('data', function(d) got = got + #d end)
        c:on('end', function() c:end_() end)
      end, function(port, server)
        local s = net.connect(port, '127.0.0.1')
        log('hwm:' .. s.writableHighWaterMark)
        log('rhwm:' .. s.readableHighWaterMark)
        log('w1:' .. tostring(s:write(('a'):rep(16383), function(e) log('cb1:' .. tostring(e)) end)))
        log('len:' .. s.writableLength)
        log('w2:' .. tostring(s:write('b', function(e) log('cb2:' .. tostring(e)) end)))
        log('len:' .. s.writableLength)
        log('w3:' .. tostring(s:write('c', function(e) log('cb3:' .. tostring(e)) end)))
        log('bytesWritten-before-connect:' .. s.bytesWritten)
        s:on('drain', function() log('drain:len=' .. s.writableLength); s:end_() end)
        s:on('close', function() log('bytesWritten:' .. s.bytesWritten); server:close() end)
      end)
      H.run(3000)
      assert.same({
        'hwm:16384', 'rhwm:16384', 'w1:true', 'len:16383', 'w2:false', 'len:16384', 'w3:false',
        'bytesWritten-before-connect:16385', 'drain:len=0', 'cb1:nil', 'cb2:nil', 'cb3:nil', 'bytesWritten:16385',
      }, log.events)
      assert.equal(16385, got)
    end)

    it("returns false once the peer stops reading, then 'drain' with writableLength 0", function()
      local log = H.log()
      local chunk = ('x'):rep(65536)
      local got, sent = 0, 0
      serve(function(c)
        c:on('data', function(d) got = got + #d end)
        c:on('end', function() log('server-got-all:' .. tostring(got == sent)); c:end_() end)
        timers.setTimeout(function() c:resume() end, 100)
      end, function(port, server)
        local s
        s = net.connect(port, '127.0.0.1', function()
          local ok, n = true, 0
          while ok and n < 1000 do
            ok = s:write(chunk); n = n + 1; sent = sent + #chunk
          end
          log('write-returned-false:' .. tostring(not ok))
          log('writableLength>=hwm:' .. tostring(s.writableLength >= s.writableHighWaterMark))
          s:once('drain', function() log('drain:writableLength=' .. s.writableLength); s:end_() end)
        end)
        s:resume()
        s:on('close', function() log('bytesWritten-ok:' .. tostring(s.bytesWritten == sent)); server:close() end)
      end, { pauseOnConnect = true })
      H.run(5000)
      assert.same({
        'write-returned-false:true', 'writableLength>=hwm:true', 'drain:writableLength=0',
        'server-got-all:true', 'bytesWritten-ok:true',
      }, log.events)
    end)

    it('hex text stops at the first pair that is not two hex digits, as Buffer.from(s, "hex")', function()
      local encode = require('net.encoding').encode
      local got = {}
      for _, s in ipairs({ '-1', ' 7', '0a-1ff', 'abc', '+1', '0x10', 'ffG0' }) do got[#got + 1] = encode(s, 'hex') end
      assert.same({ '', '', '\10', '\171', '', '', '\255' }, got)
    end)

    it('hex and base64 decode the string; latin1 encodes UTF-8 text as Node does', function()
      local got, cb_err = {}, 'not called'
      serve(function(c)
        c:on('data', function(d) got[#got + 1] = d end)
        c:on('end', function() c:end_() end)
      end, function(port, server)
        local s
        s = net.connect(port, '127.0.0.1', function()
          s:write('68656c6c6f00ff', 'hex')
          s:write('IHdvcmxk', 'base64', function(e) cb_err = e end)
          s:write('!', 'utf8')
          s:write('\u{e9}', 'latin1')
          s:end_()
        end)
        s:resume()
        s:on('close', function() server:close() end)
      end)
      H.run(3000)
      assert.equal('hello\0\255 world!\233', table.concat(got))
      assert.is_nil(cb_err)
    end)

    it('binary data with every byte value, "\\0" included, arrives intact', function()
      local all = {}
      for i = 0, 1023 do all[#all + 1] = string.char(i & 255) end
      all = table.concat(all)
      local got = {}
      serve(function(c) c:pipe(c) end, function(port, server)
        local s
        s = net.connect(port, '127.0.0.1', function() s:end_(all) end)
        s:on('data', function(d) got[#got + 1] = d end)
        s:on('close', function() server:close() end)
      end)
      H.run(3000)
      got = table.concat(got)
      assert.equal(1024, #got)
      assert.is_true(got == all)
    end)

    it('bad chunks raise ERR_INVALID_ARG_TYPE; an unknown encoding ERR_UNKNOWN_ENCODING', function()
      local s = net.Socket()
      for _, v in ipairs({ { 5, 'type number (5)' }, { true, 'type boolean (true)' } }) do
        local err = raises(s.write, s, v[1])
        assert.equal('ERR_INVALID_ARG_TYPE', err.code)
        assert.equal('TypeError', err.name)
        assert.truthy(err.message:find('^The "chunk" argument must be of type string'), err.message)
        assert.truthy(err.message:find('Received ' .. v[2], 1, true), err.message)
      end
      local err = raises(s.write, s, {})
      assert.equal('ERR_INVALID_ARG_TYPE', err.code)
      err = raises(s.write, s, 'x', 'bogus')
      assert.equal('ERR_UNKNOWN_ENCODING', err.code)
      assert.equal('TypeError', err.name)
      assert.equal('Unknown encoding: bogus', err.message)
      s:destroy()
      H.run(1000)
    end)

    it('write after end_: false, cb gets ERR_STREAM_WRITE_AFTER_END, then error event, close(true)', function()
      local log = H.log()
      local cb_err, ev_err
      serve(function(c) c:resume() end, function(port, server)
        local s
        s = net.connect(port, '127.0.0.1', function()
          s:end_()
          local r = s:write('late', function(e) cb_err = e; log('cb:' .. tostring(e and e.code)) end)
          log('write-after-end-returns:' .. tostring(r))
        end)
        s:on('error', function(e) ev_err = e; log('error-event:' .. tostring(e.code)) end)
        s:on('close', function(h) log('close:' .. tostring(h)); server:close() end)
      end)
      H.run(3000)
      assert.same({
        'write-after-end-returns:false', 'cb:ERR_STREAM_WRITE_AFTER_END',
        'error-event:ERR_STREAM_WRITE_AFTER_END', 'close:true',
      }, log.events)
      assert.equal('Error', cb_err.name)
      assert.equal('write after end', cb_err.message)
      assert.is_true(rawequal(cb_err, ev_err))
    end)
  end)

  describe('end_', function()
    it("end_(data, cb): the cb runs before 'finish'; writableEnded at once, writableFinished at finish", function()
      local log = H.log()
      local got = {}
      serve(function(c)
        c:on('data', function(d) got[#got + 1] = d end)
      end, function(port, server)
        local s
        s = net.connect(port, '127.0.0.1', function()
          local r = s:end_('bye', function(e) log('end-cb:' .. tostring(e)) end)
          log('end-returns-socket:' .. tostring(r == s))
          log('writableEnded:' .. tostring(s.writableEnded))
          log('writableFinished:' .. tostring(s.writableFinished))
        end)
        s:on('finish', function() log('finish:writableFinished=' .. tostring(s.writableFinished)) end)
        s:on('end', function() log('end') end)
        s:on('close', function(h) log('close:' .. tostring(h)); server:close() end)
        s:resume()
      end)
      H.run(3000)
      assert.same({
        'end-returns-socket:true', 'writableEnded:true', 'writableFinished:false',
        'end-cb:nil', 'finish:writableFinished=true', 'end', 'close:false',
      }, log.events)
      assert.equal('bye', table.concat(got))
    end)

    it('end_(data, encoding, cb) decodes the data', function()
      local got = {}
      serve(function(c)
        c:on('data', function(d) got[#got + 1] = d end)
        c:on('end', function() c:end_() end)
      end, function(port, server)
        local s
        s = net.connect(port, '127.0.0.1', function() s:end_('6869', 'hex', function() end) end)
        s:resume()
        s:on('close', function() server:close() end)
      end)
      H.run(3000)
      assert.equal('hi', table.concat(got))
    end)
  end)

  describe('destroy', function()
    it("destroy(): destroyed at once, only 'close' (false) later; the peer sees end, finish, close", function()
      local log, peer = H.log(), H.log()
      local werr
      serve(function(c)
        c:on('end', function() peer('end') end)
        c:on('finish', function() peer('finish') end)
        c:on('error', function(e) peer('error:' .. tostring(e.code)) end)
        c:on('close', function(h) peer('close:' .. tostring(h)) end)
        c:resume()
      end, function(port, server)
        local s
        s = net.connect(port, '127.0.0.1', function()
          log('destroyed-before:' .. tostring(s.destroyed))
          local r = s:destroy()
          log('destroy-returns-socket:' .. tostring(r == s))
          log('destroyed-after:' .. tostring(s.destroyed))
          local w = s:write('x', function(e) werr = e; log('write-after-destroy-cb:' .. tostring(e and e.code)) end)
          log('write-after-destroy-returns:' .. tostring(w))
        end)
        for _, ev in ipairs({ 'end', 'finish', 'error' }) do
          s:on(ev, function(e) log(ev .. (type(e) == 'table' and ':' .. tostring(e.code) or '')) end)
        end
        s:on('close', function(h)
          log('close:' .. tostring(h))
          timers.setTimeout(function() server:close() end, 20)
        end)
      end)
      H.run(3000)
      assert.same({
        'destroyed-before:false', 'destroy-returns-socket:true', 'destroyed-after:true',
        'write-after-destroy-returns:false', 'write-after-destroy-cb:ERR_STREAM_DESTROYED', 'close:false',
      }, log.events)
      assert.equal('Cannot call write after a stream was destroyed', werr.message)
      assert.same({ 'end', 'finish', 'close:false' }, peer.events)
    end)

    it("destroy(err): 'error' with the same value, then close(true)", function()
      local log = H.log()
      local mine = net.Error('mine', { code = 'EMINE' })
      serve(function(c) c:resume(); c:on('error', function() end) end, function(port, server)
        local s
        s = net.connect(port, '127.0.0.1', function()
          s:on('error', function(e)
            log('error:same=' .. tostring(rawequal(e, mine)) .. ':destroyed=' .. tostring(s.destroyed))
          end)
          s:destroy(mine)
          log('sync')
        end)
        s:on('close', function(h) log('close:' .. tostring(h)); server:close() end)
      end)
      H.run(3000)
      assert.same({ 'sync', 'error:same=true:destroyed=true', 'close:true' }, log.events)
    end)
  end)

  describe('pause and resume', function()
    it('no data while paused; the bytes arrive intact after resume', function()
      local log = H.log()
      serve(function(c)
        c:write('abc')
        timers.setTimeout(function() c:end_('def') end, 30)
      end, function(port, server)
        local s = net.connect(port, '127.0.0.1')
        -- chunking is not part of the contract: consecutive data events are merged
        s:on('data', function(d)
          local last = log.events[#log.events]
          if last and last:sub(1, 5) == 'data:' then log.events[#log.events] = last .. d else log('data:' .. d) end
        end)
        s:on('end', function() log('end') end)
        s:on('connect', function()
          log('isPaused-before:' .. tostring(s:isPaused()))
          local r = s:pause()
          log('pause-returns-socket:' .. tostring(r == s))
          log('isPaused:' .. tostring(s:isPaused()))
          timers.setTimeout(function()
            log('resume')
            local r2 = s:resume()
            log('resume-returns-socket:' .. tostring(r2 == s))
            log('isPaused:' .. tostring(s:isPaused()))
          end, 100)
        end)
        s:on('close', function() server:close() end)
      end)
      H.run(3000)
      assert.same({
        'isPaused-before:false', 'pause-returns-socket:true', 'isPaused:true',
        'resume', 'resume-returns-socket:true', 'isPaused:false', 'data:abcdef', 'end',
      }, log.events)
    end)
  end)

  describe('pipe', function()
    it('echoes 16 MiB through pipe() with backpressure, every byte intact', function()
      -- more than loopback's socket buffers can hold (tcp_wmem + tcp_rmem
      -- can absorb 4 MiB), so the echo must pause while we do not read
      local N = 16 * 1024 * 1024
      local data = make_data(N)
      local log = H.log()
      local srv_sock, saw_paused
      local chunks = {}
      local s
      serve(function(c)
        srv_sock = c
        c:on('pipe', function(src) log('pipe-event:' .. tostring(rawequal(src, c))) end)
        c:pipe(c)
      end, function(port, server)
        s = net.connect(port, '127.0.0.1')
        s:on('connect', function()
          log('write:' .. tostring(s:write(data)))
          s:end_()
          s:pause()
          -- the echo cannot write while we do not read: pipe() pauses its
          -- source ('pause' event); only then do we read (a deadline fails
          -- the spec if it never pauses)
          srv_sock:once('pause', function()
            saw_paused = srv_sock:isPaused()
            timers.setTimeout(function() s:resume() end, 20)
          end)
        end)
        s:on('data', function(d) chunks[#chunks + 1] = d end)
        s:on('close', function() server:close() end)
      end)
      H.run(5000)
      local got = table.concat(chunks)
      assert.same({ 'pipe-event:true', 'write:false' }, log.events)
      assert.is_true(saw_paused)
      assert.equal(N, #got)
      assert.is_true(got == data, 'echoed bytes differ')
      assert.equal(N, s.bytesRead)
      assert.equal(N, s.bytesWritten)
      assert.equal(N, srv_sock.bytesRead)
      assert.equal(N, srv_sock.bytesWritten)
      assert.equal('integer', math.type(s.bytesRead))
    end)
  end)

  describe('addresses and counters', function()
    it('are nil/0 before connect and as Node reports them after', function()
      local before, cli, srv, counts = nil, nil, nil, {}
      local cli_local_port
      serve(function(c)
        srv = { c.remoteAddress, c.remoteFamily, math.type(c.remotePort), c.localAddress, c.localFamily, c.localPort,
          c.remotePort }
        c:on('data', function() c:end_('xyz') end)
        c:on('close', function() counts.srv = c.bytesRead .. '/' .. c.bytesWritten end)
      end, function(port, server)
        local s = net.connect(port, '127.0.0.1')
        before = { s.remoteAddress, s.remotePort, s.remoteFamily, s.localAddress, s.localPort,
          s.bytesRead, s.bytesWritten, s.destroyed }
        s:on('connect', function()
          cli = { s.remoteAddress, s.remoteFamily, s.remotePort == port, s.localAddress, s.localFamily,
            math.type(s.localPort), s.destroyed }
          cli_local_port = s.localPort
          s:write('hello')
        end)
        s:on('data', function() end)
        s:on('close', function()
          counts.cli = s.bytesRead .. '/' .. s.bytesWritten .. ':destroyed=' .. tostring(s.destroyed)
          counts.port = port
          server:close()
        end)
      end)
      H.run(3000)
      assert.same({ nil, nil, nil, nil, nil, 0, 0, false }, before)
      assert.same({ '127.0.0.1', 'IPv4', true, '127.0.0.1', 'IPv4', 'integer', false }, cli)
      assert.same({ '127.0.0.1', 'IPv4', 'integer', '127.0.0.1', 'IPv4', counts.port, cli_local_port }, srv)
      assert.equal('3/5:destroyed=true', counts.cli)
      assert.equal('5/3', counts.srv)
    end)
  end)
  describe('events seen through an emit of the socket\'s own', function()
    -- node spec/node/emit_override.js
    local function wrap(s, log)
      local orig = s.emit
      s.emit = function(self, name, ...)
        log[#log + 1] = name
        return orig(self, name, ...)
      end
    end

    -- one exchange: on_server(s, log) is the connection listener's body
    -- (log: the server socket's), on_client(c, port) starts the client;
    -- both sockets' events are returned
    local function exchange(server_opts, on_server, on_client)
      local slog, clog = {}, {}
      local server
      server = net.createServer(server_opts, function(s)
        wrap(s, slog)
        on_server(s, slog)
        s:on('close', function() server:close() end)
      end)
      server:listen(0, '127.0.0.1', function()
        local c = net.Socket()
        wrap(c, clog)
        on_client(c, server:address().port)
      end)
      H.run(3000)
      return slog, clog
    end

    it('a wrapper assigned as sock.emit sees every event, internal ones included, in Node\'s order', function()
      local slog, clog = exchange({}, function(s, log)
        s:on('data', function(d)
          log[#log + 1] = 'listener:' .. d
          s:end_()
        end)
      end, function(c, port)
        c:connect(port, '127.0.0.1', function() c:write('hi') end)
        c:on('data', function() end)
        c:on('end', function() c:end_() end)
      end)
      assert.same({ 'resume', 'data', 'listener:hi', 'prefinish', 'finish', 'readable', 'end', 'close' }, slog)
      assert.same({ 'connectionAttempt', 'resume', 'connect', 'ready', 'readable', 'end', 'prefinish',
        'finish', 'close' }, clog)
    end)

    it('the client ends while connecting: prefinish and finish follow ready', function()
      local slog, clog = exchange({}, function(s)
        s:on('data', function() end)
        s:on('end', function() s:end_() end)
      end, function(c, port)
        c:connect(port, '127.0.0.1')
        c:end_('bye')
      end)
      assert.same({ 'resume', 'data', 'readable', 'end', 'prefinish', 'finish', 'close' }, slog)
      assert.same({ 'connectionAttempt', 'connect', 'ready', 'prefinish', 'finish', 'readable', 'end', 'close' },
        clog)
    end)

    it('the server destroys in its data listener: no prefinish or finish on its side', function()
      local slog, clog = exchange({}, function(s)
        s:on('data', function() s:destroy() end)
      end, function(c, port)
        c:connect(port, '127.0.0.1', function() c:write('x') end)
        c:on('error', function() end)
      end)
      assert.same({ 'resume', 'data', 'close' }, slog)
      assert.same({ 'connectionAttempt', 'connect', 'ready', 'readable', 'end', 'prefinish', 'finish', 'close' },
        clog)
    end)

    it('a half-open server ends after the peer\'s end', function()
      local slog, clog = exchange({ allowHalfOpen = true }, function(s)
        s:on('data', function() end)
        s:on('end', function() s:end_('late') end)
      end, function(c, port)
        c:connect(port, '127.0.0.1', function() c:end_('hi') end)
        c:on('data', function() end)
      end)
      assert.same({ 'resume', 'data', 'readable', 'end', 'prefinish', 'finish', 'close' }, slog)
      assert.same({ 'connectionAttempt', 'resume', 'connect', 'ready', 'prefinish', 'finish', 'data', 'readable',
        'end', 'close' }, clog)
    end)
  end)
end)
