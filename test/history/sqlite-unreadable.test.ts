/**
 * A SQLite history file the reader may not read (another user's, mode 0600; here 000): the
 * commands that only read say "permission denied", not libsql's "Unable to open connection ...:
 * 14" behind a hint about directories and writing. Root reads any file: the test runs as another
 * user only (checked by hand as nobody: tkf history --db good.sqlite, exit 11).
 */
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openHistory } from '../../src/history/open-history.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { runCli } from './run-cli.js';

const dir = useTempDir('tkf-sqlite-unreadable-');

describe('a SQLite history file this user may not read', () => {
  it.skipIf(process.getuid?.() === 0)('tkf history --db says permission denied (exit 11), without the driver text or a hint about writing', async () => {
    const db = join(dir.path, 'good.sqlite');
    await (await openHistory(db)).close();
    await chmod(db, 0o000);
    const run = await runCli(['history', '--db', db]);
    expect([run.code, run.stderr]).toEqual([11, `tkf: cannot open the history database ${db}: permission denied (EACCES): this user may not read it\n`]);
  });
});
