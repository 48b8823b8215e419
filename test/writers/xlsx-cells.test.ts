import { describe, expect, test } from 'vitest';
import { LosslessNumber } from '../../src/writers/fields.js';
import { getFormat } from '../../src/writers/index.js';
import { escapeXlsxText, isIdColumn, significantDigits, xlsxCell } from '../../src/writers/xlsx-cells.js';

describe('xlsxCell: what a value becomes in a typed cell', () => {
  test('strings stay text, whatever they start with', () => {
    for (const text of ['=1+1', '+1', '-1', '@SUM(A1)', '0012', '6819781765697955134', '', ' ', '\n', 'TRUE']) {
      expect(xlsxCell(text, false, false)).toBe(text);
    }
  });

  test('counts are numbers; numbers a spreadsheet would round are text with their exact digits', () => {
    expect(xlsxCell(0, false, false)).toBe(0);
    expect(xlsxCell(8229668, false, false)).toBe(8229668);
    expect(xlsxCell(-12.5, false, false)).toBe(-12.5);
    expect(xlsxCell(123456789012345, false, false)).toBe(123456789012345);
    expect(xlsxCell(1234567890123456, false, false)).toBe('1234567890123456');
    expect(xlsxCell(0.12345678901234568, false, false)).toBe('0.12345678901234568');
    expect(xlsxCell(new LosslessNumber('6819781765697955134'), false, true)).toBe('6819781765697955134');
    expect(xlsxCell(12345678901234567890n, false, true)).toBe('12345678901234567890');
  });

  test('numbers in id columns are text, even short ones', () => {
    expect(xlsxCell(0, true, false)).toBe('0');
    expect(xlsxCell(42, true, false)).toBe('42');
    expect(xlsxCell(new LosslessNumber('7300000000000000001'), true, true)).toBe('7300000000000000001');
  });

  test('booleans are booleans, objects their JSON text, nothing is an empty cell', () => {
    expect(xlsxCell(true, false, false)).toBe(true);
    expect(xlsxCell(false, false, false)).toBe(false);
    expect(xlsxCell({ a: [1, 'x'] }, false, false)).toBe('{"a":[1,"x"]}');
    expect(xlsxCell(['u'], false, false)).toBe('["u"]');
    expect(xlsxCell(null, false, false)).toBeNull();
    expect(xlsxCell(undefined, true, false)).toBeNull();
  });
});

test('isIdColumn: uid, sec_uid, room_id and other *_id, by the last part of a dot path', () => {
  for (const name of ['uid', 'sec_uid', 'room_id', 'unique_id', 'id', 'user.room_id', 'a.b.uid']) expect(isIdColumn(name)).toBe(true);
  for (const name of ['nickname', 'follower_count', 'uid.count', 'paid', 'idle', 'avatar_url', 'fluid']) expect(isIdColumn(name)).toBe(false);
});

test('significantDigits counts what a spreadsheet would have to keep', () => {
  expect(significantDigits('0')).toBe(1);
  expect(significantDigits('-0.00012')).toBe(2);
  expect(significantDigits('1e+21')).toBe(1);
  expect(significantDigits('6819781765697955134')).toBe(19);
  expect(significantDigits('123.45')).toBe(5);
});

describe('escapeXlsxText: _xHHHH_ for what XML 1.0 cannot hold or would change', () => {
  test.each([
    ['plain', 'plain'],
    ['tab\tand\nline feed stay', 'tab\tand\nline feed stay'],
    ['a\r\nb', 'a_x000D_\nb'],
    ['\0nul', '_x0000_nul'],
    ['bell\x07 vt\x0B ff\x0C esc\x1B del\x7F', 'bell_x0007_ vt_x000B_ ff_x000C_ esc_x001B_ del_x007F_'],
    ['\uFFFE\uFFFF', '_xFFFE__xFFFF_'],
    ['lone \uD800 high', 'lone _xD800_ high'],
    ['lone \uDFFF low', 'lone _xDFFF_ low'],
    ['pair 😀 stays', 'pair 😀 stays'],
    ['\uDE00\uD83D reversed', '_xDE00__xD83D_ reversed'],
    ['_x0041_', '_x005F_x0041_'],
    ['_x00e9_ and _X0041_ and _x_ and _xg_', '_x005F_x00e9_ and _X0041_ and _x_ and _xg_'],
    ['sec_uid MED_HE8no_x1e_X4zC and _x1_ and _x12345_', 'sec_uid MED_HE8no_x005F_x1e_X4zC and _x005F_x1_ and _x005F_x12345_'],
    ['中文 \u202Eعربي\u200D', '中文 \u202Eعربي\u200D'],
  ])('%j -> %j', (text, escaped) => {
    expect(escapeXlsxText(text)).toBe(escaped);
  });
});

describe('the xlsx encoder (rows of the part file)', () => {
  const follower = (object: Record<string, unknown>) => ({
    uid: String(object.uid),
    bytes: Buffer.from(JSON.stringify(object)),
    hasLongNumbers: false,
  });

  test('a header line of column names, then one JSON array of typed cells a line', () => {
    const encoder = getFormat('xlsx').createEncoder({ fields: ['uid', 'nickname', 'follower_count', 'room_id'], bom: true, formulaGuard: true });
    expect(encoder.header()!.toString()).toBe('["uid","nickname","follower_count","room_id"]\n');
    const line = encoder.encode(follower({ uid: '6819781765697955134', nickname: '=HYPERLINK("x")\r\n', follower_count: 12, room_id: 0 })).toString();
    expect(line).toBe('["6819781765697955134","=HYPERLINK(\\"x\\")\\r\\n",12,"0"]\n');
  });

  test('19-digit JSON numbers keep their digits (lossless decoding)', () => {
    const encoder = getFormat('xlsx').createEncoder({ fields: ['uid', 'room_id', 'big'], bom: false, formulaGuard: false });
    const bytes = Buffer.from('{"uid":"1","room_id":7300000000000000001,"big":12345678901234567890}');
    expect(encoder.encode({ uid: '1', bytes, hasLongNumbers: true }).toString()).toBe('["1","7300000000000000001","12345678901234567890"]\n');
  });

  test('no formula guard and no BOM: typed cells need neither', () => {
    const encoder = getFormat('xlsx').createEncoder({ fields: ['nickname'], bom: true, formulaGuard: true });
    expect(encoder.header()![0]).toBe('['.charCodeAt(0));
    expect(encoder.encode(follower({ uid: '1', nickname: '=1+1' })).toString()).toBe('["=1+1"]\n');
  });

  test('a line is one line: line breaks and U+2028 in text are JSON escapes or stay inside the string', () => {
    const encoder = getFormat('xlsx').createEncoder({ fields: ['signature'], bom: false, formulaGuard: false });
    const line = encoder.encode(follower({ uid: '1', signature: 'a\nb\rc\u2028d\uD800' }));
    expect(line.indexOf(10)).toBe(line.length - 1);
    expect(JSON.parse(line.toString())).toEqual(['a\nb\rc\u2028d\uD800']);
  });
});
