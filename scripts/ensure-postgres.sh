#!/usr/bin/env bash
# Prints the directory of PostgreSQL's server programs (initdb, pg_ctl), installing Debian's
# `postgresql` package (and `sqlite3`, and `openssl` for the test server's certificate) first when
# they are missing. The history tests start their own server from
# there (test/helpers/postgres-server.ts); nothing depends on a server started by hand.
# Installing needs root (apt-get); several test workers may ask at once, so apt runs under a lock.
set -euo pipefail

find_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

# The tests also run the sqlite3 CLI (pragma integrity_check, the README's queries), and make the
# test server a self-signed certificate with openssl (postgresql depends on it through ssl-cert).
if ! find_bin >/dev/null || ! command -v sqlite3 >/dev/null || ! command -v openssl >/dev/null; then
  echo "ensure-postgres: installing postgresql, sqlite3 and openssl (apt-get)" >&2
  # Inside the lock, check again: another test worker may have installed them meanwhile.
  flock /tmp/tkf-apt.lock bash -c '
    if ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && command -v sqlite3 >/dev/null && command -v openssl >/dev/null; then exit 0; fi
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql sqlite3 openssl' >&2
fi
find_bin || { echo "ensure-postgres: no pg_ctl under /usr/lib/postgresql/*/bin after installing postgresql" >&2; exit 1; }
