/**
 * The uids already written, for de-duplication across pages.
 *
 * The choice: an exact set of the most recent `capacity` uids (default 100,000), with the oldest
 * forgotten first (a ring buffer beside the index). Its limits, written down as the issue asks:
 *
 * - Memory is bounded and flat: uids are decimal numbers of up to 19 digits (below 2^64), kept
 *   as two numbers in typed arrays (12 bytes a uid) with an open-addressing index (8 bytes a
 *   uid): about 2 MB at capacity, grown by doubling as it fills, and no heap object per uid. A string per uid
 *   (~100 bytes with its Set slot) lived for 100,000 followers, was promoted to the old
 *   generation and died there: at a million followers that churn alone cost ~60 MB of peak RSS
 *   (BENCHMARKS.md). A uid that is not such a number (never seen from the API, but possible) is
 *   kept as a string in a Map, in the same ring.
 * - De-duplication is exact for any list of up to `capacity` followers. TikTok serves only the
 *   newest ~5,000 (app API) or ~10,000 (web) followers of an account, so every real export fits
 *   ten times over and no duplicate ever gets through.
 * - Past `capacity`, a follower repeated more than `capacity` distinct followers after its first
 *   appearance would be written twice. The API's repeats are page-boundary ties and re-served
 *   recent pages, a few pages apart, so this needs a list far longer than TikTok serves.
 * - No false positives: a probabilistic filter (Bloom, cuckoo) would be smaller but would drop
 *   real followers now and then, which is data loss; a window never does.
 */
export const DEFAULT_SEEN_CAPACITY = 100_000;

const EMPTY = 0;
const INITIAL_SLOTS = 1024;

/** An index at most half full: the smallest power of two of at least twice the slots. */
function indexSize(slots: number): number {
  let size = 4;
  while (size < slots * 2) size *= 2;
  return size;
}
/** A uid as two exact numbers: the digits before the last nine, and the last nine. */
let parsedHigh = 0;
let parsedLow = 0;

/** Reads a canonical decimal of 1 to 19 digits into parsedHigh/parsedLow; false for anything else. */
function parseUid(uid: string): boolean {
  const n = uid.length;
  if (n === 0 || n > 19 || (n > 1 && uid.charCodeAt(0) === 48)) return false;
  const split = n - 9;
  let high = 0;
  let low = 0;
  for (let i = 0; i < n; i++) {
    const digit = uid.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return false;
    if (i < split) high = high * 10 + digit;
    else low = low * 10 + digit;
  }
  parsedHigh = high;
  parsedLow = low;
  return true;
}

function hash(high: number, low: number): number {
  let h = Math.imul(low, 0x9e3779b1) ^ Math.imul(high >>> 0, 0x85ebca77) ^ Math.floor(high / 4294967296);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 12);
}

export class SeenWindow {
  /** The ring: slot i holds a uid as (highs[i], lows[i]), or strings[i] when it is not numeric. */
  private highs: Float64Array;
  private lows: Uint32Array;
  private readonly strings = new Map<number, string>();
  private readonly byString = new Map<string, number>();
  /** Open addressing, linear probing: slot + 1 of a numeric uid, or EMPTY. */
  private index: Int32Array;
  private mask: number;
  private used = 0;
  private next = 0;

  constructor(readonly capacity: number = DEFAULT_SEEN_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    // Allocated as it fills (doubling), so a batch of many short lists does not pay for 100,000.
    const initial = Math.min(capacity, INITIAL_SLOTS);
    this.highs = new Float64Array(initial);
    this.lows = new Uint32Array(initial);
    this.index = new Int32Array(indexSize(initial));
    this.mask = this.index.length - 1;
  }

  /** Room for twice as many uids (up to the capacity): the ring copied, the index rebuilt. */
  private grow(): void {
    const slots = Math.min(this.capacity, this.highs.length * 2);
    const highs = new Float64Array(slots);
    const lows = new Uint32Array(slots);
    highs.set(this.highs);
    lows.set(this.lows);
    this.highs = highs;
    this.lows = lows;
    this.index = new Int32Array(indexSize(slots));
    this.mask = this.index.length - 1;
    for (let slot = 0; slot < this.used; slot++) {
      if (this.strings.has(slot)) continue;
      let i = hash(highs[slot]!, lows[slot]!) & this.mask;
      while (this.index[i] !== EMPTY) i = (i + 1) & this.mask;
      this.index[i] = slot + 1;
    }
  }

  get size(): number {
    return this.used;
  }

  has(uid: string): boolean {
    if (!parseUid(uid)) return this.byString.has(uid);
    return this.find(parsedHigh, parsedLow) >= 0;
  }

  /** Remembers a uid; returns false when it was already there. */
  add(uid: string): boolean {
    const numeric = parseUid(uid);
    const high = parsedHigh;
    const low = parsedLow;
    if (numeric ? this.find(high, low) >= 0 : this.byString.has(uid)) return false;
    let slot: number;
    if (this.used < this.capacity) {
      if (this.used === this.highs.length) this.grow();
      slot = this.used++;
    } else {
      slot = this.next;
      this.next = (this.next + 1) % this.capacity;
      this.forget(slot);
    }
    if (numeric) {
      this.highs[slot] = high;
      this.lows[slot] = low;
      let i = hash(high, low) & this.mask;
      while (this.index[i] !== EMPTY) i = (i + 1) & this.mask;
      this.index[i] = slot + 1;
    } else {
      this.strings.set(slot, uid);
      this.byString.set(uid, slot);
    }
    return true;
  }

  /** The position in the index of a numeric uid, or -1. */
  private find(high: number, low: number): number {
    for (let i = hash(high, low) & this.mask; ; i = (i + 1) & this.mask) {
      const entry = this.index[i]!;
      if (entry === EMPTY) return -1;
      const slot = entry - 1;
      if (this.lows[slot] === low && this.highs[slot] === high) return i;
    }
  }

  /** Drops the uid in a ring slot about to be reused. */
  private forget(slot: number): void {
    const text = this.strings.get(slot);
    if (text !== undefined) {
      this.strings.delete(slot);
      this.byString.delete(text);
      return;
    }
    let i = this.find(this.highs[slot]!, this.lows[slot]!);
    // Backward-shift deletion keeps every probe chain unbroken without tombstones.
    for (let j = i; ; ) {
      j = (j + 1) & this.mask;
      const entry = this.index[j]!;
      if (entry === EMPTY) break;
      const home = hash(this.highs[entry - 1]!, this.lows[entry - 1]!) & this.mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      this.index[i] = entry;
      i = j;
    }
    this.index[i] = EMPTY;
  }
}
