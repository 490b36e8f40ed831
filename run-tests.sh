#!/usr/bin/env bash
# Quick start, part 2: set up, build, and run the whole test suite.
# Ends with the line "N passed, N failed"; exits non-zero on any failure.
# SANITIZE=asan runs it against an AddressSanitizer/UBSan build, and
# SANITIZE=valgrind under valgrind's memcheck.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
RUNNER=(lua5.4)
case "${SANITIZE:-}" in
  asan)
    export BUILD_DIR="$ROOT/build-asan" CMAKE_FLAGS="-DNET_SANITIZE=ON" BUILD_TYPE=Debug
    source tools/setup.sh
    # lua5.4 itself is not instrumented: preload the runtime
    # (and the module itself, so that its frames stay symbolized after
    # lua_close unloads it)
    export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so) $BUILD_DIR/net/core.so"
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:exitcode=86"
    export LSAN_OPTIONS="suppressions=$ROOT/tools/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    export NET_SPEC_SCALE=3
    ;;
  valgrind)
    export BUILD_DIR="$ROOT/build-debug" EXTRA_PACKAGES=valgrind BUILD_TYPE=Debug
    source tools/setup.sh
    RUNNER=(valgrind -q --error-exitcode=86 --leak-check=full --errors-for-leak-kinds=definite
            --show-leak-kinds=definite --track-fds=no lua5.4)
    # keep the module (and libuv with it) mapped after lua_close, so what
    # libuv's default loop still holds stays reachable and frames symbolized
    export LD_PRELOAD="$BUILD_DIR/net/core.so"
    export NET_SPEC_SCALE=10
    ;;
  "") source tools/setup.sh ;;
  *) echo "SANITIZE must be asan or valgrind" >&2; exit 2 ;;
esac
# specs open thousands of connections at once: lift the fd limit
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec "${RUNNER[@]}" tools/busted-summary.lua "$@"
