/* idle.c: a socket's idle timeout (setTimeout), Node's socket timer.
 *
 * The timer belongs to the socket, not to a connection handle: it runs
 * from the moment the socket starts connecting (the lookup and every
 * connect attempt included, whichever handle is current) and survives a
 * handle being replaced. It is made only when setTimeout asks for one.
 *
 * Activity is a time stamp on the hot path (net_idle_touch); the libuv
 * timer is re-armed lazily when it fires early. When it fires with bytes
 * still queued to the kernel, progress since the last check (the queue
 * size changed) counts as activity, as Node's _onTimeout does with
 * kLastWriteQueueSize: a slow but steady reader keeps the socket alive.
 */
#include <stdlib.h>

#include "net.h"

struct net_idle {
  uv_timer_t timer;
  net_link link;
  net_loop *nl;
  net_sock *s;       /* NULL once the socket is collected */
  uint64_t timeout_ms; /* the period, 0 = none (setTimeout(0) keeps the timer) */
  int obj_ref;       /* the socket, while armed: the callback reaches it */
  int armed;
  int closing;
  uint64_t last_active;
  size_t last_queue; /* libuv's write queue size at the last check */
};

static void release_ref(net_idle *t) {
  if (t->obj_ref != LUA_NOREF && t->nl->L != NULL) {
    luaL_unref(t->nl->L, LUA_REGISTRYINDEX, t->obj_ref);
  }
  t->obj_ref = LUA_NOREF;
}

static void on_closed(uv_handle_t *handle) {
  net_idle *t = (net_idle *)handle->data;
  net_link_remove(t->nl, &t->link);
  if (t->s != NULL) t->s->idle = NULL;
  release_ref(t);
  free(t);
}

static void idle_close(net_idle *t) {
  if (t->closing) return;
  t->closing = 1;
  t->armed = 0;
  uv_close((uv_handle_t *)&t->timer, on_closed);
}

static void close_link(net_link *link) {
  idle_close((net_idle *)((char *)link - offsetof(net_idle, link)));
}

static const net_link_kind idle_link_kind = {
    close_link, (ptrdiff_t)offsetof(net_idle, timer) - (ptrdiff_t)offsetof(net_idle, link)};

static size_t queue_size(net_sock *s) {
  net_handle *h = s->base.h;
  if (h == NULL || (h->flags & NET_H_CLOSING)) return 0;
  return uv_stream_get_write_queue_size(&h->u.stream);
}

static void on_timer(uv_timer_t *timer) {
  net_idle *t = (net_idle *)timer->data;
  net_sock *s = t->s;
  net_loop *nl = t->nl;
  lua_State *L = nl->L;
  uint64_t idle;
  size_t queued;
  if (s == NULL || t->timeout_ms == 0 || L == NULL) {
    t->armed = 0;
    release_ref(t);
    return;
  }
  idle = uv_now(nl->loop) - t->last_active;
  if (idle < t->timeout_ms &&
      uv_timer_start(timer, on_timer, t->timeout_ms - idle, 0) == 0) {
    return; /* activity since it was armed: wait for the rest */
  }
  queued = queue_size(s);
  if (t->last_queue > 0 && queued != t->last_queue) {
    /* a write in progress: no timeout, as Node */
    t->last_queue = queued;
    t->last_active = uv_now(nl->loop);
    if (uv_timer_start(timer, on_timer, t->timeout_ms, 0) == 0) return;
  }
  t->armed = 0;
  if (t->obj_ref == LUA_NOREF) return; /* armed with no way to reach the socket */
  lua_rawgeti(L, LUA_REGISTRYINDEX, t->obj_ref);
  release_ref(t);
  net_push_hook(nl, NET_HOOK_TIMEOUT);
  lua_insert(L, -2);
  net_push_private(L, -1);
  net_call(nl, 2);
}

/* Arm from now if a timeout is set; the socket at obj_idx of L's stack
 * (when L is given) is held by the timer while it is armed. */
static void arm(net_idle *t, lua_State *L, int obj_idx) {
  t->last_active = uv_now(t->nl->loop);
  if (t->armed || t->closing || t->timeout_ms == 0) return;
  if (uv_timer_start(&t->timer, on_timer, t->timeout_ms, 0) != 0) return;
  t->armed = 1;
  if (t->obj_ref == LUA_NOREF && L != NULL && obj_idx != 0) {
    lua_pushvalue(L, obj_idx);
    t->obj_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
}

void net_idle_touch(net_sock *s) {
  net_idle *t = s->idle;
  if (t == NULL || t->timeout_ms == 0) return;
  /* activity happens now, not when this loop turn began: a long callback
   * (a big write built first) must not count as idle time (Node's
   * refresh reads an updated loop time too) */
  uv_update_time(t->nl->loop);
  if (t->armed) {
    t->last_active = uv_now(t->nl->loop);
    return;
  }
  /* re-armed after it fired: the socket is pinned by its open handle or
   * by the call under way, and the timer takes its own reference */
  if (s->base.h != NULL && s->base.h->self_ref != LUA_NOREF && t->nl->L != NULL) {
    lua_State *L = t->nl->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->base.h->self_ref);
    arm(t, L, lua_gettop(L));
    lua_pop(L, 1);
  } else {
    arm(t, NULL, 0);
  }
}

/* Activity seen by a call that has the socket at obj_idx of L's stack. */
void net_idle_touch_at(lua_State *L, net_sock *s, int obj_idx) {
  net_idle *t = s->idle;
  if (t == NULL || t->timeout_ms == 0 || (s->flags & NET_S_DESTROYED)) return;
  uv_update_time(t->nl->loop);
  if (t->armed) {
    t->last_active = uv_now(t->nl->loop);
    return;
  }
  arm(t, L, obj_idx);
}

void net_idle_note_queue(net_sock *s) {
  if (s->idle != NULL) s->idle->last_queue = queue_size(s);
}

/* The socket is destroyed: the timer stops (it is kept for a reconnect). */
void net_idle_stop(net_sock *s) {
  net_idle *t = s->idle;
  if (t == NULL || !t->armed) return;
  if (uv_timer_stop(&t->timer) == 0) t->armed = 0;
  release_ref(t);
}

/* The socket is collected: the timer goes. */
void net_idle_free(net_sock *s) {
  net_idle *t = s->idle;
  if (t == NULL) return;
  s->idle = NULL;
  t->s = NULL;
  idle_close(t);
}

uint64_t net_idle_timeout(const net_sock *s) {
  return s->idle != NULL ? s->idle->timeout_ms : 0;
}

/* stream.setTimeout(sock, ms): 0 disables. Arms from now (Node restarts
 * the timer on setTimeout) unless the socket is destroyed. */
int net_idle_set(lua_State *L, net_sock *s, uint64_t ms) {
  net_loop *nl = net_loop_get(L);
  net_idle *t = s->idle;
  /* the loop's cached time may be old (this runs from user code): the
   * period counts from now */
  uv_update_time(nl->loop);
  if (ms == 0) {
    /* no timer is made for "none" */
    if (t != NULL) t->timeout_ms = 0;
    net_idle_stop(s);
    return 0;
  }
  if (t == NULL) {
    int rc;
    t = (net_idle *)calloc(1, sizeof(net_idle));
    if (t == NULL) return UV_ENOMEM;
    rc = uv_timer_init(nl->loop, &t->timer);
    if (rc != 0) {
      free(t);
      return rc;
    }
    uv_unref((uv_handle_t *)&t->timer); /* as Node's unref'd socket timer */
    t->timer.data = t;
    t->nl = nl;
    t->s = s;
    t->obj_ref = LUA_NOREF;
    t->link.kind = &idle_link_kind;
    net_link_add(nl, &t->link);
    s->idle = t;
  }
  t->timeout_ms = ms;
  if (t->armed && uv_timer_stop(&t->timer) == 0) t->armed = 0;
  if (!(s->flags & NET_S_DESTROYED)) arm(t, L, 1);
  return 0;
}
