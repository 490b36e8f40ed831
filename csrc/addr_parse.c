/* addr_parse.c: Node's three notions of "an IP address" and libuv's way of
 * printing one. See addr_parse.h for which Node API uses which. */
#include "addr_parse.h"

#include <string.h>

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* ---- net.isIP: the regular expressions of lib/internal/net.js ---------- */

/* One v4Seg of the regex: 25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9],
 * i.e. 0..255 written without a leading zero. */
static int re_v4_seg(const char *s, size_t n) {
  unsigned v = 0;
  size_t i;
  if (n == 0 || n > 3) return 0;
  if (n > 1 && s[0] == '0') return 0;
  for (i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  return v <= 255;
}

/* The whole of v4Str: four segments joined by dots, nothing else. */
static int re_v4(const char *s, size_t n) {
  size_t start = 0, i;
  int segs = 0;
  for (i = 0; i <= n; i++) {
    if (i == n || s[i] == '.') {
      if (!re_v4_seg(s + start, i - start)) return 0;
      segs++;
      start = i + 1;
    }
  }
  return segs == 4;
}

/* v6Seg: one to four hex digits. */
static int re_h16(const char *s, size_t n) {
  size_t i;
  if (n == 0 || n > 4) return 0;
  for (i = 0; i < n; i++)
    if (hexval((unsigned char)s[i]) < 0) return 0;
  return 1;
}

/* A ':'-separated run of groups (possibly empty). Each group is a v6Seg,
 * except that the last may be a dotted IPv4 when v4_last is set; that one
 * counts as two groups. Returns the group count, or -1. */
static int re_groups(const char *s, size_t n, int v4_last) {
  size_t i = 0, j;
  int count = 0;
  if (n == 0) return 0;
  for (;;) {
    for (j = i; j < n && s[j] != ':'; j++) {
    }
    if (j == n && v4_last && memchr(s + i, '.', j - i) != NULL)
      return re_v4(s + i, j - i) ? count + 2 : -1;
    if (!re_h16(s + i, j - i)) return -1;
    count++;
    if (j == n) return count;
    i = j + 1; /* a trailing ':' leaves an empty group, which fails above */
  }
}

/* The zone of IPv6Reg: (?:%[0-9a-zA-Z-.:]{1,})? */
static int re_zone(const char *s, size_t n) {
  size_t i;
  if (n == 0) return 0;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          c == '-' || c == '.' || c == ':'))
      return 0;
  }
  return 1;
}

/* IPv6Reg, restated: without "::" exactly 8 groups; with one "::" at most 7
 * (it stands for at least one); a dotted IPv4 only as the very last group. */
static int re_v6(const char *s, size_t n) {
  const char *pct = memchr(s, '%', n);
  size_t alen = pct ? (size_t)(pct - s) : n;
  size_t d;
  int left, right;

  if (pct && !re_zone(pct + 1, n - alen - 1)) return 0;
  for (d = 0; d + 1 < alen; d++)
    if (s[d] == ':' && s[d + 1] == ':') break;
  if (d + 1 >= alen) /* no "::" */
    return re_groups(s, alen, 1) == 8;
  for (size_t k = d + 1; k + 1 < alen; k++)
    if (s[k] == ':' && s[k + 1] == ':') return 0; /* a second "::" (":::" too) */
  left = re_groups(s, d, 0);
  right = re_groups(s + d + 2, alen - d - 2, 1);
  return left >= 0 && right >= 0 && left + right <= 7;
}

int addr_isip(const char *s, size_t len) {
  if (re_v4(s, len)) return 4;
  if (re_v6(s, len)) return 6;
  return 0;
}

/* ---- inet_pton as libuv (src/inet.c) accepts it ------------------------ */

/* Dotted quad, no leading zeros, nothing after it. */
int addr_pton4(const char *s, uint8_t out[4]) {
  uint8_t tmp[4] = {0, 0, 0, 0};
  int octets = 0, saw_digit = 0;
  unsigned cur = 0;
  for (; *s != '\0'; s++) {
    char c = *s;
    if (c >= '0' && c <= '9') {
      if (saw_digit && cur == 0) return -1; /* "01" */
      cur = cur * 10 + (unsigned)(c - '0');
      if (cur > 255) return -1;
      if (!saw_digit) {
        if (++octets > 4) return -1;
        saw_digit = 1;
      }
      tmp[octets - 1] = (uint8_t)cur;
    } else if (c == '.' && saw_digit) {
      if (octets == 4) return -1;
      saw_digit = 0;
      cur = 0;
    } else {
      return -1;
    }
  }
  if (octets < 4) return -1;
  memcpy(out, tmp, 4);
  return 0;
}

/* BIND's inet_pton6, which libuv carries: groups of 1-4 hex digits, one "::",
 * an optional dotted IPv4 tail. Its quirks are kept (e.g. "1:2:3:4:5:6:7::"
 * is accepted, a single leading ':' is not). */
int addr_pton6(const char *s, uint8_t out[16]) {
  uint8_t tmp[16];
  size_t tp = 0;
  long colonp = -1;  /* where "::" was seen, as an offset into tmp */
  const char *curtok;
  int seen = 0;      /* hex digits in the current group */
  unsigned val = 0;

  memset(tmp, 0, sizeof tmp);
  if (*s == ':' && *++s != ':') return -1;
  curtok = s;
  for (;;) {
    int c = (unsigned char)*s++;
    int d;
    if (c == '\0') break;
    d = hexval(c);
    if (d >= 0) {
      val = (val << 4) | (unsigned)d;
      if (++seen > 4) return -1;
      continue;
    }
    if (c == ':') {
      curtok = s;
      if (!seen) {
        if (colonp >= 0) return -1;
        colonp = (long)tp;
        continue;
      }
      if (*s == '\0') return -1;
      if (tp + 2 > sizeof tmp) return -1;
      tmp[tp++] = (uint8_t)(val >> 8);
      tmp[tp++] = (uint8_t)val;
      seen = 0;
      val = 0;
      continue;
    }
    /* a dotted IPv4 must be the rest of the string */
    if (c == '.' && tp + 4 <= sizeof tmp && addr_pton4(curtok, tmp + tp) == 0) {
      tp += 4;
      seen = 0;
      break;
    }
    return -1;
  }
  if (seen) {
    if (tp + 2 > sizeof tmp) return -1;
    tmp[tp++] = (uint8_t)(val >> 8);
    tmp[tp++] = (uint8_t)val;
  }
  if (colonp >= 0) {
    size_t n = tp - (size_t)colonp;
    if (tp == sizeof tmp) return -1; /* "::" must stand for something */
    memmove(tmp + sizeof tmp - n, tmp + colonp, n);
    memset(tmp + colonp, 0, sizeof tmp - n - (size_t)colonp);
    tp = sizeof tmp;
  }
  if (tp != sizeof tmp) return -1;
  memcpy(out, tmp, sizeof tmp);
  return 0;
}

/* ---- SocketAddress: uv_ip4_addr / uv_ip6_addr on a C string ------------ */

int addr_parse(int family, const char *s, size_t len, addr_ip *out) {
  /* Node hands libuv a C string: it ends at the first NUL byte. */
  const char *nul = memchr(s, '\0', len);
  size_t n = nul ? (size_t)(nul - s) : len;
  char buf[48];

  if (family == 4) {
    if (n > 15) return -1; /* "255.255.255.255" is the longest */
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (addr_pton4(buf, out->bytes) != 0) return -1;
    memset(out->bytes + 4, 0, 12);
    out->family = 4;
    return 0;
  }
  if (family == 6) {
    const char *pct = memchr(s, '%', n);
    if (pct) {
      /* uv_ip6_addr copies what precedes the zone into a 40-byte buffer,
       * silently cutting it; the zone becomes a scope id, not part of the
       * address. */
      n = (size_t)(pct - s);
      if (n > 39) n = 39;
    }
    if (n > 45) return -1; /* no valid text is longer */
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (addr_pton6(buf, out->bytes) != 0) return -1;
    out->family = 6;
    return 0;
  }
  return -1;
}

/* ---- uv_inet_ntop ------------------------------------------------------ */

static size_t put_u8(char *p, unsigned v) {
  size_t n = 0;
  if (v >= 100) p[n++] = (char)('0' + v / 100);
  if (v >= 10) p[n++] = (char)('0' + v / 10 % 10);
  p[n++] = (char)('0' + v % 10);
  return n;
}

static size_t format4(const uint8_t *b, char *p) {
  size_t n = 0;
  int i;
  for (i = 0; i < 4; i++) {
    if (i) p[n++] = '.';
    n += put_u8(p + n, b[i]);
  }
  return n;
}

static size_t put_hex16(char *p, unsigned v) {
  static const char digits[] = "0123456789abcdef";
  size_t n = 0;
  int shift, started = 0;
  for (shift = 12; shift >= 0; shift -= 4) {
    unsigned d = (v >> shift) & 0xf;
    if (d || started || shift == 0) {
      p[n++] = digits[d];
      started = 1;
    }
  }
  return n;
}

/* The longest run of zero words (the first, on a tie; only if >= 2) becomes
 * "::"; ::w.x.y.z and ::ffff:w.x.y.z print their tail dotted, as BIND does
 * (so "::2" prints as "::0.0.0.2" but "::1" stays "::1"). */
static size_t format6(const uint8_t *b, char *p) {
  unsigned w[8];
  int i, best = -1, best_len = 0, cur = -1, cur_len = 0;
  size_t n = 0;

  for (i = 0; i < 8; i++) w[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
  for (i = 0; i < 8; i++) {
    if (w[i] == 0) {
      if (cur == -1) {
        cur = i;
        cur_len = 1;
      } else {
        cur_len++;
      }
    } else if (cur != -1) {
      if (best == -1 || cur_len > best_len) {
        best = cur;
        best_len = cur_len;
      }
      cur = -1;
    }
  }
  if (cur != -1 && (best == -1 || cur_len > best_len)) {
    best = cur;
    best_len = cur_len;
  }
  if (best != -1 && best_len < 2) best = -1;

  for (i = 0; i < 8; i++) {
    if (best != -1 && i >= best && i < best + best_len) {
      if (i == best) p[n++] = ':';
      continue;
    }
    if (i != 0) p[n++] = ':';
    if (i == 6 && best == 0 &&
        (best_len == 6 || (best_len == 7 && w[7] != 1) || (best_len == 5 && w[5] == 0xffff))) {
      n += format4(b + 12, p + n);
      return n; /* the dotted tail ends the text */
    }
    n += put_hex16(p + n, w[i]);
  }
  if (best != -1 && best + best_len == 8) p[n++] = ':';
  return n;
}

size_t addr_format(const addr_ip *ip, char out[ADDR_STRLEN]) {
  size_t n = ip->family == 4 ? format4(ip->bytes, out) : format6(ip->bytes, out);
  out[n] = '\0';
  return n;
}
