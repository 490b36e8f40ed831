---@meta _
-- LuaLS definitions for net.BoundSocket (docs/reference/boundsocket.md).

---@class net.BoundSocketOptions
---@field host? string An IP literal (no lookup); default '0.0.0.0' ('::' with ipv6Only).
---@field port? integer|string Default 0: a free port.
---@field ipv6Only? boolean
---@field reusePort? boolean
---@field path? string A Unix domain socket path instead of host/port ('\0...': Linux abstract name).

---A socket bound at once (a bind failure raises), to be adopted by server:listen(bound),
---net.Socket({ handle = bound }) or net.connect({ handle = bound, ... }).
---@class net.BoundSocket
---@field prototype table The table of methods every instance finds (on the class).
---@field isPipe boolean True for a path bind (read-only).
---@overload fun(options?: net.BoundSocketOptions): net.BoundSocket
local BoundSocket = {}

---@param options? net.BoundSocketOptions
---@return net.BoundSocket
function BoundSocket.new(options) end

---The bound address (TCP) or path. Raises ERR_SOCKET_HANDLE_ADOPTED once adopted or closed.
---@return net.AddressInfo|string
function BoundSocket:address() end

---The file descriptor (still owned by the BoundSocket). Raises ERR_SOCKET_HANDLE_ADOPTED once adopted or closed.
---@return integer
function BoundSocket:fd() end

---Releases it and removes a path's socket file (only needed when never adopted; raises once adopted).
function BoundSocket:close() end
