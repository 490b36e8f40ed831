-- net.EventEmitter, checked against Node's `events` module: every expectation
-- here is what `node spec/node/emitter.js` prints for the same scenario.
local net = require('net')
local H = require('spec.helper')

local function fail_code(fn, ...)
  local ok, err = pcall(fn, ...)
  assert.is_false(ok, 'expected an error')
  assert.is_true(net.Error.is(err), 'expected a net.Error, got ' .. tostring(err))
  return err
end

describe('EventEmitter', function()
  it('on/addListener return the emitter; emit passes every argument and returns whether anyone listened', function()
    local e = net.EventEmitter()
    local log = H.log()
    assert.is_false(e:emit('x', 1))
    assert.equal(e, e:on('x', function(...)
      local a, b, c = ...
      log({ 'on', select('#', ...), a, b == nil and 'nil' or b, c })
    end))
    assert.equal(e, e:addListener('x', function(a) log({ 'add', a }) end))
    assert.is_true(e:emit('x', 1, nil, 3))
    assert.same({ { 'on', 3, 1, 'nil', 3 }, { 'add', 1 } }, log.events)
  end)

  it('calls a function added twice twice; removeListener removes the last added copy', function()
    local e = net.EventEmitter()
    local log = H.log()
    local f = function() log('f') end
    local g = function() log('g') end
    e:on('x', f); e:on('x', g); e:on('x', f)
    e:emit('x')
    assert.same({ 'f', 'g', 'f' }, log.events)
    e:removeListener('x', f)
    local ls = e:listeners('x')
    assert.equal(2, #ls)
    assert.equal(f, ls[1]); assert.equal(g, ls[2])
    assert.equal(e, e:off('x', f))
    ls = e:listeners('x')
    assert.equal(1, #ls); assert.equal(g, ls[1])
    e:off('x', function() end) -- not registered: nothing happens
    assert.equal(1, e:listenerCount('x'))
  end)

  it('once fires a single time and is then removed', function()
    local e = net.EventEmitter()
    local log = H.log()
    assert.equal(e, e:once('x', function(a) log('once:' .. a) end))
    assert.equal(1, e:listenerCount('x'))
    assert.is_true(e:emit('x', 1))
    assert.is_false(e:emit('x', 2))
    assert.same({ 'once:1' }, log.events)
    assert.equal(0, e:listenerCount('x'))
  end)

  it('a once listener can be removed with the original function', function()
    local e = net.EventEmitter()
    local f = function() error('must not run') end
    e:once('y', f)
    e:off('y', f)
    assert.equal(0, e:listenerCount('y'))
    assert.is_false(e:emit('y'))
  end)

  it('a once listener that re-emits its own event runs only once', function()
    local e = net.EventEmitter()
    local log = H.log()
    e:once('z', function() log('z'); e:emit('z') end)
    e:emit('z')
    assert.same({ 'z' }, log.events)
  end)

  it('prependListener and prependOnceListener put listeners first', function()
    local e = net.EventEmitter()
    local log = H.log()
    e:on('x', function() log('a') end)
    assert.equal(e, e:prependListener('x', function() log('b') end))
    assert.equal(e, e:prependOnceListener('x', function() log('c') end))
    e:on('x', function() log('d') end)
    e:emit('x'); e:emit('x')
    assert.same({ 'c', 'b', 'a', 'd', 'b', 'a', 'd' }, log.events)
  end)

  it('listeners returns a copy with once wrappers unwrapped', function()
    local e = net.EventEmitter()
    local f, g = function() end, function() end
    e:on('x', f); e:once('x', g)
    local ls = e:listeners('x')
    assert.equal(2, #ls)
    assert.equal(f, ls[1]); assert.equal(g, ls[2])
    ls[2] = nil
    assert.equal(2, e:listenerCount('x'))
    assert.same({}, e:listeners('nope'))
  end)

  it('rawListeners returns once wrappers; calling one runs the listener and removes it', function()
    local e = net.EventEmitter()
    local log = H.log()
    local f = function() log('f') end
    local g = function() log('g') end
    e:on('x', f); e:once('x', g)
    local raw = e:rawListeners('x')
    assert.equal(2, #raw)
    assert.equal(f, raw[1])
    assert.are_not.equal(g, raw[2])
    raw[2]()
    assert.same({ 'g' }, log.events)
    assert.equal(1, e:listenerCount('x'))
    assert.same({}, e:rawListeners('nope'))
  end)

  it('listenerCount counts all listeners or those of one function (once included)', function()
    local e = net.EventEmitter()
    local f, g = function() end, function() end
    assert.equal(0, e:listenerCount('x'))
    e:on('x', f); e:on('x', f); e:once('x', g)
    assert.equal(3, e:listenerCount('x'))
    assert.equal(2, e:listenerCount('x', f))
    assert.equal(1, e:listenerCount('x', g))
    assert.equal('integer', math.type(e:listenerCount('x')))
  end)

  it('eventNames lists events in the order they first got a listener', function()
    local e = net.EventEmitter()
    local f = function() end
    assert.same({}, e:eventNames())
    e:on('b', f); e:on('a', f); e:on('c', f); e:on('b', f)
    assert.same({ 'b', 'a', 'c' }, e:eventNames())
    e:removeAllListeners('b')
    assert.same({ 'a', 'c' }, e:eventNames())
    e:on('b', f)
    assert.same({ 'a', 'c', 'b' }, e:eventNames())
    e:once('d', f); e:emit('d')
    assert.same({ 'a', 'c', 'b' }, e:eventNames())
  end)

  it('removeAllListeners(name) and removeAllListeners() return the emitter', function()
    local e = net.EventEmitter()
    local f = function() end
    e:on('a', f); e:on('a', f); e:on('b', f)
    assert.equal(e, e:removeAllListeners('a'))
    assert.equal(0, e:listenerCount('a'))
    assert.equal(1, e:listenerCount('b'))
    assert.equal(e, e:removeAllListeners())
    assert.same({}, e:eventNames())
  end)

  it("removeAllListeners emits 'removeListener' for each, last added first", function()
    local e = net.EventEmitter()
    local log = H.log()
    local f, g = function() end, function() end
    e:on('removeListener', function(name, l)
      log(name .. ':' .. (l == f and 'f' or l == g and 'g' or '?'))
    end)
    e:on('x', f); e:on('x', g); e:on('y', g)
    e:removeAllListeners('x')
    assert.same({ 'x:g', 'x:f' }, log.events)
    log.events = {}
    e:removeAllListeners()
    -- the 'removeListener' listener itself goes last, without an event
    assert.same({ 'y:g' }, log.events)
    assert.same({}, e:eventNames())
  end)

  it('getMaxListeners defaults to 10; setMaxListeners sets it and returns the emitter', function()
    local e = net.EventEmitter()
    assert.equal(10, e:getMaxListeners())
    assert.equal('integer', math.type(e:getMaxListeners()))
    assert.equal(e, e:setMaxListeners(3))
    assert.equal(3, e:getMaxListeners())
    e:setMaxListeners(0)
    assert.equal(0, e:getMaxListeners())
  end)

  it('setMaxListeners rejects negative numbers and non-numbers as Node does', function()
    local e = net.EventEmitter()
    local err = fail_code(e.setMaxListeners, e, -1)
    assert.equal('ERR_OUT_OF_RANGE', err.code)
    assert.equal('RangeError', err.name)
    assert.equal('The value of "setMaxListeners" is out of range. It must be >= 0. Received -1', err.message)
    err = fail_code(e.setMaxListeners, e, '3')
    assert.equal('ERR_INVALID_ARG_TYPE', err.code)
    assert.equal('TypeError', err.name)
    assert.equal([[The "setMaxListeners" argument must be of type number. Received type string ('3')]], err.message)
  end)

  it("emits 'newListener' before adding and 'removeListener' after removing", function()
    local e = net.EventEmitter()
    local log = H.log()
    local f = function() log('f') end
    e:on('newListener', function(name, l)
      log('new:' .. name .. ':' .. (l == f and 'f' or 'other') .. ':count=' .. e:listenerCount(name))
      if name == 'x' and l == f then e:on('x', function() log('added-in-newListener') end) end
    end)
    e:on('removeListener', function(name, l)
      log('removed:' .. name .. ':' .. (l == f and 'f' or 'other') .. ':count=' .. e:listenerCount(name))
    end)
    e:on('x', f); e:emit('x')
    e:off('x', f); e:emit('x')
    assert.same({
      'new:removeListener:other:count=0',
      'new:x:f:count=0',
      'new:x:other:count=0',
      'added-in-newListener', 'f',
      'removed:x:f:count=1',
      'added-in-newListener',
    }, log.events)
  end)

  it("'newListener' and 'removeListener' see the original function of a once listener", function()
    local e = net.EventEmitter()
    local log = H.log()
    local g = function() log('g') end
    e:on('newListener', function(name, l) log('new:' .. name .. ':' .. tostring(l == g)) end)
    e:on('removeListener', function(name, l) log('removed:' .. name .. ':' .. tostring(l == g)) end)
    e:once('y', g); e:emit('y')
    -- the once wrapper is removed before the listener runs
    assert.same({ 'new:removeListener:false', 'new:y:true', 'removed:y:true', 'g' }, log.events)
  end)

  it('removing or adding listeners during emit does not change the current emit', function()
    local e = net.EventEmitter()
    local log = H.log()
    local b = function() log('b') end
    e:on('x', function()
      log('a'); e:off('x', b); e:on('x', function() log('c') end)
    end)
    e:on('x', b)
    e:emit('x'); log('--'); e:emit('x')
    assert.same({ 'a', 'b', '--', 'a', 'c' }, log.events)
  end)

  it("'error' with no listener raises the error value itself", function()
    local e = net.EventEmitter()
    local err = net.Error('boom', { code = 'EBOOM' })
    local ok, got = pcall(e.emit, e, 'error', err)
    assert.is_false(ok)
    assert.is_true(rawequal(err, got))
  end)

  it("'error' with no listener and a non-error value raises ERR_UNHANDLED_ERROR", function()
    local e = net.EventEmitter()
    local ok, got = pcall(e.emit, e, 'error', 'boom')
    assert.is_false(ok)
    assert.is_true(net.Error.is(got))
    assert.equal('ERR_UNHANDLED_ERROR', got.code)
    assert.equal('Error', got.name)
    assert.equal("Unhandled error. ('boom')", got.message)
    assert.equal('boom', got.context)
  end)

  it("'error' with a listener is delivered as the same value", function()
    local e = net.EventEmitter()
    local err = net.Error('boom')
    local log = H.log()
    e:on('error', function(x) log(rawequal(x, err)) end)
    assert.is_true(e:emit('error', err))
    assert.same({ true }, log.events)
  end)

  it('a listener that is not a function raises ERR_INVALID_ARG_TYPE', function()
    local e = net.EventEmitter()
    for _, m in ipairs({ 'on', 'addListener', 'once', 'prependListener', 'prependOnceListener', 'off' }) do
      local err = fail_code(e[m], e, 'x', 5)
      assert.equal('ERR_INVALID_ARG_TYPE', err.code, m)
      assert.equal('TypeError', err.name, m)
      assert.equal('The "listener" argument must be of type function. Received type number (5)', err.message, m)
    end
    assert.equal(0, e:listenerCount('x'))
  end)

  it("nil and NaN are event names too, kept as Node names them ('undefined', 'NaN')", function()
    local e = net.EventEmitter()
    local log = H.log()
    e:on('newListener', function(n) log('new:' .. (n ~= n and 'NaN' or tostring(n)) .. ':' .. type(n)) end)
    e:on(nil, function(a) log('undefined-listener:' .. a) end)
    e:on(0 / 0, function(a) log('NaN-listener:' .. a) end)
    e:emit(nil, 1)
    e:emit('undefined', 2)
    e:emit(0 / 0, 3)
    e:emit('NaN', 4)
    assert.same({ 'new:nil:nil', 'new:NaN:number', 'undefined-listener:1', 'undefined-listener:2',
      'NaN-listener:3', 'NaN-listener:4' }, { table.unpack(log.events, 1, 6) })
    assert.same({ 'newListener', 'undefined', 'NaN' }, e:eventNames())
    assert.same({ 1, 1 }, { e:listenerCount(nil), e:listenerCount('NaN') })
    local f = function() end
    e:once(nil, f)
    e:prependListener(0 / 0, f)
    assert.same({ 2, 2 }, { #e:listeners('undefined'), #e:rawListeners(0 / 0) })
    e:off(nil, f)
    e:removeListener('NaN', f)
    e:removeAllListeners('undefined')
    assert.same({ 'newListener', 'NaN' }, e:eventNames())
  end)

  it('numbers and booleans name events as their strings, as in Node (_events is an object)', function()
    local e = net.EventEmitter()
    local log = H.log()
    e:on(1, function() log('one') end)
    e:on(1.5, function() log('1.5') end)
    e:on(true, function() log('t') end)
    e:on('x', function() end)
    e:emit('1')
    e:emit(1)
    e:emit('1.5')
    e:emit('true')
    -- node: ["1","1.5","true","x"] one,one,1.5,t 1 1
    assert.same({ '1', '1.5', 'true', 'x' }, e:eventNames())
    assert.same({ 'one', 'one', '1.5', 't' }, log.events)
    assert.same({ 1, 1 }, { e:listenerCount(1), e:listenerCount('1') })
    e:removeAllListeners(1)
    assert.same({ '1.5', 'true', 'x' }, e:eventNames())
  end)

  it('extend() on something that is not a class raises a TypeError, as `class X extends 0` does', function()
    for _, case in ipairs({ { 0, '0' }, { nil, 'undefined' }, { 'x', 'x' }, { true, 'true' } }) do
      local err = fail_code(net.EventEmitter.extend, case[1])
      assert.same({ 'TypeError', 'Class extends value ' .. case[2] .. ' is not a constructor or null' },
        { err.name, err.message })
    end
  end)

  it('extend() makes classes whose instances are separate emitters', function()
    local X = net.EventEmitter:extend()
    function X:hello()
      self:emit('hello', 'world')
      return 'hi'
    end
    local a, b = X(), X()
    local log = H.log()
    a:on('hello', function(w) log('a:' .. w) end)
    assert.equal('hi', a:hello())
    b:hello()
    assert.same({ 'a:world' }, log.events)
    assert.equal(1, a:listenerCount('hello'))
    assert.equal(0, b:listenerCount('hello'))
    assert.equal(10, b:getMaxListeners())
  end)

  it('extend() classes can be extended again and keep their fields', function()
    local X = net.EventEmitter:extend()
    function X:hello() self:emit('hello', self.tag) end
    local Y = X:extend()
    function Y:twice() self:hello(); self:hello() end
    local y = Y()
    y.tag = 'mine'
    local log = H.log()
    y:once('hello', function(t) log(t) end)
    y:twice()
    assert.same({ 'mine' }, log.events)
    assert.equal('mine', y.tag)
  end)
end)
