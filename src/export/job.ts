/**
 * One `tkf export` run, resolved once (src/cli/resolve-job.ts: flags, environment, config file
 * and uids file) and frozen: the layers below read it, none renames or reshapes it.
 */
import type { EncoderOptions, FormatDefinition } from '../writers/index.js';
import type { Shard } from './shard.js';

export interface ExportJob {
  /** One account (`--uid`, or --demo's public user when undefined), or the accounts of a --uids-file. */
  readonly uid: string | undefined;
  readonly uids: readonly string[] | undefined;
  /** Listed more than once in the uids file (each is exported once). */
  readonly repeatedUids: number;
  readonly shard: Shard | undefined;
  /** A file, a template with {uid} and {date}, or '-' for stdout. */
  readonly out: string;
  /** --db without --out: each walk goes to a staging file, emptied once recorded. */
  readonly staged: boolean;
  /** The history database (--db, else TKF_DB, else the config file's). */
  readonly db: string | undefined;
  readonly format: FormatDefinition;
  readonly encoder: Readonly<EncoderOptions>;
  /**
   * --update: the encoder options named on the command line (the others come from the file's
   * manifest); absent, all of them count as named.
   */
  readonly given?: Readonly<Partial<Record<keyof EncoderOptions, boolean>>>;
  readonly force: boolean;
  readonly resume: boolean;
  readonly update: boolean;
  readonly limit?: number;
  /**
   * The API: the token and host (flags, environment, config file), or undefined for --demo, which
   * starts the built-in simulator when the run begins.
   */
  readonly access: { readonly token: string; readonly baseUrl: string } | undefined;
  /** The forward proxy requests go through (--proxy, else HTTPS_PROXY / HTTP_PROXY unless NO_PROXY), and where that was said. */
  readonly proxy: { readonly url: string; readonly source: string } | undefined;
  /** The run's client: retries of a failed request, and the pace and budget of the whole run. */
  readonly retries: number;
  readonly timeoutMs: number;
  /** Longest first wait before a retry (doubles each retry), and before asking a page that did not move the walk on again. */
  readonly backoffMs: number;
  readonly maxWaitMs: number;
  readonly maxRequests: number | undefined;
  readonly delayMs: number;
  readonly rate: number | undefined;
  readonly concurrency: number;
}

/** What the file store reads of a job: how rows are written, and how many. */
export type WriteJob = Pick<ExportJob, 'format' | 'encoder' | 'given' | 'limit'>;

/** What one account's walk reads of a job (a test or an embedding hands in just these). */
export type WalkJob = WriteJob & Pick<ExportJob, 'backoffMs'>;
