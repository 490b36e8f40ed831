/* server.c: listening and accepting. Each accepted connection becomes a
 * Socket userdata with its handle already open, handed to the connection
 * hook; the Lua layer decides (maxConnections, pauseOnConnect, ...). */
#include <stdlib.h>

#include "net.h"

typedef union {
  uv_handle_t handle;
  uv_stream_t stream;
  uv_tcp_t tcp;
  uv_pipe_t pipe;
} net_refused;

static void free_refused(uv_handle_t *handle) { free(handle); }

/* A connection no Lua call will take (an error is on its way out of
 * net.run, which drops the calls of this loop pass): accept it and close
 * it at once, so no Socket is made that nothing would ever close. */
static void refuse_connection(uv_stream_t *server, int is_pipe) {
  net_refused *c = (net_refused *)malloc(sizeof(*c));
  int rc;
  /* out of memory: the connection stays queued in libuv, which stops
   * accepting on this server until it is closed */
  if (c == NULL) return;
  rc = is_pipe ? uv_pipe_init(server->loop, &c->pipe, 0) : uv_tcp_init(server->loop, &c->tcp);
  if (rc != 0) {
    free(c);
    return;
  }
  /* accepted or not, the handle is closed: a failed accept leaves
   * nothing open */
  (void)uv_accept(server, &c->stream);
  uv_close(&c->handle, free_refused);
}

static void on_connection(uv_stream_t *server, int status) {
  net_handle *h = (net_handle *)server->data;
  net_loop *nl = h->nl;
  lua_State *L = nl->L;
  int err = 0;
  if (L == NULL) return;
  if (!net_loop_takes_calls(nl) || nl->hook_refs[NET_HOOK_CONNECTION] == LUA_NOREF) {
    if (status == 0) refuse_connection(server, (h->flags & NET_H_PIPE) != 0);
    return;
  }
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
