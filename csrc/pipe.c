/* pipe.c: Unix domain socket handles for sockets and servers: open by
 * path (abstract names with a leading "\0" on Linux), wrap an fd, names. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
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

#if UV_VERSION_HEX < 0x012e00
/* A non-blocking, close-on-exec Unix stream socket. */
static int unix_socket(void) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return fd < 0 ? uv_translate_sys_error(errno) : fd;
}
#endif


/* pipe.init(obj[, ipc]) -> true | nil, errno (an open handle: EBUSY) */
static int l_init(lua_State *L) {
  net_loop *nl = net_loop_get(L);
  net_obj *obj = net_obj_check(L, 1);
  int err = 0;
  if (obj->h != NULL && !(obj->h->flags & NET_H_CLOSING)) return net_push_uv_result(L, UV_EBUSY);
  if (net_handle_new(L, nl, 1, NET_H_PIPE, lua_toboolean(L, 2), &err) == NULL) {
    return net_push_uv_result(L, err);
  }
  return net_push_uv_result(L, 0);
}

/* pipe.bind(obj, path). libuv 1.46 binds abstract names and refuses
 * over-long paths itself (uv_pipe_bind2 with UV_PIPE_NO_TRUNCATE); on older
 * libuv the socket is made and bound here and handed over with
 * uv_pipe_open. Binding a path that names an existing file fails with
 * EADDRINUSE, as in Node. */
static int l_bind(lua_State *L) {
  net_handle *h = net_handle_kind(L, 1, NET_H_PIPE);
  size_t len;
  const char *path = luaL_checklstring(L, 2, &len);
  struct sockaddr_un sa;
  socklen_t salen;
  int rc, fd;
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
#if UV_VERSION_HEX >= 0x012e00
  (void)sa;
  (void)salen;
  (void)fd;
  rc = uv_pipe_bind2(&h->u.pipe, path, len, UV_PIPE_NO_TRUNCATE);
  return net_push_uv_result(L, rc);
#else
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
#endif
}

/* pipe.connect(sock, path): the connect hook reports the outcome */
static int l_connect(lua_State *L) {
  net_handle *h = net_handle_kind(L, 1, NET_H_PIPE);
  size_t len;
  const char *path = luaL_checklstring(L, 2, &len);
  struct sockaddr_un sa;
  socklen_t salen;
  int rc, fd;
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  rc = to_sockaddr_un(path, len, &sa, &salen);
  if (rc != 0) return net_push_uv_result(L, rc);
#if UV_VERSION_HEX >= 0x012e00
  (void)fd;
  uv_connect_t *req = net_connect_req(h);
  if (req == NULL) return net_push_uv_result(L, UV_ENOMEM);
  rc = uv_pipe_connect2(req, &h->u.pipe, path, len, UV_PIPE_NO_TRUNCATE, net_on_connect);
  if (rc != 0) {
    h->flags &= ~NET_H_CONNECTING;
    free(req);
  }
  return net_push_uv_result(L, rc);
#else
  if (path[0] != '\0') {
    uv_connect_t *req = net_connect_req(h);
    if (req == NULL) return net_push_uv_result(L, UV_ENOMEM);
    /* returns nothing: a failure reaches net_on_connect */
    uv_pipe_connect(req, &h->u.pipe, path, net_on_connect);
    return net_push_uv_result(L, 0);
  }
  /* abstract name: a Unix connect completes (or fails) at once; reported
   * from the tick queue, never inside the call. A handle that already has
   * its socket (an adopted BoundSocket) connects that one. */
  {
    uv_os_fd_t own;
    if (uv_fileno(&h->u.handle, &own) == 0) {
      rc = connect(own, (struct sockaddr *)&sa, salen) != 0 ? uv_translate_sys_error(errno) : 0;
      net_report_status(h, NET_HOOK_CONNECT, rc, 1);
      return net_push_uv_result(L, 0);
    }
  }
  fd = unix_socket();
  if (fd < 0) return net_push_uv_result(L, fd);
  if (connect(fd, (struct sockaddr *)&sa, salen) != 0) {
    rc = uv_translate_sys_error(errno);
    close(fd);
  } else {
    rc = uv_pipe_open(&h->u.pipe, fd);
    if (rc != 0) close(fd);
  }
  net_report_status(h, NET_HOOK_CONNECT, rc, 1);
  return net_push_uv_result(L, 0);
#endif
}

/* pipe.open(obj, fd): wrap an existing Unix socket descriptor */
static int l_open(lua_State *L) {
  net_handle *h = net_handle_kind(L, 1, NET_H_PIPE);
  int fd = (int)luaL_checkinteger(L, 2);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  return net_push_uv_result(L, uv_pipe_open(&h->u.pipe, fd));
}

/* pipe.chmod(server, readable, writable): readableAll / writableAll */
static int l_chmod(lua_State *L) {
  net_handle *h = net_handle_kind(L, 1, NET_H_PIPE);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  int mode = (lua_toboolean(L, 2) ? UV_READABLE : 0) | (lua_toboolean(L, 3) ? UV_WRITABLE : 0);
  return net_push_uv_result(L, mode ? uv_pipe_chmod(&h->u.pipe, mode) : 0);
}

static const luaL_Reg pipe_funcs[] = {
    {"init", l_init},   {"bind", l_bind},   {"connect", l_connect},
    {"open", l_open},   {"chmod", l_chmod}, {NULL, NULL},
};

void net_open_pipe(lua_State *L) { net_internal(L, "pipe", pipe_funcs); }
