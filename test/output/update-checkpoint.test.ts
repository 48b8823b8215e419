/**
 * An --update whose own walk is cut short (issue 21.1): the budget (or a signal, or a failure)
 * stops it after some pages, and the same cron line run the next night goes on from its
 * checkpoint instead of starting the update again from the top; a nightly budget smaller than
 * the update's pages still gets there. <out> is untouched until the update completes.
 */
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { startSimulator, type Faults, type Simulator, type UserScenario } from '../../src/simulator/index.js';
import { withTempDir } from '../e2e/run-tkf.js';
import { expectedJsonl } from '../helpers/followers.js';
import { runTkfInProcess } from '../helpers/run-cli.js';

const TOKEN = 'tkn-UPDATE-ch3ckp0int';
const UID = '6300000000000000007';
const grown: UserScenario = { size: 400 };

async function withSimulator<T>(scenario: UserScenario, run: (sim: Simulator) => Promise<T>, faults?: Faults): Promise<T> {
  const sim = await startSimulator({ token: TOKEN, users: { [UID]: scenario }, ...(faults ? { faults } : {}) });
  try {
    return await run(sim);
  } finally {
    await sim.close();
  }
}

const env = (sim: Simulator) => ({ TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url });

/** A finished export of the 100 oldest followers (the 300 newest have not followed yet). */
async function exportOld(out: string): Promise<Buffer> {
  await withSimulator({ ...grown, notYetFollowed: 300, total: 100 }, async (sim) => {
    const first = await runTkfInProcess(['export', '--uid', UID, '--out', out], { env: env(sim) });
    expect(first.code, first.stderr).toBe(0);
  });
  return readFile(out);
}

describe('--update stopped by --max-requests', () => {
  it('goes on from its checkpoint night after night, and finishes with every new follower once', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.jsonl');
      const before = await exportOld(out);
      // 300 new followers are 15 pages, and one more reaches the file; 5 requests a night.
      const line = ['export', '--uid', UID, '--out', out, '--update', '--max-requests', '5', '--json'];
      await withSimulator(grown, async (sim) => {
        const stops: number[] = [];
        let last;
        for (let night = 1; night <= 8; night++) {
          last = await runTkfInProcess(line, { env: env(sim) });
          if (last.code === 0) break;
          expect(last.code, last.stderr).toBe(8);
          // The file is as it was, and --json says what it holds.
          expect(JSON.parse(last.stdout)).toMatchObject({ exit_code: 8, complete: false, rows: 100 });
          expect(await readFile(out)).toEqual(before);
          expect(last.stderr).toMatch(/resume with: .*--update/);
          if (night > 1) expect(last.stderr).toMatch(/resuming the update of .* \(\d+ new followers so far\)/);
          stops.push(night);
        }
        expect(last!.code, last!.stderr).toBe(0);
        // Without a checkpoint every night would fetch the same 5 pages and never finish; with it,
        // 16 pages (and one re-entry a resumed night) take 4 or 5 nights.
        expect(stops.length).toBeGreaterThanOrEqual(3);
        expect(stops.length).toBeLessThanOrEqual(4);
        expect(JSON.parse(last!.stdout)).toMatchObject({ exit_code: 0, complete: true, rows: 400, added: 300 });
        expect(last!.stderr).toMatch(/added 300 new followers on top of 100/);
      });
      expect(await readFile(out, 'utf8')).toBe(expectedJsonl(UID, grown, 0, 400));
      expect((await readdir(dir)).sort()).toEqual(['f.jsonl', 'f.jsonl.tkf.json']);
    });
  });

  it('is finished by --resume too, never published as an export of only the new rows', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.csv');
      await withSimulator({ ...grown, notYetFollowed: 300, total: 100 }, async (sim) => {
        expect((await runTkfInProcess(['export', '--uid', UID, '--out', out], { env: env(sim) })).code).toBe(0);
      });
      await withSimulator(grown, async (sim) => {
        const stopped = await runTkfInProcess(['export', '--uid', UID, '--out', out, '--update', '--max-requests', '4'], { env: env(sim) });
        expect(stopped.code, stopped.stderr).toBe(8);
        const resumed = await runTkfInProcess(['export', '--uid', UID, '--out', out, '--resume'], { env: env(sim) });
        expect(resumed.code, resumed.stderr).toBe(0);
        expect(resumed.stderr).toMatch(/added 300 new followers on top of 100/);
      });
      const records = parse(await readFile(out, 'utf8'), { columns: true }) as Array<Record<string, string>>;
      expect(records).toHaveLength(400);
      expect(new Set(records.map((record) => record.uid)).size).toBe(400);
    });
  });

  it('a failure after some pages keeps them and says the next step; the file is unchanged', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.jsonl');
      const before = await exportOld(out);
      // The API answers 3 pages, then a 500 (and no retry is allowed).
      await withSimulator(grown, async (sim) => {
        const failed = await runTkfInProcess(['export', '--uid', UID, '--out', out, '--update', '--retries', '0', '--json'], { env: env(sim) });
        expect(failed.code, failed.stderr).not.toBe(0);
        expect(JSON.parse(failed.stdout)).toMatchObject({ complete: false, rows: 100 });
        expect(failed.stderr).toMatch(/the file is unchanged and the \d+ new followers found so far are saved: run the same command to go on/);
      }, { schedule: { 4: '500' } });
      expect(await readFile(out)).toEqual(before);
      await withSimulator(grown, async (sim) => {
        const again = await runTkfInProcess(['export', '--uid', UID, '--out', out, '--update'], { env: env(sim) });
        expect(again.code, again.stderr).toBe(0);
        expect(again.stderr).toMatch(/resuming the update/);
      });
      expect(await readFile(out, 'utf8')).toBe(expectedJsonl(UID, grown, 0, 400));
    });
  });

  it('an update the depth cap cuts off above the file leaves no checkpoint to go on from', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.jsonl');
      const before = await exportOld(out);
      await withSimulator({ ...grown, cap: 200 }, async (sim) => {
        const update = await runTkfInProcess(['export', '--uid', UID, '--out', out, '--update', '--json'], { env: env(sim) });
        expect(update.code).toBe(6);
      });
      expect(await readFile(out)).toEqual(before);
      expect((await readdir(dir)).sort()).toEqual(['f.jsonl', 'f.jsonl.tkf.json']);
    });
  });
});

describe('--update stopped, its part file deleted since', () => {
  it('starts the update again from the top (its pages only, <out> was never touched), not a full export', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.jsonl');
      const before = await exportOld(out);
      await withSimulator(grown, async (sim) => {
        const stopped = await runTkfInProcess(['export', '--uid', UID, '--out', out, '--update', '--max-requests', '5'], { env: env(sim) });
        expect(stopped.code, stopped.stderr).toBe(8);
        await rm(`${out}.part`);
        const again = await runTkfInProcess(['export', '--uid', UID, '--out', out, '--update', '--json'], { env: env(sim) });
        expect(again.code, again.stderr).toBe(0);
        expect(JSON.parse(again.stdout)).toMatchObject({ rows: 400, added: 300 });
        // 5, then the update's 16 pages again: no export of the whole list.
        expect(sim.stats.requests).toBe(5 + 16);
      });
      const text = await readFile(out, 'utf8');
      expect(text.endsWith(before.toString('utf8'))).toBe(true);
      expect(text).toBe(expectedJsonl(UID, grown, 0, 400));
    });
  });
});

describe('--update stopped between publishing the file and writing its manifest (kill -9)', () => {
  it('the next --update (or --resume) writes the manifest the stopped one would have, then goes on; nothing is refused or paid for again', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.csv');
      await exportOld(out);
      const built = await readFile(`${out}.tkf.json`, 'utf8');
      // The history knows the file as it was: its 100 followers.
      const db = join(dir, 'h.sqlite');
      expect((await runTkfInProcess(['history', 'import', '--db', db, out])).code).toBe(0);
      await withSimulator(grown, async (sim) => {
        const update = await runTkfInProcess(['export', '--uid', UID, '--out', out, '--update'], { env: env(sim) });
        expect(update.code, update.stderr).toBe(0);
      });
      // What a kill -9 right after the rename leaves: <out> published (the 300 new rows over the
      // 100 old ones), the manifest it built on, the update's last checkpoint, which lags the walk
      // (written every few seconds: here after its first page, 20 new rows), and a lock whose
      // process is gone.
      const finished = JSON.parse(await readFile(`${out}.tkf.json`, 'utf8')) as Record<string, unknown> & { bytes: number };
      const old = JSON.parse(built) as { rows: number; bytes: number };
      const header = Buffer.byteLength(`${(await readFile(out, 'utf8')).split('\n')[0]}\n`);
      const { updateAdded: _added, ...walked } = finished;
      const published = await readFile(out);
      for (const flag of ['--update', '--resume']) {
        const lagging = { ...walked, cursor: 1631063732, end: null, rows: old.rows + 20, bytes: header + 20 * 350, requests: 1, update: { rows: old.rows, bytes: old.bytes } };
        await writeFile(`${out}.part.json`, JSON.stringify(lagging));
        await writeFile(`${out}.part.uids`, '');
        await writeFile(`${out}.tkf.json`, built);
        await writeFile(`${out}.lock`, JSON.stringify({ pid: 2 ** 22 + 17, host: hostname(), started: new Date(0).toISOString() }));
        await withSimulator(grown, async (sim) => {
          const again = await runTkfInProcess(['export', '--uid', UID, '--out', out, flag, '--json', ...(flag === '--update' ? ['--db', db] : [])], { env: env(sim) });
          expect([flag, again.code], again.stderr).toEqual([flag, 0]);
          // The 300 rows the stopped update put on top are new to whatever records the file.
          expect(JSON.parse(again.stdout)).toMatchObject({ rows: 400, added: 300 });
          // Nothing new: the walk reaches the file at once (one page), and the file is as published.
          expect(sim.stats.requests).toBeLessThanOrEqual(2);
        });
        expect(await readFile(out)).toEqual(published);
        expect(JSON.parse(await readFile(`${out}.tkf.json`, 'utf8'))).toMatchObject({ rows: 400, bytes: published.length, cursor: null, newest: finished.newest });
        expect((await readdir(dir)).filter((name) => name.startsWith('f.csv')).sort()).toEqual(['f.csv', 'f.csv.tkf.json']);
      }
      const growth = JSON.parse((await runTkfInProcess(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout) as Array<{ added: number; followers: number }>;
      expect(growth.map((p) => [p.added, p.followers])).toEqual([
        [100, 100],
        [300, 400],
      ]);
      const rows = parse(published, { columns: true }) as Array<{ uid: string }>;
      expect(new Set(rows.map((row) => row.uid)).size).toBe(400);
    });
  });
});
