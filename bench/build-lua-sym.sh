#!/usr/bin/env bash
# bench/build-lua-sym.sh OUT: build bench/lua-sym.c (lua5.4 with the VM's
# and libuv's symbols, for perf and callgrind) into OUT, from Debian's
# static liblua5.4.a and libuv_a.a. Used by bench/profile-conn.sh and
# bench/count-instructions.sh.
set -euo pipefail
OUT=${1:?usage: bench/build-lua-sym.sh OUT}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
read -r -a LUA_CFLAGS <<<"$(pkg-config --cflags lua5.4)"
LIBDIR=$(pkg-config --variable=libdir lua5.4)
if [[ ! -f $LIBDIR/liblua5.4.a || ! -f $LIBDIR/libuv_a.a ]]; then
  echo "build-lua-sym: liblua5.4.a or libuv_a.a missing in $LIBDIR (liblua5.4-dev, libuv1-dev)" >&2
  exit 1
fi
gcc -std=c99 -O2 -Wall -Wextra -Werror "${LUA_CFLAGS[@]}" -o "$OUT" "$HERE/lua-sym.c" \
  -Wl,-E -Wl,--whole-archive "$LIBDIR/liblua5.4.a" "$LIBDIR/libuv_a.a" -Wl,--no-whole-archive \
  -lm -ldl -lpthread
