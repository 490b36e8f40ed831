rockspec_format = "3.0"
package = "net"
version = "scm-1"
source = {
  url = "git+https://github.com/lua-net/net.git",
}
description = {
  summary = "The Node.js net module for Lua 5.4, on libuv",
  detailed = [[
    createServer, connect, Server, Socket, BlockList, SocketAddress and isIP
    with Node's events, options, defaults, error codes and event order, for
    TCP and Unix domain sockets, driven by libuv's default loop (so it runs
    beside luv). Carries LuaLS type definitions in share/lua/5.4/net/types/.
  ]],
  homepage = "https://github.com/lua-net/net",
  license = "MIT",
  maintainer = "The net for Lua authors",
  labels = { "networking", "libuv", "node", "tcp" },
}
dependencies = {
  "lua >= 5.4, < 5.5",
}
external_dependencies = {
  LIBUV = { header = "uv.h" },
}
build = {
  type = "cmake",
  -- CMake compiles the C core into build.luarocks/net/core.so (warnings are
  -- not errors here: NET_WERROR stays off outside the project's own builds).
  variables = {
    CMAKE_BUILD_TYPE = "Release",
    LUA_INCDIR = "$(LUA_INCDIR)",
  },
  -- LuaRocks, not `cmake --install`, puts the files in place. LuaRocks
  -- (3.8 in Debian 12, and still upstream) fixes $(PREFIX), $(LUADIR) and
  -- $(LIBDIR) when it reads the rockspec, before `make --pack-binary-rock`
  -- switches to its temporary tree: CMake's install rules would then write
  -- into the default tree and pack an empty rock. The lists below are
  -- resolved against the tree in use. They must name every file of lua/net/
  -- and types/: tools/ci-rock.sh fails when one is missing. CMakeLists.txt
  -- installs the same files to the same places for a plain CMake install.
  install_pass = false,
  install = {
    lib = {
      ["net.core"] = "build.luarocks/net/core.so",
    },
    lua = {
      ["net.abort"]         = "lua/net/abort.lua",
      ["net.address"]       = "lua/net/address.lua",
      ["net.blocklist"]     = "lua/net/blocklist.lua",
      ["net.boundsocket"]   = "lua/net/boundsocket.lua",
      ["net.connect"]       = "lua/net/connect.lua",
      ["net.destroy"]       = "lua/net/destroy.lua",
      ["net.emitter"]       = "lua/net/emitter.lua",
      ["net.encoding"]      = "lua/net/encoding.lua",
      ["net.errors"]        = "lua/net/errors.lua",
      ["net.init"]          = "lua/net/init.lua",
      ["net.inspect"]       = "lua/net/inspect.lua",
      ["net.pipe"]          = "lua/net/pipe.lua",
      ["net.promises"]      = "lua/net/promises.lua",
      ["net.readable"]      = "lua/net/readable.lua",
      ["net.server"]        = "lua/net/server.lua",
      ["net.socket"]        = "lua/net/socket.lua",
      ["net.socketaddress"] = "lua/net/socketaddress.lua",
      ["net.sockstate"]     = "lua/net/sockstate.lua",
      ["net.timers"]        = "lua/net/timers.lua",
      ["net.validate"]      = "lua/net/validate.lua",
      ["net.writable"]      = "lua/net/writable.lua",
      -- LuaLS definitions (---@meta) go to <tree>/share/lua/5.4/net/types/,
      -- a path that stays the same across releases (see CMakeLists.txt)
      ["net.types.net.abort"]         = "types/net/abort.lua",
      ["net.types.net.blocklist"]     = "types/net/blocklist.lua",
      ["net.types.net.boundsocket"]   = "types/net/boundsocket.lua",
      ["net.types.net.emitter"]       = "types/net/emitter.lua",
      ["net.types.net.errors"]        = "types/net/errors.lua",
      ["net.types.net.init"]          = "types/net/init.lua",
      ["net.types.net.promises"]      = "types/net/promises.lua",
      ["net.types.net.server"]        = "types/net/server.lua",
      ["net.types.net.socket"]        = "types/net/socket.lua",
      ["net.types.net.socketaddress"] = "types/net/socketaddress.lua",
      ["net.types.net.timers"]        = "types/net/timers.lua",
    },
  },
}
