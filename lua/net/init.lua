-- require('net'): Node's net module for Lua 5.4. This file only assembles
-- the pieces; each feature lives in its own module under net/.
local core = require('net.core')
local errors = require('net.errors')
local EventEmitter = require('net.emitter')
local socket = require('net.socket')
local server = require('net.server')

local net = {}

-- One table of hooks for every event C reports (csrc/net.h lists them).
local hooks = {
  data = socket.hooks.data,
  readable = socket.hooks.readable,
  eof = socket.hooks.eof,
  readerror = socket.hooks.readerror,
  written = socket.hooks.written,
  connect = socket.hooks.connect,
  shutdown = socket.hooks.shutdown,
  timeout = socket.hooks.timeout,
  connection = server.hooks.connection,
  close = function(obj, st)
    if st._isServer then return server.onHandleClosed(obj, st) end
    return socket.hooks.close(obj, st)
  end,
}
core.setHooks(hooks)

-- A class table: callable, with .new, and the methods for reading.
local function class(new, methods)
  return setmetatable({ new = new, prototype = methods }, {
    __call = function(_, ...) return new(...) end,
    __index = methods,
  })
end

net.Socket = class(socket.new, socket.Socket)
net.Stream = net.Socket
net.Server = class(server.new, server.Server)
net.EventEmitter = EventEmitter
net.Error = errors.Error
net.timers = require('net.timers')
net.AbortController = require('net.abort').AbortController
net.AbortSignal = require('net.abort').AbortSignal

function net.createServer(options, listener)
  return server.new(options, listener)
end

function net.createConnection(...)
  local options, cb = socket.normalize(...)
  local sock = socket.new(options)
  if options.timeout then sock:setTimeout(options.timeout) end
  return sock:connect(options, cb)
end
net.connect = net.createConnection

-- net.run([mode]): run the loop ('default' until idle, 'once', 'nowait');
-- a mode of another type or name raises as Node's validateOneOf would.
local RUN_MODES = { default = true, once = true, nowait = true }
function net.run(mode)
  if mode ~= nil and not RUN_MODES[mode] then
    if type(mode) ~= 'string' then errors.raise(errors.invalidArgType('mode', 'string', mode), 2) end
    errors.raise(errors.invalidArgValue('mode', mode, "must be one of: 'default', 'once', 'nowait'"), 2)
  end
  return core.run(mode)
end

-- the address layer (isIP, BlockList, SocketAddress) when it is present
do
  local ok, address = pcall(require, 'net.address')
  if ok then
    net.isIP, net.isIPv4, net.isIPv6 = address.isIP, address.isIPv4, address.isIPv6
  end
  local okb, BlockList = pcall(require, 'net.blocklist')
  if okb then net.BlockList = BlockList end
  local oks, SocketAddress = pcall(require, 'net.socketaddress')
  if oks then net.SocketAddress = SocketAddress end
  local okbs, BoundSocket = pcall(require, 'net.boundsocket')
  if okbs then net.BoundSocket = BoundSocket.BoundSocket end
end

-- the Happy Eyeballs defaults live with the connect logic
local connect = require('net.connect')
net.getDefaultAutoSelectFamily = connect.getDefaultAutoSelectFamily
net.setDefaultAutoSelectFamily = connect.setDefaultAutoSelectFamily
net.getDefaultAutoSelectFamilyAttemptTimeout = connect.getDefaultAutoSelectFamilyAttemptTimeout
net.setDefaultAutoSelectFamilyAttemptTimeout = connect.setDefaultAutoSelectFamilyAttemptTimeout

-- net.promises, loaded when first asked for (require('net.promises') too)
setmetatable(net, {
  __index = function(t, k)
    if k == 'promises' then
      local promises = require('net.promises')
      rawset(t, k, promises)
      return promises
    end
  end,
})

return net
