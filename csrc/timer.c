/* timer.c: one libuv timer per userdata, for net.timers and the specs.
 * A started timer holds a reference to its userdata (so it fires even if
 * the user dropped it); the memory is freed only when libuv has closed it.
 * A closed timer goes back to a small pool instead of being closed: a
 * cleared setTimeout then costs no handle close (and leaves no closing
 * handle to keep the loop alive for one more turn, as Node's timers
 * don't). */
#include <stdlib.h>

#include "net.h"

#define NET_TIMER_MT "net.Timer"

typedef struct net_timer_ud net_timer_ud;

typedef struct net_timer {
  uv_timer_t t;
  net_timer_ud *ud; /* the userdata pointing here, while it does */
  net_link link;
  net_loop *nl;
  int cb_ref;
  int self_ref;
  int closing;
  struct net_timer *next_free; /* in the pool */
  int pooled;
} net_timer;

#define NET_TIMER_POOL_MAX 64

struct net_timer_ud {
  net_timer *timer;
};

static void release_refs(net_timer *tm) {
  if (tm->nl->L == NULL) return;
  luaL_unref(tm->nl->L, LUA_REGISTRYINDEX, tm->self_ref);
  luaL_unref(tm->nl->L, LUA_REGISTRYINDEX, tm->cb_ref);
  tm->self_ref = tm->cb_ref = LUA_NOREF;
}

static void pool_remove(net_timer *tm) {
  net_loop *nl = tm->nl;
  net_timer **at = (net_timer **)&nl->timer_pool;
  while (*at != NULL && *at != tm) at = &(*at)->next_free;
  if (*at == tm) {
    *at = tm->next_free;
    nl->timer_pool_len--;
  }
  tm->pooled = 0;
  tm->next_free = NULL;
}

static void on_timer_closed(uv_handle_t *handle) {
  net_timer *tm = (net_timer *)handle->data;
  if (tm->pooled) pool_remove(tm);
  if (tm->ud != NULL) tm->ud->timer = NULL;
  net_link_remove(tm->nl, &tm->link);
  release_refs(tm);
  free(tm);
}

static void timer_close(net_timer *tm) {
  if (tm->closing) return;
  tm->closing = 1;
  if (tm->pooled) pool_remove(tm); /* never hand out a closing timer */
  uv_close((uv_handle_t *)&tm->t, on_timer_closed);
}

/* The userdata is done with the timer: stop it and keep it for reuse. */
static void timer_release(net_timer *tm) {
  net_loop *nl = tm->nl;
  if (tm->closing) return;
  if (nl->timer_pool_len >= NET_TIMER_POOL_MAX || nl->L == NULL) {
    timer_close(tm);
    return;
  }
  uv_timer_stop(&tm->t);
  uv_ref((uv_handle_t *)&tm->t);
  release_refs(tm);
  tm->ud = NULL;
  tm->pooled = 1;
  tm->next_free = (net_timer *)nl->timer_pool;
  nl->timer_pool = tm;
  nl->timer_pool_len++;
}

static void close_link(net_link *link) {
  timer_close((net_timer *)((char *)link - offsetof(net_timer, link)));
}

static const net_link_kind timer_link_kind = {
    close_link, (ptrdiff_t)offsetof(net_timer, t) - (ptrdiff_t)offsetof(net_timer, link)};

static net_timer *check_timer(lua_State *L) {
  net_timer_ud *ud = (net_timer_ud *)luaL_checkudata(L, 1, NET_TIMER_MT);
  if (ud->timer == NULL || ud->timer->closing) luaL_error(L, "net: the timer is closed");
  return ud->timer;
}

static void on_timer(uv_timer_t *t) {
  net_timer *tm = (net_timer *)t->data;
  net_loop *nl = tm->nl;
  if (nl->L == NULL || tm->cb_ref == LUA_NOREF) return;
  lua_rawgeti(nl->L, LUA_REGISTRYINDEX, tm->cb_ref);
  if (uv_timer_get_repeat(t) == 0) {
    /* a one-shot timer that fired no longer pins its userdata */
    luaL_unref(nl->L, LUA_REGISTRYINDEX, tm->self_ref);
    tm->self_ref = LUA_NOREF;
  }
  net_call(nl, 0);
}

/* core.newTimer() */
static int l_new_timer(lua_State *L) {
  net_loop *nl = net_loop_get(L);
  net_timer_ud *ud = (net_timer_ud *)lua_newuserdatauv(L, sizeof(net_timer_ud), 0);
  net_timer *tm = (net_timer *)nl->timer_pool;
  ud->timer = NULL;
  luaL_setmetatable(L, NET_TIMER_MT);
  if (tm != NULL) {
    pool_remove(tm);
    ud->timer = tm;
    tm->ud = ud;
    return 1;
  }
  tm = (net_timer *)calloc(1, sizeof(net_timer));
  if (tm == NULL) return luaL_error(L, "net: out of memory");
  int rc = uv_timer_init(nl->loop, &tm->t);
  if (rc != 0) {
    free(tm);
    return luaL_error(L, "net: timer: %s", uv_strerror(rc));
  }
  tm->t.data = tm;
  tm->nl = nl;
  tm->cb_ref = tm->self_ref = LUA_NOREF;
  tm->link.kind = &timer_link_kind;
  net_link_add(nl, &tm->link);
  ud->timer = tm;
  tm->ud = ud;
  return 1;
}

/* timer:start(ms, repeat_ms, fn) */
static int m_start(lua_State *L) {
  net_timer *tm = check_timer(L);
  lua_Integer ms = luaL_checkinteger(L, 2);
  lua_Integer rep = luaL_checkinteger(L, 3);
  luaL_checktype(L, 4, LUA_TFUNCTION);
  release_refs(tm);
  lua_pushvalue(L, 4);
  tm->cb_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushvalue(L, 1);
  tm->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  /* Node's timers count from the present (its GetNow updates the loop's
   * time), not from the loop's cached time, which is as old as the
   * current callback (or the whole start-up, before the loop runs) */
  uv_update_time(tm->nl->loop);
  int rc = uv_timer_start(&tm->t, on_timer, ms > 0 ? (uint64_t)ms : 0, rep > 0 ? (uint64_t)rep : 0);
  return net_push_uv_result(L, rc);
}

static int m_stop(lua_State *L) {
  net_timer *tm = check_timer(L);
  int rc = uv_timer_stop(&tm->t);
  luaL_unref(L, LUA_REGISTRYINDEX, tm->self_ref);
  tm->self_ref = LUA_NOREF;
  return net_push_uv_result(L, rc);
}

static int m_ref(lua_State *L) {
  uv_ref((uv_handle_t *)&check_timer(L)->t);
  return 0;
}

static int m_unref(lua_State *L) {
  uv_unref((uv_handle_t *)&check_timer(L)->t);
  return 0;
}

static int m_has_ref(lua_State *L) {
  lua_pushboolean(L, uv_has_ref((uv_handle_t *)&check_timer(L)->t));
  return 1;
}

static int m_is_active(lua_State *L) {
  net_timer_ud *ud = (net_timer_ud *)luaL_checkudata(L, 1, NET_TIMER_MT);
  lua_pushboolean(L, ud->timer != NULL && !ud->timer->closing &&
                         uv_is_active((uv_handle_t *)&ud->timer->t));
  return 1;
}

/* timer:close(): idempotent */
static int m_close(lua_State *L) {
  net_timer_ud *ud = (net_timer_ud *)luaL_checkudata(L, 1, NET_TIMER_MT);
  if (ud->timer != NULL) {
    net_timer *tm = ud->timer;
    tm->ud = NULL;
    ud->timer = NULL;
    timer_release(tm);
  }
  return 0;
}

static const luaL_Reg timer_methods[] = {
    {"start", m_start},   {"stop", m_stop},         {"ref", m_ref},
    {"unref", m_unref},   {"hasRef", m_has_ref},     {"isActive", m_is_active},
    {"close", m_close},   {NULL, NULL},
};

static const luaL_Reg timer_funcs[] = {
    {"newTimer", l_new_timer},
    {NULL, NULL},
};

void net_open_timer(lua_State *L) {
  luaL_newmetatable(L, NET_TIMER_MT);
  lua_newtable(L);
  net_setfuncs(L, timer_methods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, m_close);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  net_setfuncs(L, timer_funcs);
}
