/**
 * The README's three history queries ("History in a database") run as written in the sqlite3
 * CLI and in psql, against the same history recorded in each, and answer the same rows.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { openHistory } from '../../src/history/open-history.js';
import { recordSnapshot, type FollowerRow } from '../../src/history/record-snapshot.js';
import type { SqlDriver } from '../../src/history/sql-driver.js';
import { ROOT } from '../e2e/run-tkf.js';
import { usePostgres } from '../helpers/postgres-server.js';
import { useTempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const A = '6754915036232582149';
const B = '6754915036232582150';

async function readmeQueries(): Promise<string[]> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### History in a database'), readme.indexOf('### Running from cron'));
  return [...section.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

async function* rowsOf(uids: readonly string[]): AsyncGenerator<FollowerRow> {
  for (const uid of uids) yield { uid, uniqueId: `user${uid}`, nickname: `N ${uid}`, data: JSON.stringify({ uid, unique_id: `user${uid}` }) };
}

/** A's 4 left in the week; 5 came; A and B share 1 and 2 (and 3 was B's, then left B too). */
async function fill(db: SqlDriver): Promise<void> {
  const snap = (account: string, takenAt: string) => ({ account, takenAt, end: 'complete', onProfile: null, requests: 1, source: null });
  await recordSnapshot(db, snap(A, '2026-11-20T03:00:00.000Z'), rowsOf(['1', '2', '3', '4']));
  await recordSnapshot(db, snap(B, '2026-11-20T04:00:00.000Z'), rowsOf(['1', '2', '3', '9']));
  await recordSnapshot(db, snap(A, '2026-11-27T03:00:00.000Z'), rowsOf(['5', '1', '2', '3']));
  await recordSnapshot(db, snap(B, '2026-11-28T04:00:00.000Z'), rowsOf(['1', '2', '9']));
}

const pg = usePostgres();
const dir = useTempDir('tkf-history-readme-');

describe("the README's history queries", () => {
  it('run as written in sqlite3 and psql, with the same answers', async () => {
    const queries = await readmeQueries();
    expect(queries).toHaveLength(3);
    const file = join(dir.path, 'history.sqlite');
    const url = await pg.server.createDatabase('readme');
    for (const target of [file, url]) {
      const db = await openHistory(target);
      await fill(db);
      await db.close();
    }
    const answers: string[][] = [];
    for (const [index, query] of queries.entries()) {
      const sql = join(dir.path, `query-${index}.sql`);
      await writeFile(sql, query);
      const sqlite = (await run('sh', ['-c', 'sqlite3 -bail -csv -header "$1" < "$2"', 'sh', file, sql])).stdout.replace(/\r\n/g, '\n');
      const psql = (await run(join(pg.server.bin, 'psql'), ['--csv', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', sql, url])).stdout;
      // The two CLIs quote CSV differently (sqlite3 quotes a cell with a space): compare the cells.
      expect(parse(psql)).toEqual(parse(sqlite));
      answers.push((parse(psql) as string[][]).map((row) => row.join(',')));
    }
    expect(answers[0]).toEqual(['account_uid,uid,unique_id,nickname,followed_at', `${A},5,user5,N 5,2026-11-27T03:00:00.000Z`]);
    expect(answers[1]).toEqual([
      'account_uid,uid,unique_id,first_seen_at,left_at',
      `${B},3,user3,2026-11-20T04:00:00.000Z,2026-11-28T04:00:00.000Z`,
      `${A},4,user4,2026-11-20T03:00:00.000Z,2026-11-27T03:00:00.000Z`,
    ]);
    expect(answers[2]).toEqual(['account,other_account,shared_followers', `${A},${B},2`]);
  });
});
