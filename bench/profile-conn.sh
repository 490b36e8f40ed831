#!/usr/bin/env bash
# Where the bytes and microseconds of a connection go in the Lua `net`
# server (bench/README.md, "Where the bytes and microseconds go"):
#
#   bench/profile-conn.sh            # everything below, a few minutes
#   PERF=0 bench/profile-conn.sh     # without the CPU profiles
#
#  1. sizes of the C structs one connection carries (bench/conn-sizes.c);
#  2. the Lua heap of an idle connection, taken apart (bench/conn-memory.lua);
#  3. Lua calls and bytes allocated per connection and per message
#     (bench/conn-calls.lua);
#  4. CPU profiles (perf record --call-graph dwarf, self time) of
#     bench/echo-server.lua under each load of bench/run-echo.sh, run by
#     bench/bin/lua-sym (lua5.4 with the VM's and libuv's symbols, see
#     bench/lua-sym.c), summed by kind (kernel, Lua VM, Lua GC, allocator,
#     libuv, the module's C, libc) plus the top functions. Server on CPU 1,
#     load generator on CPU 0, as in run-echo.sh (both on 0 for the
#     same-CPU load). If perf cannot run here (or PERF=callgrind), the
#     connect load runs under valgrind --tool=callgrind instead (much
#     slower: CALLGRIND_CONNS connections, 2000).
#
# Environment: N=5000 (idle sockets for 2), DURATION=3 (seconds profiled
# per load), OUT=bench/bin/profile (perf data and full reports), BUILD_DIR
# (net/core.so, as run-echo.sh), PERF=1 (0: no profiles; callgrind),
# CALLGRIND_CONNS=2000, PIN=1.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
BIN=$BENCH/bin
N=${N:-5000}
DURATION=${DURATION:-3}
OUT=${OUT:-$BIN/profile}
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
PERF=${PERF:-1}
CALLGRIND_CONNS=${CALLGRIND_CONNS:-2000}
PIN=${PIN:-1}
HOST=127.0.0.1
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$PWD/$BUILD_DIR

die() { echo "profile-conn: $*" >&2; exit 1; }
[[ -f $BUILD_DIR/net/core.so ]] || die "no $BUILD_DIR/net/core.so (make bench builds build-release; BUILD_DIR=build-release)"
mkdir -p "$BIN" "$OUT"
SERVER_PIN=() LOADGEN_PIN=()
if [[ $PIN == 1 ]] && (($(nproc) >= 2)); then
  SERVER_PIN=(taskset -c 1) LOADGEN_PIN=(taskset -c 0)
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT

# ---- build ----------------------------------------------------------------
read -r -a UV_FLAGS <<<"$(pkg-config --cflags --libs libuv)"
read -r -a LUA_CFLAGS <<<"$(pkg-config --cflags lua5.4)"
gcc -std=c99 -O2 -Wall -Wextra -Werror -o "$BIN/loadgen" "$BENCH/loadgen.c" "${UV_FLAGS[@]}"
gcc -std=c99 -O2 -Wall -Wextra -Werror -I "$ROOT/csrc" "${LUA_CFLAGS[@]}" \
  -o "$BIN/conn-sizes" "$BENCH/conn-sizes.c" "${UV_FLAGS[@]}"
"$BENCH/build-lua-sym.sh" "$BIN/lua-sym"

export LUA_PATH="$ROOT/lua/?.lua;$ROOT/lua/?/init.lua;;"
export LUA_CPATH="$BUILD_DIR/?.so;;"
echo "profile-conn: $(nproc) cores, loadavg $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "== 1. C structs (bytes) =="
"$BIN/conn-sizes"

echo
echo "== 2. an idle connection's Lua heap ($N sockets) =="
lua5.4 "$BENCH/conn-memory.lua" "$BIN/loadgen" "$N"

echo
echo "== 3. Lua calls and allocations =="
lua5.4 "$BENCH/conn-calls.lua" "$BIN/loadgen" 2000 20000

[[ $PERF != 0 ]] || exit 0

# ---- profiles -------------------------------------------------------------
start_server() { # start_server [RUNNER...]: the Lua echo server, pinned
  "${SERVER_PIN[@]}" "$@" "$BIN/lua-sym" "$BENCH/echo-server.lua" 0 "$HOST" \
    >"$OUT/server.out" 2>&1 </dev/null &
  SERVER_PID=$!
  local i
  PORT=
  for ((i = 0; i < 200; i++)); do
    PORT=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$OUT/server.out")
    [[ -n $PORT ]] && return 0
    sleep 0.05
  done
  cat "$OUT/server.out" >&2
  die "the server did not start"
}
stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

# the loads: name, then loadgen arguments; "same" runs the load generator
# on the server's CPU
LOADS=(
  "connect|connect --conns 50 --sources 4"
  "pingpong50|pingpong --conns 50"
  "pingpong1same|pingpong --conns 1"
  "stream|stream"
)

ENTRY_POINTS="uv__io_poll epoll_wait uv__server_io on_connection uv__stream_io uv__read \
net_call drain_ticks uv__try_write uv__write uv__drain uv_close luaC_step"

# Self time by kind of code, then the top functions, from a perf report
# listing "PCT DSO SYMBOL" lines.
summarize() {
  awk '
    function kind(dso, sym) {
      if (dso ~ /kernel/) return "kernel (syscalls, TCP/IP, scheduler)"
      if (dso ~ /core\.so/) return "the module (net/core.so)"
      if (sym ~ /^(malloc|free|calloc|realloc|cfree|_int_|malloc_consolidate|unlink_chunk|tcache|__libc_(malloc|free|calloc|realloc)|l_alloc$|luaM_)/) return "allocator (glibc malloc, l_alloc, luaM_)"
      if (dso ~ /lua-sym/) {
        if (sym ~ /^uv_|^uv__/) return "libuv"
        if (sym ~ /^(luaC_|singlestep|propagate|traverse|reallymarkobject|mark|sweep|atomic|converge|clearby|freeobj|GCTM|callallpending|separatetobefnz|udata2finalize|entersweep|remarkupvals|restartcollection|cleargraylists|genlink|linkgclist|incstep|genstep|fullinc|checkSizes|freeupval|luaF_free|luaH_free|luaS_remove|luaE_setdebt|getgclist|youngcollection|correctgraylist|dothecall|luaE_freethread)/) return "Lua GC"
        if (sym ~ /^(lua_|luaL_)/) return "Lua C API (lua_*, luaL_*)"
        return "Lua VM (interpreter, calls, tables, strings)"
      }
      if (dso ~ /libc/) return "libc (other)"
      return "other (" dso ")"
    }
    /^ *[0-9.]+%/ {
      pct = $1; sub(/%/, "", pct)
      dso = $2
      sym = $0; sub(/^.*\] /, "", sym)
      k = kind(dso, sym)
      byk[k] += pct
      if (n < 25) { top[++n] = sprintf("  %6.2f%%  %-28s %s", pct, k, sym) }
    }
    END {
      print "  by kind (self time):"; fflush()
      cmd = "sort -t\"|\" -k1,1gr"
      for (k in byk) printf "%.2f|%s\n", byk[k], k | cmd
      close(cmd)
      print "  top functions:"
      for (i = 1; i <= n; i++) print top[i]
    }' | sed 's/^\([0-9.]*\)|/  \1%  /'
}

if [[ $PERF != callgrind ]] && perf record -o "$OUT/probe.data" -- true >/dev/null 2>&1; then
  for load in "${LOADS[@]}"; do
    name=${load%%|*}
    read -r -a args <<<"${load#*|}"
    start_server
    lg_pin=("${LOADGEN_PIN[@]}")
    if [[ $name == *same ]] && [[ ${#SERVER_PIN[@]} -gt 0 ]]; then
      taskset -a -p -c 0 "$SERVER_PID" >/dev/null
    fi
    "${lg_pin[@]}" "$BIN/loadgen" "${args[@]}" --host "$HOST" --port "$PORT" --warmup 1 \
      --duration "$DURATION" --server-pid "$SERVER_PID" --server lua >"$OUT/$name.result" &
    lg=$!
    sleep 1.2
    perf record -q -F 2999 --call-graph dwarf,8192 -p "$SERVER_PID" -o "$OUT/$name.data" \
      -- sleep "$(awk -v d="$DURATION" 'BEGIN { print d - 0.5 }')" >/dev/null 2>&1 ||
      echo "profile-conn: perf record failed for $name" >&2
    wait "$lg" || die "the load generator failed for $name"
    stop_server
    echo
    echo "== 4. perf: $name =="
    cat "$OUT/$name.result"
    perf report -i "$OUT/$name.data" --no-children --sort dso,sym --stdio -g none \
      --percent-limit 0.01 2>/dev/null >"$OUT/$name.txt"
    grep -v '^#' "$OUT/$name.txt" | grep -v '^$' | summarize
    # inclusive time of the entry points: libuv's callbacks into the
    # module, the Lua callbacks (net_call), the tick queue, the GC step, and
    # the system calls libuv makes for them
    echo "  entry points (inclusive: the function and all it calls):"
    perf report -i "$OUT/$name.data" --children --sort sym --stdio -g none 2>/dev/null |
      awk -v list="$ENTRY_POINTS" '
        BEGIN { n = split(list, want, " "); for (i = 1; i <= n; i++) rank[want[i]] = i }
        /^ *[0-9.]+%/ { sym = $0; sub(/^.*\] /, "", sym); sub(/ +$/, "", sym)
                        if (sym in rank && !(sym in seen)) { seen[sym] = $1 } }
        END { for (i = 1; i <= n; i++) if (want[i] in seen) printf "  %7s  %s\n", seen[want[i]], want[i] }'
    # the call graphs (callers of each hot function)
    perf report -i "$OUT/$name.data" --no-children --sort sym --stdio \
      -g caller,0.5,callee,function,percent --percent-limit 2 2>/dev/null >"$OUT/$name.callers.txt"
  done
  echo
  echo "profile-conn: full reports (and call graphs in *.callers.txt) in $OUT"
else
  echo
  echo "profile-conn: perf cannot record here; callgrind instead (fixed counts, slow)"
  command -v valgrind >/dev/null || die "valgrind not found (apt-get install valgrind)"
  # the connect load only: callgrind runs the server some 50 times slower
  name=connect
  start_server valgrind --tool=callgrind --callgrind-out-file="$OUT/$name.callgrind"
  "$BIN/loadgen" connect --conns 10 --total "$CALLGRIND_CONNS" --host "$HOST" --port "$PORT" --server lua \
    >"$OUT/$name.result" || die "the load generator failed under callgrind"
  stop_server
  echo "== 4. callgrind: $name ($CALLGRIND_CONNS connections) =="
  callgrind_annotate "$OUT/$name.callgrind" 2>/dev/null | head -n 40
fi
