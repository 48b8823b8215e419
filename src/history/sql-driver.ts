/**
 * The one surface the history store talks to, whatever holds the data: SQLite through libsql, or
 * PostgreSQL through pg. Statements are written once, with `?` placeholders (the PostgreSQL driver
 * numbers them $1, $2, ...), in SQL both databases accept: `INSERT ... ON CONFLICT ... DO UPDATE`,
 * `RETURNING`, TEXT and INTEGER columns.
 *
 * Writes happen in `transaction()` only. A process holds one connection and runs one transaction
 * at a time on it (a queue): the workers of a batch take turns, so SQLite never sees two writers
 * of one process, and a transaction's statements never interleave with another's.
 */
export type Dialect = 'sqlite' | 'postgres';

export interface SqlRunner {
  readonly dialect: Dialect;
  all<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  run(sql: string, params?: readonly unknown[]): Promise<void>;
}

export interface SqlDriver extends SqlRunner {
  /** What the user named, with any password removed: for messages. */
  readonly label: string;
  /** Runs `fn` in one write transaction (rolled back if it throws); one at a time per process. */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A queue of one: each task starts when the one before it has settled. */
export class TurnQueue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => {});
    return result;
  }
}
