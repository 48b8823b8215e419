/**
 * The WebAssembly page scanner (page-scan.as.ts), loaded once: the module is ~2.7 KB and compiles
 * synchronously in well under a millisecond. Its memory is fixed (2.25 MiB), so the views below
 * stay valid for the life of the process.
 *
 * Where WebAssembly is unavailable (`node --jitless`), `scanner` is undefined and page-parser.ts
 * parses every page in JavaScript; nothing else changes.
 */
import { PAGE_SCAN_WASM } from './page-scan-wasm.js';
import type { SpanKeys } from './types.js';

// The few WebAssembly types used here (tsconfig's lib has no DOM, where TypeScript declares them).
interface WasmGlobal {
  value: unknown;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
};

interface ScanExports {
  memory: { buffer: ArrayBuffer };
  parse(from: number, length: number, keyed: number): number;
  arrayStart(): number;
  arrayEnd(): number;
  INPUT: WasmGlobal;
  INPUT_CAP: WasmGlobal;
  FOLLOWERS: WasmGlobal;
  FOLLOWER_WIDTH: WasmGlobal;
  TABLE: WasmGlobal;
  TABLE_CAP: WasmGlobal;
  SPANS: WasmGlobal;
  MEMORY_NEEDED: WasmGlobal;
  LONG_NUMBER: WasmGlobal;
  SPACED: WasmGlobal;
  ESCAPED_KEY: WasmGlobal;
}

export interface Scanner {
  /**
   * Scans `body` (copied into the module) from `from`: the follower count, or negative (refused,
   * or too large for the layout). With `keys`, also where their values are (spansOf); undefined
   * keys, or keys too long for the module's table, scan without (the caller parses in JavaScript).
   */
  scan(body: Buffer, from: number, keys: SpanKeys | undefined): number;
  arrayStart(): number;
  arrayEnd(): number;
  /** The module's memory as 32-bit numbers; follower f's record starts at followerAt(f). */
  ints: Int32Array;
  followerAt(index: number): number;
  /** The last scan's value places, `width` numbers a follower (a copy: the module's memory is reused). */
  spansOf(count: number, width: number): Int32Array;
  readonly LONG_NUMBER: number;
  readonly SPACED: number;
  readonly ESCAPED_KEY: number;
}

function load(): Scanner | undefined {
  let exports: ScanExports;
  try {
    const module = new WebAssembly.Module(Buffer.from(PAGE_SCAN_WASM, 'base64'));
    exports = new WebAssembly.Instance(module, {}).exports as unknown as ScanExports;
  } catch {
    return undefined; // no WebAssembly here (--jitless): the JavaScript parse serves
  }
  const value = (global: WasmGlobal) => global.value as number;
  const input = value(exports.INPUT);
  const inputCap = value(exports.INPUT_CAP);
  if (exports.memory.buffer.byteLength < value(exports.MEMORY_NEEDED)) throw new Error('page-scan: the module has less memory than its layout needs');
  const bytes = new Uint8Array(exports.memory.buffer);
  const ints = new Int32Array(exports.memory.buffer);
  const followers = value(exports.FOLLOWERS) / 4;
  const width = value(exports.FOLLOWER_WIDTH);
  const table = value(exports.TABLE);
  const tableCap = value(exports.TABLE_CAP);
  const spans = value(exports.SPANS) / 4;
  const parse = exports.parse;
  // The keys in the module's TABLE (page-scan.as.ts): written when other keys are asked for.
  let loaded: SpanKeys | undefined;
  const tableBytes = (keys: SpanKeys) => 8 + (keys.keys.length + 1) * 8 + keys.bytes.reduce((sum, key) => sum + key.length, 0) + keys.slots.length;
  const loadKeys = (keys: SpanKeys) => {
    const count = keys.keys.length;
    ints[table / 4] = count;
    ints[table / 4 + 1] = keys.slots.length / 256 - 1; // the longest key's length
    let offset = 8 + (count + 1) * 8;
    keys.bytes.forEach((key, k) => {
      ints[table / 4 + 2 + 2 * k] = offset;
      ints[table / 4 + 3 + 2 * k] = key.length;
      bytes.set(key, table + offset);
      offset += key.length;
    });
    ints[table / 4 + 2 + 2 * count] = offset; // where the slots start
    bytes.set(new Uint8Array(keys.slots.buffer, keys.slots.byteOffset, keys.slots.length), table + offset);
    loaded = keys;
  };
  // Keys whose table would not fit (a key of ~250 bytes or more) are parsed in JavaScript.
  const fits = (keys: SpanKeys) => tableBytes(keys) <= tableCap;
  return {
    scan(body, from, keys) {
      if (body.length > inputCap) return -2;
      // Measured and written once per SpanKeys (a run keeps one), not once a page.
      if (keys && keys !== loaded) {
        if (!fits(keys)) return -2;
        loadKeys(keys);
      }
      bytes.set(body, input);
      return parse(from, body.length, keys ? 1 : 0);
    },
    arrayStart: exports.arrayStart,
    arrayEnd: exports.arrayEnd,
    ints,
    followerAt: (index) => followers + index * width,
    spansOf: (count, keyWidth) => ints.slice(spans, spans + count * keyWidth),
    LONG_NUMBER: value(exports.LONG_NUMBER),
    SPACED: value(exports.SPACED),
    ESCAPED_KEY: value(exports.ESCAPED_KEY),
  };
}

export const scanner: Scanner | undefined = load();
