/**
 * The report as one self-contained HTML page: styles and the one small script inline, the system's
 * fonts, SVG charts drawn in Node (svg-charts.ts, growth-chart.ts). It loads nothing: a Content
 * Security Policy forbids every fetch (default-src 'none'), so it opens the same offline, from an
 * e-mail attachment or a file share. Only aggregates go in, never rows, so its size does not grow
 * with the export (a few tens of kB).
 */
import { ACTIVITY_SIGNALS, OTHER_KEY, TIERS, UNKNOWN_KEY, UNKNOWN_TIER_LABEL, topAndRest, type AudienceReport } from './audience.js';
import { growthSection, type GrowthPoint } from './growth-chart.js';
import { escapeHtml, formatCount, formatShare, profileUrl, shorten } from './html-text.js';
import { PAGE_SCRIPT, PAGE_STYLE } from './page-style.js';
import { utcMinute } from './render-text.js';
import { barChart, columnChart, donutChart, type Bar } from './svg-charts.js';

/** Names longer than this are cut for the page: a nickname is a stranger's, and its size is theirs. */
const NAME_LENGTH = 80;

export interface HtmlOptions {
  /** Snapshots of the account's history, oldest first (`tkf history growth --json`). */
  growth?: readonly GrowthPoint[];
  /** When the page was made; a parameter so that tests get the same page twice. */
  now?: Date;
}

export function renderHtml(report: AudienceReport, options: HtmlOptions = {}): string {
  const now = options.now ?? new Date();
  const name = report.file.split(/[\\/]/).pop() ?? report.file;
  const title = `Audience of ${report.account ?? name}`;
  const sections = [
    glance(report),
    codeSection('regions', 'Regions', report.by_region, report.followers),
    codeSection('languages', 'Languages', report.by_language, report.followers),
    tiersSection(report),
    activitySection(report),
    topSection(report),
    options.growth && options.growth.length ? growthSection(options.growth) : '',
    leftOut(report),
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="generator" content="tkf report">
<title>${escapeHtml(title)}</title>
<style>${PAGE_STYLE}</style>
<script>${PAGE_SCRIPT}</script>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${escapeHtml(name)} · ${report.format.toUpperCase()} · made ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC by tkf report</p>
<pre id="page-errors" hidden></pre>
</header>
<main>
${sections.filter(Boolean).join('\n')}
</main>
<footer><p>${report.format === 'history' ? `Counts are of the followers the history database knows to follow at its last snapshot (${utcMinute(report.as_of)}), each with its fields as last seen; those its last full walk was no longer served (past the API's reach: it serves only the newest few thousand followers of an account) are counted too.` : 'Counts are of the followers in the file: the API serves only the newest few thousand followers of an account.'} The rules for &ldquo;likely inactive&rdquo; are in tkf&rsquo;s README (Report).</p></footer>
<script>document.documentElement.setAttribute('data-rendered', 'yes');</script>
</body>
</html>
`;
}

function card(label: string, value: string, note = ''): string {
  return `<div class="card"><div class="card-value">${value}</div><div class="card-label">${label}</div>${note ? `<div class="card-note">${note}</div>` : ''}</div>`;
}

function glance(report: AudienceReport): string {
  const n = report.followers;
  const ofProfile = report.on_profile !== null ? `of ${formatCount(report.on_profile)} on the profile` : '';
  const cards =
    report.format === 'history'
      ? [card('followers known', formatCount(n), ofProfile)]
      : [card('followers in the file', formatCount(n), ofProfile)];
  if (report.beyond_reach) cards.push(card('past the reach', formatCount(report.beyond_reach), 'not served by the last full walk'));
  if (report.verified !== null) cards.push(card('verified', formatCount(report.verified), formatShare(report.verified, n)));
  if (report.inactive !== null) cards.push(card('likely inactive', formatShare(report.inactive, n), formatCount(report.inactive)));
  const topRegion = report.by_region && Object.entries(report.by_region).find(([code]) => code !== UNKNOWN_KEY && code !== OTHER_KEY);
  if (topRegion) cards.push(card('top region', escapeHtml(shorten(topRegion[0], 16)), formatShare(topRegion[1], n)));
  const topLanguage = report.by_language && Object.entries(report.by_language).find(([code]) => code !== UNKNOWN_KEY && code !== OTHER_KEY);
  if (topLanguage) cards.push(card('top language', escapeHtml(shorten(topLanguage[0], 16)), formatShare(topLanguage[1], n)));
  return `<section class="wide" aria-label="At a glance"><div class="cards">${cards.join('')}</div></section>`;
}

function codeSection(id: string, title: string, counts: Record<string, number> | null, whole: number): string {
  if (!counts) return '';
  const { top, rest, restCodes } = topAndRest(counts, 10);
  const bars: Bar[] = top.map(([code, value]) => ({ label: shorten(code, 16), value, muted: code === UNKNOWN_KEY || code === OTHER_KEY }));
  if (restCodes > 0) bars.push({ label: `${restCodes} more`, value: rest, muted: true });
  const distinct = Object.keys(counts).length;
  const subtitle = distinct > 10 ? `top 10 of ${formatCount(distinct)}` : `${distinct}`;
  return `<section id="${id}" aria-labelledby="${id}-title"><h2 id="${id}-title">${title} <small>${subtitle}</small></h2><figure>${barChart(`${title}: followers by code`, bars, whole)}</figure></section>`;
}

function tiersSection(report: AudienceReport): string {
  if (!report.tiers) return '';
  const tiers = report.tiers;
  const columns: Bar[] = TIERS.map((tier) => ({ label: tier.label, value: tiers[tier.key] }));
  if (tiers.unknown) columns.push({ label: UNKNOWN_TIER_LABEL, value: tiers.unknown, muted: true });
  return `<section id="tiers" aria-labelledby="tiers-title"><h2 id="tiers-title">Their own followers <small>followers of each follower</small></h2><figure>${columnChart('Followers by their own follower count', columns, report.followers)}</figure></section>`;
}

function activitySection(report: AudienceReport): string {
  const bars: Bar[] = ACTIVITY_SIGNALS.filter((signal) => report.activity[signal.key] !== null).map((signal) => ({
    label: signal.label,
    value: report.activity[signal.key]!,
  }));
  if (!bars.length) return '';
  const donut = report.inactive !== null ? donutChart('Likely inactive followers', report.inactive, report.followers, 'likely inactive') : '';
  return (
    `<section id="activity" aria-labelledby="activity-title"><h2 id="activity-title">Activity</h2>` +
    `<div class="activity">${donut ? `<figure class="ring">${donut}</figure>` : ''}<figure>${barChart('Activity signals', bars, report.followers)}</figure></div>` +
    `<p class="note">Likely inactive: no videos, and following at least 100 accounts and 10 times their own followers, or an empty profile (no bio, and no name but the handle).</p></section>`
  );
}

function topSection(report: AudienceReport): string {
  if (!report.top || report.top.length === 0) return '';
  const rows = report.top
    .map((entry, i) => {
      const handle = entry.unique_id
        ? `<a href="${escapeHtml(profileUrl(entry.unique_id))}" rel="noopener noreferrer" target="_blank"><bdi>@${escapeHtml(shorten(entry.unique_id, NAME_LENGTH))}</bdi></a>`
        : `<span class="uid">${escapeHtml(entry.uid)}</span>`;
      const name = entry.nickname ? `<div class="name"><bdi>${escapeHtml(shorten(entry.nickname, NAME_LENGTH))}</bdi></div>` : '';
      return `<tr><td class="n">${i + 1}</td><td class="n">${formatCount(entry.follower_count)}</td><td class="who">${handle}${name}</td><td class="uid">${escapeHtml(entry.uid)}</td></tr>`;
    })
    .join('');
  return (
    `<section class="wide" id="top" aria-labelledby="top-title"><h2 id="top-title">The ${report.top.length} most-followed followers <small>their reach</small></h2>` +
    `<div class="scroll"><table class="top"><thead><tr><th class="n">#</th><th class="n">followers</th><th>follower</th><th>uid</th></tr></thead>` +
    `<tbody>${rows}</tbody></table></div></section>`
  );
}

function leftOut(report: AudienceReport): string {
  if (!report.left_out.length) return '';
  return `<section class="wide" aria-label="Left out"><p class="note">Left out, because the export does not hold their fields:</p><ul class="note">${report.left_out.map((note) => `<li>${escapeHtml(note)}</li>`).join('')}</ul></section>`;
}
