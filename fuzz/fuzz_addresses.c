/* fuzz_addresses.c: libFuzzer target for the address layer's C parsers.
 *
 * Besides "does not crash" under ASan/UBSan, it checks what the parsers
 * promise, against the real thing where there is one:
 *  - addr_pton4/6, addr_parse and addr_format against libuv's own
 *    uv_inet_pton, uv_ip4_addr, uv_ip6_addr and uv_inet_ntop (Node's
 *    SocketAddress is exactly those calls);
 *  - isIP's IPv4 answer equals inet_pton's (both refuse leading zeros);
 *  - whatever parses formats back to text that parses to the same bytes;
 *  - the BlockList index answers like the rules applied one by one.
 * Build and run: fuzz/Makefile. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "addr_parse.h"
#include "bl_index.h"

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      abort();                                                             \
    }                                                                      \
  } while (0)

static void check_format(const addr_ip *ip) {
  char mine[ADDR_STRLEN], theirs[ADDR_STRLEN];
  addr_ip back;
  size_t n = addr_format(ip, mine);
  CHECK(n == strlen(mine) && n < ADDR_STRLEN);
  CHECK(uv_inet_ntop(ip->family == 4 ? AF_INET : AF_INET6, ip->bytes, theirs,
                     sizeof theirs) == 0);
  CHECK(strcmp(mine, theirs) == 0);
  CHECK(addr_parse(ip->family, mine, n, &back) == 0);
  CHECK(memcmp(back.bytes, ip->bytes, ip->family == 4 ? 4 : 16) == 0);
}

static void fuzz_text(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  int has_nul = memchr(data, '\0', size) != NULL;
  int isip;
  addr_ip ip;
  int port;
  uint8_t b4[4], b6[16], u[16];
  struct sockaddr_in s4;
  struct sockaddr_in6 s6;

  CHECK(s != NULL);
  memcpy(s, data, size);
  s[size] = '\0';

  isip = addr_isip(s, size);
  CHECK(isip == 0 || isip == 4 || isip == 6);

  /* inet_pton on the C string, mine against libuv's */
  CHECK((addr_pton4(s, b4) == 0) == (uv_inet_pton(AF_INET, s, u) == 0));
  if (addr_pton4(s, b4) == 0) CHECK(memcmp(b4, u, 4) == 0);
  if (strchr(s, '%') == NULL) {
    CHECK((addr_pton6(s, b6) == 0) == (uv_inet_pton(AF_INET6, s, u) == 0));
    if (addr_pton6(s, b6) == 0) CHECK(memcmp(b6, u, 16) == 0);
  }
  if (!has_nul) CHECK((isip == 4) == (addr_pton4(s, b4) == 0));

  /* SocketAddress parsing, against uv_ip4_addr / uv_ip6_addr */
  if (addr_parse(4, (const char *)data, size, &ip) == 0) {
    CHECK(uv_ip4_addr(s, 0, &s4) == 0);
    CHECK(memcmp(ip.bytes, &s4.sin_addr, 4) == 0);
    check_format(&ip);
  } else {
    CHECK(uv_ip4_addr(s, 0, &s4) != 0);
  }
  if (addr_parse(6, (const char *)data, size, &ip) == 0) {
    CHECK(uv_ip6_addr(s, 0, &s6) == 0);
    CHECK(memcmp(ip.bytes, &s6.sin6_addr, 16) == 0);
    check_format(&ip);
  } else {
    CHECK(uv_ip6_addr(s, 0, &s6) != 0);
  }

  /* SocketAddress.parse: any answer, but a sane one */
  if (addr_parse_hostport((const char *)data, size, &ip, &port) == 0) {
    CHECK(ip.family == 4 || ip.family == 6);
    CHECK(port >= 0 && port <= 65535);
    check_format(&ip);
  }
  free(s);
}

/* Raw bytes as addresses: every 4 and 16 bytes must format as libuv does. */
static void fuzz_format(const uint8_t *data, size_t size) {
  addr_ip ip;
  memset(&ip, 0, sizeof ip);
  if (size >= 16) {
    ip.family = 6;
    memcpy(ip.bytes, data, 16);
    check_format(&ip);
  }
  if (size >= 4) {
    memset(&ip, 0, sizeof ip);
    ip.family = 4;
    memcpy(ip.bytes, data, 4);
    check_format(&ip);
  }
}

/* Reads an address from the input: one byte for family and shape, then
 * bytes; many land in ::ffff:0:0/96 so the IPv4/IPv6 mixing is exercised. */
static int take_ip(const uint8_t **p, const uint8_t *end, addr_ip *ip) {
  uint8_t tag;
  memset(ip, 0, sizeof *ip);
  if (end - *p < 5) return -1;
  tag = *(*p)++;
  if (tag & 1) {
    ip->family = 4;
    memcpy(ip->bytes, *p, 4);
    *p += 4;
  } else {
    ip->family = 6;
    if (tag & 2) { /* IPv4-mapped */
      ip->bytes[10] = ip->bytes[11] = 0xff;
      memcpy(ip->bytes + 12, *p, 4);
      *p += 4;
    } else {
      size_t n = (size_t)(end - *p) < 16 ? (size_t)(end - *p) : 16;
      memcpy(ip->bytes + 16 - n, *p, n);
      *p += n;
    }
  }
  if (tag & 4) ip->bytes[ip->family == 4 ? 3 : 15] ^= 1; /* neighbours */
  return 0;
}

static void fuzz_blocklist(const uint8_t *data, size_t size) {
  const uint8_t *p = data, *end = data + size;
  bl_rule rules[16];
  size_t n = 0, i, split;
  bl_index ix;
  addr_ip q;

  memset(&ix, 0, sizeof ix);
  while (n < 16 && end - p >= 2) {
    bl_rule *r = &rules[n];
    uint8_t kind = *p++ % 3;
    memset(r, 0, sizeof *r);
    r->kind = kind;
    if (take_ip(&p, end, &r->a) != 0) break;
    if (kind == BL_RANGE && take_ip(&p, end, &r->b) != 0) break;
    if (kind == BL_SUBNET) {
      if (p >= end) break;
      r->prefix = *p++ % (r->a.family == 4 ? 33 : 129);
    }
    if (kind == BL_RANGE && bl_compare(&r->a, &r->b) == 1) continue; /* Node refuses */
    n++;
  }
  /* fold the rules in two batches, as pending rules are folded later */
  split = n / 2;
  CHECK(bl_index_add(&ix, rules, split) == 0);
  CHECK(bl_index_add(&ix, rules + split, n - split) == 0);
  p = data;
  while (take_ip(&p, end, &q) == 0) {
    int linear = 0;
    for (i = 0; i < n; i++) {
      int m = bl_rule_matches(&rules[i], &q);
      bl_iv4 v4;
      bl_iv6 v6;
      linear |= m;
      if (q.family == 4) {
        uint32_t x = (uint32_t)q.bytes[0] << 24 | (uint32_t)q.bytes[1] << 16 |
                     (uint32_t)q.bytes[2] << 8 | q.bytes[3];
        int in = bl_rule_iv4(&rules[i], &v4) && v4.lo <= x && x <= v4.hi;
        CHECK(in == m);
      } else {
        bl_rule one = rules[i];
        bl_index single;
        memset(&single, 0, sizeof single);
        (void)v6;
        CHECK(bl_index_add(&single, &one, 1) == 0);
        CHECK(bl_index_lookup(&single, &q) == m);
        bl_index_free(&single);
      }
    }
    CHECK(bl_index_lookup(&ix, &q) == linear);
  }
  bl_index_free(&ix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return 0;
  fuzz_text(data, size);
  fuzz_format(data, size);
  fuzz_blocklist(data, size);
  return 0;
}
