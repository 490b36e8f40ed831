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

/* obj:_initTcp([family]) -> true | nil, errno. family 4, 6 or 0. */
static int m_init_tcp(lua_State *L) {
  net_loop *nl = net_loop_get(L);
  net_obj *obj = net_obj_check(L, 1);
  lua_Integer family = luaL_optinteger(L, 2, 0);
  int err = 0;
  if (obj->h != NULL) return luaL_error(L, "net: the object already has a handle");
  int af = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
  if (net_handle_new(L, nl, 1, NET_F_TCP, af, &err) == NULL) return net_push_uv_result(L, err);
  return net_push_uv_result(L, 0);
}

/* obj:_bind(ip, port[, ipv6only]) */
static int m_bind(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  const char *ip = luaL_checkstring(L, 2);
  int port = (int)luaL_checkinteger(L, 3);
  unsigned int flags = lua_toboolean(L, 4) ? UV_TCP_IPV6ONLY : 0;
  struct sockaddr_storage ss;
  int rc = to_sockaddr(ip, port, &ss);
  if (rc == 0) rc = uv_tcp_bind(&h->u.tcp, (struct sockaddr *)&ss, flags);
  return net_push_uv_result(L, rc);
}

static void on_connect(uv_connect_t *req, int status) {
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

/* sock:_connect(ip, port): the connect hook reports the outcome */
static int m_connect(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  const char *ip = luaL_checkstring(L, 2);
  int port = (int)luaL_checkinteger(L, 3);
  struct sockaddr_storage ss;
  int rc = to_sockaddr(ip, port, &ss);
  h->connect_req.data = h;
  if (rc == 0) rc = uv_tcp_connect(&h->connect_req, &h->u.tcp, (struct sockaddr *)&ss, on_connect);
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

/* sock:_setKeepAlive(enable, delay_s[, interval_s[, count]]): Node sets
 * TCP_KEEPINTVL=1 and TCP_KEEPCNT=10 unless told otherwise. */
static int m_set_keepalive(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  int enable = lua_toboolean(L, 2);
  int delay = (int)luaL_optinteger(L, 3, 0);
  int interval = (int)luaL_optinteger(L, 4, 1);
  int count = (int)luaL_optinteger(L, 5, 10);
  uv_os_fd_t fd;
  int rc = uv_tcp_keepalive(&h->u.tcp, enable, (unsigned int)(delay > 0 ? delay : 1));
  if (rc == 0 && enable && uv_fileno(&h->u.handle, &fd) == 0) {
#if defined(TCP_KEEPINTVL) && defined(TCP_KEEPCNT)
    if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval)) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count)) != 0) {
      rc = uv_translate_sys_error(errno);
    }
#endif
  }
  return net_push_uv_result(L, rc);
}

/* sock:_closeReset(): close with RST instead of FIN (resetAndDestroy) */
static int m_close_reset(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  return net_push_uv_result(L, net_handle_reset(h));
}

static int m_fileno(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  uv_os_fd_t fd;
  int rc = uv_fileno(&h->u.handle, &fd);
  if (rc != 0) return net_push_uv_result(L, rc);
  lua_pushinteger(L, fd);
  return 1;
}

static const luaL_Reg tcp_common[] = {
    {"_initTcp", m_init_tcp},
    {"_bind", m_bind},
    {"_sockname", m_sockname},
    {"_fileno", m_fileno},
    {NULL, NULL},
};

static const luaL_Reg tcp_socket[] = {
    {"_connect", m_connect},
    {"_peername", m_peername},
    {"_setNoDelay", m_set_nodelay},
    {"_setKeepAlive", m_set_keepalive},
    {"_closeReset", m_close_reset},
    {NULL, NULL},
};

void net_open_tcp(lua_State *L) {
  net_class_add(L, NET_SOCKET_MT, tcp_common);
  net_class_add(L, NET_SERVER_MT, tcp_common);
  net_class_add(L, NET_SOCKET_MT, tcp_socket);
}
