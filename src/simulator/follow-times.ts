/**
 * Follow times of a simulated list. The API's cursor is follow time: `cursor=C` answers the
 * followers who followed strictly before C (Unix seconds), newest first, and `min_time` is the
 * follow time of a page's last follower (shared/api/README.md).
 *
 * Follower #i followed at `now - offset(i)`, offset non-decreasing in i. Up to 5 followers share a
 * second (ties), but never across a page boundary: the list is cut into blocks of pageSize
 * followers and block b lives in its own window of seconds [b*G, b*G + G) with G = 3*pageSize + 1,
 * wider than a block can need (steps are 0..3 s). So a page served from a real `min_time` always
 * starts on a fresh second and a strict "before C" loses nobody; ties sit inside pages. The fixed
 * windows also make both lookups O(pageSize), with no table of the whole list in memory.
 */
import { hashString, randomFor } from './seeded-random.js';

const SALT_TIMES = 0x74696d65;
/** TikTok's lists show ties, but we cap them: never more than this many followers in one second. */
const MAX_PER_SECOND = 5;

export interface FollowTimes {
  /** Follow time (Unix seconds) of follower #index. */
  timeOf(index: number): number;
  /** Index of the newest follower who followed strictly before `cursor` (cursor > 0). */
  firstBefore(cursor: number): number;
}

export function followTimes(seed: number, listUid: string, pageSize: number, now: number): FollowTimes {
  const listHash = hashString(listUid);
  const window = 3 * pageSize + 1;
  let cachedBlock = -1;
  let cachedOffsets = new Int32Array(pageSize);

  /** Offsets (seconds before now) of block b's followers, relative to the block's window. */
  function blockOffsets(block: number): Int32Array {
    if (block === cachedBlock) return cachedOffsets;
    const random = randomFor(SALT_TIMES, seed, listHash, block);
    const offsets = new Int32Array(pageSize);
    let run = 1;
    for (let j = 1; j < pageSize; j++) {
      const r = random();
      let step = r < 0.3 ? 0 : r < 0.75 ? 1 : r < 0.9 ? 2 : 3;
      if (step === 0 && run >= MAX_PER_SECOND) step = 1;
      run = step === 0 ? run + 1 : 1;
      offsets[j] = offsets[j - 1]! + step;
    }
    cachedBlock = block;
    cachedOffsets = offsets;
    return offsets;
  }

  return {
    timeOf(index) {
      const block = Math.floor(index / pageSize);
      return now - (block * window + blockOffsets(block)[index - block * pageSize]!);
    },
    firstBefore(cursor) {
      // time < cursor  <=>  offset > now - cursor  <=>  offset >= now - cursor + 1
      const wanted = now - cursor + 1;
      if (wanted <= 0) return 0;
      const block = Math.floor(wanted / window);
      const offsets = blockOffsets(block);
      for (let j = 0; j < pageSize; j++) {
        if (block * window + offsets[j]! >= wanted) return block * pageSize + j;
      }
      return (block + 1) * pageSize;
    },
  };
}

/** A run of `count` followers, from follower #at on, who all followed in the same second. */
export interface TiedRun {
  at: number;
  count: number;
}

/**
 * Follow times for a list with explicit tied seconds (UserScenario.ties): every follower is one
 * second older than the one before, except inside a run, whose followers share one second. Unlike
 * the block model above, a run may hold more followers than a page and straddle any page
 * boundary, which is what a popular account looks like (the vendor's sample page: 20 followers in
 * one second).
 */
export function tiedFollowTimes(now: number, ties: readonly TiedRun[]): FollowTimes {
  const runs = ties.map(({ at, count }) => ({ first: at, last: at + Math.max(1, count) - 1 }));
  const tiedSteps = runs.reduce((sum, run) => sum + run.last - run.first, 0);
  // time(i) = now - i + (steps j <= i that stay inside a run, i.e. first < j <= last)
  const timeOf = (index: number) => {
    let same = 0;
    for (const run of runs) if (index > run.first) same += Math.min(index, run.last) - run.first;
    return now - index + same;
  };
  return {
    timeOf,
    firstBefore(cursor) {
      // time is non-increasing in the index: the first index whose time is below the cursor.
      let low = 0;
      let high = Math.max(0, now - cursor + 1 + tiedSteps);
      while (low < high) {
        const middle = Math.floor((low + high) / 2);
        if (timeOf(middle) < cursor) high = middle;
        else low = middle + 1;
      }
      return low;
    },
  };
}
