import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { MalformedBodyError, compactJson, parsePage } from '../../src/api/page-parser.js';

/** The vendor's sample, byte for byte: tab-indented, `\/` escapes, "msg": "成功". */
const sample = readFileSync(new URL('../../fixtures/sample-response.json', import.meta.url));
const sampleJson = JSON.parse(sample.toString('utf8')) as {
  data: { followers: Array<Record<string, unknown>> };
};

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function page(followers: string, data = '"has_more":true,"min_time":1631063752,"status_code":0'): Buffer {
  return Buffer.from(`{"code":200,"msg":"成功","data":{${data},"followers":[${followers}]}}`);
}

function uids(body: Buffer | string): string[] | undefined {
  return parsePage(Buffer.isBuffer(body) ? body : Buffer.from(body)).followers?.map((f) => f.uid);
}

describe('parsePage on the vendor sample', () => {
  const parsed = parsePage(sample);

  test('reads the envelope fields that drive paging', () => {
    expect(parsed.code).toBe(200);
    expect(parsed.msg).toBe('成功');
    expect(parsed.statusCode).toBe(0);
    expect(parsed.hasMore).toBe(true);
    expect(parsed.minTime).toBe(1631063752);
    expect(parsed.total).toBe(8229668);
  });

  test('finds both followers with their 19-digit uids as strings', () => {
    expect(parsed.followers?.map((f) => f.uid)).toEqual(['7005153156116071425', '6977504145574577157']);
  });

  test("each follower's bytes are compact JSON equal to the sample's follower object", () => {
    expect(parsed.followers).toHaveLength(2);
    parsed.followers!.forEach((follower, index) => {
      const text = follower.bytes.toString('utf8');
      expect(text).not.toContain('\n');
      expect(text).not.toContain('\t');
      expect(text.startsWith('{"')).toBe(true);
      expect(JSON.parse(text)).toEqual(sampleJson.data.followers[index]);
      expect(follower.hasLongNumbers).toBe(false);
    });
  });

  test('keeps string escapes as sent (only whitespace between tokens goes)', () => {
    const first = parsed.followers![0]!.bytes.toString('utf8');
    expect(first).toContain('"uri":"tiktok-obj\\/7005362653325426689"');
    expect(first).toContain('"uid":"7005153156116071425"');
  });
});

describe('parsePage keeps follower bytes exact', () => {
  test('a compact body gives each follower byte-identical to its slice of the input', () => {
    const objects = sampleJson.data.followers;
    const body = page(objects.map((o) => JSON.stringify(o)).join(','));
    const followers = parsePage(body).followers!;
    expect(followers).toHaveLength(2);
    followers.forEach((follower, index) => {
      const expected = Buffer.from(JSON.stringify(objects[index]));
      expect(follower.bytes.equals(expected)).toBe(true);
      expect(body.indexOf(follower.bytes)).toBeGreaterThan(0);
    });
  });

  test('a 19-digit room_id keeps its exact digits and flags the follower', () => {
    const body = page('{"uid":"1","room_id":7300000000000000114},{"uid":"2","room_id":0,"n":"7300000000000000114"}');
    const [live, idle] = parsePage(body).followers!;
    expect(live!.bytes.toString()).toBe('{"uid":"1","room_id":7300000000000000114}');
    expect(live!.hasLongNumbers).toBe(true);
    // The same digits inside a string are not a number that JSON.parse would round.
    expect(idle!.hasLongNumbers).toBe(false);
  });

  test('a pretty-printed 19-digit room_id survives compaction exactly', () => {
    const body = Buffer.from(
      '{\n\t"code": 200,\n\t"data": {\n\t\t"followers": [\n\t\t\t{\n\t\t\t\t"uid": "1",\n\t\t\t\t"room_id": 7300000000000000114\n\t\t\t}\n\t\t]\n\t}\n}\n',
    );
    const [follower] = parsePage(body).followers!;
    expect(follower!.bytes.toString()).toBe('{"uid":"1","room_id":7300000000000000114}');
    expect(follower!.hasLongNumbers).toBe(true);
  });
});

describe('parsePage rejects bodies that are not the promised JSON', () => {
  test('the sample cut at many offsets before its closing brace', () => {
    const last = sample.lastIndexOf('}');
    // Every offset near both ends (inside "成功", the envelope, the last follower's closing
    // brackets), every 7th one in between.
    const cuts = [];
    for (let cut = 0; cut <= last; cut += cut < 400 || cut > last - 400 ? 1 : 7) cuts.push(cut);
    const failures: number[] = [];
    for (const cut of cuts) {
      try {
        parsePage(sample.subarray(0, cut));
        failures.push(cut);
      } catch (error) {
        if (!(error instanceof MalformedBodyError)) failures.push(cut);
      }
    }
    expect(failures).toEqual([]);
  });

  test.each([
    ['an HTML error page', '<html><body><h1>502 Bad Gateway</h1></body></html>'],
    ['an empty body', ''],
    ['whitespace only', ' \n'],
    ['null', 'null'],
    ['a number', '200'],
    ['a stray letter after the envelope', '{"code":200,"data":{"followers":[{"uid":"1"}]}}x'],
    ['a stray letter inside a follower', '{"code":200,"data":{"followers":[{"uid":"1","a":1x}]}}'],
    ['a stray letter in the envelope', '{"code":200,"data":{"followers":[]},x}'],
    ['a stray closing brace', '{"code":200,"data":{"followers":[]}}}'],
    ['two objects', '{"code":200}{"code":200}'],
    ['an unterminated string', '{"code":200,"msg":"成'],
  ])('%s', (_name, text) => {
    expect(() => parsePage(Buffer.from(text))).toThrow(MalformedBodyError);
  });

  // The followers array is cut out before the envelope goes through JSON.parse, so the byte scan
  // is the only check these bodies meet. A follower that is not JSON would be written verbatim to
  // a JSONL file (or crash the CSV writer) instead of being retried.
  test.each([
    ['a stray comma inside a follower', '{"code":200,"data":{"followers":[{"uid":"1",,"a":1}]}}'],
    ['a missing comma inside a follower', '{"code":200,"data":{"followers":[{"uid":"1" "a":1}]}}'],
    ['a follower closed by ]', '{"code":200,"data":{"followers":[{"uid":"1"]}}}'],
    ['a broken literal inside a follower', '{"code":200,"data":{"followers":[{"uid":"1","a":tru}]}}'],
  ])('%s (JSON.parse rejects it too)', (_name, text) => {
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(() => parsePage(Buffer.from(text))).toThrow(MalformedBodyError);
  });

  // An array follower is rejected ("a follower is not an object"); other non-objects must be too,
  // not silently dropped from the page.
  test.each([['an array', '[1]'], ['a string', '"7005153156116071425"'], ['null', 'null'], ['a number', '5']])(
    'a follower that is %s',
    (_name, follower) => {
      expect(() => parsePage(page(`{"uid":"1"},${follower}`))).toThrow(MalformedBodyError);
    },
  );
});

describe('parsePage shapes', () => {
  test('the hidden-list shape has no followers and no has_more', () => {
    const parsed = parsePage(Buffer.from('{"code":200,"msg":"成功","data":{"status_code":2096,"log_pb":{},"extra":{}}}'));
    expect(parsed.code).toBe(200);
    expect(parsed.statusCode).toBe(2096);
    expect(parsed.followers).toBeUndefined();
    expect(parsed.hasMore).toBeUndefined();
    expect(parsed.minTime).toBeUndefined();
  });

  test('min_time -1 past the depth cap comes through as -1', () => {
    const parsed = parsePage(page('', '"has_more":true,"min_time":-1,"max_time":-1,"status_code":0'));
    expect(parsed.minTime).toBe(-1);
    expect(parsed.followers).toEqual([]);
    expect(parsed.hasMore).toBe(true);
  });

  test('has_more false and a vendor error code are read', () => {
    expect(parsePage(page('', '"has_more":false,"min_time":5')).hasMore).toBe(false);
    const refused = parsePage(Buffer.from('{"code":10001,"msg":"token无效"}'));
    expect(refused.code).toBe(10001);
    expect(refused.msg).toBe('token无效');
    expect(refused.followers).toBeUndefined();
  });

  test('a UTF-8 BOM at the start is accepted', () => {
    const parsed = parsePage(Buffer.concat([BOM, sample]));
    expect(parsed.code).toBe(200);
    expect(parsed.followers?.map((f) => f.uid)).toEqual(['7005153156116071425', '6977504145574577157']);
  });

  test('a UTF-8 BOM before the hidden-list shape is accepted', () => {
    const body = Buffer.concat([BOM, Buffer.from('{"code":200,"msg":"成功","data":{"status_code":2096,"log_pb":{},"extra":{}}}')]);
    expect(parsePage(body).statusCode).toBe(2096);
  });
});

describe('parsePage is not fooled by look-alikes', () => {
  test('strings holding ], }, ", escaped quotes and trailing backslashes', () => {
    const tricky = [
      '{"nickname":"a]b}c","uid":"1","signature":"say \\"hi\\""}',
      '{"nickname":"ends with a backslash\\\\","uid":"2","signature":"\\\\"}',
      '{"nickname":"\\\\\\"","uid":"3","signature":"]}],{\\"uid\\":\\"9\\"}"}',
      '{"nickname":"[{","uid":"4","followers":[{"uid":"8"}]}',
    ];
    const body = page(tricky.join(','));
    const followers = parsePage(body).followers!;
    expect(followers.map((f) => f.uid)).toEqual(['1', '2', '3', '4']);
    followers.forEach((follower, index) => {
      expect(follower.bytes.toString()).toBe(tricky[index]);
      expect(() => JSON.parse(follower.bytes.toString())).not.toThrow();
    });
  });

  test("a nested uid does not replace the follower's own, before or after it", () => {
    expect(uids(page('{"uid":"2","x":{"uid":"1"}},{"x":{"uid":"1"},"uid":"3"},{"x":[{"uid":"1"}],"uid":"5"}'))).toEqual([
      '2',
      '3',
      '5',
    ]);
  });

  test('a repeated uid key: the last one is the uid, as in JSON.parse; an object, list or literal there is no uid', () => {
    expect(uids(page('{"uid":"7000000000000000000","uid":"7000000000000000001"}'))).toEqual(['7000000000000000001']);
    for (const last of ['{}', '[]', '{"uid":"1"}', 'null', 'true']) {
      expect(() => parsePage(page(`{"uid":"7000000000000000000","uid":${last}}`)), last).toThrow(MalformedBodyError);
    }
  });

  test('a top-level "followers" outside data is not the list', () => {
    const body = Buffer.from(
      '{"followers":[{"uid":"9"}],"code":200,"data":{"extra":{"followers":[{"uid":"8"}]},"followers":[{"uid":"2"}],"has_more":true},"tail":{"followers":[{"uid":"7"}]}}',
    );
    const parsed = parsePage(body);
    expect(parsed.followers?.map((f) => f.uid)).toEqual(['2']);
    expect(parsed.hasMore).toBe(true);
  });

  test('"followers" as a key inside data.extra alone does not make a list', () => {
    const body = Buffer.from('{"code":200,"data":{"status_code":2096,"extra":{"followers":[{"uid":"8"}]}}}');
    expect(parsePage(body).followers).toBeUndefined();
  });

  test('a uid given as a bare number is read as its digits', () => {
    expect(uids(page('{"a":1,"uid":7005153156116071425},{"uid":42}'))).toEqual(['7005153156116071425', '42']);
  });

  test('a uid with escapes is decoded', () => {
    expect(uids(page('{"uid":"\\u0031\\u0032"}'))).toEqual(['12']);
  });

  test('the msg with a quote, and keys spaced from their colons', () => {
    const parsed = parsePage(Buffer.from('{ "code" : 200 , "msg" : "a \\"b\\"" , "data" : { "followers" : [ { "uid" : "7" } ] } }'));
    expect(parsed.msg).toBe('a "b"');
    expect(parsed.followers?.map((f) => [f.uid, f.bytes.toString()])).toEqual([['7', '{"uid":"7"}']]);
  });
});

describe('compactJson', () => {
  test('drops whitespace between tokens and keeps it inside strings', () => {
    const input = Buffer.from('{ "a" : "x y\\t\\" }" ,\n\t"b" : [ 1 , 2 ] ,\r\n "c" : "成 功" }');
    expect(compactJson(input).toString()).toBe('{"a":"x y\\t\\" }","b":[1,2],"c":"成 功"}');
  });

  test('an unterminated string throws MalformedBodyError', () => {
    expect(() => compactJson(Buffer.from('{"a": "b'))).toThrow(MalformedBodyError);
  });
});
