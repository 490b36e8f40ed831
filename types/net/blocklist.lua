---@meta _
-- LuaLS definitions for net.BlockList (docs/reference/blocklist.md).

---@alias net.AddressFamily
---| '"ipv4"'
---| '"ipv6"'
---| '"IPv4"'
---| '"IPv6"'

---Rules that block IP addresses, ranges and subnets.
---@class net.BlockList
---@field rules string[] The rules, most recent first (read-only).
---@field size integer The number of rules (read-only).
---@field PRIVATE_RANGES string[] Private, loopback, link-local and unique-local CIDRs (read-only).
---@overload fun(): net.BlockList
local BlockList = {}

---@return net.BlockList
function BlockList.new() end

---@param value any
---@return boolean
function BlockList.isBlockList(value) end

---@param address string|net.SocketAddress
---@param family? net.AddressFamily Default 'ipv4'.
function BlockList:addAddress(address, family) end

---@param addresses (string|net.SocketAddress)[]
---@param family? net.AddressFamily
function BlockList:addAddresses(addresses, family) end

---@param start string|net.SocketAddress
---@param end_ string|net.SocketAddress
---@param family? net.AddressFamily
function BlockList:addRange(start, end_, family) end

---@param network string|net.SocketAddress
---@param prefix integer
---@param family? net.AddressFamily
function BlockList:addSubnet(network, prefix, family) end

---@param cidr string 'address/prefix'
function BlockList:addCIDR(cidr) end

---@param cidrs string[]
function BlockList:addCIDRs(cidrs) end

---@param address string|net.SocketAddress
---@param family? net.AddressFamily
function BlockList:removeAddress(address, family) end

---@param start string|net.SocketAddress
---@param end_ string|net.SocketAddress
---@param family? net.AddressFamily
function BlockList:removeRange(start, end_, family) end

---@param network string|net.SocketAddress
---@param prefix integer
---@param family? net.AddressFamily
function BlockList:removeSubnet(network, prefix, family) end

---@param cidr string
function BlockList:removeCIDR(cidr) end

---Removes every rule.
function BlockList:clear() end

---True if a rule blocks the address.
---@param address string|net.SocketAddress
---@param family? net.AddressFamily|string Default 'ipv4'.
---@return boolean
function BlockList:check(address, family) end

---The rules, as `rules`.
---@return string[]
function BlockList:toJSON() end

---Adds the rules of a `rules`/`toJSON()` list, or of its JSON text.
---@param value string|string[]
function BlockList:fromJSON(value) end
