---@meta net
-- LuaLS type definitions for `require('net')`. A placeholder so that the
-- rock's install rule has something to carry; the full definitions of
-- net, Server, Socket, BlockList and SocketAddress replace it.

---@class net
local net = {}

return net
