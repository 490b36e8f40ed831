/* addr_parse.h: the address layer's pure C half (no Lua, no libuv), so the
 * Lua bindings, the blocklist and the libFuzzer target share one parser.
 *
 * Node answers "is this an address?" in three different ways, and each is
 * reproduced here byte for byte:
 *  - net.isIP/isIPv4/isIPv6 use regular expressions (lib/internal/net.js);
 *  - SocketAddress and BlockList go through libuv's uv_ip4_addr/uv_ip6_addr,
 *    i.e. BIND's inet_pton, on a C string (so they stop at a NUL byte);
 *  - SocketAddress.parse goes through the WHATWG URL host parser.
 * Addresses print as libuv's uv_inet_ntop prints them.
 */
#ifndef NET_ADDR_PARSE_H
#define NET_ADDR_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Longest text an address formats to, with its NUL (INET6_ADDRSTRLEN). */
#define ADDR_STRLEN 46

/* An address as Node's SocketAddress holds it: family 4 uses bytes[0..3],
 * family 6 all 16 bytes, both in network order. */
typedef struct addr_ip {
  int family; /* 4 or 6 */
  uint8_t bytes[16];
} addr_ip;

/* net.isIP on the `len` bytes at `s`: 4, 6 or 0. */
int addr_isip(const char *s, size_t len);

/* libuv's inet_pton on a NUL-terminated string: 0 on success, -1 if not. */
int addr_pton4(const char *s, uint8_t out[4]);
int addr_pton6(const char *s, uint8_t out[16]);

/* What `new SocketAddress({ address, family })` accepts: uv_ip4_addr or
 * uv_ip6_addr on the string up to its first NUL (a zone id after '%' is
 * dropped, and the part before it cut to 39 bytes as libuv does).
 * family is 4 or 6. Returns 0 and fills `out`, or -1. */
int addr_parse(int family, const char *s, size_t len, addr_ip *out);

/* uv_inet_ntop: writes the text and its NUL into `out`, returns its length. */
size_t addr_format(const addr_ip *ip, char out[ADDR_STRLEN]);

/* SocketAddress.parse(input) as the newest Node does it: the host of
 * `http://${input}` by the WHATWG URL parser, the port read back from the
 * raw input. Returns 0 with `out` and `*port` (0..65535) set, or -1 when
 * Node answers undefined. */
int addr_parse_hostport(const char *s, size_t len, addr_ip *out, int *port);

#endif
