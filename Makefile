# Developer shortcuts; the quick start needs no make (see README.md).
.PHONY: all example test asan valgrind bench bench-profile bench-instructions bench-lines fuzz lint rock clean

all:
	bash tools/setup.sh

example:
	./run-example.sh

test:
	./run-tests.sh

asan:
	SANITIZE=asan ./run-tests.sh

valgrind:
	SANITIZE=valgrind ./run-tests.sh

# the echo servers compared (bench/README.md); make bench ROUNDS=3
ROUNDS ?= 1
bench:
	BUILD_DIR=$(CURDIR)/build-release BUILD_TYPE=Release bash tools/setup.sh
	BUILD_DIR=$(CURDIR)/build-release ROUNDS=$(ROUNDS) bench/run-echo.sh

# where a connection's bytes and microseconds go in the Lua server
# (needs perf: apt-get install linux-perf; PERF=0 without the profiles)
bench-profile:
	BUILD_DIR=$(CURDIR)/build-release BUILD_TYPE=Release bash tools/setup.sh
	BUILD_DIR=$(CURDIR)/build-release bench/profile-conn.sh

# user-space instructions per connection and per message (callgrind), Lua
# and C servers: the figures that move ~1% between runs on a shared machine
bench-instructions:
	BUILD_DIR=$(CURDIR)/build-release BUILD_TYPE=Release bash tools/setup.sh
	BUILD_DIR=$(CURDIR)/build-release bench/count-instructions.sh

# the line protocol three ways: net.promises, 'data' events, Node (bench/README.md)
bench-lines:
	BUILD_DIR=$(CURDIR)/build-release BUILD_TYPE=Release bash tools/setup.sh
	BUILD_DIR=$(CURDIR)/build-release bench/run-lines.sh

# the address parsers under libFuzzer (clang-14); make fuzz TIME=600
TIME ?= 60
fuzz:
	$(MAKE) -C fuzz run TIME=$(TIME)

lint:
	luacheck lua spec examples bench tools

# the binary rock net-0.1.0-1.<arch>.rock, offline; tools/ci-rock.sh also
# installs it into a temporary tree and runs an echo from it
rock:
	rm -rf build.luarocks
	luarocks --lua-version=5.4 make --pack-binary-rock net-0.1.0-1.rockspec

clean:
	rm -rf build build-asan build-debug build-release build.luarocks bench/bin fuzz/bin fuzz/corpus-run net-*.rock
