#!/usr/bin/env bash
# CI: packs the binary rock the way a user would (luarocks make
# --pack-binary-rock), installs it into a fresh temporary tree, and from
# another directory, with LUA_PATH/LUA_CPATH naming only that tree, checks
# that the rock is complete (every module, the C core, the type definitions)
# and that a loopback echo works. Removes the tree, the rock and the
# build.luarocks/ directory afterwards. Works offline: no rocks server is
# ever asked (the only dependency, lua, is the interpreter itself).
#   tools/ci-rock.sh [ROCKSPEC]     (default net-0.1.0-1.rockspec)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
ROCKSPEC=${1:-net-0.1.0-1.rockspec}

# what the build and luarocks need, installed when missing (as tools/setup.sh)
PACKAGES=(lua5.4 liblua5.4-dev libuv1-dev cmake make gcc pkg-config luarocks unzip)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "ci-rock: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

WORK=$(mktemp -d /tmp/net-ci-rock.XXXXXX)
TREE=$WORK/tree
cleanup() { rm -rf "$WORK" "$ROOT/build.luarocks"; }
trap cleanup EXIT
# The only server LuaRocks may use is an empty directory: a dependency that
# is not already satisfied fails at once instead of being downloaded (or
# waiting for a connection timeout on a machine without network).
NO_SERVER=$WORK/no-server
mkdir -p "$NO_SERVER"
LR=(luarocks --lua-version=5.4 --only-server="$NO_SERVER")

# pack: a fresh CMake build (no cache left from another configuration)
rm -rf build.luarocks
"${LR[@]}" make --pack-binary-rock "$ROCKSPEC" >"$WORK/pack.log" 2>&1 || {
  cat "$WORK/pack.log" >&2; echo "ci-rock: FAILED to pack $ROCKSPEC" >&2; exit 1; }
NAME=$(basename "$ROCKSPEC" .rockspec)
shopt -s nullglob
rocks=("$NAME".*.rock)
shopt -u nullglob
if [ ${#rocks[@]} -ne 1 ]; then
  echo "ci-rock: expected one $NAME.*.rock, found: ${rocks[*]:-none}" >&2; exit 1
fi
mv "${rocks[0]}" "$WORK/"
ROCK=$WORK/${rocks[0]}
case "$ROCK" in
  *.all.rock) echo "ci-rock: $ROCK is arch-independent: the C core is missing" >&2; exit 1 ;;
esac
echo "ci-rock: packed ${rocks[0]} ($(unzip -Z1 "$ROCK" | grep -vc '/$') files)"

# install into a tree of its own
"${LR[@]}" --tree="$TREE" install "$ROCK" >"$WORK/install.log" 2>&1 || {
  cat "$WORK/install.log" >&2; echo "ci-rock: FAILED to install ${rocks[0]}" >&2; exit 1; }

# every file the sources have must be in the tree (the rockspec lists them)
LUADIR=$TREE/share/lua/5.4
LIBDIR=$TREE/lib/lua/5.4
absent=()
for f in lua/net/*.lua; do [ -f "$LUADIR/net/${f#lua/net/}" ] || absent+=("$f"); done
while IFS= read -r f; do
  [ -f "$LUADIR/net/types/${f#types/}" ] || absent+=("$f")
done < <(find types -name '*.lua' | sort)
[ -f "$LIBDIR/net/core.so" ] || absent+=("net/core.so")
if [ ${#absent[@]} -gt 0 ]; then
  echo "ci-rock: the installed rock lacks: ${absent[*]} (add them to build.install in the rockspecs)" >&2
  exit 1
fi

# the tree's own entries of `luarocks path`, and nothing else (no ';;': no
# default path either, so nothing from the source tree or /usr can be found)
only_tree() { tr ';' '\n' | grep -F "$TREE/" | paste -sd';'; }
LUA_PATH=$("${LR[@]}" --tree="$TREE" path --lr-path | only_tree)
LUA_CPATH=$("${LR[@]}" --tree="$TREE" path --lr-cpath | only_tree)
export LUA_PATH LUA_CPATH
unset LUA_PATH_5_4 LUA_CPATH_5_4 LUA_INIT LUA_INIT_5_4

SMOKE=$(cat <<'EOF'
local tree = os.getenv('NET_CI_TREE')
local net = require('net')
local timers = require('net.timers')
-- the modules came from the tree, not from anywhere else
for _, found in ipairs({ package.searchpath('net', package.path),
                         package.searchpath('net.core', package.cpath) }) do
  assert(found:sub(1, #tree + 1) == tree .. '/', 'loaded from outside the tree: ' .. found)
end
local payload = string.rep('net rock ', 10000)
local echoed, failure = {}, nil
local server = net.createServer(function(sock) sock:pipe(sock) end)
server:on('error', function(err) failure = 'server: ' .. tostring(err) end)
server:listen(0, '127.0.0.1', function()
  local client = net.connect(server:address().port, '127.0.0.1')
  client:on('connect', function() client:end_(payload) end)
  client:on('data', function(chunk) echoed[#echoed + 1] = chunk end)
  client:on('error', function(err) failure = 'client: ' .. tostring(err) end)
  client:on('close', function() server:close() end)
end)
local deadline = timers.setTimeout(function()
  io.stderr:write('echo FAILED: timed out\n')
  os.exit(1)
end, 10000)
deadline:unref()
net.run()
local got = table.concat(echoed)
if failure or got ~= payload then
  io.stderr:write(string.format('echo FAILED: %s (%d of %d bytes back)\n',
    failure or 'wrong bytes', #got, #payload))
  os.exit(1)
end
print(string.format('ci-rock: echo of %d bytes over loopback from the installed rock: ok', #got))
EOF
)
(cd "$WORK" && NET_CI_TREE=$TREE lua5.4 -e "$SMOKE")
echo "ci-rock: ${rocks[0]} packs, installs and runs"
