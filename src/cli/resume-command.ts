/**
 * The command line that resumes an interrupted export: the one the user ran, with --resume added
 * and --force dropped (a resume must not start over). It must work when pasted:
 *
 * - the program is named as it was run: `tkf` when installed, else `node /path/to/bin/tkf.js`;
 * - the token is never printed, so a `--token <token>` is left out: the resumed run reads
 *   TKF_TOKEN, and when that is not set the hint says so (`--token "$TKF_TOKEN"` with TKF_TOKEN
 *   unset would pass an empty token and fail);
 * - `--token-file -` reads stdin again, which the hint says too;
 * - `{date}` in --out is the date this run filled in (`date`): the same command after midnight
 *   named another day's files and started every account again, paying for its pages twice;
 * - a password in a `--db postgres://user:password@...` URL (or its query's) is never printed
 *   either: the hint names the URL without it, and says to set PGPASSWORD (which the PostgreSQL
 *   client reads) when it is not set (the URL with `***` for it, as printed before, failed when
 *   pasted).
 */
import { basename } from 'node:path';
import { isPostgresUrl } from '../history/open-history.js';
import { withoutPasswords } from '../history/postgres-driver.js';

const SAFE = /^[A-Za-z0-9_./:=@%+,-]+$/;

function quote(arg: string): string {
  return SAFE.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function resumeCommand(argv: string[], env: NodeJS.ProcessEnv = {}, date?: string): string {
  const script = argv[1] ?? 'tkf';
  const out: string[] = basename(script) === 'tkf' ? ['tkf'] : ['node', quote(script)];
  let tokenDropped = false;
  let tokenFromStdin = false;
  let passwordDropped = false;
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--force' || arg === '--resume') continue;
    if (arg === '--token' || arg.startsWith('--token=')) {
      if (arg === '--token') i++;
      tokenDropped = true;
      continue;
    }
    if ((arg === '--token-file' && args[i + 1] === '-') || arg === '--token-file=-') tokenFromStdin = true;
    if (arg === '--db' || arg.startsWith('--db=')) {
      const given = arg === '--db' ? args[++i] : arg.slice('--db='.length);
      const url = given !== undefined && isPostgresUrl(given) ? withoutPasswords(given) : given;
      if (url !== undefined && url !== given) passwordDropped = true;
      out.push('--db');
      if (url !== undefined) out.push(quote(url));
      continue;
    }
    if (date !== undefined && (arg === '--out' || arg.startsWith('--out=')) && (arg === '--out' ? args[i + 1] : arg)?.includes('{date}')) {
      if (arg === '--out') out.push('--out', quote(args[++i]!.replaceAll('{date}', date)));
      else out.push(quote(arg.replaceAll('{date}', date)));
      continue;
    }
    out.push(quote(arg));
  }
  out.push('--resume');
  const command = out.join(' ');
  const notes: string[] = [];
  if (tokenDropped && !env.TKF_TOKEN) notes.push('set TKF_TOKEN first: the token given with --token is never printed');
  else if (tokenFromStdin) notes.push('with the token on stdin again');
  if (passwordDropped && !env.PGPASSWORD) notes.push("set PGPASSWORD first: --db's password is never printed");
  return notes.length ? `${command} (${notes.join('; ')})` : command;
}
