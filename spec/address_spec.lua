-- net.isIP / isIPv4 / isIPv6, held to Node's answers (spec/fixtures/isip.lua,
-- recorded from node by tools/gen_address_fixtures.js).
local address = require('net.address')

local isIP, isIPv4, isIPv6 = address.isIP, address.isIPv4, address.isIPv6

describe('net.isIP', function()
  it('answers the documented examples', function()
    assert.are.equal(6, isIP('::1'))
    assert.are.equal(6, isIP('::ffff:127.0.0.1'))
    assert.are.equal(4, isIP('127.0.0.1'))
    assert.are.equal(0, isIP('127.000.000.001'))
    assert.are.equal(0, isIP('127.0.0.1/24'))
    assert.are.equal(0, isIP('fhqwhgads'))
  end)

  it('returns a Lua integer', function()
    assert.are.equal('integer', math.type(isIP('1.2.3.4')))
    assert.are.equal('integer', math.type(isIP('nope')))
  end)

  it('rejects IPv4 leading zeros, short forms, out-of-range parts and padding', function()
    for _, s in ipairs({ '01.2.3.4', '1.2.3.04', '00.0.0.0', '1.2.3', '256.0.0.1', '1.2.3.256',
      ' 1.2.3.4', '1.2.3.4 ', '1.2.3.4\n', '', '127.1', '0x7f.0.0.1', '1.2.3.4.' }) do
      assert.are.equal(0, isIP(s), s)
    end
    assert.are.equal(4, isIP('0.0.0.0'))
    assert.are.equal(4, isIP('255.255.255.255'))
  end)

  it('accepts IPv6 with an embedded IPv4 and with zone ids', function()
    assert.are.equal(6, isIP('fe80::1%eth0'))
    assert.are.equal(6, isIP('fe80::1%en-0.1:2'))
    assert.are.equal(6, isIP('1:2:3:4:5:6:1.2.3.4'))
    assert.are.equal(6, isIP('::1.2.3.4'))
    assert.are.equal(6, isIP('1:2:3:4:5:6:7::'))
    assert.are.equal(0, isIP('fe80::1%'))       -- empty zone
    assert.are.equal(0, isIP('fe80::1%e_0'))    -- '_' is not a zone character
    assert.are.equal(0, isIP('1.2.3.4%eth0'))   -- zones are IPv6 only
    assert.are.equal(0, isIP('::ffff:01.2.3.4'))
    assert.are.equal(0, isIP('1:2:3:4:5:6::1.2.3.4')) -- nine groups
    assert.are.equal(0, isIP('1::2::3'))
    assert.are.equal(0, isIP(':::'))
    assert.are.equal(0, isIP('[::1]'))
  end)

  it('reads a NUL byte as part of the input, not as its end', function()
    assert.are.equal(0, isIP('1.2.3.4\0'))
    assert.are.equal(0, isIP('::1\0'))
  end)

  it('answers 0 / false for values that are not strings, without raising', function()
    for _, v in ipairs({ 5, 1.5, true, {}, { '1.2.3.4' }, print }) do
      assert.are.equal(0, isIP(v))
      assert.is_false(isIPv4(v))
      assert.is_false(isIPv6(v))
    end
    assert.are.equal(0, isIP(nil))
    assert.is_false(isIPv4())
    assert.is_false(isIPv6())
  end)

  it('isIPv4 and isIPv6 answer booleans', function()
    assert.are.equal(true, isIPv4('127.0.0.1'))
    assert.are.equal(false, isIPv4('127.000.000.001'))
    assert.are.equal(false, isIPv4('::1'))
    assert.are.equal(true, isIPv6('::1'))
    assert.are.equal(true, isIPv6('::ffff:127.0.0.1'))
    assert.are.equal(false, isIPv6('127.0.0.1'))
  end)

  describe("agrees with node on every fixture row", function()
    local rows = dofile('spec/fixtures/isip.lua')

    it('has at least 2,000 rows of every kind', function()
      local seen = { [0] = 0, [4] = 0, [6] = 0 }
      for _, r in ipairs(rows) do seen[r[2]] = seen[r[2]] + 1 end
      assert.is_true(#rows >= 2000)
      assert.is_true(seen[0] > 500 and seen[4] > 100 and seen[6] > 100)
    end)

    it('isIP', function()
      local wrong = {}
      for _, r in ipairs(rows) do
        local got = isIP(r[1])
        if got ~= r[2] then wrong[#wrong + 1] = string.format('%q: node %d, got %d', r[1], r[2], got) end
      end
      assert.are.same({}, wrong)
    end)

    it('isIPv4 and isIPv6', function()
      local wrong = {}
      for _, r in ipairs(rows) do
        if isIPv4(r[1]) ~= (r[2] == 4) or isIPv6(r[1]) ~= (r[2] == 6) then
          wrong[#wrong + 1] = string.format('%q', r[1])
        end
      end
      assert.are.same({}, wrong)
    end)
  end)
end)

describe('net.address.js (the message helpers)', function()
  local js = address.js

  it('prints numbers as JavaScript does', function()
    assert.are.equal('5', js.number(5))
    assert.are.equal('5', js.number(5.0))
    assert.are.equal('1.5', js.number(1.5))
    assert.are.equal('0.1', js.number(0.1))
    assert.are.equal('1e+21', js.number(1e21))
    assert.are.equal('100000000000000000000', js.number(1e20))
    assert.are.equal('1.5e-7', js.number(1.5e-7))
    assert.are.equal('0.000001', js.number(1e-6))
    assert.are.equal('NaN', js.number(0 / 0))
    assert.are.equal('-Infinity', js.number(-math.huge))
  end)

  it('inspects strings as util.inspect does', function()
    assert.are.equal("'abc'", js.inspect('abc'))
    assert.are.equal([["it's"]], js.inspect("it's"))
    assert.are.equal([[`a'b"c`]], js.inspect([[a'b"c]]))
    assert.are.equal([['a\'b"c`']], js.inspect([[a'b"c`]]))
    assert.are.equal([['a\nb\t\x01\x7F\\']], js.inspect('a\nb\t\1\127\\'))
    assert.are.equal('-0', js.inspect(-0.0))
  end)

  it("describes received values as ERR_INVALID_ARG_TYPE does", function()
    assert.are.equal("type string ('abc')", js.describe('abc'))
    assert.are.equal([[type string ("it's")]], js.describe("it's"))
    assert.are.equal("type string ('abcdefghijklmnopqrstuvwxy...')",
      js.describe('abcdefghijklmnopqrstuvwxyz012'))
    assert.are.equal('type number (1e+21)', js.describe(1e21))
    assert.are.equal('type boolean (true)', js.describe(true))
    assert.are.equal('undefined', js.describe(nil))
    assert.are.equal('an instance of Object', js.describe({ a = 1 }))
    assert.are.equal('an instance of Array', js.describe({ 1 }))
  end)
end)
