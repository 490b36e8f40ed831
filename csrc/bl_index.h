/* bl_index.h: BlockList rules and the index that answers check() in
 * O(log n). Pure C (no Lua) so the fuzzer can compare the index with the
 * rules applied one by one, as Node applies them.
 *
 * Node's matching depends on the family of the address checked: an IPv4
 * address is compared with an IPv6 rule bound only through the IPv4-mapped
 * block ::ffff:0:0/96 (any other IPv6 bound is "not comparable" and fails),
 * while an IPv6 address compares with IPv6 bounds byte-wise. So each rule
 * becomes one interval in the 32-bit space (for IPv4 queries) and one in the
 * 128-bit space (for IPv6 queries), either possibly empty; the index keeps,
 * per space, the sorted union of those intervals. */
#ifndef NET_BL_INDEX_H
#define NET_BL_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "addr_parse.h"

enum bl_kind { BL_ADDRESS, BL_RANGE, BL_SUBNET };

typedef struct bl_rule {
  int kind;   /* enum bl_kind */
  int prefix; /* BL_SUBNET only */
  addr_ip a;  /* the address, the range start or the network */
  addr_ip b;  /* the range end */
} bl_rule;

typedef struct bl_u128 {
  uint64_t hi, lo;
} bl_u128;

typedef struct bl_iv4 {
  uint32_t lo, hi;
} bl_iv4;

typedef struct bl_iv6 {
  bl_u128 lo, hi;
} bl_iv6;

typedef struct bl_index {
  bl_iv4 *v4; /* sorted, disjoint, not adjacent */
  size_t n4, cap4;
  bl_iv6 *v6;
  size_t n6, cap6;
} bl_index;

/* Node's SocketAddress::compare: -1, 0, 1, or 2 for "not comparable"
 * (an IPv4 address against an IPv6 one outside ::ffff:0:0/96). */
int bl_compare(const addr_ip *x, const addr_ip *y);

/* Does this one rule block `ip`? (Node's Rule::Apply, the reference.) */
int bl_rule_matches(const bl_rule *r, const addr_ip *ip);

/* The set a rule blocks, for IPv4 and for IPv6 queries: 1 and the interval,
 * or 0 when it blocks no address of that family. */
int bl_rule_iv4(const bl_rule *r, bl_iv4 *out);
int bl_rule_iv6(const bl_rule *r, bl_iv6 *out);

/* Folds rules into the index. 0, or -1 when out of memory (the index is
 * then unchanged). */
int bl_index_add(bl_index *ix, const bl_rule *rules, size_t n);
int bl_index_lookup(const bl_index *ix, const addr_ip *ip);
void bl_index_clear(bl_index *ix); /* empties it, keeps the memory */
void bl_index_free(bl_index *ix);

#endif
