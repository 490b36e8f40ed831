/* object.c: the Socket and Server userdata, and their libuv handles.
 *
 * Field access on an object (the class metatables are made here; the Lua
 * layer fills their method, getter and setter tables):
 *   read:   the user's own fields, then a method of the class, then a getter,
 *           then an inherited method (no name is both a getter and a method);
 *   assign: a setter if the class has one; a getter-only field ignores the
 *           assignment, as Node's accessor without a setter does; anything
 *           else becomes the user's own field.
 * The Lua layer's private state (user value 2) is never reachable through
 * the object, so nothing a user assigns can change it behind C's back.
 */
#include <stdlib.h>
#include <string.h>

#include "net.h"

/* User values: the user's own fields (made on the first one) and the
 * private state. Two things hang off the private state rather than cost
 * every socket a user value of their own: the emitter's listeners
 * (`_events`, kept apart from the user's fields so a socket whose user sets
 * no field of its own needs no fields table) and the refs table
 * (net_push_refs). */
enum { UV_FIELDS = 1, UV_PRIVATE = 2, UV_COUNT = 2 };

/* The key of the refs table in the private state: a light userdata, which
 * no Lua code can make, so no key of the Lua layer can clash with it. */
static const char refs_key = 'r';

/* __index(obj, key): upvalues: methods, getters, "_events" */
static int obj_index(lua_State *L) {
  if (lua_rawequal(L, 2, lua_upvalueindex(3))) {
    lua_getiuservalue(L, 1, UV_PRIVATE);
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    return 1;
  }
  if (lua_getiuservalue(L, 1, UV_FIELDS) == LUA_TTABLE) {
    lua_pushvalue(L, 2);
    if (lua_rawget(L, -2) != LUA_TNIL) return 1;
  }
  /* the class's own methods first: no name is both a getter and a method,
   * and a method call (sock:write) is the common case */
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(2)) != LUA_TNIL) {
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    return 1;
  }
  lua_pushvalue(L, 2);
  lua_gettable(L, lua_upvalueindex(1));
  return 1;
}

/* __newindex(obj, key, value): upvalues: setters, getters, "_events" */
static int obj_newindex(lua_State *L) {
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) {
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 3);
    lua_call(L, 2, 0);
    return 0;
  }
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(2)) != LUA_TNIL) return 0; /* getter only */
  lua_settop(L, 3);
  if (lua_rawequal(L, 2, lua_upvalueindex(3))) {
    lua_getiuservalue(L, 1, UV_PRIVATE);
    lua_insert(L, 2);
    lua_rawset(L, 2);
    return 0;
  }
  if (lua_type(L, 2) == LUA_TSTRING && strcmp(lua_tostring(L, 2), "emit") == 0) {
    /* an emit of its own (a user's wrapper): the Lua rules and the data
     * hot path call obj:emit from now on instead of reading the
     * listeners themselves */
    lua_getiuservalue(L, 1, UV_PRIVATE);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "ownEmit");
    lua_pop(L, 1);
  }
  if (lua_getiuservalue(L, 1, UV_FIELDS) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, 1, UV_FIELDS);
  }
  lua_insert(L, 2);
  lua_rawset(L, 2);
  return 0;
}

static void on_handle_closed(uv_handle_t *handle) {
  net_handle *h = (net_handle *)handle->data;
  net_loop *nl = h->nl;
  if (--h->closing_parts > 0) return;
  net_link_remove(nl, &h->link);
  if (h->obj != NULL && h->obj->type == NET_OBJ_SOCKET && h->obj->h == h) {
    net_stream_closed((net_sock *)h->obj, UV_ECANCELED);
  }
  if (h->obj == NULL || h->obj->h != h) {
    /* a handle its object has moved on from (a connect attempt that was
     * abandoned for the next address): nothing to report */
  } else if (net_push_self(h)) {
    /* the hook still sees the handle (obj->h stays set during it, so the
     * counters can be read); every other entry point sees it closed */
    net_obj *obj = (net_obj *)lua_touserdata(nl->L, -2);
    lua_pushvalue(nl->L, -2);
    int obj_ref = luaL_ref(nl->L, LUA_REGISTRYINDEX);
    if (nl->hook_refs[NET_HOOK_CLOSE] != LUA_NOREF) {
      net_push_hook(nl, NET_HOOK_CLOSE);
      lua_insert(nl->L, -3);
      net_call(nl, 2);
    } else {
      lua_pop(nl->L, 2);
    }
    if (obj->h == h) obj->h = NULL;
    luaL_unref(nl->L, LUA_REGISTRYINDEX, obj_ref);
  } else if (h->obj != NULL && h->obj->h == h) {
    h->obj->h = NULL;
  }
  if (nl->L != NULL) {
    luaL_unref(nl->L, LUA_REGISTRYINDEX, h->self_ref);
    if (h->alias_ref != LUA_NOREF) {
      /* the object that shared this handle sees it closed too */
      lua_rawgeti(nl->L, LUA_REGISTRYINDEX, h->alias_ref);
      net_obj *alias = (net_obj *)lua_touserdata(nl->L, -1);
      if (alias != NULL && alias->h == h) alias->h = NULL;
      lua_pop(nl->L, 1);
      luaL_unref(nl->L, LUA_REGISTRYINDEX, h->alias_ref);
    }
  }
  h->self_ref = h->alias_ref = LUA_NOREF;
  free(h);
}

void net_handle_close(net_handle *h) {
  if (h->flags & NET_H_CLOSING) return;
  h->flags |= NET_H_CLOSING;
  h->closing_parts = 1;
  uv_close(&h->u.handle, on_handle_closed);
}

/* Close a TCP handle with RST instead of FIN (resetAndDestroy). */
int net_handle_reset(net_handle *h) {
  int rc;
  if (h->flags & NET_H_CLOSING) return 0;
  if (!(h->flags & NET_H_TCP)) return UV_EINVAL;
  rc = uv_tcp_close_reset(&h->u.tcp, on_handle_closed);
  if (rc != 0) return rc;
  h->flags |= NET_H_CLOSING;
  h->closing_parts = 1;
  return 0;
}

static void close_link(net_link *link) {
  net_handle_close((net_handle *)((char *)link - offsetof(net_handle, link)));
}

static const net_link_kind handle_link_kind = {
    close_link, (ptrdiff_t)offsetof(net_handle, u) - (ptrdiff_t)offsetof(net_handle, link)};

/* Tell the Lua layer a request finished: hook(obj, st, status), now or
 * (deferred) from the tick queue. */
void net_report_status(net_handle *h, enum net_hook hook, int status, int deferred) {
  net_loop *nl = h->nl;
  if (nl->L == NULL) return;
  net_push_hook(nl, hook);
  if (!net_push_self(h)) {
    lua_pop(nl->L, 1);
    return;
  }
  lua_pushinteger(nl->L, status);
  if (deferred) {
    net_tick_push(nl, 3);
  } else {
    net_call(nl, 3);
  }
}

uv_connect_t *net_connect_req(net_handle *h) {
  uv_connect_t *req = (uv_connect_t *)malloc(sizeof(uv_connect_t));
  if (req == NULL) return NULL;
  req->data = h;
  h->flags |= NET_H_CONNECTING;
  return req;
}

/* uv_connect_cb of TCP and pipe connects alike */
void net_on_connect(uv_connect_t *req, int status) {
  net_handle *h = (net_handle *)req->data;
  free(req);
  h->flags &= ~NET_H_CONNECTING;
  /* an attempt the socket has moved on from (closed at its timeout) */
  if (h->obj == NULL || h->obj->h != h) return;
  if (status == 0 && h->obj->type == NET_OBJ_SOCKET) net_idle_touch((net_sock *)h->obj);
  net_report_status(h, NET_HOOK_CONNECT, status, 0);
}

/* nl->key_refs */
enum { KEY_OWN_EMIT, KEY_EVENTS, KEY_DATA };

/* t[key] for one of the strings of nl->key_refs; t at idx (< 0) */
static int rawget_key(lua_State *L, net_loop *nl, int idx, int key) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, nl->key_refs[key]);
  return lua_rawget(L, idx - 1);
}

int net_push_data_listener(net_handle *h) {
  net_loop *nl = h->nl;
  lua_State *L = nl->L;
  int top, t;
  if (L == NULL || h->self_ref == LUA_NOREF) return 0;
  top = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->self_ref);
  lua_getiuservalue(L, -1, UV_PRIVATE);
  /* an `emit` of the object's own (a user's wrapper, as Node tests often
   * use) must see every event: the emitter calls it */
  if (rawget_key(L, nl, -1, KEY_OWN_EMIT) != LUA_TNIL) {
    lua_settop(L, top);
    return -1;
  }
  lua_pop(L, 1);
  if (rawget_key(L, nl, -1, KEY_EVENTS) != LUA_TTABLE) {
    lua_settop(L, top);
    return 0;
  }
  t = rawget_key(L, nl, -1, KEY_DATA);
  if (t == LUA_TFUNCTION) {
    lua_replace(L, top + 1);
    lua_settop(L, top + 1);
    return 1;
  }
  lua_settop(L, top);
  return t == LUA_TNIL ? 0 : -1;
}

int net_push_self(net_handle *h) {
  lua_State *L = h->nl->L;
  if (L == NULL || h->self_ref == LUA_NOREF) return 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->self_ref);
  lua_getiuservalue(L, -1, UV_PRIVATE);
  return 1;
}

void net_push_private(lua_State *L, int obj_idx) {
  lua_getiuservalue(L, obj_idx, UV_PRIVATE);
}

/* Make the libuv handle of the object at obj_idx. kind: NET_H_TCP (arg:
 * address family or AF_UNSPEC) or NET_H_PIPE (arg: ipc). On failure
 * returns NULL with *err set to the libuv status. */
net_handle *net_handle_new(lua_State *L, net_loop *nl, int obj_idx, int kind, int arg,
                           int *err) {
  net_obj *obj = (net_obj *)lua_touserdata(L, obj_idx);
  net_handle *h = (net_handle *)calloc(1, NET_HANDLE_SIZE(kind));
  int rc;
  if (h == NULL) {
    *err = UV_ENOMEM;
    return NULL;
  }
  if (kind == NET_H_TCP) {
    rc = uv_tcp_init_ex(nl->loop, &h->u.tcp, (unsigned int)arg);
  } else {
    rc = uv_pipe_init(nl->loop, &h->u.pipe, arg);
  }
  if (rc != 0) {
    free(h);
    *err = rc;
    return NULL;
  }
  h->nl = nl;
  h->obj = obj;
  h->flags = kind;
  h->alias_ref = LUA_NOREF;
  h->u.handle.data = h;
  h->link.kind = &handle_link_kind;
  if (obj->unref) {
    uv_unref(&h->u.handle);
    h->flags |= NET_H_UNREF;
  }
  net_link_add(nl, &h->link);
  lua_pushvalue(L, obj_idx);
  h->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  obj->h = h;
  return h;
}

/* The refs table (write buffers and callbacks C keeps alive) is made on
 * the first write that needs it: many sockets never queue a write. It is
 * kept in the private state rather than in a user value of its own, which
 * every socket would pay for. */
void net_push_refs(lua_State *L, int obj_idx) {
  lua_getiuservalue(L, obj_idx, UV_PRIVATE);
  if (lua_rawgetp(L, -1, &refs_key) == LUA_TNIL) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, -3, &refs_key);
  }
  lua_remove(L, -2);
}

static net_obj *obj_new(lua_State *L, const char *mt, size_t size, int type) {
  net_obj *obj = (net_obj *)lua_newuserdatauv(L, size, UV_COUNT);
  memset(obj, 0, size);
  obj->type = type;
  /* an accepted, idle socket's private state has four keys: made that
   * size, it is not resized three times on the way */
  lua_createtable(L, 0, 4);
  lua_setiuservalue(L, -2, UV_PRIVATE);
  luaL_setmetatable(L, mt);
  return obj;
}

/* The metatable of the userdata at idx, compared with the classes' by
 * address: every core function has the loop binding as upvalue 1, which
 * knows them (luaL_testudata would look each name up in the registry, on
 * every call of every entry point). 0: not ours, 1: a Socket, 2: a Server. */
static int class_of(lua_State *L, int idx) {
  net_loop **box = (net_loop **)lua_touserdata(L, lua_upvalueindex(1));
  net_loop *nl = box != NULL ? *box : NULL;
  const void *mt;
  if (nl == NULL) { /* the state is closing: the registry still knows */
    if (luaL_testudata(L, idx, NET_SOCKET_MT) != NULL) return NET_OBJ_SOCKET;
    return luaL_testudata(L, idx, NET_SERVER_MT) != NULL ? NET_OBJ_SERVER : 0;
  }
  if (lua_type(L, idx) != LUA_TUSERDATA || !lua_getmetatable(L, idx)) return 0;
  mt = lua_topointer(L, -1);
  lua_pop(L, 1);
  if (mt == nl->socket_mt) return NET_OBJ_SOCKET;
  if (mt == nl->server_mt) return NET_OBJ_SERVER;
  return 0;
}

net_obj *net_obj_check(lua_State *L, int idx) {
  if (class_of(L, idx) == 0) luaL_typeerror(L, idx, "net.Socket or net.Server");
  return (net_obj *)lua_touserdata(L, idx);
}

net_sock *net_sock_test(lua_State *L, int idx) {
  return class_of(L, idx) == NET_OBJ_SOCKET ? (net_sock *)lua_touserdata(L, idx) : NULL;
}

net_sock *net_sock_check(lua_State *L, int idx) {
  if (class_of(L, idx) != NET_OBJ_SOCKET) luaL_typeerror(L, idx, NET_SOCKET_MT);
  return (net_sock *)lua_touserdata(L, idx);
}

net_handle *net_handle_of(lua_State *L, int idx) {
  net_obj *obj = net_obj_check(L, idx);
  if (obj->h == NULL || (obj->h->flags & NET_H_CLOSING)) return NULL;
  return obj->h;
}

net_handle *net_handle_kind(lua_State *L, int idx, int kind) {
  net_handle *h = net_handle_of(L, idx);
  return h != NULL && (h->flags & kind) ? h : NULL;
}

/* An object collected with its handle still open: only at lua_close (an
 * open handle holds a reference to its object). Ask libuv to close it; the
 * loop binding's finalizer, which runs last, lets the close finish. */
static int obj_gc(lua_State *L) {
  net_obj *obj = (net_obj *)lua_touserdata(L, 1);
  if (obj->h != NULL) {
    net_handle *h = obj->h;
    obj->h = NULL;
    h->obj = NULL;
    net_handle_close(h);
  }
  if (obj->type == NET_OBJ_SOCKET) {
    net_sock_free_buffers((net_sock *)obj);
    net_idle_free((net_sock *)obj);
  }
  return 0;
}

static int obj_tostring(lua_State *L) {
  luaL_getmetafield(L, 1, "__name");
  lua_pushfstring(L, "%s: %p", lua_tostring(L, -1), lua_topointer(L, 1));
  return 1;
}

/* core.private(obj): the Lua layer's state table of the object */
static int l_private(lua_State *L) {
  net_obj_check(L, 1);
  lua_getiuservalue(L, 1, UV_PRIVATE);
  return 1;
}

net_sock *net_sock_new(lua_State *L) {
  net_sock *s = (net_sock *)obj_new(L, NET_SOCKET_MT, sizeof(net_sock), NET_OBJ_SOCKET);
  s->flowing = -1;
  s->whwm = s->rhwm = NET_DEFAULT_HIGH_WATER_MARK;
  s->read_size = NET_READ_BUF_SIZE;
  return s;
}

static int l_new_socket(lua_State *L) {
  net_sock_new(L);
  return 1;
}

static int l_new_server(lua_State *L) {
  obj_new(L, NET_SERVER_MT, sizeof(net_obj), NET_OBJ_SERVER);
  return 1;
}

/* core.hasHandle(obj): the object has an open (not closing) handle */
static int l_has_handle(lua_State *L) {
  lua_pushboolean(L, net_handle_of(L, 1) != NULL);
  return 1;
}

/* handle.close(obj): close the handle; the close hook fires when libuv is done */
static int l_close(lua_State *L) {
  net_obj *obj = net_obj_check(L, 1);
  if (obj->h != NULL) net_handle_close(obj->h);
  return 0;
}

static int l_ref(lua_State *L) {
  net_handle *h = net_handle_of(L, 1);
  net_obj_check(L, 1)->unref = 0;
  if (h != NULL) {
    uv_ref(&h->u.handle);
    h->flags &= ~NET_H_UNREF;
  }
  return 0;
}

static int l_unref(lua_State *L) {
  net_handle *h = net_handle_of(L, 1);
  net_obj_check(L, 1)->unref = 1;
  if (h != NULL) {
    uv_unref(&h->u.handle);
    h->flags |= NET_H_UNREF;
  }
  return 0;
}

/* handle.adopt(server, other): share other's open handle, for
 * listen(handle), as Node's listen(server) shares server._handle: events
 * now go to `server`; `other` still sees the handle (address(), listening)
 * until it closes. Refused while other has writes under way or already
 * shares its handle. */
static int l_adopt(lua_State *L) {
  net_obj *obj = (net_obj *)luaL_checkudata(L, 1, NET_SERVER_MT);
  net_obj *other = net_obj_check(L, 2);
  net_handle *h = other->h;
  if (h == NULL || (h->flags & NET_H_CLOSING)) return net_push_uv_result(L, UV_EBADF);
  if (obj->h != NULL && !(obj->h->flags & NET_H_CLOSING)) return net_push_uv_result(L, UV_EBUSY);
  if (h->inflight > 0 || h->alias_ref != LUA_NOREF) return net_push_uv_result(L, UV_EBUSY);
  if (other->type == NET_OBJ_SOCKET && ((net_sock *)other)->wq != NULL &&
      ((net_sock *)other)->wq->n > 0) {
    return net_push_uv_result(L, UV_EBUSY);
  }
  obj->h = h;
  h->obj = obj;
  h->alias_ref = h->self_ref; /* other keeps its pointer; cleared at close */
  lua_pushvalue(L, 1);
  h->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return net_push_uv_result(L, 0);
}

/* handle.kind(obj) -> 'tcp' | 'pipe' | nil */
static int l_kind(lua_State *L) {
  net_handle *h = net_handle_of(L, 1);
  if (h == NULL) return 0;
  lua_pushstring(L, (h->flags & NET_H_PIPE) ? "pipe" : "tcp");
  return 1;
}

/* handle.hasRef(obj) */
static int l_has_ref(lua_State *L) {
  net_handle *h = net_handle_of(L, 1);
  lua_pushboolean(L, h != NULL && uv_has_ref(&h->u.handle));
  return 1;
}

static const luaL_Reg handle_funcs[] = {
    {"adopt", l_adopt}, {"kind", l_kind},   {"close", l_close},
    {"ref", l_ref},     {"unref", l_unref}, {"hasRef", l_has_ref},
    {NULL, NULL},
};

/* Make one class metatable; stack: classes table on top. */
static void make_class(lua_State *L, const char *mt, const char *name) {
  luaL_newmetatable(L, mt);
  int meta = lua_gettop(L);
  lua_newtable(L); /* methods */
  lua_newtable(L); /* getters */
  lua_newtable(L); /* setters */
  lua_pushvalue(L, meta + 1);
  lua_pushvalue(L, meta + 2);
  lua_pushliteral(L, "_events");
  lua_pushcclosure(L, obj_index, 3);
  lua_setfield(L, meta, "__index");
  lua_pushvalue(L, meta + 3);
  lua_pushvalue(L, meta + 2);
  lua_pushliteral(L, "_events");
  lua_pushcclosure(L, obj_newindex, 3);
  lua_setfield(L, meta, "__newindex");
  lua_pushcfunction(L, obj_gc);
  lua_setfield(L, meta, "__gc");
  lua_pushcfunction(L, obj_tostring);
  lua_setfield(L, meta, "__tostring");
  /* classes[name] = { meta =, methods =, getters =, setters = } */
  lua_createtable(L, 0, 4);
  lua_pushvalue(L, meta);
  lua_setfield(L, -2, "meta");
  lua_pushvalue(L, meta + 1);
  lua_setfield(L, -2, "methods");
  lua_pushvalue(L, meta + 2);
  lua_setfield(L, -2, "getters");
  lua_pushvalue(L, meta + 3);
  lua_setfield(L, -2, "setters");
  lua_setfield(L, meta - 1, name);
  lua_settop(L, meta - 1);
}

static const luaL_Reg object_funcs[] = {
    {"private", l_private},
    {"newSocket", l_new_socket},
    {"newServer", l_new_server},
    {"hasHandle", l_has_handle},
    {NULL, NULL},
};

void net_open_classes(lua_State *L) {
  net_loop *nl;
  lua_getfield(L, LUA_REGISTRYINDEX, NET_LOOP_KEY);
  nl = *(net_loop **)lua_touserdata(L, -1);
  lua_pop(L, 1);
  lua_newtable(L);
  make_class(L, NET_SOCKET_MT, "Socket");
  make_class(L, NET_SERVER_MT, "Server");
  lua_pushliteral(L, "ownEmit");
  nl->key_refs[KEY_OWN_EMIT] = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushliteral(L, "_events");
  nl->key_refs[KEY_EVENTS] = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushliteral(L, "data");
  nl->key_refs[KEY_DATA] = luaL_ref(L, LUA_REGISTRYINDEX);
  luaL_getmetatable(L, NET_SOCKET_MT);
  nl->socket_mt = lua_topointer(L, -1);
  luaL_getmetatable(L, NET_SERVER_MT);
  nl->server_mt = lua_topointer(L, -1);
  lua_pop(L, 2);
  lua_setfield(L, -2, "classes");
  net_setfuncs(L, object_funcs);
  net_internal(L, "handle", handle_funcs);
  /* the defaults, for the Lua layer */
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, NET_DEFAULT_HIGH_WATER_MARK);
  lua_setfield(L, -2, "highWaterMark");
  lua_pushinteger(L, NET_DEFAULT_BACKLOG);
  lua_setfield(L, -2, "backlog");
  lua_pushinteger(L, NET_DEFAULT_KEEPALIVE_INTERVAL_MS);
  lua_setfield(L, -2, "keepAliveInterval");
  lua_pushinteger(L, NET_DEFAULT_KEEPALIVE_COUNT);
  lua_setfield(L, -2, "keepAliveCount");
  lua_pushinteger(L, NET_READ_BUF_SIZE);
  lua_setfield(L, -2, "readBufferSize");
  lua_setfield(L, -2, "DEFAULTS");
}
