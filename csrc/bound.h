/* bound.h: net.BoundSocket's C half (bound.c). Its own header, so that
 * adding it touches nothing the other C files share. */
#ifndef NET_BOUND_H
#define NET_BOUND_H

#include <lua.h>

/* adds core.boundTcp, core.boundPipe, core.boundCloseFd and
 * core.boundAbstractNames to the table on top of the stack */
void net_open_bound(lua_State *L);

#endif
