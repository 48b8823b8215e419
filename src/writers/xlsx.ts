/**
 * .xlsx, an Office Open XML workbook: one sheet of followers in typed cells (ids as text, exactly;
 * counts as numbers), with the same default columns and --fields as CSV.
 *
 * A workbook is a zip, and a zip cannot be appended to or cut back to a checkpoint. So an xlsx
 * export writes its rows like every other format, to `<out>.part`, in a line format the
 * checkpoint, --resume and the lock already handle byte for byte: one JSON array of typed cells
 * a line, the column names first. At commit the workbook is rendered from that file
 * (xlsx-render.ts) into a file beside `<out>`, which is then published atomically.
 *
 *   ["uid","nickname","follower_count"]
 *   ["6819781765697955134","=1+1 is text",120]
 *
 * JSON.stringify escapes what the part file must not break on (line breaks, lone surrogates), so
 * a row is one line and every string comes back exactly.
 */
import type { RawFollower } from '../api/types.js';
import { DEFAULT_CSV_FIELDS, compileFields, createDecoder } from './fields.js';
import { encodeTextAll, type Encoder, type EncoderOptions } from './record-writer.js';
import { isIdColumn, xlsxCell } from './xlsx-cells.js';

export function createXlsxEncoder(options: EncoderOptions): Encoder {
  const names = options.fields ?? [...DEFAULT_CSV_FIELDS];
  const columns = compileFields(names).map((column) => ({ ...column, id: isIdColumn(column.name) }));
  const decode = createDecoder(names);
  const encodeText = (follower: RawFollower): string => {
    const decoded = decode(follower);
    const cells = columns.map((column) => xlsxCell(column.read(decoded), column.id, follower.hasLongNumbers));
    return `${JSON.stringify(cells)}\n`;
  };
  return {
    header: () => Buffer.from(`${JSON.stringify(names)}\n`),
    encode: (follower) => Buffer.from(encodeText(follower)),
    encodeAll: encodeTextAll(encodeText),
  };
}
