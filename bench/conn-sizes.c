/*
 * The C side of a connection in this module: sizes of the structs one
 * accepted socket carries (bench/README.md, "Where the bytes and
 * microseconds go"). Built and run by bench/profile-conn.sh:
 *
 *   gcc -std=c99 -I csrc $(pkg-config --cflags lua5.4 libuv) bench/conn-sizes.c \
 *       $(pkg-config --libs libuv) -o bench/bin/conn-sizes
 *
 * A net_sock lives inside the socket's Lua userdata (so in the Lua heap,
 * after Lua's userdata header and three user values); a net_handle is a
 * separate malloc (calloc) made at accept, holding the uv_tcp_t or
 * uv_pipe_t and, embedded, a connect and a shutdown request. The write
 * queue (net_wqueue, plus its entries) and the read-ahead buffer
 * (net_readbuf, plus its bytes and chunk lengths) are mallocs made only
 * while writes wait or bytes are buffered: an idle or flowing connection
 * has neither.
 */
#define _GNU_SOURCE /* malloc_usable_size */
#include <malloc.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "net.h"

#define SHOW(expr) printf("%-36s %5zu\n", #expr, (size_t)(expr))

int main(void) {
  SHOW(sizeof(net_sock));
  SHOW(sizeof(net_obj));
  SHOW(sizeof(net_handle));
  SHOW(offsetof(net_handle, u));
  SHOW(sizeof(((net_handle *)0)->u));
  SHOW(sizeof(uv_tcp_t));
  SHOW(sizeof(uv_pipe_t));
  SHOW(sizeof(uv_connect_t));
  SHOW(sizeof(uv_shutdown_t));
  SHOW(sizeof(uv_write_t));
  SHOW(sizeof(net_link));
  SHOW(sizeof(net_wentry));
  SHOW(sizeof(net_wqueue));
  SHOW(sizeof(net_readbuf));
  SHOW(sizeof(net_loop));
  /* what one TCP handle's calloc takes from the heap (the block is sized
   * for its kind: NET_HANDLE_SIZE): usable size plus the 8-byte chunk
   * header glibc keeps in front of it */
  SHOW(NET_HANDLE_SIZE(NET_H_TCP));
  void *p = malloc(NET_HANDLE_SIZE(NET_H_TCP));
  if (p == NULL)
    return 1;
  printf("%-36s %5zu\n", "malloc_usable_size(TCP handle) + 8", malloc_usable_size(p) + 8);
  free(p);
  return 0;
}
