/**
 * The uids in a finished export, read back for `--update` (which stops at the first follower
 * already in the file). Streams the file: memory grows with the number of uids, not its size.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { UsageError } from '../errors.js';

export async function readExportedUids(path: string, format: string): Promise<Set<string>> {
  const uids = new Set<string>();
  if (format === 'csv') {
    const parser = createReadStream(path).pipe(parse({ columns: true, bom: true, relax_column_count: false }));
    try {
      for await (const row of parser as AsyncIterable<Record<string, string>>) {
        if (row.uid === undefined) throw new UsageError(`${path} has no uid column: --update needs one (see --fields)`);
        uids.add(row.uid);
      }
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`${path} is not a CSV tkf can read: ${(error as Error).message}`);
    }
    return uids;
  }
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (!line) continue;
    let uid: unknown;
    try {
      uid = (JSON.parse(line) as { uid?: unknown }).uid;
    } catch {
      throw new UsageError(`${path} line ${number} is not JSON: is it a tkf JSONL export?`);
    }
    if (typeof uid !== 'string' && typeof uid !== 'number') {
      throw new UsageError(`${path} line ${number} has no uid: --update needs the uid field`);
    }
    uids.add(String(uid));
  }
  return uids;
}
