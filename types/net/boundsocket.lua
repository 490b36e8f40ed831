---@meta _
-- LuaLS definitions for net.BoundSocket (docs/reference/boundsocket.md).

---@class net.BoundSocketOptions
---@field host? string An IP literal; default '0.0.0.0' ('::' with ipv6Only).
---@field port? integer Default 0: a free port.
---@field ipv6Only? boolean
---@field reusePort? boolean
---@field path? string A Unix domain socket path instead of host/port.

---A socket bound at once, to be adopted by server:listen() or a Socket's `handle`.
---@class net.BoundSocket
---@field prototype table The table of methods every instance finds (on the class).
---@field isPipe boolean True for a path bind.
---@overload fun(options?: net.BoundSocketOptions): net.BoundSocket
local BoundSocket = {}

---@param options? net.BoundSocketOptions
---@return net.BoundSocket
function BoundSocket.new(options) end

---The bound address (TCP) or path.
---@return net.AddressInfo|string
function BoundSocket:address() end

---The file descriptor (still owned by the BoundSocket).
---@return integer
function BoundSocket:fd() end

---Releases it (only needed when never adopted).
function BoundSocket:close() end
