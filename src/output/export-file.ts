/**
 * One export to a file as a transaction: the lock, `<out>.part` and its writer, the uid log, the
 * checkpointer and the counts, behind open / write a page / commit / abort (see output-file.ts
 * for the files).
 *
 * After each page the order is what makes a crash at any instant resumable:
 *   1. the page's rows go to <out>.part, its uids to <out>.part.uids;
 *   2. both are handed to the OS (a killed process cannot lose them after that);
 *   3. only then the checkpoint is replaced (fsynced, atomically) by one that counts them.
 * The checkpoint therefore never claims more than the files hold, and resume cuts the files back
 * to what it claims (and refuses files shorter than that: something else cut them).
 *
 * Every write's failure reaches the caller as one OutputError (exit 7) naming the file and the
 * reason, the lock is released, and the checkpoint on disk stays the last good one.
 */
import { open, stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { WriteJob } from '../export/job.js';
import { ApiUnavailableError, BudgetSpentError, InterruptedError, OutputError, RunStoppedError, UsageError } from '../errors.js';
import { ByteSink, RecordWriter, type EncoderOptions, type FormatDefinition } from '../writers/index.js';
import { checkpointOptions, describeMismatch, incompletePlaces, isRewalkMark, readCheckpoint, writeCheckpoint, type Checkpoint, type CheckpointOptions, type Reentry } from './checkpoint.js';
import { Checkpointer } from './checkpointer.js';
import { flushFailure, realDisk, type Disk } from './disk.js';
import type { LockOwner, WaitWhileHeld } from './lock.js';
import { FileTransaction } from './file-transaction.js';
import { checkDirectory, exists, outputPaths, removeAll, wasPublished, type OutputPaths } from './output-file.js';
import { countPage, type Aborted, type ExportCounts, type PageTarget, type PageToWrite, type TargetResult, type WalkStart } from './page-target.js';
import { toOutputError } from './fs-errors.js';
import { cutBackTo } from './resume-point.js';
import { openExport } from './export-reader.js';
import { appendFrom, encoderAfter, pageNewest, prepareUpdate, type UpdateBase } from './update-base.js';
import { DEPTH_CAP, PAGE_SIZE } from '../api/list-facts.js';
import { formatCount } from '../count-text.js';

/**
 * At most four checkpoints a second: each is a file written, fsynced and renamed (five system
 * calls through the thread pool and a disk flush), and the local simulator serves ~1,000 pages a
 * second (464 checkpoints in a 100k export, 39 now). A kill -9 costs at most the pages of that
 * quarter second again; Ctrl-C, a failure and the end drain at once. Not longer: the pause lets
 * the walk run faster, and its page bodies then pile up between collections (a 1 s pause measured
 * +4 MB of peak RSS on Node 20 and +15 MB on Node 24 against none; 250 ms +2-3 MB on Node 20).
 */
const CHECKPOINT_SPACING_MS = 250;

/**
 * 'go-on': resume an interrupted walk whose options are these, else start a new one that replaces
 * <out> (--db without --out: the staging file is tkf's, and a night's run should neither stop at
 * a walk the night before left, nor throw away the pages it paid for).
 */
export type OpenMode = 'new' | 'force' | 'resume' | 'update' | 'go-on';

export interface ExportFileSpec {
  path: string;
  mode: OpenMode;
  uid: string;
  /** The run's job: its format, encoder, --limit, and (--update) the encoder options it named itself. */
  job: WriteJob;
  owner: LockOwner;
  isRunning: (pid: number, startTicks?: number) => boolean;
  onLockWait?: (lockPath: string, host?: string) => void;
  /** Another tkf holds the output's lock: wait for it (a batch under --resume). */
  waitWhileHeld?: WaitWhileHeld;
  disk?: Disk;
  onResume?: (checkpoint: Checkpoint) => void;
  /** --resume over a short --force walk's mark (Checkpoint.rewalk): the account is walked again from the start. */
  onRewalk?: (mark: Checkpoint) => void;
  /** --update: the manifest of the file being updated (what the file holds until it is replaced). */
  onUpdate?: (manifest: Checkpoint) => void;
  /** tkf's own file (--db's staging file): an interrupted walk past --limit is replaced, even under --resume. */
  own?: boolean;
  /** --resume of tkf's own file: a walk of it completed before this time (ISO 8601) is an earlier run's: a new walk replaces it. */
  staleBefore?: string;
}

export class ExportFile implements PageTarget {
  from: WalkStart | null = null;
  private part: RecordWriter | undefined;
  /** <out>.part's stream (flushFailure reads it). */
  private partStream: Writable | undefined;
  private uidLog: ByteSink | undefined;
  private streams: Writable[] = [];
  private checkpointer: Checkpointer;
  private pendingUids: string[] = [];
  /** Between pages (not halfway through writing one), the state may be checkpointed. */
  private atPageBoundary = false;
  /** The file's rows before the page written last in this run (countPage's tied seconds). */
  private pageBefore: number | undefined;
  private createdPartFiles = false;
  private cursor: number | null = 0;
  /** Where a resumed walk re-enters the tied second the cursor is inside (pager.ts), if it is. */
  private reenter: Reentry | undefined;
  /** Whether the finished export may replace an existing <out>: --force, or a resumed --force run. */
  private replace = false;
  /** The longest pause between this walk's interruption and a --resume (Checkpoint.pausedMs). */
  private pausedMs = 0;
  private readonly totals: ExportCounts = { rows: 0, requests: 0, duplicates: 0, total: undefined, end: 'complete', incompleteSeconds: [] };
  /** What the file held before this run: a checkpoint's counts on resume. */
  private base = { rows: 0, bytes: 0, uidsBytes: 0, requests: 0 };
  private options: CheckpointOptions;
  private readonly paths: OutputPaths;
  private readonly disk: Disk;
  /** The lock, <out>.part and its publishing (file-transaction.ts): what every written file shares. */
  private tx: FileTransaction | undefined;
  private update: UpdateBase | undefined;
  /** --update: rows an earlier update published and was stopped before its manifest said (finishPublishedUpdate). */
  private recoveredAdded = 0;
  /** Followers the update's pages held that the file already had (this run's). */
  private knownSkipped = 0;
  /** The follow time the walk's last page came down to (its data.min_time), this run's. */
  private lastMinTime: number | undefined;
  /** --update: the follow seconds of pages that held followers the file has (metFileAt). */
  private readonly secondsWithKnown = new Set<number>();
  /** The columns, BOM and guard rows are written with (--update takes them from the file). */
  private encoder: EncoderOptions;
  /** Follow time of the newest follower written (see update-base.ts): kept in the manifest. */
  private newest: number | undefined;
  /** An update that can never finish (the depth cap above the file's rows): nothing to keep. */
  private discard = false;
  /** A new export's first checkpoint, written while its first page is fetched, is not yet waited for. */
  private firstCheckpointPending = false;
  /** The mark a short --force walk of this file left (Checkpoint.rewalk), which this walk's checkpoints replace. */
  private rewalk: Checkpoint | undefined;

  private constructor(private readonly spec: ExportFileSpec) {
    this.paths = outputPaths(spec.path);
    this.disk = spec.disk ?? realDisk;
    this.options = checkpointOptions(spec.uid, spec.job.format, spec.job.encoder);
    this.encoder = spec.job.encoder;
    this.checkpointer = new Checkpointer(this.paths.checkpoint, undefined, this.disk, CHECKPOINT_SPACING_MS);
    this.replace = spec.mode === 'force' || spec.mode === 'go-on';
  }

  /**
   * Opens the export for writing, or finds it already complete (a finished export that --resume
   * is asked to continue: cron may run twice; that is an answer, not an error).
   */
  static async open(spec: ExportFileSpec): Promise<ExportFile | TargetResult> {
    const file = new ExportFile(spec);
    await checkDirectory(file.paths.out);
    let mode = spec.mode;
    // Nothing to update and nothing interrupted to finish: a full export.
    if (mode === 'update' && !(await exists(file.paths.out)) && !(await interruptedWalk(file.paths))) mode = 'new';
    // An interrupted walk beside it is said as such (openExport): `--resume` is then the answer,
    // and for --db's staging file (emptied, kept) the only one.
    if (mode === 'new' && (await exists(file.paths.out)) && !(await interruptedWalk(file.paths))) {
      throw new OutputError(`${file.paths.out} already exists; use --force to replace it when the new export completes`, { advised: true });
    }
    file.tx = await FileTransaction.lock(file.paths.out, { owner: spec.owner, isRunning: spec.isRunning, onLockWait: spec.onLockWait, waitWhileHeld: spec.waitWhileHeld });
    try {
      const done = mode === 'update' ? await file.openUpdate() : await file.openExport(mode);
      if (done) await file.releaseLock();
      return done ?? file;
    } catch (error) {
      // Half opened (a full disk at the first checkpoint, say): the same clean-up as any abort.
      throw (await file.abort(error, 0)).error;
    }
  }

  private async openExport(mode: OpenMode): Promise<TargetResult | undefined> {
    const { paths } = this;
    // A damaged checkpoint of tkf's own staging file is no reason to stop every night: a new walk.
    const read = mode === 'go-on' ? await readCheckpoint(paths.checkpoint).catch(() => undefined) : await readCheckpoint(paths.checkpoint);
    // The mark of a --force walk that ended far short and was not kept (commit) is no walk to go on
    // from: to every run but a --resume it is as if there were no checkpoint.
    this.rewalk = read?.rewalk ? read : undefined;
    const saved = this.rewalk ? undefined : read;
    const limit = this.spec.job.limit;
    // An interrupted walk that already holds more rows than this --limit, with pages left to
    // fetch: going on would publish them all as a walk that ended at the limit. tkf's own staging
    // file starts anew (go-on, and --resume of an interrupted --db batch); --resume of a file of
    // the user's own says so (below). A walk that was complete (its cursor at the end) is finished.
    const pastLimit = saved !== undefined && saved.cursor !== null && limit !== undefined && saved.rows > limit;
    // tkf's own staging file whose part files are gone (deleted): a new walk, not a failure every night.
    const missing = saved && (mode === 'go-on' || mode === 'new') ? await this.missingPart(saved) : undefined;
    if (mode === 'go-on') mode = saved && !saved.update && !pastLimit && !missing && !describeMismatch(saved.options, this.options) ? 'resume' : 'force';
    if (mode === 'resume' && pastLimit && this.spec.own && !saved.update) {
      mode = 'force';
      this.replace = true;
    }
    // An interrupted --update: its part file holds only the new rows, to go on top of <out>;
    // finishing it as an export would replace the file with them. --resume goes on with the update.
    if (saved?.update && mode === 'resume') return this.openUpdate();
    if (saved && mode === 'new') {
      // Its rows gone with a part file deleted since: --resume would fail (resume-point.ts), so only --force is said.
      throw new OutputError(
        missing
          ? `an interrupted export of ${paths.out} is there, but its ${missing} is missing: it cannot be resumed; use --force to start again`
          : `an interrupted export of ${paths.out} is there (${formatCount(saved.rows)} rows); use --resume to continue it or --force to start again`,
        { advised: true },
      );
    }
    const resumeFrom = mode === 'resume' ? saved : undefined;
    const started = resumeFrom ?? (mode === 'resume' ? this.rewalk : undefined);
    if (started) {
      // The encoding options this run did not name (defaults, the config file) are the interrupted
      // export's, as for --update: a config file changed between the stop and the resume refused
      // the resume ("it was started with --bom") though the resume command named none.
      this.encoder = encoderAfter(this.spec.job, started.options);
      this.options = checkpointOptions(this.spec.uid, this.spec.job.format, this.encoder);
      const mismatch = describeMismatch(started.options, this.options);
      if (mismatch) throw new UsageError(`cannot resume ${paths.out}: it was started ${mismatch.startsWith('with') ? '' : 'with '}${mismatch}`);
    }
    if (started && started === this.rewalk) {
      // --resume after a --force walk whose list ended far short: that walk was not kept, so there
      // is nothing to go on from, and <out> is not what the --force run was asked for. The account
      // is walked again from the start, as --force, and <out> replaced only by a complete walk
      // (commit); found complete instead, the short walk was never retried.
      mode = 'force';
      this.replace = true;
      this.spec.onRewalk?.(this.rewalk);
    }
    if (resumeFrom) {
      // A crash between publishing <out> and cleaning up: the export is complete, finish that.
      if (resumeFrom.cursor === null && (await wasPublished(paths, this.spec.job.format.render ? resumeFrom.updated : undefined))) {
        this.base.rows = resumeFrom.rows;
        return { ...(await this.finishPublished(resumeFrom)), alreadyComplete: true };
      }
    }
    if (mode === 'resume' && !saved && this.spec.own && this.spec.staleBefore !== undefined && (await exists(paths.out))) {
      // An earlier run's walk (recorded then), not one of the run this --resume finishes, which
      // had not come to this account: walked now, as that run would have.
      const manifest = await readCheckpoint(paths.manifest).catch(() => undefined);
      if (manifest && manifest.cursor === null && manifest.updated < this.spec.staleBefore) {
        mode = 'force';
        this.replace = true;
      }
    }
    if (mode === 'resume' && !saved && (await exists(paths.out))) {
      const manifest = await readCheckpoint(paths.manifest);
      if (!manifest || describeMismatch(manifest.options, this.options)) {
        throw new OutputError(`${paths.out} exists and is not an interrupted export of these options: nothing to resume (use --force to export again)`, { advised: true });
      }
      // A uid log without its checkpoint (a kill -9 as a published walk cleaned up) is nobody's:
      // this run holds the lock, and no walk goes on from a log without a checkpoint.
      await removeAll(paths.uids);
      return { ...resultOf(manifest), file: paths.out, resumedRows: manifest.rows, alreadyComplete: true };
    }
    // Beside a short --force walk's mark, a part file is that walk's, which was not kept (a crash
    // between the mark and its removal: commit): no rows of an interrupted walk, and replaced.
    if ((mode === 'resume' || mode === 'new') && !saved && !this.rewalk) await this.refuseOrphanPart();
    if (resumeFrom && pastLimit) {
      throw new UsageError(
        `cannot resume ${paths.out}: the interrupted export holds ${formatCount(resumeFrom.rows)} rows, more than --limit ${limit}; resume it with a --limit of at least ${resumeFrom.rows} (or none), or start again with --force`,
      );
    }
    const seenUids = resumeFrom ? await this.takeUp(resumeFrom, 'complete') : [];
    await this.openFiles(this.spec.job.format, resumeFrom);
    const remaining = limit === undefined ? undefined : Math.max(0, limit - this.base.rows);
    // (A walk whose cursor reached the end before it was published keeps the end it saved.)
    if (remaining === 0 && this.cursor !== null) this.totals.end = 'limit';
    if (this.cursor !== null && remaining !== 0) {
      this.from = { startCursor: this.cursor, seenUids, limit: remaining, rowsBefore: this.base.rows, ...(this.reenter ? { reenter: this.reenter } : {}) };
    }
    return undefined;
  }

  /**
   * An interrupted export's <out>.part whose checkpoint is gone (deleted): its rows cannot be
   * resumed, and a new export would write over them without a word (400 rows once). Said, with
   * --force to start again; a part file of nothing but a header (a run killed at its start) is
   * no loss and is replaced.
   */
  private async refuseOrphanPart(): Promise<void> {
    const size = await stat(this.paths.part).then((info) => info.size, () => undefined);
    if (!size) return;
    // A CSV's header is its first line, whatever columns that run had (--fields, --bom): rows
    // are what follows it. Other formats' part files hold rows from their first byte.
    if (this.spec.job.format.name === 'csv') {
      const handle = await open(this.paths.part, 'r');
      try {
        const head = Buffer.alloc(Math.min(size, 64 * 1024));
        const { bytesRead } = await handle.read(head, 0, head.length, 0);
        const end = head.subarray(0, bytesRead).indexOf(10);
        if (end === -1 || end + 1 >= size) return;
      } finally {
        await handle.close();
      }
    }
    throw new OutputError(
      `${this.paths.part} holds an interrupted export's rows, but its checkpoint ${this.paths.checkpoint} is gone: it cannot be resumed; use --force to export again (it is replaced)`,
      { advised: true },
    );
  }

  /**
   * Which of a walk's part files is gone, interrupted on its way: <out>.part, or its uid log when
   * it counts any; then it cannot be resumed. None for a finished walk (cursor null): its part file
   * went into <out>, and --resume finishes it.
   */
  private async missingPart(saved: Checkpoint): Promise<string | undefined> {
    if (saved.cursor === null) return undefined;
    if (!(await exists(this.paths.part))) return this.paths.part;
    return saved.uidsBytes > 0 && !(await exists(this.paths.uids)) ? this.paths.uids : undefined;
  }

  /**
   * --update: whether the walk met followers the file holds at follow second `second`, one of the
   * file's (at or below its newest follow time): below there, the list is the file's.
   */
  private metFileAt(second: number): boolean {
    const newest = this.update?.manifest.newest;
    return typeof newest === 'number' && newest > 0 && second <= newest && this.secondsWithKnown.has(second);
  }

  /** --update: the file's manifest decides format, columns, BOM and guard; new rows go on top. */
  private async openUpdate(): Promise<TargetResult | undefined> {
    // An interrupted export of this file (a first full export, or a --force one, stopped by the
    // budget, a signal or a failure) owns <out>.part: the update finishes it instead, as
    // --resume would, so that the same cron line run night after night gets there.
    let interrupted = await readCheckpoint(this.paths.checkpoint);
    // A short --force walk's mark (Checkpoint.rewalk) has no pages to finish: the file it left is
    // a complete one, which the update builds on (and whose next checkpoint takes the mark's place;
    // an update that is not published puts it back: abort).
    if (interrupted?.rewalk) {
      this.rewalk = interrupted;
      interrupted = undefined;
    }
    if (interrupted && !interrupted.update) return this.continueInterrupted(interrupted);
    // An update published (<out>.part renamed to <out>) and stopped before its manifest was
    // written (kill -9, a power cut): its manifest is written now, and this update goes on from it.
    if (interrupted && (await this.finishPublishedUpdate(interrupted))) interrupted = undefined;
    this.update = await prepareUpdate(this.paths, this.spec.uid, this.spec.job);
    const { manifest, encoder, format, known, caughtUp } = this.update;
    this.spec.onUpdate?.(manifest);
    this.options = manifest.options;
    this.encoder = encoder;
    // An update an earlier run of this line began and was stopped (the budget, a signal, a
    // failure) goes on where its checkpoint stands, as long as <out> is still the file it builds
    // on, and its part files are there (deleted, they hold no rows to go on from); otherwise the
    // update starts again from the top (<out> was never touched): its pages, not a full export.
    const resumeFrom =
      interrupted?.update?.rows === manifest.rows && interrupted.update.bytes === manifest.bytes && !(await this.missingPart(interrupted)) ? interrupted : undefined;
    let seenUids: string[] = [];
    if (resumeFrom) seenUids = await this.takeUp(resumeFrom, 'caught-up');
    else {
      this.base = { rows: manifest.rows, bytes: 0, uidsBytes: 0, requests: 0 };
      this.newest = manifest.newest ?? undefined;
      // The file's tied seconds and their places (in the file as it is) come first; the places of
      // those this update finds follow, counted from the top (manifestAfterUpdate).
      const places = incompletePlaces(manifest);
      Object.assign(this.totals, { total: manifest.total ?? undefined, end: 'caught-up', incompleteSeconds: manifest.incompleteSeconds ?? [], ...(places ? { incompleteAt: places } : {}) });
    }
    await this.openFiles(format, resumeFrom);
    if (this.cursor !== null) {
      this.from = { startCursor: this.cursor, seenUids, known: (uid) => known.has(uid), caughtUp, ...(this.reenter ? { reenter: this.reenter } : {}) };
    }
    return undefined;
  }

  /**
   * Takes up an interrupted export's (or update's) checkpoint: its part files cut back to what it
   * counts, its counts, cursor and follow time; returns the uids written so far. `end`: how the
   * walk ends when the checkpoint says nothing (a walk still going).
   */
  private async takeUp(saved: Checkpoint, end: ExportCounts['end']): Promise<string[]> {
    this.spec.onResume?.(saved);
    const seenUids = await cutBackTo(this.paths, saved);
    this.checkpointer = new Checkpointer(this.paths.checkpoint, saved, this.disk, CHECKPOINT_SPACING_MS);
    this.base = { rows: saved.rows, bytes: saved.bytes, uidsBytes: saved.uidsBytes, requests: saved.requests };
    Object.assign(this.totals, {
      duplicates: saved.duplicates,
      total: saved.total ?? undefined,
      end: (saved.end as ExportCounts['end'] | null) ?? end,
      incompleteSeconds: saved.incompleteSeconds ?? [],
      ...(saved.incompleteAt ? { incompleteAt: saved.incompleteAt } : {}),
      ...(saved.short ? { short: saved.short } : {}),
    });
    this.cursor = saved.cursor;
    this.newest = saved.newest ?? undefined;
    // Every resume re-enters the second of its cursor from its start: the interrupted run may
    // have been answered pages it never wrote (the checkpoint lags up to a quarter second, and kill -9
    // loses the answer in flight), and an API with a hidden offset has moved past them. Without
    // evidence of a tied second this costs about one request; a cursor 0 has nothing to re-enter.
    this.reenter = saved.reenter ?? (saved.cursor !== null && saved.cursor > 0 ? { second: saved.cursor, pages: 0 } : undefined);
    // A --force export, interrupted, still replaces the file when --resume finishes it.
    this.replace ||= saved.replace === true;
    // How long the walk stood still (Checkpoint.pausedMs): the longest of its pauses.
    const paused = Math.max(0, Date.now() - Date.parse(saved.updated));
    this.pausedMs = Math.max(saved.pausedMs ?? 0, Number.isFinite(paused) ? paused : 0);
    return seenUids;
  }

  /**
   * Opens the uid log and <out>.part: at the lengths of the checkpoint taken up, or new (with the
   * header and a first checkpoint). From here the state may be checkpointed.
   */
  private async openFiles(format: FormatDefinition, resumed: Checkpoint | undefined): Promise<void> {
    this.createdPartFiles = !resumed;
    this.uidLog = new ByteSink(await this.openStream(this.paths.uids, resumed?.uidsBytes, 0o600));
    this.part = new RecordWriter(await this.openPart(resumed?.bytes), format.createEncoder(this.encoder), { writeHeader: !resumed });
    // A new export's first checkpoint (its options, nothing walked) is written while the first
    // request goes out, not before it: fsynced and renamed, it took ~8 ms of each account's start
    // in the night's batch. A crash before it lands leaves part files without a checkpoint, which
    // the next run starts afresh over (as it would over this one: it holds no row). The first
    // page waits for it (writePage): a write that fails stops the export there, nothing written
    // or published, two or three requests paid (the first page's, and those led from it).
    if (!resumed) {
      this.save(0, true);
      this.firstCheckpointPending = true;
    }
    this.atPageBoundary = true;
  }

  /**
   * --update over an interrupted export: options the run did not name come from its checkpoint
   * (as they come from the manifest for an update); named ones must agree, or it is refused as a
   * --resume would be. The file is replaced only when that export completes.
   */
  private async continueInterrupted(interrupted: Checkpoint): Promise<TargetResult | undefined> {
    this.encoder = encoderAfter(this.spec.job, interrupted.options);
    this.options = checkpointOptions(this.spec.uid, this.spec.job.format, this.encoder);
    return this.openExport('resume');
  }

  counts(requests: number): ExportCounts {
    return { ...this.totals, rows: this.base.rows + this.part!.rows, requests: this.base.requests + requests };
  }

  /** The part file's writer is new each run: its rows are this run's. */
  get runRows(): number {
    return this.part?.rows ?? 0;
  }

  async writePage(page: PageToWrite, requests: number): Promise<void> {
    // A new export's first checkpoint is on disk before its first page is written: it was being
    // written while that page was fetched, and a failure to write it stops the export here. The
    // drain also cuts short the pause after it, so this page's own checkpoint is written at once.
    if (this.firstCheckpointPending) {
      this.firstCheckpointPending = false;
      await this.checkpointer.drain();
    }
    this.atPageBoundary = false;
    const before = this.base.rows + this.part!.rows;
    this.knownSkipped += page.known ?? 0;
    if (page.minTime !== undefined && page.minTime > 0) {
      this.lastMinTime = page.minTime;
      if (this.update && (page.known ?? 0) > 0) this.secondsWithKnown.add(page.minTime);
    }
    await this.part!.writeAll(page.followers);
    const newest = pageNewest(page);
    if (newest !== undefined && (this.newest === undefined || newest > this.newest)) this.newest = newest;
    if (this.uidLog) for (const follower of page.followers) this.pendingUids.push(follower.uid);
    // A second is told tied by the page after its own at the latest (an exclusive cursor's second
    // ask): its unread rest stands after the page before this one, or after a resumed file's rows.
    // An update that steps past the rest of a tied second after it met the file's followers in it
    // leaves none unread: the rest is the file's (its newest second, read whole when the file was
    // written). Said incomplete, --db recorded a hole there, and the next walk called followers
    // it found in it first seen instead of added.
    const fileHolds = (second: number) => this.metFileAt(second) && !(this.update?.manifest.incompleteSeconds ?? []).includes(second);
    const counted = this.update && page.tiedSecond !== undefined && fileHolds(page.tiedSecond) ? { ...page, tiedSecond: undefined } : page;
    // An update's rows go on top of the file, in the order walked: its places count from there.
    const top = this.update ? this.update.manifest.rows : 0;
    countPage(this.totals, counted, [Math.min(this.pageBefore ?? this.base.rows, before) - top, this.base.rows + this.part!.rows - top]);
    this.pageBefore = before;
    this.cursor = page.next;
    this.reenter = page.reenter;
    this.atPageBoundary = true;
    this.save(requests);
  }

  async commit(requests: number): Promise<TargetResult> {
    if (this.update) return this.commitUpdate(requests);
    this.cursor = null;
    this.save(requests, true);
    await this.checkpointer.drain();
    await Promise.all([this.part!.close(), this.uidLog!.close()]);
    const last = this.checkpointer.saved!;
    // --force replaces <out> only with a complete export: a list that ended far short (exit 10, an
    // API throttling or broken) is not one, and published over the file it lost a whole one (a
    // nightly cron's --force onto one name kept 60 of yesterday's 3,000 rows). The short walk is
    // not kept (the list's newest followers only; its exit 10 says to run again). tkf's own
    // staging file is replaced as before. Its checkpoint becomes the mark (Checkpoint.rewalk) that
    // has the same command with --resume walk the account again, where it found <out> complete
    // and the short walk was never retried. Written before the part files go, so that no crash
    // leaves this finished walk's checkpoint without its part file, which --resume would take for
    // a walk published, and give <out> the short walk's manifest.
    if (last.short && this.replace && !this.spec.own && (await exists(this.paths.out))) {
      await writeCheckpoint(this.paths.checkpoint, rewalkMark(last, last.short), this.disk);
      await this.tx!.discard(this.paths.uids);
      await this.releaseLock();
      return { ...resultOf(last), file: null, keptOld: this.paths.out, resumedRows: this.base.rows, requests: last.requests };
    }
    await this.tx!.publish(this.replace, this.spec.job.format.render);
    return this.finishPublished(last);
  }

  /** The last checkpoint stays as the export's manifest (whose, which format, how long). */
  private async finishPublished(last: Checkpoint): Promise<TargetResult> {
    await writeCheckpoint(this.paths.manifest, last, this.disk);
    await removeAll(this.paths.checkpoint, this.paths.uids, this.paths.part);
    await this.releaseLock();
    return { ...resultOf(last), file: this.paths.out, resumedRows: this.base.rows, requests: last.requests };
  }

  /**
   * Whether `saved`, the last checkpoint of an update, is of an update already published: <out>.part
   * is gone into <out>, the manifest is still the one the update built on, and <out> is its header,
   * new rows, then the old file's rows (they end exactly where the old file's bytes began, each
   * uid once). The checkpoint lags the walk (it is written every few seconds), so the new manifest
   * counts <out>'s rows itself; the newest follow time is the checkpoint's (the update's first page
   * gave it) or the old one: never too high. Then that manifest is written and the leftovers
   * removed (true). Anything else is left to the update's usual checks.
   */
  private async finishPublishedUpdate(saved: Checkpoint): Promise<boolean> {
    if (!saved.update || !(await wasPublished(this.paths))) return false;
    const manifest = await readCheckpoint(this.paths.manifest).catch(() => undefined);
    if (!manifest || manifest.cursor !== null || manifest.rows !== saved.update.rows || manifest.bytes !== saved.update.bytes) return false;
    const header = this.spec.job.format.createEncoder(encoderAfter(this.spec.job, manifest.options)).header() ?? Buffer.alloc(0);
    const size = await stat(this.paths.out).then((info) => info.size, () => -1);
    const oldRowsAt = size - (manifest.bytes - header.length);
    if (size <= manifest.bytes || oldRowsAt < header.length) return false;
    const handle = await open(this.paths.out, 'r');
    try {
      const head = Buffer.alloc(header.length + 1);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      const before = Buffer.alloc(1);
      await handle.read(before, 0, 1, oldRowsAt - 1);
      if (bytesRead < header.length || !head.subarray(0, header.length).equals(header) || before[0] !== 0x0a) return false;
    } finally {
      await handle.close();
    }
    let rows = 0;
    const uids = new Set<string>();
    try {
      for await (const record of (await openExport(this.paths.out, manifest.options.format)).records()) {
        rows++;
        uids.add(record.uid);
      }
    } catch {
      return false; // not a file tkf reads back: the usual checks say so
    }
    if (rows !== uids.size || rows <= manifest.rows) return false;
    const counts = {
      rows,
      requests: saved.requests,
      duplicates: saved.duplicates,
      total: saved.total,
      newest: saved.newest ?? manifest.newest ?? null,
      end: 'caught-up' as const,
      incompleteSeconds: saved.incompleteSeconds ?? manifest.incompleteSeconds ?? [],
      ...(saved.incompleteAt ? { incompleteAt: saved.incompleteAt } : {}),
    };
    await writeCheckpoint(this.paths.manifest, manifestAfterUpdate(manifest, counts, size), this.disk);
    await removeAll(this.paths.part, this.paths.uids, this.paths.checkpoint);
    this.recoveredAdded = rows - manifest.rows;
    return true;
  }

  private async commitUpdate(requests: number): Promise<TargetResult> {
    const { manifest, headerBytes } = this.update!;
    const part = this.part!;
    // A walk whose last page came down to the file's follow times, the file's followers met at
    // that second (its newest, or one of that second), passed every follower newer than the file:
    // the cap or the end that came next leaves no gap. (999 new followers and the file's newest as
    // the 1,000th row served, the cap after it, was exit 6 with advice to --force.) Pages of that
    // second with new followers only are no such proof: the second may hold more of them.
    if ((this.totals.end === 'cap' || this.totals.end === 'complete') && this.lastMinTime !== undefined && this.metFileAt(this.lastMinTime)) {
      this.totals.end = 'caught-up';
    }
    const counts = this.counts(requests);
    // New followers in <out>.part: this run's and those of the runs it went on from.
    const added = counts.rows - manifest.rows;
    // The list is newest first: only a walk below the file's newest follow time (or the end of
    // the list) shows that nothing lies between the new rows and the old ones. The depth cap before
    // that point would leave a silent gap in the middle of the file, so the file stays as it was
    // (and the update's checkpoint goes: running it again could only end the same way).
    if (this.totals.end === 'cap') {
      this.discard = true;
      throw new ApiUnavailableError(
        `${this.paths.out} was not updated: the API stopped serving (its depth cap) after ${added} new followers, before the newest follower already in the file; followers in between cannot be fetched, so run a full export with --force`,
      );
    }
    // The end of the list before that point is the end only if the list is about that long: an
    // API that ended it after 2 pages of 3,000 had the update publish 40 new followers as all,
    // and its manifest's newest follow time then hid the 60 in between from every update after.
    // (The profile's count, as a full export's short list is judged: walk-verdicts.ts confirmEnd.)
    const served = added + this.knownSkipped;
    const expected = counts.total === null || counts.total === undefined ? undefined : Math.min(counts.total, DEPTH_CAP);
    if (this.totals.end === 'complete' && manifest.rows > 0 && expected !== undefined && served * 2 < expected && expected - served > PAGE_SIZE) {
      this.discard = true;
      throw new ApiUnavailableError(
        `${this.paths.out} was not updated: the list ended after ${served.toLocaleString('en-US')} followers, far below the ${expected.toLocaleString('en-US')} the API reports, before the newest follower already in the file (the API may be throttling or broken); run the same --update again later`,
      );
    }
    // The walk is over: no checkpoint may be written after this (one in flight is waited for).
    await this.checkpointer.drain();
    this.atPageBoundary = false;
    if (added === 0) await this.closeStreams();
    else {
      await Promise.all([part.close(), this.uidLog!.close()]);
      // The old rows, after the old header, follow the new ones. A crash while they are copied
      // leaves the checkpoint, which cuts <out>.part back to the new rows.
      await appendFrom(this.paths.out, headerBytes, this.paths.part);
      await this.tx!.publish(true, this.spec.job.format.render);
    }
    // The rows of an update published by a run stopped before its manifest (finishPublishedUpdate)
    // are new too: nothing has recorded them (--db records the first `added` rows of the file).
    const newRows = added + this.recoveredAdded;
    const next = manifestAfterUpdate(manifest, { ...counts, total: counts.total ?? null, newest: this.newest ?? null }, manifest.bytes + this.base.bytes + part.bytes - headerBytes);
    await writeCheckpoint(this.paths.manifest, { ...next, updateAdded: newRows }, this.disk);
    await removeAll(this.paths.part, this.paths.uids, this.paths.checkpoint);
    await this.releaseLock();
    // resumedRows: what the file and the earlier runs of this update held (lost effort counts the rest).
    return { ...counts, file: this.paths.out, resumedRows: this.base.rows, added: newRows };
  }

  /**
   * Interrupted, out of budget, a full disk, or the API gave up: the pages written so far are
   * good, so the newest state is checkpointed before the files close (never halfway through a
   * page); when nothing is worth resuming, no litter is left.
   */
  async abort(error: unknown, requests: number): Promise<Aborted> {
    try {
      if (this.atPageBoundary && !this.discard && !flushFailure(this.partStream)) this.save(requests, true);
    } catch {
      // the checkpoint on disk stays the last good one
    }
    await this.checkpointer.drain().catch(() => {});
    await this.closeStreams();
    // The disk failed to keep bytes of <out>.part (a background flush, disk.ts syncingFs): they
    // cannot be trusted, so nothing is kept to resume from, and that failure is the one said
    // (it may have come after another stop, a budget or a signal, during the close).
    const failedFlush = flushFailure(this.partStream);
    if (failedFlush) {
      error = failedFlush;
      this.discard = true;
      await this.dropCheckpoint();
    }
    if (this.update) {
      // An update keeps its checkpoint once a page moved it on: the same --update goes on from it.
      const walked = this.checkpointer.saved !== undefined && this.checkpointer.saved.cursor !== 0;
      if (this.discard || (this.createdPartFiles && !walked)) await this.dropCheckpoint();
    } else if (this.createdPartFiles && this.checkpointer.savedRows === 0 && !(isResumableStop(error) && this.checkpointer.saved?.requests)) {
      // A stop that is told to --resume (a signal, the budget, the run's refusal) keeps its
      // checkpoint even before the first page: the resumed run then counts the requests this one
      // reported, instead of "0 earlier" (issue 21: 186 said, 184 counted).
      await this.dropCheckpoint();
    }
    await this.releaseLock();
    // Before the part file was opened (a lock held, a mismatch), nothing was written.
    const counts = this.part ? this.counts(requests) : { ...this.totals, rows: this.base.rows, requests: this.base.requests + requests };
    return { error: toOutputError(error, this.paths.part), counts };
  }

  /**
   * Nothing of this walk is kept: its part files go, and its checkpoint too, unless it took the
   * place of a short --force walk's mark (Checkpoint.rewalk), which is put back: a walk (or an
   * --update) that got nowhere or is thrown away still leaves the file owed a complete walk, and
   * without the mark --resume found the old file complete ("already complete", exit 0).
   */
  private async dropCheckpoint(): Promise<void> {
    if (this.rewalk) {
      if (await writeCheckpoint(this.paths.checkpoint, this.rewalk, this.disk).then(() => true, () => false)) {
        await this.tx?.discard(this.paths.uids);
        return;
      }
      // The mark could not be put back (a full disk): the walk's own checkpoint, which counts no
      // rows and replaces <out> only when complete, stays with the part files it counts, and
      // --resume walks from it as it would from the mark. Without them it was refused ("<out>.part
      // is missing ... deleted?"). Not a walk whose bytes the disk failed to keep, nor an update
      // thrown away: those go as before.
      if (!this.discard && !this.update) return;
    }
    await this.tx?.discard(this.paths.checkpoint, this.paths.uids);
  }

  /**
   * After each page, when no checkpoint is being written: the page's uids go to the uid log
   * (gathered until then: one write instead of one a page), and the state is handed to the
   * checkpointer, which writes it once the rows and uids it counts are on disk.
   */
  private save(requests: number, force = false): void {
    if (!this.uidLog || (!force && !this.checkpointer.idle)) return;
    if (this.pendingUids.length) {
      void this.uidLog.writeBytes(Buffer.from(`${this.pendingUids.join('\n')}\n`, 'latin1'));
      this.pendingUids = [];
    }
    // Both flushes get a handler at once: one failing first must not leave the other unhandled.
    const ready = Promise.all([settle(() => this.part!.flush()), settle(() => this.uidLog!.flush())]);
    this.checkpointer.mark(this.state(requests), ready);
  }

  private state(requests: number): Checkpoint {
    const counts = this.counts(requests);
    return {
      version: 1,
      tool: 'tkf',
      options: this.options,
      cursor: this.cursor,
      end: this.cursor === null ? counts.end : null,
      rows: counts.rows,
      bytes: this.base.bytes + this.part!.bytes,
      uidsBytes: this.base.uidsBytes + this.uidLog!.bytes,
      requests: counts.requests,
      duplicates: counts.duplicates,
      total: counts.total ?? null,
      incompleteSeconds: counts.incompleteSeconds,
      ...(counts.incompleteAt ? { incompleteAt: counts.incompleteAt } : {}),
      newest: this.newest ?? null,
      ...(this.cursor !== null && this.reenter ? { reenter: this.reenter } : {}),
      ...(counts.short ? { short: counts.short } : {}),
      ...(this.replace ? { replace: true } : {}),
      ...(this.pausedMs ? { pausedMs: this.pausedMs } : {}),
      ...(this.update ? { update: { rows: this.update.manifest.rows, bytes: this.update.manifest.bytes } } : {}),
      updated: new Date().toISOString(),
    };
  }

  private async releaseLock(): Promise<void> {
    await this.tx?.release();
  }

  /** <out>.part, through the transaction, on this export's disk. */
  private async openPart(start: number | undefined): Promise<Writable> {
    const stream = await this.tx!.openPart(start, this.disk);
    this.streams.push(stream);
    this.partStream = stream;
    return stream;
  }

  private async openStream(path: string, start: number | undefined, mode?: number): Promise<Writable> {
    const stream = await this.disk.openStream(path, start, mode);
    this.streams.push(stream);
    return stream;
  }

  /** Closes the files without finishing them; waits until their descriptors are closed. */
  private async closeStreams(): Promise<void> {
    await Promise.all(
      this.streams.map((stream) => {
        if (stream.closed || stream.destroyed) return undefined;
        return new Promise<void>((resolve) => {
          stream.once('close', () => resolve());
          stream.destroy();
        });
      }),
    );
  }
}

/**
 * Whether <out>.part.json is an interrupted walk's checkpoint: there, and not the mark a short
 * --force walk left (Checkpoint.rewalk), beside which <out> is a complete export. One that cannot
 * be read counts as one (openExport says what is wrong with it).
 */
async function interruptedWalk(paths: OutputPaths): Promise<boolean> {
  return (await exists(paths.checkpoint)) && !(await isRewalkMark(paths.checkpoint));
}

/** The mark a --force walk whose list ended far short leaves in place of its checkpoint (Checkpoint.rewalk): a walk at its start, nothing in it. */
function rewalkMark(last: Checkpoint, short: { rows: number; expected: number }): Checkpoint {
  return {
    version: last.version,
    tool: 'tkf',
    options: last.options,
    cursor: 0,
    end: null,
    rows: 0,
    bytes: 0,
    uidsBytes: 0,
    requests: 0,
    duplicates: 0,
    total: last.total,
    replace: true,
    rewalk: { rows: short.rows, expected: short.expected },
    updated: new Date().toISOString(),
  };
}

/** Stops whose next step is --resume (the CLI says so): see run-batch.ts. */
function isResumableStop(error: unknown): boolean {
  return error instanceof InterruptedError || error instanceof BudgetSpentError || error instanceof RunStoppedError;
}

function settle(flush: () => Promise<void>): Promise<void> {
  try {
    return flush();
  } catch (error) {
    return Promise.reject(error);
  }
}

function resultOf(checkpoint: Checkpoint): Omit<TargetResult, 'file' | 'resumedRows'> {
  return {
    rows: checkpoint.rows,
    requests: checkpoint.requests,
    duplicates: checkpoint.duplicates,
    total: checkpoint.total ?? undefined,
    end: (checkpoint.end as ExportCounts['end'] | null) ?? 'complete',
    incompleteSeconds: checkpoint.incompleteSeconds ?? [],
    ...(checkpoint.incompleteAt ? { incompleteAt: checkpoint.incompleteAt } : {}),
    ...(checkpoint.short ? { short: checkpoint.short } : {}),
  };
}

/**
 * The manifest of a file an update has published: `manifest`, the one it built on, with the
 * update's counts and the file's new size. The tied seconds this update found come first, at
 * their places among the rows it put on top (its walk's order); the file's earlier ones follow,
 * moved down by those rows. Without a place for each (a file an older tkf wrote), none is given.
 */
function manifestAfterUpdate(
  manifest: Checkpoint,
  counts: Pick<Checkpoint, 'rows' | 'requests' | 'duplicates' | 'total' | 'newest' | 'incompleteAt'> & { end: ExportCounts['end']; incompleteSeconds: number[] },
  bytes: number,
): Checkpoint {
  const added = counts.rows - manifest.rows;
  const earlier = (manifest.incompleteSeconds ?? []).length;
  const seconds = counts.incompleteSeconds;
  // (An update resumed from a checkpoint an earlier tkf wrote has no places of its own: the
  // file's still hold when it found no second.)
  const places = counts.incompleteAt?.length === seconds.length ? counts.incompleteAt : seconds.length === earlier ? incompletePlaces(manifest) : undefined;
  return {
    ...manifest,
    rows: counts.rows,
    bytes,
    requests: counts.requests,
    duplicates: counts.duplicates,
    total: counts.total ?? null,
    end: counts.end,
    incompleteSeconds: [...seconds.slice(earlier), ...seconds.slice(0, earlier)],
    incompleteAt: places ? [...places.slice(earlier), ...places.slice(0, earlier).map(([from, to]): [number, number] => [from + added, to + added])] : undefined,
    newest: counts.newest ?? null,
    updateAdded: added,
    updated: new Date().toISOString(),
  };
}
