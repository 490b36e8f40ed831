/* net.h: what the C files of `net.core` share.
 *
 * Shape: one loop binding (net_loop) per Lua state, kept as a userdata in
 * the registry and passed to every C function as upvalue 1.
 *
 * A Socket or Server is a userdata. A Socket's userdata is a net_sock: the
 * whole state C needs (cork depth, needDrain, high-water marks, byte
 * counters, flowing, ended and destroyed) lives there from net.Socket() on,
 * whether or not a connection exists; what only some sockets need (the
 * write queue, the read-ahead buffer, the idle timer) hangs off it, made on
 * first need. The libuv handle is a separate malloc'd net_handle, made by
 * connect, accept or listen, because libuv needs it to outlive the userdata
 * while it closes.
 *
 * Each userdata has two user values (object.c): 1 = the user's own fields
 * (made on the first), 2 = the Lua layer's private state table, which also
 * holds the emitter's listeners (`_events`) and, under a C-only key, the
 * refs (write buffers and callbacks C keeps alive). Everything the Lua layer
 * must hear about goes through a fixed set of hook functions, called with
 * (object, private state, ...).
 *
 * The C entry points the Lua layer uses are plain functions in internal
 * tables (core.stream, core.tcp, core.pipe, core.server, ...), never
 * methods a user can see on an object.
 */
#ifndef NET_H
#define NET_H

#include <stddef.h>
#include <stdint.h>

#include <lauxlib.h>
#include <lua.h>
#include <uv.h>

/* Every default the C core and the Lua layer share (core.DEFAULTS). */
#define NET_DEFAULT_HIGH_WATER_MARK 16384
#define NET_DEFAULT_BACKLOG 511
#define NET_DEFAULT_KEEPALIVE_INTERVAL_MS 1000
#define NET_DEFAULT_KEEPALIVE_COUNT 10
#define NET_READ_BUF_SIZE 65536

/* the registry key of the loop binding's userdata (loop.c) */
#define NET_LOOP_KEY "net.loop"

/* The Lua functions C calls into; set with core.setHooks{...}. */
enum net_hook {
  NET_HOOK_DATA,       /* (sock, st, chunk): a chunk for the consumer */
  NET_HOOK_READABLE,   /* (sock, st): bytes were added to the read buffer */
  NET_HOOK_EOF,        /* (sock, st) */
  NET_HOOK_READERR,    /* (sock, st, errno) */
  NET_HOOK_WRITTEN,    /* (sock, st, errno|nil, cbs|nil, drain) */
  NET_HOOK_CONNECT,    /* (sock, st, status) */
  NET_HOOK_SHUTDOWN,   /* (sock, st, status) */
  NET_HOOK_CLOSE,      /* (obj, st) after the handle is closed */
  NET_HOOK_CONNECTION, /* (server, st, client|nil, status) */
  NET_HOOK_TIMEOUT,    /* (sock, st) idle timeout */
  NET_HOOK_COUNT
};

/* Every libuv handle this module opens is on its loop binding's list, so
 * core.closeAll() (the spec harness's clean-up) and the leak check can find
 * them without walking handles that belong to luv or others. */
typedef struct net_link net_link;

/* What a kind of link (a socket or server handle, an idle timer, a timer)
 * shares, so that each link is only two pointers and this one. */
typedef struct net_link_kind {
  void (*close)(net_link *link);
  ptrdiff_t handle_offset; /* from the link to its libuv handle */
} net_link_kind;

struct net_link {
  net_link *prev, *next;
  const net_link_kind *kind;
};

/* the libuv handle of a link (for describing and counting it) */
static inline const uv_handle_t *net_link_handle(const net_link *link) {
  return (const uv_handle_t *)((const char *)link + link->kind->handle_offset);
}

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
  /* the Socket and Server metatables (kept alive by the registry), so that
   * checking an argument's class is two pointer compares (object.c) */
  const void *socket_mt, *server_mt;
  /* registry refs of the strings the data hot path looks up (object.c):
   * pushing one costs less than hashing a C string per message */
  int key_refs[3];
  void *lookups;       /* getaddrinfo requests in flight (dns.c) */
  int lookups_len;
  char read_buf[NET_READ_BUF_SIZE];
} net_loop;

/* A write accepted and not yet done: it points into the Lua string, which
 * the object's refs table keeps alive. */
typedef struct net_wentry {
  const char *base;
  size_t len;
  int data_ref;
  int cb_ref;   /* the user's write callback, or LUA_NOREF */
} net_wentry;

/* net_handle.flags */
enum {
  NET_H_TCP = 1 << 0,
  NET_H_PIPE = 1 << 1,
  NET_H_READING = 1 << 2,    /* uv_read_start is in effect */
  NET_H_CLOSING = 1 << 3,
  NET_H_CONNECTING = 1 << 4, /* a connect request is under way */
  NET_H_UNREF = 1 << 5
};

typedef struct net_obj net_obj;
typedef struct net_sock net_sock;
typedef struct net_idle net_idle;

/* The libuv side of a socket or server: one struct for both, since a
 * listening TCP handle and a connected one are the same libuv type. */
typedef struct net_handle {
  net_link link;
  net_loop *nl;
  net_obj *obj;      /* the userdata it belongs to; NULL once collected */
  int self_ref;      /* registry ref to the userdata while the handle is open */
  int alias_ref;     /* another object sharing the handle (listen(server)) */
  int flags;
  int closing_parts; /* libuv handles still to close */
  int inflight;      /* write batches given to libuv and not yet done */
  int inflight_behind; /* of those, the ones queued behind the first (end()
                        * hands every queued write over so the FIN follows
                        * them): in Node they would still be buffered */
  /* Connect and shutdown requests are made when used (most handles never
   * connect). The libuv handle comes last: the block is allocated to the
   * size of its kind (a TCP handle is smaller than a pipe's). */
  union {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } u;
} net_handle;

/* bytes of a net_handle holding a handle of `kind` (NET_H_TCP/NET_H_PIPE) */
#define NET_HANDLE_SIZE(kind) \
  (offsetof(net_handle, u) + ((kind) == NET_H_TCP ? sizeof(uv_tcp_t) : sizeof(uv_pipe_t)))

enum { NET_OBJ_SOCKET = 1, NET_OBJ_SERVER = 2 };

/* The head of every Socket and Server userdata. */
struct net_obj {
  net_handle *h; /* NULL before the handle is made and after it is closed */
  int type;      /* NET_OBJ_SOCKET or NET_OBJ_SERVER */
  int unref;     /* unref() was called: applies to every handle it gets */
};

/* net_sock.flags */
enum {
  NET_S_DESTROYED = 1 << 0,  /* destroy() was called */
  NET_S_ENDED = 1 << 1,      /* end() was called: no more writes (writableEnded) */
  NET_S_HOLD = 1 << 2,       /* writes wait for the connection (flush on connect) */
  NET_S_NEED_DRAIN = 1 << 3, /* a write() returned false: 'drain' when empty */
  NET_S_WANT_READ = 1 << 4,  /* the consumer wants data: read while under the mark */
  NET_S_EOF = 1 << 5,        /* the peer's FIN (or a read error) arrived */
  NET_S_ONREAD = 1 << 6,     /* onread mode: every chunk goes to the data hook */
  NET_S_SHUTDOWN = 1 << 7,   /* the FIN was requested */
  NET_S_DECODE = 1 << 8      /* every chunk to the data hook (setEncoding) */
};

/* Writes that wait (stream.c): not yet given to libuv because the socket
 * is connecting (HOLD), corked, or has a write in flight. Made by the
 * first write that must wait; dropped once empty with no write in flight,
 * so a socket whose writes go straight to the kernel never has one. */
typedef struct net_wqueue {
  size_t n, cap;
  size_t bytes;          /* of the n entries */
  net_wentry entries[];  /* cap of them */
} net_wqueue;

/* Bytes read ahead while nobody consumes them (stream.c, framing.c): kept
 * as bytes plus chunk lengths, so Node's chunking survives. Made by the
 * first chunk that is buffered and dropped when the consumer empties it,
 * so a flowing socket (chunks go straight to the consumer) never has one. */
typedef struct net_readbuf {
  size_t off, len, cap;  /* bytes[off .. off+len) are buffered, of cap */
  size_t *chunks;        /* lengths of the buffered chunks, in order */
  size_t chunk_head, chunk_n, chunk_cap;
  size_t units;          /* with setEncoding: the buffered text's length as
                          * Node counts a string's, in UTF-16 code units */
  char bytes[];          /* cap of them */
} net_readbuf;

/* A Socket userdata: the one place of a socket's stream state. The parts
 * only some sockets use are separate blocks behind a pointer, NULL while
 * unused (a NULL queue or buffer is an empty one): an idle or flowing
 * connection carries only the fields every socket needs. */
struct net_sock {
  net_obj base;
  int flags;
  int flowing;       /* Node's readableFlowing: -1 null, 0 false, 1 true */
  unsigned corked;   /* cork() depth */
  /* write side */
  size_t queued;     /* bytes accepted by write() and not yet written */
  size_t whwm;       /* writable high-water mark */
  net_wqueue *wq;    /* writes not yet given to libuv, or NULL */
  uint64_t bytes_read, bytes_written;
  uint64_t write_calls; /* uv_try_write + uv_write calls: coalescing shows here */
  /* read side */
  size_t rhwm;       /* readable high-water mark */
  size_t read_size;  /* most bytes one read may deliver (onread's buffer) */
  net_readbuf *rb;   /* bytes read ahead, or NULL */
  net_idle *idle;    /* the idle timeout and its timer (idle.c), made by
                      * the first setTimeout with a period */
};

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
/* core[name] = a new table of funcs (an internal table of entry points) */
void net_internal(lua_State *L, const char *name, const luaL_Reg *funcs);

/* object.c: the userdata classes */
void net_open_classes(lua_State *L);
/* an argument of a core function (upvalue 1 the loop binding), checked */
net_obj *net_obj_check(lua_State *L, int idx);   /* a socket or a server */
net_sock *net_sock_check(lua_State *L, int idx); /* a socket */
net_sock *net_sock_test(lua_State *L, int idx);  /* a socket, or NULL */
net_sock *net_sock_new(lua_State *L);             /* pushed */
void net_push_refs(lua_State *L, int obj_idx);    /* its refs table, made if need be */
/* the open (not closing) handle of the object at idx, or NULL */
net_handle *net_handle_of(lua_State *L, int idx);
/* the open handle, if it is of `kind` (NET_H_TCP or NET_H_PIPE), or NULL */
net_handle *net_handle_kind(lua_State *L, int idx, int kind);
net_handle *net_handle_new(lua_State *L, net_loop *nl, int obj_idx, int kind, int arg,
                           int *err);
void net_handle_close(net_handle *h);
int net_handle_reset(net_handle *h); /* close with RST; 0 or a libuv error */
/* push the object and its private state; returns 0 if the object is gone */
int net_push_self(net_handle *h);
void net_push_private(lua_State *L, int obj_idx); /* its private state table */
/* the object's 'data' listener when it is one plain function: pushed,
 * returns 1; 0 (nothing pushed) when it has none; -1 (nothing pushed) when
 * the emitter must call them (several, a once wrapper, or the object has
 * an `emit` of its own) */
int net_push_data_listener(net_handle *h);
void net_report_status(net_handle *h, enum net_hook hook, int status, int deferred);
void net_on_connect(uv_connect_t *req, int status);
/* a connect request for h, or NULL (out of memory); net_on_connect frees it */
uv_connect_t *net_connect_req(net_handle *h);

/* errors.c: the one result convention of every C entry point that can
 * fail: true (or the value asked for), or nil and a libuv errno */
void net_open_errors(lua_State *L);
int net_push_uv_result(lua_State *L, int status);

/* stream.c */
void net_open_stream(lua_State *L);
void net_stream_closed(net_sock *s, int status); /* the handle is gone */
void net_sock_free_buffers(net_sock *s);
/* for framing.c: drop n buffered bytes (and read on below the mark); the
 * bytes holding `len` of Node's length; read on past the mark */
void net_stream_consume(lua_State *L, net_sock *s, size_t n);
size_t net_stream_front_bytes(const net_sock *s, size_t len);
int net_stream_read_more(net_sock *s);

/* framing.c: core.framing, receive's patterns cut in C (net.promises) */
void net_open_framing(lua_State *L);

/* idle.c: a socket's idle timeout */
int net_idle_set(lua_State *L, net_sock *s, uint64_t ms); /* socket at index 1 */
void net_idle_touch(net_sock *s);
void net_idle_touch_at(lua_State *L, net_sock *s, int obj_idx);
void net_idle_note_queue(net_sock *s);
void net_idle_stop(net_sock *s);
void net_idle_free(net_sock *s);
uint64_t net_idle_timeout(const net_sock *s); /* ms, 0 = none */

/* tcp.c, pipe.c, server.c, timer.c, dns.c, addresses.c */
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
