/**
 * Where a resumed export starts from: its part file and uid log cut back to the lengths its
 * checkpoint counts (a crash may have left half a page after them), and the uids written so far
 * for de-duplication. A file shorter than its checkpoint was cut or copied by something else:
 * padding it would hide lost rows, so that is refused (exit 7).
 */
import { readFile, stat } from 'node:fs/promises';
import { OutputError } from '../errors.js';
import type { Checkpoint } from './checkpoint.js';
import { describeFsError } from './fs-errors.js';
import { cutTo, type OutputPaths } from './output-file.js';

/** Cuts both files back to the checkpoint; returns the uids the uid log holds up to it. */
export async function cutBackTo(paths: OutputPaths, checkpoint: Checkpoint): Promise<string[]> {
  for (const [path, bytes] of [[paths.part, checkpoint.bytes], [paths.uids, checkpoint.uidsBytes]] as const) {
    const size = await stat(path).then(
      (s) => s.size,
      (error: unknown) => {
        // Gone (deleted, or a checkpoint copied without it): the rows it counts are not saved, and
        // --resume can never get past this; "use --force" is the only advice that works.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new OutputError(`cannot resume ${paths.out}: ${path} is missing, though its checkpoint counts ${bytes} bytes (deleted?); use --force to export again`, {
            cause: error,
            advised: true,
          });
        }
        throw new OutputError(`cannot resume ${paths.out}: cannot read ${path}: ${describeFsError(error)}`, { cause: error });
      },
    );
    if (size < bytes) {
      throw new OutputError(
        `cannot resume ${paths.out}: ${path} holds ${size} bytes but its checkpoint counts ${bytes} (was it cut or copied?); use --force to export again`,
        // --resume cannot get past this: "use --force" is the only advice that works.
        { advised: true },
      );
    }
    await cutTo(path, bytes);
  }
  return readUids(paths.uids, checkpoint.uidsBytes);
}

/** The uids of the de-duplication log, up to `bytes` (what the checkpoint counts). */
async function readUids(path: string, bytes: number): Promise<string[]> {
  if (bytes === 0) return [];
  let text: string;
  try {
    text = (await readFile(path)).subarray(0, bytes).toString('latin1');
  } catch (error) {
    throw new OutputError(`cannot read ${path} to resume: ${describeFsError(error)}`, { cause: error });
  }
  return text.split('\n').filter(Boolean);
}
