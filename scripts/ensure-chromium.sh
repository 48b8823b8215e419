#!/bin/sh
# Prints the path of a headless Chromium for the report's browser test
# (test/report/report-browser.test.ts), installing Debian's `chromium` package when there is none.
# apt-get runs under `flock /tmp/tkf-apt.lock`, so test runs and other scripts on the machine
# never run apt at the same time (dpkg's own lock would fail the second one instead of waiting).
# As root it calls apt-get directly, otherwise through `sudo -n` (never a password prompt).
# Exit 1, with the reason on stderr, when Chromium is missing and cannot be installed.
set -eu

find_chromium() {
  for name in chromium chromium-browser; do
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
  done
  return 1
}

if find_chromium; then exit 0; fi

if [ "$(id -u)" -eq 0 ]; then as_root=""
elif command -v sudo >/dev/null 2>&1; then as_root="sudo -n"
else echo "ensure-chromium: chromium is not installed and this user cannot install it (not root, no sudo): apt-get install chromium" >&2; exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: chromium is not installed and there is no apt-get here; install Chromium and put it on PATH" >&2
  exit 1
fi

echo "ensure-chromium: installing chromium (apt-get, under /tmp/tkf-apt.lock)..." >&2
# Checked again under the lock: another run may have installed it while this one waited.
flock /tmp/tkf-apt.lock sh -c "command -v chromium >/dev/null 2>&1 || { $as_root apt-get update && DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y chromium; }" >&2
find_chromium || { echo "ensure-chromium: apt-get finished but no chromium is on PATH" >&2; exit 1; }
