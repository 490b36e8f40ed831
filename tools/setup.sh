#!/usr/bin/env bash
# Installs what the project needs on Debian 12 (only what is missing; as
# root, or with sudo), then builds the C core into $BUILD_DIR (default
# build/). Sourced by run-example.sh and run-tests.sh; safe to run often.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
# the build, the test runner, and what some specs use as a peer process's
# tools (LuaSocket and LuaFileSystem for inherited fds, iproute2's ss), and
# luv, which the specs run on the same loop as net
PACKAGES=(lua5.4 liblua5.4-dev libuv1-dev lua-busted cmake make gcc pkg-config
          lua-socket lua-filesystem iproute2 lua-luv)

missing=()
for p in "${PACKAGES[@]}" ${EXTRA_PACKAGES:-}; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# the project's own builds treat warnings as errors (a user's luarocks
# build does not: NET_WERROR is off by default)
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" -DNET_WERROR=ON ${CMAKE_FLAGS:-} >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" >/dev/null

export LUA_PATH="$ROOT/lua/?.lua;$ROOT/lua/?/init.lua;$ROOT/?.lua;;"
export LUA_CPATH="$BUILD_DIR/?.so;;"
