#!/usr/bin/env bash
# Line-protocol benchmark: one protocol ("GET key\n" -> "VALUE ...\n"),
# three servers, one load generator, measured in ONE run:
#
#   seq     bench/lines-server-seq.lua     this module, net.promises:
#                                          a task per connection, receive('*l')
#   events  bench/lines-server-events.lua  this module, 'data' listeners,
#                                          lines split in Lua
#   node    bench/lines-server.js          Node's net, the same shape as events
#
# CONNS connections each send BATCH pipelined requests in one write and
# wait for the BATCH answers before the next batch (bench/loadgen.c, mode
# lines; every answer byte is checked). The server runs on CPU 0 and the
# load generator on CPU 1 (taskset), so the server's CPU time is its own;
# servers take turns for ROUNDS rounds and the medians are reported. The
# figure that matters is the server's CPU time per request (utime + stime
# from /proc over the measured window, divided by the requests answered).
#
# All three set noDelay (request/response traffic; with Nagle on, every
# batch waits for a delayed ACK and nothing but latency is measured).
# net.promises' send corks what a task sends until the task waits, so the
# sequential server answers a batch with one write; the event servers write
# each answer as it comes, unless CORK=1, which corks them for the answers
# to one chunk (Node's cork() + nextTick(uncork)): then all three make the
# same system calls and the comparison is of the rest.
#
#   bench/run-lines.sh                      # 3 rounds, 50 conns, batches of 16
#   CORK=1 bench/run-lines.sh               # the event servers batch too
#   ROUNDS=5 DURATION=10 bench/run-lines.sh
#   SERVERS="seq node" bench/run-lines.sh
#
# Environment: CONNS=50 BATCH=16 DURATION=5 WARMUP=1 ROUNDS=3 CORK=0
#   SERVERS="seq events node" SERVER_CPU=0 LOAD_CPU=1 START_TIMEOUT=10
#   BUILD_DIR=build (holds net/core.so; built, Release, if missing) CC=gcc
# Exit status: nonzero if a build fails, a server does not start or dies,
# or the load generator reports an error (a wrong answer included).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
BIN=$BENCH/bin
HOST=127.0.0.1
CONNS=${CONNS:-50}
BATCH=${BATCH:-16}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
ROUNDS=${ROUNDS:-3}
SERVERS=${SERVERS:-seq events node}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
START_TIMEOUT=${START_TIMEOUT:-10}
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
CC=${CC:-gcc}
CORK=${CORK:-0}
[[ $CORK == 0 || $CORK == 1 ]] || { echo "run-lines: CORK must be 0 or 1" >&2; exit 1; }
export CORK

die() { echo "run-lines: $*" >&2; exit 1; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
is_num() { [[ $1 =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)$ ]]; }
for v in CONNS BATCH ROUNDS START_TIMEOUT SERVER_CPU LOAD_CPU; do
  is_uint "${!v}" || die "$v must be a non-negative integer, not '${!v}'"
done
((CONNS > 0 && BATCH > 0 && ROUNDS > 0)) || die "CONNS, BATCH and ROUNDS must be positive"
is_num "$DURATION" || die "DURATION must be a number of seconds, not '$DURATION'"
is_num "$WARMUP" || die "WARMUP must be a number of seconds, not '$WARMUP'"
read -r -a SERVER_LIST <<<"$SERVERS"
((${#SERVER_LIST[@]} > 0)) || die "SERVERS is empty"
for s in "${SERVER_LIST[@]}"; do
  case $s in seq | events | node) ;; *) die "unknown server '$s' (use seq, events, node)" ;; esac
done
has_server() { [[ " ${SERVER_LIST[*]} " == *" $1 "* ]]; }
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$PWD/$BUILD_DIR
command -v taskset >/dev/null || die "taskset not found (util-linux)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/run-lines.XXXXXX")
SERVER_PID=
LOADGEN_PID=
stop_server() {
  local pid=$SERVER_PID i
  [[ -n $pid ]] || return 0
  SERVER_PID=
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
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
pkg-config --exists libuv || die "libuv not found by pkg-config (apt-get install libuv1-dev)"
read -r -a UV_FLAGS <<<"$(pkg-config --cflags --libs libuv)"
mkdir -p "$BIN"
"$CC" -std=c99 -O2 -Wall -Wextra -Werror -o "$BIN/loadgen" "$BENCH/loadgen.c" "${UV_FLAGS[@]}" ||
  die "building bench/loadgen.c failed"
if has_server seq || has_server events; then
  command -v lua5.4 >/dev/null || die "lua5.4 not found"
  if [[ ! -f $BUILD_DIR/net/core.so ]]; then
    echo "run-lines: building the module into $BUILD_DIR" >&2
    { cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release &&
      cmake --build "$BUILD_DIR" -j 2; } >"$WORK/cmake.log" 2>&1 ||
      { tail -n 30 "$WORK/cmake.log" >&2; die "building the module failed"; }
  fi
  BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)
  [[ $BUILD_TYPE == Release ]] ||
    echo "run-lines: warning: $BUILD_DIR is a '${BUILD_TYPE:-unknown}' build, not Release" >&2
fi
if has_server node; then command -v node >/dev/null || die "node not found"; fi

# ---- one measurement --------------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

start_server() {
  local name=$1 port out=$WORK/$1.out i
  port=$("$BIN/loadgen" freeport --host "$HOST") || die "no free port"
  local -a cmd=(taskset -c "$SERVER_CPU")
  case $name in
    seq | events)
      cmd+=(env "LUA_PATH=$ROOT/lua/?.lua;$ROOT/lua/?/init.lua;;" "LUA_CPATH=$BUILD_DIR/?.so;;"
            lua5.4 "$BENCH/lines-server-$name.lua" "$port") ;;
    node) cmd+=(node "$BENCH/lines-server.js" "$port") ;;
  esac
  (cd "$ROOT" && exec "${cmd[@]}") >"$out" 2>&1 </dev/null &
  SERVER_PID=$!
  PORT=
  for ((i = 0; i < START_TIMEOUT * 20; i++)); do
    PORT=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' "$out" | head -n 1)
    [[ -n $PORT ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  [[ -n $PORT ]] || { tail -n 30 "$out" >&2; die "the $name server did not start"; }
}

# run_load NAME: sets RATE (requests/s) and COST (server CPU µs/request)
run_load() {
  local name=$1 limit status=0 cpu0 cpu1 count
  limit=$(awk -v d="$DURATION" -v w="$WARMUP" 'BEGIN { print int(d + w + 30) }')
  timeout "$limit" taskset -c "$LOAD_CPU" "$BIN/loadgen" lines --host "$HOST" --port "$PORT" \
    --conns "$CONNS" --batch "$BATCH" --duration "$DURATION" --warmup "$WARMUP" --server "$name" \
    >"$WORK/loadgen.out" 2>"$WORK/loadgen.err" </dev/null &
  LOADGEN_PID=$!
  sleep "$WARMUP"
  cpu0=$(cpu_ticks "$SERVER_PID")
  wait "$LOADGEN_PID" || status=$?
  cpu1=$(cpu_ticks "$SERVER_PID")
  LOADGEN_PID=
  if ((status != 0)); then
    cat "$WORK/loadgen.err" >&2
    tail -n 30 "$WORK/$name.out" >&2
    die "the load against the $name server failed (status $status)"
  fi
  cat "$WORK/loadgen.out"
  RATE=$(sed -n 's/^RESULT .* msgs_per_s=\([0-9.]*\).*$/\1/p' "$WORK/loadgen.out")
  count=$(sed -n 's/^RESULT .* msgs=\([0-9]*\).*$/\1/p' "$WORK/loadgen.out")
  [[ -n $RATE && -n $count ]] || die "no result for the $name server"
  COST=$(awk -v t=$((cpu1 - cpu0)) -v hz="$CLK_TCK" -v n="$count" \
    'BEGIN { printf "%.3f", (n > 0) ? t / hz * 1e6 / n : 0 }')
}

echo "run-lines: servers: ${SERVER_LIST[*]}; CONNS=$CONNS BATCH=$BATCH DURATION=${DURATION}s" \
  "WARMUP=${WARMUP}s ROUNDS=$ROUNDS CORK=$CORK; server on CPU $SERVER_CPU, load on CPU $LOAD_CPU;" \
  "loadavg $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for ((round = 1; round <= ROUNDS; round++)); do
  for name in "${SERVER_LIST[@]}"; do
    start_server "$name"
    run_load "$name"
    echo "$RATE" >>"$WORK/$name.rate"
    echo "$COST" >>"$WORK/$name.cost"
    kill -0 "$SERVER_PID" 2>/dev/null || die "the $name server died"
    stop_server
  done
done

# ---- report -----------------------------------------------------------------
median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
get() { [[ -f $WORK/$1.$2 ]] && median "$WORK/$1.$2" || echo ""; }
ratio() { if [[ -n $1 && -n $2 ]]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; else echo n/a; fi; }
label() { case $1 in seq) echo "seq (net.promises)" ;; events) echo "events (net)" ;; node) echo "node (net)" ;; esac; }

echo
printf '%-20s %14s %18s\n' server "requests/s" "server CPU us/req"
printf '%-20s %14s %18s\n' ------ ---------- -----------------
for name in "${SERVER_LIST[@]}"; do
  printf '%-20s %14.0f %18s\n' "$(label "$name")" "$(get "$name" rate)" "$(get "$name" cost)"
done
echo
printf '%-20s %14s %18s\n' ratio "requests/s" "CPU per request"
printf '%-20s %14s %18s\n' ----- ---------- ---------------
for pair in "seq node" "seq events" "events node"; do
  read -r a b <<<"$pair"
  has_server "$a" && has_server "$b" || continue
  printf '%-20s %14s %18s\n' "$a/$b" "$(ratio "$(get "$a" rate)" "$(get "$b" rate)")" \
    "$(ratio "$(get "$a" cost)" "$(get "$b" cost)")"
done
