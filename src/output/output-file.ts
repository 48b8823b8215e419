/**
 * The files of one export to `<out>`:
 *
 *   <out>.part        the rows so far; renamed to <out> only when the export is complete
 *   <out>.part.json   the checkpoint (see checkpoint.ts); after a --force walk that ended far
 *                     short and was not kept, the mark that has --resume walk again (rewalk)
 *   <out>.part.uids   uids written so far, one a line: what de-duplication needs on resume
 *   <out>.lock        held while a tkf writes <out>
 *   <out>.tkf.json    the manifest of a completed export (its last checkpoint): whose followers,
 *                     which format and columns, how many rows; what --update checks
 *
 * So <out> never holds a partial export, and a file already at <out> is replaced only by a
 * complete one, and only with --force.
 */
import { statSync, type WriteStream } from 'node:fs';
import { link, lstat, mkdir, open, readlink, rename, rm, stat, truncate, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { OutputError, UsageError } from '../errors.js';
import { isRewalkMark } from './checkpoint.js';
import { realDisk } from './disk.js';
import { describeFsError } from './fs-errors.js';

export interface OutputPaths {
  out: string;
  part: string;
  checkpoint: string;
  uids: string;
  lock: string;
  manifest: string;
}

export function outputPaths(out: string): OutputPaths {
  return { out, part: `${out}.part`, checkpoint: `${out}.part.json`, uids: `${out}.part.uids`, lock: `${out}.lock`, manifest: `${out}.tkf.json` };
}

/** The same file: the same name, or (both there) the same inode (a link, a hard link). */
export function isSameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  // A path that cannot be looked at (ENOTDIR, ELOOP, EACCES...) is no other file: the checks that
  // follow (the output's directory, its link) say what is wrong with it.
  const look = (path: string) => {
    try {
      return statSync(path, { throwIfNoEntry: false });
    } catch {
      return undefined;
    }
  };
  const [x, y] = [look(a), look(b)];
  return x !== undefined && y !== undefined && x.dev === y.dev && x.ino === y.ino;
}

/**
 * An output that is one of the files a command reads (tkf diff --out old.csv, tkf report --html
 * on its export, history changes --out on its database): refused, --force or not (exit 2).
 * Written through <out>.part and a rename, it would replace what it was made from.
 */
export function refuseOverInput(flag: string, out: string, inputs: ReadonlyArray<string | undefined>, what: string): void {
  if (out === '-') return;
  // An input's own files too: an export's manifest says how its walk ended (diff --out
  // a.csv.tkf.json wrote rows over it; report then lost the profile's count).
  const named = inputs.filter((path): path is string => path !== undefined && path !== '-');
  const input = named.find((path) => isSameFile(out, path));
  if (input !== undefined) {
    throw new UsageError(`${flag} ${out} is ${what}${input === out ? '' : ` (${input})`}: writing it would replace what it is made from; name another file`);
  }
  for (const path of named) {
    const file = Object.values(outputPaths(path)).find((beside) => isSameFile(out, beside));
    if (file !== undefined) throw new UsageError(`${flag} ${out} is one of ${path}'s own files (${file}), which tkf keeps beside it: name another file`);
  }
}

/**
 * An interrupted export to `out` (its checkpoint, `<out>.part.json`, is there): another command's
 * output there (tkf diff --out, history changes --out, report --html) would write its own
 * `<out>.part` over the export's rows, paid for, and leave the checkpoint counting them. Refused,
 * --force or not (exit 7): finishing it or starting again is tkf export's to do.
 */
export async function refuseOverInterrupted(out: string): Promise<void> {
  if (out === '-') return;
  const { checkpoint } = outputPaths(out);
  if (await exists(checkpoint)) {
    // The mark a short --force walk left (Checkpoint.rewalk) holds no pages: what it owes is a
    // walk again, which would then write over this output.
    throw new OutputError(
      (await isRewalkMark(checkpoint))
        ? `cannot write ${out}: it is a tkf export whose last --force walk ended short (${checkpoint} has tkf export --resume walk it again); name another file`
        : `cannot write ${out}: an interrupted export to it is there (${checkpoint}), its pages paid for; finish it with tkf export --resume, start it again with tkf export --force, or name another file`,
    );
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new OutputError(`cannot check ${path}: ${describeFsError(error)}`, { cause: error });
  }
}

/** Fails early, before any paid request, when the output's directory is missing or not one. */
export async function checkDirectory(out: string, flag: '--out' | '--html' = '--out'): Promise<void> {
  const directory = dirname(out);
  try {
    const info = await stat(directory);
    if (!info.isDirectory()) throw new OutputError(`cannot write ${out}: ${directory} is not a directory`);
  } catch (error) {
    if (error instanceof OutputError) throw error;
    throw new OutputError(`cannot write ${out}: ${directory}: ${describeFsError(error)}`, { cause: error });
  }
  // What the output is now, and what a link there leads to (/dev/stdout is a link to /proc/self/fd/1).
  const found = await lstat(out).catch(() => undefined);
  const target = found?.isSymbolicLink() ? await stat(out).catch(() => undefined) : found;
  // The file itself a directory: said before any page is paid for (with --force the walk went on,
  // and failed at its rename, with a --resume hint that could not work).
  if (target?.isDirectory()) throw new OutputError(`cannot write ${out}: it is a directory`);
  // Anything else but a file: an export is written beside it and renamed over it, so --force
  // replaced /dev/full itself with a file (as root), and a symbolic link with a file of its own.
  if (found && !found.isFile()) {
    if (found.isSymbolicLink() && (target === undefined || target.isFile())) {
      const to = await readlink(out).catch(() => '?');
      throw new OutputError(`cannot write ${out}: it is a symbolic link (to ${to}), which tkf would replace with a file of its own; give the file's own path as ${flag}`);
    }
    const kind = target!.isCharacterDevice() || target!.isBlockDevice() ? 'a device' : target!.isFIFO() ? 'a pipe' : target!.isSocket() ? 'a socket' : 'not a file';
    const what = found.isSymbolicLink() ? `a symbolic link to ${kind}` : kind;
    const stream = flag === '--out' ? '; to stream the rows, use --out - and redirect it' : '';
    throw new OutputError(`cannot write ${out}: it is ${what}, not a file (tkf writes a new file and moves it into place)${stream}`);
  }
}

/** Opens a write stream and waits until the file is really open, so errors surface here. */
export async function openStream(path: string, start: number | undefined, mode = 0o644): Promise<WriteStream> {
  return (await realDisk.openStream(path, start, mode)) as WriteStream;
}

export async function cutTo(path: string, bytes: number): Promise<void> {
  try {
    await truncate(path, bytes);
  } catch (error) {
    throw new OutputError(`cannot cut ${path} back to its checkpoint: ${describeFsError(error)}`, { cause: error });
  }
}

export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes the finished file a format renders from its rows at commit (e.g. a workbook from the
 * part file's rows), instead of the part file itself becoming the output.
 */
export type Render = (partPath: string, outPath: string) => Promise<void>;

/**
 * Moves the complete `<out>.part` to `<out>` (or, for a format with a render step, renders it to
 * a temporary file beside `<out>`, fsyncs that and moves it). Without `replace`, a hard link is
 * made first: it fails if `<out>` has appeared meanwhile, so an existing file is never
 * overwritten.
 */
export async function publish(paths: OutputPaths, replace: boolean, render?: Render): Promise<void> {
  let source = paths.part;
  try {
    if (render) {
      source = `${paths.out}.render.tmp`;
      // tkf's own name: a file or a link put there is removed, not written through (a directory
      // is left to fail the render, said as such).
      if ((await lstat(source).catch(() => undefined))?.isDirectory() === false) await rm(source, { force: true });
      await render(paths.part, source).catch((error: unknown) => {
        throw new OutputError(`cannot write ${source}: ${describeFsError(error)}`, { cause: error });
      });
    }
    await syncFile(source);
    await moveInto(source, paths.out, replace);
    if (render) await rm(paths.part, { force: true });
  } catch (error) {
    if (source !== paths.part) await rm(source, { force: true }).catch(() => {});
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new OutputError(
        `${paths.out} appeared while exporting; the export is kept in ${paths.part}: move ${paths.out} away and run the same command with --resume to put the export in its place`,
        { advised: true },
      );
    }
    if (error instanceof OutputError) throw error;
    throw new OutputError(`cannot move the export into ${paths.out}: ${describeFsError(error)}`, { cause: error });
  }
}

async function moveInto(source: string, out: string, replace: boolean): Promise<void> {
  if (replace) {
    await rename(source, out);
    return;
  }
  try {
    await link(source, out);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // File systems without hard links: check, then rename.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
    if (await exists(out)) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
    await rename(source, out);
    return;
  }
  await unlink(source);
}

/**
 * After a crash between publishing and cleaning up, whether `<out>` is this export's: the part
 * file is gone (renamed into place) or is `<out>` itself (hard-linked, not yet unlinked). A
 * rendered output is a file of its own: it is this export's when it was written after the final
 * checkpoint (`renderedAfter`, that checkpoint's time), which a file of someone else's, there
 * before the walk ended, cannot be.
 */
const COARSE_CLOCK_MS = 50;

export async function wasPublished(paths: OutputPaths, renderedAfter?: string): Promise<boolean> {
  const [out, part] = await Promise.all([stat(paths.out).catch(() => undefined), stat(paths.part).catch(() => undefined)]);
  if (!out) return false;
  if (!part || (part.ino === out.ino && part.dev === out.dev)) return true;
  // File times come from the kernel's coarse clock, which may lag Date.now() by a tick (up to
  // 10 ms): a file rendered just after the checkpoint can look a few ms older than it.
  return renderedAfter !== undefined && out.mtimeMs >= Date.parse(renderedAfter) - COARSE_CLOCK_MS;
}

export async function removeAll(...paths: string[]): Promise<void> {
  await Promise.all(paths.map((path) => rm(path, { force: true })));
}

/**
 * `mkdir -p`, one level at a time. Not `mkdir(..., { recursive: true })`: on Linux, Node's
 * recursive mkdir never returns for a path under /proc (`--out /proc/x/f.csv` spun a core and
 * ignored SIGTERM), so the missing levels are made here, each failure a plain error.
 */
async function mkdirParents(directory: string): Promise<void> {
  const missing: string[] = [];
  for (let level = resolve(directory); ; level = dirname(level)) {
    const exists = await stat(level).then((info) => info.isDirectory() || 'file', () => false);
    if (exists === 'file') throw Object.assign(new Error(`${level} is a file`), { code: 'ENOTDIR' });
    if (exists) break;
    missing.unshift(level);
    if (dirname(level) === level) break;
  }
  for (const level of missing) {
    await mkdir(level).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error; // made meanwhile by another run: fine
    });
  }
}

/** `directory` and its missing parents made (`--out` into a new folder); OutputError when it cannot be. */
export async function makeDirectory(directory: string, flag: '--out' | '--html' = '--out'): Promise<void> {
  try {
    await mkdirParents(directory);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new OutputError(`cannot create the directory ${directory}: a file is in the way (${code}); choose another ${flag}`);
    }
    throw new OutputError(`cannot create the directory ${directory}: ${describeFsError(error)}`, { cause: error });
  }
}
