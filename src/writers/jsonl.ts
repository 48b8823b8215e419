/**
 * JSONL: one follower per line, UTF-8. Without --fields, each line is the follower object exactly
 * as the API sent it (its bytes, so 19-digit numbers stay exact); with --fields, an object of the
 * chosen paths, keyed by the path as written.
 */
import type { RawFollower } from '../api/types.js';
import { compileFields, createDecoder, toJson } from './fields.js';
import { encodeTextAll, type Encoder, type EncoderOptions } from './record-writer.js';

const NEWLINE = Buffer.from('\n');

export function createJsonlEncoder(options: EncoderOptions): Encoder {
  const columns = options.fields ? compileFields(options.fields) : undefined;
  if (!columns) {
    return {
      header: () => undefined,
      encode: (follower) => Buffer.concat([follower.bytes, NEWLINE], follower.bytes.length + 1),
      // The API's bytes of each follower, a line end after each, copied once into one Buffer.
      encodeAll(followers) {
        let length = 0;
        for (const follower of followers) length += follower.bytes.length + 1;
        const out = Buffer.allocUnsafe(length);
        let at = 0;
        for (const follower of followers) {
          at += follower.bytes.copy(out, at);
          out[at++] = 0x0a;
        }
        return out;
      },
    };
  }
  const decode = createDecoder(columns.map((column) => column.name));
  const encodeText = (follower: RawFollower): string => {
    const decoded = decode(follower);
    const picked: Record<string, unknown> = {};
    for (const column of columns) picked[column.name] = column.read(decoded) ?? null;
    return `${toJson(picked, follower.hasLongNumbers)}\n`;
  };
  return {
    header: () => undefined,
    encode: (follower) => Buffer.from(encodeText(follower)),
    encodeAll: encodeTextAll(encodeText),
  };
}
