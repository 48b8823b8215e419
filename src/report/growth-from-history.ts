/**
 * The history database's snapshots (`tkf history growth`, src/history/queries.ts) as the points of
 * the report's "followers over time" chart (growth-chart.ts).
 *
 * The two count different things, so this is a mapping, not a rename:
 * - the chart's line is what the API served at each snapshot (`served`);
 * - its band above the line is the followers known to follow still but past the API's reach:
 *   history's running `followers` (recorded and never seen gone, those beyond reach included)
 *   less what was served;
 * - added and gone per snapshot are history's `added` and `removed` (gone by the reach rule of
 *   src/diff/reach.ts). An `--update` snapshot cannot see who left (`sees_losses` false) and
 *   served only the new followers: its line carries on from the last full walk plus the added.
 */
import type { GrowthPoint as HistoryPoint } from '../history/queries.js';
import type { GrowthPoint } from './growth-chart.js';

export function growthFromHistory(points: readonly HistoryPoint[]): GrowthPoint[] {
  let served = 0;
  return points.map((point) => {
    served = point.sees_losses ? point.served : Math.min(point.followers, served + point.added);
    return {
      at: point.at,
      followers: served,
      on_profile: point.on_profile,
      added: point.added,
      removed: point.removed,
      beyond_reach: Math.max(0, point.followers - served),
    };
  });
}
