/* Placeholder until the address layer lands: see net.h. */
#include "net.h"

void net_open_addresses(lua_State *L) { (void)L; }
