/* bound.c: the socket behind net.BoundSocket (lua/net/boundsocket.lua).
 *
 * Made, optioned and bound with plain socket()/setsockopt()/bind() while
 * the constructor runs, so every bind error is known at once: libuv's
 * uv_tcp_bind would hold an EADDRINUSE back until listen or connect. It is
 * no libuv handle and nothing in the loop, only a non-blocking,
 * close-on-exec descriptor, until a Server or Socket takes it and wraps it
 * (uv_tcp_open / uv_pipe_open). Until then this userdata owns it: close()
 * or the garbage collector closes it, and removes the file a pipe bind
 * made. */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <lauxlib.h>
#include <uv.h>

#include "bound.h"

#define BOUND_MT "net.BoundSocketFd"
#define SUN_PATH_SIZE sizeof(((struct sockaddr_un *)0)->sun_path)

typedef struct bound_fd {
  int fd;      /* -1 once closed or taken */
  int is_pipe;
  /* the file a pipe bind made (empty for TCP and abstract names): removed
   * when the socket is closed here, left to the adopter once taken */
  char unlink_path[SUN_PATH_SIZE + 1];
} bound_fd;

static int push_error(lua_State *L, int status) {
  lua_pushnil(L);
  lua_pushinteger(L, status);
  return 2;
}

/* The userdata is made before the descriptor, so that a memory error
 * cannot leave a descriptor nobody owns. */
static bound_fd *push_new(lua_State *L, int is_pipe) {
  bound_fd *b = lua_newuserdatauv(L, sizeof(*b), 0);
  b->fd = -1;
  b->is_pipe = is_pipe;
  b->unlink_path[0] = '\0';
  luaL_setmetatable(L, BOUND_MT);
  return b;
}

static void release(bound_fd *b) {
  if (b->fd >= 0) {
    close(b->fd);
    b->fd = -1;
    if (b->unlink_path[0] != '\0') unlink(b->unlink_path);
  }
  b->unlink_path[0] = '\0';
}

/* making the socket failed: close what was made (no file yet: the path
 * is only recorded once bound). The caller reads errno before this. */
static int fail(lua_State *L, bound_fd *b, int status) {
  release(b);
  return push_error(L, status);
}

static int set_flag(int fd, int level, int name) {
  int on = 1;
  return setsockopt(fd, level, name, &on, sizeof(on)) == 0 ? 0 : uv_translate_sys_error(errno);
}

/* core.boundTcp(ip, port, ipv6Only, reusePort) -> bound | nil, errno.
 * `ip` is an IP literal the Lua layer has checked. */
static int l_bound_tcp(lua_State *L) {
  const char *ip = luaL_checkstring(L, 1);
  int port = (int)luaL_checkinteger(L, 2);
  int ipv6only = lua_toboolean(L, 3);
  int reuseport = lua_toboolean(L, 4);
  struct sockaddr_storage ss;
  socklen_t salen;
  bound_fd *b;
  int rc;
  memset(&ss, 0, sizeof(ss));
  if (strchr(ip, ':') != NULL) {
    rc = uv_ip6_addr(ip, port, (struct sockaddr_in6 *)&ss);
    salen = sizeof(struct sockaddr_in6);
  } else {
    rc = uv_ip4_addr(ip, port, (struct sockaddr_in *)&ss);
    salen = sizeof(struct sockaddr_in);
  }
  if (rc != 0) return push_error(L, rc);
  b = push_new(L, 0);
  b->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (b->fd < 0) return fail(L, b, uv_translate_sys_error(errno));
  /* As libuv does before every TCP bind (and so Node): a port whose last
   * connections linger in TIME_WAIT can be bound again at once. */
  rc = set_flag(b->fd, SOL_SOCKET, SO_REUSEADDR);
  /* only meaningful for an IPv6 bind, as the docs say: ignored otherwise */
  if (rc == 0 && ipv6only && ss.ss_family == AF_INET6) rc = set_flag(b->fd, IPPROTO_IPV6, IPV6_V6ONLY);
  if (rc == 0 && reuseport) {
#ifdef SO_REUSEPORT
    rc = set_flag(b->fd, SOL_SOCKET, SO_REUSEPORT);
#else
    rc = UV_ENOTSUP;
#endif
  }
  if (rc != 0) return fail(L, b, rc);
  if (bind(b->fd, (struct sockaddr *)&ss, salen) != 0) return fail(L, b, uv_translate_sys_error(errno));
  return 1;
}

/* core.boundPipe(path) -> bound | nil, errno. A leading "\0" is a Linux
 * abstract name (no file). The limits are libuv's uv_pipe_bind2 with
 * UV_PIPE_NO_TRUNCATE, which newest Node uses: an empty name, or one too
 * long for sun_path, is EINVAL; a missing directory (ENOENT) reads as
 * EACCES, as libuv reports it everywhere for parity with Windows. */
static int l_bound_pipe(lua_State *L) {
  size_t len;
  const char *path = luaL_checklstring(L, 1, &len);
  int abstract = len > 0 && path[0] == '\0';
  struct sockaddr_un sa;
  socklen_t salen;
  bound_fd *b;
  int rc;
  if (len == 0) return push_error(L, UV_EINVAL);
#ifndef __linux__
  if (abstract) return push_error(L, UV_EINVAL);
#endif
  /* a file path with a NUL inside would bind (and later remove) a
   * different, shorter name */
  if (!abstract && memchr(path, '\0', len) != NULL) return push_error(L, UV_EINVAL);
  /* a file path needs room for its terminating NUL; an abstract name none */
  if (len > SUN_PATH_SIZE - (abstract ? 0 : 1)) return push_error(L, UV_EINVAL);
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, path, len);
  salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (abstract ? 0 : 1));
  b = push_new(L, 1);
  b->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (b->fd < 0) return fail(L, b, uv_translate_sys_error(errno));
  if (bind(b->fd, (struct sockaddr *)&sa, salen) != 0) {
    rc = uv_translate_sys_error(errno);
    return fail(L, b, rc == UV_ENOENT ? UV_EACCES : rc);
  }
  if (!abstract) {
    memcpy(b->unlink_path, path, len);
    b->unlink_path[len] = '\0';
  }
  return 1;
}

static bound_fd *check(lua_State *L) { return luaL_checkudata(L, 1, BOUND_MT); }

/* bound:fd() -> integer | nil once closed or taken */
static int m_fd(lua_State *L) {
  bound_fd *b = check(L);
  if (b->fd < 0) return 0;
  lua_pushinteger(L, b->fd);
  return 1;
}

/* bound:sockname() -> address, 'IPv4'|'IPv6', port | nil, errno (TCP) */
static int m_sockname(lua_State *L) {
  bound_fd *b = check(L);
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  char ip[INET6_ADDRSTRLEN];
  int rc;
  if (b->fd < 0) return push_error(L, UV_EBADF);
  if (getsockname(b->fd, (struct sockaddr *)&ss, &len) != 0) return push_error(L, uv_translate_sys_error(errno));
  if (ss.ss_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
    rc = uv_ip4_name(in, ip, sizeof(ip));
    if (rc != 0) return push_error(L, rc);
    lua_pushstring(L, ip);
    lua_pushliteral(L, "IPv4");
    lua_pushinteger(L, ntohs(in->sin_port));
    return 3;
  }
  if (ss.ss_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
    rc = uv_ip6_name(in6, ip, sizeof(ip));
    if (rc != 0) return push_error(L, rc);
    lua_pushstring(L, ip);
    lua_pushliteral(L, "IPv6");
    lua_pushinteger(L, ntohs(in6->sin6_port));
    return 3;
  }
  return push_error(L, UV_EAFNOSUPPORT);
}

/* bound:close(): closes the descriptor and removes a pipe's file; a
 * second call does nothing */
static int m_close(lua_State *L) {
  release(check(L));
  return 0;
}

/* bound:take() -> fd, 'tcp'|'pipe' | nil once closed or taken. From here
 * the descriptor, and the file a pipe bind made, are the caller's. */
static int m_take(lua_State *L) {
  bound_fd *b = check(L);
  if (b->fd < 0) return 0;
  lua_pushinteger(L, b->fd);
  lua_pushstring(L, b->is_pipe ? "pipe" : "tcp");
  b->fd = -1;
  b->unlink_path[0] = '\0';
  return 2;
}

/* core.boundCloseFd(fd): for an adopter that took a descriptor and could
 * not wrap it */
static int l_close_fd(lua_State *L) {
  int fd = (int)luaL_checkinteger(L, 1);
  if (close(fd) != 0) return push_error(L, uv_translate_sys_error(errno));
  lua_pushboolean(L, 1);
  return 1;
}

static const luaL_Reg bound_methods[] = {
    {"fd", m_fd},
    {"sockname", m_sockname},
    {"close", m_close},
    {"take", m_take},
    {"__gc", m_close},
    {NULL, NULL},
};

static const luaL_Reg bound_funcs[] = {
    {"boundTcp", l_bound_tcp},
    {"boundPipe", l_bound_pipe},
    {"boundCloseFd", l_close_fd},
    {NULL, NULL},
};

void net_open_bound(lua_State *L) {
  luaL_newmetatable(L, BOUND_MT);
  luaL_setfuncs(L, bound_methods, 0);
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  luaL_setfuncs(L, bound_funcs, 0);
#ifdef __linux__
  lua_pushboolean(L, 1);
#else
  lua_pushboolean(L, 0);
#endif
  lua_setfield(L, -2, "boundAbstractNames");
}
