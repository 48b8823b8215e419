/**
 * The command line that resumes an interrupted export: the one the user ran, with --resume added,
 * --force dropped (a resume must not start over), and the value of --token replaced by a
 * placeholder, since the token must never be printed.
 */
const SAFE = /^[A-Za-z0-9_./:=@%+,-]+$/;

function quote(arg: string): string {
  return SAFE.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function resumeCommand(argv: string[]): string {
  const args = argv.slice(2);
  const out: string[] = ['tkf'];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--force' || arg === '--resume') continue;
    if (arg === '--token') {
      out.push('--token', '"$TKF_TOKEN"');
      i++;
      continue;
    }
    if (arg.startsWith('--token=')) {
      out.push('--token', '"$TKF_TOKEN"');
      continue;
    }
    out.push(quote(arg));
  }
  out.push('--resume');
  return out.join(' ');
}
