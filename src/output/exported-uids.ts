/**
 * The uids in a finished export, read back for `--update` (which stops at the first follower
 * already in the file), through the one reader of exports (export-reader.ts): lines split at
 * `\n` only, a BOM on either format, uids as exact digits. Streams the file: memory grows with
 * the number of uids, not its size.
 */
import { openExport } from './export-reader.js';

export async function readExportedUids(path: string, format: string): Promise<Set<string>> {
  const uids = new Set<string>();
  for await (const record of (await openExport(path, format)).records()) uids.add(record.uid);
  return uids;
}
