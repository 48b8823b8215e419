/**
 * Followers over time, from the snapshots that `tkf export --db` records (`tkf history growth
 * --json` prints the same array): the followers the API served at each snapshot as a line, the
 * followers beyond its reach (on the profile, past the ~5,000 depth cap) as a band above it, and
 * a second chart of the followers added and gone per snapshot. The figures are also a table, so
 * every number is text.
 */
import { scaleBand, scaleLinear, scaleUtc } from 'd3-scale';
import { area, line } from 'd3-shape';
import { escapeHtml, formatCount, signedCount } from './html-text.js';
import { svg } from './svg-charts.js';

/** One snapshot of an account's history, oldest first: the shape of `tkf history growth --json`. */
export interface GrowthPoint {
  /** When the snapshot was taken (ISO 8601). */
  at: string;
  /** Followers the export held (what the API served). */
  followers: number;
  /** The profile's follower count at the time, when known. */
  on_profile: number | null;
  /** Followers new since the previous snapshot. */
  added: number;
  /**
   * Followers never seen before, below where the walk before ended: there all along, not new
   * (history's first_seen; reach.ts judgeNew). Absent: none.
   */
  first_seen?: number;
  /** Followers gone since the previous snapshot (within the reach of both). */
  removed: number;
  /** An --update's: `followers` is what a full walk would have served then, not what the API served (it served the new ones only). */
  estimated?: true;
  /** False for a snapshot that could not see who left (an --update): its `removed` is unknown. */
  sees_losses?: boolean;
  /** Followers known to follow that the API could not serve (past its depth cap), in all. */
  beyond_reach: number;
}

const WIDTH = 560;
const MARGIN = { top: 16, right: 16, bottom: 30, left: 64 };
const round = (n: number): string => String(Math.round(n * 10) / 10);
const day = (at: Date): string => at.toISOString().slice(0, 10);
/** To the second: snapshots of one minute (a batch, a test) are told apart. */
const when = (at: Date): string => at.toISOString().slice(0, 19).replace('T', ' ');
/** "-1 gone", or unknown for a snapshot that could not see who left (an --update, a walk gone on with after a pause). */
const gone = (point: GrowthPoint): string => (point.sees_losses === false ? 'gone unknown (an update, or a walk gone on with after a pause, sees no one leave)' : `${signedCount('-', point.removed)} gone`);

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/**
 * The time axis's labels, in UTC as the table: d3's default reads 12-hour clocks without AM/PM
 * ("02:29" for 14:29). Days as "Dec 03"; times as "14:00", the day before a time where the day
 * changes (the first label included); months as "Dec 2026" when every tick starts one.
 */
export function timeLabels(ticks: readonly Date[]): string[] {
  const atMidnight = ticks.every((t) => t.getUTCHours() === 0 && t.getUTCMinutes() === 0 && t.getUTCSeconds() === 0);
  const months = atMidnight && ticks.every((t) => t.getUTCDate() === 1);
  const dayOf = (t: Date) => `${MONTHS[t.getUTCMonth()]} ${two(t.getUTCDate())}`;
  return ticks.map((t, i) => {
    if (months) return `${MONTHS[t.getUTCMonth()]} ${t.getUTCFullYear()}`;
    if (atMidnight) return dayOf(t);
    const time = `${two(t.getUTCHours())}:${two(t.getUTCMinutes())}${t.getUTCSeconds() ? `:${two(t.getUTCSeconds())}` : ''}`;
    const before = ticks[i - 1];
    return before === undefined || dayOf(before) !== dayOf(t) ? `${dayOf(t)} ${time}` : time;
  });
}

/** The points that have a readable time, oldest first (as they came: the series is ordered). */
function readable(points: readonly GrowthPoint[]): Array<GrowthPoint & { time: Date }> {
  return points.map((point) => ({ ...point, time: new Date(point.at) })).filter((point) => !Number.isNaN(point.time.getTime()));
}

export function growthSection(points: readonly GrowthPoint[]): string {
  const series = readable(points);
  if (series.length === 0) return '';
  return (
    `<section class="wide growth" aria-labelledby="growth-title"><h2 id="growth-title">Followers over time</h2>` +
    `<div class="growth-charts"><figure>${followersChart(series)}<figcaption><span class="key served"></span> served by the API ` +
    `<span class="key beyond"></span> beyond its reach (on the profile)</figcaption></figure>` +
    `<figure>${changesChart(series)}<figcaption><span class="key added"></span> added <span class="key removed"></span> gone, per snapshot</figcaption></figure></div>` +
    growthTable(series) +
    `</section>`
  );
}

function followersChart(series: Array<GrowthPoint & { time: Date }>): string {
  const height = 260;
  const first = series[0]!.time;
  const last = series[series.length - 1]!.time;
  // One snapshot (or several at one instant) still needs a time axis with some width: a day
  // around it, the point in the middle (at the left edge, its label sat on the count axis's).
  const single = last.getTime() <= first.getTime();
  const domain = single ? [new Date(first.getTime() - 43_200_000), new Date(first.getTime() + 43_200_000)] : [first, last];
  const x = scaleUtc().domain(domain).range([MARGIN.left, WIDTH - MARGIN.right]);
  const top = Math.max(1, ...series.map((point) => Math.max(point.followers + point.beyond_reach, point.on_profile ?? 0)));
  const y = scaleLinear().domain([0, top]).nice().range([height - MARGIN.bottom, MARGIN.top]);
  const band = area<GrowthPoint & { time: Date }>()
    .x((point) => x(point.time))
    .y0((point) => y(point.followers))
    .y1((point) => y(point.followers + point.beyond_reach))(series);
  const served = line<GrowthPoint & { time: Date }>()
    .x((point) => x(point.time))
    .y((point) => y(point.followers))(series);
  // "0", not "0k": d3's SI format gives every tick the prefix of the largest.
  const siFormat = y.tickFormat(5, '~s');
  const yFormat = (tick: number) => (tick === 0 ? '0' : siFormat(tick));
  const yTicks = y
    .ticks(5)
    // Followers are whole: no 0.2 when there are none or one.
    .filter(Number.isInteger)
    .map(
      (tick) =>
        `<line class="grid" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${round(y(tick))}" y2="${round(y(tick))}"/>` +
        `<text class="tick" x="${MARGIN.left - 6}" y="${round(y(tick))}" text-anchor="end" dominant-baseline="central">${yFormat(tick)}</text>`,
    )
    .join('');
  // Whole seconds only: snapshots a second or two apart gave ticks every half second, each
  // labelled to the second ("03:47:21 03:47:21 03:47:22"). None left (all within a second): the first.
  const whole = x.ticks(5).filter((tick) => tick.getUTCMilliseconds() === 0);
  const times = whole.length ? whole : [x.domain()[0]!];
  const xLabels = timeLabels(times);
  const xTicks = times
    .map((tick, i) => `<text class="tick" x="${round(x(tick))}" y="${height - 8}" text-anchor="middle">${escapeHtml(xLabels[i]!)}</text>`)
    .join('');
  const dots = series
    .map(
      (point) =>
        `<circle class="served" cx="${round(x(point.time))}" cy="${round(y(point.followers))}" r="3">` +
        `<title>${when(point.time)}: ${point.estimated ? `about ${formatCount(point.followers)} served (an update: estimated)` : `${formatCount(point.followers)} served`}, ${formatCount(point.beyond_reach)} beyond reach</title></circle>`,
    )
    .join('');
  const lastPoint = series[series.length - 1]!;
  const label =
    `<text class="value" x="${round(x(lastPoint.time))}" y="${round(y(lastPoint.followers) - 10)}" text-anchor="end">${formatCount(lastPoint.followers)}</text>`;
  return svg(
    'Followers over time: served by the API, and beyond its reach',
    WIDTH,
    height,
    `${yTicks}${xTicks}<path class="beyond" d="${band ?? ''}"/><path class="served" d="${served ?? ''}"/>${dots}${label}`,
  );
}

function changesChart(series: Array<GrowthPoint & { time: Date }>): string {
  const height = 200;
  const x = scaleBand<number>()
    .domain(series.map((_, i) => i))
    .range([MARGIN.left, WIDTH - MARGIN.right])
    .padding(0.2);
  const most = Math.max(1, ...series.map((point) => Math.max(point.added, point.removed)));
  const y = scaleLinear().domain([-most, most]).nice().range([height - MARGIN.bottom, MARGIN.top]);
  const zero = y(0);
  // With few snapshots each bar carries its number; with many the table below has them.
  const labelled = series.length <= 14;
  const bars = series
    .map((point, i) => {
      const left = round(x(i)!);
      const width = round(x.bandwidth());
      const up = y(point.added);
      const down = y(-point.removed);
      const center = round(x(i)! + x.bandwidth() / 2);
      return (
        `<g><title>${when(point.time)}: ${signedCount('+', point.added)} added, ${gone(point)}</title>` +
        `<rect class="added" x="${left}" y="${round(up)}" width="${width}" height="${round(zero - up)}"/>` +
        `<rect class="removed" x="${left}" y="${round(zero)}" width="${width}" height="${round(down - zero)}"/>` +
        (labelled
          ? `<text class="tick" x="${center}" y="${round(up - 4)}" text-anchor="middle">${signedCount('+', point.added)}</text>` +
            `<text class="tick" x="${center}" y="${round(down + 12)}" text-anchor="middle">${point.sees_losses === false ? '–' : signedCount('-', point.removed)}</text>`
          : '') +
        `</g>`
      );
    })
    .join('');
  const siFormat = y.tickFormat(4, '~s');
  // Signed, as the bars' own labels: +1k added above the axis, -1k gone below it.
  const yFormat = (tick: number) => (tick === 0 ? '0' : tick > 0 ? `+${siFormat(tick)}` : `-${siFormat(-tick)}`);
  const ticks = y
    .ticks(4)
    .filter(Number.isInteger)
    .map((tick) => `<text class="tick" x="${MARGIN.left - 6}" y="${round(y(tick))}" text-anchor="end" dominant-baseline="central">${yFormat(tick)}</text>`)
    .join('');
  const first = series[0]!.time;
  const last = series[series.length - 1]!.time;
  const ends =
    `<text class="tick" x="${MARGIN.left}" y="${height - 8}">${day(first)}</text>` +
    (series.length > 1 ? `<text class="tick" x="${WIDTH - MARGIN.right}" y="${height - 8}" text-anchor="end">${day(last)}</text>` : '');
  return svg(
    'Followers added and gone per snapshot',
    WIDTH,
    height,
    `${ticks}<line class="axis" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${round(zero)}" y2="${round(zero)}"/>${bars}${ends}`,
  );
}

function growthTable(series: Array<GrowthPoint & { time: Date }>): string {
  const rows = series
    .map(
      (point) =>
        `<tr><td>${when(point.time)}</td>` +
        // An --update served its new followers only: the line there is what a full walk would
        // have served (growth-from-history.ts), not a count the API gave.
        (point.estimated
          ? `<td class="n" title="an update served only its new followers: what a full walk would have served then, estimated">≈ ${formatCount(point.followers)}</td>`
          : `<td class="n">${formatCount(point.followers)}</td>`) +
        `<td class="n">${point.on_profile === null ? '–' : formatCount(point.on_profile)}</td>` +
        `<td class="n">${signedCount('+', point.added)}</td><td class="n">${formatCount(point.first_seen ?? 0)}</td>` +
        `<td class="n">${point.sees_losses === false ? '–' : signedCount('-', point.removed)}</td>` +
        `<td class="n">${formatCount(point.beyond_reach)}</td></tr>`,
    )
    .join('');
  return (
    `<details${series.length <= 14 ? ' open' : ''}><summary>The snapshots as a table</summary><div class="scroll"><table class="growth">` +
    `<thead><tr><th>snapshot (UTC)</th><th class="n">served</th><th class="n">on profile</th><th class="n">added</th><th class="n" title="never seen before, below where the walk before ended: there all along">first seen</th><th class="n">gone</th><th class="n">beyond reach, in all</th></tr></thead>` +
    `<tbody>${rows}</tbody></table></div></details>`
  );
}
