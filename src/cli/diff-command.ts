/**
 * `tkf diff <old> <new>`: who followed and who left between two exports of one account. Rows go
 * to stdout (CSV unless --format) or to --out <file> through `<file>.part` and a rename; the
 * summary line goes to stderr, --json's counts to stdout.
 */
import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { TkfError, UsageError } from '../errors.js';
import { createChangeEncoder, type ChangeEncoder } from '../diff/change-encoder.js';
import { diffExports, type DiffCounts } from '../diff/diff-exports.js';
import { PAUSE_BLINDS_MS, endOfList, referenceShortfall, shortfall, type WalkEnd } from '../diff/reach.js';
import { openExport, type ExportFormat, type ExportSource } from '../output/export-reader.js';
import { againstManifest, incompletePlaces, readCheckpoint, updatedRows, type Checkpoint } from '../output/checkpoint.js';
import { FileTransaction } from '../output/file-transaction.js';
import { makeDirectory, outputPaths, refuseOverInput } from '../output/output-file.js';
import { dirname } from 'node:path';
import { ByteSink, formatForPath } from '../writers/index.js';
import { isRunning, lockOwner } from './api-access.js';
import type { CliContext } from './context.js';
import { formatCount, signedCount } from './progress.js';
import { formatDuration } from './progress-view.js';
import { chooseFormat as chooseExportFormat } from './resolve-job.js';
import { stdoutError, writeOut } from './stdout-errors.js';

/** The formats a diff writes (a change column needs a format that knows how to add one). */
const DIFF_FORMATS: readonly ExportFormat[] = ['csv', 'jsonl'];

interface DiffCommandOptions {
  out?: string;
  format?: ExportFormat;
  json?: boolean;
  force?: boolean;
  bom?: boolean;
  formulaGuard: boolean;
  quiet?: boolean;
}

const HELP = `
Each row is a follower who is new in <new> or missing from it, with a leading change column,
then the follower: a CSV input's own columns (the default export columns when both
inputs are JSONL), or in JSONL {"change":"added", ...the follower as exported}. Followers are
matched by uid; each input may be CSV or JSONL (by its extension), in any mix.

The API serves only the newest ~5,000 followers, counted from the newest one at the time of the
export, so a follower missing from <new> may still follow: the reach slid past them. change is:
  added         in <new>, not in <old> (a re-follow of someone already in <old> is unchanged)
  first_seen    in <new>, not in <old>, but below where <old>'s walk ended (its reach or
                --limit): a follower the older walk never reached, not a new one
  removed       gone: <new> saw that part of the list (its walk reached the end of the list, by
                its manifest <new>.tkf.json, short of the profile's count by no more than
                <old>, or the follower stood newer than the oldest follower both share)
  beyond_reach  missing, but where <new> did not see the list: counted apart, never as gone

Examples:
  Keep one full export a day, then see who came and who left:
  $ tkf export --uid 6754915036232582149 --out followers-2026-11-28.csv
  $ tkf diff followers-2026-11-27.csv followers-2026-11-28.csv > changes.csv
  +12 new, -3 gone (1,240 -> 1,249)
  $ tkf diff day1.jsonl day2.jsonl             a popular account: the reach slid by 299
  +300 new, -1 gone, 299 past the API's reach (1,000 -> 1,000)
  $ tkf diff followers-2026-11-27.csv followers-2026-11-28.csv --out changes.jsonl
  $ tkf diff old.jsonl new.jsonl --format jsonl | jq -r 'select(.change == "removed") | .unique_id'
  $ tkf diff old.csv new.csv --json            counts only, as JSON (rows only with --out <file>)

Exit codes:
    0  done
    2  bad usage (--json with --out -: both want stdout), or an input that is missing, unreadable
       or not a tkf export (file and line named),
       or exports of two different accounts (by their manifests) without --force
    7  the output cannot be written (a file, or stdout: a full disk), or exists without --force,
       or another tkf is writing it
`;

export function diffCommand(ctx: CliContext): Command {
  return new Command('diff')
    .description('compare two exports of one account: who followed since, who left')
    .argument('<old>', 'the earlier export (.csv, .jsonl or .ndjson)')
    .argument('<new>', 'the later export of the same account')
    .addOption(new Option('--out <file|->', 'write the rows to a file (.csv, .jsonl, .ndjson), or - for stdout (the default)'))
    .addOption(new Option('--format <format>', 'format of the rows (default: from the --out extension; csv for stdout)').choices(DIFF_FORMATS))
    .addOption(new Option('--json', 'print the counts as one JSON object on stdout (rows then go only to --out <file>)'))
    .addOption(new Option('--force', 'replace --out if it exists; compare exports of two different accounts'))
    .addOption(new Option('--bom', 'CSV: start with a UTF-8 byte order mark, so Excel shows Chinese text'))
    .addOption(new Option('--no-formula-guard', "CSV: don't neutralise cells starting with = + - @ (spreadsheet formulas)"))
    .addOption(new Option('-q, --quiet', 'print errors only (no summary line)'))
    .addHelpText('after', HELP)
    .action(async (oldPath: string, newPath: string, options: DiffCommandOptions) => {
      // Its passes stop at the next record on a signal (diffExports), the --out file unpublished.
      ctx.stopsOnSignal = true;
      const out = options.out ?? '-';
      const toFile = out !== '-';
      // [issue 21] --json owns stdout: rows there too would be lost (or garble the JSON), as for export.
      if (options.out === '-' && options.json) throw new UsageError('--json prints the counts on stdout, so the rows need --out <file>, not -');
      const format = chooseFormat(options.format, out);
      // Not over an export it compares (the rows renamed over it, its manifest left stale), --force or not.
      refuseOverInput('--out', out, [oldPath, newPath], 'an export it compares');
      const older = await openExport(oldPath);
      const newer = await openExport(newPath);
      const manifests = await readManifests([oldPath, newPath], (text) => ctx.stderr.write(text));
      if (!options.force) checkSameAccount(oldPath, newPath, toFile ? out : undefined, manifests);
      // Only 'complete' matters of the older one: it saw every follower, so nobody is first seen.
      const ends: Ends = await walkEnds(oldPath, newPath, (text) => ctx.stderr.write(text), manifests);
      // A whole list a few short, as many as those it would call gone at its end: cut, not left.
      ends.onCutEnd = (tail) => {
        ends.newerEnd = 'early';
        ctx.stderr.write(
          `tkf: warning: ${newPath}'s list ended ${formatCount(ends.newerShortBy!)} more short of its profile's count than ${oldPath}'s, and the ${formatCount(tail)} follower${tail === 1 ? '' : 's'} of ${oldPath} below its end would be called gone: taken as a list cut short (not called gone)\n`,
        );
      };
      ends.onOlderCutEnd = (tail) => {
        ctx.stderr.write(
          `tkf: warning: ${oldPath}'s list ended ${formatCount(ends.olderShortBy!)} more short of its profile's count than ${newPath}'s, and the ${formatCount(tail)} follower${tail === 1 ? '' : 's'} of ${newPath} below its end would be called new: taken as a list cut short (first seen, not new)\n`,
        );
      };
      // --json owns stdout: rows go only to a file, and without one only the counts are made.
      const rows = toFile || !options.json;
      const guardedInputs = rows ? guardedCsv([older, newer], manifests) : undefined;
      const encoder = rows ? createChangeEncoder([older, newer], { format, formulaGuard: options.formulaGuard, bom: Boolean(options.bom), guardedInputs }) : undefined;
      let counts: DiffCounts;
      if (!encoder) counts = await diffExports(older, newer, { signal: ctx.signal, ...ends });
      else if (toFile) counts = await diffToFile(older, newer, encoder, out, Boolean(options.force), ctx.signal, ends);
      else counts = await diffToStream(older, newer, encoder, ctx, ends);
      // Said when it changed a verdict: rows kept from before the update, or followers not called gone.
      if (ends.newerWalked !== undefined && (counts.kept_by_update || counts.beyond_reach)) {
        const walked = ends.newerWalked;
        ctx.stderr.write(
          `tkf: warning: ${newPath} was extended by --update: only its ${formatCount(walked)} new follower${walked === 1 ? '' : 's'} on top are its last walk's, which stopped at the followers it already held; the rows below are earlier walks', not seen again (an update cannot see who left): none of them is called new, and followers missing below where that walk stopped are not called gone\n`,
        );
      }
      if (options.json) ctx.jsonSaid = true;
      if (options.json) await writeOut(ctx.stdout, `${JSON.stringify({ ...counts, file: toFile ? out : null })}\n`);
      if (!options.quiet) ctx.stderr.write(`${summary(counts, ends.newerEnd)}\n`);
    });
}

/**
 * `+12 new, -3 gone (1,240 -> 1,249)`: the changes, then the distinct uids in <old> -> <new>;
 * `, 299 past the API's reach` before the parenthesis when some missing followers were not seen
 * (`past --limit` when the newer export stopped at its own --limit, short of the reach).
 */
function summary(counts: DiffCounts, newerEnd: WalkEnd): string {
  const past = newerEnd === 'limit' ? "past the newer export's --limit" : newerEnd === 'caught-up' ? "below where the newer export's --update stopped" : newerEnd === 'short' || newerEnd === 'early' ? 'below where the newer export ended short' : "past the API's reach";
  // Those in a tied second a walk had to step past are said as such: they stood inside the list, not below its end.
  const tied = counts.beyond_reach_in_ties ?? 0;
  const paused = counts.beyond_reach_paused ?? 0;
  const below = counts.beyond_reach - tied - paused;
  const reach =
    (below ? `, ${formatCount(below)} ${past}` : '') +
    (tied ? `, ${formatCount(tied)} in a tied second the newer export could not read` : '') +
    (paused ? `, ${formatCount(paused)} not seen go by the newer export, whose walk paused` : '');
  const tiedFirst = counts.first_seen_in_ties ?? 0;
  const deeperBelow = counts.first_seen - tiedFirst;
  const deeper =
    (deeperBelow ? `, ${formatCount(deeperBelow)} first seen below where the older export ended` : '') +
    (tiedFirst ? `, ${formatCount(tiedFirst)} first seen in a tied second the older export could not read` : '');
  const kept = counts.kept_by_update ? `, ${formatCount(counts.kept_by_update)} kept from before the update, not in the older export (not compared)` : '';
  return `${signedCount('+', counts.added)} new, ${signedCount('-', counts.removed)} gone${reach}${deeper}${kept} (${formatCount(counts.old)} -> ${formatCount(counts.new)})`;
}

/**
 * How each export's walk ended, from its manifest (`<file>.tkf.json`, field `end`): only
 * 'complete' proves the walk saw the whole list. No manifest, one that cannot be read, or one
 * that does not describe the file as it is (another size) is unknown: no proof. Nor is a list
 * that ended far short of what the API reports (exit 10, `short`): 'short', said once on stderr;
 * nor one that fell further short of its profile's count than the other export did ('early',
 * reach.ts endOfList), said too when it is <new>'s.
 */
async function walkEnds(oldPath: string, newPath: string, warn: (text: string) => void, manifests: Manifests): Promise<Ends> {
  const [older, newer] = await Promise.all([walkOf(oldPath, manifests), walkOf(newPath, manifests)]);
  if (newer?.short) {
    warn(
      `tkf: warning: ${newPath} ended far short of the list (${formatCount(newer.short.rows)} of the ${formatCount(newer.short.expected)} the API should serve): followers missing below its end are not called gone\n`,
    );
  }
  // Of walks to the end of the list only: one cut by the reach falls short by the followers past it.
  // And of a file --update extended: it holds every follower its walks saw, those who left since
  // too, so its shortfall is at most the list's, and only makes a newer list that fell short
  // 'early' sooner (a list cut 168 short of 2,088 called them all gone against an updated file).
  const counted = (walk: Checkpoint | undefined) => walk && !walk.short && (walk.end === 'complete' || updatedRows(walk) !== undefined);
  const reference = referenceShortfall([older, newer].map((walk) => (counted(walk) ? shortfall(walk!.rows, walk!.total) : undefined)));
  const endOf = (walk: Checkpoint | undefined): WalkEnd => (!walk ? undefined : walk.short ? 'short' : endOfList(walk.end, walk.rows, walk.total, reference));
  const newerEnd = endOf(newer);
  // A file --update extended: its first rows are its last walk's, the rest that walk did not see
  // again (followers who left since stay in it). Of its tied seconds' places, those among these
  // rows are the walk's (the rest are the earlier walks').
  const newerWalked = updatedRows(newer);
  const places = incompletePlaces(newer);
  const walkedPlaces = newerWalked === undefined ? places : places?.filter(([from, to]) => from < newerWalked && to <= newerWalked);
  const newerHoles = walkedPlaces?.length ? walkedPlaces : undefined;
  if (newerEnd === 'early') {
    // A tied second it stepped past may hold the followers it fell short by: said, as it may.
    const tied = newerHoles ? ' (it could not read the rest of a tied second, where some or all of them may be)' : '';
    warn(
      `tkf: warning: ${newPath}'s list ended at ${formatCount(newer!.rows)} of the ${formatCount(newer!.total!)} followers its profile counts${older?.total != null && older.end === 'complete' && !older.short ? `, ${formatCount(newer!.total! - newer!.rows)} short where ${oldPath}'s was ${formatCount(Math.max(0, older.total - older.rows))}` : ''}${tied}: too few to prove that followers missing below its end are gone\n`,
    );
  }
  // Gone on with after a long pause (its manifest's pausedMs): it calls nobody gone, as the history.
  const newerPaused = (newer?.pausedMs ?? 0) > PAUSE_BLINDS_MS;
  if (newerPaused) {
    warn(
      `tkf: warning: ${newPath}'s walk went on ${formatDuration(newer!.pausedMs!)} after it stopped: a follower who unfollowed and followed again meanwhile is missing from it though they follow, so nobody missing from it is called gone\n`,
    );
  }
  const olderHoles = incompletePlaces(older);
  // A whole list short of the other export's by a few (within the slack): how many, for the reach rule's cut end.
  const newerShortBy = newerEnd === 'complete' && reference !== undefined ? (shortfall(newer!.rows, newer!.total) ?? reference) - reference : undefined;
  const olderEnd = endOf(older);
  const olderShortBy = olderEnd === 'complete' && reference !== undefined ? (shortfall(older!.rows, older!.total) ?? reference) - reference : undefined;
  return {
    olderEnd,
    newerEnd,
    ...(newerHoles ? { newerHoles } : {}),
    ...(olderHoles ? { olderHoles } : {}),
    ...(newerWalked !== undefined ? { newerWalked } : {}),
    ...(newerShortBy ? { newerShortBy } : {}),
    ...(olderShortBy ? { olderShortBy } : {}),
    ...(newerPaused ? { newerPaused } : {}),
  };
}

/** The CSV inputs written with the formula guard: their manifests say so, and one without a manifest is taken as tkf export writes by default (as tkf report reads it). */
function guardedCsv(sources: readonly ExportSource[], manifests: Manifests): Set<string> {
  const guarded = new Set<string>();
  for (const source of sources) {
    if (source.format !== 'csv') continue;
    const manifest = manifests.get(source.path);
    if (manifest?.options.formulaGuard ?? true) guarded.add(source.path);
  }
  return guarded;
}

/** Each input's manifest (`<file>.tkf.json`), undefined where it has none or it cannot be read. */
type Manifests = ReadonlyMap<string, Checkpoint | undefined>;

/**
 * The two exports' manifests, read once. One that is there but cannot be read (another user's:
 * tkf writes manifests owner-only, the export readable by others) or is damaged is warned of, as
 * tkf report does, and the file compared as one without a manifest: the README promises a diff
 * of files without one (the end of a walk unknown, fewer followers called gone, never more),
 * so the diff is still true, but what the manifest would have said (whose followers, how the
 * walk ended, the formula guard) must not go missing in silence.
 */
async function readManifests(paths: readonly string[], warn: (text: string) => void): Promise<Manifests> {
  const manifests = new Map<string, Checkpoint | undefined>();
  for (const path of paths) {
    if (manifests.has(path)) continue;
    manifests.set(
      path,
      await readCheckpoint(outputPaths(path).manifest).catch((error: unknown) => {
        if (!(error instanceof TkfError)) throw error;
        warn(`tkf: warning: ${error.message}; ${path} is compared as an export without a manifest (whose followers it holds, how its walk ended and its formula guard unknown)\n`);
        return undefined;
      }),
    );
  }
  return manifests;
}

/** An export's finished manifest, when it describes the file as it is. */
async function walkOf(path: string, manifests: Manifests): Promise<Checkpoint | undefined> {
  const manifest = manifests.get(path);
  return (await againstManifest(path, manifest))?.state === 'same' ? manifest : undefined;
}

/**
 * Two exports of different accounts have nothing to compare: every follower would be "new".
 * Each finished export's manifest (`<file>.tkf.json`) says whose it is; without one, the files
 * are taken at their word.
 */
function checkSameAccount(oldPath: string, newPath: string, out: string | undefined, manifests: Manifests): void {
  const [older, newer] = [manifests.get(oldPath), manifests.get(newPath)];
  if (older && newer && older.options.uid !== newer.options.uid) {
    // --force also replaces an --out that exists: said, so that following this advice is not how it is lost.
    const replaces = out !== undefined && existsSync(out) ? ` (--force also replaces ${out}, which exists)` : '';
    throw new UsageError(
      `${oldPath} is an export of ${older.options.uid} and ${newPath} of ${newer.options.uid}: not one account; add --force to compare them anyway${replaces}`,
    );
  }
}

function chooseFormat(format: ExportFormat | undefined, out: string): ExportFormat {
  if (format) {
    // As tkf export's: a --format that contradicts --out's extension is refused.
    if (out !== '-') chooseExportFormat(format, out);
    return format;
  }
  if (out === '-') return 'csv';
  const byExtension = formatForPath(out)?.name;
  if (byExtension === 'csv' || byExtension === 'jsonl') return byExtension;
  if (byExtension === 'xlsx') throw new UsageError(`tkf diff writes .csv or .jsonl, not .xlsx; name --out <file>.csv or <file>.jsonl`);
  throw new UsageError(`cannot tell the format from "${out}"; name it .csv, .jsonl or .ndjson, or add --format csv|jsonl`);
}

/**
 * Runs the diff into a sink. The header goes out with the first row (or at the end when nothing
 * changed), so an input refused while its uids are read leaves stdout empty.
 */
async function writeChanges(
  older: ExportSource,
  newer: ExportSource,
  encoder: ChangeEncoder,
  sink: ByteSink,
  signal: AbortSignal,
  ends: Ends,
): Promise<DiffCounts> {
  let opened = false;
  const open = () => {
    if (opened) return;
    opened = true;
    const header = encoder.header();
    // A failed write is kept by the sink and thrown by the next write or flush.
    if (header) sink.writeBytes(header)?.catch(() => {});
  };
  const counts = await diffExports(older, newer, {
    onChange(change, record, source) {
      open();
      return sink.writeBytes(encoder.encode(change, record, source));
    },
    signal,
    ...ends,
  });
  open();
  return counts;
}

/** How each export's walk ended, by its manifest. */
interface Ends {
  newerEnd: WalkEnd;
  olderEnd: WalkEnd;
  /** Where <new>'s walk stepped past the rest of a tied second (reach.ts unseen). */
  newerHoles?: ReadonlyArray<readonly [number, number]>;
  olderHoles?: ReadonlyArray<readonly [number, number]>;
  /** <new> was extended by --update: its first this many rows are its last walk's. */
  newerWalked?: number;
  /** <new>'s whole list fell this many more short of its profile's count than <old>'s (diff-exports.ts). */
  newerShortBy?: number;
  /** Told when <new>'s end was taken as cut: its summary then says so (the end becomes 'early'). */
  onCutEnd?: (tail: number) => void;
  olderShortBy?: number;
  onOlderCutEnd?: (tail: number) => void;
  /** <new>'s walk went on after a long pause: nobody missing is called gone (diff-exports.ts). */
  newerPaused?: boolean;
}

async function diffToStream(older: ExportSource, newer: ExportSource, encoder: ChangeEncoder, ctx: CliContext, ends: Ends): Promise<DiffCounts> {
  const sink = new ByteSink(ctx.stdout);
  try {
    const counts = await writeChanges(older, newer, encoder, sink, ctx.signal, ends);
    await sink.flush();
    return counts;
  } catch (error) {
    // `tkf diff a.csv b.csv | head`: the reader left, not a failure; a full stdout is exit 7.
    throw stdoutError(error);
  }
}

/** Rows into `<out>.part`, renamed to `<out>` once complete; never half a file at `<out>`. */
async function diffToFile(
  older: ExportSource,
  newer: ExportSource,
  encoder: ChangeEncoder,
  out: string,
  force: boolean,
  signal: AbortSignal,
  ends: Ends,
): Promise<DiffCounts> {
  await makeDirectory(dirname(out)); // as tkf export makes --out's missing folders
  const file = await FileTransaction.open(out, { force, owner: lockOwner(), isRunning });
  const sink = new ByteSink(file.stream);
  try {
    const counts = await writeChanges(older, newer, encoder, sink, signal, ends);
    await sink.close();
    // Every pass has read both exports by now (<out> is never one of them: refuseOverInput).
    await file.commit();
    return counts;
  } catch (error) {
    throw await file.abort(error);
  }
}
