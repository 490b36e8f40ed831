/* net.h: what the C files of `net.core` share.
 *
 * Shape: one loop binding (net_loop) per Lua state, kept as a userdata in
 * the registry and passed to every C function as upvalue 1. Sockets and
 * servers are userdata holding a pointer to a malloc'd net_handle (the libuv
 * handle must outlive the userdata while libuv closes it). Everything the
 * Lua layer must hear about (data, end, connect, close, ...) goes through a
 * fixed set of Lua hook functions, registered once by lua/net/init.lua.
 */
#ifndef NET_H
#define NET_H

#include <stddef.h>
#include <stdint.h>

#include <lauxlib.h>
#include <lua.h>
#include <uv.h>

#define NET_READ_BUF_SIZE 65536

/* The Lua functions C calls into; set with core.setHooks{...}. */
enum net_hook {
  NET_HOOK_DATA,       /* (sock, fields, chunk) */
  NET_HOOK_EOF,        /* (sock, fields) */
  NET_HOOK_READERR,    /* (sock, fields, errno) */
  NET_HOOK_WRITTEN,    /* (sock, fields, errno|nil, cbs|nil) */
  NET_HOOK_CONNECT,    /* (sock, fields, status) */
  NET_HOOK_SHUTDOWN,   /* (sock, fields, status) */
  NET_HOOK_CLOSE,      /* (obj, fields) after the handle is closed */
  NET_HOOK_CONNECTION, /* (server, fields, client|nil, status) */
  NET_HOOK_TIMEOUT,    /* (sock, fields) idle timeout */
  NET_HOOK_COUNT
};

/* Every libuv handle this module opens is on its loop binding's list, so
 * core.closeAll() (the spec harness's clean-up) and the leak check can find
 * them without walking handles that belong to luv or others. */
typedef struct net_link {
  struct net_link *prev, *next;
  void (*close)(struct net_link *link);
  int is_timer; /* timers are not counted as leaks when unref'd */
  const uv_handle_t *handle; /* for describing it */
} net_link;

/* The leading fields of luv's luv_ctx_t (see loop.c for what net reads
 * and writes, and why the layout can be relied on). */
typedef struct net_luv_ctx net_luv_ctx;

/* Allocated with malloc, not as a userdata: at lua_close it must outlive
 * the Lua state until every handle and lookup it owns has finished (when
 * luv owns the loop, luv's teardown finishes them after ours). */
typedef struct net_loop {
  uv_loop_t *loop;
  lua_State *L;        /* the main thread: every callback runs on it;
                        * NULL once the Lua state is closing */
  int hook_refs[NET_HOOK_COUNT];
  int ticks_ref;       /* registry ref of the deferred-callback queue */
  lua_Integer ticks_head, ticks_tail;
  int error_ref;       /* the error that stopped the loop, or LUA_NOREF */
  int depth;           /* nesting of Lua calls made from callbacks */
  int msgh_index;      /* stack slot of the message handler while net.run
                        * runs the loop (saves pushing it per callback) */
  int handles;         /* open net handles, for leak checks */
  net_link open;       /* list head of open handles */
  uv_check_t immediate_check; /* runs setImmediate callbacks */
  uv_idle_t immediate_idle;   /* keeps the poll phase from blocking */
  uv_idle_t tick_idle;        /* drains ticks queued outside net's callbacks */
  int immediate_ref;          /* the Lua function that runs immediates */
  void *timer_pool;           /* stopped timers kept for reuse (timer.c) */
  int timer_pool_len;
  /* sharing the loop with luv, and the end of the state (loop.c) */
  net_luv_ctx *luv;    /* luv's context when luv runs on this loop, or NULL */
  int owns_loop;       /* net picked the loop (else luv or a host did) */
  int running;         /* net.run is inside uv_run */
  int closed;          /* the Lua state closed: free once nothing is left */
  int reaping;         /* the last close that frees this struct is queued */
  int own_handles_open; /* of the three handles above */
  int *freed_flag;     /* set to 1 when the struct is freed (loop_gc waits) */
  void *lookups;       /* getaddrinfo requests in flight (dns.c) */
  int lookups_len;
  char read_buf[NET_READ_BUF_SIZE];
} net_loop;

/* What a socket or server userdata points to. One struct for both: a
 * listening TCP handle and a connected one are the same libuv type. */
typedef struct net_write_batch net_write_batch;

typedef struct net_wentry {
  const char *base;
  size_t len;
  int data_ref; /* keeps the Lua string alive (refs table of the object) */
  int cb_ref;   /* the user's write callback, or LUA_NOREF */
} net_wentry;

enum {
  NET_F_TCP = 1 << 0,
  NET_F_PIPE = 1 << 1,
  NET_F_READING = 1 << 2,
  NET_F_CLOSING = 1 << 3,
  NET_F_CORKED = 1 << 4,
  NET_F_NEED_DRAIN = 1 << 5,
  NET_F_SHUTDOWN_WANTED = 1 << 6,
  NET_F_TIMER_ARMED = 1 << 7,
  NET_F_UNREF = 1 << 8,
  NET_F_BOUND_PATH = 1 << 9
};

typedef struct net_handle {
  net_link link;
  union {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } u;
  net_loop *nl;
  int self_ref;      /* registry ref to the userdata while the handle is open */
  int alias_ref;     /* another object sharing the handle (listen(server)) */
  int flags;
  int closing_parts; /* libuv handles still to close (the stream, the timer) */
  uint64_t bytes_read;
  uint64_t bytes_written;
  uint64_t write_calls; /* uv_try_write + uv_write calls: coalescing shows here */
  size_t queued;     /* bytes accepted by write() and not yet written */
  size_t hwm;        /* writable high-water mark */
  size_t read_size;  /* most bytes one read may deliver (onread's buffer) */
  /* writes accepted but not yet given to libuv (corked or busy) */
  net_wentry *pending;
  size_t npending, cap_pending;
  size_t pending_bytes;
  int inflight;      /* write batches given to libuv and not yet done */
  uv_connect_t connect_req;
  uv_shutdown_t shutdown_req;
  /* idle timeout (setTimeout): one timer, re-armed lazily on expiry */
  uv_timer_t timer;
  uint64_t timeout_ms;
  uint64_t last_active;
} net_handle;

typedef struct net_obj {
  net_handle *h; /* NULL before the handle is made and after it is closed */
} net_obj;

#define NET_SOCKET_MT "net.Socket"
#define NET_SERVER_MT "net.Server"

/* loop.c */
void net_link_add(net_loop *nl, net_link *link);
void net_link_remove(net_loop *nl, net_link *link);
net_loop *net_loop_get(lua_State *L); /* upvalue 1 of every core function */
int net_call(net_loop *nl, int nargs);  /* pcall fn+args on top; 0 on success */
void net_tick_push(net_loop *nl, int nargs); /* defer fn+args on top */
void net_push_hook(net_loop *nl, enum net_hook hook);
void net_open_loop(lua_State *L);
/* after the state closed: free the binding once the last handle or lookup
 * has finished (call after a count dropped) */
void net_loop_settle(net_loop *nl);
/* a Lua call made now would run (not dropped: no error on its way out of
 * net.run, the state not closing) */
int net_loop_takes_calls(net_loop *nl);
/* luaL_setfuncs into the table on top, with the loop as upvalue 1 */
void net_setfuncs(lua_State *L, const luaL_Reg *funcs);

/* object.c: the userdata classes shared by sockets and servers */
void net_open_classes(lua_State *L);
net_obj *net_obj_new(lua_State *L, const char *mt);
net_obj *net_obj_check(lua_State *L, int idx); /* a socket or a server */
/* the handle of a socket or server, or NULL when it is closed or closing:
 * methods then answer nil, EBADF (the Lua layer guards what users see) */
net_handle *net_handle_check(lua_State *L, int idx);
net_handle *net_handle_new(lua_State *L, net_loop *nl, int obj_idx, int kind, int arg,
                           int *err);
void net_handle_close(net_handle *h);
int net_handle_reset(net_handle *h); /* close with RST; 0 or a libuv error */
/* push the object and its fields table; returns 0 if the object is gone */
int net_push_self(net_handle *h);
void net_class_add(lua_State *L, const char *mt, const luaL_Reg *methods);
void net_report_status(net_handle *h, enum net_hook hook, int status, int deferred);
void net_on_connect(uv_connect_t *req, int status);

/* errors.c */
void net_open_errors(lua_State *L);
int net_push_uv_result(lua_State *L, int status); /* true, or nil+errno */

/* stream.c, tcp.c, pipe.c, server.c, timer.c, dns.c, addresses.c */
void net_open_stream(lua_State *L);
void net_stream_touch(net_handle *h);
void net_stream_release_writes(net_handle *h, int status);
void net_open_tcp(lua_State *L);
void net_open_pipe(lua_State *L);
void net_open_server(lua_State *L);
void net_open_timer(lua_State *L);
void net_open_dns(lua_State *L);
void net_dns_cancel_all(net_loop *nl); /* at lua_close */
void net_open_addresses(lua_State *L);

/* sockaddr helpers (tcp.c) */
int net_push_sockaddr(lua_State *L, const struct sockaddr *sa);

#endif
