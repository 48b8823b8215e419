/**
 * Small deterministic randomness for the simulator. Every "random" choice (a nickname, a tie, a
 * duplicate, a fault) is drawn from a generator seeded by what it is about (seed, list, index,
 * request number), never from shared mutable state, so the same options and the same request
 * sequence give the same bytes, and a page can be rendered in any order (or cached).
 */

/** mulberry32: a 32-bit state PRNG, fast and good enough for test data. Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Combines 32-bit values into one well-spread 32-bit value (murmur3's finaliser per step). */
export function mix(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const value of values) {
    h = Math.imul(h ^ (value >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** FNV-1a over a string's UTF-16 code units: turns a uid into a seed. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A generator for one purpose: `salt` keeps draws for different purposes independent. */
export function randomFor(salt: number, ...values: number[]): () => number {
  return mulberry32(mix(salt, ...values));
}
