/**
 * The audience of one export at a glance: counts by region and language, verified accounts,
 * follower-count tiers, activity signals and the most-followed followers. One pass, one row at a
 * time, in constant memory: a few maps keyed by region and language codes (capped) and the top 20.
 *
 * The rules (also in the README's "Report" section, keep them in step):
 *   verified           custom_verify or enterprise_verify_reason is not empty (TikTok's badge text;
 *                      verification_type is 1 on ordinary accounts in the vendor's sample, so it
 *                      says nothing)
 *   no videos          aweme_count is 0
 *   follows far more   following_count is at least 100 and at least 10 times follower_count
 *   empty profile      no bio (signature) and a nickname that is empty or the handle (unique_id),
 *                      which is what TikTok gives an account nobody has edited
 *   likely inactive    no videos, and follows far more or has an empty profile
 */
import type { ReportField, ReportRow } from './report-row.js';

export const TIERS = [
  { key: '0', label: '0', min: 0 },
  { key: '1-99', label: '1–99', min: 1 },
  { key: '100-999', label: '100–999', min: 100 },
  { key: '1k-9.9k', label: '1k–9.9k', min: 1_000 },
  { key: '10k-99.9k', label: '10k–99.9k', min: 10_000 },
  { key: '100k+', label: '100k+', min: 100_000 },
] as const;

export type TierKey = (typeof TIERS)[number]['key'];

/** The tier of rows whose follower_count is missing or not a count (AudienceReport.tiers.unknown). */
export const UNKNOWN_TIER_LABEL = 'unknown';

export const ACTIVITY_SIGNALS = [
  { key: 'no_videos', label: 'no videos', needs: ['aweme_count'] },
  { key: 'following_far_more', label: 'follows 10x more', needs: ['following_count', 'follower_count'] },
  { key: 'empty_profile', label: 'empty profile', needs: ['signature', 'nickname', 'unique_id'] },
] as const satisfies ReadonlyArray<{ key: string; label: string; needs: readonly ReportField[] }>;

export type ActivityKey = (typeof ACTIVITY_SIGNALS)[number]['key'];

/** Following at least this many, and at least FOLLOWS_RATIO times one's own followers. */
export const FOLLOWS_FLOOR = 100;
export const FOLLOWS_RATIO = 10;
export const TOP_SIZE = 20;
/** How many most-followed followers are kept. */
/** Distinct region or language codes kept before the rest are counted as OTHER_KEY. */
export const MAX_CODES = 1_000;
export const UNKNOWN_KEY = 'unknown';
export const OTHER_KEY = 'other';

export interface TopFollower {
  uid: string;
  unique_id: string | null;
  nickname: string | null;
  follower_count: number;
}

/** What `tkf report --json` prints; a null section is one the export has no field for. */
export interface AudienceReport {
  /** The export read, or the history database (format 'history', its label: no password). */
  file: string;
  format: 'csv' | 'jsonl' | 'history';
  /** The exported account's uid, from the manifest `<file>.tkf.json` (or the history's --uid). */
  account: string | null;
  /**
   * Followers (rows) in the file; from a history database, the followers it says follow now (not
   * seen gone), as `tkf history` counts them.
   */
  followers: number;
  /** From a history database only: its last snapshot of the account (UTC). */
  as_of?: string;
  /** From a history database only: followers counted whom its last full walk (not an --update) was not served: past the API's reach. */
  beyond_reach?: number;
  /** The profile's follower count when it was exported, from the manifest. */
  on_profile: number | null;
  /** Region code -> followers, most first ("unknown": none given). */
  by_region: Record<string, number> | null;
  by_language: Record<string, number> | null;
  verified: number | null;
  /**
   * Rows by their own follower_count; `unknown`, only when there are some, the rows whose
   * follower_count is missing or not a count (-1, text), so the tiers add up to `followers`.
   */
  tiers: (Record<TierKey, number> & { unknown?: number }) | null;
  activity: Record<ActivityKey, number | null>;
  /** Likely inactive followers (see the rules above). */
  inactive: number | null;
  /** The most-followed followers, most first. */
  top: TopFollower[] | null;
  /** One line per section left out, naming the field the export does not hold. */
  left_out: string[];
}

const EMPTY_NAME = /^\s*$/;

export class AudienceCounter {
  private rows = 0;
  private readonly regions = new Map<string, number>();
  private readonly languages = new Map<string, number>();
  private verified = 0;
  private readonly tiers = TIERS.map(() => 0);
  /** Rows whose follower_count is missing or not a count: in no tier. */
  private uncounted = 0;
  private readonly activity: Record<ActivityKey, number> = { no_videos: 0, following_far_more: 0, empty_profile: 0 };
  private inactive = 0;
  /** Most first; a tie keeps the follower met first. */
  private readonly top: TopFollower[] = [];

  add(row: ReportRow): void {
    this.rows++;
    countCode(this.regions, row.region);
    countCode(this.languages, row.language);
    if (nonEmpty(row.custom_verify) || nonEmpty(row.enterprise_verify_reason)) this.verified++;
    const followers = row.follower_count;
    if (followers !== undefined) {
      let tier = TIERS.length - 1;
      while (followers < TIERS[tier]!.min) tier--;
      this.tiers[tier]!++;
      this.offerTop(row, followers);
    } else this.uncounted++;
    const noVideos = row.aweme_count === 0;
    const followsFarMore =
      row.following_count !== undefined && followers !== undefined && row.following_count >= FOLLOWS_FLOOR && row.following_count >= FOLLOWS_RATIO * followers;
    const emptyProfile =
      row.signature !== undefined && EMPTY_NAME.test(row.signature) && (row.nickname === undefined || EMPTY_NAME.test(row.nickname) || row.nickname === row.unique_id);
    if (noVideos) this.activity.no_videos++;
    if (followsFarMore) this.activity.following_far_more++;
    if (emptyProfile) this.activity.empty_profile++;
    if (noVideos && (followsFarMore || emptyProfile)) this.inactive++;
  }

  private offerTop(row: ReportRow, followers: number): void {
    const top = this.top;
    if (top.length === TOP_SIZE && followers <= top[top.length - 1]!.follower_count) return;
    let at = top.length;
    while (at > 0 && top[at - 1]!.follower_count < followers) at--;
    top.splice(at, 0, { uid: row.uid, unique_id: row.unique_id || null, nickname: row.nickname ?? null, follower_count: followers });
    if (top.length > TOP_SIZE) top.pop();
  }

  private tierCounts(): NonNullable<AudienceReport['tiers']> {
    const tiers = Object.fromEntries(TIERS.map((tier, i) => [tier.key, this.tiers[i]!])) as NonNullable<AudienceReport['tiers']>;
    if (this.uncounted > 0) tiers.unknown = this.uncounted;
    return tiers;
  }

  /** The report, leaving out each section whose fields `present` lacks. */
  result(present: ReadonlySet<ReportField>, file: { path: string; format: AudienceReport['format']; account: string | null; onProfile: number | null }): AudienceReport {
    const left_out: string[] = [];
    // A JSONL export's fields are known from its lines (a history's from its rows): one with none
    // lacks nothing (it has no followers to count, in any section); a CSV's are its header's.
    const unknown = file.format !== 'csv' && this.rows === 0;
    const has = (section: string, ...fields: ReportField[]): boolean => {
      const missing = unknown ? [] : fields.filter((field) => !present.has(field));
      if (missing.length) left_out.push(`${section}: the export has no ${missing.join(', ')} ${missing.length > 1 ? 'columns' : 'column'}`);
      return missing.length === 0;
    };
    const activity = {} as Record<ActivityKey, number | null>;
    for (const signal of ACTIVITY_SIGNALS) {
      activity[signal.key] = has(signal.label, ...signal.needs) ? this.activity[signal.key] : null;
    }
    const hasVerify = unknown || present.has('custom_verify') || present.has('enterprise_verify_reason');
    if (!hasVerify) left_out.push('verified: the export has no custom_verify column');
    return {
      file: file.path,
      format: file.format,
      account: file.account,
      followers: this.rows,
      on_profile: file.onProfile,
      by_region: has('regions', 'region') ? sortedCounts(this.regions) : null,
      by_language: has('languages', 'language') ? sortedCounts(this.languages) : null,
      verified: hasVerify ? this.verified : null,
      tiers: has('follower-count tiers', 'follower_count') ? this.tierCounts() : null,
      activity,
      inactive: ACTIVITY_SIGNALS.every((signal) => activity[signal.key] !== null) ? this.inactive : null,
      top: present.has('follower_count') ? this.top.map((entry) => ({ ...entry })) : null,
      left_out,
    };
  }
}

function nonEmpty(text: string | undefined): boolean {
  return text !== undefined && !EMPTY_NAME.test(text);
}

function countCode(counts: Map<string, number>, code: string | undefined): void {
  let key = code === undefined || EMPTY_NAME.test(code) ? UNKNOWN_KEY : code.trim();
  // A file of hostile values must not grow the map without bound: real codes are a few hundred.
  if (!counts.has(key) && counts.size >= MAX_CODES) key = OTHER_KEY;
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** Most first, then by code, so the same file always prints the same order. */
function sortedCounts(counts: Map<string, number>): Record<string, number> {
  const entries = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return Object.fromEntries(entries);
}

/** The first `n` entries and the sum of the rest (for "top 10 and the rest"). */
export function topAndRest(counts: Record<string, number>, n: number): { top: Array<[string, number]>; rest: number; restCodes: number } {
  const entries = Object.entries(counts);
  const rest = entries.slice(n);
  return { top: entries.slice(0, n), rest: rest.reduce((sum, [, count]) => sum + count, 0), restCodes: rest.length };
}
