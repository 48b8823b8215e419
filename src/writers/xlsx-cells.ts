/**
 * What a follower's values become in a spreadsheet cell, and how text is made safe for the XML
 * inside an .xlsx. Typed cells are the point of the format: a CSV cannot tell a spreadsheet that
 * `6819781765697955134` is text, so Excel and LibreOffice read it as a number and keep 15 digits.
 */
import { LosslessNumber, toJson } from './fields.js';

/** A typed cell as it travels through the part file (one JSON array a row, see xlsx.ts). */
export type XlsxCell = string | number | boolean | null;

/**
 * Spreadsheets keep 15 significant digits of a number (IEEE doubles, shown to 15 digits): a
 * longer number would be rounded in the sheet, and written back rounded when the sheet is saved.
 */
const MAX_NUMBER_DIGITS = 15;

/**
 * Columns that hold identifiers: `uid`, `sec_uid`, `room_id`, `unique_id`, `id`, `*_id`... (the
 * last part of a dot path). Their values are text whatever their JSON type: an id is a name, not
 * a quantity (nobody sums room ids), and `room_id` is a 19-digit JSON number while a user is live.
 */
const ID_COLUMN = /(?:^|_)u?id$/;

export function isIdColumn(name: string): boolean {
  return ID_COLUMN.test(name.slice(name.lastIndexOf('.') + 1));
}

/** Significant digits of a number as JavaScript or JSON writes it (sign, point and exponent aside). */
export function significantDigits(text: string): number {
  const mantissa = text.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '');
  return mantissa.replace(/^0+/, '').length || 1;
}

/**
 * One value as a typed cell: strings stay text (a string starting with = is text in a typed cell,
 * never a formula, so no formula guard is needed); counts are numbers; ids and numbers longer than
 * a spreadsheet keeps are text with their exact digits; booleans are booleans; objects and arrays
 * (a dot path to a branch, e.g. --fields avatar_larger) are their JSON text.
 */
export function xlsxCell(value: unknown, idColumn: boolean, lossless: boolean): XlsxCell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    // Most cells: an integer of 15 digits or fewer, kept as it is (no digits to count).
    if (Number.isSafeInteger(value) && Math.abs(value) < 1e15) return idColumn ? String(value) : value;
    const digits = String(value);
    return idColumn || significantDigits(digits) > MAX_NUMBER_DIGITS ? digits : value;
  }
  if (typeof value === 'bigint') return String(value);
  // lossless-json keeps a number a double would round as its digits: always text.
  if (value instanceof LosslessNumber) return value.value;
  return toJson(value, lossless);
}

/**
 * XML 1.0 cannot hold some characters at all, and loses others when read back; Office Open XML's
 * own escape for them is `_xHHHH_` (ECMA-376 Part 1, 22.9.2.19 ST_Xstring), which Excel,
 * LibreOffice and SheetJS turn back into the character. Escaped here:
 *   - C0 controls other than tab and LF, and DEL: not XML characters (or, DEL, a discouraged one
 *     that some writers and readers drop);
 *   - CR: an XML reader turns a literal CR (and CR LF) into LF, so `a\r\nb` would come back
 *     `a\nb`; Excel itself writes CR as `_x000D_`;
 *   - U+FFFE, U+FFFF and lone surrogates (a half of an emoji, escaped in the API's JSON): not XML
 *     characters, and UTF-8 cannot encode a lone surrogate;
 *   - a literal `_xHHHH_` in the text: its underscore becomes `_x005F_`, or a reader would decode
 *     it (a bio that says `_x0041_` must not come back as `A`); also with fewer or more hex digits
 *     than four, since LibreOffice 7.4 decodes `_x1e_` too (a sec_uid holding `_x1e_X` came back
 *     with a control character in it). Escaping an underscore is never wrong: `_x005F_` is `_`.
 * Escaping rather than replacing keeps every string exact for a reader that knows the format.
 * Tab and LF stay as they are: the renderer marks text with xml:space="preserve".
 */
const XML_UNSAFE =
  /_(?=x[0-9A-Fa-f]+_)|[\0-\x08\x0B-\x1F\x7F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function escapeXlsxText(text: string): string {
  return text.replace(XML_UNSAFE, (char) => `_x${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}_`);
}
