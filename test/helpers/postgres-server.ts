/**
 * A real PostgreSQL server for a test file: Debian's `postgresql` package (installed by
 * scripts/ensure-postgres.sh when missing), a fresh cluster in a temporary directory, listening on
 * a free port of 127.0.0.1, stopped and removed afterwards. PostgreSQL refuses to run as root, so
 * as root the cluster belongs to the `postgres` user and its programs run through runuser.
 */
import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

export interface PostgresServer {
  port: number;
  /** The server's programs (psql among them). */
  bin: string;
  /** A URL to a new, empty database of this server. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** Runs one statement as the server's superuser. */
async function adminQuery(admin: string, sql: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * The server scripts/test-node-versions.sh starts once for its three runs of the suite
 * (TKF_TEST_POSTGRES: its superuser's URL; TKF_TEST_POSTGRES_BIN: its programs): each test
 * file gets databases of its own on it (names made unique by process and count), dropped by
 * stop(), instead of an initdb and a server start of its own.
 */
function sharedServer(admin: string, bin: string): PostgresServer {
  const created: string[] = [];
  return {
    port: Number(new URL(admin).port),
    bin,
    async createDatabase(name) {
      const unique = `${name}_${process.pid}_${created.length}`;
      await adminQuery(admin, `CREATE DATABASE ${unique}`);
      created.push(unique);
      const url = new URL(admin);
      url.pathname = `/${unique}`;
      return url.href;
    },
    async stop() {
      for (const name of created.splice(0)) await adminQuery(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    },
  };
}

/** A server for a test file: the shared one of test-node-versions.sh when there is one, else its own. */
export async function startPostgres(): Promise<PostgresServer> {
  const { TKF_TEST_POSTGRES: shared, TKF_TEST_POSTGRES_BIN: sharedBin } = process.env;
  if (shared && sharedBin) return sharedServer(shared, sharedBin);
  const bin = (await run('bash', [join(ROOT, 'scripts/ensure-postgres.sh')], { timeout: 600_000 })).stdout.trim();
  const asRoot = userInfo().uid === 0;
  const dir = await mkdtemp(join(tmpdir(), 'tkf-pg-'));
  const ids = asRoot ? await run('id', ['-u', 'postgres']).then(async (u) => [Number(u.stdout), Number((await run('id', ['-g', 'postgres'])).stdout)]) : undefined;
  if (ids) await chown(dir, ids[0]!, ids[1]!);
  const as = (program: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, program), ...args]) : run(join(bin, program), args));
  const data = join(dir, 'data');
  await as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  // TLS too, with a self-signed certificate (as a managed server's is to a client that does not
  // know its CA): a client that asks for none still gets plain connections.
  const openssl = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=tkf-test', '-keyout', join(data, 'server.key'), '-out', join(data, 'server.crt')];
  await (asRoot ? run('runuser', ['-u', 'postgres', '--', 'openssl', ...openssl]) : run('openssl', openssl));
  const port = await freePort();
  await as('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c ssl=on`, 'start']);
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    port,
    bin,
    async createDatabase(name) {
      await adminQuery(admin, `CREATE DATABASE ${name}`);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A server for the tests of a describe or file, started before them and stopped after (like useTempDir). */
export function usePostgres(): { readonly server: PostgresServer } {
  const holder = {} as { server: PostgresServer };
  beforeAll(async () => {
    holder.server = await startPostgres();
  }, 600_000);
  afterAll(async () => {
    await holder.server?.stop();
  });
  return holder;
}
