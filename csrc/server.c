/* server.c: listening and accepting. Each accepted connection becomes a
 * Socket userdata with its handle already open, handed to the connection
 * hook; the Lua layer decides (maxConnections, pauseOnConnect, ...). */
#include "net.h"

static void on_connection(uv_stream_t *server, int status) {
  net_handle *h = (net_handle *)server->data;
  net_loop *nl = h->nl;
  lua_State *L = nl->L;
  int err = 0;
  if (L == NULL) return;
  net_push_hook(nl, NET_HOOK_CONNECTION);
  if (!net_push_self(h)) {
    lua_pop(L, 1);
    return;
  }
  if (status == 0) {
    net_handle *c;
    net_sock_new(L);
    int kind = (h->flags & NET_H_PIPE) ? NET_H_PIPE : NET_H_TCP;
    c = net_handle_new(L, nl, lua_gettop(L), kind, kind == NET_H_TCP ? AF_UNSPEC : 0, &err);
    if (c != NULL) {
      err = uv_accept(server, &c->u.stream);
      if (err != 0) net_handle_close(c);
    }
    if (err != 0) {
      lua_pop(L, 1);
      lua_pushnil(L);
    }
  } else {
    err = status;
    lua_pushnil(L);
  }
  lua_pushinteger(L, err);
  net_call(nl, 4);
}

/* server.listen(server, backlog) -> true | nil, errno */
static int l_listen(lua_State *L) {
  net_handle *h = net_handle_of(L, 1);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  int backlog = (int)luaL_optinteger(L, 2, NET_DEFAULT_BACKLOG);
  return net_push_uv_result(L, uv_listen(&h->u.stream, backlog, on_connection));
}

static const luaL_Reg server_funcs[] = {
    {"listen", l_listen},
    {NULL, NULL},
};

void net_open_server(lua_State *L) { net_internal(L, "server", server_funcs); }
