---@meta _
-- LuaLS definitions for net.SocketAddress (docs/reference/socketaddress.md).

---@class net.SocketAddressOptions
---@field family? net.AddressFamily Default 'ipv4'.
---@field address? string Default '127.0.0.1' or '::'.
---@field port? integer|string Default 0.
---@field flowlabel? integer Default 0 (IPv6 only).

---An IP address, family, port and flow label (all read-only).
---@class net.SocketAddress
---@field address string
---@field family "ipv4"|"ipv6"
---@field port integer
---@field flowlabel integer
---@overload fun(options?: net.SocketAddressOptions): net.SocketAddress
local SocketAddress = {}

---@param options? net.SocketAddressOptions
---@return net.SocketAddress
function SocketAddress.new(options) end

---'1.2.3.4:80', '[::1]:8080', ... or nil.
---@param input string
---@return net.SocketAddress?
function SocketAddress.parse(input) end

---@param value any
---@return boolean
function SocketAddress.isSocketAddress(value) end

---@return { address: string, port: integer, family: string, flowlabel: integer }
function SocketAddress:toJSON() end
