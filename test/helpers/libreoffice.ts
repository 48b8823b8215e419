/**
 * LibreOffice for the read-back tests: `soffice` from PATH, installed from Debian's
 * libreoffice-calc-nogui when missing and this user may (root with apt-get). The install runs under
 * `flock /tmp/tkf-apt.lock`, so test files, Node versions and other checkouts on the machine
 * wait for one another instead of running apt at once.
 */
import { execFileSync, spawnSync } from 'node:child_process';

const which = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim() || undefined;

const INSTALL =
  'command -v soffice >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui)';

/** The path of soffice, or why there is none. */
export function findSoffice(): { path: string } | { missing: string } {
  const found = which('soffice');
  if (found) return { path: found };
  if (process.getuid?.() !== 0 || !which('apt-get') || !which('flock')) {
    return { missing: 'soffice is not installed (apt-get install libreoffice-calc-nogui as root to run this test)' };
  }
  execFileSync('flock', ['/tmp/tkf-apt.lock', 'sh', '-c', INSTALL], { stdio: 'inherit', timeout: 20 * 60_000 });
  const installed = which('soffice');
  return installed ? { path: installed } : { missing: 'libreoffice-calc-nogui installed, but no soffice on PATH' };
}
