/* bl_index.c: BlockList matching, rule by rule as Node does it, and as a
 * sorted interval union per address family for fast lookups. */
#include "bl_index.h"

#include <stdlib.h>
#include <string.h>

/* ---- 128-bit helpers --------------------------------------------------- */

static bl_u128 u128_of(const uint8_t b[16]) {
  bl_u128 v = {0, 0};
  int i;
  for (i = 0; i < 8; i++) {
    v.hi = v.hi << 8 | b[i];
    v.lo = v.lo << 8 | b[8 + i];
  }
  return v;
}

static int u128_cmp(bl_u128 x, bl_u128 y) {
  if (x.hi != y.hi) return x.hi < y.hi ? -1 : 1;
  if (x.lo != y.lo) return x.lo < y.lo ? -1 : 1;
  return 0;
}

/* the top `p` bits set */
static bl_u128 u128_mask(int p) {
  bl_u128 m;
  m.hi = p <= 0 ? 0 : p >= 64 ? UINT64_MAX : UINT64_MAX << (64 - p);
  m.lo = p <= 64 ? 0 : p >= 128 ? UINT64_MAX : UINT64_MAX << (128 - p);
  return m;
}

static uint32_t v4_of(const uint8_t b[4]) {
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint32_t v4_mask(int p) {
  return p <= 0 ? 0 : p >= 32 ? UINT32_MAX : UINT32_MAX << (32 - p);
}

/* ::ffff:a.b.c.d */
static bl_u128 mapped(uint32_t v4) {
  bl_u128 v;
  v.hi = 0;
  v.lo = (uint64_t)0xffff << 32 | v4;
  return v;
}

static int is_mapped(bl_u128 v) {
  return v.hi == 0 && v.lo >> 32 == 0xffff;
}

/* ---- Node's comparisons ------------------------------------------------ */

int bl_compare(const addr_ip *x, const addr_ip *y) {
  if (x->family == 4 && y->family == 4) {
    uint32_t a = v4_of(x->bytes), b = v4_of(y->bytes);
    return a < b ? -1 : a > b;
  }
  if (x->family == 6 && y->family == 6) return u128_cmp(u128_of(x->bytes), u128_of(y->bytes));
  {
    /* mixed: comparable only through the IPv4-mapped block */
    const addr_ip *v6 = x->family == 6 ? x : y;
    const addr_ip *v4 = x->family == 4 ? x : y;
    bl_u128 w = u128_of(v6->bytes);
    uint32_t a = v4_of(v4->bytes), b = (uint32_t)w.lo;
    int c;
    if (!is_mapped(w)) return 2;
    c = a < b ? -1 : a > b;
    return x == v4 ? c : -c;
  }
}

static int in_network(const addr_ip *ip, const addr_ip *net, int prefix) {
  if (ip->family == 4 && net->family == 4) {
    uint32_t m = v4_mask(prefix);
    return (v4_of(ip->bytes) & m) == (v4_of(net->bytes) & m);
  }
  if (ip->family == 6 && net->family == 4) {
    /* the address must be IPv4-mapped; then its low 32 bits are matched */
    bl_u128 w = u128_of(ip->bytes);
    uint32_t m = v4_mask(prefix);
    return is_mapped(w) && ((uint32_t)w.lo & m) == (v4_of(net->bytes) & m);
  }
  {
    /* an IPv4 address is matched as ::ffff:a.b.c.d against IPv6 networks */
    bl_u128 w = ip->family == 4 ? mapped(v4_of(ip->bytes)) : u128_of(ip->bytes);
    bl_u128 n = u128_of(net->bytes), m = u128_mask(prefix);
    return (w.hi & m.hi) == (n.hi & m.hi) && (w.lo & m.lo) == (n.lo & m.lo);
  }
}

int bl_rule_matches(const bl_rule *r, const addr_ip *ip) {
  switch (r->kind) {
    case BL_ADDRESS:
      return bl_compare(&r->a, ip) == 0;
    case BL_RANGE: {
      /* a bound that is not comparable fails the test */
      int lo = bl_compare(ip, &r->a), hi = bl_compare(ip, &r->b);
      return (lo == 0 || lo == 1) && (hi == 0 || hi == -1);
    }
    case BL_SUBNET:
      return in_network(ip, &r->a, r->prefix);
    default:
      return 0;
  }
}

/* ---- a rule as intervals ----------------------------------------------- */

/* An address as a bound for IPv4 queries: IPv4 itself, or the low 32 bits
 * of an IPv4-mapped IPv6 address; anything else compares with no IPv4. */
static int bound4(const addr_ip *a, uint32_t *out) {
  bl_u128 w;
  if (a->family == 4) {
    *out = v4_of(a->bytes);
    return 1;
  }
  w = u128_of(a->bytes);
  if (!is_mapped(w)) return 0;
  *out = (uint32_t)w.lo;
  return 1;
}

static bl_u128 bound6(const addr_ip *a) {
  return a->family == 4 ? mapped(v4_of(a->bytes)) : u128_of(a->bytes);
}

int bl_rule_iv4(const bl_rule *r, bl_iv4 *out) {
  switch (r->kind) {
    case BL_ADDRESS:
      if (!bound4(&r->a, &out->lo)) return 0;
      out->hi = out->lo;
      return 1;
    case BL_RANGE:
      return bound4(&r->a, &out->lo) && bound4(&r->b, &out->hi) && out->lo <= out->hi;
    case BL_SUBNET:
      if (r->a.family == 4) {
        uint32_t m = v4_mask(r->prefix);
        out->lo = v4_of(r->a.bytes) & m;
        out->hi = out->lo | ~m;
        return 1;
      } else {
        /* IPv4 addresses live in ::ffff:0:0/96 here */
        bl_u128 n = u128_of(r->a.bytes), m0 = mapped(0);
        if (r->prefix <= 96) {
          bl_u128 m = u128_mask(r->prefix);
          if ((n.hi & m.hi) != (m0.hi & m.hi) || (n.lo & m.lo) != (m0.lo & m.lo)) return 0;
          out->lo = 0;
          out->hi = UINT32_MAX;
          return 1;
        }
        if (!is_mapped(n)) return 0;
        {
          uint32_t m = v4_mask(r->prefix - 96);
          out->lo = (uint32_t)n.lo & m;
          out->hi = out->lo | ~m;
        }
        return 1;
      }
    default:
      return 0;
  }
}

int bl_rule_iv6(const bl_rule *r, bl_iv6 *out) {
  switch (r->kind) {
    case BL_ADDRESS:
      out->lo = out->hi = bound6(&r->a);
      return 1;
    case BL_RANGE:
      out->lo = bound6(&r->a);
      out->hi = bound6(&r->b);
      if (r->a.family == 4 || r->b.family == 4) {
        /* an IPv4 bound only admits IPv4-mapped addresses */
        bl_u128 first = mapped(0), last = mapped(UINT32_MAX);
        if (u128_cmp(out->lo, first) < 0) out->lo = first;
        if (u128_cmp(out->hi, last) > 0) out->hi = last;
      }
      return u128_cmp(out->lo, out->hi) <= 0;
    case BL_SUBNET:
      if (r->a.family == 4) {
        uint32_t m = v4_mask(r->prefix), lo = v4_of(r->a.bytes) & m;
        out->lo = mapped(lo);
        out->hi = mapped(lo | ~m);
      } else {
        bl_u128 n = u128_of(r->a.bytes), m = u128_mask(r->prefix);
        out->lo.hi = n.hi & m.hi;
        out->lo.lo = n.lo & m.lo;
        out->hi.hi = out->lo.hi | ~m.hi;
        out->hi.lo = out->lo.lo | ~m.lo;
      }
      return 1;
    default:
      return 0;
  }
}

/* ---- the index --------------------------------------------------------- */

static int cmp_iv4(const void *x, const void *y) {
  const bl_iv4 *a = x, *b = y;
  return a->lo < b->lo ? -1 : a->lo > b->lo;
}

static int cmp_iv6(const void *x, const void *y) {
  return u128_cmp(((const bl_iv6 *)x)->lo, ((const bl_iv6 *)y)->lo);
}

/* Coalesces sorted intervals in place: overlapping or touching ones become
 * one. Returns the new count. */
static size_t coalesce4(bl_iv4 *v, size_t n) {
  size_t out = 0, i;
  for (i = 0; i < n; i++) {
    if (out > 0 && (v[out - 1].hi == UINT32_MAX || v[i].lo <= v[out - 1].hi + 1)) {
      if (v[i].hi > v[out - 1].hi) v[out - 1].hi = v[i].hi;
    } else {
      v[out++] = v[i];
    }
  }
  return out;
}

static int u128_touches(bl_u128 hi, bl_u128 lo) { /* lo <= hi + 1 */
  bl_u128 next = hi;
  if (hi.hi == UINT64_MAX && hi.lo == UINT64_MAX) return 1;
  if (++next.lo == 0) next.hi++;
  return u128_cmp(lo, next) <= 0;
}

static size_t coalesce6(bl_iv6 *v, size_t n) {
  size_t out = 0, i;
  for (i = 0; i < n; i++) {
    if (out > 0 && u128_touches(v[out - 1].hi, v[i].lo)) {
      if (u128_cmp(v[i].hi, v[out - 1].hi) > 0) v[out - 1].hi = v[i].hi;
    } else {
      v[out++] = v[i];
    }
  }
  return out;
}

static int reserve(void **p, size_t *cap, size_t need, size_t size) {
  size_t c = *cap ? *cap : 16;
  void *np;
  if (need <= *cap) return 0;
  while (c < need) c *= 2;
  np = realloc(*p, c * size);
  if (np == NULL) return -1;
  *p = np;
  *cap = c;
  return 0;
}

/* Merges the sorted run new[0..k) into the sorted, coalesced v[0..n)
 * (which has room for n + k), from the back so nothing is overwritten
 * before it is read; then coalesces. */
static size_t merge4(bl_iv4 *v, size_t n, const bl_iv4 *add, size_t k) {
  size_t i = n, j = k, o = n + k;
  while (j > 0) {
    if (i > 0 && v[i - 1].lo > add[j - 1].lo)
      v[--o] = v[--i];
    else
      v[--o] = add[--j];
  }
  return coalesce4(v, n + k);
}

static size_t merge6(bl_iv6 *v, size_t n, const bl_iv6 *add, size_t k) {
  size_t i = n, j = k, o = n + k;
  while (j > 0) {
    if (i > 0 && u128_cmp(v[i - 1].lo, add[j - 1].lo) > 0)
      v[--o] = v[--i];
    else
      v[--o] = add[--j];
  }
  return coalesce6(v, n + k);
}

int bl_index_add(bl_index *ix, const bl_rule *rules, size_t n) {
  bl_iv4 *a4;
  bl_iv6 *a6;
  size_t k4 = 0, k6 = 0, i;

  if (n == 0) return 0;
  if (reserve((void **)&ix->v4, &ix->cap4, ix->n4 + n, sizeof *ix->v4) != 0 ||
      reserve((void **)&ix->v6, &ix->cap6, ix->n6 + n, sizeof *ix->v6) != 0)
    return -1;
  a4 = malloc(n * sizeof *a4);
  a6 = malloc(n * sizeof *a6);
  if (a4 == NULL || a6 == NULL) {
    free(a4);
    free(a6);
    return -1;
  }
  for (i = 0; i < n; i++) {
    if (bl_rule_iv4(&rules[i], &a4[k4])) k4++;
    if (bl_rule_iv6(&rules[i], &a6[k6])) k6++;
  }
  qsort(a4, k4, sizeof *a4, cmp_iv4);
  qsort(a6, k6, sizeof *a6, cmp_iv6);
  ix->n4 = merge4(ix->v4, ix->n4, a4, k4);
  ix->n6 = merge6(ix->v6, ix->n6, a6, k6);
  free(a4);
  free(a6);
  return 0;
}

int bl_index_lookup(const bl_index *ix, const addr_ip *ip) {
  size_t lo = 0, hi;
  if (ip->family == 4) {
    uint32_t x = v4_of(ip->bytes);
    hi = ix->n4;
    /* the last interval starting at or below x is the only candidate */
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (ix->v4[mid].lo <= x)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo > 0 && x <= ix->v4[lo - 1].hi;
  } else {
    bl_u128 x = u128_of(ip->bytes);
    hi = ix->n6;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (u128_cmp(ix->v6[mid].lo, x) <= 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo > 0 && u128_cmp(x, ix->v6[lo - 1].hi) <= 0;
  }
}

void bl_index_clear(bl_index *ix) {
  ix->n4 = 0;
  ix->n6 = 0;
}

void bl_index_free(bl_index *ix) {
  free(ix->v4);
  free(ix->v6);
  memset(ix, 0, sizeof *ix);
}
