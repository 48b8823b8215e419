/**
 * Recording a walk as its pages arrive (src/history/page-recorder.ts): the snapshot it makes is
 * the one reading the finished file would make (in process, where the recorder runs on the
 * caller's thread, and with the built binary, where it runs in its worker thread); the pages are
 * used only when they are the whole file; an uncommitted walk is no snapshot.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openHistory } from '../../src/history/open-history.js';
import { parsePage, spanKeys } from '../../src/api/page-parser.js';
import { RowsChunk } from '../../src/history/export-recorder.js';
import { NO_SPANS, PageRecorder, type PageRows } from '../../src/history/page-recorder.js';
import { recordExportFile } from '../../src/history/record-export.js';
import { DEFAULT_CSV_FIELDS, sourceKeys } from '../../src/writers/fields.js';
import type { SqlDriver } from '../../src/history/sql-driver.js';
import { startSimulator, type UserScenario } from '../../src/simulator/index.js';
import { runTkf } from '../e2e/run-tkf.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { useClosers } from '../helpers/closers.js';
import { runCli } from './run-cli.js';
import { pageRowsOf, watched } from './recorder-rows.js';

const TOKEN = 'tkn-PAGES-z8x7c6';
const UID = '6754915036232582149';
const dir = useTempDir('tkf-history-pages-');
const closeLater = useClosers();

async function simulator(scenario: UserScenario) {
  const sim = await startSimulator({ token: TOKEN, users: { [UID]: scenario } });
  closeLater(() => sim.close());
  return { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url };
}

/** What a database says of the account, without ids, file names and write times. */
async function dump(path: string) {
  const db = await openHistory(path);
  try {
    return {
      snapshots: await db.all('SELECT walk_end, sees_losses, on_profile, served, requests, added, removed, beyond_reach FROM snapshots ORDER BY taken_at'),
      followers: await db.all('SELECT uid, unique_id, nickname, data FROM followers ORDER BY uid'),
      account_followers: await db.all(
        'SELECT follower_uid, gone_at IS NULL AS following, position, first_seen_at = (SELECT MIN(taken_at) FROM snapshots) AS first FROM account_followers ORDER BY follower_uid',
      ),
      changes: await db.all('SELECT follower_uid, change, at = (SELECT MAX(taken_at) FROM snapshots) AS latest FROM changes ORDER BY follower_uid, change'),
      // Rows whose REFERENCES find no parent: the recording thread writes with libsql's checks off (sqlite-driver.ts).
      orphans: await db.all('PRAGMA foreign_key_check'),
    };
  } finally {
    await db.close();
  }
}

/**
 * Two days of an account with a sliding reach (one unfollow, followers past the reach), recorded
 * by `run`; then each file imported into a second database. `over`: followers added to the list
 * and its reach (10,000 make walks that page-recorder.ts reads ahead).
 */
async function twoDays(run: (args: string[], env: Record<string, string>) => Promise<{ code: number | null; stderr: string }>, name: string, over = 0) {
  const recorded = join(dir.path, `${name}.sqlite`);
  const imported = join(dir.path, `${name}-import.sqlite`);
  const days: Array<[string, UserScenario]> = [
    ['1', { size: 90 + over, cap: 50 + over, slidingCap: true, notYetFollowed: 15 }],
    ['2', { size: 90 + over, cap: 50 + over, slidingCap: true, unfollowed: [20] }],
  ];
  for (const [day, scenario] of days) {
    const out = join(dir.path, `${name}-${day}.jsonl`);
    const result = await run(['export', '--uid', UID, '--out', out, '--db', recorded, '-q'], await simulator(scenario));
    expect(result.code, result.stderr).toBe(0);
    const imports = await runCli(['history', 'import', '--db', imported, out]);
    expect(imports.code, imports.stderr).toBe(0);
  }
  return { recorded: await dump(recorded), imported: await dump(imported) };
}

describe('recording pages as they arrive', () => {
  it('in process: the same database as reading the finished files', async () => {
    const { recorded, imported } = await twoDays((args, env) => runCli(args, env), 'local');
    expect(recorded.snapshots).toHaveLength(2);
    expect(recorded.snapshots[1]).toMatchObject({ removed: 1 });
    expect(Number((recorded.snapshots[1] as { beyond_reach: number }).beyond_reach)).toBeGreaterThan(0);
    expect(recorded).toEqual(imported);
  });

  it('in the worker thread of the built binary: the same database as reading the finished files', async () => {
    const { recorded, imported } = await twoDays((args, env) => runTkf(args, { env, cwd: dir.path, timeoutMs: 60_000 }), 'worker');
    expect(recorded.followers.length).toBeGreaterThan(0);
    expect(recorded.orphans).toEqual([]);
    expect(recorded).toEqual(imported);
  });

  it("walks of 10,000 followers (the account's followers read ahead while the file is published), in the worker: the same database as reading the finished files", async () => {
    const { recorded, imported } = await twoDays((args, env) => runTkf(args, { env, cwd: dir.path, timeoutMs: 60_000 }), 'ahead', 10_000);
    expect(recorded.followers.length).toBeGreaterThan(10_000);
    expect(recorded.orphans).toEqual([]);
    expect(recorded.snapshots[1]).toMatchObject({ removed: 1 });
    expect(Number((recorded.snapshots[1] as { beyond_reach: number }).beyond_reach)).toBeGreaterThan(0);
    expect(recorded).toEqual(imported);
  }, 60_000);

  describe('PageRecorder', () => {
    /** An export of 30 followers, its lines, and pages made of them with each nickname changed (so a test can tell where a row came from). */
    async function exportAndPages() {
      const file = join(dir.path, 'f.jsonl');
      expect((await runCli(['export', '--uid', UID, '--out', file], await simulator({ size: 30 }))).code).toBe(0);
      const lines = (await readFile(file, 'utf8')).trim().split('\n');
      const page = (from: number, to: number): PageRows => pageRowsOf(lines, from, to, 'from a page');
      return { file, page };
    }
    /** `db`, counting its reads of an account's followers (knownFollowers). */
    function countingReads(db: SqlDriver): { counting: SqlDriver; reads: () => number } {
      let reads = 0;
      const counting = watched(db, {
        all: (sql) => {
          if (/FROM account_followers\b[\s\S]*WHERE account_uid/.test(sql)) reads++;
        },
      });
      return { counting, reads: () => reads };
    }
    const nicknames = async (db: SqlDriver) => (await db.all<{ nickname: string }>('SELECT DISTINCT nickname FROM followers')).map((r) => r.nickname);
    const count = async (db: SqlDriver, table: string) => Number((await db.all<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);
    /** The snapshot was made from the file's 30 rows, not from the pages (no nickname 'from a page' is left); closes the recorder. */
    async function expectFromTheFile(outcome: unknown, db: SqlDriver, recorder: PageRecorder): Promise<void> {
      expect(outcome).toMatchObject({ recorded: true, served: 30, added: 30 });
      expect(await nicknames(db)).not.toContain('from a page');
      expect(await count(db, 'followers')).toBe(30);
      await recorder.close();
    }

    it('records from the pages when they are the whole file; the fields are written before, the snapshot only at commit', async () => {
      const { file, page } = await exportAndPages();
      const db = await openHistory(join(dir.path, 'p.sqlite'));
      const recorder = new PageRecorder(db);
      recorder.page(1, page(0, 20));
      recorder.page(1, page(20, 30));
      await recorder.flush();
      expect(await count(db, 'followers')).toBe(30);
      expect(await count(db, 'snapshots')).toBe(0);
      expect(await count(db, 'account_followers')).toBe(0);
      const outcome = await recorder.commit(1, file, undefined);
      expect(outcome).toMatchObject({ recorded: true, served: 30, added: 30, account: UID });
      expect(await nicknames(db)).toEqual(['from a page']);
      expect(await count(db, 'account_followers')).toBe(30);
      await recorder.close();
    });

    it('reads the columns where the walk parse placed them, as it would by scanning', async () => {
      const texts = [
        '{"uid":"1","unique_id":"a1","nickname":"first","nickname":"last","avatar_larger":{"url_list":["https://x/1.webp"]},"follower_count":7}',
        '{"uid":"2","nick\\u006eame":"escaped","unique_id":"b2","signature":"line\\nbreak \\"quoted\\"","region":"JP"}',
        '{ "uid" : "3", "unique_id" : "c3", "nickname" : "spaced" }',
        '{"uid":"4","unique_id":"d4","nickname":"😀 \\u00e9","avatar_larger":{"uri":"u","url_list":[]},"custom_verify":null,"total_favorited":12345678901234}',
      ];
      const body = Buffer.from(`{"code":200,"msg":"ok","data":{"has_more":false,"min_time":-1,"total":4,"followers":[${texts.join(',')}]}}`);
      const rowsOf = (keys?: ReturnType<typeof spanKeys>, from = body) => {
        const chunk = new RowsChunk();
        for (const follower of parsePage(from, keys).followers!) chunk.add(follower);
        return chunk.rows();
      };
      const placedAt = (rows: PageRows) => Array.from({ length: rows.uids.length }, (_, i) => rows.spans!.values[i * rows.spans!.keys.length * 2] !== NO_SPANS);
      const keys = spanKeys(sourceKeys(DEFAULT_CSV_FIELDS));
      const placed = rowsOf(keys);
      expect(placed.spans).toBeDefined();
      expect(placedAt(placed)).toEqual([true, false, false, true]);
      // A placed follower is sent as the values the database keeps, not its whole text.
      const whole = parsePage(body, keys).followers!;
      expect(placed.ends[0]).toBeLessThan(whole[0]!.bytes.length);
      expect(placed.ends[1]! - placed.ends[0]!).toBe(whole[1]!.bytes.length);
      // The first follower unplaced: the chunk's spans are of the next one's table.
      const reordered = Buffer.from(`{"code":200,"msg":"ok","data":{"has_more":false,"min_time":-1,"total":4,"followers":[${[texts[1], texts[0], texts[2], texts[3]].join(',')}]}}`);
      const later = rowsOf(keys, reordered);
      expect(placedAt(later)).toEqual([false, true, false, true]);
      const tables = [];
      for (const [name, rows] of [['placed', placed], ['scanned', rowsOf()], ['later', later]] as const) {
        const db = await openHistory(join(dir.path, `${name}.sqlite`));
        const recorder = new PageRecorder(db);
        recorder.page(1, rows);
        await recorder.flush();
        tables.push(await db.all('SELECT uid, unique_id, nickname, data FROM followers ORDER BY uid'));
        await recorder.close();
      }
      expect(tables[0]).toHaveLength(4);
      expect(tables[0]).toEqual(tables[1]);
      expect(tables[2]).toEqual(tables[1]);
      expect(tables[0]![0]).toMatchObject({ nickname: 'last' });
    });

    it('reads the file when a chunk cannot be decoded, whether its walk is committed with it or later', async () => {
      const { file, page } = await exportAndPages();
      for (const name of ['together', 'later'] as const) {
        const db = await openHistory(join(dir.path, `undecodable-${name}.sqlite`));
        const recorder = new PageRecorder(db);
        const good = page(0, 20);
        const bad = page(20, 30);
        // The last follower's text cut short: JSON.parse refuses it (no places: it is decoded whole).
        const cut: PageRows = { ...bad, bytes: bad.bytes.subarray(0, bad.bytes.length - 5), ends: [...bad.ends.slice(0, -1), bad.bytes.length - 5] };
        recorder.page(1, good);
        recorder.page(1, cut);
        if (name === 'later') await recorder.flush();
        await expectFromTheFile(await recorder.commit(1, file, undefined), db, recorder);
      }
    });

    it('reads the file of every walk in a transaction whose statement failed, not only the walk being decoded then', async () => {
      const { file, page } = await exportAndPages();
      const db = await openHistory(join(dir.path, 'statement-fails.sqlite'));
      // The first statement storing followers fails once (a busy or full database, say).
      let failures = 1;
      const failing = watched(db, {
        run: (sql) => {
          if (sql.startsWith('INSERT INTO followers') && failures-- > 0) throw new Error('the statement failed');
        },
      });
      const recorder = new PageRecorder(failing);
      recorder.page(1, page(0, 30)); // the whole file of walk 1
      // Another walk's rows after it, enough for a statement to be sent while they are decoded.
      for (let k = 0; k < 13; k++) recorder.page(2, page(0, 30));
      await recorder.flush();
      // Walk 1's snapshot was made from its file (the failed statement held its rows), not from its pages.
      await expectFromTheFile(await recorder.commit(1, file, undefined), db, recorder);
    });

    it('after a transaction fails, opens none for what its walk sent meanwhile: only the file is read (one transaction)', async () => {
      const { file, page } = await exportAndPages();
      const db = await openHistory(join(dir.path, 'locked.sqlite'));
      // Transactions opened; the first waits until the test fails it (a database another process
      // holds answers "database is locked" after busy_timeout, 30 s, the walk going on meanwhile).
      let opened = 0;
      let begun!: () => void;
      const firstBegun = new Promise<void>((resolve) => (begun = resolve));
      let fail!: (error: Error) => void;
      const failed = new Promise<never>((_, reject) => (fail = reject));
      const locked: SqlDriver = {
        dialect: db.dialect,
        label: db.label,
        all: (sql, params) => db.all(sql, params),
        run: (sql, params) => db.run(sql, params),
        close: () => db.close(),
        transaction: (fn) => {
          if (++opened > 1) return db.transaction(fn);
          begun();
          return failed;
        },
      };
      const recorder = new PageRecorder(locked, { aheadFrom: 10 });
      recorder.page(1, page(0, 10), UID);
      void recorder.flush();
      await firstBegun;
      // The rest of the walk comes while that transaction waits: more rows, the read ahead, its end.
      recorder.page(1, page(10, 20), UID);
      void recorder.flush();
      recorder.page(1, page(20, 30), UID);
      recorder.walked(1, UID);
      const outcome = recorder.commit(1, file, undefined);
      fail(new Error('database is locked'));
      await expectFromTheFile(await outcome, db, recorder);
      // The failed one, and the file's (recordExportFile): none for the rows sent meanwhile.
      expect(opened).toBe(2);
    });

    it("reads the account's followers ahead while the file is published (a walk large enough), and again if a snapshot came in between", async () => {
      // An earlier export of the same 30 followers, recorded by someone else after the read-ahead.
      const earlier = join(dir.path, 'earlier.jsonl');
      expect((await runCli(['export', '--uid', UID, '--out', earlier], await simulator({ size: 30 }))).code).toBe(0);
      const { file, page } = await exportAndPages();
      for (const [between, aheadFrom] of [[false, 30], [true, 30], [false, 31]] as const) {
        const db = await openHistory(join(dir.path, `ahead-${between}-${aheadFrom}.sqlite`));
        const { counting, reads } = countingReads(db);
        const recorder = new PageRecorder(counting, { aheadFrom });
        recorder.page(1, page(0, 30));
        recorder.walked(1, UID);
        await recorder.flush();
        // A walk of fewer followers than aheadFrom is not read ahead: its snapshot reads them.
        const ahead = aheadFrom <= 30 ? 1 : 0;
        expect(reads()).toBe(ahead);
        if (between) expect(await recordExportFile(counting, earlier)).toMatchObject({ recorded: true, added: 30 });
        const outcome = await recorder.commit(1, file, undefined);
        // Against the earlier snapshot nobody is new; against the followers read ahead (none), all 30 would be.
        expect(outcome).toMatchObject({ recorded: true, served: 30, added: between ? 0 : 30, removed: 0 });
        // Read ahead; with a snapshot in between, also by that snapshot, and again at the commit.
        expect(reads()).toBe(between ? 3 : 1);
        if (!between) expect(await nicknames(db)).toEqual(['from a page']);
        await recorder.close();
      }
    });

    it("reads the account's followers while the walk goes on, once it has aheadFrom followers, and once only", async () => {
      const { file, page } = await exportAndPages();
      const db = await openHistory(join(dir.path, 'ahead-walking.sqlite'));
      const { counting, reads } = countingReads(db);
      const recorder = new PageRecorder(counting, { aheadFrom: 20 });
      recorder.page(1, page(0, 10), UID);
      await recorder.flush();
      expect(reads()).toBe(0);
      recorder.page(1, page(10, 20), UID);
      await recorder.flush();
      expect(reads()).toBe(1); // with the rows' transaction, before the walk is over
      recorder.page(1, page(20, 30), UID);
      recorder.walked(1, UID);
      await recorder.flush();
      expect(reads()).toBe(1);
      expect(await recorder.commit(1, file, undefined)).toMatchObject({ recorded: true, served: 30, added: 30 });
      expect(reads()).toBe(1); // the snapshot used them
      await recorder.close();
    });

    it('reads the file when the pages are not the whole of it, or when there were none', async () => {
      const { file, page } = await exportAndPages();
      for (const [name, walk] of [['partial', 2], ['none', undefined]] as const) {
        const db = await openHistory(join(dir.path, `${name}.sqlite`));
        const recorder = new PageRecorder(db);
        recorder.page(2, page(0, 20)); // a walk that resumed: its first pages came from another run
        await expectFromTheFile(await recorder.commit(walk, file, undefined), db, recorder);
      }
    });
  });
});
