/**
 * PostgreSQL through `pg` (node-postgres): pure JavaScript, so nothing to compile, and it takes
 * query text with an array of parameters, which is what the store's shared statements are (the
 * `postgres` client is built around tagged templates, a second way of writing every statement).
 *
 * One connection per process, one transaction at a time on it (see sql-driver.ts). Several
 * processes (shards on several hosts) write at once: walks run in parallel, and their recordings
 * take turns on a transaction-scoped advisory lock (record-snapshot.ts), so two transactions
 * never lock the followers two accounts share in opposite orders (a deadlock).
 */
import { HistoryDbError, UsageError } from '../errors.js';
import { TurnQueue, type SqlDriver, type SqlRunner } from './sql-driver.js';

interface PgClient {
  connect(): Promise<void>;
  query(config: { text: string; values?: unknown[]; query_timeout?: number }): Promise<{ rows: unknown[] }>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): void;
  /** pg's connection: its socket is destroyed when the server is taken for gone. */
  connection?: { stream?: { destroy(): void } };
}

/**
 * Where a URL holds a password, as pg reads it: user:password@ (up to the authority's last @: pg
 * reads postgres://u:p@ss@host so), and the query's password and sslpassword (any case, the key
 * percent-decoded: pass%77ord too). Each as [start, end) of the URL's text.
 */
function passwordSpans(url: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  const userinfo = /(\/\/[^/?#@:]*:)([^/?#]*)@/.exec(url);
  if (userinfo) spans.push([userinfo.index + userinfo[1]!.length, userinfo.index + userinfo[1]!.length + userinfo[2]!.length]);
  for (const pair of url.matchAll(/[?&]([^=&#]*)=([^&#]*)/g)) {
    let key = pair[1]!;
    try {
      key = decodeURIComponent(key.replace(/\+/g, ' '));
    } catch {
      // as written
    }
    if (/^(ssl)?password$/i.test(key)) spans.push([pair.index! + pair[0].length - pair[2]!.length, pair.index! + pair[0].length]);
  }
  return spans;
}

/** The passwords a PostgreSQL URL holds, as written in it (passwordSpans). */
export function urlPasswords(url: string): string[] {
  return passwordSpans(url).map(([start, end]) => url.slice(start, end));
}

/**
 * The URL with its passwords left out (passwordSpans: the `:password` of its user, the query's
 * password pairs): what a command line printed for pasting may hold, the password then given
 * another way (PGPASSWORD). A URL without one comes back as it is.
 */
export function withoutPasswords(url: string): string {
  let text = url;
  for (const [start, end] of passwordSpans(url).reverse()) {
    if (text[start - 1] === ':') text = `${text.slice(0, start - 1)}${text.slice(end)}`; // user:password@ -> user@
    else {
      // a query pair: from its ? or & to its end, the next pair then taking the ?
      const from = text.lastIndexOf('=', start);
      const pairStart = Math.max(text.lastIndexOf('?', from), text.lastIndexOf('&', from));
      const rest = text.slice(end);
      text = text[pairStart] === '?' ? `${text.slice(0, pairStart)}${rest.startsWith('&') ? `?${rest.slice(1)}` : rest}` : `${text.slice(0, pairStart)}${rest}`;
    }
  }
  return text;
}

/** The URL without its password, for messages (the password is as secret as the token). */
export function postgresLabel(url: string): string {
  let label = url;
  for (const [start, end] of passwordSpans(url).reverse()) label = `${label.slice(0, start)}***${label.slice(end)}`;
  return label;
}

/**
 * The URL with psql's meaning of its `sslmode` (libpq's, which every PostgreSQL URL a provider
 * hands out is written for): `require` encrypts without checking the server's certificate,
 * `verify-ca` checks its CA, `verify-full` its CA and name, `disable` is plain. pg 8 takes
 * `require` (and `prefer`, `verify-ca`) as `verify-full` unless told `uselibpqcompat=true`, and
 * says so in a ten-line warning on every run: a managed server's URL with `?sslmode=require`
 * failed on its certificate where psql connects. A URL that says `uselibpqcompat` itself, or pg's
 * own `no-verify`, is left as it is.
 */
export function withLibpqSslModes(url: string): string {
  let query: URLSearchParams;
  try {
    query = new URL(url).searchParams;
  } catch {
    return url; // pg says why it cannot be parsed
  }
  const mode = query.get('sslmode');
  if (mode === null || mode === 'no-verify' || query.has('uselibpqcompat')) return url;
  const hash = url.indexOf('#');
  const [head, tail] = hash === -1 ? [url, ''] : [url.slice(0, hash), url.slice(hash)];
  return `${head}&uselibpqcompat=true${tail}`;
}

/** How long one statement may take before the server is taken for gone: two minutes (a snapshot's statements take well under a second each). */
const QUERY_TIMEOUT_MS = 120_000;
/**
 * The advisory lock recordings take turns on (record-snapshot.ts, schema.ts): another process may
 * hold it for the length of a large snapshot, and a dozen shards finishing at once wait for each
 * other's, so a wait for it is no sign of a server gone: a day.
 */
const LOCK_WAIT_MS = 24 * 60 * 60 * 1000;

/**
 * The URL's own ?query_timeout=<ms> (pg reads it from the URL, as text: "0" would time every
 * statement out at once): a whole number of milliseconds, 0 for no limit; taken out of the URL and
 * given to pg as a number. Anything else is the command line's mistake (exit 2).
 */
function queryTimeoutOf(url: string, label: string): { url: string; timeoutMs: number } {
  const match = /([?&])query_timeout=([^&#]*)&?/i.exec(url);
  if (!match) return { url, timeoutMs: QUERY_TIMEOUT_MS };
  let value = match[2]!;
  try {
    value = decodeURIComponent(value);
  } catch {
    // as written: refused below
  }
  if (!/^\d{1,9}$/.test(value)) throw new UsageError(`--db ${label}: query_timeout=${value} is not a number of milliseconds (0 for no limit)`);
  const rest = url.slice(0, match.index) + (match[0].endsWith('&') ? match[1] : '') + url.slice(match.index + match[0].length);
  return { url: rest.replace(/\?(#|$)/, '$1'), timeoutMs: Number(value) };
}

export async function openPostgres(url: string): Promise<SqlDriver> {
  const { default: pg } = await import('pg');
  const label = postgresLabel(url);
  const { url: rest, timeoutMs } = queryTimeoutOf(url, label);
  let client: PgClient;
  try {
    // A server that stops answering without closing the connection (a paused VM, a firewall
    // that drops the packets) would hold a run for ever, its walks paying for accounts it cannot
    // record: a statement may take QUERY_TIMEOUT_MS, then the database is taken for gone (the
    // URL's own ?query_timeout=<ms>, pg's, wins). TCP keepalive finds a peer gone with its host.
    // (A number of 0 is pg's "no limit".) Keepalive probes after 30 s idle, not Linux's 2 hours.
    client = new pg.Client({
      connectionString: withLibpqSslModes(rest),
      connectionTimeoutMillis: 15_000,
      query_timeout: timeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 30_000,
    }) as unknown as PgClient;
  } catch (error) {
    // A URL pg cannot read (postgres://u@[::1) is the command line's mistake: exit 2 naming --db,
    // not an internal error ("Invalid URL"). (pg's reading, not WHATWG's: a socket's
    // postgres://user@/db?host=/run/postgresql has no host and is fine.)
    throw new UsageError(`--db ${label} is not a URL tkf can read (${(error as Error).message}): write it as postgres://user:password@host:port/database`, { cause: error });
  }
  // A connection lost between statements is reported by the next query; do not crash on it. Its
  // next query then fails with pg's "Client has encountered a connection error and is not
  // queryable", which carries no code: the loss is remembered to say so.
  const connection: { lost: boolean; why?: string } = { lost: false };
  client.on('error', (error) => {
    connection.lost = true;
    connection.why ??= describePgError(error, true);
  });
  try {
    await client.connect();
  } catch (error) {
    throw new HistoryDbError(`cannot connect to the history database ${label}: ${describePgError(error)}`, { cause: error });
  }
  return new PostgresDriver(client, label, connection);
}

class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  private readonly queue = new TurnQueue();
  private readonly runner: SqlRunner;

  constructor(
    private readonly client: PgClient,
    readonly label: string,
    private readonly connection: { lost: boolean; why?: string } = { lost: false },
  ) {
    this.runner = {
      dialect: this.dialect,
      all: async <T>(sql: string, params: readonly unknown[] = []) => (await this.query(sql, params)) as T[],
      run: async (sql: string, params: readonly unknown[] = []) => {
        await this.query(sql, params);
      },
    };
  }

  all<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.queue.run(() => this.runner.all<T>(sql, params));
  }

  run(sql: string, params?: readonly unknown[]): Promise<void> {
    return this.queue.run(() => this.runner.run(sql, params));
  }

  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      await this.query('BEGIN', []);
      try {
        const result = await fn(this.runner);
        await this.query('COMMIT', []);
        return result;
      } catch (error) {
        // Not on a connection taken for gone: its socket is closed, and the server rolls back.
        if (!this.connection.lost) await this.client.query({ text: 'ROLLBACK' }).catch(() => {});
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    await this.queue.run(async () => {
      // A connection taken for gone has its socket closed already; end() would wait on it.
      if (!this.connection.lost) await this.client.end().catch(() => {});
    });
  }

  private async query(sql: string, params: readonly unknown[]): Promise<unknown[]> {
    // Nothing more is sent on a connection taken for gone: a statement that timed out may still
    // run when the server wakes, inside a transaction tkf gave up on, and what came next on that
    // connection would commit it (a snapshot of 0 followers, recorded for an account said failed).
    if (this.connection.lost) {
      throw new HistoryDbError(`the history database ${this.label}: ${this.connection.why ?? 'the connection to the server was lost'}`, { down: true });
    }
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    try {
      const waits = sql.includes('pg_advisory_xact_lock');
      return (await this.client.query({ text, values: params.map((p) => (p === undefined ? null : p)), ...(waits ? { query_timeout: LOCK_WAIT_MS } : {}) })).rows;
    } catch (error) {
      const lost = this.connection.lost || /not queryable|Connection terminated|Query read timeout/i.test((error as Error).message ?? '');
      const why = describePgError(error, lost);
      if (lost) {
        this.connection.lost = true;
        this.connection.why ??= why;
        // Closed, so that the server rolls back what the statement left open.
        this.client.connection?.stream?.destroy();
      }
      throw new HistoryDbError(`the history database ${this.label}: ${why}`, { cause: error, down: lost });
    }
  }
}

function describePgError(error: unknown, lost = false): string {
  const code = (error as { code?: string }).code;
  const message = (error as Error).message || code || String(error);
  if (/Query read timeout/i.test(message)) return `the server stopped answering (no answer to a statement within its query_timeout: ${message})`;
  if (lost) return `the connection to the server was lost; the server stopped or the network failed (${message})`;
  if (code === 'ECONNREFUSED') return `the server is not answering (${message})`;
  if (code === '25006') return `it is read-only (${message})`;
  if (code === '53100') return `the server's disk is full (${message})`;
  return message;
}
