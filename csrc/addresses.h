/* addresses.h: what the address layer's C files share besides the parsers
 * (addr_parse.h). net_open_addresses itself is declared in net.h. */
#ifndef NET_ADDRESSES_H
#define NET_ADDRESSES_H

#include <lauxlib.h>
#include <lua.h>

#include "addr_parse.h"

/* blocklist.c: adds core.blocklist_* to the table on top of the stack. */
void net_open_blocklist(lua_State *L);

/* addresses.c: reads an address given to C as Node's SocketAddress handle
 * would hold it, a 4- or 16-byte string of network-order bytes (what
 * core.addr_parse returns). Raises a Lua error for anything else. */
void addr_check_bin(lua_State *L, int idx, addr_ip *out);

#endif
