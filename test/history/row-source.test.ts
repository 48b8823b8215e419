/**
 * [issue 16] followers.source_hash (row-source.ts, schema version 5): a next walk skips the rows
 * whose bytes hash as the stored row's source, and only those: the hashes are what its
 * transaction sees (another connection's writes, a file recorded meanwhile, its own rows), so a
 * follower changed since is written again.
 */
import { createHash } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePage, spanKeys } from '../../src/api/page-parser.js';
import { RowsChunk } from '../../src/history/export-recorder.js';
import { followerRow, placedRow } from '../../src/history/follower-columns.js';
import { openHistory } from '../../src/history/open-history.js';
import { outputPaths } from '../../src/output/output-file.js';
import { PageRecorder, type PageRows } from '../../src/history/page-recorder.js';
import { ROW_SOURCE_VERSION, sourceHash, sourceSeed } from '../../src/history/row-source.js';
import type { SqlDriver } from '../../src/history/sql-driver.js';
import { startSimulator } from '../../src/simulator/index.js';
import { DEFAULT_CSV_FIELDS, createDecoder, sourceKeys } from '../../src/writers/fields.js';
import { useClosers } from '../helpers/closers.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { watched } from './recorder-rows.js';
import { runCli } from './run-cli.js';

const TOKEN = 'tkn-SOURCES-q1w2e3';
const UID = '6754915036232582149';
const dir = useTempDir('tkf-row-source-');
const closeLater = useClosers();

const TEXTS = [
  '{"uid":"1","unique_id":"a1","nickname":"first","avatar_larger":{"uri":"u","url_list":["https:\\/\\/x\\/1.webp","https:\\/\\/x\\/1.jpeg"]},"follower_count":7,"region":"JP"}',
  '{"uid":"2","unique_id":"b2","nickname":"line\\nbreak \\"quoted\\"","signature":"😀 \\u00e9","total_favorited":12345678901234,"custom_verify":null}',
  '{"uid":"3","nick\\u006eame":"escaped key","unique_id":"","avatar_larger":{"url_list":[]}}',
];
const body = Buffer.from(`{"code":200,"msg":"ok","data":{"has_more":false,"min_time":-1,"total":3,"followers":[${TEXTS.join(',')}]}}`);
const KEYS = spanKeys(sourceKeys(DEFAULT_CSV_FIELDS));

describe('row sources', () => {
  it('ROW_SOURCE_VERSION is the version of the rows built from these bytes (a change to what placedRow or followerRow makes needs a new version: stored hashes would skip rows that are now built otherwise)', () => {
    const decode = createDecoder(DEFAULT_CSV_FIELDS);
    const rows = parsePage(body, KEYS).followers!.map((f) => {
      const placed = placedRow({ ...f, hasLongNumbers: false });
      const data = placed ? Buffer.from(placed.data as Uint8Array).toString('utf8') : undefined;
      return [data, followerRow(f.uid, decode({ uid: f.uid, bytes: f.bytes, hasLongNumbers: false }) as Record<string, unknown>).data];
    });
    const digest = createHash('sha256').update(JSON.stringify(rows)).digest('hex').slice(0, 16);
    expect({ version: ROW_SOURCE_VERSION, digest }).toEqual({ version: 1, digest: '4680257f2192e565' });
  });

  it('hashes bytes with their places and the keys the places are of: the same bytes cut otherwise, or of other keys, hash otherwise', () => {
    const bytes = Buffer.from('"ab""c"12');
    const places = Int32Array.from([0, 4, 4, 7, 7, 9]);
    const other = Int32Array.from([0, 3, 3, 7, 7, 9]);
    const seed = sourceSeed(['a', 'b', 'c']);
    const hash = sourceHash(bytes, 0, bytes.length, places, 0, 6, seed);
    expect(hash).toBe(sourceHash(Buffer.from(bytes), 0, bytes.length, Int32Array.from(places), 0, 6, seed));
    expect(Number.isSafeInteger(hash)).toBe(true);
    expect(sourceHash(bytes, 0, bytes.length, other, 0, 6, seed)).not.toBe(hash);
    expect(sourceHash(bytes, 0, bytes.length, places, 0, 6, sourceSeed(['b', 'a', 'c']))).not.toBe(hash);
    expect(sourceHash(bytes, 0, bytes.length, undefined, 0, 0, sourceSeed(undefined))).not.toBe(hash);
    expect(sourceHash(Buffer.from('"ab""d"12'), 0, 9, places, 0, 6, seed)).not.toBe(hash);
    // 100,000 different rows: no two hash the same.
    const seen = new Set<number>();
    for (let i = 0; i < 100_000; i++) {
      const text = Buffer.from(`{"uid":"${7_000_000_000_000_000_000n + BigInt(i)}","nickname":"n${i % 977}"}`);
      seen.add(sourceHash(text, 0, text.length, undefined, 0, 0, seed));
    }
    expect(seen.size).toBe(100_000);
  });

  describe('a next walk into SQLite', () => {
    /** Three exports of the same 30 followers (three snapshots' files), and their lines. */
    async function twoExports() {
      const sim = await startSimulator({ token: TOKEN, users: { [UID]: { size: 30 } } });
      closeLater(() => sim.close());
      const env = { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url };
      const files = [join(dir.path, 'a.jsonl'), join(dir.path, 'b.jsonl'), join(dir.path, 'c.jsonl')];
      for (const file of files) expect((await runCli(['export', '--uid', UID, '--out', file], env)).code).toBe(0);
      const lines = (await readFile(files[0]!, 'utf8')).trim().split('\n');
      return { files, lines };
    }
    /** Lines [from, to) as a walk's feed hands them over, placed as the walk's parse places them; `nickname` replaces the follower's at `changed`. */
    function pageOf(lines: readonly string[], from: number, to: number, changed?: { at: number; nickname: string }): PageRows {
      const texts = lines.slice(from, to).map((line, i) => (changed && changed.at === from + i ? JSON.stringify({ ...(JSON.parse(line) as object), nickname: changed.nickname }) : line));
      const chunk = new RowsChunk();
      for (const follower of parsePage(Buffer.from(`{"code":200,"msg":"ok","data":{"has_more":true,"min_time":1,"total":30,"followers":[${texts.join(',')}]}}`), KEYS).followers!) chunk.add(follower);
      return chunk.rows();
    }
    const uidAt = (lines: readonly string[], i: number) => (JSON.parse(lines[i]!) as { uid: string }).uid;
    /** `db`, with the rows of each INSERT INTO followers counted (the values after the time, five a row). */
    function counting(db: SqlDriver): { driver: SqlDriver; stored: () => number } {
      let stored = 0;
      const driver = watched(db, {
        run: (sql, params) => {
          if (/^\s*INSERT INTO followers\b/.test(sql)) stored += ((params?.length ?? 1) - 1) / (/source_hash\) VALUES/.test(sql) ? 5 : 4);
        },
      });
      return { driver, stored: () => stored };
    }
    const nicknameOf = async (db: SqlDriver, uid: string) => (await db.all<{ nickname: string }>('SELECT nickname FROM followers WHERE uid = ?', [uid]))[0]?.nickname;
    /** A first snapshot of the 30 followers from pages (walk 1), into a new database. */
    async function firstSnapshot(name: string) {
      const { files, lines } = await twoExports();
      const db = await openHistory(join(dir.path, `${name}.sqlite`));
      closeLater(() => db.close());
      const { driver, stored } = counting(db);
      const recorder = new PageRecorder(driver);
      recorder.page(1, pageOf(lines, 0, 30), UID);
      expect(await recorder.commit(1, files[0]!, undefined)).toMatchObject({ recorded: true, served: 30 });
      expect(stored()).toBe(30);
      const hashes = await db.all<{ n: number }>('SELECT COUNT(*) AS n FROM followers WHERE source_hash IS NOT NULL');
      expect(Number(hashes[0]!.n)).toBe(30);
      return { files, lines, db, recorder, stored };
    }

    it('skips the rows whose bytes did not change, stores the one that did, and the snapshot is the same', async () => {
      const { files, lines, db, recorder, stored } = await firstSnapshot('next');
      const changed = uidAt(lines, 7);
      recorder.page(2, pageOf(lines, 0, 15, { at: 7, nickname: 'renamed' }), UID);
      recorder.page(2, pageOf(lines, 15, 30), UID);
      expect(await recorder.commit(2, files[1]!, undefined)).toMatchObject({ recorded: true, served: 30, added: 0, removed: 0 });
      expect(stored()).toBe(31);
      expect(await nicknameOf(db, changed)).toBe('renamed');
      expect(await db.all('SELECT COUNT(*) AS n FROM account_followers WHERE last_seen_at = (SELECT MAX(taken_at) FROM snapshots)')).toEqual([{ n: 30 }]);
      await recorder.close();
    });

    it('stores the follower another connection changed in the meantime (its hash gone with it), the others skipped', async () => {
      const { files, lines, db, recorder, stored } = await firstSnapshot('other');
      recorder.page(2, pageOf(lines, 0, 15), UID);
      await recorder.flush();
      expect(stored()).toBe(30);
      // A second tkf changes a follower the walk has not reached yet (its data, and no hash).
      const other = await openHistory(join(dir.path, 'other.sqlite'));
      const later = uidAt(lines, 20);
      await other.run("UPDATE followers SET nickname = 'by another run', data = '{}', source_hash = NULL WHERE uid = ?", [later]);
      await other.close();
      recorder.page(2, pageOf(lines, 15, 30), UID);
      await recorder.commit(2, files[1]!, undefined);
      expect(stored()).toBe(31);
      expect(await nicknameOf(db, later)).toBe((JSON.parse(lines[20]!) as { nickname: string }).nickname);
      await recorder.close();
    });

    it('stores the follower a file recorded in the meantime changed (rows from a file have no hashes), the others skipped', async () => {
      const { files, lines, db, recorder, stored } = await firstSnapshot('file');
      recorder.page(2, pageOf(lines, 0, 15), UID);
      await recorder.flush();
      // The second export's file, one of its followers renamed, recorded from the file meanwhile.
      const renamed = join(dir.path, 'renamed.jsonl');
      const uid = uidAt(lines, 20);
      const text = await readFile(files[1]!, 'utf8');
      await writeFile(renamed, text.split('\n').map((line) => (line && (JSON.parse(line) as { uid: string }).uid === uid ? JSON.stringify({ ...(JSON.parse(line) as object), nickname: 'in a file' }) : line)).join('\n'));
      await copyFile(outputPaths(files[1]!).manifest, outputPaths(renamed).manifest);
      expect(await recorder.commit(undefined, renamed, undefined)).toMatchObject({ recorded: true });
      expect(await nicknameOf(db, uid)).toBe('in a file');
      recorder.page(2, pageOf(lines, 15, 30), UID);
      expect(await recorder.commit(2, files[2]!, undefined)).toMatchObject({ recorded: true });
      // The first walk's 30, the file's 30, then the one the file changed.
      expect(stored()).toBe(61);
      expect(await nicknameOf(db, uid)).toBe((JSON.parse(lines[20]!) as { nickname: string }).nickname);
      await recorder.close();
    });

    // The three below: found by a review of the change; each ended with the changed row stored.
    it('a follower another walk stored in the same write, then seen as before by a walk committed in that write, ends as last seen', async () => {
      const { files, lines, db, recorder } = await firstSnapshot('committed');
      const x = JSON.parse(lines[7]!) as { uid: string; nickname: string };
      recorder.page(2, pageOf(lines, 7, 8, { at: 7, nickname: 'renamed by another walk' }), '7100000000000000001');
      recorder.page(3, pageOf(lines, 0, 30), UID);
      expect(await recorder.commit(3, files[1]!, undefined)).toMatchObject({ recorded: true });
      expect(await nicknameOf(db, x.uid)).toBe(x.nickname);
      await recorder.close();
    });

    it('a follower stored for a walk whose commit failed (its pages stored all the same), then seen as before by another walk, ends as last seen', async () => {
      const { files, lines, db, recorder } = await firstSnapshot('rejected');
      const x = JSON.parse(lines[7]!) as { uid: string; nickname: string };
      recorder.page(3, pageOf(lines, 0, 5), UID);
      await recorder.flush();
      recorder.page(2, pageOf(lines, 7, 8, { at: 7, nickname: 'renamed by 2' }), '7100000000000000001');
      await expect(recorder.commit(2, join(dir.path, 'missing.jsonl'), undefined)).rejects.toThrow();
      expect(await nicknameOf(db, x.uid)).toBe('renamed by 2');
      recorder.page(3, pageOf(lines, 5, 30), UID);
      expect(await recorder.commit(3, files[1]!, undefined)).toMatchObject({ recorded: true });
      expect(await nicknameOf(db, x.uid)).toBe(x.nickname);
      await recorder.close();
    });

    it('a follower seen changed, then again as stored, in one batch, ends as last seen', async () => {
      const { lines, db, recorder } = await firstSnapshot('repeat');
      const x = JSON.parse(lines[7]!) as { uid: string; nickname: string };
      recorder.page(2, pageOf(lines, 0, 15, { at: 7, nickname: 'renamed' }), UID);
      recorder.page(2, pageOf(lines, 7, 8), UID);
      await recorder.flush();
      expect(await nicknameOf(db, x.uid)).toBe(x.nickname);
      await recorder.close();
    });
  });
});
