/* dns.c: name lookups through libuv's getaddrinfo (a thread-pool
 * request); the answer goes to a Lua callback as a list of addresses. */
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

/* Lookups in flight are listed on the loop binding (nl->lookups), so that
 * lua_close can cancel those not yet started and the binding is freed only
 * after the last one has come back. */
typedef struct net_lookup {
  uv_getaddrinfo_t req;
  net_loop *nl;
  int cb_ref;
  struct net_lookup *prev, *next;
} net_lookup;

static void lookup_unlink(net_lookup *lk) {
  net_loop *nl = lk->nl;
  if (lk->prev != NULL) {
    lk->prev->next = lk->next;
  } else {
    nl->lookups = lk->next;
  }
  if (lk->next != NULL) lk->next->prev = lk->prev;
  nl->lookups_len--;
}

/* cb(errno|nil, { {address=, family=4|6}, ... }). Once the Lua state is
 * closing (nl->L is NULL) the answer goes nowhere: no call into Lua. */
static void on_lookup(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  net_lookup *lk = (net_lookup *)req->data;
  net_loop *nl = lk->nl;
  lua_State *L = nl->L;
  lookup_unlink(lk);
  if (L != NULL) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, lk->cb_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, lk->cb_ref);
    if (status != 0) {
      lua_pushinteger(L, status);
      lua_pushnil(L);
    } else {
      lua_pushnil(L);
      lua_newtable(L);
      int n = 0;
      for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        char ip[INET6_ADDRSTRLEN];
        int family;
        if (ai->ai_family == AF_INET) {
          if (uv_ip4_name((struct sockaddr_in *)ai->ai_addr, ip, sizeof(ip)) != 0) continue;
          family = 4;
        } else if (ai->ai_family == AF_INET6) {
          if (uv_ip6_name((struct sockaddr_in6 *)ai->ai_addr, ip, sizeof(ip)) != 0) continue;
          family = 6;
        } else {
          continue;
        }
        lua_createtable(L, 0, 2);
        lua_pushstring(L, ip);
        lua_setfield(L, -2, "address");
        lua_pushinteger(L, family);
        lua_setfield(L, -2, "family");
        lua_rawseti(L, -2, ++n);
      }
    }
    net_call(nl, 2);
  }
  uv_freeaddrinfo(res);
  free(lk);
  net_loop_settle(nl);
}

/* lua_close: lookups still queued for the thread pool are cancelled (their
 * callbacks then come with UV_EAI_CANCELED); those already resolving
 * finish in their thread. */
void net_dns_cancel_all(net_loop *nl) {
  for (net_lookup *lk = (net_lookup *)nl->lookups; lk != NULL; lk = lk->next) {
    /* UV_EBUSY: already resolving; its callback comes when it is done */
    (void)uv_cancel((uv_req_t *)&lk->req);
  }
}

/* core.getaddrinfo(host, family(0|4|6), hints, cb) -> true | nil, errno */
static int l_getaddrinfo(lua_State *L) {
  net_loop *nl = net_loop_get(L);
  const char *host = luaL_checkstring(L, 1);
  lua_Integer family = luaL_optinteger(L, 2, 0);
  lua_Integer flags = luaL_optinteger(L, 3, 0);
  luaL_checktype(L, 4, LUA_TFUNCTION);
  struct addrinfo hints;
  net_lookup *lk = (net_lookup *)malloc(sizeof(net_lookup));
  if (lk == NULL) return net_push_uv_result(L, UV_ENOMEM);
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = (int)flags;
  lk->nl = nl;
  lk->req.data = lk;
  lua_pushvalue(L, 4);
  lk->cb_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  int rc = uv_getaddrinfo(nl->loop, &lk->req, on_lookup, host, NULL, &hints);
  if (rc != 0) {
    luaL_unref(L, LUA_REGISTRYINDEX, lk->cb_ref);
    free(lk);
  } else {
    lk->prev = NULL;
    lk->next = (net_lookup *)nl->lookups;
    if (lk->next != NULL) lk->next->prev = lk;
    nl->lookups = lk;
    nl->lookups_len++;
  }
  return net_push_uv_result(L, rc);
}

static const luaL_Reg dns_funcs[] = {
    {"getaddrinfo", l_getaddrinfo},
    {NULL, NULL},
};

void net_open_dns(lua_State *L) {
  net_setfuncs(L, dns_funcs);
  lua_pushinteger(L, AI_ADDRCONFIG);
  lua_setfield(L, -2, "AI_ADDRCONFIG");
  lua_pushinteger(L, AI_V4MAPPED);
  lua_setfield(L, -2, "AI_V4MAPPED");
  lua_pushinteger(L, AI_ALL);
  lua_setfield(L, -2, "AI_ALL");
}
