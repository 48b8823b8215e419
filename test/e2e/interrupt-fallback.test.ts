/**
 * A command that does not watch the interrupt signal (tkf info, the history commands, a run still
 * reading its --uids-file from stdin) ends at once on the first SIGINT or SIGTERM, with the
 * documented code: before, the signal only aborted a controller nobody read, and `tkf info`
 * against an API that never answers ran on to its timeout (exit 6), `tkf history import` imported
 * every file and exited 0. The moment to signal is told by counts (the server saw the request),
 * not by a clock.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { runTkf } from './run-tkf.js';

const UID = '6754915036232582149';
let server: Server | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  if (server) await new Promise((resolve) => server!.close(resolve));
  server = undefined;
});

/** A server that accepts connections and never answers; resolves with its URL and a promise of the first connection. */
async function silentServer(): Promise<{ url: string; connected: Promise<void> }> {
  let connectedResolve: () => void;
  const connected = new Promise<void>((resolve) => (connectedResolve = resolve));
  server = createServer((socket) => {
    sockets.push(socket);
    socket.once('data', () => connectedResolve());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, connected };
}

describe('a signal to a command that does not watch for one', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`tkf info waiting on the API: ${signal} ends it at once, exit ${code}`, async () => {
      const { url, connected } = await silentServer();
      const run = await runTkf(['info', '--uid', UID, '--base-url', url, '--timeout', '120', '--json'], {
        env: { TKF_TOKEN: 'tok-INTERRUPT-FALLBACK' },
        onSpawn: (child) => void connected.then(() => child.kill(signal)),
      });
      expect(run.code).toBe(code);
      expect(run.stderr).toContain(`tkf: interrupted by ${signal}`);
      // --json's one object says it too.
      expect(JSON.parse(run.stdout)).toEqual({ exit_code: code, error: `interrupted by ${signal}` });
      expect(run.stdout + run.stderr).not.toContain('tok-INTERRUPT-FALLBACK');
    });
  }
});
