/**
 * JSONL: one follower per line, UTF-8. Without --fields, each line is the follower object exactly
 * as the API sent it (its bytes, so 19-digit numbers stay exact); with --fields, an object of the
 * chosen paths, keyed by the path as written.
 */
import type { RawFollower } from '../api/types.js';
import { compileFields, decodeFollower, toJson } from './fields.js';
import type { Encoder, EncoderOptions } from './record-writer.js';

const NEWLINE = Buffer.from('\n');

export function createJsonlEncoder(options: EncoderOptions): Encoder {
  const columns = options.fields ? compileFields(options.fields) : undefined;
  return {
    header: () => undefined,
    encode(follower: RawFollower): Buffer {
      if (!columns) return Buffer.concat([follower.bytes, NEWLINE], follower.bytes.length + 1);
      const decoded = decodeFollower(follower);
      const picked: Record<string, unknown> = {};
      for (const column of columns) picked[column.name] = column.read(decoded) ?? null;
      return Buffer.from(`${toJson(picked, follower.hasLongNumbers)}\n`);
    },
  };
}
