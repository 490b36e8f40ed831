/* errors.c: libuv status codes to Node's error names and messages. */
#include "net.h"

/* true, or nil and the status: how C methods report a libuv failure to
 * the Lua layer, which turns it into a Node-shaped error value. */
int net_push_uv_result(lua_State *L, int status) {
  if (status == 0) {
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushnil(L);
  lua_pushinteger(L, status);
  return 2;
}

/* core.errname(errno) -> 'ECONNREFUSED' (Node's `code`) */
static int l_errname(lua_State *L) {
  int err = (int)luaL_checkinteger(L, 1);
  lua_pushstring(L, uv_err_name(err));
  return 1;
}

/* core.strerror(errno) -> 'connection refused' */
static int l_strerror(lua_State *L) {
  int err = (int)luaL_checkinteger(L, 1);
  lua_pushstring(L, uv_strerror(err));
  return 1;
}

/* core.errno.ECONNREFUSED == -111, for the Lua layer's comparisons */
static void push_errno_table(lua_State *L) {
  lua_newtable(L);
#define NET_ERRNO_FIELD(name, msg) \
  lua_pushinteger(L, UV_##name);   \
  lua_setfield(L, -2, #name);
  UV_ERRNO_MAP(NET_ERRNO_FIELD)
#undef NET_ERRNO_FIELD
}

static const luaL_Reg error_funcs[] = {
    {"errname", l_errname},
    {"strerror", l_strerror},
    {NULL, NULL},
};

void net_open_errors(lua_State *L) {
  luaL_setfuncs(L, error_funcs, 0);
  push_errno_table(L);
  lua_setfield(L, -2, "errno");
}
