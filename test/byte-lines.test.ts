/**
 * The one `\n` splitter (src/byte-lines.ts): lines end at `\n` bytes only, whatever the chunk
 * boundaries, and a character that straddles two chunks comes out whole.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { byteLines } from '../src/byte-lines.js';
import { useTempDir } from './helpers/temp-dir.js';

const dir = useTempDir();

async function linesOf(bytes: Buffer, highWaterMark?: number): Promise<string[]> {
  const path = join(dir.path, 'lines.txt');
  await writeFile(path, bytes);
  const lines: string[] = [];
  for await (const line of byteLines(path, highWaterMark)) lines.push(line.toString('utf8'));
  return lines;
}

describe('byteLines', () => {
  it('splits at \\n only: not at \\r, U+2028 or U+2029; empty lines kept; a last line without \\n kept', async () => {
    const text = 'a\u2028b\r\n\nc\u2029d\ne';
    expect(await linesOf(Buffer.from(text))).toEqual(['a\u2028b\r', '', 'c\u2029d', 'e']);
  });

  it('gives the same lines with chunks of 1 to 7 bytes (lines and characters cut across chunks)', async () => {
    const text = '你好,世界\n🙂🙂\n\nlong line with é and 𝄞\n';
    const expected = ['你好,世界', '🙂🙂', '', 'long line with é and 𝄞'];
    for (let size = 1; size <= 7; size++) expect(await linesOf(Buffer.from(text), size)).toEqual(expected);
  });

  it('an empty file has no line; a file of one \\n has one empty line', async () => {
    expect(await linesOf(Buffer.alloc(0))).toEqual([]);
    expect(await linesOf(Buffer.from('\n'))).toEqual(['']);
  });
});
