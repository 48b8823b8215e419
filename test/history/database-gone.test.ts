/**
 * A SQLite history file deleted (or replaced) under a running batch: SQLite goes on writing its
 * unlinked inode, and every snapshot recorded after it would be lost with exit 0 (6 of 6
 * "complete" and none recorded, tried). tkf checks the file at each transaction (sqlite-driver.ts
 * stillThere): the run stops (exit 11, as for a database gone down); --resume then refuses the
 * walks whose staging files were emptied into the lost file (their rows are gone) instead of
 * recording snapshots of 0 followers, and the same command without --resume walks them again.
 * The built CLI (bin/tkf.js), so that the recording thread is the one tried.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/simulator/index.js';
import { runTkf } from '../e2e/run-tkf.js';
import { startUidGate, watchStderr } from '../helpers/request-gate.js';
import { useClosers } from '../helpers/closers.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { runCli } from './run-cli.js';

const dir = useTempDir('tkf-history-gone-');
const closeLater = useClosers();
const TOKEN = 'tkn-DB-GONE';

describe('a SQLite history file deleted under a batch', () => {
  it('stops the run (exit 11) instead of recording into the lost file; --resume walks again what was recorded into it (never a walk of 0 followers)', async () => {
    const uids = Array.from({ length: 5 }, (_, i) => String(6754915036232582300n + BigInt(i)));
    const sim = await startSimulator({ token: TOKEN, users: Object.fromEntries(uids.map((uid) => [uid, { size: 40 }])) });
    closeLater(() => sim.close());
    const db = join(dir.path, 'h.sqlite');
    await writeFile(join(dir.path, 'uids.txt'), `${uids.join('\n')}\n`);
    // The first account completes and is recorded; the second's first request waits until tkf
    // has said so and the file is deleted; the third's until tkf has said the second failed.
    let deleted: Promise<void> | undefined;
    let firstSaid!: () => void;
    const firstDone = new Promise<void>((resolve) => (firstSaid = resolve));
    let secondSaid!: () => void;
    const secondFailed = new Promise<void>((resolve) => (secondSaid = resolve));
    const gate = await startUidGate(sim.url, (uid) => {
      if (uid === uids[1]) return (deleted ??= firstDone.then(() => rm(db)));
      if (uid !== uids[0]) return secondFailed;
      return undefined;
    });
    closeLater(() => gate.close());
    const env = { TKF_TOKEN: TOKEN, TKF_BASE_URL: gate.url };
    const args = ['export', '--uids-file', 'uids.txt', '--db', db, '--concurrency', '1', '--json'];
    const stopped = await runTkf(args, {
      env,
      cwd: dir.path,
      timeoutMs: 120_000,
      onSpawn: (child) =>
        watchStderr(child, [
          [`${uids[0]}: exported 40 followers`, firstSaid],
          [`${uids[1]}: failed (exit 11)`, secondSaid],
        ]),
    });
    expect(stopped.code, stopped.stderr).toBe(11);
    expect(stopped.stderr).toContain(`tkf: the run stopped: the history database ${db} was deleted or moved while tkf was writing it: what this run recorded went with that file; run the same command with --resume to go on`);
    expect((JSON.parse(stopped.stdout) as { totals: Record<string, number> }).totals).toMatchObject({ complete: 1, failed: 1, stopped: 1, not_started: 2 });
    expect(sim.stats.byUid[uids[3]!]).toBeUndefined();

    // The stop line counts the rows of finished files: the first account's and the second's
    // (its walk ended and its staging file is whole; only its recording failed).
    expect((JSON.parse(stopped.stdout) as { totals: Record<string, number> }).totals.rows).toBe(80);
    expect(stopped.stderr).toContain('; 80 followers written; ');

    // --resume into the new file: the first walk's staging file was emptied into the lost one,
    // so it is walked again (not recorded as 0 followers, nor refused); the second's staging file
    // is recorded, the third's walk goes on from its checkpoint, the last two are walked.
    const requestsBefore = sim.stats.byUid[uids[0]!]!;
    const resumed = await runTkf([...args, '--resume'], { env, cwd: dir.path, timeoutMs: 120_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`tkf: ${uids[0]}: its last walk was recorded into a history database that no longer holds it (deleted or replaced since?), so it was walked again: exported 40 followers; `);
    expect(resumed.stderr).toContain(`tkf: ${uids[1]}: the last walk of ${uids[1]} was complete and not yet recorded: recorded now (40 followers)`);
    expect(sim.stats.byUid[uids[0]!]!).toBeGreaterThan(requestsBefore);
    const summary = JSON.parse(resumed.stdout) as { users: Array<{ uid: string; walked_again?: boolean; rows: number }> };
    expect(summary.users.filter((u) => u.walked_again).map((u) => [u.uid, u.rows])).toEqual([[uids[0], 40]]);
    const growth = async (uid: string) => JSON.parse((await runCli(['history', 'growth', '--db', db, '--uid', uid, '--json'])).stdout || '[]') as Array<{ served: number }>;
    for (const uid of uids) expect((await growth(uid)).map((p) => p.served)).toEqual([40]);
    // Without --resume: a new walk of every account, each a snapshot of its 40 followers.
    const again = await runTkf(args, { env, cwd: dir.path, timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    for (const uid of uids) expect((await growth(uid)).map((p) => p.served)).toEqual([40, 40]);
  });
});
