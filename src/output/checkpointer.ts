/**
 * Writes checkpoints behind the page loop instead of in it.
 *
 * A checkpoint may only be written once the bytes it counts have reached the OS, and writing one
 * (a temporary file and a rename) takes longer on these machines than fetching a page. So each
 * page hands over its state and a promise for "its bytes are written"; one checkpoint is written
 * at a time, in order, and when pages come faster the newest state wins (the ones in between
 * would be overwritten at once anyway). The checkpoint on disk therefore lags the loop by at most
 * a page or two (plus the pause below) and never claims more than the files hold; drain() waits
 * until the newest state is on disk (at the end, and when interrupted).
 *
 * With `spacingMs`, a checkpoint is followed by a pause of that long before the next (while it
 * lasts the checkpointer is not idle, so the loop hands over no state); drain() cuts the pause
 * short, so an end or an interruption still writes the newest state at once.
 */
import { writeCheckpoint, type Checkpoint } from './checkpoint.js';
import type { Disk } from './disk.js';

export class Checkpointer {
  /** The last checkpoint written (or found on disk at the start), if any. */
  saved: Checkpoint | undefined;
  private latest: { state: Checkpoint; ready: Promise<unknown> } | undefined;
  private running: Promise<void> | undefined;
  private failure: unknown;

  /** Ends the pause after a checkpoint early (drain). */
  private hurry: (() => void) | undefined;
  private draining = 0;

  constructor(
    private readonly path: string,
    saved?: Checkpoint,
    private readonly disk?: Disk,
    private readonly spacingMs = 0,
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
    this.draining++;
    try {
      this.hurry?.();
      while (this.running) await this.running;
    } finally {
      this.draining--;
    }
    if (this.failure) throw this.failure;
  }

  private pause(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.hurry?.(), this.spacingMs);
      // A pause never keeps the process alive: whoever ends the run drains first.
      timer.unref();
      this.hurry = () => {
        clearTimeout(timer);
        this.hurry = undefined;
        resolve();
      };
    });
  }

  private async loop(): Promise<void> {
    try {
      while (this.latest) {
        const { state, ready } = this.latest;
        this.latest = undefined;
        await ready;
        await writeCheckpoint(this.path, state, this.disk);
        this.saved = state;
        if (this.spacingMs > 0 && this.draining === 0) await this.pause();
      }
    } catch (error) {
      this.failure = error;
    } finally {
      this.running = undefined;
    }
  }
}
