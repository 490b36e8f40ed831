/*
 * lua-sym: `lua5.4 SCRIPT ARGS...` for profiling. Debian's lua5.4 binary is
 * stripped, so perf cannot name the VM's internal functions (luaV_execute,
 * the GC's steps, table lookups); its static library liblua5.4.a (the same
 * Lua 5.4 source and package) keeps their symbols. This links it, and
 * libuv's static library likewise, whole and exported (-Wl,-E), so that
 * net/core.so binds to these copies (the executable comes first in symbol
 * lookup) and every sample of the VM and of libuv gets a name. Built by
 * bench/build-lua-sym.sh (for bench/profile-conn.sh and
 * bench/count-instructions.sh):
 *
 *   gcc -O2 $(pkg-config --cflags lua5.4) bench/lua-sym.c -o bench/bin/lua-sym -Wl,-E \
 *       -Wl,--whole-archive liblua5.4.a libuv_a.a -Wl,--no-whole-archive -lm -ldl -lpthread
 *
 * Only what the bench scripts need: `arg` as lua.c sets it, the script run
 * with a traceback on error, exit status 1 on error.
 */
#include <stdio.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  luaL_traceback(L, L, msg != NULL ? msg : "(error object is not a string)", 1);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: lua-sym SCRIPT [ARGS...]\n");
    return 2;
  }
  lua_State *L = luaL_newstate();
  if (L == NULL) {
    fprintf(stderr, "lua-sym: out of memory\n");
    return 1;
  }
  luaL_openlibs(L);
  /* arg[0] = the script, arg[1..] = its arguments, arg[-1] = this program */
  lua_createtable(L, argc, 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - 1);
  }
  lua_setglobal(L, "arg");
  lua_pushcfunction(L, traceback);
  int status = luaL_loadfile(L, argv[1]);
  if (status == LUA_OK)
    status = lua_pcall(L, 0, 0, 1);
  if (status != LUA_OK)
    fprintf(stderr, "lua-sym: %s\n", lua_tostring(L, -1));
  lua_close(L);
  return status == LUA_OK ? 0 : 1;
}
