/**
 * The history database's snapshots (`tkf history growth`, src/history/queries.ts) as the points of
 * the report's "followers over time" chart (growth-chart.ts).
 *
 * The two count different things, so this is a mapping, not a rename:
 * - the chart's line is what the API served at each snapshot (`served`);
 * - its band above the line is the followers known to follow still but past the API's reach:
 *   history's running `followers` (recorded and never seen gone, those beyond reach included)
 *   less what was served;
 * - first seen (the table only) is history's `first_seen`: never seen before, there all along;
 * - added and gone per snapshot are history's `added` and `removed` (gone by the reach rule of
 *   src/diff/reach.ts). An `--update` snapshot cannot see who left (`sees_losses` false: its gone
 *   is unknown, not 0) and served only the new followers: its line (`estimated`) is what the API would serve
 *   then. After a walk that reached the end of the list, that is the last full walk's plus the
 *   added; after one cut by the reach (or a --limit), the same number as then: the newest ones
 *   came on top and as many older ones slid past the reach (a line above the reach was drawn).
 */
import { RECENT_WALKS, endOfList, referenceShortfall, shortfall } from '../diff/reach.js';

import type { GrowthPoint as HistoryPoint } from '../history/queries.js';
import type { GrowthPoint } from './growth-chart.js';

export function growthFromHistory(points: readonly HistoryPoint[]): GrowthPoint[] {
  let served = 0;
  let whole = false;
  /** A snapshot came before: an --update's line carries on from it. */
  let walked = false;
  // The shortfalls of the latest walks to the end of the list, as the history judged each walk's end by them.
  const recent: Array<number | undefined> = [];
  return points.map((point) => {
    // A walk of the whole reach, even one gone on with after a pause (it cannot see who left,
    // but it served what it served); only an --update serves its new followers alone.
    const full = point.end !== 'update';
    if (point.end === 'complete') {
      const own = shortfall(point.served, point.on_profile);
      const reference = referenceShortfall([own, ...recent.slice(-RECENT_WALKS)]);
      recent.push(own);
      whole = endOfList(point.end, point.served, point.on_profile, reference) === 'complete';
    } else if (full) {
      whole = false;
    }
    if (full || !walked) {
      // The account's first snapshot an --update (the whole file it updated: record-snapshot.ts):
      // with no walk before to carry on from, what it recorded is the line (still an estimate).
      served = point.served;
    } else if (whole) {
      served = Math.min(point.followers, served + point.added);
    }
    walked = true;
    return {
      at: point.at,
      followers: served,
      ...(full ? {} : { estimated: true as const }),
      on_profile: point.on_profile,
      added: point.added,
      ...(point.first_seen ? { first_seen: point.first_seen } : {}),
      removed: point.removed,
      ...(point.sees_losses ? {} : { sees_losses: false }),
      beyond_reach: Math.max(0, point.followers - served),
    };
  });
}
