/* object.c: the Socket and Server userdata.
 *
 * Each object is a userdata holding a pointer to its handle, with two user
 * values: 1 = a fields table (listeners, the Lua layer's state, any field a
 * user sets), 2 = a refs table (write buffers and callbacks C keeps alive).
 * The class metatables are made here; the Lua layer fills their method,
 * getter and setter tables, so C and Lua methods live on the same object.
 */
#include <stdlib.h>
#include <string.h>

#include "net.h"

/* __index(obj, key): own fields, then getters, then methods (whose own
 * metatable chains to EventEmitter's). */
static int obj_index(lua_State *L) {
  lua_getiuservalue(L, 1, 1);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, -2) != LUA_TNIL) return 1;
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

/* __newindex(obj, key, value): a setter if the class has one for `key`,
 * else the field is stored on the object. */
static int obj_newindex(lua_State *L) {
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) {
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 3);
    lua_call(L, 2, 0);
    return 0;
  }
  lua_settop(L, 3);
  lua_getiuservalue(L, 1, 1);
  lua_insert(L, 2);
  lua_rawset(L, 2);
  return 0;
}

static void on_handle_closed(uv_handle_t *handle) {
  net_handle *h = (net_handle *)handle->data;
  net_loop *nl = h->nl;
  if (--h->closing_parts > 0) return;
  net_link_remove(nl, &h->link);
  net_stream_release_writes(h, UV_ECANCELED);
  if (net_push_self(h)) {
    /* the hook may still read the counters (obj->h stays set during it);
     * every other method sees the handle as closed */
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
  free(h->pending);
  free(h);
}

void net_handle_close(net_handle *h) {
  if (h->flags & NET_F_CLOSING) return;
  h->flags |= NET_F_CLOSING;
  h->closing_parts = 2;
  uv_close(&h->u.handle, on_handle_closed);
  uv_close((uv_handle_t *)&h->timer, on_handle_closed);
}

/* Close a TCP handle with RST instead of FIN (resetAndDestroy). */
int net_handle_reset(net_handle *h) {
  int rc;
  if (h->flags & NET_F_CLOSING) return 0;
  if (!(h->flags & NET_F_TCP)) return UV_EINVAL;
  rc = uv_tcp_close_reset(&h->u.tcp, on_handle_closed);
  if (rc != 0) return rc;
  h->flags |= NET_F_CLOSING;
  h->closing_parts = 2;
  uv_close((uv_handle_t *)&h->timer, on_handle_closed);
  return 0;
}

static void close_link(net_link *link) {
  net_handle_close((net_handle *)((char *)link - offsetof(net_handle, link)));
}

/* Tell the Lua layer a request finished: hook(obj, fields, status), now
 * or (deferred) from the tick queue. */
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

/* uv_connect_cb of TCP and pipe connects alike */
void net_on_connect(uv_connect_t *req, int status) {
  net_report_status((net_handle *)req->data, NET_HOOK_CONNECT, status, 0);
}

int net_push_self(net_handle *h) {
  lua_State *L = h->nl->L;
  if (L == NULL || h->self_ref == LUA_NOREF) return 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->self_ref);
  lua_getiuservalue(L, -1, 1);
  return 1;
}

/* Make the libuv handle of the object at obj_idx. kind: NET_F_TCP (arg:
 * address family or AF_UNSPEC) or NET_F_PIPE (arg: ipc). On failure
 * returns NULL with *err set to the libuv status. */
static void free_handle(uv_handle_t *handle) { free(handle->data); }

net_handle *net_handle_new(lua_State *L, net_loop *nl, int obj_idx, int kind, int arg,
                           int *err) {
  net_obj *obj = (net_obj *)lua_touserdata(L, obj_idx);
  net_handle *h = (net_handle *)calloc(1, sizeof(net_handle));
  int rc;
  if (h == NULL) {
    if (err) *err = UV_ENOMEM;
    return NULL;
  }
  if (kind == NET_F_TCP) {
    rc = uv_tcp_init_ex(nl->loop, &h->u.tcp, (unsigned int)arg);
  } else {
    rc = uv_pipe_init(nl->loop, &h->u.pipe, arg);
  }
  if (rc != 0) {
    free(h);
    if (err) *err = rc;
    return NULL;
  }
  rc = uv_timer_init(nl->loop, &h->timer);
  if (rc != 0) {
    /* the stream handle exists now: it must be closed, not freed */
    h->nl = nl;
    h->self_ref = h->alias_ref = LUA_NOREF;
    h->closing_parts = 1;
    h->flags = NET_F_CLOSING;
    h->u.handle.data = h;
    uv_close(&h->u.handle, free_handle);
    if (err) *err = rc;
    return NULL;
  }
  uv_unref((uv_handle_t *)&h->timer);
  h->nl = nl;
  h->flags = kind;
  h->hwm = 16384;
  h->read_size = NET_READ_BUF_SIZE;
  h->alias_ref = LUA_NOREF;
  h->u.handle.data = h;
  h->timer.data = h;
  h->link.close = close_link;
  h->link.handle = &h->u.handle;
  net_link_add(nl, &h->link);
  lua_pushvalue(L, obj_idx);
  h->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  obj->h = h;
  return h;
}

net_obj *net_obj_new(lua_State *L, const char *mt) {
  net_obj *obj = (net_obj *)lua_newuserdatauv(L, sizeof(net_obj), 2);
  obj->h = NULL;
  lua_newtable(L);
  lua_setiuservalue(L, -2, 1);
  lua_newtable(L);
  lua_setiuservalue(L, -2, 2);
  luaL_setmetatable(L, mt);
  return obj;
}

net_obj *net_obj_check(lua_State *L, int idx) {
  void *p = luaL_testudata(L, idx, NET_SOCKET_MT);
  if (p == NULL) p = luaL_testudata(L, idx, NET_SERVER_MT);
  if (p == NULL) luaL_typeerror(L, idx, "net.Socket or net.Server");
  return (net_obj *)p;
}

net_handle *net_handle_check(lua_State *L, int idx) {
  net_obj *obj = net_obj_check(L, idx);
  if (obj->h == NULL || (obj->h->flags & NET_F_CLOSING)) return NULL;
  return obj->h;
}

/* An object collected with its handle still open: only at lua_close (an
 * open handle holds a reference to its object). Ask libuv to close it; the
 * loop binding's finalizer, which runs last, lets the close finish. */
static int obj_gc(lua_State *L) {
  net_obj *obj = (net_obj *)lua_touserdata(L, 1);
  if (obj->h != NULL) {
    net_handle *h = obj->h;
    obj->h = NULL;
    net_handle_close(h);
  }
  return 0;
}

static int obj_tostring(lua_State *L) {
  luaL_getmetafield(L, 1, "__name");
  lua_pushfstring(L, "%s: %p", lua_tostring(L, -1), lua_topointer(L, 1));
  return 1;
}

/* core.fields(obj): the object's fields table (the Lua layer's state) */
static int l_fields(lua_State *L) {
  net_obj_check(L, 1);
  lua_getiuservalue(L, 1, 1);
  return 1;
}

static int l_new_socket(lua_State *L) {
  net_obj_new(L, NET_SOCKET_MT);
  return 1;
}

static int l_new_server(lua_State *L) {
  net_obj_new(L, NET_SERVER_MT);
  return 1;
}

/* core.hasHandle(obj): the object has an open (not closing) handle */
static int l_has_handle(lua_State *L) {
  net_obj *obj = net_obj_check(L, 1);
  lua_pushboolean(L, obj->h != NULL && !(obj->h->flags & NET_F_CLOSING));
  return 1;
}

/* obj:_close(): close the handle; the close hook fires when libuv is done */
static int m_close(lua_State *L) {
  net_obj *obj = net_obj_check(L, 1);
  if (obj->h != NULL) net_handle_close(obj->h);
  return 0;
}

static int m_ref(lua_State *L) {
  net_obj *obj = net_obj_check(L, 1);
  if (obj->h != NULL) {
    uv_ref(&obj->h->u.handle);
    obj->h->flags &= ~NET_F_UNREF;
  }
  return 0;
}

static int m_unref(lua_State *L) {
  net_obj *obj = net_obj_check(L, 1);
  if (obj->h != NULL) {
    uv_unref(&obj->h->u.handle);
    obj->h->flags |= NET_F_UNREF;
  }
  return 0;
}

static int m_has_ref(lua_State *L) {
  net_obj *obj = net_obj_check(L, 1);
  lua_pushboolean(L, obj->h != NULL && uv_has_ref(&obj->h->u.handle));
  return 1;
}

/* obj:_adopt(other): share other's open handle, for listen(handle), as
 * Node's listen(server) shares server._handle: events now go to obj; other
 * still sees the handle (address(), listening) until it closes. Refused
 * while other has writes queued (their buffers are pinned in other's refs
 * table) or already shares its handle. */
static int m_adopt(lua_State *L) {
  net_obj *obj = net_obj_check(L, 1);
  net_obj *other = net_obj_check(L, 2);
  net_handle *h = other->h;
  if (h == NULL || (h->flags & NET_F_CLOSING)) return net_push_uv_result(L, UV_EBADF);
  if (obj->h != NULL && !(obj->h->flags & NET_F_CLOSING)) return net_push_uv_result(L, UV_EBUSY);
  if (h->inflight > 0 || h->npending > 0 || h->alias_ref != LUA_NOREF) {
    return net_push_uv_result(L, UV_EBUSY);
  }
  obj->h = h;
  h->alias_ref = h->self_ref; /* other keeps its pointer; cleared at close */
  lua_pushvalue(L, 1);
  h->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return net_push_uv_result(L, 0);
}

/* obj:_isPipe() */
static int m_is_pipe(lua_State *L) {
  net_obj *obj = net_obj_check(L, 1);
  lua_pushboolean(L, obj->h != NULL && (obj->h->flags & NET_F_PIPE));
  return 1;
}

static const luaL_Reg common_methods[] = {
    {"_adopt", m_adopt},
    {"_isPipe", m_is_pipe},
    {"_close", m_close},
    {"_ref", m_ref},
    {"_unref", m_unref},
    {"_hasRef", m_has_ref},
    {NULL, NULL},
};

void net_class_add(lua_State *L, const char *mt, const luaL_Reg *methods) {
  luaL_getmetatable(L, mt);
  lua_getfield(L, -1, "methods");
  net_setfuncs(L, methods);
  lua_pop(L, 2);
}

/* Make one class metatable; stack: classes table on top. */
static void make_class(lua_State *L, const char *mt, const char *name) {
  luaL_newmetatable(L, mt);
  int meta = lua_gettop(L);
  lua_newtable(L); /* methods */
  lua_newtable(L); /* getters */
  lua_newtable(L); /* setters */
  lua_pushvalue(L, meta + 1);
  lua_setfield(L, meta, "methods");
  lua_pushvalue(L, meta + 1);
  lua_pushvalue(L, meta + 2);
  lua_pushcclosure(L, obj_index, 2);
  lua_setfield(L, meta, "__index");
  lua_pushvalue(L, meta + 3);
  lua_pushcclosure(L, obj_newindex, 1);
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
  net_class_add(L, mt, common_methods);
}

static const luaL_Reg object_funcs[] = {
    {"fields", l_fields},
    {"newSocket", l_new_socket},
    {"newServer", l_new_server},
    {"hasHandle", l_has_handle},
    {NULL, NULL},
};

void net_open_classes(lua_State *L) {
  lua_newtable(L);
  make_class(L, NET_SOCKET_MT, "Socket");
  make_class(L, NET_SERVER_MT, "Server");
  lua_setfield(L, -2, "classes");
  net_setfuncs(L, object_funcs);
}
