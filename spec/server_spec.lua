-- net.Server, checked against Node (`node spec/node/server.js`).
local net = require('net')
local timers = require('net.timers')
local H = require('spec.helper')

local raises = H.raises

describe('server', function()
  describe('listen', function()
    it('listen(0, host, cb): listening, address() and the order of listener and cb', function()
      local log = H.log()
      local server = net.createServer()
      assert.is_false(server.listening)
      assert.is_nil(server:address())
      server:on('listening', function() log('listening-event:' .. tostring(server.listening)) end)
      local r = server:listen(0, '127.0.0.1', function()
        log('cb')
        local a = server:address()
        assert.equal('127.0.0.1', a.address)
        assert.equal('IPv4', a.family)
        assert.equal('integer', math.type(a.port))
        assert.is_true(a.port > 0)
        server:close()
      end)
      assert.equal(server, r)
      H.run(2000)
      assert.same({ 'listening-event:true', 'cb' }, log.events)
    end)

    it('listening is false right after listen(0, host) and true right after listen(0), as in Node', function()
      local s1 = net.createServer()
      s1:listen(0, '127.0.0.1', function() s1:close() end)
      assert.is_false(s1.listening) -- Node resolves the host first
      local s2 = net.createServer()
      s2:listen(0, function() s2:close() end)
      assert.is_true(s2.listening) -- no host: bound at once
      H.run(2000)
      assert.is_false(s1.listening)
      assert.is_false(s2.listening)
    end)

    it("with no host listens on '::' (IPv6)", function()
      local got
      local server = net.createServer()
      server:listen(0, function() got = server:address(); server:close() end)
      H.run(2000)
      assert.equal('::', got.address)
      assert.equal('IPv6', got.family)
      assert.is_true(got.port > 0)
    end)

    it("listen(cb) alone takes an OS-assigned port on '::'", function()
      local got
      local server = net.createServer()
      server:listen(function() got = server:address(); server:close() end)
      H.run(2000)
      assert.equal('::', got.address)
      assert.equal('IPv6', got.family)
      assert.is_true(got.port > 0)
    end)

    it('listen({port, host, backlog}, cb) and listen({port = 0})', function()
      local got = {}
      local s1 = net.createServer()
      s1:listen({ port = 0, host = '127.0.0.1', backlog = 5 }, function()
        got[1] = s1:address(); s1:close()
      end)
      local s2 = net.createServer()
      s2:listen({ port = 0 }, function() got[2] = s2:address(); s2:close() end)
      H.run(2000)
      assert.equal('127.0.0.1', got[1].address)
      assert.equal('IPv4', got[1].family)
      assert.equal('::', got[2].address)
      assert.equal('IPv6', got[2].family)
    end)

    it('listen(port, host, backlog, cb) and listen(port, backlog, cb)', function()
      local got = {}
      local s1 = net.createServer()
      s1:listen(0, '127.0.0.1', 5, function() got[1] = s1:address(); s1:close() end)
      local s2 = net.createServer()
      s2:listen(0, 5, function() got[2] = s2:address(); s2:close() end)
      H.run(2000)
      assert.equal('127.0.0.1', got[1].address)
      assert.equal('::', got[2].address)
    end)

    it('ERR_SERVER_ALREADY_LISTEN on a second listen while listening', function()
      local errs = {}
      local server = net.createServer()
      H.listen(server, function()
        errs[1] = raises(server.listen, server, 0, '127.0.0.1')
        errs[2] = raises(server.listen, server, { port = 0 })
        server:close()
      end)
      H.run(2000)
      assert.equal('ERR_SERVER_ALREADY_LISTEN', errs[1].code)
      assert.equal('Error', errs[1].name)
      assert.equal('Listen method has been called more than once without closing.', errs[1].message)
      assert.equal('Error [ERR_SERVER_ALREADY_LISTEN]: Listen method has been called more than once without closing.',
        tostring(errs[1]))
      assert.equal('ERR_SERVER_ALREADY_LISTEN', errs[2].code)
    end)

    it('ERR_SERVER_ALREADY_LISTEN right after listen(0) without a host', function()
      local server = net.createServer()
      server:listen(0)
      local err = raises(server.listen, server, 0)
      assert.equal('ERR_SERVER_ALREADY_LISTEN', err.code)
      server:close()
      H.run(2000)
    end)

    it('EADDRINUSE: error event with Node fields, no close; listen works again afterwards', function()
      local log = H.log()
      local got, port
      local s1 = net.createServer()
      H.listen(s1, function(p)
        port = p
        local s2 = net.createServer()
        s2:on('listening', function() log('listening') end)
        s2:on('close', function() log('close') end)
        s2:on('error', function(e)
          got = e
          log('error:' .. e.code)
          log('listening:' .. tostring(s2.listening))
          log('address:' .. tostring(s2:address()))
          timers.setTimeout(function()
            s2:listen(0, '127.0.0.1', function()
              log('relisten-ok')
              s2:close(function() s1:close() end)
            end)
          end, 20)
        end)
        s2:listen(p, '127.0.0.1')
      end)
      H.run(3000)
      assert.same({ 'error:EADDRINUSE', 'listening:false', 'address:nil', 'listening', 'relisten-ok', 'close' },
        log.events)
      assert.equal('EADDRINUSE', got.code)
      assert.equal(-98, got.errno)
      assert.equal('integer', math.type(got.errno))
      assert.equal('listen', got.syscall)
      assert.equal('127.0.0.1', got.address)
      assert.equal(port, got.port)
      assert.equal('listen EADDRINUSE: address already in use 127.0.0.1:' .. port, got.message)
    end)
  end)

  describe('bad ports', function()
    for _, case in ipairs({
      { -1, 'type number (-1)' },
      { 65536, 'type number (65536)' },
      { 1.5, 'type number (1.5)' },
    }) do
      local p = tostring(case[1])
      it('listen(' .. p .. ') and listen({port = ' .. p .. '}) raise ERR_SOCKET_BAD_PORT', function()
        local server = net.createServer()
        for _, arg in ipairs({ case[1], { port = case[1] } }) do
          local err = raises(server.listen, server, arg)
          assert.equal('ERR_SOCKET_BAD_PORT', err.code)
          assert.equal('RangeError', err.name)
          assert.equal('options.port should be >= 0 and < 65536. Received ' .. case[2] .. '.', err.message)
        end
        assert.is_false(server.listening)
      end)
    end

    it("listen({port = 'abc'}) raises ERR_SOCKET_BAD_PORT (a bare string would be a path)", function()
      local server = net.createServer()
      local err = raises(server.listen, server, { port = 'abc' })
      assert.equal('ERR_SOCKET_BAD_PORT', err.code)
      assert.equal("options.port should be >= 0 and < 65536. Received type string ('abc').", err.message)
      err = raises(server.listen, server, { port = '-1' })
      assert.equal('ERR_SOCKET_BAD_PORT', err.code)
    end)

    it('listen({}) and listen(true) raise ERR_INVALID_ARG_VALUE', function()
      local server = net.createServer()
      local err = raises(server.listen, server, {})
      assert.equal('ERR_INVALID_ARG_VALUE', err.code)
      assert.equal('TypeError', err.name)
      assert.truthy(err.message:find([[The argument 'options' must have the property "port" or "path".]], 1, true),
        err.message)
      err = raises(server.listen, server, true)
      assert.equal('ERR_INVALID_ARG_VALUE', err.code)
    end)
  end)

  describe('connections', function()
    it("calls the connection listener, then 'connection' listeners, once per client", function()
      local log = H.log()
      local got = {}
      local n = 0
      local server
      server = net.createServer(function(c)
        n = n + 1
        log('conn:' .. tostring(c.remoteAddress))
        c:end_('hi' .. n)
      end)
      server:on('connection', function() log('connection-event') end)
      H.listen(server, function(port)
        local closed = 0
        for i = 1, 2 do
          local c = net.connect(port, '127.0.0.1')
          local buf = {}
          c:on('data', function(d) buf[#buf + 1] = d end)
          c:on('close', function()
            got[i] = table.concat(buf):sub(1, 2)
            closed = closed + 1
            if closed == 2 then server:close() end
          end)
        end
      end)
      H.run(3000)
      assert.same({ 'conn:127.0.0.1', 'connection-event', 'conn:127.0.0.1', 'connection-event' }, log.events)
      assert.same({ 'hi', 'hi' }, got)
    end)
  end)

  describe('close', function()
    it('address() is nil and listening false right after close(); then close', function()
      local log = H.log()
      local server = net.createServer()
      server:on('close', function() log('close') end)
      H.listen(server, function()
        server:close()
        log('address:' .. tostring(server:address()))
        log('listening:' .. tostring(server.listening))
      end)
      H.run(2000)
      assert.same({ 'address:nil', 'listening:false', 'close' }, log.events)
    end)

    it("waits for the last connection; 'close' comes before that connection's own 'close'", function()
      local log = H.log()
      local client
      local server
      server = net.createServer(function(c)
        log('connection')
        c:on('end', function() log('conn-end') end)
        c:on('close', function() log('conn-close') end)
        server:close(function(err) log('close-cb:' .. tostring(err)) end)
        log('close-called:listening=' .. tostring(server.listening) .. ':address=' .. tostring(server:address()))
        timers.setTimeout(function() log('client-ends'); client:end_() end, 30)
      end)
      server:on('close', function() log('server-close-event') end)
      H.listen(server, function(port)
        client = net.connect(port, '127.0.0.1')
        client:resume()
      end)
      H.run(3000)
      assert.same({
        'connection', 'close-called:listening=false:address=nil', 'client-ends', 'conn-end',
        'server-close-event', 'close-cb:nil', 'conn-close',
      }, log.events)
    end)

    it("close(cb) when not listening: 'close' is emitted and cb gets ERR_SERVER_NOT_RUNNING", function()
      local log = H.log()
      local got
      local server = net.createServer()
      server:on('close', function() log('close-event') end)
      local r = server:close(function(err) got = err; log('cb:' .. tostring(err and err.code)) end)
      assert.equal(server, r)
      assert.same({}, log.events)
      H.run(2000)
      assert.same({ 'close-event', 'cb:ERR_SERVER_NOT_RUNNING' }, log.events)
      assert.is_true(net.Error.is(got))
      assert.equal('Error', got.name)
      assert.equal('Server is not running.', got.message)
      assert.equal('Error [ERR_SERVER_NOT_RUNNING]: Server is not running.', tostring(got))
    end)

    it("closing twice: the second cb gets ERR_SERVER_NOT_RUNNING and 'close' is emitted twice", function()
      local log = H.log()
      local server = net.createServer()
      H.listen(server, function()
        server:on('close', function() log('close-event') end)
        server:close(function(err) log('first-close-cb:' .. tostring(err)) end)
        server:close(function(err) log('second-close-cb:' .. tostring(err and err.code)) end)
      end)
      H.run(2000)
      assert.same({ 'close-event', 'first-close-cb:nil', 'second-close-cb:ERR_SERVER_NOT_RUNNING', 'close-event' },
        log.events)
    end)
  end)
end)
