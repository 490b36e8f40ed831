#!/usr/bin/env bash
# Echo benchmark: the Lua `net` echo server against Node's `net` and a plain
# C libuv server, measured in ONE run by the same load generator.
#
#   bench/run-echo.sh                       # all three servers
#   ROUNDS=3 bench/run-echo.sh              # servers take turns; medians
#   SERVERS="node c" bench/run-echo.sh      # skip the Lua server
#
# What each server is asked (bench/loadgen.c; bench/README.md, "What is
# measured", says it in full). With the server on one CPU and the load
# generator on the other (taskset), except where said:
#   connect   CC_CONNS slots, each: connect, one 64-byte message, read the
#             echo, close, again: server CPU per connection
#   pingpong  CONNS connections, one 64-byte message each in flight: server
#             CPU per message, round trips/s
#   pingpong1 one connection, server and load generator on the SAME CPU:
#             server CPU per message, round trips/s
#   stream    one connection, 64 KiB writes, at most 4 MiB unechoed: MB/s,
#             server CPU per GB
#   idle      on a fresh server (after a 200-connection warm-up): IDLE
#             connections that send nothing, then HELD in all: server RSS
#             growth per connection (VmRSS), read once all are accepted
#             (the server holds that many more descriptors) and SETTLE
#             seconds have passed
#
# Server CPU time is utime + stime from /proc/PID/stat over the measured
# window (all threads). The RATIOS are what matters: the machine is shared.
#
# Environment:
#   CONNS=50           pingpong connections
#   CC_CONNS=50        connect-mode slots (connections under way at a time)
#   DURATION=3         measured seconds per CPU mode and server
#   WARMUP=1           seconds run before measuring
#   IDLE=5000          idle connections for "idle memory per connection"
#   HELD=10000         idle connections for "concurrent connections held"
#                      (0 skips it; needs ulimit -n above it, raised here to
#                      the hard limit)
#   SOURCES=4          the load generator binds to 127.0.0.1 .. 127.0.0.N
#                      (ephemeral ports for many connections)
#   SETTLE=1           seconds between the last accept and reading VmRSS
#   ROUNDS=1           repeat everything, report medians
#   SERVERS="lua node c"  which servers, in this order each round
#   PIN=1              taskset: server on SERVER_CPU (1), load generator on
#                      LOADGEN_CPU (0); PIN=0 leaves scheduling to the kernel
#   START_TIMEOUT=10   seconds to wait for a server's "listening on" line
#   BUILD_DIR=build    CMake build dir holding net/core.so (built if missing)
#   CC=gcc
#
# Exit status: nonzero if anything fails to build, a server does not start,
# dies or does not accept every connection, or the load generator reports
# an error (e.g. a wrong echo).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
BIN=$BENCH/bin
HOST=127.0.0.1
CONNS=${CONNS:-50}
CC_CONNS=${CC_CONNS:-50}
DURATION=${DURATION:-3}
WARMUP=${WARMUP:-1}
IDLE=${IDLE:-5000}
HELD=${HELD:-10000}
SOURCES=${SOURCES:-4}
SETTLE=${SETTLE:-1}
ROUNDS=${ROUNDS:-1}
SERVERS=${SERVERS:-lua node c}
PIN=${PIN:-1}
SERVER_CPU=${SERVER_CPU:-1}
LOADGEN_CPU=${LOADGEN_CPU:-0}
START_TIMEOUT=${START_TIMEOUT:-10}
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
CC=${CC:-gcc}

die() { echo "run-echo: $*" >&2; exit 1; }
is_uint() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }
is_num() { [[ $1 =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)$ ]]; }

for v in CONNS CC_CONNS IDLE SOURCES ROUNDS START_TIMEOUT; do
  is_uint "${!v}" || die "$v must be a positive integer, not '${!v}'"
done
[[ $HELD == 0 ]] || is_uint "$HELD" || die "HELD must be 0 or a positive integer, not '$HELD'"
((HELD == 0 || HELD > IDLE)) || die "HELD ($HELD) must be above IDLE ($IDLE), or 0"
for v in DURATION WARMUP SETTLE; do
  is_num "${!v}" || die "$v must be a number of seconds, not '${!v}'"
done
read -r -a SERVER_LIST <<<"$SERVERS"
((${#SERVER_LIST[@]} > 0)) || die "SERVERS is empty"
for s in "${SERVER_LIST[@]}"; do
  case $s in lua | node | c) ;; *) die "unknown server '$s' (use lua, node, c)" ;; esac
done
has_server() { [[ " ${SERVER_LIST[*]} " == *" $1 "* ]]; }
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$PWD/$BUILD_DIR

# Pinning: server and load generator on different CPUs.
SERVER_PIN=() LOADGEN_PIN=()
if [[ $PIN == 1 ]]; then
  command -v taskset >/dev/null || die "taskset not found (apt-get install util-linux, or PIN=0)"
  (($(nproc) >= 2)) || die "PIN=1 needs 2 CPUs (this machine has $(nproc)); use PIN=0"
  SERVER_PIN=(taskset -c "$SERVER_CPU")
  LOADGEN_PIN=(taskset -c "$LOADGEN_CPU")
fi

# Descriptors: the server holds HELD connections, each idle load generator
# IDLE of them.
want=$((HELD > IDLE ? HELD : IDLE))
if (($(ulimit -n) < want + 64)); then
  hard=$(ulimit -Hn)
  if [[ $hard == unlimited ]] || ((hard >= want + 64)); then
    ulimit -n $((want + 64))
  else
    ulimit -n "$hard"
  fi
fi
if (($(ulimit -n) < want + 64)); then
  die "ulimit -n is $(ulimit -n) (hard limit $(ulimit -Hn)): too low for $want connections; lower HELD/IDLE"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/run-echo.XXXXXX")
SERVER_PID=
SERVER_NAME=
LOADGEN_PID=
IDLE_PIDS=()
ERR_FILE=$WORK/loadgen.err # what the last load generator said on stderr

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
stop_idle() {
  local pid status=0
  for pid in "${IDLE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${IDLE_PIDS[@]}"; do wait "$pid" || status=1; done
  IDLE_PIDS=()
  return $status
}
cleanup() {
  if [[ -n $LOADGEN_PID ]]; then
    kill -TERM "$LOADGEN_PID" 2>/dev/null || true
    wait "$LOADGEN_PID" 2>/dev/null || true
  fi
  stop_idle 2>/dev/null || true
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
# start_server NAME: starts it (pinned) on a free port, waits for
# "listening on PORT", and sets SERVER_PID and PORT.
start_server() {
  local name=$1 port out=$WORK/$1.out
  port=$("$BIN/loadgen" freeport --host "$HOST") || die "no free port"
  local -a cmd=("${SERVER_PIN[@]}")
  case $name in
    lua)
      cmd+=(env "LUA_PATH=$ROOT/lua/?.lua;$ROOT/lua/?/init.lua;;" "LUA_CPATH=$BUILD_DIR/?.so;;")
      # Line-buffered stdout, in case the script does not flush its banner.
      if command -v stdbuf >/dev/null; then cmd+=(stdbuf -oL); fi
      cmd+=(lua5.4 "$BENCH/echo-server.lua" "$port" "$HOST")
      ;;
    node) cmd+=(node "$BENCH/echo-server.js" "$port" "$HOST") ;;
    c) cmd+=("$BIN/echo-server-uv" "$port" "$HOST") ;;
  esac
  SERVER_NAME=$name
  # every wrapper execs, so $! is the server process itself
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

server_failed() { # server_failed WHAT: the load generator's and server's words, then exit
  echo "run-echo: $1 against the $SERVER_NAME server failed:" >&2
  cat "$ERR_FILE" >&2 2>/dev/null || true
  echo "--- $SERVER_NAME server output:" >&2
  tail -n 30 "$WORK/$SERVER_NAME.out" >&2
  exit 1
}

# Move every thread of the server to the given CPU list (same-CPU mode).
pin_server() {
  [[ $PIN == 1 ]] || return 0
  taskset -a -p -c "$1" "$SERVER_PID" >/dev/null || die "taskset -p $SERVER_PID failed"
}

# run_load MODE LOADGEN-ARGS...: runs the load generator (pinned), keeps its
# RESULT line in $WORK/loadgen.out and sets RATE (the mode's rate field)
# and CPU (server_cpu_s) and COUNT (messages, connections or bytes).
run_load() {
  local mode=$1 limit
  shift
  ERR_FILE=$WORK/loadgen.err
  limit=$(awk -v d="$DURATION" -v w="$WARMUP" 'BEGIN { print d + w + 60 }')
  # In the background so that a SIGINT/SIGTERM trap runs at once (bash
  # defers traps until a foreground child exits).
  timeout "$limit" "${LOADGEN_PIN[@]}" "$BIN/loadgen" "$mode" --host "$HOST" --port "$PORT" \
    --duration "$DURATION" --warmup "$WARMUP" --server "$SERVER_NAME" \
    --server-pid "$SERVER_PID" "$@" >"$WORK/loadgen.out" 2>"$WORK/loadgen.err" </dev/null &
  LOADGEN_PID=$!
  local status=0
  wait "$LOADGEN_PID" || status=$?
  LOADGEN_PID=
  if ((status != 0)); then
    ((status == 124)) && echo "run-echo: the load generator timed out after ${limit}s" >&2
    server_failed "$mode"
  fi
  cat "$WORK/loadgen.out"
  local line
  line=$(grep '^RESULT ' "$WORK/loadgen.out" || true)
  field() { sed -n "s/^.* $1=\([0-9.][0-9.]*\).*$/\1/p" <<<"$line"; }
  case $mode in
    pingpong) RATE=$(field msgs_per_s) COUNT=$(field msgs) ;;
    connect) RATE=$(field conns_per_s) COUNT=$(field "done") ;;
    stream) RATE=$(field mb_per_s) COUNT=$(field bytes) ;;
  esac
  CPU=$(field server_cpu_s)
  [[ -n $RATE && -n $COUNT && -n $CPU ]] || die "no complete $mode result for the $SERVER_NAME server"
  kill -0 "$SERVER_PID" 2>/dev/null || die "the $SERVER_NAME server died during $mode"
}

# per UNIT: CPU seconds per COUNT, times UNIT (1e6: µs per item; 1e9 with
# bytes: seconds per GB)
per() { awk -v t="$CPU" -v n="$COUNT" -v u="$1" -v f="$2" 'BEGIN { printf f, (n > 0) ? t * u / n : 0 }'; }
record() { echo "$3" >>"$WORK/$1.$2"; } # record SERVER METRIC VALUE

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"; }
nfds() { local f=(/proc/"$SERVER_PID"/fd/*); echo ${#f[@]}; }

# wait_fds N SECS: until the server holds at least N descriptors
wait_fds() {
  local want=$1 secs=$2 i have=0
  for ((i = 0; i < secs * 10; i++)); do
    kill -0 "$SERVER_PID" 2>/dev/null || die "the $SERVER_NAME server died while accepting"
    have=$(nfds)
    ((have >= want)) && return 0
    sleep 0.1
  done
  die "the $SERVER_NAME server holds $have descriptors after ${secs}s, expected $want: not every connection was accepted"
}

# wait_settled SECS: until the descriptor count stops changing (connections
# closed by the warm-up are gone), at most SECS seconds
wait_settled() {
  local prev=-1 cur i
  for ((i = 0; i < $1 * 10; i++)); do
    cur=$(nfds)
    ((cur == prev)) && return 0
    prev=$cur
    sleep 0.1
  done
}

# idle_conns N LOG: another load generator opening N idle connections, in
# the background; waits for its RESULT line (all connected)
idle_conns() {
  local n=$1 log=$2 i
  ERR_FILE=$log.err
  "${LOADGEN_PIN[@]}" "$BIN/loadgen" idle --host "$HOST" --port "$PORT" --conns "$n" \
    --sources "$SOURCES" --server "$SERVER_NAME" >"$log" 2>"$ERR_FILE" </dev/null &
  IDLE_PIDS+=($!)
  for ((i = 0; i < 1200; i++)); do # 120 s
    grep -qs '^RESULT ' "$log" && return 0 # -s: the shell may not have created it yet
    kill -0 "${IDLE_PIDS[-1]}" 2>/dev/null || server_failed "opening $n idle connections"
    sleep 0.1
  done
  server_failed "opening $n idle connections (timed out)"
}

# The CPU modes, on one server instance.
cpu_modes() {
  local name=$1
  start_server "$name"
  run_load connect --conns "$CC_CONNS" --sources "$SOURCES"
  record "$name" conn_rate "$RATE"
  record "$name" conn_cost "$(per 1e6 %.2f)"
  run_load pingpong --conns "$CONNS"
  record "$name" pp_rate "$RATE"
  record "$name" pp_cost "$(per 1e6 %.2f)"
  pin_server "$LOADGEN_CPU"
  run_load pingpong --conns 1
  pin_server "$SERVER_CPU"
  record "$name" pp1_rate "$RATE"
  record "$name" pp1_cost "$(per 1e6 %.2f)"
  run_load stream
  record "$name" st_rate "$RATE"
  record "$name" st_cost "$(per 1e9 %.3f)"
  stop_server
}

# The memory figures, on a fresh server instance: a short warm-up (the code
# paths of accept, echo and close have run once), then IDLE and HELD idle
# connections, VmRSS read once all are accepted.
mem_modes() {
  local name=$1 fd0 r0 r1 r2
  start_server "$name"
  ERR_FILE=$WORK/loadgen.err
  "${LOADGEN_PIN[@]}" "$BIN/loadgen" connect --host "$HOST" --port "$PORT" --conns 10 \
    --total 200 --server "$name" >"$WORK/loadgen.out" 2>"$WORK/loadgen.err" </dev/null ||
    server_failed "the warm-up"
  wait_settled 3
  sleep "$SETTLE"
  fd0=$(nfds) r0=$(rss_kb)
  idle_conns "$IDLE" "$WORK/idle1.out"
  wait_fds $((fd0 + IDLE)) 60
  sleep "$SETTLE"
  r1=$(rss_kb)
  echo "RSS server=$name conns=$IDLE before_kb=$r0 after_kb=$r1 bytes_per_conn=$(((r1 - r0) * 1024 / IDLE))"
  record "$name" idle_mem $(((r1 - r0) * 1024 / IDLE))
  if ((HELD > 0)); then
    idle_conns $((HELD - IDLE)) "$WORK/idle2.out"
    wait_fds $((fd0 + HELD)) 60
    sleep "$SETTLE"
    r2=$(rss_kb)
    echo "RSS server=$name conns=$HELD before_kb=$r0 after_kb=$r2 bytes_per_conn=$(((r2 - r0) * 1024 / HELD))"
    record "$name" held_mem $(((r2 - r0) * 1024 / HELD))
  fi
  stop_idle || server_failed "holding idle connections"
  kill -0 "$SERVER_PID" 2>/dev/null || die "the $name server died holding idle connections"
  stop_server
}

LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
echo "run-echo: servers: ${SERVER_LIST[*]}; CONNS=$CONNS CC_CONNS=$CC_CONNS DURATION=${DURATION}s" \
  "WARMUP=${WARMUP}s IDLE=$IDLE HELD=$HELD ROUNDS=$ROUNDS PIN=$PIN;" \
  "$(nproc) cores, loadavg $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for ((round = 1; round <= ROUNDS; round++)); do
  for name in "${SERVER_LIST[@]}"; do
    cpu_modes "$name"
    mem_modes "$name"
  done
done

# ---- report ---------------------------------------------------------------
median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
get() { [[ -f $WORK/$1.$2 ]] && median "$WORK/$1.$2" || echo ""; }
ratio() { # ratio A B -> A/B, or n/a
  if [[ -n $1 && -n $2 ]]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; else echo n/a; fi
}
label() { case $1 in lua) echo "lua (net)" ;; node) echo "node (net)" ;; c) echo "c (libuv)" ;; esac; }
fmt() { # fmt VALUE PRINTF-FORMAT -> formatted, or n/a
  if [[ -n $1 ]]; then awk -v v="$1" -v f="$2" 'BEGIN { printf f, v }'; else echo n/a; fi
}

# shown in this order, whatever order they ran in
SHOWN=()
for name in c node lua; do has_server "$name" && SHOWN+=("$name"); done
PAIRS=()
for pair in "node c" "lua c" "lua node"; do
  read -r a b <<<"$pair"
  has_server "$a" && has_server "$b" && PAIRS+=("$pair")
done

# table TITLE then rows of "METRIC FORMAT LABEL"
table() {
  local title=$1
  shift
  echo
  echo "$title"
  printf '%-44s' figure
  for name in "${SHOWN[@]}"; do printf ' %11s' "$(label "$name")"; done
  for pair in "${PAIRS[@]}"; do read -r a b <<<"$pair"; printf ' %9s' "${a}/${b}"; done
  echo
  local row metric format text
  for row in "$@"; do
    read -r metric format text <<<"$row"
    printf '%-44s' "$text"
    for name in "${SHOWN[@]}"; do printf ' %11s' "$(fmt "$(get "$name" "$metric")" "$format")"; done
    for pair in "${PAIRS[@]}"; do
      read -r a b <<<"$pair"
      printf ' %9s' "$(ratio "$(get "$a" "$metric")" "$(get "$b" "$metric")")"
    done
    echo
  done
}

held_row=()
((HELD > 0)) && held_row=("held_mem %.0f RSS bytes/conn, $HELD connections held")
table "Per-connection cost (medians of $ROUNDS round(s); lower is better but for MB/s)" \
  "idle_mem %.0f idle memory, RSS bytes/conn ($IDLE idle)" \
  "conn_cost %.2f CPU us per connect+echo+close" \
  "pp_cost %.2f CPU us/msg, ping-pong $CONNS conns" \
  "pp1_cost %.2f CPU us/msg, 1 conn, same CPU" \
  "st_rate %.1f stream MB/s, 1 conn" \
  "${held_row[@]}"

table "Throughput (higher is better; the load generator shares the machine)" \
  "conn_rate %.0f connections/s ($CC_CONNS at a time)" \
  "pp_rate %.0f ping-pong msg/s, $CONNS conns" \
  "pp1_rate %.0f ping-pong msg/s, 1 conn, same CPU" \
  "st_rate %.1f stream MB/s, 1 conn"

table "Server CPU time (lower is better: what each unit of work costs the server)" \
  "conn_cost %.2f us per connection" \
  "pp_cost %.2f us/msg, $CONNS conns" \
  "pp1_cost %.2f us/msg, 1 conn, same CPU" \
  "st_cost %.3f s/GB, stream"

# Other processes on the machine take CPU from the server and break up
# its batches of events: CPU per unit rises for every server, unevenly.
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)
echo
echo "load average (1 min): $LOAD_BEFORE before, $LOAD_AFTER after; $(nproc) cores"
if awk -v a="$LOAD_BEFORE" -v b="$LOAD_AFTER" -v n="$(nproc)" 'BEGIN { exit !(a > n || b > n + 1) }'; then
  echo "warning: other processes competed for the CPUs: the CPU figures and throughput are noisy;"
  echo "         re-run on an idle machine before comparing them (memory figures are not affected)"
fi
if has_server lua && ! has_server node; then echo "Lua/Node: n/a (node not in SERVERS)"; fi
if has_server lua && ! has_server c; then echo "Lua/C: n/a (c not in SERVERS)"; fi
if ! has_server lua; then echo "Lua/Node, Lua/C: n/a (lua not in SERVERS)"; fi
