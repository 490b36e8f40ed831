/* framing.c: LuaSocket's receive patterns, cut out of a socket's read
 * buffer where the bytes are (core.framing, for net.promises).
 *
 * A line or a count becomes one Lua string made straight from the buffer
 * (stream.c keeps it contiguous), so a protocol that reads many small
 * lines builds no intermediate strings and concatenates nothing in Lua.
 * The bookkeeping after a take (chunk lengths, Node's length with
 * setEncoding, reading again below the mark) is stream.c's own
 * (net_stream_consume).
 *
 * Each function returns what it cut and `done` (the peer's end has arrived
 * and the buffer is now empty: the Lua layer then ends the readable side as
 * Node's read() would), or nothing when not enough is buffered. In that
 * case reading is on, even at or above the readable high-water mark: the
 * call needs more bytes than the mark lets the buffer hold. A destroyed
 * socket gives nothing and reads nothing. framing.park tells the Lua
 * layer whether a receive that found too little can wait.
 *
 * With setEncoding the buffer holds decoded text (UTF-8): a line ends at
 * its LF all the same; a count is in Node's units (UTF-16 code units, as
 * sock:read(n)), and never cuts a character.
 */
#include <string.h>

#include "net.h"

/* The socket argument. receive calls this once per line: checked against
 * the Socket metatable kept as upvalue 1, which spares luaL_checkudata's
 * registry lookup by name. */
static net_sock *sock_arg(lua_State *L) {
  net_sock *s = (net_sock *)lua_touserdata(L, 1);
  if (s != NULL && lua_getmetatable(L, 1)) {
    int same = lua_rawequal(L, -1, lua_upvalueindex(1));
    lua_pop(L, 1);
    if (same) return s;
  }
  luaL_typeerror(L, 1, NET_SOCKET_MT);
  return NULL;
}

/* the bytes buffered (no read buffer: none) */
static size_t buffered(const net_sock *s) {
  return s->rb != NULL ? s->rb->len : 0;
}

/* Node's readableLength: bytes, or code units of decoded text */
static size_t node_length(const net_sock *s) {
  if (s->rb == NULL) return 0;
  return (s->flags & NET_S_DECODE) ? s->rb->units : s->rb->len;
}

static int want_more(lua_State *L, net_sock *s) {
  int rc = net_stream_read_more(s);
  if (rc != 0) return luaL_error(L, "net: read start failed: %s", uv_strerror(rc));
  return 0;
}

/* Push the first `push_n` bytes, drop the first `drop_n` (push_n <=
 * drop_n), then `done`. */
static int cut(lua_State *L, net_sock *s, size_t push_n, size_t drop_n) {
  if (push_n > 0) {
    lua_pushlstring(L, s->rb->bytes + s->rb->off, push_n);
  } else {
    lua_pushliteral(L, "");
  }
  net_stream_consume(L, s, drop_n);
  lua_pushboolean(L, (s->flags & NET_S_EOF) && buffered(s) == 0);
  return 2;
}

/* framing.line(sock, keep_eol[, from]) -> line, done | nil, scanned
 * A line ends at LF. Without keep_eol the LF goes, and a CR right before
 * it; a CR anywhere else stays. `from`: the bytes already known to hold no
 * LF (the `scanned` of the previous call for the same line), so a long
 * line arriving in many chunks is scanned once. */
static int l_line(lua_State *L) {
  net_sock *s = sock_arg(L);
  int keep = lua_toboolean(L, 2);
  lua_Integer from = lua_tointeger(L, 3); /* 0 when absent */
  const char *p, *lf;
  size_t start, have;
  if (s->flags & NET_S_DESTROYED) return 0;
  have = buffered(s);
  start = from > 0 && (size_t)from < have ? (size_t)from : 0;
  p = have > 0 ? s->rb->bytes + s->rb->off : NULL;
  lf = p != NULL ? (const char *)memchr(p + start, '\n', have - start) : NULL;
  if (lf != NULL) {
    size_t n = (size_t)(lf - p) + 1, len = n;
    if (!keep) {
      len = n - 1;
      if (len > 0 && p[len - 1] == '\r') len--;
    }
    return cut(L, s, len, n);
  }
  lua_pushnil(L);
  lua_pushinteger(L, (lua_Integer)have);
  want_more(L, s);
  return 2;
}

/* framing.count(sock, n) -> exactly n (bytes, or code units with
 * setEncoding), done | nil */
static int l_count(lua_State *L) {
  net_sock *s = sock_arg(L);
  lua_Integer n = luaL_checkinteger(L, 2);
  if (s->flags & NET_S_DESTROYED) return 0;
  luaL_argcheck(L, n >= 0, 2, "negative count");
  if ((size_t)n <= node_length(s)) {
    size_t bytes = net_stream_front_bytes(s, (size_t)n);
    return cut(L, s, bytes, bytes);
  }
  want_more(L, s);
  return 0;
}

/* framing.all(sock) -> everything, true once the peer has ended | nil */
static int l_all(lua_State *L) {
  net_sock *s = sock_arg(L);
  if (s->flags & NET_S_DESTROYED) return 0;
  if (s->flags & NET_S_EOF) {
    size_t n = buffered(s);
    return cut(L, s, n, n);
  }
  want_more(L, s);
  return 0;
}

/* framing.park(sock) -> status: a receive is about to wait (one call for
 * what would be three). 1: the socket is destroyed; 2: it has no open
 * handle (never connected, closed, or a connect still looking up the
 * name); 0: it can wait, and is out of flowing mode now (readableFlowing
 * false), so what arrives is buffered and reported by the readable hook. */
static int l_park(lua_State *L) {
  net_sock *s = sock_arg(L);
  const net_handle *h = s->base.h;
  int status = 0;
  if (s->flags & NET_S_DESTROYED) {
    status = 1;
  } else if (h == NULL || (h->flags & NET_H_CLOSING)) {
    status = 2;
  } else if (s->flowing == 1) {
    s->flowing = 0;
  }
  lua_pushinteger(L, status);
  return 1;
}

static const luaL_Reg framing_funcs[] = {
    {"park", l_park},
    {"line", l_line},
    {"count", l_count},
    {"all", l_all},
    {NULL, NULL},
};

/* Stack: the core table on top; the Socket metatable exists (object.c). */
void net_open_framing(lua_State *L) {
  lua_newtable(L);
  luaL_getmetatable(L, NET_SOCKET_MT);
  luaL_setfuncs(L, framing_funcs, 1);
  lua_setfield(L, -2, "framing");
}
