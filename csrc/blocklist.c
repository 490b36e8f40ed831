/* blocklist.c: the BlockList handle behind lua/net/blocklist.lua
 * (core.blocklist_*). Rules are kept in the order they were added, which is
 * what `rules` lists (newest first, as Node's list does); check() goes
 * through bl_index, rebuilt lazily:
 *  - rules added since the last check stay "pending" and are tested one by
 *    one until there are more than BL_PENDING_MAX of them, then they are
 *    merged into the index in one linear pass;
 *  - a removal or clear() marks the index stale: the next check rebuilds it.
 * So a check costs a binary search plus at most BL_PENDING_MAX rule tests,
 * and adding rules one at a time between checks stays linear per batch. */
#include <stdlib.h>
#include <string.h>

#include "addresses.h"
#include "bl_index.h"

#define BL_MT "net.core.BlockList"
#define BL_PENDING_MAX 32

typedef struct blocklist {
  bl_rule *rules;
  size_t n, cap;
  bl_index index;
  size_t indexed; /* rules[0, indexed) are in the index */
} blocklist;

static blocklist *check_bl(lua_State *L) {
  return (blocklist *)luaL_checkudata(L, 1, BL_MT);
}

static int bl_gc(lua_State *L) {
  blocklist *bl = check_bl(L);
  free(bl->rules);
  bl->rules = NULL;
  bl->n = bl->cap = bl->indexed = 0;
  bl_index_free(&bl->index);
  return 0;
}

/* core.blocklist_new() */
static int bl_new(lua_State *L) {
  blocklist *bl = (blocklist *)lua_newuserdatauv(L, sizeof *bl, 0);
  memset(bl, 0, sizeof *bl);
  luaL_setmetatable(L, BL_MT);
  return 1;
}

static void push_rule(lua_State *L, blocklist *bl, const bl_rule *r) {
  if (bl->n == bl->cap) {
    size_t cap = bl->cap ? bl->cap * 2 : 16;
    bl_rule *nr = realloc(bl->rules, cap * sizeof *nr);
    if (nr == NULL) luaL_error(L, "not enough memory");
    bl->rules = nr;
    bl->cap = cap;
  }
  bl->rules[bl->n++] = *r;
}

/* Reads (kind, address[, end | prefix]) from the stack at 2.. into r. */
static void read_rule(lua_State *L, bl_rule *r) {
  static const char *const kinds[] = {"address", "range", "subnet", NULL};
  memset(r, 0, sizeof *r);
  r->kind = luaL_checkoption(L, 2, NULL, kinds);
  addr_check_bin(L, 3, &r->a);
  if (r->kind == BL_RANGE) addr_check_bin(L, 4, &r->b);
  if (r->kind == BL_SUBNET) {
    lua_Integer p = luaL_checkinteger(L, 4);
    /* the Lua side validated it; a bad value here is a bug, not input */
    luaL_argcheck(L, p >= 0 && p <= (r->a.family == 4 ? 32 : 128), 4, "bad prefix");
    r->prefix = (int)p;
  }
}

/* core.blocklist_add(bl, kind, bytes[, end_bytes | prefix]) -> true, or
 * false when a range starts after its end (Node adds nothing then). */
static int bl_add(lua_State *L) {
  blocklist *bl = check_bl(L);
  bl_rule r;
  read_rule(L, &r);
  if (r.kind == BL_RANGE && bl_compare(&r.a, &r.b) == 1) {
    lua_pushboolean(L, 0);
    return 1;
  }
  push_rule(L, bl, &r);
  lua_pushboolean(L, 1);
  return 1;
}

static int same_ip(const addr_ip *x, const addr_ip *y) {
  return x->family == y->family && memcmp(x->bytes, y->bytes, sizeof x->bytes) == 0;
}

/* core.blocklist_remove(bl, kind, bytes[, end_bytes | prefix]): drops every
 * rule of that kind with exactly these values; returns how many. */
static int bl_remove(lua_State *L) {
  blocklist *bl = check_bl(L);
  bl_rule r;
  size_t i, kept = 0;
  read_rule(L, &r);
  for (i = 0; i < bl->n; i++) {
    const bl_rule *x = &bl->rules[i];
    int same = x->kind == r.kind && same_ip(&x->a, &r.a) &&
               (r.kind != BL_RANGE || same_ip(&x->b, &r.b)) &&
               (r.kind != BL_SUBNET || x->prefix == r.prefix);
    if (!same) bl->rules[kept++] = *x;
  }
  lua_pushinteger(L, (lua_Integer)(bl->n - kept));
  if (kept != bl->n) {
    bl->n = kept;
    bl->indexed = 0; /* stale: rebuilt at the next check */
    bl_index_clear(&bl->index);
  }
  return 1;
}

/* core.blocklist_clear(bl) */
static int bl_clear(lua_State *L) {
  blocklist *bl = check_bl(L);
  bl->n = 0;
  bl->indexed = 0;
  bl_index_clear(&bl->index);
  return 0;
}

static int bl_apply(lua_State *L, blocklist *bl, const addr_ip *ip) {
  size_t i;
  if (bl->n - bl->indexed > BL_PENDING_MAX) {
    if (bl_index_add(&bl->index, bl->rules + bl->indexed, bl->n - bl->indexed) != 0)
      luaL_error(L, "not enough memory");
    bl->indexed = bl->n;
  }
  if (bl_index_lookup(&bl->index, ip)) return 1;
  for (i = bl->indexed; i < bl->n; i++)
    if (bl_rule_matches(&bl->rules[i], ip)) return 1;
  return 0;
}

/* core.blocklist_check(bl, bytes) -> boolean */
static int bl_check(lua_State *L) {
  blocklist *bl = check_bl(L);
  addr_ip ip;
  addr_check_bin(L, 2, &ip);
  lua_pushboolean(L, bl_apply(L, bl, &ip));
  return 1;
}

/* core.blocklist_check_string(bl, text, family) -> boolean: the common
 * check(address, family) in one call; an address that does not parse is
 * not blocked (Node swallows that error). */
static int bl_check_string(lua_State *L) {
  blocklist *bl = check_bl(L);
  size_t len;
  const char *s = luaL_checklstring(L, 2, &len);
  lua_Integer family = luaL_checkinteger(L, 3);
  addr_ip ip;
  lua_pushboolean(L, addr_parse((int)family, s, len, &ip) == 0 && bl_apply(L, bl, &ip));
  return 1;
}

/* Node's Rule::ToString: "Address: IPv4 1.2.3.4", "Range: IPv4 a-b",
 * "Subnet: IPv6 n/p"; the family word is that of the first address. */
static void push_rule_string(lua_State *L, const bl_rule *r) {
  static const char *const names[] = {"Address: ", "Range: ", "Subnet: "};
  char text[ADDR_STRLEN];
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addstring(&b, names[r->kind]);
  luaL_addstring(&b, r->a.family == 4 ? "IPv4 " : "IPv6 ");
  luaL_addlstring(&b, text, addr_format(&r->a, text));
  if (r->kind == BL_RANGE) {
    luaL_addchar(&b, '-');
    luaL_addlstring(&b, text, addr_format(&r->b, text));
  } else if (r->kind == BL_SUBNET) {
    lua_pushfstring(L, "/%d", r->prefix);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
}

/* core.blocklist_rules(bl) -> { newest rule first } */
static int bl_rules(lua_State *L) {
  blocklist *bl = check_bl(L);
  size_t i;
  lua_createtable(L, (int)(bl->n < 0x7fffffff ? bl->n : 0), 0);
  for (i = 0; i < bl->n; i++) {
    push_rule_string(L, &bl->rules[bl->n - 1 - i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/* core.blocklist_size(bl) -> integer */
static int bl_size(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)check_bl(L)->n);
  return 1;
}

void net_open_blocklist(lua_State *L) {
  static const luaL_Reg funcs[] = {
    {"blocklist_new", bl_new},
    {"blocklist_add", bl_add},
    {"blocklist_remove", bl_remove},
    {"blocklist_clear", bl_clear},
    {"blocklist_check", bl_check},
    {"blocklist_check_string", bl_check_string},
    {"blocklist_rules", bl_rules},
    {"blocklist_size", bl_size},
    {NULL, NULL},
  };
  if (luaL_newmetatable(L, BL_MT)) {
    lua_pushcfunction(L, bl_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  luaL_setfuncs(L, funcs, 0);
}
