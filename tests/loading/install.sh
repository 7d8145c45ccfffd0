#!/bin/sh
# install.sh — on Debian, installs the hosts that tests/sql/test_loading.py runs the README's "Loading it"
# snippets in, leaving alone what is there: apsw for Python, RSQLite for R, Go with mattn/go-sqlite3
# (Debian's packages, used in GOPATH mode), and better-sqlite3 for Node, from npm into build/node.
#   sh tests/loading/install.sh        (as root, or with sudo; from anywhere in the repository)
# better-sqlite3 compiles a native addon (python3, make, g++) against Node's own headers; version 12 runs on
# Node 20 to 26, 13 needs Node 22, so Node older than 20 gets nothing and the test says node is missing.
# Datasette is not in Debian: pip install datasette where PyPI is reachable.
cd "$(dirname "$0")/../.." || exit 2

pkgs="python3-apsw r-cran-rsqlite golang-go golang-github-mattn-go-sqlite3-dev python3 make g++"
missing=""
for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo=sudo; fi
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null || exit 1
fi

addon=build/node/node_modules/better-sqlite3/build/Release/better_sqlite3.node
[ -e "$addon" ] && exit 0
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
if [ -z "$major" ] || [ "$major" -lt 20 ] || ! command -v npm >/dev/null; then
  echo "install.sh: better-sqlite3 needs Node 20 or newer with npm (node: ${major:-none}): not installed"
  exit 0
fi
echo "installing: better-sqlite3@12 into build/node (compiles a native addon)"
mkdir -p build/node
npm install --prefix build/node --no-audit --no-fund better-sqlite3@12 >build/node/install.log 2>&1 \
  || { tail -20 build/node/install.log; echo "install.sh: npm install failed (log: build/node/install.log)"; exit 1; }
