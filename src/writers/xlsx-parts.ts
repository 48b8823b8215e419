/**
 * The XML parts of the workbook tkf writes (ECMA-376 SpreadsheetML, the subset a one-table export
 * needs): sheets of inline-string, number and boolean cells, one bold style for the header row, a
 * frozen first row, an autofilter with the hidden name Excel writes beside it, and column widths.
 * No shared-strings table (it would hold every distinct string in memory until the end) and no
 * theme: a workbook without them is valid, and Excel and LibreOffice open it as written.
 */
import { escapeXlsxText, type XlsxCell } from './xlsx-cells.js';

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const RELS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PACKAGE_RELS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

/** The style index of the header row's cells in styles.xml's cellXfs (0 is the default). */
const HEADER_STYLE = 1;

/** &, < and > in text; also " in attribute values. */
const escapeXml = (text: string) => text.replace(/[&<>"]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char]!);

/**
 * What each escape may change (escapeXlsxText: an underscore before an x, controls, DEL,
 * surrogates, U+FFFE, U+FFFF; escapeXml: its four characters): most texts hold none, and are
 * left as they are after a search each instead of a replace each.
 */
const MAY_XLSX_ESCAPE = /_x|[\0-\x08\x0B-\x1F\x7F\uD800-\uDFFF\uFFFE\uFFFF]/;
const MAY_XML_ESCAPE = /[&<>"]/;

/** A cell's text as the XML of an inline string holds it. */
function cellText(text: string): string {
  const safe = MAY_XLSX_ESCAPE.test(text) ? escapeXlsxText(text) : text;
  return MAY_XML_ESCAPE.test(safe) ? escapeXml(safe) : safe;
}

/** 1 -> A, 26 -> Z, 27 -> AA. */
export function columnLetters(column: number): string {
  let letters = '';
  for (let n = column; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

export interface SheetSpec {
  name: string;
  /** Rows in the sheet, the header included. */
  rows: number;
  columns: number;
}

/** The filter's range, `'followers'!$A$1:$O$3`: the name Excel writes beside an autofilter. */
const filterRange = (sheet: SheetSpec) => `'${sheet.name.replace(/'/g, "''")}'!$A$1:$${columnLetters(Math.max(1, sheet.columns))}$${sheet.rows}`;

/** The worksheet's start: the frozen header row, the column widths, the opening of the rows. */
export function sheetHead(widths: readonly number[]): string {
  const cols = widths.map((width, i) => `<col min="${i + 1}" max="${i + 1}" width="${width}" customWidth="1"/>`).join('');
  return (
    `${HEAD}<worksheet xmlns="${MAIN}" xmlns:r="${RELS}">` +
    '<sheetViews><sheetView workbookViewId="0">' +
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' +
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>' +
    '</sheetView></sheetViews>' +
    '<sheetFormatPr defaultRowHeight="15"/>' +
    (cols ? `<cols>${cols}</cols>` : '') +
    '<sheetData>'
  );
}

/** The worksheet's end: the autofilter over every row written. */
export function sheetTail(sheet: SheetSpec): string {
  return `</sheetData><autoFilter ref="A1:${columnLetters(Math.max(1, sheet.columns))}${sheet.rows}"/></worksheet>`;
}

/**
 * One row. Text is an inline string (t="inlineStr") with xml:space="preserve", so leading and
 * trailing spaces, tabs and line breaks stay; what XML cannot hold is _xHHHH_-escaped first
 * (xlsx-cells.ts). A null cell is left out: an empty cell.
 */
export function rowXml(rowNumber: number, cells: readonly XlsxCell[], letters: readonly string[], header = false): string {
  let xml = `<row r="${rowNumber}">`;
  const style = header ? ` s="${HEADER_STYLE}"` : '';
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (cell === null || cell === undefined) continue;
    const ref = `${letters[i] ?? columnLetters(i + 1)}${rowNumber}`;
    if (typeof cell === 'string') xml += `<c r="${ref}"${style} t="inlineStr"><is><t xml:space="preserve">${cellText(cell)}</t></is></c>`;
    else if (typeof cell === 'boolean') xml += `<c r="${ref}"${style} t="b"><v>${cell ? 1 : 0}</v></c>`;
    else xml += `<c r="${ref}"${style}><v>${String(cell)}</v></c>`;
  }
  return `${xml}</row>`;
}

export const sheetPath = (index: number) => `xl/worksheets/sheet${index + 1}.xml`;

/** The package's other parts, written once every sheet is done (their names and row counts known). */
export function packageParts(sheets: readonly SheetSpec[], creator: string): Array<[path: string, xml: string]> {
  const sheetTypes = sheets
    .map((_, i) => `<Override PartName="/${sheetPath(i)}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`)
    .join('');
  const contentTypes =
    `${HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
    '<Default Extension="xml" ContentType="application/xml"/>' +
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
    sheetTypes +
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>' +
    '</Types>';
  const rootRels =
    `${HEAD}<Relationships xmlns="${PACKAGE_RELS}">` +
    `<Relationship Id="rId1" Type="${RELS}/officeDocument" Target="xl/workbook.xml"/>` +
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>' +
    '</Relationships>';
  const core =
    `${HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" ` +
    'xmlns:dc="http://purl.org/dc/elements/1.1/">' +
    `<dc:creator>${escapeXml(creator)}</dc:creator></cp:coreProperties>`;
  // Excel writes a hidden name, _xlnm._FilterDatabase local to the sheet, beside each autofilter;
  // LibreOffice shows no filter without it.
  const filterNames = sheets
    .map((sheet, i) => `<definedName name="_xlnm._FilterDatabase" localSheetId="${i}" hidden="1">${escapeXml(filterRange(sheet))}</definedName>`)
    .join('');
  const workbook =
    `${HEAD}<workbook xmlns="${MAIN}" xmlns:r="${RELS}">` +
    '<bookViews><workbookView/></bookViews><sheets>' +
    sheets.map((sheet, i) => `<sheet name="${escapeXml(sheet.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('') +
    `</sheets><definedNames>${filterNames}</definedNames></workbook>`;
  const workbookRels =
    `${HEAD}<Relationships xmlns="${PACKAGE_RELS}">` +
    sheets.map((_, i) => `<Relationship Id="rId${i + 1}" Type="${RELS}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`).join('') +
    `<Relationship Id="rId${sheets.length + 1}" Type="${RELS}/styles" Target="styles.xml"/>` +
    '</Relationships>';
  // Font 1 is the header's: the whole font, not only bold (a font without a name is drawn in the
  // theme's heading face).
  const font = (bold: boolean) => `<font>${bold ? '<b/>' : ''}<sz val="11"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font>`;
  const styles =
    `${HEAD}<styleSheet xmlns="${MAIN}">` +
    `<fonts count="2">${font(false)}${font(true)}</fonts>` +
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>' +
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
    '</styleSheet>';
  return [
    ['[Content_Types].xml', contentTypes],
    ['_rels/.rels', rootRels],
    ['docProps/core.xml', core],
    ['xl/workbook.xml', workbook],
    ['xl/_rels/workbook.xml.rels', workbookRels],
    ['xl/styles.xml', styles],
  ];
}
