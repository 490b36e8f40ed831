/* pipe.c: Unix domain socket handles for sockets and servers: open by
 * path (abstract names with a leading "\0" on Linux), wrap an fd, names. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "net.h"

/* Fill a sockaddr_un. A name longer than sun_path is EINVAL, as newest
 * Node has it (libuv's UV_PIPE_NO_TRUNCATE) where libuv 1.44 truncates. */
static int to_sockaddr_un(const char *path, size_t len, struct sockaddr_un *sa, socklen_t *salen) {
  memset(sa, 0, sizeof(*sa));
  sa->sun_family = AF_UNIX;
  if (len >= sizeof(sa->sun_path) + (path[0] == '\0' ? 1 : 0)) return UV_EINVAL;
  memcpy(sa->sun_path, path, len);
  *salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '\0' ? 0 : 1));
  return 0;
}

/* A non-blocking, close-on-exec Unix stream socket. */
static int unix_socket(void) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return fd < 0 ? uv_translate_sys_error(errno) : fd;
}


/* obj:_initPipe([ipc]) -> true | nil, errno */
static int m_init_pipe(lua_State *L) {
  net_loop *nl = net_loop_get(L);
  net_obj *obj = net_obj_check(L, 1);
  int err = 0;
  /* a handle still closing (listen again after an error) is let go */
  if (obj->h != NULL && !(obj->h->flags & NET_F_CLOSING)) {
    return luaL_error(L, "net: the object already has a handle");
  }
  if (net_handle_new(L, nl, 1, NET_F_PIPE, lua_toboolean(L, 2), &err) == NULL) {
    return net_push_uv_result(L, err);
  }
  return net_push_uv_result(L, 0);
}

/* obj:_bindPath(path): libuv 1.44 cannot bind abstract names (a leading
 * NUL) nor report a too-long path, so the socket is made and bound here
 * and handed to libuv with uv_pipe_open. Binding a path that names an
 * existing file fails with EADDRINUSE, as in Node. */
static int m_bind_path(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  size_t len;
  const char *path = luaL_checklstring(L, 2, &len);
  struct sockaddr_un sa;
  socklen_t salen;
  int rc, fd;
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  rc = to_sockaddr_un(path, len, &sa, &salen);
  if (rc != 0) return net_push_uv_result(L, rc);
  if (path[0] != '\0') {
    /* a file path: libuv binds it and unlinks it when the handle closes */
    return net_push_uv_result(L, uv_pipe_bind(&h->u.pipe, path));
  }
  fd = unix_socket();
  if (fd < 0) return net_push_uv_result(L, fd);
  if (bind(fd, (struct sockaddr *)&sa, salen) != 0) {
    rc = uv_translate_sys_error(errno);
    close(fd);
    return net_push_uv_result(L, rc);
  }
  rc = uv_pipe_open(&h->u.pipe, fd);
  if (rc != 0) close(fd);
  return net_push_uv_result(L, rc);
}

/* sock:_connectPath(path): the connect hook reports the outcome */
static int m_connect_path(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  size_t len;
  const char *path = luaL_checklstring(L, 2, &len);
  struct sockaddr_un sa;
  socklen_t salen;
  int rc, fd;
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  rc = to_sockaddr_un(path, len, &sa, &salen);
  if (rc != 0) return net_push_uv_result(L, rc);
  if (path[0] != '\0') {
    h->connect_req.data = h;
    uv_pipe_connect(&h->connect_req, &h->u.pipe, path, net_on_connect);
    return net_push_uv_result(L, 0);
  }
  /* abstract name: a Unix connect completes (or fails) at once */
  fd = unix_socket();
  if (fd < 0) return net_push_uv_result(L, fd);
  if (connect(fd, (struct sockaddr *)&sa, salen) != 0) {
    rc = uv_translate_sys_error(errno);
    close(fd);
    /* reported from the tick queue: never inside the call */
    net_report_status(h, NET_HOOK_CONNECT, rc, 1);
    return net_push_uv_result(L, 0);
  }
  rc = uv_pipe_open(&h->u.pipe, fd);
  if (rc != 0) close(fd);
  net_report_status(h, NET_HOOK_CONNECT, rc, 1);
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
    {NULL, NULL},
};

static const luaL_Reg pipe_socket[] = {
    {"_connectPath", m_connect_path},
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
