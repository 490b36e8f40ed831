#!/usr/bin/env bash
# Quick start, part 1: set up, build, and run the echo example end to end
# (a server and a client in one process; exits 0 when every echo matched).
set -euo pipefail
cd "$(dirname "$0")"
source tools/setup.sh
exec lua5.4 examples/echo.lua "$@"
