/**
 * Writes checkpoints behind the page loop instead of in it.
 *
 * A checkpoint may only be written once the bytes it counts have reached the OS, and writing one
 * (a temporary file and a rename) takes longer on these machines than fetching a page. So each
 * page hands over its state and a promise for "its bytes are written"; one checkpoint is written
 * at a time, in order, and when pages come faster the newest state wins (the ones in between
 * would be overwritten at once anyway). The checkpoint on disk therefore lags the loop by at most
 * a page or two and never claims more than the files hold; drain() waits until the newest state
 * is on disk (at the end, and when interrupted).
 */
import { writeCheckpoint, type Checkpoint } from './checkpoint.js';
import type { Disk } from './disk.js';

export class Checkpointer {
  /** The last checkpoint written (or found on disk at the start), if any. */
  saved: Checkpoint | undefined;
  private latest: { state: Checkpoint; ready: Promise<unknown> } | undefined;
  private running: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private readonly path: string,
    saved?: Checkpoint,
    private readonly disk?: Disk,
  ) {
    this.saved = saved;
  }

  /** Rows counted by the last checkpoint written. */
  get savedRows(): number {
    return this.saved?.rows ?? 0;
  }

  /** Records a state to write once `ready` (the flush of the bytes it counts) resolves. */
  mark(state: Checkpoint, ready: Promise<unknown>): void {
    // Awaited in the loop; never unhandled meanwhile, not even when this mark is refused below
    // (a refused mark's flush failing later crashed the process with a bare ENOSPC).
    ready.catch(() => {});
    if (this.failure) throw this.failure;
    this.latest = { state, ready };
    this.running ??= this.loop();
  }

  /** True while no checkpoint is being written: the moment to hand over the next state. */
  get idle(): boolean {
    return this.running === undefined;
  }

  /** Resolves once the newest state marked is on disk. */
  async drain(): Promise<void> {
    while (this.running) await this.running;
    if (this.failure) throw this.failure;
  }

  private async loop(): Promise<void> {
    try {
      while (this.latest) {
        const { state, ready } = this.latest;
        this.latest = undefined;
        await ready;
        await writeCheckpoint(this.path, state, this.disk);
        this.saved = state;
      }
    } catch (error) {
      this.failure = error;
    } finally {
      this.running = undefined;
    }
  }
}
