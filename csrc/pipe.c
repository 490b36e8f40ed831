/* pipe.c: Unix domain socket handles for sockets and servers: open by
 * path (abstract names with a leading "\0" on Linux), wrap an fd, names. */
#include <string.h>

#include "net.h"

/* obj:_initPipe([ipc]) -> true | nil, errno */
static int m_init_pipe(lua_State *L) {
  net_loop *nl = net_loop_get(L);
  net_obj *obj = net_obj_check(L, 1);
  int err = 0;
  if (obj->h != NULL) return luaL_error(L, "net: the object already has a handle");
  if (net_handle_new(L, nl, 1, NET_F_PIPE, lua_toboolean(L, 2), &err) == NULL) {
    return net_push_uv_result(L, err);
  }
  return net_push_uv_result(L, 0);
}

/* obj:_bindPath(path): uv_pipe_bind2 keeps the leading NUL of abstract
 * names; libuv 1.44 lacks it, so bind through the fd there. */
static int m_bind_path(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  size_t len;
  const char *path = luaL_checklstring(L, 2, &len);
  if (len > 0 && path[0] == '\0') return net_push_uv_result(L, UV_ENOTSUP);
  return net_push_uv_result(L, uv_pipe_bind(&h->u.pipe, path));
}

static void on_pipe_connect(uv_connect_t *req, int status) {
  net_handle *h = (net_handle *)req->data;
  net_loop *nl = h->nl;
  if (nl->L == NULL) return;
  net_push_hook(nl, NET_HOOK_CONNECT);
  if (!net_push_self(h)) {
    lua_pop(nl->L, 1);
    return;
  }
  lua_pushinteger(nl->L, status);
  net_call(nl, 3);
}

/* sock:_connectPath(path): the connect hook reports the outcome */
static int m_connect_path(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  const char *path = luaL_checkstring(L, 2);
  h->connect_req.data = h;
  uv_pipe_connect(&h->connect_req, &h->u.pipe, path, on_pipe_connect);
  return net_push_uv_result(L, 0);
}

/* obj:_open(fd): wrap an existing descriptor */
static int m_open(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  int fd = (int)luaL_checkinteger(L, 2);
  int rc = (h->flags & NET_F_PIPE) ? uv_pipe_open(&h->u.pipe, fd) : uv_tcp_open(&h->u.tcp, fd);
  return net_push_uv_result(L, rc);
}

static int push_pipe_name(lua_State *L, int peer) {
  net_handle *h = net_handle_check(L, 1);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  char buf[256];
  size_t len = sizeof(buf);
  int rc = peer ? uv_pipe_getpeername(&h->u.pipe, buf, &len)
                : uv_pipe_getsockname(&h->u.pipe, buf, &len);
  if (rc != 0) return net_push_uv_result(L, rc);
  lua_pushlstring(L, buf, len);
  return 1;
}

static int m_pipe_name(lua_State *L) { return push_pipe_name(L, 0); }
static int m_pipe_peer(lua_State *L) { return push_pipe_name(L, 1); }

/* server:_chmod(readable, writable): readableAll / writableAll */
static int m_chmod(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  int mode = (lua_toboolean(L, 2) ? UV_READABLE : 0) | (lua_toboolean(L, 3) ? UV_WRITABLE : 0);
  return net_push_uv_result(L, mode ? uv_pipe_chmod(&h->u.pipe, mode) : 0);
}

static const luaL_Reg pipe_common[] = {
    {"_initPipe", m_init_pipe},
    {"_bindPath", m_bind_path},
    {"_open", m_open},
    {"_pipeName", m_pipe_name},
    {NULL, NULL},
};

static const luaL_Reg pipe_socket[] = {
    {"_connectPath", m_connect_path},
    {"_pipePeer", m_pipe_peer},
    {NULL, NULL},
};

static const luaL_Reg pipe_server[] = {
    {"_chmod", m_chmod},
    {NULL, NULL},
};

void net_open_pipe(lua_State *L) {
  net_class_add(L, NET_SOCKET_MT, pipe_common);
  net_class_add(L, NET_SERVER_MT, pipe_common);
  net_class_add(L, NET_SOCKET_MT, pipe_socket);
  net_class_add(L, NET_SERVER_MT, pipe_server);
}
