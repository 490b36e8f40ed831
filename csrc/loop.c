/* loop.c: the loop binding. The loop (libuv's default loop, or luv's when
 * luv came first), the protected call every callback goes through, the
 * deferred-callback queue (Node's process.nextTick), the immediates phase,
 * net.run(), and the end of it all at lua_close. */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

/* --- one loop with luv ------------------------------------------------
 *
 * luv keeps a context userdata in the registry under "luv_context" (made
 * by luv_context(), luv.h). luaopen_luv runs on the loop the context holds;
 * if it holds none, luv makes a private loop, kept as the `_loop` userdata
 * of its module table, whose __gc uv_close()s every handle of the loop
 * that is not already closing and runs the loop until uv_loop_close()
 * succeeds.
 *
 * - luv first: net runs on luv's loop (nl->owns_loop = 0) and pins luv's
 *   module table (so `_loop` cannot be collected before lua_close). At
 *   lua_close, finalizers run newest first: net's loop_gc (newer) leaves
 *   every net handle closing and does not run the loop; luv's loop __gc
 *   (older) then skips them (they are closing) and runs the loop, which
 *   finishes net's closes; the last one frees this binding (see
 *   net_loop_settle), so nothing net owns outlives the loop.
 * - net first: net runs on libuv's default loop and, if a luv for this Lua
 *   is on package.cpath, hands that loop to luv the way luv.h documents
 *   for hosts: luv_set_loop(L, loop) before luaopen_luv. luv's own code
 *   makes its context, so whatever it sets up with it (newer luv versions
 *   add bookkeeping there) is set up. luv then makes no loop and no loop
 *   __gc of its own; net's loop_gc finishes the closes (see there).
 *
 * Fields of luv_ctx_t net relies on (luv.h, the public header that declares
 * luv_context()): loop, L, cb_pcall, thrd_pcall, thrd_cpcall, mode, in this
 * order and with these types since luv 1.42 (2021; mode since 1.40), the
 * same through 1.52.1. Later additions went after `mode` (ht_ref in
 * 1.50-1.52.0, removed again). Net reads `loop` (which loop luv runs),
 * `cb_pcall` (luv's handler for errors in callbacks) and `mode` (-1 unless
 * uv.run is running), and writes `mode` while net.run runs the loop, as
 * uv.run does (so uv.loop_mode() is true, and luv 1.50 and later, which
 * refuse a nested uv.run, refuse it then too). It never makes a context.
 */
typedef int (*net_luv_pcall)(lua_State *L, int nargs, int nresults, int flags);

struct net_luv_ctx {
  uv_loop_t *loop;
  lua_State *L;
  net_luv_pcall cb_pcall;
  net_luv_pcall thrd_pcall;
  int (*thrd_cpcall)(lua_State *L, lua_CFunction func, void *ud, int flags);
  int mode;
};

#define LUV_CONTEXT_KEY "luv_context"

/* luv's context in this state, or NULL */
static net_luv_ctx *luv_context_of(lua_State *L) {
  net_luv_ctx *ctx = NULL;
  if (lua_getfield(L, LUA_REGISTRYINDEX, LUV_CONTEXT_KEY) == LUA_TUSERDATA &&
      lua_rawlen(L, -1) >= sizeof(net_luv_ctx)) {
    ctx = (net_luv_ctx *)lua_touserdata(L, -1);
  }
  lua_pop(L, 1);
  return ctx;
}

/* Does the shared object `lib` run on the libuv this module runs on? A
 * luv built with its own copy of libuv must not be handed this loop. */
static int lib_shares_libuv(void *lib) {
  return dlsym(lib, "uv_run") == (void *)uv_run;
}

/* The same, for the object that holds the function `fn` (luv's callback
 * handler); unknown (a host program, no symbols) counts as shared. */
static int code_shares_libuv(const void *fn) {
  Dl_info info;
  void *lib;
  int same;
  if (fn == NULL || dladdr(fn, &info) == 0 || info.dli_fname == NULL) return 1;
  lib = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
  if (lib == NULL) return 1;
  same = lib_shares_libuv(lib);
  dlclose(lib);
  return same;
}

/* Net came first: if require('luv') would load a luv library, load it now
 * and give it this loop with its own luv_set_loop(). The library stays
 * loaded for the life of the process (require loads the same object). */
static void offer_loop_to_luv(lua_State *L, net_loop *nl) {
  const char *path;
  void *lib;
  void (*set_loop)(lua_State *, uv_loop_t *);
  int top = lua_gettop(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  if (lua_getfield(L, -1, "package") != LUA_TTABLE ||
      lua_getfield(L, -1, "searchpath") != LUA_TFUNCTION) {
    lua_settop(L, top);
    return;
  }
  lua_pushliteral(L, "luv");
  lua_getfield(L, -3, "cpath");
  if (lua_pcall(L, 2, 1, 0) != LUA_OK || (path = lua_tostring(L, -1)) == NULL) {
    lua_settop(L, top);
    return;
  }
  lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  lua_settop(L, top);
  if (lib == NULL) return;
  *(void **)(&set_loop) = dlsym(lib, "luv_set_loop");
  if (set_loop == NULL || !lib_shares_libuv(lib)) {
    dlclose(lib);
    return;
  }
  set_loop(nl->L, nl->loop);
}

/* The loop binding lives in a malloc'd block; the registry's userdata
 * points to it until lua_close (then NULL: core functions called from
 * finalizers that run later raise instead of touching it). */
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
  net_loop *nl = *(net_loop **)lua_touserdata(L, lua_upvalueindex(1));
  if (nl == NULL) luaL_error(L, "net: the Lua state is closing");
  return nl;
}

int net_loop_takes_calls(net_loop *nl) {
  return nl->L != NULL && nl->error_ref == LUA_NOREF;
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

/* rethrow(err): raise err as a string (tostring, then its traceback), for
 * luv's handler, which prints errors with lua_tostring */
static int rethrow(lua_State *L) {
  if (lua_type(L, 1) != LUA_TSTRING) {
    luaL_tolstring(L, 1, NULL);
    if (lua_type(L, 1) == LUA_TTABLE && lua_getfield(L, 1, "stack") == LUA_TSTRING) {
      lua_pushliteral(L, "\n");
      lua_insert(L, -2);
      lua_concat(L, 3);
    } else {
      lua_pop(L, 1);
    }
  }
  return lua_error(L);
}

/* Is uv.run() (not net.run()) running the loop now? */
static int luv_is_running(const net_loop *nl) {
  return !nl->running && nl->luv != NULL && nl->luv->loop == nl->loop && nl->luv->mode != -1;
}

/* An error left a callback (error value on top). Under net.run(): keep the
 * first one and stop the loop; net.run() raises it. Under uv.run(): it
 * takes the road of an error in a luv callback, luv's cb_pcall (stock luv
 * prints "Uncaught Error: ..." and exits the process, as Node does with an
 * uncaught exception; a host that set its own handler decides). luv's
 * handler prints with lua_tostring, so it gets the message as a string:
 * tostring(err) and the traceback. Returns 1 if the error stays pending. */
static int record_error(net_loop *nl) {
  lua_State *L = nl->L;
  if (luv_is_running(nl) && nl->luv->cb_pcall != NULL && nl->error_ref == LUA_NOREF) {
    lua_pushcfunction(L, rethrow);
    lua_insert(L, -2);
    nl->luv->cb_pcall(L, 1, 0, 0);
    return 0;
  }
  if (nl->error_ref == LUA_NOREF) {
    nl->error_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  } else {
    lua_pop(L, 1);
  }
  uv_stop(nl->loop);
  return 1;
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
    if (rc != LUA_OK && !record_error(nl)) rc = LUA_OK;
    return rc;
  }
  lua_pushcfunction(L, message_handler);
  lua_insert(L, base);
  rc = lua_pcall(L, nargs, 0, base);
  nl->depth--;
  if (rc != LUA_OK && !record_error(nl)) rc = LUA_OK;
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

static void on_tick_idle(uv_idle_t *idle) {
  net_loop *nl = (net_loop *)idle->data;
  drain_ticks(nl);
  /* emptied, or an error stopped the draining: net.run() drains the rest */
  (void)uv_idle_stop(idle);
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
  /* Outside net's own callbacks (the main chunk, a luv callback) nothing
   * would drain the queue after the current call: the loop's idle phase
   * does, whichever of net.run and uv.run runs it, and keeps it alive
   * meanwhile. (Failing to start, the ticks wait for the next net
   * callback or net.run.) */
  if (nl->depth == 0) (void)uv_idle_start(&nl->tick_idle, on_tick_idle);
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
  net_luv_ctx *luv = luv_context_of(L);
  int alive;
  if (nl->depth > 0 || nl->running) return luaL_error(L, "net.run: the loop is already running");
  if (L != nl->L) return luaL_error(L, "net.run: call it from the main thread");
  if (luv != NULL && luv->loop != NULL && luv->loop != nl->loop) {
    /* luv was loaded from elsewhere than net could see, or carries its own
     * libuv: two loops, which the API promises never to run */
    return luaL_error(L, "net.run: luv runs a loop of its own (load net and luv from "
                         "package.cpath, built on one libuv)");
  }
  if (luv != NULL && luv->loop == nl->loop) {
    nl->luv = luv;
    if (luv->mode != -1) return luaL_error(L, "net.run: the loop is already running (uv.run)");
  }
  lua_settop(L, 1);
  lua_pushcfunction(L, message_handler);
  nl->msgh_index = lua_gettop(L);
  drain_ticks(nl);
  if (nl->error_ref == LUA_NOREF) {
    nl->running = 1;
    if (nl->luv != NULL) nl->luv->mode = (int)modes[mode];
    alive = uv_run(nl->loop, modes[mode]);
    if (nl->luv != NULL) nl->luv->mode = -1;
    nl->running = 0;
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
    if (uv_handle_get_type(net_link_handle(link)) == UV_TIMER) {
      timers++;
    } else {
      streams++;
    }
  }
  lua_pushinteger(L, streams);
  lua_pushinteger(L, timers);
  return 2;
}

/* The last thing that frees the binding: a handle closed at once, so its
 * close callback runs in a later closing phase, after the callback that
 * dropped the last count has returned. */
static void on_reaped(uv_handle_t *handle) {
  net_loop *nl = (net_loop *)handle->data;
  if (nl->freed_flag != NULL) *nl->freed_flag = 1;
  free(handle);
  free(nl);
}

void net_loop_settle(net_loop *nl) {
  uv_idle_t *reaper;
  if (!nl->closed || nl->reaping || nl->handles > 0 || nl->lookups_len > 0 ||
      nl->own_handles_open > 0) {
    return;
  }
  nl->reaping = 1;
  reaper = (uv_idle_t *)malloc(sizeof(*reaper));
  if (reaper == NULL || uv_idle_init(nl->loop, reaper) != 0) {
    /* the binding stays allocated: a small leak, never a dangling pointer */
    free(reaper);
    return;
  }
  reaper->data = nl;
  uv_close((uv_handle_t *)reaper, on_reaped);
}

static void on_own_handle_closed(uv_handle_t *handle) {
  net_loop *nl = (net_loop *)handle->data;
  nl->own_handles_open--;
  net_loop_settle(nl);
}

/* lua_close. Objects' finalizers (run before this one, as they were made
 * later) have asked libuv to close their handles. From here on no callback
 * calls into Lua (nl->L is NULL: callbacks check it), every handle net
 * still has is closed, and lookups not yet started are cancelled (so the
 * exit does not wait for them in libuv's thread pool). Then:
 * - net's own loop: run it (without blocking) until those closes are done
 *   and the binding is freed; a lookup still resolving in a thread keeps
 *   the binding until it finishes, if the loop ever runs again. Not when
 *   luv was opened on it: luv's handle finalizers (run before this one,
 *   luv being loaded later) free a handle that is already closing at once
 *   (luv 1.44 luv_handle_gc), so a run now could touch freed memory; luv
 *   alone crashes that way in its own loop __gc (a script ending with
 *   `uv.new_timer():close()`). The closes are then left to the process
 *   exit, all memory still reachable from the loop;
 * - luv's (or a host's) loop: it is not ours to run; its owner's teardown
 *   finishes the closes (luv's loop __gc runs after this one) and the
 *   last of them frees the binding.
 * Never while a callback is running (os.exit(code, true) inside one):
 * uv_run must not nest, and the process is about to exit anyway. */
static int loop_gc(lua_State *L) {
  net_loop **slot = (net_loop **)lua_touserdata(L, 1);
  net_loop *nl = *slot;
  int freed = 0, luv_opened;
  if (nl == NULL) return 0;
  luv_opened = nl->luv != NULL && nl->luv->cb_pcall != NULL;
  *slot = NULL;
  nl->L = NULL;
  nl->closed = 1;
  for (int i = 0; i < NET_HOOK_COUNT; i++) nl->hook_refs[i] = LUA_NOREF;
  nl->ticks_ref = LUA_NOREF;
  nl->immediate_ref = LUA_NOREF;
  nl->error_ref = LUA_NOREF;
  if (nl->loop == NULL) {
    free(nl);
    return 0;
  }
  {
    uv_handle_t *own[] = {(uv_handle_t *)&nl->immediate_check, (uv_handle_t *)&nl->immediate_idle,
                          (uv_handle_t *)&nl->tick_idle};
    for (int i = 0; i < nl->own_handles_open; i++) uv_close(own[i], on_own_handle_closed);
  }
  for (net_link *link = nl->open.next, *next; link != &nl->open; link = next) {
    next = link->next;
    link->kind->close(link);
  }
  net_dns_cancel_all(nl);
  net_loop_settle(nl);
  if (nl->owns_loop && !luv_opened && !nl->running && nl->depth == 0) {
    nl->freed_flag = &freed;
    for (int pass = 0; pass < 64 && !freed; pass++) uv_run(nl->loop, UV_RUN_NOWAIT);
    if (!freed) nl->freed_flag = NULL;
  }
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
  net_loop_settle(nl);
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
    link->kind->close(link);
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
    const uv_handle_t *handle = net_link_handle(link);
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
  net_loop **slot = (net_loop **)lua_newuserdatauv(L, sizeof(net_loop *), 1);
  net_loop *nl;
  net_luv_ctx *luv;
  *slot = NULL;
  lua_newtable(L);
  lua_pushcfunction(L, loop_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  nl = (net_loop *)calloc(1, sizeof(net_loop));
  if (nl == NULL) luaL_error(L, "net: out of memory");
  *slot = nl;
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  nl->L = lua_tothread(L, -1);
  lua_pop(L, 1);
  for (int i = 0; i < NET_HOOK_COUNT; i++) nl->hook_refs[i] = LUA_NOREF;
  nl->error_ref = LUA_NOREF;
  nl->immediate_ref = LUA_NOREF;
  nl->ticks_ref = LUA_NOREF;
  nl->open.next = nl->open.prev = &nl->open;
  luv = luv_context_of(L);
  if (luv != NULL && luv->loop != NULL && code_shares_libuv((const void *)luv->cb_pcall)) {
    /* luv came first: its loop; keep luv's module table (and with it the
     * loop's userdata) alive as long as this binding */
    nl->loop = luv->loop;
    nl->luv = luv;
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, "luv");
    lua_setiuservalue(L, -3, 1);
    lua_pop(L, 1);
  } else {
    nl->loop = uv_default_loop();
    if (nl->loop == NULL) luaL_error(L, "net: libuv could not make its default loop");
    nl->owns_loop = 1;
    if (luv == NULL || luv->loop == NULL) offer_loop_to_luv(L, nl);
    luv = luv_context_of(L);
    if (luv != NULL && luv->loop == nl->loop) nl->luv = luv;
  }
  nl->immediate_check.data = nl;
  nl->immediate_idle.data = nl;
  nl->tick_idle.data = nl;
  if (uv_check_init(nl->loop, &nl->immediate_check) != 0) {
    luaL_error(L, "net: libuv could not make the loop's handles");
  }
  nl->own_handles_open = 1;
  if (uv_idle_init(nl->loop, &nl->immediate_idle) != 0) {
    luaL_error(L, "net: libuv could not make the loop's handles");
  }
  nl->own_handles_open = 2;
  if (uv_idle_init(nl->loop, &nl->tick_idle) != 0) {
    luaL_error(L, "net: libuv could not make the loop's handles");
  }
  nl->own_handles_open = 3;
  uv_unref((uv_handle_t *)&nl->immediate_check);
  lua_newtable(L);
  nl->ticks_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  nl->ticks_head = nl->ticks_tail = 1;
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, NET_LOOP_KEY);
  /* stack: core, loop */
  luaL_setfuncs(L, loop_funcs, 1);
}
