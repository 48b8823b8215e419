/**
 * The rows of `tkf history changes`, through the export's own writers: each change becomes a
 * follower object `{"change":..., "changed_at":..., ...the follower's latest row}` and goes
 * through the format's encoder (CSV and .xlsx: `change,changed_at` then the export's columns;
 * JSONL: the whole object). To a file, through `<out>.part`, the lock and publish (a workbook is
 * rendered from the part at commit, as `tkf export` does); or to a stream.
 */
import type { Writable } from 'node:stream';
import { pipeError } from '../output/fs-errors.js';
import { FileTransaction } from '../output/file-transaction.js';
import type { LockOwner } from '../output/lock.js';
import { DEFAULT_CSV_FIELDS } from '../writers/fields.js';
import { RecordWriter, type FormatDefinition } from '../writers/index.js';
import type { ChangeRow } from './queries.js';

export interface ChangesOutput {
  format: FormatDefinition;
  fields: string[] | undefined;
  bom: boolean;
  formulaGuard: boolean;
}

/** A 16-digit run may not survive a double: the writers then decode with lossless-json. */
const LONG_NUMBER = /[:,[]\s*-?\d{16,}/;

function writerFor(destination: Writable, output: ChangesOutput): RecordWriter {
  // JSONL keeps the whole object; the column formats lead with the change and its date.
  const fields = output.fields ?? (output.format.name === 'jsonl' ? undefined : ['change', 'changed_at', ...DEFAULT_CSV_FIELDS]);
  const encoder = output.format.createEncoder({ fields, bom: output.bom, formulaGuard: output.formulaGuard });
  return new RecordWriter(destination, encoder, { writeHeader: true });
}

async function writeRows(writer: RecordWriter, rows: readonly ChangeRow[], output: ChangesOutput): Promise<void> {
  const columns = output.format.name !== 'jsonl';
  for (const row of rows) {
    const rest = (columns ? withAvatar(row.data) : row.data).trim().slice(1).trim();
    const text = `{"change":${JSON.stringify(row.change)},"changed_at":${JSON.stringify(row.at)}${rest === '}' ? '' : ','}${rest}`;
    const wait = writer.write({ uid: row.follower_uid, bytes: Buffer.from(text), hasLongNumbers: LONG_NUMBER.test(row.data) });
    if (wait) await wait;
  }
}

/**
 * followers.data holds the export's columns, `avatar_url` among them; the column writers compute
 * `avatar_url` from the API's `avatar_larger.url_list.0` (src/writers/fields.ts), so the stored
 * value is handed to them in that place.
 */
function withAvatar(data: string): string {
  if (!data.includes('"avatar_url"') || data.includes('"avatar_larger"')) return data;
  try {
    const object = JSON.parse(data) as Record<string, unknown>;
    if (typeof object.avatar_url !== 'string') return data;
    return JSON.stringify({ ...object, avatar_larger: { url_list: [object.avatar_url] } });
  } catch {
    return data;
  }
}

export async function writeChangesToStream(stream: Writable, rows: readonly ChangeRow[], output: ChangesOutput): Promise<void> {
  const writer = writerFor(stream, output);
  try {
    await writeRows(writer, rows, output);
    await writer.flush();
  } catch (error) {
    throw pipeError(error);
  }
}

export interface FileOwner {
  owner: LockOwner;
  isRunning: (pid: number, startTicks?: number) => boolean;
}

export async function writeChangesToFile(out: string, rows: readonly ChangeRow[], output: ChangesOutput, force: boolean, who: FileOwner): Promise<void> {
  const file = await FileTransaction.open(out, { force, owner: who.owner, isRunning: who.isRunning });
  const writer = writerFor(file.stream, output);
  try {
    await writeRows(writer, rows, output);
    await writer.close();
    await file.commit(output.format.render);
  } catch (error) {
    throw await file.abort(error);
  }
}
