/* loop.c: the loop binding. libuv's default loop (shared with luv), the
 * protected call every callback goes through, the deferred-callback queue
 * (Node's process.nextTick), the immediates phase and net.run(). */
#include <string.h>

#include "net.h"

#define NET_LOOP_KEY "net.loop"

void net_setfuncs(lua_State *L, const luaL_Reg *funcs) {
  lua_getfield(L, LUA_REGISTRYINDEX, NET_LOOP_KEY);
  luaL_setfuncs(L, funcs, 1);
}

void net_internal(lua_State *L, const char *name, const luaL_Reg *funcs) {
  lua_newtable(L);
  net_setfuncs(L, funcs);
  lua_setfield(L, -2, name);
}

net_loop *net_loop_get(lua_State *L) {
  return (net_loop *)lua_touserdata(L, lua_upvalueindex(1));
}

void net_push_hook(net_loop *nl, enum net_hook hook) {
  lua_rawgeti(nl->L, LUA_REGISTRYINDEX, nl->hook_refs[hook]);
}

/* Message handler: a string error gains a traceback; an error value (a
 * table such as net.Error) is kept as it is, so pcall(net.run) returns the
 * very value that was raised. */
static int message_handler(lua_State *L) {
  if (lua_type(L, 1) == LUA_TSTRING) {
    /* an error out of a net.promises task already carries the task's
     * traceback, the one that tells where it happened */
    if (strstr(lua_tostring(L, 1), "\nstack traceback:\n") != NULL) return 1;
    luaL_traceback(L, L, lua_tostring(L, 1), 1);
  } else if (lua_type(L, 1) == LUA_TTABLE) {
    if (lua_getfield(L, 1, "stack") == LUA_TNIL) {
      luaL_traceback(L, L, NULL, 1);
      lua_setfield(L, 1, "stack");
    }
    lua_settop(L, 1);
  }
  return 1;
}

/* Keep the first error and stop the loop: net.run() raises it. */
static void record_error(net_loop *nl) {
  lua_State *L = nl->L;
  if (nl->error_ref == LUA_NOREF) {
    nl->error_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  } else {
    lua_pop(L, 1);
  }
  uv_stop(nl->loop);
}

static int pcall_top(net_loop *nl, int nargs) {
  lua_State *L = nl->L;
  int base = lua_gettop(L) - nargs;
  int rc;
  if (nl->error_ref != LUA_NOREF || lua_isnil(L, base)) {
    /* an error is on its way out of net.run(): as in Node, where the
     * process would be dying, no further callback runs (nil: the hooks
     * are gone, the state is closing) */
    lua_settop(L, base - 1);
    return nl->error_ref != LUA_NOREF ? LUA_ERRRUN : LUA_OK;
  }
  nl->depth++;
  if (nl->msgh_index != 0 && nl->depth == 1) {
    rc = lua_pcall(L, nargs, 0, nl->msgh_index);
    nl->depth--;
    if (rc != LUA_OK) record_error(nl);
    return rc;
  }
  lua_pushcfunction(L, message_handler);
  lua_insert(L, base);
  rc = lua_pcall(L, nargs, 0, base);
  nl->depth--;
  if (rc != LUA_OK) record_error(nl);
  lua_remove(L, base);
  return rc;
}

/* Run every deferred callback, including those queued while draining, as
 * Node drains process.nextTick after each callback from the loop. */
static void drain_ticks(net_loop *nl) {
  lua_State *L = nl->L;
  if (nl->ticks_head == nl->ticks_tail || nl->error_ref != LUA_NOREF) return;
  lua_rawgeti(L, LUA_REGISTRYINDEX, nl->ticks_ref);
  int q = lua_gettop(L);
  while (nl->ticks_head < nl->ticks_tail) {
    lua_Integer at = nl->ticks_head;
    lua_rawgeti(L, q, at);
    int nargs = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    luaL_checkstack(L, nargs + 3, "too many arguments to a deferred call");
    for (int i = 0; i <= nargs; i++) {
      lua_rawgeti(L, q, at + 1 + i);
      lua_pushnil(L);
      lua_rawseti(L, q, at + 1 + i);
    }
    nl->ticks_head = at + 2 + nargs;
    if (pcall_top(nl, nargs) != LUA_OK) break;
  }
  if (nl->ticks_head == nl->ticks_tail) nl->ticks_head = nl->ticks_tail = 1;
  lua_pop(L, 1);
}

int net_call(net_loop *nl, int nargs) {
  int rc = pcall_top(nl, nargs);
  if (rc == LUA_OK && nl->depth == 0) drain_ticks(nl);
  return rc;
}

/* Stack: fn, arg1..argN on top; they are moved to the queue. */
void net_tick_push(net_loop *nl, int nargs) {
  lua_State *L = nl->L;
  lua_rawgeti(L, LUA_REGISTRYINDEX, nl->ticks_ref);
  int q = lua_gettop(L);
  lua_Integer at = nl->ticks_tail;
  lua_pushinteger(L, nargs);
  lua_rawseti(L, q, at);
  for (int i = nargs; i >= 0; i--) {
    lua_pushvalue(L, q - 1 - (nargs - i));
    lua_rawseti(L, q, at + 1 + i);
  }
  nl->ticks_tail = at + 2 + nargs;
  lua_settop(L, q - nargs - 2);
}

/* core.nextTick(fn, ...) */
static int l_next_tick(lua_State *L) {
  net_loop *nl = net_loop_get(L);
  int nargs = lua_gettop(L) - 1;
  luaL_checktype(L, 1, LUA_TFUNCTION);
  if (L != nl->L) {
    /* called from a coroutine: move the values to the main thread */
    lua_xmove(L, nl->L, nargs + 1);
  }
  net_tick_push(nl, nargs);
  return 0;
}

static const char *const run_modes[] = {"default", "once", "nowait", NULL};

/* core.run([mode]): runs the loop; raises the error that stopped it. */
static int l_run(lua_State *L) {
  net_loop *nl = net_loop_get(L);
  int mode = luaL_checkoption(L, 1, "default", run_modes);
  static const uv_run_mode modes[] = {UV_RUN_DEFAULT, UV_RUN_ONCE, UV_RUN_NOWAIT};
  int alive;
  if (nl->depth > 0) return luaL_error(L, "net.run: the loop is already running");
  if (L != nl->L) return luaL_error(L, "net.run: call it from the main thread");
  lua_settop(L, 1);
  lua_pushcfunction(L, message_handler);
  nl->msgh_index = lua_gettop(L);
  drain_ticks(nl);
  if (nl->error_ref == LUA_NOREF) {
    alive = uv_run(nl->loop, modes[mode]);
  } else {
    alive = 1;
  }
  nl->msgh_index = 0;
  if (nl->error_ref != LUA_NOREF) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, nl->error_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, nl->error_ref);
    nl->error_ref = LUA_NOREF;
    return lua_error(L);
  }
  lua_pushboolean(L, alive);
  return 1;
}

static const char *const hook_names[NET_HOOK_COUNT] = {
    "data",     "readable", "eof",        "readerror", "written",
    "connect",  "shutdown", "close",      "connection", "timeout",
};

/* core.setHooks{data = fn, ...}: the Lua side of every C event. */
static int l_set_hooks(lua_State *L) {
  net_loop *nl = net_loop_get(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  for (int i = 0; i < NET_HOOK_COUNT; i++) {
    lua_getfield(L, 1, hook_names[i]);
    luaL_argcheck(L, lua_isfunction(L, -1), 1, hook_names[i]);
    luaL_unref(L, LUA_REGISTRYINDEX, nl->hook_refs[i]);
    nl->hook_refs[i] = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  return 0;
}

/* core.now(): the loop's cached time in ms, as libuv timers see it */
static int l_now(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)uv_now(net_loop_get(L)->loop));
  return 1;
}

/* core.handleCount() -> sockets and servers open, timers open */
static int l_handle_count(lua_State *L) {
  net_loop *nl = net_loop_get(L);
  lua_Integer streams = 0, timers = 0;
  for (net_link *link = nl->open.next; link != &nl->open; link = link->next) {
    if (link->is_timer) {
      timers++;
    } else {
      streams++;
    }
  }
  lua_pushinteger(L, streams);
  lua_pushinteger(L, timers);
  return 2;
}

static int loop_gc(lua_State *L) {
  net_loop *nl = (net_loop *)lua_touserdata(L, 1);
  /* The Lua state is going away: objects' finalizers (run before this
   * one, as they were made later) have asked libuv to close their handles.
   * Let libuv finish those closes so no memory is left behind. Callbacks
   * that would reach Lua see hooks unset and do nothing. */
  for (int i = 0; i < NET_HOOK_COUNT; i++) nl->hook_refs[i] = LUA_NOREF;
  nl->ticks_ref = LUA_NOREF;
  nl->immediate_ref = LUA_NOREF;
  uv_close((uv_handle_t *)&nl->immediate_check, NULL);
  uv_close((uv_handle_t *)&nl->immediate_idle, NULL);
  /* any handle still open (finalizers close theirs) is closed now */
  for (net_link *link = nl->open.next, *next; link != &nl->open; link = next) {
    next = link->next;
    link->close(link);
  }
  for (int pass = 0; pass < 64 && nl->handles > 0; pass++) uv_run(nl->loop, UV_RUN_NOWAIT);
  /* one more pass lets the two immediate handles finish closing */
  uv_run(nl->loop, UV_RUN_NOWAIT);
  nl->L = NULL;
  return 0;
}

void net_link_add(net_loop *nl, net_link *link) {
  link->next = nl->open.next;
  link->prev = &nl->open;
  nl->open.next->prev = link;
  nl->open.next = link;
  nl->handles++;
}

void net_link_remove(net_loop *nl, net_link *link) {
  if (link->next == NULL) return;
  link->prev->next = link->next;
  link->next->prev = link->prev;
  link->next = link->prev = NULL;
  nl->handles--;
}

/* core.closeAll(): close every handle this module has open (the spec
 * harness uses it after a deadline or an error, so one spec's leftovers
 * cannot hang the next). Returns how many it closed. */
static int l_close_all(lua_State *L) {
  net_loop *nl = net_loop_get(L);
  int n = 0;
  net_link *link = nl->open.next;
  while (link != &nl->open) {
    net_link *next = link->next;
    link->close(link);
    n++;
    link = next;
  }
  lua_pushinteger(L, n);
  return 1;
}

/* core.describeHandles() -> a line per open handle (kind, active, ref),
 * for the spec harness's deadline message */
static int l_describe_handles(lua_State *L) {
  net_loop *nl = net_loop_get(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (net_link *link = nl->open.next; link != &nl->open; link = link->next) {
    const uv_handle_t *handle = link->handle;
    lua_pushfstring(L, "%s%s%s%s\n", uv_handle_type_name(uv_handle_get_type(handle)),
                    uv_is_active(handle) ? " active" : "", uv_has_ref(handle) ? " ref" : "",
                    uv_is_closing(handle) ? " closing" : "");
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  return 1;
}

/* Immediates: Lua keeps the queue; C runs it in libuv's check phase. The
 * idle handle is started only while a referenced immediate is queued, so
 * the loop neither blocks in poll nor stays alive for unreferenced ones. */
static void on_immediate_check(uv_check_t *check) {
  net_loop *nl = (net_loop *)check->data;
  if (nl->immediate_ref == LUA_NOREF) return;
  lua_rawgeti(nl->L, LUA_REGISTRYINDEX, nl->immediate_ref);
  net_call(nl, 0);
}

static void on_immediate_idle(uv_idle_t *idle) { (void)idle; }

/* core.setImmediateRunner(fn) */
static int l_set_immediate_runner(lua_State *L) {
  net_loop *nl = net_loop_get(L);
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  luaL_unref(L, LUA_REGISTRYINDEX, nl->immediate_ref);
  nl->immediate_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

/* core.immediates(pending, referenced): what the queue holds now */
static int l_immediates(lua_State *L) {
  net_loop *nl = net_loop_get(L);
  int pending = lua_toboolean(L, 1), referenced = lua_toboolean(L, 2);
  int rc = 0;
  if (pending) {
    rc = uv_check_start(&nl->immediate_check, on_immediate_check);
  } else {
    rc = uv_check_stop(&nl->immediate_check);
  }
  if (rc == 0) {
    if (pending && referenced) {
      rc = uv_idle_start(&nl->immediate_idle, on_immediate_idle);
    } else {
      rc = uv_idle_stop(&nl->immediate_idle);
    }
  }
  if (rc != 0) return luaL_error(L, "net: immediates: %s", uv_strerror(rc));
  return 0;
}

static const luaL_Reg loop_funcs[] = {
    {"closeAll", l_close_all},
    {"describeHandles", l_describe_handles},
    {"setImmediateRunner", l_set_immediate_runner},
    {"immediates", l_immediates},
    {"run", l_run},
    {"nextTick", l_next_tick},
    {"setHooks", l_set_hooks},
    {"now", l_now},
    {"handleCount", l_handle_count},
    {NULL, NULL},
};

/* Stack: the core table on top. Leaves the loop userdata in the registry
 * and registers the loop functions with it as upvalue. */
void net_open_loop(lua_State *L) {
  net_loop *nl = (net_loop *)lua_newuserdatauv(L, sizeof(net_loop), 0);
  memset(nl, 0, sizeof(*nl));
  nl->loop = uv_default_loop();
  if (nl->loop == NULL) luaL_error(L, "net: libuv could not make its default loop");
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  nl->L = lua_tothread(L, -1);
  lua_pop(L, 1);
  for (int i = 0; i < NET_HOOK_COUNT; i++) nl->hook_refs[i] = LUA_NOREF;
  nl->error_ref = LUA_NOREF;
  nl->immediate_ref = LUA_NOREF;
  nl->open.next = nl->open.prev = &nl->open;
  if (uv_check_init(nl->loop, &nl->immediate_check) != 0 ||
      uv_idle_init(nl->loop, &nl->immediate_idle) != 0) {
    luaL_error(L, "net: libuv could not make the immediates handles");
  }
  nl->immediate_check.data = nl;
  uv_unref((uv_handle_t *)&nl->immediate_check);
  lua_newtable(L);
  nl->ticks_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  nl->ticks_head = nl->ticks_tail = 1;
  lua_newtable(L);
  lua_pushcfunction(L, loop_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, NET_LOOP_KEY);
  /* stack: core, loop */
  luaL_setfuncs(L, loop_funcs, 1);
}
