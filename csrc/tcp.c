/* tcp.c: TCP handles for sockets and servers: open, bind, connect, the
 * socket options, and the local and remote addresses. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

/* Push {address=, family='IPv4'|'IPv6', port=} for an IP sockaddr. */
int net_push_sockaddr(lua_State *L, const struct sockaddr *sa) {
  char ip[INET6_ADDRSTRLEN];
  int port;
  const char *family;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    if (uv_ip4_name(in, ip, sizeof(ip)) != 0) return 0;
    port = ntohs(in->sin_port);
    family = "IPv4";
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    if (uv_ip6_name(in6, ip, sizeof(ip)) != 0) return 0;
    port = ntohs(in6->sin6_port);
    family = "IPv6";
  } else {
    return 0;
  }
  lua_createtable(L, 0, 3);
  lua_pushstring(L, ip);
  lua_setfield(L, -2, "address");
  lua_pushstring(L, family);
  lua_setfield(L, -2, "family");
  lua_pushinteger(L, port);
  lua_setfield(L, -2, "port");
  return 1;
}

/* Fill `ss` from an IP literal and a port; the Lua layer has already
 * validated both, so a failure here is reported as EINVAL. */
static int to_sockaddr(const char *ip, int port, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof(*ss));
  if (strchr(ip, ':') != NULL) {
    return uv_ip6_addr(ip, port, (struct sockaddr_in6 *)ss);
  }
  return uv_ip4_addr(ip, port, (struct sockaddr_in *)ss);
}

static int set_int_option(net_handle *h, int level, int name, int value) {
  uv_os_fd_t fd;
  int rc = uv_fileno(&h->u.handle, &fd);
  if (rc != 0) return rc;
  if (setsockopt(fd, level, name, &value, sizeof(value)) != 0) return uv_translate_sys_error(errno);
  return 0;
}

/* tcp.init(obj) -> true | nil, errno. The socket itself is made later, by
 * bind, open or connect, for the family of the address. A handle still
 * closing (listen again after an error, the next address of a connect) is
 * let go; an open one is EBUSY. */
static int l_init(lua_State *L) {
  net_loop *nl = net_loop_get(L);
  net_obj *obj = net_obj_check(L, 1);
  int err = 0;
  if (obj->h != NULL && !(obj->h->flags & NET_H_CLOSING)) return net_push_uv_result(L, UV_EBUSY);
  if (net_handle_new(L, nl, 1, NET_H_TCP, AF_UNSPEC, &err) == NULL) return net_push_uv_result(L, err);
  return net_push_uv_result(L, 0);
}

/* tcp.bind(obj, ip, port[, ipv6only[, reuseport]]): the socket is made and
 * bound here and handed to libuv with uv_tcp_open, so a bind error
 * (EADDRINUSE, ...) is known at once without reading libuv's private
 * delayed error, and SO_REUSEPORT is set before bind on any libuv (1.44
 * has no flag for it; UV_TCP_REUSEPORT came in 1.49 and still delays the
 * error). SO_REUSEADDR is set as libuv's own bind sets it. */
static int l_bind(lua_State *L) {
  net_handle *h = net_handle_kind(L, 1, NET_H_TCP);
  const char *ip = luaL_checkstring(L, 2);
  int port = (int)luaL_checkinteger(L, 3);
  int v6only = lua_toboolean(L, 4), reuseport = lua_toboolean(L, 5);
  struct sockaddr_storage ss;
  int rc, fd, on = 1;
  socklen_t salen;
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  rc = to_sockaddr(ip, port, &ss);
  if (rc != 0) return net_push_uv_result(L, rc);
  salen = ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return net_push_uv_result(L, uv_translate_sys_error(errno));
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0) goto fail;
  if (ss.ss_family == AF_INET6 &&
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) != 0) {
    goto fail;
  }
#ifdef SO_REUSEPORT
  if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0) goto fail;
#else
  if (reuseport) {
    close(fd);
    return net_push_uv_result(L, UV_ENOTSUP);
  }
#endif
  if (bind(fd, (struct sockaddr *)&ss, salen) != 0) goto fail;
  rc = uv_tcp_open(&h->u.tcp, fd);
  if (rc != 0) close(fd);
  return net_push_uv_result(L, rc);
fail:
  rc = uv_translate_sys_error(errno);
  close(fd);
  return net_push_uv_result(L, rc);
}

/* tcp.setTypeOfService(sock, tos): IP_TOS for IPv4, IPV6_TCLASS for IPv6
 * (both on a dual-stack socket, so v4-mapped traffic is marked too) */
static int l_set_tos(lua_State *L) {
  net_handle *h = net_handle_kind(L, 1, NET_H_TCP);
  int tos = (int)luaL_checkinteger(L, 2);
  struct sockaddr_storage ss;
  int len = sizeof(ss), rc;
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  rc = uv_tcp_getsockname(&h->u.tcp, (struct sockaddr *)&ss, &len);
  if (rc != 0) return net_push_uv_result(L, rc);
  if (ss.ss_family == AF_INET6) {
    rc = set_int_option(h, IPPROTO_IPV6, IPV6_TCLASS, tos);
    /* v4-mapped traffic too; a v6-only socket refuses, which is fine */
    if (rc == 0) (void)set_int_option(h, IPPROTO_IP, IP_TOS, tos);
  } else {
    rc = set_int_option(h, IPPROTO_IP, IP_TOS, tos);
  }
  return net_push_uv_result(L, rc);
}

static int l_get_tos(lua_State *L) {
  net_handle *h = net_handle_kind(L, 1, NET_H_TCP);
  struct sockaddr_storage ss;
  int len = sizeof(ss), value = 0, rc;
  socklen_t vlen = sizeof(value);
  uv_os_fd_t fd;
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  rc = uv_tcp_getsockname(&h->u.tcp, (struct sockaddr *)&ss, &len);
  if (rc == 0) rc = uv_fileno(&h->u.handle, &fd);
  if (rc != 0) return net_push_uv_result(L, rc);
  if (ss.ss_family == AF_INET6 ? getsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &value, &vlen)
                               : getsockopt(fd, IPPROTO_IP, IP_TOS, &value, &vlen)) {
    return net_push_uv_result(L, uv_translate_sys_error(errno));
  }
  lua_pushinteger(L, value);
  return 1;
}

/* tcp.sockopt(obj, name) -> integer: reads back a socket option, so specs
 * can check what setKeepAlive/setNoDelay/reusePort really set */
static int l_sockopt(lua_State *L) {
  static const char *const names[] = {"SO_KEEPALIVE", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT",
                                      "TCP_NODELAY",  "SO_REUSEPORT", "IP_TOS",        NULL};
  static const int levels[] = {SOL_SOCKET, IPPROTO_TCP, IPPROTO_TCP, IPPROTO_TCP,
                               IPPROTO_TCP, SOL_SOCKET, IPPROTO_IP};
  static const int options[] = {SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT,
                                TCP_NODELAY,  SO_REUSEPORT, IP_TOS};
  net_handle *h = net_handle_kind(L, 1, NET_H_TCP);
  int which = luaL_checkoption(L, 2, NULL, names);
  int value = 0;
  socklen_t vlen = sizeof(value);
  uv_os_fd_t fd;
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  int rc = uv_fileno(&h->u.handle, &fd);
  if (rc != 0) return net_push_uv_result(L, rc);
  if (getsockopt(fd, levels[which], options[which], &value, &vlen) != 0) {
    return net_push_uv_result(L, uv_translate_sys_error(errno));
  }
  lua_pushinteger(L, value);
  return 1;
}

/* core.guessHandle(fd) -> 'TCP' | 'PIPE' | 'TTY' | 'UDP' | 'FILE' | 'UNKNOWN' */
static int l_guess_handle(lua_State *L) {
  int fd = (int)luaL_checkinteger(L, 1);
  switch (uv_guess_handle(fd)) {
    case UV_TCP: lua_pushliteral(L, "TCP"); break;
    case UV_NAMED_PIPE: lua_pushliteral(L, "PIPE"); break;
    case UV_TTY: lua_pushliteral(L, "TTY"); break;
    case UV_UDP: lua_pushliteral(L, "UDP"); break;
    case UV_FILE: lua_pushliteral(L, "FILE"); break;
    default: lua_pushliteral(L, "UNKNOWN"); break;
  }
  return 1;
}

/* tcp.connect(sock, ip, port[, family]): the connect hook reports the
 * outcome. With a family (4 or 6) the address is read as that family
 * only, as Node's connect/connect6: IPv4 text for family 6 is EINVAL. */
static int l_connect(lua_State *L) {
  net_handle *h = net_handle_kind(L, 1, NET_H_TCP);
  const char *ip = luaL_checkstring(L, 2);
  int port = (int)luaL_checkinteger(L, 3);
  lua_Integer family = luaL_optinteger(L, 4, 0);
  struct sockaddr_storage ss;
  int rc;
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  memset(&ss, 0, sizeof(ss));
  if (family == 6) {
    rc = uv_ip6_addr(ip, port, (struct sockaddr_in6 *)&ss);
  } else if (family == 4) {
    rc = uv_ip4_addr(ip, port, (struct sockaddr_in *)&ss);
  } else {
    rc = to_sockaddr(ip, port, &ss);
  }
  if (rc != 0) return net_push_uv_result(L, rc);
  uv_connect_t *req = net_connect_req(h);
  if (req == NULL) return net_push_uv_result(L, UV_ENOMEM);
  rc = uv_tcp_connect(req, &h->u.tcp, (struct sockaddr *)&ss, net_on_connect);
  if (rc != 0) {
    h->flags &= ~NET_H_CONNECTING;
    free(req);
  }
  return net_push_uv_result(L, rc);
}

/* tcp.sockname(obj) / tcp.peername(sock) -> {address, family, port} | nil, errno */
static int push_name(lua_State *L, int peer) {
  net_handle *h = net_handle_kind(L, 1, NET_H_TCP);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  struct sockaddr_storage ss;
  int len = sizeof(ss);
  int rc = peer ? uv_tcp_getpeername(&h->u.tcp, (struct sockaddr *)&ss, &len)
                : uv_tcp_getsockname(&h->u.tcp, (struct sockaddr *)&ss, &len);
  if (rc != 0) return net_push_uv_result(L, rc);
  if (!net_push_sockaddr(L, (struct sockaddr *)&ss)) return net_push_uv_result(L, UV_EAFNOSUPPORT);
  return 1;
}

static int l_sockname(lua_State *L) { return push_name(L, 0); }
static int l_peername(lua_State *L) { return push_name(L, 1); }

static int l_set_nodelay(lua_State *L) {
  net_handle *h = net_handle_kind(L, 1, NET_H_TCP);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  return net_push_uv_result(L, uv_tcp_nodelay(&h->u.tcp, lua_toboolean(L, 2)));
}

/* tcp.setKeepAlive(sock, enable, delay_s, interval_s, count): SO_KEEPALIVE
 * and TCP_KEEPIDLE (uv_tcp_keepalive), then TCP_KEEPINTVL / TCP_KEEPCNT
 * where the value is positive (a zero leaves the system's value, as Node
 * documents); libuv 1.51's uv_tcp_keepalive_ex sets all three. */
static int l_set_keepalive(lua_State *L) {
  net_handle *h = net_handle_kind(L, 1, NET_H_TCP);
  int enable = lua_toboolean(L, 2);
  int delay = (int)luaL_checkinteger(L, 3);
  int interval = (int)luaL_checkinteger(L, 4);
  int count = (int)luaL_checkinteger(L, 5);
  int rc;
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  if (!enable) return net_push_uv_result(L, set_int_option(h, SOL_SOCKET, SO_KEEPALIVE, 0));
#if UV_VERSION_HEX >= 0x013300
  if (delay > 0 && interval > 0 && count > 0) {
    return net_push_uv_result(L, uv_tcp_keepalive_ex(&h->u.tcp, 1, (unsigned)delay,
                                                     (unsigned)interval, (unsigned)count));
  }
#endif
  rc = set_int_option(h, SOL_SOCKET, SO_KEEPALIVE, 1);
  if (rc == 0 && delay > 0) rc = set_int_option(h, IPPROTO_TCP, TCP_KEEPIDLE, delay);
  if (rc == 0 && interval > 0) rc = set_int_option(h, IPPROTO_TCP, TCP_KEEPINTVL, interval);
  if (rc == 0 && count > 0) rc = set_int_option(h, IPPROTO_TCP, TCP_KEEPCNT, count);
  return net_push_uv_result(L, rc);
}

/* tcp.closeReset(sock): close with RST instead of FIN (resetAndDestroy) */
static int l_close_reset(lua_State *L) {
  net_handle *h = net_handle_kind(L, 1, NET_H_TCP);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  return net_push_uv_result(L, net_handle_reset(h));
}

/* tcp.open(obj, fd): wrap an existing TCP socket descriptor */
static int l_open(lua_State *L) {
  net_handle *h = net_handle_kind(L, 1, NET_H_TCP);
  int fd = (int)luaL_checkinteger(L, 2);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  return net_push_uv_result(L, uv_tcp_open(&h->u.tcp, fd));
}

static const luaL_Reg tcp_funcs[] = {
    {"init", l_init},
    {"bind", l_bind},
    {"open", l_open},
    {"connect", l_connect},
    {"sockname", l_sockname},
    {"peername", l_peername},
    {"sockopt", l_sockopt},
    {"setNoDelay", l_set_nodelay},
    {"setKeepAlive", l_set_keepalive},
    {"closeReset", l_close_reset},
    {"setTypeOfService", l_set_tos},
    {"getTypeOfService", l_get_tos},
    {NULL, NULL},
};

static const luaL_Reg core_funcs[] = {
    {"guessHandle", l_guess_handle},
    {NULL, NULL},
};

void net_open_tcp(lua_State *L) {
  net_setfuncs(L, core_funcs);
  net_internal(L, "tcp", tcp_funcs);
}
