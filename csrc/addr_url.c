/* addr_url.c: SocketAddress.parse(input). The newest Node builds the URL
 * `http://${input}`, takes its hostname from the WHATWG URL parser and, to
 * keep a default port like 80, reads the port back from the raw input with
 * parseInt. Only the parts of the URL standard that can end in an IP address
 * are implemented: a host that is not an IPv4 or bracketed IPv6 address makes
 * SocketAddress throw, which parse() turns into undefined, so any other host
 * can be rejected without finishing the domain (IDNA) processing. */
#include "addr_idna.h"
#include "addr_parse.h"

#include <stdlib.h>
#include <string.h>

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* ---- WHATWG IPv6 parser (URL Standard, "IPv6 parser") ------------------ */

static int url_ipv6(const char *s, size_t n, uint8_t out[16]) {
  unsigned addr[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int piece = 0, compress = -1, i;
  size_t p = 0;

  if (p < n && s[p] == ':') {
    if (p + 1 >= n || s[p + 1] != ':') return -1;
    p += 2;
    piece = 1;
    compress = piece;
  }
  while (p < n) {
    unsigned value = 0;
    int length = 0;
    if (piece == 8) return -1;
    if (s[p] == ':') {
      if (compress != -1) return -1;
      p++;
      piece++;
      compress = piece;
      continue;
    }
    while (length < 4 && p < n && hexval((unsigned char)s[p]) >= 0) {
      value = value * 16 + (unsigned)hexval((unsigned char)s[p]);
      p++;
      length++;
    }
    if (p < n && s[p] == '.') {
      int seen = 0;
      if (length == 0) return -1;
      p -= (size_t)length;
      if (piece > 6) return -1;
      while (p < n) {
        int v4piece = -1;
        if (seen > 0) {
          if (s[p] == '.' && seen < 4)
            p++;
          else
            return -1;
        }
        if (p >= n || s[p] < '0' || s[p] > '9') return -1;
        while (p < n && s[p] >= '0' && s[p] <= '9') {
          int d = s[p] - '0';
          if (v4piece == -1)
            v4piece = d;
          else if (v4piece == 0)
            return -1; /* leading zero */
          else
            v4piece = v4piece * 10 + d;
          if (v4piece > 255) return -1;
          p++;
        }
        addr[piece] = addr[piece] * 0x100 + (unsigned)v4piece;
        seen++;
        if (seen == 2 || seen == 4) piece++;
      }
      if (seen != 4) return -1;
      break;
    } else if (p < n && s[p] == ':') {
      p++;
      if (p >= n) return -1;
    } else if (p < n) {
      return -1;
    }
    addr[piece] = value;
    piece++;
  }
  if (compress != -1) {
    int swaps = piece - compress;
    piece = 7;
    while (piece != 0 && swaps > 0) {
      unsigned t = addr[piece];
      addr[piece] = addr[compress + swaps - 1];
      addr[compress + swaps - 1] = t;
      piece--;
      swaps--;
    }
  } else if (piece != 8) {
    return -1;
  }
  for (i = 0; i < 8; i++) {
    out[2 * i] = (uint8_t)(addr[i] >> 8);
    out[2 * i + 1] = (uint8_t)addr[i];
  }
  return 0;
}

/* ---- WHATWG IPv4 parser ------------------------------------------------ */

/* "IPv4 number parser": decimal, 0x-hex or 0-octal; saturates far above
 * anything valid so long inputs cannot overflow. */
static int url_v4_number(const char *s, size_t n, uint64_t *out) {
  unsigned radix = 10;
  uint64_t v = 0;
  size_t i;
  if (n == 0) return -1;
  if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    radix = 16;
    s += 2;
    n -= 2;
  } else if (n >= 2 && s[0] == '0') {
    radix = 8;
    s++;
    n--;
  }
  for (i = 0; i < n; i++) {
    int d = hexval((unsigned char)s[i]);
    if (d < 0 || (unsigned)d >= radix) return -1;
    if (v < ((uint64_t)1 << 40)) v = v * radix + (unsigned)d;
  }
  *out = v;
  return 0;
}

/* Both algorithms below drop one trailing empty part ("1.2.3.4." is fine);
 * that is, they ignore a final '.'. */
static size_t url_v4_end(const char *s, size_t n) {
  return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

/* "ends in a number checker": is the last part all digits, or a number the
 * IPv4 number parser takes (0x...)? Then the host must be an IPv4 address. */
static int url_ends_in_number(const char *s, size_t n) {
  size_t end = url_v4_end(s, n), last = end, i;
  uint64_t ignored;
  if (n == 0) return 0;
  while (last > 0 && s[last - 1] != '.') last--;
  for (i = last; i < end && s[i] >= '0' && s[i] <= '9'; i++) {
  }
  if (last < end && i == end) return 1;
  return url_v4_number(s + last, end - last, &ignored) == 0;
}

/* "IPv4 parser": one to four numbers; the last fills the remaining bytes. */
static int url_ipv4(const char *s, size_t n, uint8_t out[4]) {
  size_t end = url_v4_end(s, n), start = 0, i;
  uint64_t nums[4], v;
  int count = 0, k;
  for (i = 0; i <= end; i++) {
    if (i == end || s[i] == '.') {
      if (count == 4) return -1;
      if (url_v4_number(s + start, i - start, &nums[count]) != 0) return -1;
      count++;
      start = i + 1;
    }
  }
  for (k = 0; k + 1 < count; k++)
    if (nums[k] > 255) return -1;
  if (nums[count - 1] >= ((uint64_t)1 << (8 * (5 - count)))) return -1;
  v = nums[count - 1];
  for (k = 0; k + 1 < count; k++) v += nums[k] << (8 * (3 - k));
  out[0] = (uint8_t)(v >> 24);
  out[1] = (uint8_t)(v >> 16);
  out[2] = (uint8_t)(v >> 8);
  out[3] = (uint8_t)v;
  return 0;
}

/* ---- domain: percent-decode, then the part of UTS #46 mapping that can
 * still produce an IPv4 address: ASCII case, and the non-ASCII code points
 * listed in addr_idna.h (full-width and circled digits, ideographic full
 * stops, ignored code points, ...) ----------------------------------------- */

/* Decodes one UTF-8 sequence at s[0..n); returns its length or 0. */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cp) {
  size_t len, i;
  unsigned c = s[0], min;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    c &= 0x1f;
    min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    c &= 0x0f;
    min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    c &= 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (len > n) return 0;
  for (i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    c = c << 6 | (s[i] & 0x3f);
  }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0;
  *cp = c;
  return len;
}

static int cmp_idna(const void *key, const void *entry) {
  unsigned cp = *(const unsigned *)key, e = ((const addr_idna_entry *)entry)->cp;
  return cp < e ? -1 : cp > e;
}

/* Maps the percent-decoded host into `out` (lowercase ASCII). Returns the
 * length, or -1 for anything that cannot become an IP address. */
static long url_domain(const char *s, size_t n, char *out) {
  unsigned char *dec = (unsigned char *)out; /* decoding shrinks: reuse out */
  size_t dn = 0, i, o = 0;

  for (i = 0; i < n; i++) {
    if (s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
        hexval((unsigned char)s[i + 2]) >= 0) {
      dec[dn++] = (unsigned char)(hexval((unsigned char)s[i + 1]) * 16 +
                                  hexval((unsigned char)s[i + 2]));
      i += 2;
    } else {
      dec[dn++] = (unsigned char)s[i];
    }
  }
  for (i = 0; i < dn;) {
    unsigned cp;
    size_t k = utf8_decode(dec + i, dn - i, &cp), len;
    const addr_idna_entry *e;
    if (k == 0) return -1;
    i += k;
    if (cp < 0x80) {
      out[o++] = (char)(cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp);
      continue;
    }
    e = bsearch(&cp, addr_idna_map, sizeof addr_idna_map / sizeof addr_idna_map[0],
                sizeof addr_idna_map[0], cmp_idna);
    if (e == NULL) return -1; /* not an IP address, whatever it maps to */
    len = strlen(e->to);
    if (o + len > i) return -1; /* cannot happen: mappings are shorter */
    memcpy(out + o, e->to, len);
    o += len;
  }
  return (long)o;
}

/* ---- the URL around the host ------------------------------------------- */

/* JavaScript's parseInt(s, 10) as a port: leading white space, a sign,
 * digits. Returns the value (0 for NaN, as `|| 0` makes it), or -1 when
 * SocketAddress would reject it (negative, or above 65535). */
static int js_parse_port(const unsigned char *s, size_t n) {
  size_t i = 0;
  int neg = 0, any = 0;
  long v = 0;
  for (;;) {
    if (i < n && ((s[i] >= 0x09 && s[i] <= 0x0d) || s[i] == 0x20)) {
      i++;
    } else if (i + 1 < n && s[i] == 0xc2 && s[i + 1] == 0xa0) {
      i += 2; /* U+00A0 */
    } else if (i + 2 < n && s[i] == 0xe1 && s[i + 1] == 0x9a && s[i + 2] == 0x80) {
      i += 3; /* U+1680 */
    } else if (i + 2 < n && s[i] == 0xe2 && s[i + 1] == 0x80 &&
               ((s[i + 2] >= 0x80 && s[i + 2] <= 0x8a) || s[i + 2] == 0xa8 ||
                s[i + 2] == 0xa9 || s[i + 2] == 0xaf)) {
      i += 3; /* U+2000..200A, U+2028, U+2029, U+202F */
    } else if (i + 2 < n && s[i] == 0xe2 && s[i + 1] == 0x81 && s[i + 2] == 0x9f) {
      i += 3; /* U+205F */
    } else if (i + 2 < n && s[i] == 0xe3 && s[i + 1] == 0x80 && s[i + 2] == 0x80) {
      i += 3; /* U+3000 */
    } else if (i + 2 < n && s[i] == 0xef && s[i + 1] == 0xbb && s[i + 2] == 0xbf) {
      i += 3; /* U+FEFF */
    } else {
      break;
    }
  }
  if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
    any = 1;
    if (v <= 65535) v = v * 10 + (s[i] - '0');
  }
  if (!any || v == 0) return 0; /* NaN || 0, and -0 || 0 */
  if (neg || v > 65535) return -1;
  return (int)v;
}

static int is_auth_end(char c) {
  return c == '/' || c == '?' || c == '#' || c == '\\';
}

static int parse_url(const char *u, size_t n, char *scratch, addr_ip *out) {
  size_t p = 0, ae, hs, he, i;
  int brackets = 0, at = 0;
  long dn;

  /* special authority (ignore) slashes: any mix of '/' and '\' */
  while (p < n && (u[p] == '/' || u[p] == '\\')) p++;
  for (ae = p; ae < n && !is_auth_end(u[ae]); ae++) {
  }
  hs = p;
  for (i = p; i < ae; i++)
    if (u[i] == '@') {
      at = 1;
      hs = i + 1;
    }
  if (at && hs == ae) return -1; /* credentials without a host */
  for (he = hs; he < ae; he++) {
    if (u[he] == ':' && !brackets) break;
    if (u[he] == '[') brackets = 1;
    if (u[he] == ']') brackets = 0;
  }
  if (he == hs) return -1; /* empty host */
  if (he < ae) {             /* port: digits only, at most 65535 */
    long port = 0;
    for (i = he + 1; i < ae; i++) {
      if (u[i] < '0' || u[i] > '9') return -1;
      if (port <= 65535) port = port * 10 + (u[i] - '0');
    }
    if (port > 65535) return -1;
  }
  if (u[hs] == '[') {
    if (u[he - 1] != ']') return -1;
    out->family = 6;
    return url_ipv6(u + hs + 1, he - hs - 2, out->bytes);
  }
  dn = url_domain(u + hs, he - hs, scratch);
  if (dn <= 0 || !url_ends_in_number(scratch, (size_t)dn)) return -1;
  out->family = 4;
  memset(out->bytes, 0, sizeof out->bytes);
  return url_ipv4(scratch, (size_t)dn, out->bytes);
}

int addr_parse_hostport(const char *s, size_t len, addr_ip *out, int *port) {
  char *u;
  size_t n = len, i, k = 0;
  int rc;

  /* The URL parser first trims C0 controls and spaces off the end (the
   * start is "http://") and drops every tab and newline. */
  while (n > 0 && (unsigned char)s[n - 1] <= 0x20) n--;
  u = malloc(2 * n + 1);
  if (u == NULL) return -1;
  for (i = 0; i < n; i++)
    if (s[i] != '\t' && s[i] != '\n' && s[i] != '\r') u[k++] = s[i];
  rc = parse_url(u, k, u + n, out); /* u + n: room for the mapped host */
  free(u);
  if (rc != 0) return -1;

  /* The port comes from the raw input: after the first "]:" for an IPv6
   * host, after the last ':' otherwise. */
  if (out->family == 6) {
    const char *q = NULL;
    for (i = 0; i + 1 < len; i++)
      if (s[i] == ']' && s[i + 1] == ':') {
        q = s + i + 2;
        break;
      }
    *port = q ? js_parse_port((const unsigned char *)q, len - (size_t)(q - s)) : 0;
  } else {
    size_t c = len;
    while (c > 0 && s[c - 1] != ':') c--;
    *port = c > 0 ? js_parse_port((const unsigned char *)s + c, len - c) : 0;
  }
  return *port < 0 ? -1 : 0;
}
