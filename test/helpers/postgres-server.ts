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

export async function startPostgres(): Promise<PostgresServer> {
  const bin = (await run('bash', [join(ROOT, 'scripts/ensure-postgres.sh')], { timeout: 600_000 })).stdout.trim();
  const asRoot = userInfo().uid === 0;
  const dir = await mkdtemp(join(tmpdir(), 'tkf-pg-'));
  const ids = asRoot ? await run('id', ['-u', 'postgres']).then(async (u) => [Number(u.stdout), Number((await run('id', ['-g', 'postgres'])).stdout)]) : undefined;
  if (ids) await chown(dir, ids[0]!, ids[1]!);
  const as = (program: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, program), ...args]) : run(join(bin, program), args));
  const data = join(dir, 'data');
  await as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  await as('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    port,
    bin,
    async createDatabase(name) {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
