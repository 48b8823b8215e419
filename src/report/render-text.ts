/**
 * The report for a terminal: plain lines, no colour, shares with a bar of block characters, so it
 * reads the same in a pipe, a log and a terminal. Names from strangers are cleaned of control and
 * bidi characters first (a nickname must not move the cursor or reverse the rest of the line).
 */
import { UNSAFE_FOR_TERMINAL } from '../errors.js';
import { ACTIVITY_SIGNALS, TIERS, UNKNOWN_TIER_LABEL, topAndRest, type AudienceReport } from './audience.js';

export const count = (n: number): string => n.toLocaleString('en-US');
export const percent = (part: number, whole: number): string => (whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '-');

/** A stranger's text for one terminal line: unsafe characters as spaces, at most `max` characters. */
export function terminalText(text: string, max = 32): string {
  const chars = [...text.replace(UNSAFE_FOR_TERMINAL, ' ').trim()];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('');
}

const BAR_WIDTH = 20;
function bar(part: number, whole: number): string {
  return whole > 0 ? '█'.repeat(Math.round((BAR_WIDTH * part) / whole)) : '';
}

function table(rows: Array<[string, number]>, whole: number): string[] {
  const labelWidth = Math.max(...rows.map(([label]) => [...label].length));
  const countWidth = Math.max(...rows.map(([, n]) => count(n).length));
  return rows.map(([label, n]) => `  ${label.padEnd(labelWidth)}  ${count(n).padStart(countWidth)}  ${percent(n, whole).padStart(6)}  ${bar(n, whole)}`.trimEnd());
}

function codeSection(title: string, counts: Record<string, number>, whole: number): string[] {
  const { top, rest, restCodes } = topAndRest(counts, 10);
  const rows: Array<[string, number]> = top.map(([code, n]) => [terminalText(code, 16), n]);
  if (restCodes > 0) rows.push([`${restCodes} more`, rest]);
  const distinct = Object.keys(counts).length;
  return [`${title} (${distinct <= 10 ? distinct : `top 10 of ${distinct}`})`, ...table(rows, whole)];
}

export function renderText(report: AudienceReport): string {
  const n = report.followers;
  const lines: string[] = [];
  const profile = report.on_profile !== null ? ` (${count(report.on_profile)} on the profile)` : '';
  if (report.format === 'history') {
    // What a history database counts: not a file's rows, but who it says follows now.
    const beyond = report.beyond_reach ? `; ${count(report.beyond_reach)} of them not served by its last full walk (past the API's reach), counted with their fields as last seen` : '';
    lines.push(`${report.file}: ${count(n)} followers of account ${report.account} as the history knows them at its last snapshot, ${utcMinute(report.as_of)}${profile}${beyond}`);
  } else {
    lines.push(`${report.file}: ${count(n)} followers in the file${profile}${report.account ? `, account ${report.account}` : ''}`);
  }
  if (report.by_region) lines.push('', ...codeSection('Regions', report.by_region, n));
  if (report.by_language) lines.push('', ...codeSection('Languages', report.by_language, n));
  if (report.verified !== null) lines.push('', `Verified accounts: ${count(report.verified)} (${percent(report.verified, n)})`);
  if (report.tiers) {
    const tiers = report.tiers;
    const rows: Array<[string, number]> = TIERS.map((tier) => [tier.label, tiers[tier.key]]);
    if (tiers.unknown) rows.push([UNKNOWN_TIER_LABEL, tiers.unknown]);
    lines.push('', 'Their own follower counts', ...table(rows, n));
  }
  const signals = ACTIVITY_SIGNALS.filter((signal) => report.activity[signal.key] !== null);
  if (signals.length) {
    const rows: Array<[string, number]> = signals.map((signal) => [signal.label, report.activity[signal.key]!]);
    if (report.inactive !== null) rows.push(['likely inactive (rules: README, Report)', report.inactive]);
    lines.push('', 'Activity', ...table(rows, n));
  }
  if (report.top && report.top.length) {
    lines.push('', `The ${report.top.length} most-followed followers`);
    const width = count(report.top[0]!.follower_count).length;
    report.top.forEach((entry, i) => {
      const handle = entry.unique_id ? `@${terminalText(entry.unique_id, 24)}` : entry.uid;
      const name = entry.nickname ? `  ${terminalText(entry.nickname)}` : '';
      lines.push(`  ${String(i + 1).padStart(2)}  ${count(entry.follower_count).padStart(width)}  ${handle}${name}`);
    });
  }
  if (report.left_out.length) lines.push('', 'Left out (the export does not hold their fields):', ...report.left_out.map((note) => `  ${note}`));
  return `${lines.join('\n')}\n`;
}

/** 2026-12-04T03:00:12.345Z as 2026-12-04 03:00 UTC. */
export function utcMinute(at: string | undefined): string {
  return at === undefined ? 'unknown' : `${at.slice(0, 16).replace('T', ' ')} UTC`;
}
