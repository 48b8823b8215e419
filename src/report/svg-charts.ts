/**
 * The report's charts as SVG strings, laid out by d3-scale (band and linear scales) and drawn by
 * d3-shape (arcs), with no DOM: Node builds the markup, the browser only shows it. Every number a
 * chart shows is SVG <text> (and each mark has a <title>), so screen readers, text search and tests
 * find the figures in the page's text. Sizes are in viewBox units; CSS scales the SVG to its box.
 */
import { scaleBand, scaleLinear } from 'd3-scale';
import { arc, pie, type PieArcDatum } from 'd3-shape';
import { escapeHtml, formatCount, formatShare } from './html-text.js';

export interface Bar {
  label: string;
  value: number;
  /** A muted bar (the rest, unknown). */
  muted?: boolean;
}

const WIDTH = 420;
const round = (n: number): string => String(Math.round(n * 10) / 10);

/** Horizontal bars, one row each, labelled on the left, count and share of `whole` on the right. */
export function barChart(title: string, bars: readonly Bar[], whole: number): string {
  const rowHeight = 30;
  const labelWidth = 136;
  const valueWidth = 112;
  const height = bars.length * rowHeight;
  const y = scaleBand<number>()
    .domain(bars.map((_, i) => i))
    .range([0, height])
    .paddingInner(0.25)
    .paddingOuter(0.1);
  const x = scaleLinear()
    .domain([0, Math.max(1, ...bars.map((bar) => bar.value))])
    .range([0, WIDTH - labelWidth - valueWidth]);
  const rows = bars.map((bar, i) => {
    const top = y(i)!;
    const middle = top + y.bandwidth() / 2;
    const width = x(bar.value);
    const text = `${formatCount(bar.value)} · ${formatShare(bar.value, whole)}`;
    return (
      `<g class="row${bar.muted ? ' muted' : ''}">` +
      `<title>${escapeHtml(bar.label)}: ${text}</title>` +
      `<text class="label" x="${labelWidth - 8}" y="${round(middle)}" text-anchor="end" dominant-baseline="central">${escapeHtml(bar.label)}</text>` +
      `<rect x="${labelWidth}" y="${round(top)}" width="${round(Math.max(width, bar.value > 0 ? 1 : 0))}" height="${round(y.bandwidth())}" rx="3"/>` +
      `<text class="value" x="${round(labelWidth + width + 6)}" y="${round(middle)}" dominant-baseline="central">${text}</text>` +
      `</g>`
    );
  });
  return svg(title, WIDTH, Math.max(height, rowHeight), rows.join(''));
}

/**
 * A column's label on two lines where it is a range ("10k–" over "99.9k"): seven tiers' labels on
 * one line ran into each other in a page 1,000 px wide.
 */
function labelLines(label: string, center: number): string {
  const [first, ...rest] = label.split(/(?<=–)/);
  if (!rest.length) return escapeHtml(label);
  return `<tspan x="${round(center)}">${escapeHtml(first!)}</tspan><tspan x="${round(center)}" dy="15">${escapeHtml(rest.join(''))}</tspan>`;
}

/** Vertical columns in a fixed order (the follower-count tiers), count on top, share below the label. */
export function columnChart(title: string, columns: readonly Bar[], whole: number): string {
  const height = 254;
  const top = 24;
  const bottom = 58;
  const x = scaleBand<number>()
    .domain(columns.map((_, i) => i))
    .range([0, WIDTH])
    .paddingInner(0.2)
    .paddingOuter(0.05);
  const y = scaleLinear()
    .domain([0, Math.max(1, ...columns.map((column) => column.value))])
    .range([height - bottom, top]);
  const marks = columns.map((column, i) => {
    const left = x(i)!;
    const center = left + x.bandwidth() / 2;
    const columnTop = y(column.value);
    return (
      `<g class="column${column.muted ? ' muted' : ''}">` +
      `<title>${escapeHtml(column.label)}: ${formatCount(column.value)} · ${formatShare(column.value, whole)}</title>` +
      `<rect x="${round(left)}" y="${round(columnTop)}" width="${round(x.bandwidth())}" height="${round(height - bottom - columnTop)}" rx="3"/>` +
      `<text class="value" x="${round(center)}" y="${round(columnTop - 6)}" text-anchor="middle">${formatCount(column.value)}</text>` +
      `<text class="label" x="${round(center)}" y="${height - bottom + 18}" text-anchor="middle">${labelLines(column.label, center)}</text>` +
      `<text class="share" x="${round(center)}" y="${height - bottom + 50}" text-anchor="middle">${formatShare(column.value, whole)}</text>` +
      `</g>`
    );
  });
  return svg(title, WIDTH, height, `<line class="axis" x1="0" x2="${WIDTH}" y1="${height - bottom}" y2="${height - bottom}"/>${marks.join('')}`);
}

/** A ring: `part` of `whole` highlighted, its share in the middle. */
export function donutChart(title: string, part: number, whole: number, caption: string): string {
  const size = 200;
  const slices = pie<number>().sort(null)([part, Math.max(0, whole - part)]);
  const ring = arc<PieArcDatum<number>>().innerRadius(62).outerRadius(92).padAngle(part > 0 && part < whole ? 0.02 : 0);
  const paths = slices.map((slice, i) => `<path class="${i === 0 ? 'part' : 'rest'}" d="${ring(slice) ?? ''}"/>`).join('');
  return svg(
    title,
    size,
    size,
    `<g transform="translate(${size / 2},${size / 2})">${paths}` +
      `<text class="big" y="-4" text-anchor="middle">${formatShare(part, whole)}</text>` +
      `<text class="share" y="18" text-anchor="middle">${formatCount(part)} ${escapeHtml(caption)}</text></g>`,
    'donut',
  );
}

export function svg(title: string, width: number, height: number, body: string, className = 'chart'): string {
  return (
    `<svg class="${className}" viewBox="0 0 ${width} ${round(height)}" role="group" aria-label="${escapeHtml(title)}">` +
    `<title>${escapeHtml(title)}</title>${body}</svg>`
  );
}
