-- net.BoundSocket: a socket bound while the constructor runs, to be handed
-- to server:listen(bound) or net.Socket({ handle = bound }) later: a port
-- (or a Unix socket path) reserved synchronously, or a chosen local
-- address for an outgoing connection.
--
-- Node v20 has no BoundSocket; this follows the newest Node documentation
-- (v26.7 / v24.20, with `path`) and Node's own tests for it. The socket is
-- made and bound in C (csrc/bound.c): a bare descriptor, nothing in the
-- loop, until an adopter takes it with BoundSocket.take(bound).
local core = require('net.core')
local errors = require('net.errors')
local address = require('net.address')
local js = address.js

local BoundSocket = {}
BoundSocket.__name = 'BoundSocket'

local methods = {}
BoundSocket.prototype = methods
-- Node's `isPipe` getter is on the prototype, and its presence there is the
-- documented probe for `path` support: `net.BoundSocket.prototype.isPipe
-- ~= nil`. An instance answers its own value (see meta.__index).
methods.isPipe = false

-- private keys of an instance
local FD = {}     -- the C object holding the descriptor (csrc/bound.c)
local PATH = {}   -- the bound path, for a pipe
local STATE = {}  -- 'open', 'closed' or 'adopted'

local meta = { __name = 'BoundSocket' }

local function isBoundSocket(v)
  return getmetatable(v) == meta
end

local function adoptedError()
  -- Node's code; the message is our wording (Node's text not confirmed)
  return errors.new('Error', 'ERR_SOCKET_HANDLE_ADOPTED',
    'BoundSocket handle has already been adopted')
end

-- The instance `self` while it still owns its socket. Node answers a closed
-- BoundSocket as an adopted one: its handle is gone either way.
local function owned(self)
  if not isBoundSocket(self) then errors.raise(js.invalidThis('BoundSocket'), 3) end
  if rawget(self, STATE) ~= 'open' then errors.raise(adoptedError(), 3) end
  return rawget(self, FD)
end

function meta.__index(self, key)
  if key == 'isPipe' then return rawget(self, PATH) ~= nil end
  return methods[key]
end

-- isPipe is a getter without a setter: assigning it changes nothing
function meta.__newindex(self, key, value)
  if key == 'isPipe' then return end
  rawset(self, key, value)
end

function meta.__tostring(self)
  local path = rawget(self, PATH)
  return string.format('BoundSocket { %s, %s }', path and ('path: ' .. js.quote(path)) or 'tcp',
    rawget(self, STATE))
end

-- Node's Symbol.dispose: close if neither adopted nor closed, else nothing
function meta.__close(self)
  if rawget(self, STATE) == 'open' then rawget(self, FD):close(); rawset(self, STATE, 'closed') end
end

local function validateBoolean(v, name)
  if v ~= nil and type(v) ~= 'boolean' then
    errors.raise(errors.invalidArgType(name, 'boolean', v), 4)
  end
  return v
end

-- new net.BoundSocket([options])
function BoundSocket.new(options)
  if options == nil then options = {} end
  if type(options) ~= 'table' then errors.raise(errors.invalidArgType('options', 'object', options)) end
  local path, host, port = options.path, options.host, options.port
  local ipv6Only, reusePort = options.ipv6Only, options.reusePort
  local fd, errno
  if path ~= nil then
    js.validateString(path, 'options.path')
    if host ~= nil or port ~= nil or ipv6Only ~= nil or reusePort ~= nil then
      errors.raise(errors.invalidArgValue('options', options,
        'can not specify path with host, port, ipv6Only or reusePort'))
    end
    if path:byte(1) == 0 and not core.boundAbstractNames then
      errors.raise(errors.invalidArgValue('options.path', path,
        'is an abstract socket name, which only Linux supports'))
    end
    fd, errno = core.boundPipe(path)
    if not fd then errors.raise(errors.uvWithMessage(errno, 'bind', path)) end
  else
    if host ~= nil then js.validateString(host, 'options.host') end
    validateBoolean(ipv6Only, 'options.ipv6Only')
    validateBoolean(reusePort, 'options.reusePort')
    port = js.validatePort(port == nil and 0 or port, 'options.port')
    if host == nil then host = ipv6Only and '::' or '0.0.0.0' end
    -- a numeric IP literal only: no name is ever looked up
    if address.isIP(host) == 0 then
      errors.raise(errors.invalidArgValue('options.host', host, 'must be a numeric IP address'))
    end
    fd, errno = core.boundTcp(host, port, ipv6Only, reusePort)
    if not fd then errors.raise(errors.uvWithMessage(errno, 'bind', host, port)) end
  end
  return setmetatable({ [FD] = fd, [PATH] = path, [STATE] = 'open' }, meta)
end

setmetatable(BoundSocket, {
  __call = function(_, options) return BoundSocket.new(options) end,
})

-- address(): { address, family, port } for TCP (the port the system chose
-- for port 0), the bound path for a pipe.
function methods:address()
  local fd = owned(self)
  local path = rawget(self, PATH)
  if path ~= nil then return path end
  local ip, family, port = fd:sockname()
  if not ip then errors.raise(errors.uv(family, 'getsockname'), 2) end
  return { address = ip, family = family, port = port }
end

-- fd(): the descriptor, still owned by the BoundSocket (do not close it)
function methods:fd()
  return owned(self):fd()
end

-- close(): releases the socket, and removes a pipe's file (an abstract
-- name has none). A second close() does nothing; after adoption it raises.
function methods:close()
  if not isBoundSocket(self) then errors.raise(js.invalidThis('BoundSocket'), 2) end
  local state = rawget(self, STATE)
  if state == 'adopted' then errors.raise(adoptedError(), 2) end
  if state == 'open' then
    rawget(self, FD):close()
    rawset(self, STATE, 'closed')
  end
end

-- The module: the class (net.BoundSocket) and what adopters use, kept
-- off the public class.
local M = { BoundSocket = BoundSocket, isBoundSocket = isBoundSocket }

-- --- for adopters (server.lua, socket.lua) ---------------------------------

-- take(bound) -> fd, 'tcp' | 'pipe', path: hands the socket over. The
-- BoundSocket is adopted from here (address, fd and close raise
-- ERR_SOCKET_HANDLE_ADOPTED); the caller owns the descriptor, and for a
-- pipe the file at `path` (unlink(path) once it closes). An
-- adopted or closed BoundSocket raises ERR_SOCKET_HANDLE_ADOPTED.
function M.take(bound)
  if not isBoundSocket(bound) then
    errors.raise(errors.invalidArgType('handle', 'an instance of net.BoundSocket', bound))
  end
  if rawget(bound, STATE) ~= 'open' then errors.raise(adoptedError()) end
  local fd, kind = rawget(bound, FD):take()
  rawset(bound, STATE, 'adopted')
  return fd, kind, rawget(bound, PATH)
end

-- Removes the file of a taken pipe's path once its adopter has closed it
-- (what libuv does for a pipe it bound itself); an abstract name has none.
function M.unlink(path)
  if type(path) == 'string' and path ~= '' and path:byte(1) ~= 0 then os.remove(path) end
end

-- For an adopter that took a socket and could not wrap it: closes the
-- descriptor and removes a pipe's file, as close() would have.
function M.release(fd, path)
  core.boundCloseFd(fd)
  M.unlink(path)
end

return M
