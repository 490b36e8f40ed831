#!/usr/bin/env bash
# User-space instructions per connection and per message, counted by
# callgrind (bench/README.md, "Instructions per connection and per
# message"): unlike CPU time on this shared machine, the counts move by
# about 1% between runs, so a change to the hot path shows even when the
# timings drown it in noise.
#
#   bench/count-instructions.sh                 # the Lua and the C server
#   SERVERS=lua ROOT=/path/to/other/tree bench/count-instructions.sh
#
# Per connection: the server runs under callgrind for `loadgen connect
# --total N1` and again for N2 connections (connect, one 64-byte echo,
# close); (count(N2) - count(N1)) / (N2 - N1) leaves out start-up and
# shutdown. Per message: one run of `loadgen pingpong` (50 connections,
# DURATION seconds); (count - count(N1) + N1 * per connection) / messages,
# so the start-up and the 50 connections' own cost are left out.
#
# Needs valgrind, gcc, pkg-config, libuv1-dev, liblua5.4-dev (the Lua
# server runs under bench/bin/lua-sym, built by bench/build-lua-sym.sh).
# Environment: SERVERS ("lua c"), ROOT (the tree whose Lua server is
# counted; default this one), N1 (1000), N2 (3000), DURATION (8),
# BUILD_DIR (ROOT/build-release).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=${ROOT:-$HERE}
BIN=$HERE/bench/bin
SERVERS=${SERVERS:-lua c}
N1=${N1:-1000}
N2=${N2:-3000}
DURATION=${DURATION:-8}
BUILD_DIR=${BUILD_DIR:-$ROOT/build-release}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

die() { echo "count-instructions: $*" >&2; exit 1; }
command -v valgrind >/dev/null || die "valgrind is missing (apt-get install valgrind)"
[[ -f $BUILD_DIR/net/core.so ]] || die "no $BUILD_DIR/net/core.so (make bench builds build-release)"

read -r -a UV_FLAGS <<<"$(pkg-config --cflags --libs libuv)"
mkdir -p "$BIN"
gcc -std=c99 -O2 -Wall -Wextra -Werror -o "$BIN/loadgen" "$HERE/bench/loadgen.c" "${UV_FLAGS[@]}"
gcc -std=c99 -O2 -Wall -Wextra -Werror -o "$BIN/echo-server-uv" "$HERE/bench/echo-server-uv.c" "${UV_FLAGS[@]}"
"$HERE/bench/build-lua-sym.sh" "$BIN/lua-sym"
export LUA_PATH="$ROOT/lua/?.lua;$ROOT/lua/?/init.lua;;"
export LUA_CPATH="$BUILD_DIR/?.so;;"

# run SERVER FILE LOAD...: the server under callgrind for one load; prints
# the load generator's RESULT line, leaves the count in FILE.count
run() {
  local server=$1 file=$2 port='' pid i
  shift 2
  if [[ $server == lua ]]; then
    valgrind --tool=callgrind --callgrind-out-file="$file" "$BIN/lua-sym" \
      "$ROOT/bench/echo-server.lua" 0 127.0.0.1 >"$file.log" 2>&1 &
  else
    valgrind --tool=callgrind --callgrind-out-file="$file" "$BIN/echo-server-uv" 0 127.0.0.1 \
      >"$file.log" 2>&1 &
  fi
  pid=$!
  for ((i = 0; i < 200; i++)); do
    port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$file.log")
    [[ -n $port ]] && break
    sleep 0.1
  done
  [[ -n $port ]] || die "the $server server did not start: $(cat "$file.log")"
  "$BIN/loadgen" "$@" --host 127.0.0.1 --port "$port" | grep '^RESULT' || die "the load failed"
  kill -TERM "$pid"
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  callgrind_annotate "$file" 2>/dev/null | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d , >"$file.count"
  [[ -s $file.count ]] || die "callgrind wrote no count for the $server server"
}

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }

echo "count-instructions: user-space instructions (callgrind), Lua server of $ROOT"
printf '%-8s %14s %14s\n' server per_connection per_message
for server in $SERVERS; do
  run "$server" "$OUT/$server-n1" connect --conns 10 --total "$N1" --sources 4 >/dev/null
  run "$server" "$OUT/$server-n2" connect --conns 10 --total "$N2" --sources 4 >/dev/null
  msgs=$(run "$server" "$OUT/$server-pp" pingpong --conns 50 --duration "$DURATION" --warmup 0 | field msgs)
  c1=$(cat "$OUT/$server-n1.count") c2=$(cat "$OUT/$server-n2.count") cp=$(cat "$OUT/$server-pp.count")
  per_conn=$(((c2 - c1) / (N2 - N1)))
  # the start-up: what N1 connections' run counted beyond their own cost
  startup=$((c1 - N1 * per_conn))
  per_msg=$(((cp - startup - 50 * per_conn) / msgs))
  printf '%-8s %14d %14d\n' "$server" "$per_conn" "$per_msg"
done
