/**
 * A file's lines, split at `\n` bytes only, without the `\n`: the one splitter for every file tkf
 * reads line by line (JSONL exports, the .xlsx writer's part file). Never node:readline, which on
 * Node 24+ also ends a line at U+2028, a character nicknames hold. Splitting bytes, not text, also
 * keeps a multi-byte character that straddles two chunks whole. Empty lines are yielded (callers
 * number lines); a last line without `\n` is yielded too.
 */
import { createReadStream } from 'node:fs';

const LINE_FEED = 0x0a;

export async function* byteLines(path: string, highWaterMark?: number): AsyncGenerator<Buffer, void> {
  const input = createReadStream(path, highWaterMark ? { highWaterMark } : undefined);
  let pending: Buffer[] = [];
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      let start = 0;
      for (let end = chunk.indexOf(LINE_FEED); end !== -1; end = chunk.indexOf(LINE_FEED, start)) {
        const piece = chunk.subarray(start, end);
        if (pending.length) {
          pending.push(piece);
          yield Buffer.concat(pending);
          pending = [];
        } else {
          yield piece;
        }
        start = end + 1;
      }
      // Held only until the next chunk ends the line, so at most one chunk stays alive for it.
      if (start < chunk.length) pending.push(chunk.subarray(start));
    }
    if (pending.length) yield Buffer.concat(pending);
  } finally {
    input.destroy();
  }
}
