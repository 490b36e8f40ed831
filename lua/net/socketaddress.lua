-- net.SocketAddress: an IP address, port, family and IPv6 flow label, with
-- Node's defaults, validation order, error codes and messages.
local core = require('net.core')
local errors = require('net.errors')
local js = require('net.address').js

local SocketAddress = {}
SocketAddress.__name = 'SocketAddress'

-- The fields live in a table under a private key, so that they read like
-- Node's getters and cannot be overwritten by accident.
local DATA = {}
local GETTERS = { address = true, family = true, port = true, flowlabel = true }

function SocketAddress.__index(self, key)
  if GETTERS[key] then return rawget(self, DATA)[key] end
  return SocketAddress[key]
end

function SocketAddress.__newindex(self, key, value)
  if GETTERS[key] then errors.raise(js.readOnly(key, 'SocketAddress'), 2) end
  rawset(self, key, value)
end

local function make(family, bytes, text, port, flowlabel)
  return setmetatable({
    [DATA] = {
      address = text,
      family = family == 4 and 'ipv4' or 'ipv6',
      port = port,
      flowlabel = flowlabel,
      bytes = bytes,
    },
  }, SocketAddress)
end

-- The largest IPv6 flow label (20 bits).
local LABEL_MASK = 0xfffff

-- new SocketAddress([options]): family 'ipv4' (any case) or 'ipv6';
-- address defaults to '127.0.0.1' or '::' (chosen from the family as given,
-- before it is lower-cased, as Node does); port 0..65535; flowlabel, used
-- for IPv6 only.
function SocketAddress.new(options)
  if options == nil then options = {} end
  if type(options) ~= 'table' then
    errors.raise(js.invalidArgType('options', 'of type object', options), 2)
  end
  local family = options.family
  if family == nil then family = 'ipv4' end
  local address = options.address
  if address == nil then address = family == 'ipv4' and '127.0.0.1' or '::' end
  local port = options.port
  if port == nil then port = 0 end
  local flowlabel = options.flowlabel
  if flowlabel == nil then flowlabel = 0 end

  if type(family) == 'string' then family = family:lower() end
  local af = family == 'ipv4' and 4 or family == 'ipv6' and 6
  if not af then errors.raise(js.invalidArgValue('options.family', options.family), 2) end
  js.validateString(address, 'options.address')
  port = js.validatePort(port, 'options.port')
  flowlabel = js.validateUint32(flowlabel, 'options.flowlabel')

  local bytes, text = core.addr_parse(address, af)
  if not bytes then
    errors.raise(errors.new('Error', 'ERR_INVALID_ADDRESS', 'Invalid socket address'), 2)
  end
  if af == 4 then
    flowlabel = 0 -- an IPv4 address has none; Node ignores the option
  elseif flowlabel > LABEL_MASK then
    -- Node v20 aborts the process here (a failed CHECK); a catchable
    -- range error is the useful equivalent.
    errors.raise(js.outOfRange('options.flowlabel', '>= 0 && <= ' .. LABEL_MASK, flowlabel), 2)
  end
  return make(af, bytes, text, port, flowlabel)
end

setmetatable(SocketAddress, {
  __call = function(_, ...) return SocketAddress.new(...) end,
})

function SocketAddress.isSocketAddress(value)
  return getmetatable(value) == SocketAddress
end

-- SocketAddress.parse('1.2.3.4:80' | '[::1]:80' | ...): a SocketAddress,
-- or nil when the input is no IP address and port. The host is read as a
-- browser reads the host of http://<input> (so '127.1' is 127.0.0.1).
function SocketAddress.parse(input)
  js.validateString(input, 'input')
  local family, bytes, text, port = core.addr_parse_hostport(input)
  if not family then return nil end
  return make(family, bytes, text, port, 0)
end

function SocketAddress:toJSON()
  local d = rawget(self, DATA)
  return { address = d.address, port = d.port, family = d.family, flowlabel = d.flowlabel }
end

-- As util.inspect shows it: on one line when it fits in 80 columns.
function SocketAddress:__tostring()
  local d = rawget(self, DATA)
  local entries = {
    'address: ' .. js.inspect(d.address),
    'port: ' .. js.inspect(d.port),
    'family: ' .. js.inspect(d.family),
    'flowlabel: ' .. js.inspect(d.flowlabel),
  }
  -- util's isBelowBreakLength: the entries, one column each for their
  -- count and 15 for the braces and margins
  local total = #entries + 15
  for _, e in ipairs(entries) do total = total + #e end
  if total <= 80 then
    return 'SocketAddress { ' .. table.concat(entries, ', ') .. ' }'
  end
  return 'SocketAddress {\n  ' .. table.concat(entries, ',\n  ') .. '\n}'
end

-- For blocklist.lua: the address as core.blocklist_* takes it.
function SocketAddress._bytes(sa)
  return rawget(sa, DATA).bytes
end

return SocketAddress
