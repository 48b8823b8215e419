/**
 * Reads an .xlsx back for the tests, independently of the code that writes it: fflate unzips the
 * package and saxes, a strict XML 1.0 parser, reads its parts (it refuses what XML cannot hold and
 * turns CR and CR LF into LF, as Excel's and LibreOffice's readers do). Cells come back as
 * { t, v } like SheetJS's: t 's' (inline, shared or formula-result text, _xHHHH_ escapes undone),
 * 'n' (a number) or 'b' (a boolean); an absent cell is undefined.
 */
import { readFile } from 'node:fs/promises';
import { unzipSync } from 'fflate';
import { SaxesParser, type SaxesTagPlain } from 'saxes';

export interface Cell {
  t: 's' | 'n' | 'b';
  v: string | number | boolean;
}

export interface Sheet {
  name: string;
  /** Rows from 0 (the header), each a list of cells from column 0. */
  rows: Array<Array<Cell | undefined>>;
  /** A1:O3, from A1 to the last cell written. */
  ref: string;
  autofilter: string | undefined;
  /** <col> widths, in column order. */
  widths: number[];
  cell(r: number, c: number): Cell | undefined;
}

export interface Workbook {
  sheetNames: string[];
  sheets: Sheet[];
  /** Defined names: name, the sheet it is local to (or undefined), the range. */
  names: Array<{ name: string; sheet: number | undefined; ref: string; hidden: boolean }>;
  /** A part's XML text, by its path in the package. */
  xml(path: string): string;
}

/** OOXML's escape for characters XML cannot hold (ECMA-376 Part 1, 22.9.2.19): _x000D_ is CR. */
export const unescapeXlsxText = (text: string) => text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/** Walks an XML text strictly; `on` sees each opening tag, each closing tag and the text. */
function walk(xml: string, on: { open?: (tag: SaxesTagPlain) => void; close?: (name: string) => void; text?: (text: string) => void }) {
  const parser = new SaxesParser();
  parser.on('error', (error) => {
    throw error;
  });
  if (on.open) parser.on('opentag', on.open);
  if (on.close) parser.on('closetag', (tag) => on.close!(tag.name));
  if (on.text) parser.on('text', on.text);
  parser.write(xml).close();
}

/** "AB12" -> { r: 11, c: 27 } (0-based). */
export function decodeCell(ref: string): { r: number; c: number } {
  const match = /^([A-Z]+)(\d+)$/.exec(ref);
  if (!match) throw new Error(`not a cell reference: ${ref}`);
  let c = 0;
  for (const letter of match[1]!) c = c * 26 + (letter.charCodeAt(0) - 64);
  return { r: Number(match[2]) - 1, c: c - 1 };
}

function encodeCell(r: number, c: number): string {
  let letters = '';
  for (let n = c + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return `${letters}${r + 1}`;
}

function readSheet(name: string, xml: string, shared: string[]): Sheet {
  const rows: Array<Array<Cell | undefined>> = [];
  const widths: number[] = [];
  let autofilter: string | undefined;
  let cell: { r: number; c: number; type: string; text: string; inT: boolean; v: string | undefined; inV: boolean } | undefined;
  let last = { r: 0, c: 0 };
  walk(xml, {
    open(tag) {
      const at = tag.attributes as Record<string, string>;
      if (tag.name === 'c') {
        cell = { ...decodeCell(at.r!), type: at.t ?? 'n', text: '', inT: false, v: undefined, inV: false };
      } else if (tag.name === 't' && cell) cell.inT = true;
      else if (tag.name === 'v' && cell) {
        cell.inV = true;
        cell.v = '';
      } else if (tag.name === 'autoFilter') autofilter = at.ref;
      else if (tag.name === 'col') for (let i = Number(at.min); i <= Number(at.max); i++) widths[i - 1] = Number(at.width);
    },
    text(text) {
      if (cell?.inT) cell.text += text;
      else if (cell?.inV) cell.v += text;
    },
    close(tagName) {
      if (!cell) return;
      if (tagName === 't') cell.inT = false;
      else if (tagName === 'v') cell.inV = false;
      else if (tagName === 'c') {
        let value: Cell | undefined;
        if (cell.type === 'inlineStr') value = { t: 's', v: unescapeXlsxText(cell.text) };
        else if (cell.type === 's') value = { t: 's', v: shared[Number(cell.v)]! };
        else if (cell.type === 'str') value = { t: 's', v: unescapeXlsxText(cell.v ?? '') };
        else if (cell.type === 'b') value = { t: 'b', v: cell.v === '1' };
        else if (cell.v !== undefined) value = { t: 'n', v: Number(cell.v) };
        if (value) {
          (rows[cell.r] ??= [])[cell.c] = value;
          last = { r: Math.max(last.r, cell.r), c: Math.max(last.c, cell.c) };
        }
        cell = undefined;
      }
    },
  });
  for (let r = 0; r <= last.r; r++) {
    rows[r] ??= [];
    rows[r]!.length = last.c + 1;
  }
  return {
    name,
    rows,
    ref: `A1:${encodeCell(last.r, last.c)}`,
    autofilter,
    widths,
    cell: (r, c) => rows[r]?.[c],
  };
}

export function readXlsxBytes(bytes: Uint8Array): Workbook {
  const files = unzipSync(bytes);
  const xml = (path: string) => {
    const file = files[path];
    if (!file) throw new Error(`no ${path} in the workbook`);
    return Buffer.from(file).toString('utf8');
  };
  const targets = new Map<string, string>();
  walk(xml('xl/_rels/workbook.xml.rels'), {
    open(tag) {
      if (tag.name === 'Relationship') targets.set(String(tag.attributes.Id), String(tag.attributes.Target));
    },
  });
  const shared: string[] = [];
  if (files['xl/sharedStrings.xml']) {
    let text: string | undefined;
    walk(xml('xl/sharedStrings.xml'), {
      open: (tag) => void (tag.name === 'si' ? (text = '') : undefined),
      text: (t) => void (text !== undefined ? (text += t) : undefined),
      close: (name) => void (name === 'si' ? shared.push(unescapeXlsxText(text!)) : undefined),
    });
  }
  const sheetRefs: Array<{ name: string; path: string }> = [];
  const names: Workbook['names'] = [];
  let definedName: { name: string; sheet: number | undefined; ref: string; hidden: boolean } | undefined;
  walk(xml('xl/workbook.xml'), {
    open(tag) {
      const at = tag.attributes as Record<string, string>;
      if (tag.name === 'sheet') {
        const target = targets.get(at['r:id']!)!;
        sheetRefs.push({ name: at.name!, path: target.startsWith('/') ? target.slice(1) : `xl/${target}` });
      } else if (tag.name === 'definedName') {
        definedName = { name: at.name!, sheet: at.localSheetId === undefined ? undefined : Number(at.localSheetId), ref: '', hidden: at.hidden === '1' };
      }
    },
    text: (text) => void (definedName ? (definedName.ref += text) : undefined),
    close(name) {
      if (name === 'definedName' && definedName) {
        names.push(definedName);
        definedName = undefined;
      }
    },
  });
  return {
    sheetNames: sheetRefs.map((s) => s.name),
    sheets: sheetRefs.map((s) => readSheet(s.name, xml(s.path), shared)),
    names,
    xml,
  };
}

export async function readXlsx(path: string): Promise<Workbook> {
  return readXlsxBytes(await readFile(path));
}
