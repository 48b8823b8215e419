/**
 * The part every format shares: putting encoded records into a Writable, one at a time, waiting
 * for 'drain' when the destination asks (backpressure), counting rows and bytes for checkpoints.
 * A format only says how one follower becomes bytes (an Encoder, see index.ts).
 */
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { RawFollower } from '../api/types.js';

export interface Encoder {
  /** Bytes that open a new file (CSV: optional BOM and the header row). Not written on resume. */
  header(): Buffer | undefined;
  /** One follower as one record, line end included. */
  encode(follower: RawFollower): Buffer;
}

const EMPTY = Buffer.alloc(0);

export class RecordWriter {
  /** Rows and bytes handed to the destination (bytes include the header). */
  rows = 0;
  bytes = 0;
  private failure: Error | undefined;

  constructor(
    private readonly destination: Writable,
    private readonly encoder: Encoder,
    options: { writeHeader: boolean },
  ) {
    destination.on('error', (error: Error) => {
      this.failure ??= error;
    });
    if (options.writeHeader) {
      const header = encoder.header();
      if (header) this.push(header);
    }
  }

  /** Writes one follower; returns a promise only when the caller must wait for 'drain'. */
  write(follower: RawFollower): Promise<void> | undefined {
    this.rows++;
    return this.push(this.encoder.encode(follower));
  }

  /** Resolves once everything written so far has been handed to the OS (for checkpoints). */
  flush(): Promise<void> {
    this.throwIfFailed();
    return new Promise((resolve, reject) => {
      // Write callbacks run in order, so the empty write's runs after every earlier one.
      this.destination.write(EMPTY, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Ends the destination and resolves once it has finished (the file is fully written). */
  async close(): Promise<void> {
    this.throwIfFailed();
    this.destination.end();
    await finished(this.destination);
  }

  private push(bytes: Buffer): Promise<void> | undefined {
    this.throwIfFailed();
    this.bytes += bytes.length;
    if (this.destination.write(bytes)) return undefined;
    return new Promise((resolve, reject) => {
      const onDrain = () => {
        this.destination.off('error', onError);
        resolve();
      };
      const onError = (error: Error) => {
        this.destination.off('drain', onDrain);
        reject(error);
      };
      this.destination.once('drain', onDrain);
      this.destination.once('error', onError);
    });
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
