-- socket:connect in every form, its options, lookup, reconnecting and Unix
-- domain sockets, checked against Node (`node spec/node/socket_connect.js`).
local net = require('net')
local core = require('net.core')
local timers = require('net.timers')
local H = require('spec.helper')

-- net.connect(opts) must raise; a socket made anyway is destroyed at once,
-- so that it cannot disturb the specs after this one.
local function raises_connect(opts)
  local ok, err = pcall(net.connect, opts)
  if ok and type(err) == 'userdata' then
    err:on('error', function() end)
    err:destroy()
    pcall(H.run, 2000)
  end
  assert.is_false(ok, 'expected an error')
  assert.is_true(net.Error.is(err), 'expected a net.Error, got ' .. tostring(err))
  return err
end

-- An echo server on 127.0.0.1 that ends when its client ends; fn(port, server).
local function echo(fn)
  local server = net.createServer(function(c)
    c:on('data', function(d) c:write(d) end)
    c:on('end', function() c:end_() end)
  end)
  H.listen(server, function(port) fn(port, server) end)
  return server
end

-- A unique path for a Unix domain socket, removed afterwards.
local function tmp_path()
  local p = os.tmpname()
  os.remove(p)
  return p .. '.sock'
end

-- A port nobody listens on just now, then fn(port).
local function free_port(fn)
  local probe = net.createServer()
  H.listen(probe, function(p) probe:close(function() fn(p) end) end)
end

local function errinfo(e)
  return { name = e.name, code = e.code, errno = e.errno, syscall = e.syscall, address = e.address,
    port = e.port, message = e.message }
end

describe('socket:connect', function()
  -- a failing spec must not leave handles behind for the next one
  after_each(function()
    if core.handleCount() > 0 then
      core.closeAll()
      pcall(net.run)
    end
  end)

  describe('forms', function()
    it('connect(port, host, cb) returns the socket; connecting/pending/readyState; the cb runs first', function()
      local log = H.log()
      echo(function(port, server)
        local s = net.Socket()
        local r = s:connect(port, '127.0.0.1', function(...) log('cb:' .. select('#', ...)) end)
        log(string.format('returns-self:%s:connecting=%s:pending=%s:%s', tostring(rawequal(r, s)),
          tostring(s.connecting), tostring(s.pending), tostring(s.readyState)))
        s:on('connect', function()
          log(string.format('connect:connecting=%s:pending=%s:%s', tostring(s.connecting), tostring(s.pending),
            tostring(s.readyState)))
        end)
        s:on('ready', function() log('ready'); s:end_() end)
        s:on('close', function(h) log('close:' .. tostring(h)); server:close() end)
      end)
      H.run(3000)
      assert.same({
        'returns-self:true:connecting=true:pending=true:opening', 'cb:0',
        'connect:connecting=false:pending=false:open', 'ready', 'close:false',
      }, log.events)
    end)

    it('({port, host}, cb), (tostring(port), host) and (port, cb) with the default host', function()
      local got = {}
      echo(function(port, server)
        local n = 0
        local function one(name, s)
          s:on('connect', function()
            got[#got + 1] = name .. ':' .. tostring(s.remoteAddress) .. ':' .. tostring(s.remotePort == port)
            s:end_()
          end)
          s:resume()
          s:on('close', function()
            n = n + 1
            if n == 3 then server:close() end
          end)
        end
        one('options', net.Socket():connect({ port = port, host = '127.0.0.1' }, function() end))
        one('string-port', net.Socket():connect(tostring(port), '127.0.0.1'))
        one('port-cb', net.Socket():connect(port, function() end))
      end)
      H.run(3000)
      table.sort(got)
      assert.same({ 'options:127.0.0.1:true', 'port-cb:127.0.0.1:true', 'string-port:127.0.0.1:true' }, got)
    end)
  end)

  describe('Unix domain sockets', function()
    it('connect(path, cb) and connect({path}): no lookup event, no IP fields, address() is {}', function()
      local path = tmp_path()
      local log = H.log()
      local server = net.createServer(function(c)
        local a = c:address()
        log('server-side:' .. tostring(next(a) == nil) .. ':' .. tostring(c.remoteAddress) .. ':'
          .. tostring(c.remotePort) .. ':' .. tostring(c.localAddress))
        c:end_('hi')
      end)
      server:listen(path, function()
        local s = net.connect(path, function(...) log('cb:' .. select('#', ...)) end)
        log('connecting=' .. tostring(s.connecting) .. ':' .. tostring(s.readyState))
        s:on('lookup', function() log('lookup') end)
        s:on('connect', function()
          log(string.format('connect:%s:%s:%s:%s:%s:%s:%s:pending=%s', tostring(next(s:address()) == nil),
            tostring(s.remoteAddress), tostring(s.remotePort), tostring(s.remoteFamily), tostring(s.localAddress),
            tostring(s.localPort), tostring(s.readyState), tostring(s.pending)))
        end)
        s:on('data', function(d) log('data:' .. d) end)
        s:on('close', function(h)
          log('close:' .. tostring(h))
          local s2 = net.connect({ path = path }, function() log('options-path-connect') end)
          s2:on('data', function(d) log('data2:' .. d) end)
          s2:on('close', function()
            server:close(function()
              local f = io.open(path)
              log('unlinked:' .. tostring(f == nil))
              if f then f:close() end
            end)
          end)
        end)
      end)
      H.run(3000)
      os.remove(path)
      assert.same({
        'connecting=true:opening', 'server-side:true:nil:nil:nil', 'cb:0',
        'connect:true:nil:nil:nil:nil:nil:open:pending=false', 'data:hi', 'close:false',
        'server-side:true:nil:nil:nil', 'options-path-connect', 'data2:hi', 'unlinked:true',
      }, log.events)
    end)

    it('connect({path, port, host}): the path wins, the TCP options are ignored', function()
      local path = tmp_path()
      local log = H.log()
      local server = net.createServer(function(c) c:end_('unix') end)
      server:listen(path, function()
        local s = net.connect({ path = path, port = 1, host = '10.255.255.1' })
        s:on('data', function(d) log('data:' .. d) end)
        s:on('close', function(h) log('close:' .. tostring(h)); server:close() end)
      end)
      H.run(3000)
      os.remove(path)
      assert.same({ 'data:unix', 'close:false' }, log.events)
    end)

    it('an abstract socket "\\0name" (Linux): server:address() is the name; connect({path})', function()
      local name = '\0net-spec-' .. tostring(os.time()) .. '-' .. tostring(math.random(1e9))
      local log = H.log()
      local server = net.createServer(function(c) c:end_('abstract') end)
      server:listen(name, function()
        log('server-address-is-name:' .. tostring(server:address() == name))
        local s = net.connect({ path = name }, function() log('connect') end)
        s:on('data', function(d) log('data:' .. d) end)
        s:on('close', function(h) log('close:' .. tostring(h)); server:close() end)
      end)
      H.run(3000)
      assert.same({ 'server-address-is-name:true', 'connect', 'data:abstract', 'close:false' }, log.events)
    end)

    it('a missing path: ENOENT with Node fields, then close(true), no connect', function()
      local path = tmp_path()
      local log = H.log()
      local got
      local s = net.connect(path, function() log('connect') end)
      s:on('error', function(e) got = e; log('error:' .. tostring(e.code)) end)
      s:on('close', function(h) log('close:' .. tostring(h)) end)
      H.run(3000)
      assert.same({ 'error:ENOENT', 'close:true' }, log.events)
      assert.same({ name = 'Error', code = 'ENOENT', errno = -2, syscall = 'connect', address = path,
        message = 'connect ENOENT ' .. path }, errinfo(got))
      assert.equal('integer', math.type(got.errno))
    end)
  end)

  describe('lookup', function()
    -- Runs connect with a user lookup that records its arguments and answers
    -- through `answer(cb)`; returns the log.
    local function run_lookup(opts, answer)
      local log = H.log()
      local got_err
      echo(function(port, server)
        local o = { port = port }
        for k, v in pairs(opts) do o[k] = v end
        o.lookup = function(host, dnsopts, cb)
          log('called:' .. host)
          log(dnsopts)
          answer(cb)
        end
        local s = net.connect(o)
        log('connect-returned')
        s:on('lookup', function(err, address, family, host)
          log({ 'lookup', err and err.code or 'nil', tostring(address), tostring(family), tostring(host) })
        end)
        s:on('connect', function() log('connect:' .. tostring(s.remoteAddress)); s:end_() end)
        s:on('error', function(e) got_err = e; log('error:' .. tostring(e.code)) end)
        s:resume()
        s:on('close', function(h) log('close:' .. tostring(h)); server:close() end)
      end)
      H.run(3000)
      return log.events, got_err
    end

    local function later(fn) return function(cb) timers.setImmediate(fn, cb) end end

    it('is called from inside connect() with {hints = 32 (ADDRCONFIG), all = true}; a list answer', function()
      local events = run_lookup({ host = 'a.invalid' }, later(function(cb)
        cb(nil, { { address = '127.0.0.1', family = 4 } })
      end))
      assert.same({
        'called:a.invalid', { hints = 32, all = true }, 'connect-returned',
        { 'lookup', 'nil', '127.0.0.1', '4', 'a.invalid' }, 'connect:127.0.0.1', 'close:false',
      }, events)
    end)

    it("two addresses: one 'lookup' event for each, then the one that answers", function()
      local events = run_lookup({ host = 'b.invalid' }, later(function(cb)
        cb(nil, { { address = '::1', family = 6 }, { address = '127.0.0.1', family = 4 } })
      end))
      assert.same({
        'called:b.invalid', { hints = 32, all = true }, 'connect-returned',
        { 'lookup', 'nil', '::1', '6', 'b.invalid' }, { 'lookup', 'nil', '127.0.0.1', '4', 'b.invalid' },
        'connect:127.0.0.1', 'close:false',
      }, events)
    end)

    it('family = 4: {family = 4, hints = 0}; an (address, family) answer', function()
      local events = run_lookup({ host = 'c.invalid', family = 4 }, later(function(cb) cb(nil, '127.0.0.1', 4) end))
      assert.same({
        'called:c.invalid', { family = 4, hints = 0 }, 'connect-returned',
        { 'lookup', 'nil', '127.0.0.1', '4', 'c.invalid' }, 'connect:127.0.0.1', 'close:false',
      }, events)
    end)

    it('hints are passed through (ADDRCONFIG | V4MAPPED = 40)', function()
      local events = run_lookup({ host = 'd.invalid', family = 6, hints = 40 },
        later(function(cb) cb(nil, '127.0.0.1', 4) end))
      assert.same({
        'called:d.invalid', { family = 6, hints = 40 }, 'connect-returned',
        { 'lookup', 'nil', '127.0.0.1', '4', 'd.invalid' }, 'connect:127.0.0.1', 'close:false',
      }, events)
    end)

    it('with localAddress: {hints = 32} and no all', function()
      local events = run_lookup({ host = 'e.invalid', localAddress = '127.0.0.1' },
        later(function(cb) cb(nil, '127.0.0.1', 4) end))
      assert.same({
        'called:e.invalid', { hints = 32 }, 'connect-returned',
        { 'lookup', 'nil', '127.0.0.1', '4', 'e.invalid' }, 'connect:127.0.0.1', 'close:false',
      }, events)
    end)

    it("an error: 'lookup' with it, then 'error' with the same value, close(true)", function()
      local mine = net.Error('getaddrinfo ENOTFOUND f.invalid', { code = 'ENOTFOUND' })
      local events, err = run_lookup({ host = 'f.invalid', family = 4 }, later(function(cb) cb(mine) end))
      assert.same({
        'called:f.invalid', { family = 4, hints = 0 }, 'connect-returned',
        { 'lookup', 'ENOTFOUND', 'nil', 'nil', 'f.invalid' }, 'error:ENOTFOUND', 'close:true',
      }, events)
      assert.is_true(rawequal(mine, err))
    end)

    it('an answer that is not an IP: ERR_INVALID_IP_ADDRESS after the lookup event', function()
      local events, err = run_lookup({ host = 'g.invalid', family = 4 },
        later(function(cb) cb(nil, 'not-an-ip', 4) end))
      assert.same({
        'called:g.invalid', { family = 4, hints = 0 }, 'connect-returned',
        { 'lookup', 'nil', 'not-an-ip', '4', 'g.invalid' }, 'error:ERR_INVALID_IP_ADDRESS', 'close:true',
      }, events)
      assert.equal('TypeError', err.name)
      assert.equal('Invalid IP address: not-an-ip', err.message)
    end)

    it('an IP host: lookup is not called, no lookup event', function()
      local events = run_lookup({ host = '127.0.0.1' }, function(cb) cb(nil, '127.0.0.1', 4) end)
      assert.same({ 'connect-returned', 'connect:127.0.0.1', 'close:false' }, events)
    end)

    it("answered at once: the 'lookup' event fires inside connect(), before a listener can be added", function()
      local events = run_lookup({ host = 'h.invalid', family = 4 }, function(cb) cb(nil, '127.0.0.1', 4) end)
      assert.same({
        'called:h.invalid', { family = 4, hints = 0 }, 'connect-returned', 'connect:127.0.0.1', 'close:false',
      }, events)
    end)

    it("the system lookup for 'localhost' with family 4: one lookup event, then IPv4 fields", function()
      local log = H.log()
      local server = net.createServer(function(c) c:end_('v4') end)
      H.listen(server, function(port)
        local a = net.connect({ port = port, host = 'localhost', family = 4 })
        a:on('lookup', function(err, address, family, host)
          log({ 'lookup', tostring(err), address, family, host })
        end)
        a:on('connect', function()
          log(table.concat({ a.remoteAddress, a.remoteFamily, a.localFamily, a:address().family }, ':'))
        end)
        a:on('data', function(d) log('data:' .. d) end)
        a:on('close', function() server:close() end)
      end)
      H.run(3000)
      assert.same({ { 'lookup', 'nil', '127.0.0.1', 4, 'localhost' }, '127.0.0.1:IPv4:IPv4:IPv4', 'data:v4' },
        log.events)
    end)

    it("'::1': IPv6 in remoteFamily, localAddress, localFamily and address()", function()
      local log = H.log()
      local server = net.createServer(function(c) c:end_('v6') end)
      server:listen(0, '::1', function()
        local b = net.connect({ port = server:address().port, host = '::1' })
        b:on('connect', function()
          log(table.concat({ b.remoteAddress, b.remoteFamily, b.localAddress, b.localFamily, b:address().family }, '|'))
        end)
        b:on('data', function(d) log('data:' .. d) end)
        b:on('close', function() server:close() end)
      end)
      H.run(3000)
      assert.same({ '::1|IPv6|::1|IPv6|IPv6', 'data:v6' }, log.events)
    end)
  end)

  describe('localAddress and localPort', function()
    it('the connection leaves from that address and port', function()
      local log = H.log()
      echo(function(port, server)
        free_port(function(lp)
          server:once('connection', function(c) log('server-sees-localPort:' .. tostring(c.remotePort == lp)) end)
          local s = net.connect({ port = port, host = '127.0.0.1', localAddress = '127.0.0.1', localPort = lp })
          s:on('connect', function()
            log('local:' .. tostring(s.localAddress) .. ':' .. tostring(s.localPort == lp))
            s:end_()
          end)
          s:resume()
          s:on('close', function(h) log('close:' .. tostring(h)); server:close() end)
        end)
      end)
      H.run(3000)
      assert.same({ 'server-sees-localPort:true', 'local:127.0.0.1:true', 'close:false' }, log.events)
    end)

    it('a localPort a listening server holds: EADDRINUSE from bind, close(true), no connect', function()
      local log = H.log()
      local got, port
      echo(function(p, server)
        port = p
        local s = net.connect({ port = p, host = '127.0.0.1', localAddress = '127.0.0.1', localPort = p })
        s:on('connect', function() log('connect') end)
        s:on('error', function(e) got = e; log('error:' .. tostring(e.code)) end)
        s:on('close', function(h) log('close:' .. tostring(h)); server:close() end)
      end)
      H.run(3000)
      assert.same({ 'error:EADDRINUSE', 'close:true' }, log.events)
      assert.same({ name = 'Error', code = 'EADDRINUSE', errno = -98, syscall = 'bind', address = '127.0.0.1',
        port = port, message = 'bind EADDRINUSE 127.0.0.1:' .. port }, errinfo(got))
    end)
  end)

  describe('bad options raise at once', function()
    for _, case in ipairs({
      { 'localAddress', { port = 80, host = '127.0.0.1', localAddress = 'nope' },
        'ERR_INVALID_IP_ADDRESS', 'TypeError', 'Invalid IP address: nope' },
      { 'localPort', { port = 80, host = '127.0.0.1', localPort = '1234' }, 'ERR_INVALID_ARG_TYPE', 'TypeError',
        [[The "options.localPort" property must be of type number. Received type string ('1234')]] },
      { 'lookup', { port = 80, host = 'x.invalid', lookup = 5 }, 'ERR_INVALID_ARG_TYPE', 'TypeError',
        'The "options.lookup" property must be of type function. Received type number (5)' },
      { 'hints', { port = 80, host = 'x.invalid', hints = 12345 }, 'ERR_INVALID_ARG_VALUE', 'TypeError',
        "The argument 'hints' is invalid. Received 12345" },
      { 'hints type', { port = 80, host = 'x.invalid', hints = 'x' }, 'ERR_INVALID_ARG_TYPE', 'TypeError',
        [[The "options.hints" property must be of type number. Received type string ('x')]] },
      { 'path', { path = 5 }, 'ERR_INVALID_ARG_TYPE', 'TypeError',
        'The "options.path" property must be of type string. Received type number (5)' },
      { 'timeout', { port = 80, host = '127.0.0.1', timeout = 'x' }, 'ERR_INVALID_ARG_TYPE', 'TypeError',
        [[The "msecs" argument must be of type number. Received type string ('x')]] },
    }) do
      it(case[1] .. ': ' .. case[3], function()
        local err = raises_connect(case[2])
        assert.same({ case[3], case[4], case[5] }, { err.code, err.name, err.message })
      end)
    end
  end)

  -- Node's answers: `node spec/node/happy_eyeballs.js` ('setDefaultAutoSelectFamily(v) / ...')
  describe('the Happy Eyeballs defaults', function()
    it('get: true and 250; setDefaultAutoSelectFamily takes booleans only and keeps the old value on error', function()
      assert.same({ true, 250 }, { net.getDefaultAutoSelectFamily(), net.getDefaultAutoSelectFamilyAttemptTimeout() })
      local B = 'The "value" argument must be of type boolean. Received '
      for _, case in ipairs({ { 1, 'type number (1)' }, { 'true', "type string ('true')" }, { nil, 'undefined' },
        { 0, 'type number (0)' } }) do
        local err = H.raises(net.setDefaultAutoSelectFamily, case[1])
        assert.same({ 'ERR_INVALID_ARG_TYPE', 'TypeError', B .. case[2] }, { err.code, err.name, err.message })
        assert.is_true(net.getDefaultAutoSelectFamily())
      end
      net.setDefaultAutoSelectFamily(false)
      assert.is_false(net.getDefaultAutoSelectFamily())
      net.setDefaultAutoSelectFamily(true)
      assert.is_true(net.getDefaultAutoSelectFamily())
    end)

    it('setDefaultAutoSelectFamilyAttemptTimeout: an int32 >= 1, 1..9 are 10; the old value kept on error', function()
      local R = 'The value of "value" is out of range. It must be '
      local T = 'The "value" argument must be of type number. Received '
      for _, case in ipairs({
        { 0, 'ERR_OUT_OF_RANGE', R .. '>= 1 && <= 2147483647. Received 0' },
        { -1, 'ERR_OUT_OF_RANGE', R .. '>= 1 && <= 2147483647. Received -1' },
        { 0.5, 'ERR_OUT_OF_RANGE', R .. 'an integer. Received 0.5' },
        { 0 / 0, 'ERR_OUT_OF_RANGE', R .. 'an integer. Received NaN' },
        { 1 / 0, 'ERR_OUT_OF_RANGE', R .. 'an integer. Received Infinity' },
        { 2 ^ 31, 'ERR_OUT_OF_RANGE', R .. '>= 1 && <= 2147483647. Received 2147483648' },
        { 100.5, 'ERR_OUT_OF_RANGE', R .. 'an integer. Received 100.5' },
        { '100', 'ERR_INVALID_ARG_TYPE', T .. "type string ('100')" },
        { nil, 'ERR_INVALID_ARG_TYPE', T .. 'undefined' },
        { true, 'ERR_INVALID_ARG_TYPE', T .. 'type boolean (true)' },
      }) do
        local err = H.raises(net.setDefaultAutoSelectFamilyAttemptTimeout, case[1])
        assert.same({ case[2], case[3] }, { err.code, err.message })
        assert.equal(250, net.getDefaultAutoSelectFamilyAttemptTimeout())
      end
      local got = {}
      for _, v in ipairs({ 1, 9, 10, 11, 2 ^ 31 - 1, 250 }) do
        net.setDefaultAutoSelectFamilyAttemptTimeout(v)
        got[#got + 1] = net.getDefaultAutoSelectFamilyAttemptTimeout()
      end
      assert.same({ 10, 10, 10, 11, 2147483647, 250 }, got)
      assert.equal('integer', math.type(net.getDefaultAutoSelectFamilyAttemptTimeout()))
    end)
  end)

  describe('reconnecting', function()
    it("after 'close': connecting again, a fresh stream with counters from 0, each cb once", function()
      local log = H.log()
      echo(function(port, server)
        local s = net.Socket()
        local n = 0
        s:connect(port, '127.0.0.1', function() log('cb1') end)
        s:on('connect', function()
          n = n + 1
          log('connect' .. n .. ':' .. tostring(s.bytesRead) .. '/' .. tostring(s.bytesWritten))
          s:end_('round' .. n)
        end)
        s:on('data', function(d) log('data:' .. d) end)
        s:on('end', function() log('end') end)
        s:on('finish', function() log('finish') end)
        s:on('close', function(h)
          log(string.format('close:%s:destroyed=%s:%s:%s/%s', tostring(h), tostring(s.destroyed),
            tostring(s.readyState), tostring(s.bytesRead), tostring(s.bytesWritten)))
          if n == 1 then
            local r = s:connect({ port = port, host = '127.0.0.1' }, function() log('cb2') end)
            log(string.format('again:%s:connecting=%s:destroyed=%s:%s:%s/%s:writableEnded=%s', tostring(rawequal(r, s)),
              tostring(s.connecting), tostring(s.destroyed), tostring(s.readyState), tostring(s.bytesRead),
              tostring(s.bytesWritten), tostring(s.writableEnded)))
          else
            server:close()
          end
        end)
      end)
      H.run(2000)
      assert.same({
        'cb1', 'connect1:0/0', 'finish', 'data:round1', 'end', 'close:false:destroyed=true:closed:6/6',
        'again:true:connecting=true:destroyed=false:opening:0/0:writableEnded=false',
        'connect2:0/0', 'cb2', 'finish', 'data:round2', 'end', 'close:false:destroyed=true:closed:6/6',
      }, log.events)
    end)
  end)

  describe('createConnection({timeout})', function()
    it('sets socket.timeout at once; timeout fires without closing; net.Socket({timeout}) ignores it', function()
      local log = H.log()
      echo(function(port, server)
        local t0 = core.now()
        local s
        s = net.createConnection({ port = port, host = '127.0.0.1', timeout = 80 }, function()
          log('connect:timeout=' .. tostring(s.timeout))
        end)
        log('timeout:' .. tostring(s.timeout))
        s:on('timeout', function()
          log('timeout-event:late-enough=' .. tostring(core.now() - t0 >= 70) .. ':destroyed=' .. tostring(s.destroyed))
          s:end_()
        end)
        s:on('close', function(h) log('close:' .. tostring(h)); server:close() end)
        log('ctor-ignores-timeout:' .. tostring(net.Socket({ timeout = 50 }).timeout))
      end)
      H.run(3000)
      assert.same({
        'timeout:80', 'ctor-ignores-timeout:nil', 'connect:timeout=80',
        'timeout-event:late-enough=true:destroyed=false', 'close:false',
      }, log.events)
    end)
  end)

  describe('connect({onread})', function()
    it('takes onread as a connect option too: chunks of at most the buffer size, no data events', function()
      local got, data_events = {}, 0
      local server = net.createServer(function(c) c:end_('abcdefgh') end)
      H.listen(server, function(port)
        local s = net.Socket()
        s:on('data', function() data_events = data_events + 1 end)
        s:connect({ port = port, host = '127.0.0.1',
          onread = { buffer = 3, callback = function(n, chunk) got[#got + 1] = n .. ':' .. chunk end } })
        s:on('close', function() server:close() end)
      end)
      H.run(2000)
      assert.same({ '3:abc', '3:def', '2:gh' }, got)
      assert.equal(0, data_events)
    end)
  end)
end)
