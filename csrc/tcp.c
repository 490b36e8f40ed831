/* tcp.c: TCP handles for sockets and servers: open, bind, connect, the
 * socket options, and the local and remote addresses. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

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

/* obj:_initTcp([family]) -> true | nil, errno. family 4, 6 or 0. */
static int m_init_tcp(lua_State *L) {
  net_loop *nl = net_loop_get(L);
  net_obj *obj = net_obj_check(L, 1);
  lua_Integer family = luaL_optinteger(L, 2, 0);
  int err = 0;
  /* a handle still closing (listen again after an error) is let go */
  if (obj->h != NULL && !(obj->h->flags & NET_F_CLOSING)) {
    return luaL_error(L, "net: the object already has a handle");
  }
  int af = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
  if (net_handle_new(L, nl, 1, NET_F_TCP, af, &err) == NULL) return net_push_uv_result(L, err);
  return net_push_uv_result(L, 0);
}


/* obj:_bind(ip, port[, ipv6only[, reuseport[, now]]]). SO_REUSEPORT is set on
 * the socket libuv made (libuv 1.44 has no flag for it), so several
 * processes can listen on one port and the kernel spreads connections. */
static int m_bind(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  const char *ip = luaL_checkstring(L, 2);
  int port = (int)luaL_checkinteger(L, 3);
  unsigned int flags = lua_toboolean(L, 4) ? UV_TCP_IPV6ONLY : 0;
  struct sockaddr_storage ss;
  int rc = to_sockaddr(ip, port, &ss);
#ifdef SO_REUSEPORT
  if (rc == 0 && lua_toboolean(L, 5)) rc = set_int_option(h, SOL_SOCKET, SO_REUSEPORT, 1);
#else
  if (rc == 0 && lua_toboolean(L, 5)) rc = UV_ENOTSUP;
#endif
  if (rc == 0) rc = uv_tcp_bind(&h->u.tcp, (struct sockaddr *)&ss, flags);
  /* libuv holds an EADDRINUSE back until listen/connect; a client bind
   * (localPort) reports it now, as Node does ('bind EADDRINUSE') */
  if (rc == 0 && lua_toboolean(L, 6)) rc = h->u.tcp.delayed_error;
  return net_push_uv_result(L, rc);
}

/* sock:_setTypeOfService(tos): IP_TOS for IPv4, IPV6_TCLASS for IPv6
 * (both on a dual-stack socket, so v4-mapped traffic is marked too) */
static int m_set_tos(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  int tos = (int)luaL_checkinteger(L, 2);
  struct sockaddr_storage ss;
  int len = sizeof(ss), rc;
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  rc = uv_tcp_getsockname(&h->u.tcp, (struct sockaddr *)&ss, &len);
  if (rc != 0) return net_push_uv_result(L, rc);
  if (ss.ss_family == AF_INET6) {
    rc = set_int_option(h, IPPROTO_IPV6, IPV6_TCLASS, tos);
    if (rc == 0) set_int_option(h, IPPROTO_IP, IP_TOS, tos); /* v4-mapped */
  } else {
    rc = set_int_option(h, IPPROTO_IP, IP_TOS, tos);
  }
  return net_push_uv_result(L, rc);
}

static int m_get_tos(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
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

/* obj:_sockopt(name) -> integer: reads back a socket option, so specs can
 * check what setKeepAlive/setNoDelay/reusePort really set */
static int m_sockopt(lua_State *L) {
  static const char *const names[] = {"SO_KEEPALIVE", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT",
                                      "TCP_NODELAY",  "SO_REUSEPORT", "IP_TOS",        NULL};
  static const int levels[] = {SOL_SOCKET, IPPROTO_TCP, IPPROTO_TCP, IPPROTO_TCP,
                               IPPROTO_TCP, SOL_SOCKET, IPPROTO_IP};
  static const int options[] = {SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT,
                                TCP_NODELAY,  SO_REUSEPORT, IP_TOS};
  net_handle *h = net_handle_check(L, 1);
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

/* sock:_connect(ip, port): the connect hook reports the outcome */
static int m_connect(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  const char *ip = luaL_checkstring(L, 2);
  int port = (int)luaL_checkinteger(L, 3);
  struct sockaddr_storage ss;
  int rc = to_sockaddr(ip, port, &ss);
  h->connect_req.data = h;
  if (rc == 0) rc = uv_tcp_connect(&h->connect_req, &h->u.tcp, (struct sockaddr *)&ss, net_on_connect);
  return net_push_uv_result(L, rc);
}

/* obj:_sockname() / sock:_peername() -> {address, family, port} | nil, errno */
static int push_name(lua_State *L, int peer) {
  net_handle *h = net_handle_check(L, 1);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  struct sockaddr_storage ss;
  int len = sizeof(ss);
  int rc = peer ? uv_tcp_getpeername(&h->u.tcp, (struct sockaddr *)&ss, &len)
                : uv_tcp_getsockname(&h->u.tcp, (struct sockaddr *)&ss, &len);
  if (rc != 0) return net_push_uv_result(L, rc);
  if (!net_push_sockaddr(L, (struct sockaddr *)&ss)) return net_push_uv_result(L, UV_EAFNOSUPPORT);
  return 1;
}

static int m_sockname(lua_State *L) { return push_name(L, 0); }
static int m_peername(lua_State *L) { return push_name(L, 1); }

static int m_set_nodelay(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  return net_push_uv_result(L, uv_tcp_nodelay(&h->u.tcp, lua_toboolean(L, 2)));
}

/* sock:_setKeepAlive(enable, delay_s, interval_s, count): SO_KEEPALIVE,
 * then TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT where the value is
 * positive (a zero leaves the system's value, as Node documents). */
static int m_set_keepalive(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  int enable = lua_toboolean(L, 2);
  int delay = (int)luaL_optinteger(L, 3, 0);
  int interval = (int)luaL_optinteger(L, 4, 1);
  int count = (int)luaL_optinteger(L, 5, 10);
  int rc;
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  rc = set_int_option(h, SOL_SOCKET, SO_KEEPALIVE, enable);
  if (rc == 0 && enable && delay > 0) rc = set_int_option(h, IPPROTO_TCP, TCP_KEEPIDLE, delay);
  if (rc == 0 && enable && interval > 0) rc = set_int_option(h, IPPROTO_TCP, TCP_KEEPINTVL, interval);
  if (rc == 0 && enable && count > 0) rc = set_int_option(h, IPPROTO_TCP, TCP_KEEPCNT, count);
  return net_push_uv_result(L, rc);
}

/* sock:_closeReset(): close with RST instead of FIN (resetAndDestroy) */
static int m_close_reset(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  return net_push_uv_result(L, net_handle_reset(h));
}

static const luaL_Reg tcp_common[] = {
    {"_initTcp", m_init_tcp},
    {"_bind", m_bind},
    {"_sockname", m_sockname},
    {"_sockopt", m_sockopt},
    {NULL, NULL},
};

static const luaL_Reg tcp_socket[] = {
    {"_connect", m_connect},
    {"_peername", m_peername},
    {"_setNoDelay", m_set_nodelay},
    {"_setKeepAlive", m_set_keepalive},
    {"_closeReset", m_close_reset},
    {"_setTypeOfService", m_set_tos},
    {"_getTypeOfService", m_get_tos},
    {NULL, NULL},
};

static const luaL_Reg tcp_funcs[] = {
    {"guessHandle", l_guess_handle},
    {NULL, NULL},
};

void net_open_tcp(lua_State *L) {
  net_setfuncs(L, tcp_funcs);
  net_class_add(L, NET_SOCKET_MT, tcp_common);
  net_class_add(L, NET_SERVER_MT, tcp_common);
  net_class_add(L, NET_SOCKET_MT, tcp_socket);
}
