/**
 * Renders an xlsx export's part file (one JSON array of typed cells a line, see xlsx.ts) into a
 * workbook, streaming: one row in memory at a time (plus the first rows, to size the columns).
 *
 * The workbook's XML is written here (xlsx-parts.ts) and zipped by fflate's streaming Zip: the
 * sheet's XML is deflated as rows come and its compressed bytes go to the file, waiting for the
 * file whenever it asks to (write() returns false), so rows read faster than the disk takes them
 * never pile up in memory.
 *
 * The deflating itself is node:zlib's (ZlibEntry below), not fflate's ZipDeflate: in a profile of
 * a 100k export to .xlsx, fflate's deflate was 2.3-2.8 s of the main thread's ~14 s, the largest
 * single cost. fflate still writes the zip.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { constants as zlibConstants, crc32, deflateRawSync } from 'node:zlib';
import { Zip, ZipPassThrough, type FlateError } from 'fflate';
import { byteLines } from '../byte-lines.js';
import type { XlsxCell } from './xlsx-cells.js';
import { columnLetters, packageParts, rowXml, sheetHead, sheetPath, sheetTail, type SheetSpec } from './xlsx-parts.js';

/** Rows read before the columns are sized (their widths are written before the first row). */
const SAMPLE_ROWS = 1000;
const MIN_WIDTH = 8;
const MAX_WIDTH = 50;
/** Bytes of sheet XML gathered before they are deflated and handed to the file. */
const CHUNK_BYTES = 1 << 16;

/**
 * Excel's sheets end at row 1,048,576 (ECMA-376 and Excel's own limit): past it, followers go on
 * in a second sheet ("followers 2") under the same header, and so on. TikTok's depth cap keeps a
 * real export far below it; the simulator or a future API may not.
 */
export const MAX_SHEET_ROWS = 1_048_576;

export async function renderXlsx(partPath: string, outPath: string, options: { maxSheetRows?: number } = {}): Promise<void> {
  const maxSheetRows = options.maxSheetRows ?? MAX_SHEET_ROWS;
  const file = createWriteStream(outPath, { flags: 'w' });
  await once(file, 'open');
  const fileFailed = new Promise<never>((_, reject) => file.once('error', reject));
  fileFailed.catch(() => {});
  try {
    const out = zipTo(file, fileFailed);
    const lines = partLines(partPath);
    const header = (await lines.next()).value as XlsxCell[] | undefined;
    if (!header) throw new Error(`${partPath} is empty: it has no header row`);
    const sample: XlsxCell[][] = [];
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      sample.push(next.value);
      if (sample.length === SAMPLE_ROWS) break;
    }
    const widths = header.map((_, index) => columnWidth([header, ...sample], index));
    const letters = header.map((_, index) => columnLetters(index + 1));
    const sheets: SheetSpec[] = [];
    let sheet!: SheetSpec;
    const startSheet = async () => {
      sheet = { name: sheets.length === 0 ? 'followers' : `followers ${sheets.length + 1}`, rows: 1, columns: header.length };
      out.startEntry(sheetPath(sheets.length));
      sheets.push(sheet);
      out.text(sheetHead(widths));
      out.text(rowXml(1, header, letters, true));
      await out.flushIfFull();
    };
    const endSheet = async () => {
      out.text(sheetTail(sheet));
      await out.endEntry();
    };
    const add = async (cells: XlsxCell[]) => {
      if (sheet.rows === maxSheetRows) {
        await endSheet();
        await startSheet();
      }
      sheet.rows++;
      out.text(rowXml(sheet.rows, cells, letters));
      await out.flushIfFull();
    };
    await startSheet();
    for (const cells of sample) await add(cells);
    for await (const cells of lines) await add(cells);
    await endSheet();
    for (const [path, xml] of packageParts(sheets, 'tkf')) {
      out.startEntry(path);
      out.text(xml);
      await out.endEntry();
    }
    await out.end();
    await Promise.race([finished(file), fileFailed]);
  } catch (error) {
    file.destroy();
    throw error;
  }
}

/**
 * The deflate level: 1, zlib's fastest. A 100k export (npm run bench's list), alternated: level 6
 * (zlib's default, fflate's before) 11.04/11.23 s and 17.8 MB, level 3 11.01/10.44 s and 19.1 MB,
 * level 1 9.99/10.31 s and 20.5 MB. The sheet's XML is repetitive enough that the fastest level
 * loses 15% of the size and saves ~1 s of a 100k export's CPU (issue 20).
 */
const LEVEL = 1;
const SYNC_FLUSH = { level: LEVEL, finishFlush: zlibConstants.Z_SYNC_FLUSH };
const FINISH = { level: LEVEL, finishFlush: zlibConstants.Z_FINISH };

/**
 * A zip entry deflated by node:zlib. fflate documents ZipPassThrough as the class to extend for a
 * compression of one's own: push() takes the uncompressed bytes (fflate keeps their CRC-32 and
 * size for the entry's header), process() hands back the compressed bytes through ondata.
 *
 * Each chunk (CHUNK_BYTES of XML) is deflated at once, on this thread, by zlib's one-shot
 * deflateRawSync: ended with a sync flush (a byte-aligned end of blocks, not the final block),
 * so that the chunks' outputs, one after another, are one DEFLATE stream; the last chunk ends it
 * (Z_FINISH: the final block). Each chunk starts without the previous chunk's window, which costs
 * a little compression (~1-3% here), not correctness. Not zlib's streaming interface on the thread
 * pool: measured on a 100k export, its queue and the pool's threads cost 15-20 MB of peak RSS.
 */
class ZlibEntry extends ZipPassThrough {
  constructor(path: string) {
    super(path);
    this.compression = 8;
    // The general-purpose flag's bits 1-2 for the level, as fflate's ZipDeflate sets them (0: normal).
    (this as unknown as { flag: number }).flag = 0;
    // The entry's CRC-32 by node:zlib (native) instead of fflate's table loop in JavaScript (0.36 s
    // of a 100k export's profile): the same object shape fflate keeps, p (update) and d (digest,
    // as the signed 32-bit value fflate's own returns).
    let value = 0;
    (this as unknown as { c: { p(data: Uint8Array): void; d(): number } }).c = {
      p: (data) => {
        value = crc32(data, value);
      },
      d: () => value | 0,
    };
  }

  protected override process(chunk: Uint8Array, final: boolean): void {
    let out: Buffer;
    try {
      out = deflateRawSync(chunk, final ? FINISH : SYNC_FLUSH);
    } catch (error) {
      this.ondata(error as FlateError, null as unknown as Uint8Array<ArrayBuffer>, final);
      return;
    }
    this.ondata(null, out as Uint8Array<ArrayBuffer>, final);
  }
}

/**
 * A zip written to `file` one entry at a time: text is gathered, deflated in CHUNK_BYTES pieces,
 * and written; each write that the file answers with false is waited for ('drain').
 */
function zipTo(file: WriteStream, fileFailed: Promise<never>) {
  const ready: Uint8Array[] = [];
  let zipError: Error | null = null;
  const zip = new Zip((error, chunk, final) => {
    if (error) zipError = error;
    else ready.push(chunk);
    if (final) ready.push(new Uint8Array(0));
  });
  let entry: ZlibEntry | undefined;
  // The XML is written as UTF-8 straight into one reused buffer (a string takes at most 3 bytes a
  // UTF-16 unit), not joined and encoded: 0.25 s against 0.40 s for 25 MB of rows, measured. The
  // entry deflates it synchronously (ZlibEntry.process), so the buffer is free again at once.
  const stage = Buffer.allocUnsafeSlow(4 * CHUNK_BYTES);
  let staged = 0;
  const deflatePending = (last: boolean) => {
    if (!entry) return;
    entry.push(stage.subarray(0, staged), last);
    staged = 0;
  };
  const append = (xml: string) => {
    if (!entry) throw new Error('xlsx: text written outside a zip entry');
    if (3 * xml.length > stage.length - staged) {
      deflatePending(false);
      if (3 * xml.length > stage.length) {
        entry.push(Buffer.from(xml), false);
        return;
      }
    }
    staged += stage.write(xml, staged);
  };
  const writeReady = async () => {
    if (zipError) throw zipError;
    while (ready.length) {
      const chunk = ready.shift()!;
      if (chunk.length === 0) continue;
      if (!file.write(chunk)) await Promise.race([once(file, 'drain'), fileFailed]);
    }
  };
  return {
    startEntry(path: string) {
      entry = new ZlibEntry(path);
      zip.add(entry);
    },
    text: append,
    async flushIfFull() {
      if (staged < CHUNK_BYTES) return;
      deflatePending(false);
      await writeReady();
    },
    async endEntry() {
      deflatePending(true);
      entry = undefined;
      await writeReady();
    },
    async end() {
      zip.end();
      await writeReady();
      file.end();
    },
  };
}

/** The part file's rows, parsed, split on \n bytes (never readline: it also ends lines at U+2028). */
async function* partLines(path: string): AsyncGenerator<XlsxCell[], void> {
  let number = 0;
  const parse = (bytes: Buffer): XlsxCell[] => {
    number++;
    try {
      const cells: unknown = JSON.parse(bytes.toString('utf8'));
      if (Array.isArray(cells)) return cells as XlsxCell[];
    } catch {
      // reported below
    }
    throw new Error(`${path} line ${number} is not a row of cells`);
  };
  // Blank lines are skipped (the part file has none but a last `\n`). 256 KiB reads (a row is
  // ~1 KB): 1 MiB ones kept ~4 MB more alive at the render's peak (issue 20's 100 MB on Node 20:
  // 98-100 against 93-94 MB), for no measurable speed.
  for await (const bytes of byteLines(path, 1 << 18)) if (bytes.length) yield parse(bytes);
}

/**
 * How many characters wide a column is drawn: its longest line among the header and the first
 * rows, counting East Asian wide characters and emoji twice, within [MIN_WIDTH, MAX_WIDTH].
 */
export function columnWidth(rows: readonly XlsxCell[][], index: number): number {
  let widest = 0;
  for (const row of rows) {
    const cell = row[index];
    if (cell === null || cell === undefined) continue;
    for (const line of String(cell).split('\n')) widest = Math.max(widest, displayWidth(line));
  }
  return Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, widest + 2));
}

const WIDE = /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{1F300}-\u{1FAFF}\u{20000}-\u{3FFFD}]/u;

function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += WIDE.test(char) ? 2 : 1;
  return width;
}
