rockspec_format = "3.0"
package = "net"
version = "scm-1"
source = {
  url = "git+file://.",
}
description = {
  summary = "The Node.js net module for Lua 5.4, on libuv",
  detailed = [[
    createServer, connect, Server, Socket, BlockList, SocketAddress and isIP
    with Node's events, options, defaults, error codes and event order, for
    TCP and Unix domain sockets, driven by libuv's default loop.
  ]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.4, < 5.5",
}
external_dependencies = {
  LIBUV = { header = "uv.h" },
}
build = {
  type = "cmake",
  variables = {
    CMAKE_BUILD_TYPE = "Release",
    CMAKE_INSTALL_PREFIX = "$(PREFIX)",
    LUA_INCDIR = "$(LUA_INCDIR)",
    LUADIR = "$(LUADIR)",
    LIBDIR = "$(LIBDIR)",
  },
}
