/* addresses.c: the Lua face of the address parsers (core.addr_*).
 * lua/net/address.lua and socketaddress.lua build Node's API on these. An
 * address travels between Lua and C as its raw bytes in a Lua string: 4 for
 * IPv4, 16 for IPv6, so no text is parsed twice. */
#include <string.h>

#include "addresses.h"
#include "net.h"

void addr_check_bin(lua_State *L, int idx, addr_ip *out) {
  size_t len;
  const char *s = luaL_checklstring(L, idx, &len);
  if (len != 4 && len != 16) luaL_argerror(L, idx, "not a 4- or 16-byte address");
  memset(out->bytes, 0, sizeof out->bytes);
  memcpy(out->bytes, s, len);
  out->family = len == 4 ? 4 : 6;
}

static void push_ip(lua_State *L, const addr_ip *ip) {
  char text[ADDR_STRLEN];
  lua_pushlstring(L, (const char *)ip->bytes, ip->family == 4 ? 4 : 16);
  lua_pushlstring(L, text, addr_format(ip, text));
}

/* core.addr_isip(v) -> 0, 4 or 6. Anything but a string is 0, as in Node
 * (no number or table can read as an address). */
static int l_isip(lua_State *L) {
  size_t len;
  const char *s;
  if (lua_type(L, 1) != LUA_TSTRING) {
    lua_pushinteger(L, 0);
    return 1;
  }
  s = lua_tolstring(L, 1, &len);
  lua_pushinteger(L, addr_isip(s, len));
  return 1;
}

/* core.addr_parse(s, family) -> bytes, text | nil. family is 4 or 6. */
static int l_parse(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  lua_Integer family = luaL_checkinteger(L, 2);
  addr_ip ip;
  luaL_argcheck(L, family == 4 || family == 6, 2, "family must be 4 or 6");
  if (addr_parse((int)family, s, len, &ip) != 0) {
    lua_pushnil(L);
    return 1;
  }
  push_ip(L, &ip);
  return 2;
}

/* core.addr_format(bytes) -> text */
static int l_format(lua_State *L) {
  addr_ip ip;
  char text[ADDR_STRLEN];
  addr_check_bin(L, 1, &ip);
  lua_pushlstring(L, text, addr_format(&ip, text));
  return 1;
}

/* core.addr_parse_hostport(s) -> family, bytes, text, port | nil */
static int l_parse_hostport(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  addr_ip ip;
  int port;
  if (addr_parse_hostport(s, len, &ip, &port) != 0) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushinteger(L, ip.family);
  push_ip(L, &ip);
  lua_pushinteger(L, port);
  return 4;
}

void net_open_addresses(lua_State *L) {
  static const luaL_Reg funcs[] = {
    {"addr_isip", l_isip},
    {"addr_parse", l_parse},
    {"addr_format", l_format},
    {"addr_parse_hostport", l_parse_hostport},
    {NULL, NULL},
  };
  luaL_setfuncs(L, funcs, 0);
  net_open_blocklist(L);
}
