/* core.c: `require('net.core')`, the C half of the module. Each file adds
 * its part to the table; lua/net/ builds Node's API on top of it. */
#include <signal.h>

#include "bound.h"
#include "net.h"

#if defined(__GNUC__)
#define NET_EXPORT __attribute__((visibility("default")))
#else
#define NET_EXPORT
#endif

NET_EXPORT int luaopen_net_core(lua_State *L);

int luaopen_net_core(lua_State *L) {
  luaL_checkversion(L);
  /* One core per Lua state, however often it is required (busted's
   * insulation reloads modules between spec files): a second loop binding
   * would compete with the first for the same libuv loop. */
  if (lua_getfield(L, LUA_REGISTRYINDEX, "net.core") == LUA_TTABLE) return 1;
  lua_pop(L, 1);
  /* As Node does at start-up: a write to a peer that has gone must be an
   * EPIPE error on that socket, not a SIGPIPE that kills the process. */
  signal(SIGPIPE, SIG_IGN);
  lua_newtable(L);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, "net.core");
  net_open_loop(L);
  net_open_errors(L);
  net_open_classes(L);
  net_open_stream(L);
  net_open_framing(L);
  net_open_tcp(L);
  net_open_pipe(L);
  net_open_server(L);
  net_open_timer(L);
  net_open_dns(L);
  net_open_addresses(L);
  net_open_bound(L);
  lua_pushstring(L, uv_version_string());
  lua_setfield(L, -2, "uvVersion");
  return 1;
}
