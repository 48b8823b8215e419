/**
 * The uids already written, for de-duplication across pages.
 *
 * The choice: an exact Set of the most recent `capacity` uids (default 100,000), with the oldest
 * forgotten first (a ring buffer beside the Set). Its limits, written down as the issue asks:
 *
 * - Memory is bounded: about 100 bytes a uid (the string plus its Set slot), ~10 MB at capacity,
 *   whether the list holds ten thousand followers or ten million.
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

export class SeenWindow {
  private readonly set = new Set<string>();
  private readonly ring: string[] = [];
  private next = 0;

  constructor(readonly capacity: number = DEFAULT_SEEN_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  get size(): number {
    return this.set.size;
  }

  has(uid: string): boolean {
    return this.set.has(uid);
  }

  /** Remembers a uid; returns false when it was already there. */
  add(uid: string): boolean {
    if (this.set.has(uid)) return false;
    if (this.ring.length < this.capacity) {
      this.ring.push(uid);
    } else {
      this.set.delete(this.ring[this.next]!);
      this.ring[this.next] = uid;
      this.next = (this.next + 1) % this.capacity;
    }
    this.set.add(uid);
    return true;
  }
}
