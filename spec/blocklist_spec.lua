-- net.BlockList: node v20's behaviour for the members it has (fixtures in
-- spec/fixtures/blocklist.lua, recorded from node), the newest Node's
-- documentation for the members added since.
local BlockList = require('net.blocklist')
local SocketAddress = require('net.socketaddress')
local errors = require('net.errors')

local function raises(fn, code, message, name)
  local ok, err = pcall(fn)
  assert.is_false(ok, 'expected an error')
  assert.is_true(errors.Error.is(err), 'not a net.Error: ' .. tostring(err))
  assert.are.equal(code, err.code)
  if message then assert.are.equal(message, err.message) end
  if name then assert.are.equal(name, err.name) end
  return err
end

describe('net.BlockList', function()
  it('runs the documented example', function()
    local bl = BlockList()
    bl:addAddress('123.123.123.123')
    bl:addRange('10.0.0.1', '10.0.0.10')
    bl:addSubnet('8592:757c:efae:4e45::', 64, 'ipv6')
    assert.is_true(bl:check('123.123.123.123'))
    assert.is_true(bl:check('10.0.0.3'))
    assert.is_false(bl:check('222.111.111.222'))
    assert.is_true(bl:check('::ffff:7b7b:7b7b', 'ipv6'))
    assert.is_true(bl:check('::ffff:123.123.123.123', 'ipv6'))
  end)

  it('lists rules newest first, with Node\'s wording', function()
    local bl = BlockList.new()
    bl:addAddress('123.123.123.123')
    bl:addRange('10.0.0.1', '10.0.0.10')
    bl:addSubnet('8592:757c:efae:4e45::', 64, 'ipv6')
    bl:addAddress('1.2.3.4')
    bl:addAddress('1.2.3.4')
    assert.are.same({
      'Address: IPv4 1.2.3.4',
      'Address: IPv4 1.2.3.4',
      'Subnet: IPv6 8592:757c:efae:4e45::/64',
      'Range: IPv4 10.0.0.1-10.0.0.10',
      'Address: IPv4 123.123.123.123',
    }, bl.rules)
    assert.are.equal(5, bl.size)
  end)

  it('matches IPv4 rules from IPv4-mapped IPv6 addresses and the reverse', function()
    local bl = BlockList()
    bl:addAddress('::ffff:1.2.3.4', 'ipv6')
    bl:addSubnet('10.0.0.0', 8)
    assert.is_true(bl:check('1.2.3.4'))
    assert.is_true(bl:check('::ffff:10.9.8.7', 'ipv6'))
    assert.is_false(bl:check('::10.9.8.7', 'ipv6'))   -- IPv4-compatible is not mapped
    assert.is_false(bl:check('::1.2.3.4', 'ipv6'))
  end)

  it('compares an IPv4 address with IPv6 range bounds only inside ::ffff:0:0/96', function()
    local bl = BlockList()
    bl:addRange('::1', '::ffff:1.2.3.8', 'ipv6')
    assert.is_false(bl:check('1.2.3.4'))                    -- not comparable with ::1
    assert.is_true(bl:check('::ffff:1.2.3.4', 'ipv6'))      -- plain IPv6 comparison
  end)

  it('takes SocketAddress arguments, whose own family wins', function()
    local bl = BlockList()
    bl:addAddress(SocketAddress({ address = '::1', family = 'ipv6', port = 80 }), 'ipv4')
    bl:addRange(SocketAddress({ address = '1.2.3.4' }), SocketAddress({ address = '1.2.3.8' }))
    assert.are.same({ 'Range: IPv4 1.2.3.4-1.2.3.8', 'Address: IPv6 ::1' }, bl.rules)
    assert.is_true(bl:check(SocketAddress({ address = '::1', family = 'ipv6' })))
    assert.is_true(bl:check(SocketAddress({ address = '1.2.3.5' }), 'ipv6'))
    assert.is_false(bl:check(SocketAddress({ address = '1.2.3.9' })))
  end)

  it('answers false for addresses that do not parse and families it does not know', function()
    local bl = BlockList()
    bl:addSubnet('0.0.0.0', 0)
    bl:addSubnet('::', 0, 'ipv6')
    assert.is_false(bl:check('1.2.3'))
    assert.is_false(bl:check('::1'))           -- ipv4 by default
    assert.is_false(bl:check('1.2.3.4', 'ipv5'))
    assert.is_true(bl:check('1.2.3.4', 'IPv4'))
    assert.is_true(bl:check('::1', 'IPV6'))
    assert.is_true(bl:check('1.2.3.4\0junk'))   -- the C string ends at the NUL
  end)

  describe('raises Node\'s errors', function()
    local bl = BlockList()

    it('for a range whose start is after its end', function()
      raises(function() bl:addRange('10.0.0.10', '10.0.0.1') end, 'ERR_INVALID_ARG_VALUE',
        "The argument 'start' must come before end. Received SocketAddress "
          .. "{ address: '10.0.0.10', port: 0, family: 'ipv4', flowlabel: 0 }", 'TypeError')
      raises(function() bl:addRange('ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0', 'ffff::', 'ipv6') end,
        'ERR_INVALID_ARG_VALUE', "The argument 'start' must come before end. Received SocketAddress {\n"
          .. "  address: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0',\n  port: 0,\n  family: 'ipv6',\n"
          .. '  flowlabel: 0\n}')
      assert.are.equal(0, bl.size)
    end)

    it('for a bad prefix', function()
      raises(function() bl:addSubnet('1.2.3.4', 33) end, 'ERR_OUT_OF_RANGE',
        'The value of "prefix" is out of range. It must be >= 0 && <= 32. Received 33', 'RangeError')
      raises(function() bl:addSubnet('::', 129, 'ipv6') end, 'ERR_OUT_OF_RANGE',
        'The value of "prefix" is out of range. It must be >= 0 && <= 128. Received 129')
      raises(function() bl:addSubnet('1.2.3.4', -1) end, 'ERR_OUT_OF_RANGE',
        'The value of "prefix" is out of range. It must be >= 0 && <= 32. Received -1')
      raises(function() bl:addSubnet('1.2.3.4', 1.5) end, 'ERR_OUT_OF_RANGE',
        'The value of "prefix" is out of range. It must be an integer. Received 1.5')
      raises(function() bl:addSubnet('1.2.3.4', 0 / 0) end, 'ERR_OUT_OF_RANGE',
        'The value of "prefix" is out of range. It must be an integer. Received NaN')
      raises(function() bl:addSubnet('1.2.3.4', 2 ^ 32 + 1) end, 'ERR_OUT_OF_RANGE',
        'The value of "prefix" is out of range. It must be >= 0 && <= 32. Received 4_294_967_297')
      raises(function() bl:addSubnet('1.2.3.4', 1e21) end, 'ERR_OUT_OF_RANGE',
        'The value of "prefix" is out of range. It must be >= 0 && <= 32. Received 1e_+21')
      raises(function() bl:addSubnet('1.2.3.4', '24') end, 'ERR_INVALID_ARG_TYPE',
        [[The "prefix" argument must be of type number. Received type string ('24')]], 'TypeError')
      raises(function() bl:addSubnet('1.2.3.4') end, 'ERR_INVALID_ARG_TYPE',
        'The "prefix" argument must be of type number. Received undefined')
    end)

    it('for a bad family', function()
      raises(function() bl:addAddress('1.2.3.4', 'ipv5') end, 'ERR_INVALID_ARG_VALUE',
        "The property 'options.family' is invalid. Received 'ipv5'")
      raises(function() bl:addSubnet('1.2.3.4', 8, 'inet') end, 'ERR_INVALID_ARG_VALUE',
        "The property 'options.family' is invalid. Received 'inet'")
      raises(function() bl:addAddress('1.2.3.4', 4) end, 'ERR_INVALID_ARG_TYPE',
        'The "family" argument must be of type string. Received type number (4)')
      raises(function() bl:check('1.2.3.4', 4) end, 'ERR_INVALID_ARG_TYPE',
        'The "family" argument must be of type string. Received type number (4)')
    end)

    it('for addresses that are not strings or do not parse', function()
      raises(function() bl:addAddress(5) end, 'ERR_INVALID_ARG_TYPE',
        'The "address" argument must be of type string. Received type number (5)')
      raises(function() bl:addRange('1.2.3.4', nil) end, 'ERR_INVALID_ARG_TYPE',
        'The "end" argument must be of type string. Received undefined')
      raises(function() bl:addSubnet({}, 8) end, 'ERR_INVALID_ARG_TYPE',
        'The "network" argument must be of type string. Received an instance of Array')
      raises(function() bl:addSubnet(BlockList(), 8) end, 'ERR_INVALID_ARG_TYPE',
        'The "network" argument must be of type string. Received an instance of BlockList')
      raises(function() bl:check(nil) end, 'ERR_INVALID_ARG_TYPE',
        'The "address" argument must be of type string. Received undefined')
      raises(function() bl:addAddress('1.2.3') end, 'ERR_INVALID_ADDRESS', 'Invalid socket address')
      raises(function() bl:addSubnet('1.2.3', 99) end, 'ERR_INVALID_ADDRESS') -- before the prefix
    end)

    it('for methods called with a dot', function()
      raises(function() bl.check('1.2.3.4') end, 'ERR_INVALID_THIS',
        'Value of "this" must be of type BlockList')
    end)
  end)

  it('keeps rules and size read-only, other fields free', function()
    local bl = BlockList()
    local ok, err = pcall(function() bl.rules = {} end)
    assert.is_false(ok)
    assert.are.equal('Cannot set property rules of #<BlockList> which has only a getter', err.message)
    bl.note = 'x'
    assert.are.equal('x', bl.note)
  end)

  describe('agrees with node on the fixture scenarios', function()
    local scenarios = dofile('spec/fixtures/blocklist.lua')
    local total = 0
    for _, sc in ipairs(scenarios) do total = total + #sc.checks end

    it('(' .. total .. ' checks)', function()
      assert.is_true(total >= 500)
      local wrong = {}
      for i, sc in ipairs(scenarios) do
        local bl = BlockList()
        for _, op in ipairs(sc.ops) do
          local ok, err = pcall(bl[op.method], bl, table.unpack(op.args, 1, op.n))
          local code = not ok and err.code or nil
          if code ~= op.err then
            wrong[#wrong + 1] = string.format('#%d %s: node %s, got %s', i, op.method, op.err, code)
          end
        end
        local rules = table.concat(bl.rules, ' | ')
        if rules ~= table.concat(sc.rules, ' | ') then
          wrong[#wrong + 1] = string.format('#%d rules: %s', i, rules)
        end
        for _, c in ipairs(sc.checks) do
          if bl:check(c[1], c[2]) ~= c[3] then
            wrong[#wrong + 1] = string.format('#%d check(%q, %s): node %s [%s]', i, c[1], c[2],
              tostring(c[3]), rules)
          end
        end
      end
      assert.are.same({}, wrong)
    end)
  end)

  describe('with many rules', function()
    -- every other address of 10.0.0.0/14 as its own rule: 131,072 rules
    -- (2,048 under valgrind or ASan, where NET_SPEC_SLOW is set)
    local span = os.getenv('NET_SPEC_SLOW') and (1 << 12) or (1 << 18)
    local function addr(i)
      return string.format('10.%d.%d.%d', i >> 16, (i >> 8) & 255, i & 255)
    end
    local bl

    lazy_setup(function()
      bl = BlockList()
      local list = {}
      for i = 0, span - 1, 2 do list[#list + 1] = addr(i) end
      bl:addAddresses(list)
    end)

    it('answers every check exactly', function()
      assert.are.equal(span // 2, bl.size)
      for _, i in ipairs({ 0, 1, 2, 255, 256, span // 2 - 1, span // 2, span - 2, span - 1, span }) do
        assert.are.equal(i % 2 == 0 and i < span, bl:check(addr(i)), addr(i))
        assert.are.equal(i % 2 == 0 and i < span, bl:check('::ffff:' .. addr(i), 'ipv6'), addr(i))
      end
      assert.is_false(bl:check('10.4.0.0'))
    end)

    it('stays exact while rules are added and removed between checks', function()
      bl:addAddress('10.0.0.1')
      assert.is_true(bl:check('10.0.0.1'))
      for k = 1, 100 do
        bl:addRange(string.format('192.168.%d.0', k), string.format('192.168.%d.9', k))
        assert.is_true(bl:check(string.format('192.168.%d.5', k)))
        assert.is_false(bl:check(string.format('192.168.%d.10', k)))
      end
      bl:removeAddress('10.0.0.2')
      assert.is_false(bl:check('10.0.0.2'))
      assert.is_true(bl:check('10.0.0.4'))
      bl:removeRange('192.168.50.0', '192.168.50.9')
      assert.is_false(bl:check('192.168.50.5'))
      assert.is_true(bl:check('192.168.51.5'))
    end)
  end)
end)

describe('net.BlockList (members newer than node v20)', function()
  it('isBlockList', function()
    assert.is_true(BlockList.isBlockList(BlockList()))
    assert.is_false(BlockList.isBlockList({}))
    assert.is_false(BlockList.isBlockList(SocketAddress()))
    assert.is_false(BlockList.isBlockList(nil))
  end)

  it('PRIVATE_RANGES lists the documented ranges and is frozen', function()
    local r = BlockList.PRIVATE_RANGES
    assert.are.equal(8, #r)
    local copy = {}
    for i, v in ipairs(r) do copy[i] = v end
    assert.are.same({ '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', '::1/128',
      '169.254.0.0/16', 'fe80::/10', 'fc00::/7' }, copy)
    local ok = pcall(function() r[9] = 'x' end)
    assert.is_false(ok)
    assert.are.equal(8, #r)
  end)

  it('addCIDRs(PRIVATE_RANGES) blocks the private ranges (documented example)', function()
    local bl = BlockList()
    bl:addCIDRs(BlockList.PRIVATE_RANGES)
    assert.is_true(bl:check('10.0.0.1'))
    assert.is_true(bl:check('127.0.0.1'))
    assert.is_false(bl:check('8.8.8.8'))
    assert.is_true(bl:check('fe80::1234', 'ipv6'))
    assert.is_true(bl:check('fd00::1', 'ipv6'))
    assert.is_false(bl:check('2001:db8::1', 'ipv6'))
    assert.are.equal(8, bl.size)
    assert.are.equal('Subnet: IPv6 fc00::/7', bl.rules[1])
  end)

  it('addCIDR detects the family and validates the prefix text', function()
    local bl = BlockList()
    bl:addCIDR('10.0.0.0/8')
    bl:addCIDR('2001:db8::/32')
    assert.are.same({ 'Subnet: IPv6 2001:db8::/32', 'Subnet: IPv4 10.0.0.0/8' }, bl.rules)
    raises(function() bl:addCIDR('10.0.0.0') end, 'ERR_INVALID_ARG_VALUE',
      [[The argument 'cidr' must contain a prefix length (e.g. "10.0.0.0/8"). Received '10.0.0.0']])
    for _, bad in ipairs({ '10.0.0.0/08', '10.0.0.0/', '10.0.0.0/+8', '10.0.0.0/8x', '10.0.0.0/-0' }) do
      raises(function() bl:addCIDR(bad) end, 'ERR_INVALID_ARG_VALUE',
        "The argument 'cidr' prefix length must be a valid integer. Received '" .. bad .. "'")
    end
    raises(function() bl:addCIDR('10.0.0.0/33') end, 'ERR_OUT_OF_RANGE')
    raises(function() bl:addCIDR('10.0.0.0/-1') end, 'ERR_OUT_OF_RANGE',
      'The value of "prefix" is out of range. It must be >= 0 && <= 32. Received -1')
    raises(function() bl:addCIDR(5) end, 'ERR_INVALID_ARG_TYPE',
      'The "cidr" argument must be of type string. Received type number (5)')
    assert.are.equal(2, bl.size)
  end)

  it('addCIDRs validates every entry before adding any', function()
    local bl = BlockList()
    raises(function() bl:addCIDRs({ '10.0.0.0/8', 'nope' }) end, 'ERR_INVALID_ARG_VALUE')
    raises(function() bl:addCIDRs({ '10.0.0.0/8', 5 }) end, 'ERR_INVALID_ARG_TYPE',
      'The "cidrs[2]" argument must be of type string. Received type number (5)')
    raises(function() bl:addCIDRs('10.0.0.0/8') end, 'ERR_INVALID_ARG_TYPE',
      [[The "cidrs" argument must be an instance of Array. Received type string ('10.0.0.0/8')]])
    assert.are.equal(0, bl.size)
  end)

  it('addAddresses adds all or nothing', function()
    local bl = BlockList()
    bl:addAddresses({ '1.2.3.4', SocketAddress({ address = '::1', family = 'ipv6' }), '5.6.7.8' })
    assert.are.same({ 'Address: IPv4 5.6.7.8', 'Address: IPv6 ::1', 'Address: IPv4 1.2.3.4' }, bl.rules)
    raises(function() bl:addAddresses({ '9.9.9.9', '1.2.3' }) end, 'ERR_INVALID_ADDRESS')
    raises(function() bl:addAddresses({ '9.9.9.9', false }) end, 'ERR_INVALID_ARG_TYPE',
      'The "addresses[2]" argument must be of type string. Received type boolean (false)')
    assert.is_false(bl:check('9.9.9.9'))
    bl:addAddresses({ 'fe80::1', 'fe80::2' }, 'ipv6')
    assert.is_true(bl:check('fe80::2', 'ipv6'))
    assert.are.equal(5, bl.size)
  end)

  it('remove* drop exactly the matching rules and ignore the rest', function()
    local bl = BlockList()
    bl:addAddress('1.2.3.4')
    bl:addRange('10.0.0.1', '10.0.0.10')
    bl:addSubnet('192.168.0.0', 16)
    bl:addCIDR('fe80::/10')
    bl:removeAddress('9.9.9.9')          -- absent: no-op
    bl:removeRange('10.0.0.1', '10.0.0.9') -- not the same range
    bl:removeSubnet('192.168.0.0', 24)
    assert.are.equal(4, bl.size)
    bl:removeAddress('1.2.3.4')
    assert.is_false(bl:check('1.2.3.4'))
    bl:removeRange('10.0.0.1', '10.0.0.10')
    assert.is_false(bl:check('10.0.0.5'))
    bl:removeSubnet('192.168.0.0', 16)
    assert.is_false(bl:check('192.168.1.1'))
    bl:removeCIDR('fe80::/10')
    assert.is_false(bl:check('fe80::1', 'ipv6'))
    assert.are.same({}, bl.rules)
    raises(function() bl:removeSubnet('1.2.3.4', 40) end, 'ERR_OUT_OF_RANGE')
  end)

  it('clear empties it', function()
    local bl = BlockList()
    bl:addSubnet('0.0.0.0', 0)
    assert.is_true(bl:check('8.8.8.8'))
    bl:clear()
    assert.are.equal(0, bl.size)
    assert.is_false(bl:check('8.8.8.8'))
    assert.are.same({}, bl.rules)
  end)

  it('toJSON returns the rules and fromJSON reads them back', function()
    local bl = BlockList()
    bl:addSubnet('192.168.1.0', 24)
    bl:addAddress('10.0.0.5')
    bl:addRange('192.168.2.1', '192.168.2.10')
    bl:addAddress('2001:db8::1', 'ipv6')
    bl:addSubnet('2001:db8:1234::', 48, 'ipv6')
    bl:addRange('2001:db8::1', '2001:db8::10', 'ipv6')
    assert.are.same(bl.rules, bl:toJSON())
    local copy = BlockList()
    copy:fromJSON(bl:toJSON())
    -- read oldest first, so the copy lists them the other way round
    local reversed = {}
    for i, r in ipairs(bl.rules) do reversed[#bl.rules + 1 - i] = r end
    assert.are.same(reversed, copy.rules)
  end)

  it('fromJSON takes JSON text and the documented example', function()
    local data = {
      'Subnet: IPv4 192.168.1.0/24',
      'Address: IPv4 10.0.0.5',
      'Range: IPv4 192.168.2.1-192.168.2.10',
      'Range: IPv4 10.0.0.1-10.0.0.10',
    }
    local bl = BlockList()
    bl:fromJSON(data)
    bl:fromJSON('["Subnet: IPv4 192.168.1.0/24", "Address: IPv6 2001:db8::1"]')
    assert.are.equal(6, bl.size)
    assert.is_true(bl:check('192.168.1.77'))
    assert.is_true(bl:check('10.0.0.7'))
    assert.is_true(bl:check('2001:db8::1', 'ipv6'))
  end)

  it("fromJSON reads rules with Node's unanchored patterns", function()
    local bl = BlockList()
    bl:fromJSON({ 'xx Subnet: IPv4 1.2.3.0/245 yy', 'Address: IPv4 1.2.3.2550',
      'subnet: ipv6 fe80::/10 IPv6', 'Address: IPv6 ::ffff:1.2.3.4', 'nothing here' })
    assert.are.same({
      'Address: IPv6 ::255.255.0.1',   -- the IPv6 pattern stops at the '.'
      'Subnet: IPv6 fe80::/10',
      'Address: IPv4 1.2.3.255',
      'Subnet: IPv4 1.2.3.0/24',
    }, bl.rules)
  end)

  it('fromJSON raises for anything but a string or a list of strings', function()
    local bl = BlockList()
    raises(function() bl:fromJSON(5) end, 'ERR_INVALID_ARG_TYPE',
      'The "data" argument must be of type string or string[]. Received type number (5)')
    raises(function() bl:fromJSON({ 'Address: IPv4 1.2.3.4', 5 }) end, 'ERR_INVALID_ARG_TYPE',
      'The "data" argument must be of type string or string[]. Received an instance of Array')
    raises(function() bl:fromJSON('{}') end, 'ERR_INVALID_ARG_TYPE',
      'The "data" argument must be of type string or string[]. Received an instance of Object')
    raises(function() bl:fromJSON('"x"') end, 'ERR_INVALID_ARG_TYPE',
      [[The "data" argument must be of type string or string[]. Received type string ('x')]])
    local ok, err = pcall(bl.fromJSON, bl, '[1,')
    assert.is_false(ok)
    assert.are.equal('SyntaxError', err.name)
    assert.are.equal('Unexpected end of JSON input', err.message)
    assert.are.equal(0, bl.size)
  end)
end)
