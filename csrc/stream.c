/* stream.c: the hot path shared by TCP and pipe sockets.
 *
 * Reads land in one loop-wide buffer and become one Lua string each.
 * write() tries the kernel first (uv_try_write); what it cannot take is
 * queued without copying (the entry points into the Lua string, which the
 * object's refs table keeps alive). While a write is in flight, or while
 * corked, new writes wait in `pending` and go out together as one
 * uv_write (one writev), so many small writes do not each cost a syscall.
 */
#include <stdlib.h>
#include <string.h>

#include "net.h"

struct net_write_batch {
  uv_write_t req;
  net_handle *h;
  size_t n;
  size_t bytes;
  net_wentry entries[]; /* followed by n uv_buf_t */
};

/* --- idle timeout ------------------------------------------------------ */

static void on_idle_timer(uv_timer_t *timer) {
  net_handle *h = (net_handle *)timer->data;
  net_loop *nl = h->nl;
  uint64_t idle = uv_now(nl->loop) - h->last_active;
  if (h->timeout_ms == 0) return;
  if (idle < h->timeout_ms) {
    /* activity since it was armed: wait for the rest of the period */
    if (uv_timer_start(timer, on_idle_timer, h->timeout_ms - idle, 0) == 0) return;
  }
  h->flags &= ~NET_F_TIMER_ARMED;
  net_push_hook(nl, NET_HOOK_TIMEOUT);
  if (!net_push_self(h)) {
    lua_pop(nl->L, 1);
    return;
  }
  net_call(nl, 2);
}

/* Reads and writes reset the idle timer: only a time stamp on the hot
 * path; the timer itself is re-armed when it fires or after it has fired. */
void net_stream_touch(net_handle *h) {
  if (h->timeout_ms == 0) return;
  h->last_active = uv_now(h->nl->loop);
  if (!(h->flags & NET_F_TIMER_ARMED) && !(h->flags & NET_F_CLOSING)) {
    if (uv_timer_start(&h->timer, on_idle_timer, h->timeout_ms, 0) == 0) {
      h->flags |= NET_F_TIMER_ARMED;
    }
  }
}

/* sock:_setTimeout(ms): 0 disables */
static int m_set_timeout(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  lua_Integer ms = luaL_checkinteger(L, 2);
  h->timeout_ms = ms > 0 ? (uint64_t)ms : 0;
  if (uv_timer_stop(&h->timer) == 0) h->flags &= ~NET_F_TIMER_ARMED;
  net_stream_touch(h);
  return 0;
}

/* --- reading ----------------------------------------------------------- */

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
  net_handle *h = (net_handle *)handle->data;
  (void)suggested;
  buf->base = h->nl->read_buf;
  buf->len = h->read_size;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  net_handle *h = (net_handle *)stream->data;
  net_loop *nl = h->nl;
  lua_State *L = nl->L;
  if (nread == 0 || L == NULL) return;
  if (nread > 0) {
    h->bytes_read += (uint64_t)nread;
    net_stream_touch(h);
    net_push_hook(nl, NET_HOOK_DATA);
    if (!net_push_self(h)) {
      lua_pop(L, 1);
      return;
    }
    lua_pushlstring(L, buf->base, (size_t)nread);
    net_call(nl, 3);
    return;
  }
  /* EOF or error: libuv has stopped reading */
  h->flags &= ~NET_F_READING;
  if (uv_is_active((uv_handle_t *)stream)) uv_read_stop(stream);
  net_push_hook(nl, nread == UV_EOF ? NET_HOOK_EOF : NET_HOOK_READERR);
  if (!net_push_self(h)) {
    lua_pop(L, 1);
    return;
  }
  if (nread == UV_EOF) {
    net_call(nl, 2);
  } else {
    lua_pushinteger(L, (lua_Integer)nread);
    net_call(nl, 3);
  }
}

static int m_read_start(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  int rc = 0;
  if (!(h->flags & NET_F_READING)) {
    rc = uv_read_start(&h->u.stream, on_alloc, on_read);
    if (rc == 0) h->flags |= NET_F_READING;
  }
  return net_push_uv_result(L, rc);
}

static int m_read_stop(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  int rc = 0;
  if (h->flags & NET_F_READING) {
    rc = uv_read_stop(&h->u.stream);
    h->flags &= ~NET_F_READING;
  }
  return net_push_uv_result(L, rc);
}

/* --- writing ----------------------------------------------------------- */

/* Call the written hook with (sock, fields, status|nil, cbs|nil), now or
 * deferred to the tick queue. Callbacks are taken out of the refs table. */
static void report_written(net_handle *h, net_wentry *entries, size_t n, int status,
                           int deferred) {
  net_loop *nl = h->nl;
  lua_State *L = nl->L;
  int any_cb = 0;
  if (L == NULL) return;
  net_push_hook(nl, NET_HOOK_WRITTEN);
  if (!net_push_self(h)) {
    lua_pop(L, 1);
    return;
  }
  int self = lua_gettop(L) - 1;
  lua_getiuservalue(L, self, 2);
  int refs = lua_gettop(L);
  if (status < 0) {
    lua_pushinteger(L, status);
  } else {
    lua_pushnil(L);
  }
  lua_newtable(L);
  for (size_t i = 0; i < n; i++) {
    luaL_unref(L, refs, entries[i].data_ref);
    if (entries[i].cb_ref != LUA_NOREF) {
      lua_rawgeti(L, refs, entries[i].cb_ref);
      luaL_unref(L, refs, entries[i].cb_ref);
      lua_rawseti(L, -2, ++any_cb);
    }
  }
  if (!any_cb) {
    lua_pop(L, 1);
    lua_pushnil(L);
  }
  lua_remove(L, refs);
  if (!any_cb && status >= 0 && !(h->flags & NET_F_NEED_DRAIN)) {
    lua_pop(L, 5);
    return;
  }
  if (deferred) {
    net_tick_push(nl, 4);
  } else {
    net_call(nl, 4);
  }
}

static void submit_pending(net_handle *h);

static void on_write(uv_write_t *req, int status) {
  net_write_batch *b = (net_write_batch *)req->data;
  net_handle *h = b->h;
  h->inflight--;
  h->queued -= b->bytes;
  /* keep the kernel busy first: what queued up meanwhile goes out now */
  if (status == 0 && !(h->flags & (NET_F_CORKED | NET_F_CLOSING))) submit_pending(h);
  report_written(h, b->entries, b->n, status, 0);
  free(b);
}

/* Give every pending write to libuv as one batch. */
static void submit_pending(net_handle *h) {
  size_t n = h->npending;
  net_write_batch *b;
  uv_buf_t *bufs;
  int rc;
  if (n == 0) return;
  b = (net_write_batch *)malloc(sizeof(*b) + n * (sizeof(net_wentry) + sizeof(uv_buf_t)));
  if (b == NULL) {
    report_written(h, h->pending, n, UV_ENOMEM, 1);
    h->queued -= h->pending_bytes;
    h->npending = h->pending_bytes = 0;
    return;
  }
  bufs = (uv_buf_t *)(b->entries + n);
  b->h = h;
  b->n = n;
  b->bytes = h->pending_bytes;
  b->req.data = b;
  memcpy(b->entries, h->pending, n * sizeof(net_wentry));
  for (size_t i = 0; i < n; i++) {
    bufs[i] = uv_buf_init((char *)b->entries[i].base, (unsigned int)b->entries[i].len);
  }
  h->npending = h->pending_bytes = 0;
  h->write_calls++;
  rc = uv_write(&b->req, &h->u.stream, bufs, (unsigned int)n, on_write);
  if (rc != 0) {
    h->queued -= b->bytes;
    report_written(h, b->entries, n, rc, 1);
    free(b);
    return;
  }
  h->inflight++;
}

/* Queue (data, cb) at stack indexes 2 and 3 of the current call. */
static int push_pending(lua_State *L, net_handle *h, const char *base, size_t len, int has_cb) {
  if (h->npending == h->cap_pending) {
    size_t cap = h->cap_pending ? h->cap_pending * 2 : 8;
    net_wentry *p = (net_wentry *)realloc(h->pending, cap * sizeof(net_wentry));
    if (p == NULL) return UV_ENOMEM;
    h->pending = p;
    h->cap_pending = cap;
  }
  net_wentry *e = &h->pending[h->npending++];
  lua_getiuservalue(L, 1, 2);
  e->base = base;
  e->len = len;
  lua_pushvalue(L, 2);
  e->data_ref = luaL_ref(L, -2);
  if (has_cb) {
    lua_pushvalue(L, 3);
    e->cb_ref = luaL_ref(L, -2);
  } else {
    e->cb_ref = LUA_NOREF;
  }
  lua_pop(L, 1);
  h->pending_bytes += len;
  return 0;
}

/* sock:_write(data[, cb[, syncCb]]) -> below, done. `below`: under the
 * high-water mark (Node's write() value); `done`: the kernel took it all
 * at once. With syncCb, such a write leaves its callback to the caller
 * (Node calls it at once when flushing writes made while connecting).
 * Errors are reported through the written hook, never raised. */
static int m_write(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  size_t len;
  const char *data = luaL_checklstring(L, 2, &len);
  int has_cb = !lua_isnoneornil(L, 3);
  int sync_cb = lua_toboolean(L, 4);
  int below;
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  lua_settop(L, 3);
  h->queued += len;
  h->bytes_written += len;
  net_stream_touch(h);
  if (h->inflight == 0 && h->npending == 0 && !(h->flags & NET_F_CORKED)) {
    int n = 0;
    if (len > 0) {
      uv_buf_t buf = uv_buf_init((char *)data, (unsigned int)len);
      h->write_calls++;
      n = uv_try_write(&h->u.stream, &buf, 1);
    }
    if (n == (int)len || (n < 0 && n != UV_EAGAIN && n != UV_ENOSYS)) {
      /* all written (or failed): report like a finished write, later */
      int done = n == (int)len;
      int cb_later = has_cb && !(done && sync_cb);
      h->queued -= len;
      /* as Node 20: measured after the kernel took its share */
      below = h->queued < h->hwm;
      if (!below) h->flags |= NET_F_NEED_DRAIN;
      if (!done || cb_later || (h->flags & NET_F_NEED_DRAIN)) {
        net_wentry e = {data, len, LUA_NOREF, LUA_NOREF};
        if (cb_later) {
          lua_getiuservalue(L, 1, 2);
          lua_pushvalue(L, 3);
          e.cb_ref = luaL_ref(L, -2);
          lua_pop(L, 1);
        }
        report_written(h, &e, 1, done ? 0 : n, 1);
      }
      lua_pushboolean(L, below);
      lua_pushboolean(L, done);
      return 2;
    }
    if (n > 0) {
      h->queued -= (size_t)n;
      data += n;
      len -= (size_t)n;
    }
    if (push_pending(L, h, data, len, has_cb) != 0) return luaL_error(L, "net: out of memory");
    submit_pending(h);
  } else {
    if (push_pending(L, h, data, len, has_cb) != 0) return luaL_error(L, "net: out of memory");
    if (h->inflight == 0 && !(h->flags & NET_F_CORKED)) submit_pending(h);
  }
  below = h->queued < h->hwm;
  if (!below) h->flags |= NET_F_NEED_DRAIN;
  lua_pushboolean(L, below);
  lua_pushboolean(L, 0);
  return 2;
}

/* sock:_needDrain(): the next time the queue empties, report it (for
 * writes Lua held while connecting that went past the high-water mark) */
static int m_need_drain(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  if (h != NULL) h->flags |= NET_F_NEED_DRAIN;
  return 0;
}

/* sock:_cork(on): while corked, writes wait and leave together */
static int m_cork(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  if (lua_toboolean(L, 2)) {
    h->flags |= NET_F_CORKED;
  } else {
    h->flags &= ~NET_F_CORKED;
    if (h->inflight == 0) submit_pending(h);
  }
  return 0;
}

/* sock:_takeDrain(): true once when a write() returned false and the
 * queue has since emptied (Node's needDrain) */
static int m_take_drain(lua_State *L) {
  net_obj *obj = net_obj_check(L, 1);
  net_handle *h = obj->h;
  int drain = h != NULL && (h->flags & NET_F_NEED_DRAIN) && h->queued == 0;
  if (drain) h->flags &= ~NET_F_NEED_DRAIN;
  lua_pushboolean(L, drain);
  return 1;
}

/* Writes never given to libuv, at close: their callbacks get `status`. */
void net_stream_release_writes(net_handle *h, int status) {
  if (h->npending == 0) return;
  size_t n = h->npending;
  h->queued -= h->pending_bytes;
  h->npending = h->pending_bytes = 0;
  report_written(h, h->pending, n, status, 0);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  net_report_status((net_handle *)req->data, NET_HOOK_SHUTDOWN, status, 0);
}

/* sock:_shutdown(): send FIN after every queued write; the shutdown hook
 * reports the result. Returns true, or nil and the libuv error. */
static int m_shutdown(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  int rc;
  h->flags &= ~NET_F_CORKED;
  submit_pending(h);
  h->shutdown_req.data = h;
  rc = uv_shutdown(&h->shutdown_req, &h->u.stream, on_shutdown);
  return net_push_uv_result(L, rc);
}

/* Counters and queue state, read by the Lua layer's getters. */
static int m_stats(lua_State *L) {
  net_obj *obj = net_obj_check(L, 1);
  net_handle *h = obj->h;
  lua_pushinteger(L, h ? (lua_Integer)h->bytes_read : 0);
  lua_pushinteger(L, h ? (lua_Integer)h->bytes_written : 0);
  lua_pushinteger(L, h ? (lua_Integer)h->queued : 0);
  lua_pushinteger(L, h ? (lua_Integer)h->write_calls : 0);
  return 4;
}

static int m_set_hwm(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  lua_Integer hwm = luaL_checkinteger(L, 2);
  h->hwm = hwm > 0 ? (size_t)hwm : 0;
  return 0;
}

/* sock:_setReadSize(n): reads deliver at most n bytes (1..64 KiB) */
static int m_set_read_size(lua_State *L) {
  net_handle *h = net_handle_check(L, 1);
  lua_Integer n = luaL_checkinteger(L, 2);
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  if (n < 1 || n > NET_READ_BUF_SIZE) n = NET_READ_BUF_SIZE;
  h->read_size = (size_t)n;
  return net_push_uv_result(L, 0);
}

static const luaL_Reg stream_methods[] = {
    {"_readStart", m_read_start},
    {"_readStop", m_read_stop},
    {"_setReadSize", m_set_read_size},
    {"_write", m_write},
    {"_cork", m_cork},
    {"_takeDrain", m_take_drain},
    {"_needDrain", m_need_drain},
    {"_shutdown", m_shutdown},
    {"_stats", m_stats},
    {"_setHighWaterMark", m_set_hwm},
    {"_setTimeout", m_set_timeout},
    {NULL, NULL},
};

void net_open_stream(lua_State *L) { net_class_add(L, NET_SOCKET_MT, stream_methods); }
