/* stream.c: a socket's stream state and the hot path, shared by TCP and
 * pipe sockets (core.stream).
 *
 * Writing: write() tries the kernel first (uv_try_write); what it cannot
 * take is queued without copying (the entry points into the Lua string,
 * which the object's refs table keeps alive). Writes made while connecting
 * wait in the same queue (HOLD) until the connection exists; while a
 * write is in flight, or while corked, new writes wait there too and go out
 * together as one uv_write (one writev). The queue, cork depth, needDrain,
 * the high-water mark and the byte counters live only here. The queue is
 * made by the first write that must wait and dropped when it is empty with
 * no write in flight.
 *
 * Reading: each read lands in the loop-wide buffer. While the consumer is
 * flowing and nothing is buffered, the chunk goes straight to the data
 * hook as one Lua string; otherwise it is appended to the socket's read
 * buffer (kept as bytes plus chunk lengths, so Node's chunking survives),
 * and reading stops once the buffer reaches the readable high-water mark,
 * to start again when the consumer takes it below. The buffer is made by
 * the first chunk that stays and dropped when the consumer empties it.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

typedef struct net_write_batch {
  uv_write_t req;
  net_handle *h;
  size_t n;
  size_t bytes;
  net_wentry entries[]; /* followed by n uv_buf_t */
} net_write_batch;

static int sock_connected(const net_sock *s) {
  const net_handle *h = s->base.h;
  return h != NULL && !(h->flags & (NET_H_CLOSING | NET_H_CONNECTING));
}

/* stream.setTimeout(sock, ms): 0 disables (idle.c) */
static int l_set_timeout(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  lua_Integer ms = luaL_checkinteger(L, 2);
  return net_push_uv_result(L, net_idle_set(L, s, ms > 0 ? (uint64_t)ms : 0));
}

/* --- the read buffer ----------------------------------------------------- */

/* With setEncoding (DECODE) the buffer holds decoded text, as UTF-8, where
 * Node's holds JavaScript strings: Node's readableLength, read(n) and the
 * high-water mark then count UTF-16 code units. A character of four bytes
 * is two units (a surrogate pair), any other one unit. */
static size_t utf16_units(const char *text, size_t len) {
  const unsigned char *p = (const unsigned char *)text;
  size_t units = 0;
  for (size_t i = 0; i < len; i++) {
    if ((p[i] & 0xC0) != 0x80) units += p[i] >= 0xF0 ? 2 : 1;
  }
  return units;
}

/* The bytes at the front of the buffer that hold `units` code units; a
 * character is never cut (a surrogate pair goes whole). */
static size_t units_to_bytes(const net_sock *s, size_t units) {
  const net_readbuf *rb = s->rb;
  const unsigned char *p;
  size_t i = 0, u = 0;
  if (rb == NULL) return 0;
  p = (const unsigned char *)rb->bytes + rb->off;
  while (u < units && i < rb->len) {
    u += p[i] >= 0xF0 ? 2 : 1;
    i++;
    while (i < rb->len && (p[i] & 0xC0) == 0x80) i++;
  }
  return i;
}

/* the bytes buffered (no buffer: none) */
static size_t buffered(const net_sock *s) {
  return s->rb != NULL ? s->rb->len : 0;
}

/* Node's readableLength: bytes, or code units of decoded text */
static size_t read_length(const net_sock *s) {
  if (s->rb == NULL) return 0;
  return (s->flags & NET_S_DECODE) ? s->rb->units : s->rb->len;
}

#define RBUF_MIN_CAP 16384

/* a read buffer for `cap` bytes, empty */
static net_readbuf *rbuf_new(size_t cap) {
  net_readbuf *rb = (net_readbuf *)malloc(offsetof(net_readbuf, bytes) + cap);
  if (rb == NULL) return NULL;
  rb->off = rb->len = 0;
  rb->cap = cap;
  rb->chunks = NULL;
  rb->chunk_head = rb->chunk_n = rb->chunk_cap = 0;
  rb->units = 0;
  return rb;
}

/* The buffer goes (emptied, or the socket is done with it). */
static void rbuf_drop(net_sock *s) {
  net_readbuf *rb = s->rb;
  if (rb == NULL) return;
  s->rb = NULL;
  free(rb->chunks);
  free(rb);
}

static int rbuf_append(net_sock *s, const char *data, size_t len) {
  net_readbuf *rb = s->rb;
  if (rb == NULL) {
    size_t cap = RBUF_MIN_CAP;
    while (cap < len) cap *= 2;
    rb = rbuf_new(cap);
    if (rb == NULL) return UV_ENOMEM;
    s->rb = rb;
  } else if (rb->off + rb->len + len > rb->cap) {
    if (rb->off > 0) {
      memmove(rb->bytes, rb->bytes + rb->off, rb->len);
      rb->off = 0;
    }
    if (rb->len + len > rb->cap) {
      size_t cap = rb->cap;
      while (cap < rb->len + len) cap *= 2;
      net_readbuf *p = (net_readbuf *)realloc(rb, offsetof(net_readbuf, bytes) + cap);
      if (p == NULL) return UV_ENOMEM;
      s->rb = rb = p;
      rb->cap = cap;
    }
  }
  if (rb->chunk_head + rb->chunk_n == rb->chunk_cap) {
    if (rb->chunk_head > 0) {
      memmove(rb->chunks, rb->chunks + rb->chunk_head, rb->chunk_n * sizeof(size_t));
      rb->chunk_head = 0;
    } else {
      size_t cap = rb->chunk_cap ? rb->chunk_cap * 2 : 8;
      size_t *p = (size_t *)realloc(rb->chunks, cap * sizeof(size_t));
      if (p == NULL) {
        if (rb->len == 0) rbuf_drop(s); /* just made: no buffer, not an empty one */
        return UV_ENOMEM;
      }
      rb->chunks = p;
      rb->chunk_cap = cap;
    }
  }
  memcpy(rb->bytes + rb->off + rb->len, data, len);
  rb->len += len;
  rb->chunks[rb->chunk_head + rb->chunk_n++] = len;
  return 0;
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
  net_handle *h = (net_handle *)handle->data;
  net_sock *s = (net_sock *)h->obj;
  (void)suggested;
  buf->base = h->nl->read_buf;
  buf->len = s != NULL ? s->read_size : NET_READ_BUF_SIZE;
}

static void stop_reading(net_handle *h) {
  if (h->flags & NET_H_READING) {
    /* uv_read_stop cannot fail on a stream (it returns 0 since 1.x) */
    (void)uv_read_stop(&h->u.stream);
    h->flags &= ~NET_H_READING;
  }
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  net_handle *h = (net_handle *)stream->data;
  net_loop *nl = h->nl;
  net_sock *s = (net_sock *)h->obj;
  lua_State *L = nl->L;
  if (nread == 0 || L == NULL || s == NULL) return;
  if (nread > 0) {
    s->bytes_read += (uint64_t)nread;
    net_idle_touch(s);
    int every_chunk = (s->flags & (NET_S_ONREAD | NET_S_DECODE)) != 0;
    if (every_chunk || (s->flowing == 1 && buffered(s) == 0)) {
      if (!every_chunk) {
        /* the hot path: flowing with nothing buffered. Node emits 'data'
         * straight away; one plain listener is called from here, none
         * means the chunk goes to nobody (as Node's emit), and anything
         * else goes through the hook and the emitter. */
        int found = net_push_data_listener(h);
        if (found == 0) return;
        if (found == 1) {
          lua_pushlstring(L, buf->base, (size_t)nread);
          net_call(nl, 1);
          return;
        }
      }
      net_push_hook(nl, NET_HOOK_DATA);
      if (!net_push_self(h)) {
        lua_pop(L, 1);
        return;
      }
      lua_pushlstring(L, buf->base, (size_t)nread);
      net_call(nl, 3);
      return;
    }
    if (rbuf_append(s, buf->base, (size_t)nread) != 0) {
      stop_reading(h);
      net_push_hook(nl, NET_HOOK_READERR);
      if (!net_push_self(h)) {
        lua_pop(L, 1);
        return;
      }
      lua_pushinteger(L, UV_ENOMEM);
      net_call(nl, 3);
      return;
    }
    if (read_length(s) >= s->rhwm) stop_reading(h);
    net_push_hook(nl, NET_HOOK_READABLE);
    if (!net_push_self(h)) {
      lua_pop(L, 1);
      return;
    }
    net_call(nl, 2);
    return;
  }
  /* EOF or error: libuv has stopped reading */
  stop_reading(h);
  s->flags |= NET_S_EOF;
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

static int start_reading(net_sock *s) {
  net_handle *h = s->base.h;
  int rc;
  if (!(s->flags & NET_S_WANT_READ) || (s->flags & (NET_S_EOF | NET_S_DESTROYED))) return 0;
  if (!sock_connected(s) || (h->flags & NET_H_READING)) return 0;
  if (read_length(s) >= s->rhwm && !(s->flags & NET_S_ONREAD)) return 0;
  rc = uv_read_start(&h->u.stream, on_alloc, on_read);
  if (rc == 0) h->flags |= NET_H_READING;
  return rc;
}

/* stream.readStart(sock): the consumer wants data (reading goes on while
 * the buffer is under the mark) */
static int l_read_start(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  s->flags |= NET_S_WANT_READ;
  return net_push_uv_result(L, start_reading(s));
}

/* stream.readStop(sock) */
static int l_read_stop(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  s->flags &= ~NET_S_WANT_READ;
  if (s->base.h != NULL && !(s->base.h->flags & NET_H_CLOSING)) stop_reading(s->base.h);
  return 0;
}

/* After the consumer took bytes: an emptied buffer goes; start again if
 * under the mark. */
static void after_take(lua_State *L, net_sock *s) {
  int rc;
  if (buffered(s) == 0) rbuf_drop(s);
  rc = start_reading(s);
  if (rc != 0) luaL_error(L, "net: read start failed: %s", uv_strerror(rc));
}

/* Drop n bytes off the front of the read buffer (n <= buffered), keeping
 * the chunk lengths and Node's length in step. */
static void drop_bytes(net_sock *s, size_t n) {
  net_readbuf *rb = s->rb;
  if (n == 0) return; /* (a count of 0 may come with no buffer) */
  if (s->flags & NET_S_DECODE) {
    size_t units = utf16_units(rb->bytes + rb->off, n);
    rb->units = units < rb->units ? rb->units - units : 0;
  }
  rb->off += n;
  rb->len -= n;
  while (n > 0) {
    size_t *first = &rb->chunks[rb->chunk_head];
    if (*first <= n) {
      n -= *first;
      rb->chunk_head++;
      rb->chunk_n--;
    } else {
      *first -= n;
      n = 0;
    }
  }
}

/* Take n bytes off the front of the read buffer (n <= buffered; the buffer
 * is not empty). */
static void take_bytes(lua_State *L, net_sock *s, size_t n) {
  lua_pushlstring(L, s->rb->bytes + s->rb->off, n);
  drop_bytes(s, n);
}

/* For framing.c (net.promises' receive), which cuts lines and counts out
 * of the buffer itself: drop what it took, and read on below the mark. */
void net_stream_consume(lua_State *L, net_sock *s, size_t n) {
  drop_bytes(s, n);
  after_take(L, s);
}

/* For framing.c: the bytes at the front holding `len` of Node's length
 * (code units with setEncoding, else bytes). */
size_t net_stream_front_bytes(const net_sock *s, size_t len) {
  return (s->flags & NET_S_DECODE) ? units_to_bytes(s, len) : len;
}

/* For framing.c: a call waits for more than is buffered (a line or a
 * count longer than the mark): read on even at or above the mark. The
 * read callback stops again after each chunk there, so the buffer grows
 * only while such a call asks. 0 or a libuv error. */
int net_stream_read_more(net_sock *s) {
  net_handle *h = s->base.h;
  int rc;
  s->flags |= NET_S_WANT_READ;
  if (s->flags & (NET_S_EOF | NET_S_DESTROYED)) return 0;
  if (!sock_connected(s) || (h->flags & NET_H_READING)) return 0;
  rc = uv_read_start(&h->u.stream, on_alloc, on_read);
  if (rc == 0) h->flags |= NET_H_READING;
  return rc;
}

/* stream.takeChunk(sock) -> the first buffered chunk, or nil */
static int l_take_chunk(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  if (buffered(s) == 0) return 0;
  take_bytes(L, s, s->rb->chunks[s->rb->chunk_head]);
  after_take(L, s);
  return 1;
}

/* stream.take(sock[, n]) -> n bytes (all without n), or nil if fewer are
 * buffered; with setEncoding, n counts code units (read_length) */
static int l_take(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  size_t n = buffered(s);
  if (!lua_isnoneornil(L, 2)) {
    lua_Integer want = luaL_checkinteger(L, 2);
    if (want < 0 || (size_t)want > read_length(s)) return 0;
    n = (s->flags & NET_S_DECODE) ? units_to_bytes(s, (size_t)want) : (size_t)want;
  }
  if (buffered(s) == 0) return 0;
  take_bytes(L, s, n);
  after_take(L, s);
  return 1;
}

/* stream.unshift(sock, data): put bytes back at the front (Node's unshift) */
static int l_unshift(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  size_t len;
  const char *data = luaL_checklstring(L, 2, &len);
  const net_readbuf *old = s->rb;
  size_t had = buffered(s), chunks = old != NULL ? old->chunk_n : 0;
  net_readbuf *nb;
  size_t *nc;
  if (len == 0) return 0;
  nb = rbuf_new(had + len > RBUF_MIN_CAP ? had + len : RBUF_MIN_CAP);
  nc = (size_t *)malloc((chunks + 1 + 8) * sizeof(size_t));
  if (nb == NULL || nc == NULL) {
    free(nb);
    free(nc);
    return luaL_error(L, "net: out of memory");
  }
  memcpy(nb->bytes, data, len);
  if (had > 0) memcpy(nb->bytes + len, old->bytes + old->off, had);
  nc[0] = len;
  if (chunks > 0) memcpy(nc + 1, old->chunks + old->chunk_head, chunks * sizeof(size_t));
  nb->len = had + len;
  nb->chunks = nc;
  nb->chunk_cap = chunks + 1 + 8;
  nb->chunk_n = chunks + 1;
  nb->units = old != NULL ? old->units : 0;
  if (s->flags & NET_S_DECODE) nb->units += utf16_units(data, len);
  rbuf_drop(s);
  s->rb = nb;
  return 0;
}

/* stream.setFlowing(sock, true|false|nil) */
static int l_set_flowing(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  s->flowing = lua_isnoneornil(L, 2) ? -1 : lua_toboolean(L, 2);
  return 0;
}

/* stream.push(sock, text): Lua adds decoded text to the read buffer
 * (setEncoding); reading stops at the mark as for raw chunks */
static int l_push(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  size_t len;
  const char *data = luaL_checklstring(L, 2, &len);
  if (len == 0) return 0;
  if (rbuf_append(s, data, len) != 0) return luaL_error(L, "net: out of memory");
  if (s->flags & NET_S_DECODE) s->rb->units += utf16_units(data, len);
  if (read_length(s) >= s->rhwm && s->base.h != NULL && !(s->base.h->flags & NET_H_CLOSING)) {
    stop_reading(s->base.h);
  }
  return 0;
}

/* stream.setDecode(sock, on): every chunk goes to the data hook, which
 * decodes it and pushes the text back */
static int l_set_decode(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  if (lua_toboolean(L, 2)) {
    if (!(s->flags & NET_S_DECODE) && buffered(s) > 0) {
      s->rb->units = utf16_units(s->rb->bytes + s->rb->off, s->rb->len);
    }
    s->flags |= NET_S_DECODE;
  } else {
    s->flags &= ~NET_S_DECODE;
  }
  return 0;
}

/* stream.setOnread(sock, on[, size]): every chunk to the data hook, read
 * `size` bytes at most (1..64 KiB) */
static int l_set_onread(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  if (lua_toboolean(L, 2)) {
    s->flags |= NET_S_ONREAD;
  } else {
    s->flags &= ~NET_S_ONREAD;
  }
  if (!lua_isnoneornil(L, 3)) {
    lua_Integer n = luaL_checkinteger(L, 3);
    s->read_size = n < 1 || n > NET_READ_BUF_SIZE ? NET_READ_BUF_SIZE : (size_t)n;
  }
  return 0;
}

/* --- writing ----------------------------------------------------------- */

/* Call the written hook with (sock, st, errno|nil, cbs|nil, drain, unsent),
 * now or deferred to the tick queue. Callbacks are taken out of the refs
 * table. `drain`: a write() returned false and the queue is now empty, and
 * the stream is neither ending nor destroyed: Node's 'drain'. */
/* Node's afterWrite test: 'drain' is due (and the flag is spent) */
static int take_drain(net_sock *s) {
  if ((s->flags & NET_S_NEED_DRAIN) && s->queued == 0 &&
      !(s->flags & (NET_S_ENDED | NET_S_DESTROYED))) {
    s->flags &= ~NET_S_NEED_DRAIN;
    return 1;
  }
  return 0;
}

static void report_written(net_sock *s, net_loop *nl, net_wentry *entries, size_t n,
                           int status, int deferred, int unsent) {
  lua_State *L = nl->L;
  net_handle *h = s->base.h;
  int any_cb = 0, drain = 0;
  if (L == NULL) return;
  /* unsent < 0: the caller reports 'drain' itself */
  if (status == 0 && unsent == 0) drain = take_drain(s);
  if (unsent < 0) unsent = 0;
  net_push_hook(nl, NET_HOOK_WRITTEN);
  if (h == NULL || !net_push_self(h)) {
    lua_pop(L, 1);
    return;
  }
  int self = lua_gettop(L) - 1;
  net_push_refs(L, self);
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
  lua_pushboolean(L, drain);
  lua_pushboolean(L, unsent);
  if (!any_cb && status >= 0 && !drain) {
    lua_pop(L, 7);
    return;
  }
  if (deferred) {
    net_tick_push(nl, 6);
  } else {
    net_call(nl, 6);
  }
}

static void submit_pending(net_sock *s);

/* writes waiting in the queue (no queue: none) */
static size_t pending_count(const net_sock *s) {
  return s->wq != NULL ? s->wq->n : 0;
}

/* The queue goes once it is empty with no write in flight: the write side
 * is idle. While a write is in flight it stays, as the next writes will
 * likely wait behind it. */
static void release_idle_queue(net_sock *s) {
  net_wqueue *q = s->wq;
  if (q == NULL || q->n > 0 || (s->base.h != NULL && s->base.h->inflight > 0)) return;
  s->wq = NULL;
  free(q);
}

static void on_write(uv_write_t *req, int status) {
  net_write_batch *b = (net_write_batch *)req->data;
  net_handle *h = b->h;
  net_sock *s = (net_sock *)h->obj;
  int behind = 0;
  /* libuv completes batches in order: this one was behind another unless
   * a first one (Node's write in flight) is still counted */
  h->inflight--;
  if (h->inflight < h->inflight_behind) {
    h->inflight_behind--;
    behind = 1;
  } else if (status == 0 && h->inflight_behind > 0) {
    h->inflight_behind--; /* the next batch is now the one in flight */
  }
  if (s != NULL && s->base.h == h) {
    s->queued -= b->bytes;
    if (status == 0) net_idle_touch(s); /* Node's kUpdateTimer after a write */
    /* keep the kernel busy first: what queued up meanwhile goes out now */
    if (status == 0 && s->corked == 0) submit_pending(s);
    release_idle_queue(s);
    /* a batch that never became the write in flight fails as Node's
     * buffered writes do (unsent: the error the stream was destroyed with) */
    report_written(s, h->nl, b->entries, b->n, status, 0, behind && status < 0);
  }
  free(b);
}

/* Give every pending write to libuv as one batch. */
static void submit_pending(net_sock *s) {
  net_handle *h = s->base.h;
  net_wqueue *q = s->wq;
  size_t n = pending_count(s);
  net_write_batch *b;
  uv_buf_t *bufs;
  int rc;
  if (n == 0 || !sock_connected(s) || (s->flags & NET_S_HOLD)) return;
  b = (net_write_batch *)malloc(sizeof(*b) + n * (sizeof(net_wentry) + sizeof(uv_buf_t)));
  if (b == NULL) {
    /* the writes fail, and the queue goes with them */
    s->wq = NULL;
    s->queued -= q->bytes;
    report_written(s, h->nl, q->entries, n, UV_ENOMEM, 1, 0);
    free(q);
    return;
  }
  bufs = (uv_buf_t *)(b->entries + n);
  b->h = h;
  b->n = n;
  b->bytes = q->bytes;
  b->req.data = b;
  memcpy(b->entries, q->entries, n * sizeof(net_wentry));
  for (size_t i = 0; i < n; i++) {
    bufs[i] = uv_buf_init((char *)b->entries[i].base, (unsigned int)b->entries[i].len);
  }
  q->n = q->bytes = 0;
  s->write_calls++;
  rc = uv_write(&b->req, &h->u.stream, bufs, (unsigned int)n, on_write);
  if (rc != 0) {
    s->queued -= b->bytes;
    release_idle_queue(s);
    report_written(s, h->nl, b->entries, n, rc, 1, 0);
    free(b);
    return;
  }
  if (h->inflight > 0) h->inflight_behind++;
  h->inflight++;
  net_idle_note_queue(s);
}

/* Queue (data at index 2, cb at index 3 if has_cb) of the current call;
 * base/len may point past bytes the kernel already took. */
static int push_pending(lua_State *L, net_sock *s, const char *base, size_t len, int has_cb) {
  net_wqueue *q = s->wq;
  if (q == NULL || q->n == q->cap) {
    size_t cap = q != NULL ? q->cap * 2 : 4;
    net_wqueue *p =
        (net_wqueue *)realloc(q, offsetof(net_wqueue, entries) + cap * sizeof(net_wentry));
    if (p == NULL) return UV_ENOMEM;
    if (q == NULL) p->n = p->bytes = 0;
    p->cap = cap;
    s->wq = q = p;
  }
  net_wentry *e = &q->entries[q->n++];
  net_push_refs(L, 1);
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
  q->bytes += len;
  return 0;
}

/* stream.write(sock, data[, cb]) -> below | nil
 * nil: the write is not C's to take (the socket ended, was destroyed, or
 * has no connection and is not connecting): the Lua layer applies Node's
 * rule for that case. Otherwise the write is accepted and `below` is
 * Node's write() value. Failures are reported through the written hook. */
/* The write itself; stack: sock, data (a string), cb or none. Returns 0
 * (nothing pushed, nothing changed) when the socket cannot take it. */
static int write_string(lua_State *L, net_sock *s) {
  net_handle *h = s->base.h;
  size_t len;
  const char *data = lua_tolstring(L, 2, &len);
  int has_cb = !lua_isnoneornil(L, 3);
  if (s->flags & (NET_S_ENDED | NET_S_DESTROYED)) return 0;
  if (!(s->flags & NET_S_HOLD) && (h == NULL || (h->flags & NET_H_CLOSING))) return 0;
  lua_settop(L, 3);
  s->queued += len;
  s->bytes_written += len;
  if (s->flags & NET_S_HOLD) {
    if (push_pending(L, s, data, len, has_cb) != 0) return luaL_error(L, "net: out of memory");
    if (s->queued >= s->whwm) s->flags |= NET_S_NEED_DRAIN;
    lua_pushboolean(L, s->queued < s->whwm);
    return 1;
  }
  net_idle_touch(s);
  if (h->inflight == 0 && pending_count(s) == 0 && s->corked == 0) {
    int n = 0;
    if (len > 0) {
      uv_buf_t buf = uv_buf_init((char *)data, (unsigned int)len);
      s->write_calls++;
      n = uv_try_write(&h->u.stream, &buf, 1);
    }
    if (n == (int)len || (n < 0 && n != UV_EAGAIN && n != UV_ENOSYS)) {
      /* all written (or failed): reported like a finished write, later */
      int done = n == (int)len;
      s->queued -= len;
      /* as Node 20: measured after the kernel took its share */
      if (s->queued >= s->whwm) s->flags |= NET_S_NEED_DRAIN;
      if (!done || has_cb || (s->flags & NET_S_NEED_DRAIN)) {
        net_wentry e = {data, len, LUA_NOREF, LUA_NOREF};
        net_push_refs(L, 1);
        lua_pushvalue(L, 2);
        e.data_ref = luaL_ref(L, -2);
        if (has_cb) {
          lua_pushvalue(L, 3);
          e.cb_ref = luaL_ref(L, -2);
        }
        lua_pop(L, 1);
        report_written(s, h->nl, &e, 1, done ? 0 : n, 1, 0);
      }
      lua_pushboolean(L, s->queued < s->whwm);
      return 1;
    }
    if (n > 0) {
      s->queued -= (size_t)n;
      data += n;
      len -= (size_t)n;
    }
    if (push_pending(L, s, data, len, has_cb) != 0) return luaL_error(L, "net: out of memory");
    submit_pending(s);
  } else {
    if (push_pending(L, s, data, len, has_cb) != 0) return luaL_error(L, "net: out of memory");
    if (h->inflight == 0 && s->corked == 0) submit_pending(s);
  }
  if (s->queued >= s->whwm) s->flags |= NET_S_NEED_DRAIN;
  lua_pushboolean(L, s->queued < s->whwm);
  return 1;
}

static int l_write(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  luaL_checklstring(L, 2, NULL);
  return write_string(L, s);
}

/* Socket.write(sock, data[, enc][, cb]) (upvalue 2: the Lua rules, called
 * with the same arguments for anything but the common case: a string, no
 * encoding, no callback, the socket connected and writable). */
static int write_method(lua_State *L) {
  net_sock *s;
  if ((lua_gettop(L) == 2 || (lua_isnoneornil(L, 3) && lua_isnoneornil(L, 4))) &&
      lua_type(L, 2) == LUA_TSTRING && (s = net_sock_test(L, 1)) != NULL &&
      !(s->flags & NET_S_HOLD)) {
    int n;
    lua_settop(L, 2);
    n = write_string(L, s);
    if (n > 0) return n;
  }
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

/* stream.makeWrite(rules) -> Socket.write, written in C for the common
 * case (a method call costs no Lua frame); `rules` does the rest */
static int l_make_write(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_pushcclosure(L, write_method, 2);
  return 1;
}

/* Try to write every pending entry now (one writev). Entries the kernel
 * took whole are reported as done (from the tick queue); what is left is
 * trimmed and waits for submit_pending. */
static void try_pending(net_sock *s) {
  net_handle *h = s->base.h;
  net_wqueue *q = s->wq;
  uv_buf_t small[16], *bufs = small;
  size_t n = pending_count(s), done = 0;
  int w;
  if (n == 0) return;
  if (n > 16) {
    bufs = (uv_buf_t *)malloc(n * sizeof(uv_buf_t));
    if (bufs == NULL) return;
  }
  for (size_t i = 0; i < n; i++) {
    bufs[i] = uv_buf_init((char *)q->entries[i].base, (unsigned int)q->entries[i].len);
  }
  s->write_calls++;
  w = uv_try_write(&h->u.stream, bufs, (unsigned int)n);
  if (bufs != small) free(bufs);
  if (w <= 0) return;
  s->queued -= (size_t)w;
  q->bytes -= (size_t)w;
  while (done < n && (size_t)w >= q->entries[done].len) {
    w -= (int)q->entries[done].len;
    done++;
  }
  if (done < n && w > 0) {
    q->entries[done].base += w;
    q->entries[done].len -= (size_t)w;
  }
  if (done > 0) {
    net_wentry *gone = (net_wentry *)malloc(done * sizeof(net_wentry));
    if (gone == NULL) {
      /* keep them as empty writes: they complete with the rest */
      for (size_t i = 0; i < done; i++) q->entries[i].len = 0;
      return;
    }
    memcpy(gone, q->entries, done * sizeof(net_wentry));
    memmove(q->entries, q->entries + done, (n - done) * sizeof(net_wentry));
    q->n -= done;
    report_written(s, h->nl, gone, done, 0, 1, -1);
    free(gone);
  }
}

/* stream.flush(sock) -> cb|nil, drain: the connection is made; the writes
 * held while connecting leave as Node's 'connect' listener writes them:
 * the first on its own, the rest as one batch. When the kernel takes the
 * first whole, its callback is returned (to run at once), with `drain`
 * when the rest went too and 'drain' is due: Node's afterWrite of the
 * first write, which runs after the rest were written. */
static int l_flush(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  net_handle *h = s->base.h;
  net_wqueue *q;
  int first_done = 0;
  if (!(s->flags & NET_S_HOLD)) return 0;
  s->flags &= ~NET_S_HOLD;
  if (!sock_connected(s) || pending_count(s) == 0) return 0;
  lua_settop(L, 1);
  net_push_refs(L, 1);
  lua_pushnil(L); /* slot 3: the first write's callback */
  if (s->corked == 0 && h->inflight == 0) {
    net_wentry first = s->wq->entries[0];
    uv_buf_t buf = uv_buf_init((char *)first.base, (unsigned int)first.len);
    int n = 0;
    if (first.len > 0) {
      s->write_calls++;
      n = uv_try_write(&h->u.stream, &buf, 1);
    }
    if (n == (int)first.len) {
      first_done = 1;
      luaL_unref(L, 2, first.data_ref);
      if (first.cb_ref != LUA_NOREF) {
        lua_rawgeti(L, 2, first.cb_ref);
        lua_replace(L, 3);
        luaL_unref(L, 2, first.cb_ref);
      }
      s->queued -= first.len;
      q = s->wq;
      q->bytes -= first.len;
      memmove(q->entries, q->entries + 1, (q->n - 1) * sizeof(net_wentry));
      q->n--;
      try_pending(s);
    } else if (n > 0) {
      q = s->wq;
      s->queued -= (size_t)n;
      q->bytes -= (size_t)n;
      q->entries[0].base += n;
      q->entries[0].len -= (size_t)n;
    }
    submit_pending(s);
    release_idle_queue(s);
  }
  lua_pushboolean(L, first_done && take_drain(s));
  return 2;
}

/* stream.hold(sock): connect() began: writes wait for the connection */
static int l_hold(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  s->flags |= NET_S_HOLD;
  return 0;
}

/* stream.touch(sock): activity for the idle timer (the lookup answered) */
static int l_touch(lua_State *L) {
  net_idle_touch_at(L, net_sock_check(L, 1), 1);
  return 0;
}

/* stream.connected(sock) -> held: the connection is made; with no write
 * held, writes go straight out from now on; else they wait for flush() */
static int l_connected(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  if (pending_count(s) == 0) s->flags &= ~NET_S_HOLD;
  lua_pushboolean(L, (s->flags & NET_S_HOLD) != 0);
  return 1;
}

/* stream.cork(sock) / stream.uncork(sock[, all]) -> depth */
static int l_cork(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  s->corked++;
  lua_pushinteger(L, (lua_Integer)s->corked);
  return 1;
}

static int l_uncork(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  if (lua_toboolean(L, 2)) {
    s->corked = 0;
  } else if (s->corked > 0) {
    s->corked--;
  }
  if (s->corked == 0 && sock_connected(s) && s->base.h->inflight == 0) submit_pending(s);
  lua_pushinteger(L, (lua_Integer)s->corked);
  return 1;
}

/* The handle closed (or the socket is destroyed without one): writes never
 * given to libuv are released; their callbacks reach the written hook with
 * `unsent` set. Called with the handle still attached. */
void net_stream_closed(net_sock *s, int status) {
  net_handle *h = s->base.h;
  net_wqueue *q = s->wq;
  /* writes held for a connection wait for the next attempt's handle */
  if (q == NULL || h == NULL || (s->flags & NET_S_HOLD)) return;
  /* the queue goes first: the written hook may write again */
  s->wq = NULL;
  if (q->n > 0) {
    s->queued -= q->bytes;
    report_written(s, h->nl, q->entries, q->n, status, 0, 1);
  }
  free(q);
}

/* The socket is collected: the write queue and the read buffer go. */
void net_sock_free_buffers(net_sock *s) {
  free(s->wq);
  s->wq = NULL;
  rbuf_drop(s);
}

/* stream.destroy(sock) -> cbs|nil: the socket is destroyed; writes still
 * held for a connection that will never come are dropped and their
 * callbacks returned (the Lua layer gives them Node's error). */
static int l_destroy(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  int any = 0;
  s->flags |= NET_S_DESTROYED;
  s->flags &= ~NET_S_NEED_DRAIN;
  net_idle_stop(s);
  if (!(s->flags & NET_S_HOLD)) return 0;
  s->flags &= ~NET_S_HOLD;
  lua_settop(L, 1);
  net_push_refs(L, 1);
  lua_newtable(L);
  for (size_t i = 0; i < pending_count(s); i++) {
    const net_wentry *e = &s->wq->entries[i];
    luaL_unref(L, 2, e->data_ref);
    if (e->cb_ref != LUA_NOREF) {
      lua_rawgeti(L, 2, e->cb_ref);
      luaL_unref(L, 2, e->cb_ref);
      lua_rawseti(L, 3, ++any);
    }
  }
  if (s->wq != NULL) {
    s->queued -= s->wq->bytes;
    free(s->wq);
    s->wq = NULL;
  }
  return any ? 1 : 0;
}

/* stream.reset(sock): a closed socket is connected again (Node's
 * _undestroy): the stream state starts afresh; counters are kept */
static int l_reset(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  s->flags &= NET_S_ONREAD | NET_S_DECODE;
  s->bytes_read = s->bytes_written = 0;
  s->corked = 0;
  rbuf_drop(s);
  return 0;
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  net_handle *h = (net_handle *)req->data;
  free(req);
  net_report_status(h, NET_HOOK_SHUTDOWN, status, 0);
}

/* stream.finish(sock): end() was called: no more writes are taken. */
static int l_finish(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  s->flags |= NET_S_ENDED;
  return 0;
}

/* stream.shutdown(sock): send FIN after every queued write; the shutdown
 * hook reports the result. true, or nil and the libuv error. */
static int l_shutdown(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  net_handle *h = net_handle_of(L, 1);
  int rc;
  if (h == NULL) return net_push_uv_result(L, UV_EBADF);
  if (s->flags & NET_S_SHUTDOWN) return net_push_uv_result(L, 0);
  s->flags |= NET_S_ENDED | NET_S_SHUTDOWN;
  s->corked = 0;
  /* everything queued goes to libuv now: it orders the FIN after it */
  submit_pending(s);
  uv_shutdown_t *req = (uv_shutdown_t *)malloc(sizeof(uv_shutdown_t));
  if (req == NULL) return net_push_uv_result(L, UV_ENOMEM);
  req->data = h;
  rc = uv_shutdown(req, &h->u.stream, on_shutdown);
  if (rc != 0) free(req);
  return net_push_uv_result(L, rc);
}

/* --- state reads ---------------------------------------------------------- */

/* stream.stats(sock) -> bytesRead, bytesWritten, writableLength, writeCalls */
static int l_stats(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  lua_pushinteger(L, (lua_Integer)s->bytes_read);
  lua_pushinteger(L, (lua_Integer)s->bytes_written);
  lua_pushinteger(L, (lua_Integer)s->queued);
  lua_pushinteger(L, (lua_Integer)s->write_calls);
  return 4;
}

/* stream.state(sock, name) -> the value of one piece of C-held state */
static int l_state(lua_State *L) {
  static const char *const names[] = {
      "destroyed", "ended",   "needDrain", "corked",    "flowing", "readableLength",
      "eof",       "writableHighWaterMark", "readableHighWaterMark", "writableLength",
      "reading",   "timeout", NULL};
  net_sock *s = net_sock_check(L, 1);
  switch (luaL_checkoption(L, 2, NULL, names)) {
    case 0: lua_pushboolean(L, s->flags & NET_S_DESTROYED); break;
    case 1: lua_pushboolean(L, s->flags & NET_S_ENDED); break;
    case 2: lua_pushboolean(L, s->flags & NET_S_NEED_DRAIN); break;
    case 3: lua_pushinteger(L, (lua_Integer)s->corked); break;
    case 4:
      if (s->flowing < 0) {
        lua_pushnil(L);
      } else {
        lua_pushboolean(L, s->flowing);
      }
      break;
    case 5: lua_pushinteger(L, (lua_Integer)read_length(s)); break;
    case 6: lua_pushboolean(L, s->flags & NET_S_EOF); break;
    case 7: lua_pushinteger(L, (lua_Integer)s->whwm); break;
    case 8: lua_pushinteger(L, (lua_Integer)s->rhwm); break;
    case 9: lua_pushinteger(L, (lua_Integer)s->queued); break;
    case 10: lua_pushboolean(L, s->base.h != NULL && (s->base.h->flags & NET_H_READING)); break;
    default: lua_pushinteger(L, (lua_Integer)net_idle_timeout(s)); break;
  }
  return 1;
}

/* stream.flowing(sock), stream.readableLength(sock),
 * stream.readableHighWaterMark(sock): what the readable rules ask most
 * often, each without the name lookup of stream.state */
static int l_flowing(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  if (s->flowing < 0) return 0;
  lua_pushboolean(L, s->flowing);
  return 1;
}

static int l_readable_length(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  lua_pushinteger(L, (lua_Integer)read_length(s));
  return 1;
}

static int l_readable_hwm(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)net_sock_check(L, 1)->rhwm);
  return 1;
}

/* stream.readState(sock) -> readableLength, readableHighWaterMark,
 * flowing (nil, false or true), destroyed: what Node's read() looks at,
 * in one call */
static int l_read_state(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  lua_pushinteger(L, (lua_Integer)read_length(s));
  lua_pushinteger(L, (lua_Integer)s->rhwm);
  if (s->flowing < 0) {
    lua_pushnil(L);
  } else {
    lua_pushboolean(L, s->flowing);
  }
  lua_pushboolean(L, s->flags & NET_S_DESTROYED);
  return 4;
}

/* stream.canWrite(sock): neither destroyed nor ended (the part of Node's
 * `writable` that C holds) */
static int l_can_write(lua_State *L) {
  lua_pushboolean(L, !(net_sock_check(L, 1)->flags & (NET_S_DESTROYED | NET_S_ENDED)));
  return 1;
}

/* stream.isDestroyed(sock), stream.isEnded(sock): the two flags every
 * rule of the Lua layer asks about, without a name lookup */
static int l_is_destroyed(lua_State *L) {
  lua_pushboolean(L, net_sock_check(L, 1)->flags & NET_S_DESTROYED);
  return 1;
}

static int l_is_ended(lua_State *L) {
  lua_pushboolean(L, net_sock_check(L, 1)->flags & NET_S_ENDED);
  return 1;
}

/* stream.setDestroyed(sock, v): Node's `destroyed` setter (state only) */
static int l_set_destroyed(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  if (lua_toboolean(L, 2)) {
    s->flags |= NET_S_DESTROYED;
  } else {
    s->flags &= ~NET_S_DESTROYED;
  }
  return 0;
}

/* stream.setHighWaterMarks(sock, readable|nil, writable|nil) */
static int l_set_hwm(lua_State *L) {
  net_sock *s = net_sock_check(L, 1);
  if (!lua_isnoneornil(L, 2)) {
    lua_Integer v = luaL_checkinteger(L, 2);
    s->rhwm = v > 0 ? (size_t)v : 0;
  }
  if (!lua_isnoneornil(L, 3)) {
    lua_Integer v = luaL_checkinteger(L, 3);
    s->whwm = v > 0 ? (size_t)v : 0;
  }
  return 0;
}

static const luaL_Reg stream_funcs[] = {
    {"makeWrite", l_make_write},
    {"readState", l_read_state},
    {"canWrite", l_can_write},
    {"readStart", l_read_start},
    {"readStop", l_read_stop},
    {"take", l_take},
    {"takeChunk", l_take_chunk},
    {"unshift", l_unshift},
    {"setFlowing", l_set_flowing},
    {"setOnread", l_set_onread},
    {"push", l_push},
    {"setDecode", l_set_decode},
    {"write", l_write},
    {"flush", l_flush},
    {"hold", l_hold},
    {"connected", l_connected},
    {"touch", l_touch},
    {"cork", l_cork},
    {"uncork", l_uncork},
    {"destroy", l_destroy},
    {"reset", l_reset},
    {"finish", l_finish},
    {"shutdown", l_shutdown},
    {"stats", l_stats},
    {"state", l_state},
    {"setDestroyed", l_set_destroyed},
    {"isDestroyed", l_is_destroyed},
    {"flowing", l_flowing},
    {"readableLength", l_readable_length},
    {"readableHighWaterMark", l_readable_hwm},
    {"isEnded", l_is_ended},
    {"setHighWaterMarks", l_set_hwm},
    {"setTimeout", l_set_timeout},
    {NULL, NULL},
};

void net_open_stream(lua_State *L) { net_internal(L, "stream", stream_funcs); }
