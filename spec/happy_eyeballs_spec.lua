-- Happy Eyeballs (autoSelectFamily) as Node v20 does it: attempt order,
-- the per-attempt timer, the events, the AggregateError, what a custom
-- lookup receives, and the validation of the options and defaults. Node's
-- answers come from `node spec/node/happy_eyeballs.js` (PORT stands for the
-- port). Loopback only: dual stack comes from a custom lookup; a blackholed
-- address is a LuaSocket listener whose accept queue is full.
-- See HAPPY_EYEBALLS.md next to this file for the algorithm.
local net = require('net')
local core = require('net.core')
local timers = require('net.timers')
local H = require('spec.helper')

local ECONNREFUSED, ETIMEDOUT = -111, -110 -- Linux errno, negated as libuv does

local now_ms = H.now_ms

local blackhole, run_then = H.blackhole, H.run_then

-- A port nobody listens on just now (on any loopback address), then fn(port).
local function free_port(fn)
  local probe = net.createServer()
  H.listen(probe, function(p) probe:close(function() fn(p) end) end)
end

-- A lookup that answers `list` on a later turn of the loop.
local function fixed(list)
  return function(_, _, cb) timers.setImmediate(cb, nil, list) end
end

local function A(address, family) return { address = address, family = family } end

-- Connects with `opts`, logging every event as Node's scenario prints it
-- (the port as 'PORT'); on 'close' calls fin(sock).
local function watch(opts, log, fin)
  local port = opts.port
  local P = function(p) return p == port and 'PORT' or p end
  local s = net.connect(opts)
  s:on('lookup', function(err, ip, fam, host) log({ 'lookup', err and err.code or nil, ip, fam, host }) end)
  s:on('connectionAttempt', function(ip, p, fam) log({ 'attempt', ip, P(p), fam }) end)
  s:on('connectionAttemptFailed', function(ip, p, fam, e)
    log({ 'attemptFailed', ip, P(p), fam, e.code, e.syscall, e.address, P(e.port) })
  end)
  s:on('connectionAttemptTimeout', function(ip, p, fam) log({ 'attemptTimeout', ip, P(p), fam }) end)
  s:on('connect', function() log({ 'connect', s.remoteAddress, s.remoteFamily, s.connecting }); s:end_() end)
  s:on('ready', function() log({ 'ready' }) end)
  s:on('timeout', function() log({ 'timeout', s.connecting }) end)
  s:on('error', function(e) log({ 'error', e.name, e.code }) end)
  s:resume()
  s:on('close', function(h) log({ 'close', h }); fin(s) end)
  return s
end

local function errinfo(e, port)
  return { name = e.name, code = e.code, errno = e.errno, syscall = e.syscall, address = e.address,
    port = e.port == port and 'PORT' or e.port,
    message = e.message and (e.message:gsub(':' .. port .. '$', ':PORT')) }
end

describe('Happy Eyeballs (autoSelectFamily)', function()
  after_each(function()
    if core.handleCount() > 0 then
      core.closeAll()
      pcall(net.run)
    end
  end)

  describe('attempts', function()
    it('dual stack, ::1 refused: one lookup event per address, ::1 first, its failure, then 127.0.0.1', function()
      local log, attempted = H.log(), nil
      local server = net.createServer(function(c) c:end_() end)
      H.listen(server, function(port)
        watch({ host = 'dual.invalid', port = port, lookup = fixed({ A('::1', 6), A('127.0.0.1', 4) }) }, log,
          function(s)
            attempted = s.autoSelectFamilyAttemptedAddresses
            for i, a in ipairs(attempted) do attempted[i] = a:gsub(':' .. port .. '$', ':PORT') end
            server:close()
          end)
      end)
      H.run(3000)
      assert.same({
        { 'lookup', nil, '::1', 6, 'dual.invalid' },
        { 'lookup', nil, '127.0.0.1', 4, 'dual.invalid' },
        { 'attempt', '::1', 'PORT', 6 },
        { 'attemptFailed', '::1', 'PORT', 6, 'ECONNREFUSED', 'connect', '::1', 'PORT' },
        { 'attempt', '127.0.0.1', 'PORT', 4 },
        { 'connect', '127.0.0.1', 'IPv4', false },
        { 'ready' },
        { 'close', false },
      }, log.events)
      assert.same({ '::1:PORT', '127.0.0.1:PORT' }, attempted)
    end)

    it("both refused: an AggregateError after both failures, then 'close' with hadError", function()
      local log, got, sock, port0 = H.log(), nil, nil, nil
      free_port(function(port)
        port0 = port
        sock = watch({ host = 'dual.invalid', port = port, lookup = fixed({ A('::1', 6), A('127.0.0.1', 4) }) },
          log, function() end)
        sock:on('error', function(e) got = e end)
      end)
      H.run(3000)
      assert.same({
        { 'lookup', nil, '::1', 6, 'dual.invalid' },
        { 'lookup', nil, '127.0.0.1', 4, 'dual.invalid' },
        { 'attempt', '::1', 'PORT', 6 },
        { 'attemptFailed', '::1', 'PORT', 6, 'ECONNREFUSED', 'connect', '::1', 'PORT' },
        { 'attempt', '127.0.0.1', 'PORT', 4 },
        { 'attemptFailed', '127.0.0.1', 'PORT', 4, 'ECONNREFUSED', 'connect', '127.0.0.1', 'PORT' },
        { 'error', 'AggregateError', 'ECONNREFUSED' },
        { 'close', true },
      }, log.events)
      -- Node: name AggregateError, message '', code = errors[0].code, no
      -- errno/syscall/address/port of its own, String(err) 'AggregateError'
      assert.is_true(net.Error.is(got))
      assert.same({ name = 'AggregateError', message = '', code = 'ECONNREFUSED' }, errinfo(got, port0))
      assert.equal('AggregateError', tostring(got))
      assert.equal(2, #got.errors)
      assert.is_true(net.Error.is(got.errors[1]) and net.Error.is(got.errors[2]))
      assert.same({ name = 'Error', code = 'ECONNREFUSED', errno = ECONNREFUSED, syscall = 'connect', address = '::1',
        port = 'PORT', message = 'connect ECONNREFUSED ::1:PORT' }, errinfo(got.errors[1], port0))
      assert.same({ name = 'Error', code = 'ECONNREFUSED', errno = ECONNREFUSED, syscall = 'connect',
        address = '127.0.0.1', port = 'PORT', message = 'connect ECONNREFUSED 127.0.0.1:PORT' },
        errinfo(got.errors[2], port0))
      assert.is_true(rawequal(got, sock.errored))
      assert.same({ '::1:' .. port0, '127.0.0.1:' .. port0 }, sock.autoSelectFamilyAttemptedAddresses)
    end)

    it('order: families alternate from the family of the first answer; duplicates and invalid entries dropped',
      function()
        local log, attempted, errs = H.log(), nil, nil
        free_port(function(port)
          local list = {
            A('::1', 6), A('::ffff:127.0.0.2', 6), A('127.0.0.2', 4), A('127.0.0.3', 4), A('127.0.0.4', 4),
            A('::1', 6), A('bogus', 4), A('127.0.0.5', 5), A('127.0.0.6', 6),
          }
          watch({ host = 'many.invalid', port = port, lookup = fixed(list) }, log, function(s)
            attempted = {}
            for i, a in ipairs(s.autoSelectFamilyAttemptedAddresses) do
              attempted[i] = a:gsub(':' .. port .. '$', ':PORT')
            end
            errs = {}
            for i, e in ipairs(s.errored.errors) do errs[i] = e.address .. ' ' .. e.code end
          end)
        end)
        H.run(3000)
        assert.same({
          -- one 'lookup' per answer, the dropped ones too
          { 'lookup', nil, '::1', 6, 'many.invalid' },
          { 'lookup', nil, '::ffff:127.0.0.2', 6, 'many.invalid' },
          { 'lookup', nil, '127.0.0.2', 4, 'many.invalid' },
          { 'lookup', nil, '127.0.0.3', 4, 'many.invalid' },
          { 'lookup', nil, '127.0.0.4', 4, 'many.invalid' },
          { 'lookup', nil, '::1', 6, 'many.invalid' },
          { 'lookup', nil, 'bogus', 4, 'many.invalid' },
          { 'lookup', nil, '127.0.0.5', 5, 'many.invalid' },
          { 'lookup', nil, '127.0.0.6', 6, 'many.invalid' },
          { 'attempt', '::1', 'PORT', 6 },
          { 'attemptFailed', '::1', 'PORT', 6, 'ECONNREFUSED', 'connect', '::1', 'PORT' },
          { 'attempt', '127.0.0.2', 'PORT', 4 },
          { 'attemptFailed', '127.0.0.2', 'PORT', 4, 'ECONNREFUSED', 'connect', '127.0.0.2', 'PORT' },
          { 'attempt', '::ffff:127.0.0.2', 'PORT', 6 },
          { 'attemptFailed', '::ffff:127.0.0.2', 'PORT', 6, 'ECONNREFUSED', 'connect', '::ffff:127.0.0.2', 'PORT' },
          { 'attempt', '127.0.0.3', 'PORT', 4 },
          { 'attemptFailed', '127.0.0.3', 'PORT', 4, 'ECONNREFUSED', 'connect', '127.0.0.3', 'PORT' },
          -- an IPv4 text given family 6 is kept (isIP and family both pass)
          -- and fails at once, synchronously, with EINVAL
          { 'attempt', '127.0.0.6', 'PORT', 6 },
          { 'attemptFailed', '127.0.0.6', 'PORT', 6, 'EINVAL', 'connect', '127.0.0.6', 'PORT' },
          { 'attempt', '127.0.0.4', 'PORT', 4 },
          { 'attemptFailed', '127.0.0.4', 'PORT', 4, 'ECONNREFUSED', 'connect', '127.0.0.4', 'PORT' },
          { 'error', 'AggregateError', 'ECONNREFUSED' },
          { 'close', true },
        }, log.events)
        assert.same({ '::1:PORT', '127.0.0.2:PORT', '::ffff:127.0.0.2:PORT', '127.0.0.3:PORT', '127.0.0.6:PORT',
          '127.0.0.4:PORT' }, attempted)
        assert.same({ '::1 ECONNREFUSED', '127.0.0.2 ECONNREFUSED', '::ffff:127.0.0.2 ECONNREFUSED',
          '127.0.0.3 ECONNREFUSED', '127.0.0.6 EINVAL', '127.0.0.4 ECONNREFUSED' }, errs)
      end)

    it('order: an IPv4 first answer puts IPv4 first', function()
      local attempted
      free_port(function(port)
        watch({ host = 'v4first.invalid', port = port, lookup = fixed({ A('127.0.0.2', 4), A('::1', 6),
          A('127.0.0.3', 4) }) }, H.log(), function(s)
          attempted = {}
          for i, a in ipairs(s.autoSelectFamilyAttemptedAddresses) do
            attempted[i] = a:gsub(':' .. port .. '$', ':PORT')
          end
        end)
      end)
      H.run(3000)
      assert.same({ '127.0.0.2:PORT', '::1:PORT', '127.0.0.3:PORT' }, attempted)
    end)

    it('one address left after filtering: the single-address path, a plain Error, no attempted list', function()
      local log, attempted = H.log(), 'unset'
      free_port(function(port)
        watch({ host = 'one.invalid', port = port, lookup = fixed({ A('127.0.0.1', 4), A('127.0.0.1', 4),
          A('x', 4) }) }, log, function(s) attempted = s.autoSelectFamilyAttemptedAddresses end)
      end)
      H.run(3000)
      assert.same({
        { 'lookup', nil, '127.0.0.1', 4, 'one.invalid' },
        { 'lookup', nil, '127.0.0.1', 4, 'one.invalid' },
        { 'lookup', nil, 'x', 4, 'one.invalid' },
        { 'attempt', '127.0.0.1', 'PORT', 4 },
        { 'attemptFailed', '127.0.0.1', 'PORT', 4, 'ECONNREFUSED', 'connect', '127.0.0.1', 'PORT' },
        { 'error', 'Error', 'ECONNREFUSED' },
        { 'close', true },
      }, log.events)
      assert.is_nil(attempted)
    end)

    it("an IP host: no lookup; 'connectionAttempt' and 'connectionAttemptFailed' all the same", function()
      local log, attempted = H.log(), 'unset'
      free_port(function(port)
        watch({ host = '127.0.0.1', port = port }, log, function(s)
          attempted = s.autoSelectFamilyAttemptedAddresses
        end)
      end)
      H.run(3000)
      assert.same({
        { 'attempt', '127.0.0.1', 'PORT', 4 },
        { 'attemptFailed', '127.0.0.1', 'PORT', 4, 'ECONNREFUSED', 'connect', '127.0.0.1', 'PORT' },
        { 'error', 'Error', 'ECONNREFUSED' },
        { 'close', true },
      }, log.events)
      assert.is_nil(attempted)
    end)

    it('a Unix socket path: connectionAttempt(path) inside connect(), connectionAttemptFailed(path, nil, nil, err)',
      function()
        local log = H.log()
        local s = net.Socket()
        -- (the count of trailing nils is not checked: Lua cannot tell them
        -- apart from missing arguments)
        local arity = { connectionAttempt = 3, connectionAttemptFailed = 4, error = 1, close = 1 }
        for ev, n in pairs(arity) do
          s:on(ev, function(...)
            local a = { ... }
            local e = { ev }
            for i = 1, n do e[#e + 1] = net.Error.is(a[i]) and a[i].code or tostring(a[i]) end
            log(e)
          end)
        end
        s:connect('/tmp/net-spec-missing.sock')
        log({ 'connect-returned' })
        H.run(2000)
        assert.same({
          { 'connectionAttempt', '/tmp/net-spec-missing.sock', 'nil', 'nil' },
          { 'connect-returned' },
          { 'connectionAttemptFailed', '/tmp/net-spec-missing.sock', 'nil', 'nil', 'ENOENT' },
          { 'error', 'ENOENT' },
          { 'close', 'true' },
        }, log.events)
      end)

    it("destroy() inside 'connectionAttemptFailed': no further attempt, close(false)", function()
      local log = H.log()
      free_port(function(port)
        local s = watch({ host = 'dual.invalid', port = port, lookup = fixed({ A('::1', 6), A('127.0.0.1', 4) }) },
          log, function() end)
        s:once('connectionAttemptFailed', function() s:destroy() end)
      end)
      H.run(3000)
      assert.same({
        { 'lookup', nil, '::1', 6, 'dual.invalid' },
        { 'lookup', nil, '127.0.0.1', 4, 'dual.invalid' },
        { 'attempt', '::1', 'PORT', 6 },
        { 'attemptFailed', '::1', 'PORT', 6, 'ECONNREFUSED', 'connect', '::1', 'PORT' },
        { 'close', false },
      }, log.events)
    end)
  end)

  describe('the attempt timer', function()
    it('a blackholed first address times out after autoSelectFamilyAttemptTimeout; the next one connects', function()
      local port, stop = blackhole({ '127.0.0.2' })
      local log, attempted, t_timeout = H.log(), nil, nil
      local server = net.createServer(function(c) c:end_() end)
      server:listen(port, '127.0.0.1', function()
        local t0 = now_ms()
        local s = watch({ host = 'slow.invalid', port = port, autoSelectFamilyAttemptTimeout = 100,
          lookup = fixed({ A('127.0.0.2', 4), A('127.0.0.1', 4) }) }, log, function(s)
          attempted = s.autoSelectFamilyAttemptedAddresses
          server:close()
        end)
        s:on('connectionAttemptTimeout', function() t_timeout = now_ms() - t0 end)
      end)
      run_then(stop, 3000)
      assert.same({
        { 'lookup', nil, '127.0.0.2', 4, 'slow.invalid' },
        { 'lookup', nil, '127.0.0.1', 4, 'slow.invalid' },
        { 'attempt', '127.0.0.2', 'PORT', 4 },
        { 'attemptTimeout', '127.0.0.2', 'PORT', 4 },
        { 'attempt', '127.0.0.1', 'PORT', 4 },
        { 'connect', '127.0.0.1', 'IPv4', false },
        { 'ready' },
        { 'close', false },
      }, log.events)
      assert.same({ '127.0.0.2:' .. port, '127.0.0.1:' .. port }, attempted)
      assert.is_true(t_timeout >= 98, 'attempt timer fired after ' .. t_timeout .. ' ms')
      assert.is_true(t_timeout < 100 + 400 * H.SCALE, 'attempt timer fired after ' .. t_timeout .. ' ms')
    end)

    it('timed out, then refused: AggregateError {ETIMEDOUT, ECONNREFUSED} with the code of the first', function()
      local port, stop = blackhole({ '127.0.0.2' })
      local log, got = H.log(), nil
      watch({ host = 'slow.invalid', port = port, autoSelectFamilyAttemptTimeout = 100,
        lookup = fixed({ A('127.0.0.2', 4), A('127.0.0.1', 4) }) }, log, function(s) got = s.errored end)
      run_then(stop, 3000)
      assert.same({
        { 'lookup', nil, '127.0.0.2', 4, 'slow.invalid' },
        { 'lookup', nil, '127.0.0.1', 4, 'slow.invalid' },
        { 'attempt', '127.0.0.2', 'PORT', 4 },
        { 'attemptTimeout', '127.0.0.2', 'PORT', 4 },
        { 'attempt', '127.0.0.1', 'PORT', 4 },
        { 'attemptFailed', '127.0.0.1', 'PORT', 4, 'ECONNREFUSED', 'connect', '127.0.0.1', 'PORT' },
        { 'error', 'AggregateError', 'ETIMEDOUT' },
        { 'close', true },
      }, log.events)
      assert.same({ name = 'AggregateError', message = '', code = 'ETIMEDOUT' }, errinfo(got, port))
      -- the timed-out attempt is an ETIMEDOUT error made by Node itself
      -- (no 'connectionAttemptFailed' for it)
      assert.same({ name = 'Error', code = 'ETIMEDOUT', errno = ETIMEDOUT, syscall = 'connect', address = '127.0.0.2',
        port = 'PORT', message = 'connect ETIMEDOUT 127.0.0.2:PORT' }, errinfo(got.errors[1], port))
      assert.same({ name = 'Error', code = 'ECONNREFUSED', errno = ECONNREFUSED, syscall = 'connect',
        address = '127.0.0.1', port = 'PORT', message = 'connect ECONNREFUSED 127.0.0.1:PORT' },
        errinfo(got.errors[2], port))
    end)

    it("destroy() mid-attempt: the multi-address path reports connectionAttemptFailed(ECANCELED) before 'close'; "
      .. 'the single-address path nothing; no attempt timer fires afterwards', function()
      local port, stop = blackhole({ '127.0.0.2' })
      local function one(list, log)
        local s = net.connect({ host = 'x.invalid', port = port, autoSelectFamilyAttemptTimeout = 200,
          lookup = fixed(list) })
        for _, ev in ipairs({ 'connectionAttempt', 'connectionAttemptFailed', 'connectionAttemptTimeout', 'error',
          'close' }) do
          s:on(ev, function(...)
            local e = { ev }
            for i = 1, select('#', ...) do
              local x = select(i, ...)
              e[#e + 1] = net.Error.is(x) and x.code or x == port and 'PORT' or x
            end
            log(e)
          end)
        end
        s:once('connectionAttempt', function()
          timers.setTimeout(function() log({ 'destroy' }); s:destroy() end, 50)
        end)
        -- stay past the 200 ms the attempt timer had: nothing more may come
        s:on('close', function() timers.setTimeout(function() end, 300) end)
      end
      local multi, single = H.log(), H.log()
      one({ A('127.0.0.2', 4), A('127.0.0.1', 4) }, multi)
      one({ A('127.0.0.2', 4) }, single)
      run_then(stop, 3000)
      assert.same({
        { 'connectionAttempt', '127.0.0.2', 'PORT', 4 },
        { 'destroy' },
        { 'connectionAttemptFailed', '127.0.0.2', 'PORT', 4, 'ECANCELED' },
        { 'close', false },
      }, multi.events)
      assert.same({
        { 'connectionAttempt', '127.0.0.2', 'PORT', 4 },
        { 'destroy' },
        { 'close', false },
      }, single.events)
    end)

    it('an attempt timeout below 10 (option 1) is 10 ms', function()
      local port, stop = blackhole({ '127.0.0.2' })
      local log, t0, dt = H.log(), now_ms(), nil
      local s = net.connect({ host = 'slow.invalid', port = port, autoSelectFamilyAttemptTimeout = 1,
        lookup = fixed({ A('127.0.0.2', 4), A('127.0.0.1', 4) }) })
      s:on('connectionAttemptTimeout', function() dt = now_ms() - t0; log('attemptTimeout') end)
      s:on('error', function(e) log('error:' .. e.code) end)
      run_then(stop, 3000)
      assert.same({ 'attemptTimeout', 'error:ETIMEDOUT' }, log.events)
      assert.is_true(dt >= 10, 'attempt timer fired after ' .. tostring(dt) .. ' ms')
    end)
  end)

  describe('what a custom lookup receives', function()
    -- Connects to PORT 1 (never reached) with a lookup that records its
    -- options and answers `answer(cb)` (an error, unless given).
    local function lookup_opts(extra, answer)
      local got, events = nil, {}
      local o = { host = 'opts.invalid', port = 1 }
      for k, v in pairs(extra) do o[k] = v end
      o.lookup = function(host, dnsopts, cb)
        got = { host = host }
        for k, v in pairs(dnsopts) do got[k] = v end
        if answer then answer(cb) else cb(net.Error('stop', { code = 'ESTOP' })) end
      end
      local s = net.connect(o)
      s:on('error', function(e) events[#events + 1] = { e.code, e.name, e.message } end)
      s:on('close', function() events[#events + 1] = 'close' end)
      H.run(2000)
      return got, events
    end

    local ADDRCONFIG, V4MAPPED = 32, 8 -- dns.ADDRCONFIG, dns.V4MAPPED on Linux
    for _, case in ipairs({
      -- Node passes `family: undefined` (a key without a value: nil here)
      { 'default', {}, { hints = ADDRCONFIG, all = true } },
      { 'autoSelectFamily = true', { autoSelectFamily = true }, { hints = ADDRCONFIG, all = true } },
      { 'autoSelectFamily = false', { autoSelectFamily = false }, { hints = ADDRCONFIG } },
      { 'family = 4', { family = 4 }, { family = 4, hints = 0 } },
      { 'family = 6', { family = 6 }, { family = 6, hints = 0 } },
      { 'family = 0', { family = 0 }, { family = 0, hints = ADDRCONFIG, all = true } },
      { 'family = 4, autoSelectFamily = true', { family = 4, autoSelectFamily = true }, { family = 4, hints = 0 } },
      { 'localAddress', { localAddress = '127.0.0.1' }, { hints = ADDRCONFIG } },
      { 'localAddress, autoSelectFamily = true', { localAddress = '127.0.0.1', autoSelectFamily = true },
        { hints = ADDRCONFIG } },
      { 'hints = V4MAPPED', { hints = V4MAPPED }, { hints = V4MAPPED, all = true } },
      { 'hints = 0', { hints = 0 }, { hints = ADDRCONFIG, all = true } },
      { 'family = 6, hints = ADDRCONFIG|V4MAPPED', { family = 6, hints = ADDRCONFIG | V4MAPPED },
        { family = 6, hints = ADDRCONFIG | V4MAPPED } },
      { 'family = 6, hints = V4MAPPED, autoSelectFamily = false', { family = 6, hints = V4MAPPED,
        autoSelectFamily = false }, { family = 6, hints = V4MAPPED } },
    }) do
      it(case[1], function()
        local got, events = lookup_opts(case[2])
        local want = { host = 'opts.invalid' }
        for k, v in pairs(case[3]) do want[k] = v end
        assert.same(want, got)
        assert.same({ { 'ESTOP', 'Error', 'stop' }, 'close' }, events)
      end)
    end

    it('setDefaultAutoSelectFamily(false) and no option: no all', function()
      net.setDefaultAutoSelectFamily(false)
      local ok, got = pcall(lookup_opts, {})
      net.setDefaultAutoSelectFamily(true)
      assert(ok, got)
      assert.same({ host = 'opts.invalid', hints = ADDRCONFIG }, got)
    end)

    it('all = false but the answer is a list: ERR_INVALID_IP_ADDRESS', function()
      local _, events = lookup_opts({ autoSelectFamily = false }, function(cb) cb(nil, { A('127.0.0.1', 4) }) end)
      -- Node's message shows the list with util.inspect ('[ [Object] ]')
      assert.same({ 'ERR_INVALID_IP_ADDRESS', 'TypeError' }, { events[1][1], events[1][2] })
      assert.equal('close', events[2])
    end)

    it('all = true but the answer is (address, family): ERR_INVALID_IP_ADDRESS of undefined', function()
      local _, events = lookup_opts({}, function(cb) cb(nil, '127.0.0.1', 4) end)
      assert.same({ { 'ERR_INVALID_IP_ADDRESS', 'TypeError', 'Invalid IP address: undefined' }, 'close' }, events)
    end)

    it('all = true, one entry with family 5: ERR_INVALID_ADDRESS_FAMILY', function()
      local _, events = lookup_opts({}, function(cb) cb(nil, { A('127.0.0.1', 5) }) end)
      assert.same({ { 'ERR_INVALID_ADDRESS_FAMILY', 'RangeError', 'Invalid address family: 5 opts.invalid:1' },
        'close' }, events)
    end)

    it('all = true, one entry that is not an IP: ERR_INVALID_IP_ADDRESS', function()
      local _, events = lookup_opts({}, function(cb) cb(nil, { A('nope', 4) }) end)
      assert.same({ { 'ERR_INVALID_IP_ADDRESS', 'TypeError', 'Invalid IP address: nope' }, 'close' }, events)
    end)
  end)

  describe('connect options are validated at once, for an IP host too', function()
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
    local function no_raise(opts)
      local s = net.connect(opts)
      s:on('error', function() end)
      s:destroy()
      H.run(2000)
    end
    local function lookup_stop(_, _, cb) cb(net.Error('stop')) end
    local AF = 'The "options.autoSelectFamily" property must be of type boolean. Received '
    local AT = 'The "options.autoSelectFamilyAttemptTimeout" property must be of type number. Received '
    local AR = 'The value of "options.autoSelectFamilyAttemptTimeout" is out of range. It must be '
    for _, case in ipairs({
      { 'autoSelectFamily = 1', { autoSelectFamily = 1 }, 'ERR_INVALID_ARG_TYPE', 'TypeError',
        AF .. 'type number (1)' },
      { "autoSelectFamily = 'yes'", { autoSelectFamily = 'yes' }, 'ERR_INVALID_ARG_TYPE', 'TypeError',
        AF .. "type string ('yes')" },
      { 'autoSelectFamily = 0', { autoSelectFamily = 0 }, 'ERR_INVALID_ARG_TYPE', 'TypeError',
        AF .. 'type number (0)' },
      { 'autoSelectFamilyAttemptTimeout = 0', { autoSelectFamilyAttemptTimeout = 0 }, 'ERR_OUT_OF_RANGE', 'RangeError',
        AR .. '>= 1 && <= 2147483647. Received 0' },
      { 'autoSelectFamilyAttemptTimeout = -5', { autoSelectFamilyAttemptTimeout = -5 }, 'ERR_OUT_OF_RANGE',
        'RangeError', AR .. '>= 1 && <= 2147483647. Received -5' },
      { 'autoSelectFamilyAttemptTimeout = 0.5', { autoSelectFamilyAttemptTimeout = 0.5 }, 'ERR_OUT_OF_RANGE',
        'RangeError', AR .. 'an integer. Received 0.5' },
      { "autoSelectFamilyAttemptTimeout = '10'", { autoSelectFamilyAttemptTimeout = '10' }, 'ERR_INVALID_ARG_TYPE',
        'TypeError', AT .. "type string ('10')" },
      { 'autoSelectFamilyAttemptTimeout = 0/0', { autoSelectFamilyAttemptTimeout = 0 / 0 }, 'ERR_OUT_OF_RANGE',
        'RangeError', AR .. 'an integer. Received NaN' },
      { 'autoSelectFamilyAttemptTimeout = 2^31', { autoSelectFamilyAttemptTimeout = 2 ^ 31 }, 'ERR_OUT_OF_RANGE',
        'RangeError', AR .. '>= 1 && <= 2147483647. Received 2147483648' },
    }) do
      for _, host in ipairs({ '127.0.0.1', 'x.invalid' }) do
        it(case[1] .. ', host ' .. host .. ': ' .. case[3], function()
          local o = { port = 1, host = host, lookup = lookup_stop }
          for k, v in pairs(case[2]) do o[k] = v end
          local err = raises_connect(o)
          assert.same({ case[3], case[4], case[5] }, { err.code, err.name, err.message })
        end)
      end
    end

    it('autoSelectFamilyAttemptTimeout = 5 (raised to 10) and nil values are accepted', function()
      no_raise({ port = 1, host = 'x.invalid', lookup = lookup_stop, autoSelectFamilyAttemptTimeout = 5 })
      no_raise({ port = 1, host = '127.0.0.1', autoSelectFamilyAttemptTimeout = 5 })
      no_raise({ port = 1, host = 'x.invalid', lookup = lookup_stop, autoSelectFamily = nil,
        autoSelectFamilyAttemptTimeout = nil })
    end)
  end)
end)
