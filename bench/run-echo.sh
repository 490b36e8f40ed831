#!/usr/bin/env bash
# Echo benchmark: the Lua `net` echo server against Node's `net` and a plain
# C libuv server, measured in ONE run by the same load generator.
#
#   bench/run-echo.sh                       # all three servers
#   CONNS=200 DURATION=10 bench/run-echo.sh
#   SERVERS="node c" bench/run-echo.sh      # skip the Lua server
#
# Modes (see bench/loadgen.c):
#   pingpong  CONNS connections, one 64-byte message each in flight, waiting
#             for the full echo before the next: round trips/s (latency and
#             per-message overhead).
#   stream    one connection, 64 KiB writes, at most 4 MiB unechoed: MB/s of
#             echoed bytes (throughput, per-byte overhead).
#
# The RATIOS are what matters, not the absolute numbers: the machine is
# shared and has 2 cores, load generator and server compete for them, and
# nothing is pinned. All servers are measured in the same run, one after the
# other, with the same settings; with ROUNDS > 1 the servers take turns each
# round and the table shows the median per server and mode.
#
# Environment:
#   CONNS=100          pingpong connections
#   DURATION=5         measured seconds per mode and server
#   WARMUP=1           seconds run before measuring
#   ROUNDS=1           repeat everything, report medians
#   SERVERS="lua node c"  which servers, in this order
#   START_TIMEOUT=10   seconds to wait for a server's "listening on" line
#   BUILD_DIR=build    CMake build dir holding net/core.so (built if missing)
#   CC=gcc
#
# Exit status: nonzero if anything fails to build, a server does not start
# or dies, or the load generator reports an error (e.g. a wrong echo).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
BIN=$BENCH/bin
HOST=127.0.0.1
CONNS=${CONNS:-100}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
ROUNDS=${ROUNDS:-1}
SERVERS=${SERVERS:-lua node c}
START_TIMEOUT=${START_TIMEOUT:-10}
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
CC=${CC:-gcc}

die() { echo "run-echo: $*" >&2; exit 1; }
is_uint() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }
is_num() { [[ $1 =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)$ ]]; }

is_uint "$CONNS" || die "CONNS must be a positive integer, not '$CONNS'"
is_uint "$ROUNDS" || die "ROUNDS must be a positive integer, not '$ROUNDS'"
is_uint "$START_TIMEOUT" || die "START_TIMEOUT must be a positive integer"
is_num "$DURATION" || die "DURATION must be a number of seconds, not '$DURATION'"
is_num "$WARMUP" || die "WARMUP must be a number of seconds, not '$WARMUP'"
read -r -a SERVER_LIST <<<"$SERVERS"
((${#SERVER_LIST[@]} > 0)) || die "SERVERS is empty"
for s in "${SERVER_LIST[@]}"; do
  case $s in lua | node | c) ;; *) die "unknown server '$s' (use lua, node, c)" ;; esac
done
has_server() { [[ " ${SERVER_LIST[*]} " == *" $1 "* ]]; }
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$PWD/$BUILD_DIR

WORK=$(mktemp -d "${TMPDIR:-/tmp}/run-echo.XXXXXX")
SERVER_PID=
SERVER_NAME=
LOADGEN_PID=

stop_server() {
  local pid=$SERVER_PID
  [[ -n $pid ]] || return 0
  SERVER_PID=
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do # 5 s, then SIGKILL
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "run-echo: $SERVER_NAME server ignored SIGTERM, killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  if [[ -n $LOADGEN_PID ]]; then
    kill -TERM "$LOADGEN_PID" 2>/dev/null || true
    wait "$LOADGEN_PID" 2>/dev/null || true
  fi
  stop_server
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- build ----------------------------------------------------------------
command -v pkg-config >/dev/null || die "pkg-config not found"
pkg-config --exists libuv || die "libuv not found by pkg-config (apt-get install libuv1-dev)"
read -r -a UV_FLAGS <<<"$(pkg-config --cflags --libs libuv)"
mkdir -p "$BIN"
for prog in loadgen echo-server-uv; do
  "$CC" -std=c99 -O2 -Wall -Wextra -Werror -o "$BIN/$prog" "$BENCH/$prog.c" "${UV_FLAGS[@]}" ||
    die "building bench/$prog.c failed"
done

if has_server lua; then
  command -v lua5.4 >/dev/null || die "lua5.4 not found (or leave lua out of SERVERS)"
  [[ -f $ROOT/examples/echo-server.lua ]] ||
    die "examples/echo-server.lua not found (run with SERVERS=\"node c\" to skip it)"
  if [[ ! -f $BUILD_DIR/net/core.so ]]; then
    echo "run-echo: building the module into $BUILD_DIR" >&2
    if ! { cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release &&
      cmake --build "$BUILD_DIR" -j 2; } >"$WORK/cmake.log" 2>&1; then
      tail -n 30 "$WORK/cmake.log" >&2
      die "building the module failed (run with SERVERS=\"node c\" to skip it)"
    fi
    [[ -f $BUILD_DIR/net/core.so ]] || die "the build produced no $BUILD_DIR/net/core.so"
  fi
  BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)
  [[ $BUILD_TYPE == Release ]] ||
    echo "run-echo: warning: $BUILD_DIR is a '${BUILD_TYPE:-unknown}' build, not Release" >&2
fi
if has_server node; then
  command -v node >/dev/null || die "node not found (or leave node out of SERVERS)"
fi

# ---- servers --------------------------------------------------------------
# start_server NAME: starts it on a free port, waits for "listening on PORT",
# and sets SERVER_PID and PORT.
start_server() {
  local name=$1 port out=$WORK/$1.out
  port=$("$BIN/loadgen" freeport --host "$HOST") || die "no free port"
  local -a cmd
  case $name in
    lua)
      cmd=(env "LUA_PATH=$ROOT/lua/?.lua;$ROOT/lua/?/init.lua;;" "LUA_CPATH=$BUILD_DIR/?.so;;")
      # Line-buffered stdout, in case the script does not flush its banner.
      if command -v stdbuf >/dev/null; then cmd+=(stdbuf -oL); fi
      cmd+=(lua5.4 "$ROOT/examples/echo-server.lua" "$port")
      ;;
    node) cmd=(node "$BENCH/echo-server.js" "$port" "$HOST") ;;
    c) cmd=("$BIN/echo-server-uv" "$port" "$HOST") ;;
  esac
  SERVER_NAME=$name
  (cd "$ROOT" && exec "${cmd[@]}") >"$out" 2>&1 </dev/null &
  SERVER_PID=$!
  local i
  PORT=
  for ((i = 0; i < START_TIMEOUT * 20; i++)); do
    PORT=$(sed -n 's/^.*listening on \([0-9][0-9]*\).*$/\1/p' "$out" | head -n 1)
    [[ -n $PORT ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  if [[ -z $PORT ]]; then
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "run-echo: $name server printed no 'listening on' line within ${START_TIMEOUT}s" >&2
    else
      echo "run-echo: $name server exited before listening" >&2
    fi
    echo "--- $name server output:" >&2
    tail -n 30 "$out" >&2
    exit 1
  fi
}

# run_load MODE NAME: runs the load generator, echoes its RESULT line to
# stdout and sets VALUE to msgs_per_s (pingpong) or mb_per_s (stream).
run_load() {
  local mode=$1 name=$2 limit key
  limit=$(awk -v d="$DURATION" -v w="$WARMUP" 'BEGIN { print d + w + 30 }')
  # In the background so that a SIGINT/SIGTERM trap runs at once (bash
  # defers traps until a foreground child exits).
  timeout "$limit" "$BIN/loadgen" "$mode" --host "$HOST" --port "$PORT" \
    --conns "$CONNS" --duration "$DURATION" --warmup "$WARMUP" --server "$name" \
    >"$WORK/loadgen.out" 2>"$WORK/loadgen.err" </dev/null &
  LOADGEN_PID=$!
  # the server's CPU time over the measured window (after the warm-up)
  sleep "$WARMUP"
  local cpu0 cpu1
  cpu0=$(cpu_ticks "$SERVER_PID")
  local status=0
  wait "$LOADGEN_PID" || status=$?
  cpu1=$(cpu_ticks "$SERVER_PID")
  LOADGEN_PID=
  if ((status != 0)); then
    ((status == 124)) && echo "run-echo: the load generator timed out after ${limit}s" >&2
    echo "run-echo: $mode against the $name server failed:" >&2
    cat "$WORK/loadgen.err" >&2
    echo "--- $name server output:" >&2
    tail -n 30 "$WORK/$name.out" >&2
    exit 1
  fi
  cat "$WORK/loadgen.out"
  [[ $mode == pingpong ]] && key=msgs_per_s || key=mb_per_s
  VALUE=$(sed -n "s/^RESULT .* $key=\([0-9.][0-9.]*\).*$/\1/p" "$WORK/loadgen.out")
  [[ -n $VALUE ]] || die "no $mode result for the $name server"
  # CPU cost: microseconds per message (pingpong), seconds per GB (stream)
  local count
  if [[ $mode == pingpong ]]; then
    count=$(sed -n 's/^RESULT .* msgs=\([0-9][0-9]*\).*$/\1/p' "$WORK/loadgen.out")
    COST=$(awk -v t=$((cpu1 - cpu0)) -v hz="$CLK_TCK" -v n="$count" 'BEGIN { printf "%.2f", (n > 0) ? t / hz * 1e6 / n : 0 }')
  else
    count=$(sed -n 's/^RESULT .* bytes=\([0-9][0-9]*\).*$/\1/p' "$WORK/loadgen.out")
    COST=$(awk -v t=$((cpu1 - cpu0)) -v hz="$CLK_TCK" -v n="$count" 'BEGIN { printf "%.3f", (n > 0) ? t / hz / (n / 1e9) : 0 }')
  fi
}

# utime + stime of a process, all its threads, in clock ticks
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() {
  awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

echo "run-echo: servers: ${SERVER_LIST[*]}; CONNS=$CONNS DURATION=${DURATION}s WARMUP=${WARMUP}s" \
  "ROUNDS=$ROUNDS; $(nproc) cores, loadavg $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for ((round = 1; round <= ROUNDS; round++)); do
  for name in "${SERVER_LIST[@]}"; do
    start_server "$name"
    for mode in pingpong stream; do
      run_load "$mode" "$name"
      echo "$VALUE" >>"$WORK/$name.$mode"
      echo "$COST" >>"$WORK/$name.$mode.cost"
      kill -0 "$SERVER_PID" 2>/dev/null || die "the $name server died during $mode"
    done
    stop_server
  done
done

# ---- report ---------------------------------------------------------------
median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
get() { [[ -f $WORK/$1.$2 ]] && median "$WORK/$1.$2" || echo ""; }
ratio() { # ratio A B -> A/B, or n/a
  if [[ -n $1 && -n $2 ]]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; else echo n/a; fi
}
label() { case $1 in lua) echo "lua (net)" ;; node) echo "node (net)" ;; c) echo "c (libuv)" ;; esac; }

echo
printf '%-12s %14s %12s\n' server "pingpong msg/s" "stream MB/s"
printf '%-12s %14s %12s\n' ------ -------------- -----------
for name in "${SERVER_LIST[@]}"; do
  printf '%-12s %14.0f %12.1f\n' "$(label "$name")" "$(get "$name" pingpong)" "$(get "$name" stream)"
done
echo
echo "server CPU time (lower is better; on a shared 2-core machine this, not"
echo "throughput, says what each message costs the server)"
printf '%-12s %14s %12s\n' server "pingpong us/msg" "stream s/GB"
printf '%-12s %14s %12s\n' ------ --------------- -----------
for name in "${SERVER_LIST[@]}"; do
  printf '%-12s %14s %12s\n' "$(label "$name")" "$(get "$name" pingpong.cost)" "$(get "$name" stream.cost)"
done
echo
printf '%-12s %14s %12s\n' ratio pingpong stream
printf '%-12s %14s %12s\n' ----- -------- ------
for pair in "lua node" "lua c" "node c"; do
  read -r a b <<<"$pair"
  if ! has_server "$a" || ! has_server "$b"; then continue; fi
  printf '%-12s %14s %12s\n' "${a^}/${b^}" \
    "$(ratio "$(get "$a" pingpong)" "$(get "$b" pingpong)")" \
    "$(ratio "$(get "$a" stream)" "$(get "$b" stream)")"
  printf '%-12s %14s %12s\n' "  CPU cost" \
    "$(ratio "$(get "$a" pingpong.cost)" "$(get "$b" pingpong.cost)")" \
    "$(ratio "$(get "$a" stream.cost)" "$(get "$b" stream.cost)")"
done
if has_server lua && ! has_server node; then echo "Lua/Node: n/a (node not in SERVERS)"; fi
if has_server lua && ! has_server c; then echo "Lua/C: n/a (c not in SERVERS)"; fi
if ! has_server lua; then echo "Lua/Node, Lua/C: n/a (lua not in SERVERS)"; fi
