/**
 * A follower row's source hash (followers.source_hash, schema version 5): what `tkf export --db`
 * into SQLite made the row's data from, a walk's bytes for the follower (export-recorder.ts
 * RowsChunk: the values placedRow reads, and where each one is), hashed. A next walk whose bytes
 * hash the same would build the same data: the recording thread skips the row, neither building
 * it nor writing it (page-recorder.ts). A 100,000-follower next snapshot built and wrote every
 * row again, each as it already was: ~1.3 s of the recording thread's CPU.
 *
 * 53 bits (two 32-bit lanes of a MurmurHash3-like mix; a JavaScript number holds them exactly,
 * and SQLite an INTEGER): a row whose bytes changed is taken for unchanged once in ~10^16.
 *
 * The seed holds ROW_SOURCE_VERSION and the keys the places are of: bytes that would be built
 * into another row (other span keys, or a tkf that builds the row otherwise) never hash the same
 * as before. Change ROW_SOURCE_VERSION whenever placedRow, followerRow, or the columns and
 * decoding of writers/fields.ts they use (DEFAULT_CSV_FIELDS, createDecoder, COMPUTED_FIELDS)
 * change what they make of the same bytes (test/history/row-source.test.ts pins the rows built
 * from a fixture to this version).
 *
 * Not a keyed or cryptographic hash: a follower who wrote profile text to hash as the stored row
 * would only keep that row as it was.
 */
export const ROW_SOURCE_VERSION = 1;

/** The seed of rows whose places are of these span keys (undefined: rows copied whole, without places). */
export function sourceSeed(keys: readonly string[] | undefined): number {
  const text = Buffer.from(`tkf row source ${ROW_SOURCE_VERSION}\0${keys === undefined ? '(whole)' : keys.join('\0')}`);
  return sourceHash(text, 0, text.length, undefined, 0, 0, 0x5eed) % 0x100000000;
}

/**
 * The hash of bytes[start, end) and, with places, `width` numbers of `places` from `at` (where
 * each value is in those bytes: the same bytes cut otherwise are other values).
 */
export function sourceHash(bytes: Uint8Array, start: number, end: number, places: Int32Array | undefined, at: number, width: number, seed: number): number {
  let h1 = seed | 0;
  let h2 = (seed ^ 0x9e3779b9) | 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h1 ^= k;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    h2 = Math.imul(h2 ^ k, 0x85ebca6b);
    h2 ^= h2 >>> 13;
  }
  let k = 0;
  for (; i < end; i++) k = (k << 8) | bytes[i]!;
  k = Math.imul(k, 0xcc9e2d51);
  h1 ^= k;
  h2 = Math.imul(h2 ^ k, 0x85ebca6b);
  if (places !== undefined) {
    for (let j = at; j < at + width; j++) {
      const place = Math.imul(places[j]! ^ 0x27d4eb2d, 0xcc9e2d51);
      h1 = Math.imul(h1 ^ place, 0x1b873593);
      h1 = (h1 << 13) | (h1 >>> 19);
      h2 = Math.imul(h2 ^ place, 0x85ebca6b);
      h2 ^= h2 >>> 16;
    }
  }
  h1 ^= end - start;
  h2 ^= end - start;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  h2 ^= h2 >>> 15;
  h2 = Math.imul(h2, 0x2c1b3c6d);
  h2 ^= h2 >>> 12;
  h2 = Math.imul(h2, 0x297a2d39);
  h2 ^= h2 >>> 15;
  return (h1 >>> 0) * 0x200000 + (h2 >>> 11);
}
