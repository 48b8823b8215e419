/**
 * JSONL: one follower per line, UTF-8. Without --fields, each line is the follower object exactly
 * as the API sent it (its bytes, so 19-digit numbers stay exact); with --fields, an object of the
 * chosen paths, keyed by the path as written.
 */
import { wholePageBodies } from '../api/page-parser.js';
import type { RawFollower } from '../api/types.js';
import { compileFields, createDecoder, toJson } from './fields.js';
import { encodeTextAll, type Encoder, type EncoderOptions } from './record-writer.js';

const NEWLINE = Buffer.from('\n');

/** Bytes that may follow a follower's object in its page: a comma, the list's end, whitespace, or a line end put there. */
const AFTER_FOLLOWER = new Uint8Array(256);
for (const byte of [0x2c, 0x5d, 0x20, 0x09, 0x0a, 0x0d]) AFTER_FOLLOWER[byte] = 1;

/**
 * A page's followers as JSONL lines written over the body they came in, when they are still one
 * run of it: each follower's bytes, then one byte between them (the comma of the list), and one
 * byte after the last (a comma, or the list's closing bracket). Those separators become line ends
 * and the run is returned as a view of the body. Nothing reads a page's separators once it is
 * parsed (page-parser.ts: every follower's bytes, its uid and its values' places lie inside its own
 * object; the envelope was read before). Undefined when a follower was dropped as a repeat, was
 * re-spaced (compactJson gives it a Buffer of its own) or sits apart: the caller copies then.
 * Saves a copy of ~95 KB and an allocation a page (475 MB at 100,000 followers).
 */
export function linesInPlace(followers: readonly RawFollower[]): Buffer | undefined {
  const first = followers[0]?.bytes;
  // Only inside a page body the parser read whole (page-parser.ts wholePageBodies): there, the
  // byte after a follower is the page's. Elsewhere (a small body in Node's shared pool, a
  // re-spaced follower's own copy) it could be another Buffer's, and the page is copied.
  if (!first || !wholePageBodies.has(first.buffer)) return undefined;
  const body = new Uint8Array(first.buffer);
  let end = first.byteOffset + first.length;
  for (let k = 1; k < followers.length; k++) {
    const bytes = followers[k]!.bytes;
    if (bytes.buffer !== first.buffer || bytes.byteOffset !== end + 1) return undefined;
    if (body[end] !== 0x2c && body[end] !== 0x0a) return undefined;
    end = bytes.byteOffset + bytes.length;
  }
  // The byte after the last follower: inside the body, which goes on to close the list.
  if (end >= body.length || AFTER_FOLLOWER[body[end]!] !== 1) return undefined;
  for (let k = 1; k < followers.length; k++) body[followers[k]!.bytes.byteOffset - 1] = 0x0a;
  body[end] = 0x0a;
  return Buffer.from(first.buffer, first.byteOffset, end + 1 - first.byteOffset);
}

export function createJsonlEncoder(options: EncoderOptions): Encoder {
  const columns = options.fields ? compileFields(options.fields) : undefined;
  if (!columns) {
    return {
      header: () => undefined,
      encode: (follower) => Buffer.concat([follower.bytes, NEWLINE], follower.bytes.length + 1),
      // The API's bytes of each follower, a line end after each: where the page's followers still
      // sit one after another in its body, that run of the body itself (no copy); else one copy.
      encodeAll(followers) {
        const run = linesInPlace(followers);
        if (run) return run;
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
