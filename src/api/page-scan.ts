/**
 * The WebAssembly page scanner (page-scan.as.ts), loaded once: the module is ~2.7 KB and compiles
 * synchronously in well under a millisecond. Its memory is fixed (2.25 MiB), so the views below
 * stay valid for the life of the process.
 *
 * Where WebAssembly is unavailable (`node --jitless`), `scanner` is undefined and page-parser.ts
 * parses every page in JavaScript; nothing else changes.
 */
import { PAGE_SCAN_WASM } from './page-scan-wasm.js';

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
  KEYS: WasmGlobal;
  MEMORY_NEEDED: WasmGlobal;
  LONG_NUMBER: WasmGlobal;
  SPACED: WasmGlobal;
  ESCAPED_KEY: WasmGlobal;
}

export interface Scanner {
  /** Scans `body` (copied into the module) from `from`: the follower count, or negative (refused, or too large for the layout). */
  scan(body: Buffer, from: number, keyed: boolean): number;
  arrayStart(): number;
  arrayEnd(): number;
  /** The module's memory as 32-bit numbers; follower f's record starts at followerAt(f). */
  ints: Int32Array;
  followerAt(index: number): number;
  /** Key entry k starts at keyAt(k): its opening and closing quote, its value's start and end. */
  keyAt(index: number): number;
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
  const keys = value(exports.KEYS) / 4;
  const parse = exports.parse;
  return {
    scan(body, from, keyed) {
      if (body.length > inputCap) return -2;
      bytes.set(body, input);
      return parse(from, body.length, keyed ? 1 : 0);
    },
    arrayStart: exports.arrayStart,
    arrayEnd: exports.arrayEnd,
    ints,
    followerAt: (index) => followers + index * width,
    keyAt: (index) => keys + index * 4,
    LONG_NUMBER: value(exports.LONG_NUMBER),
    SPACED: value(exports.SPACED),
    ESCAPED_KEY: value(exports.ESCAPED_KEY),
  };
}

export const scanner: Scanner | undefined = load();
