/**
 * A gate in front of a simulator, on 127.0.0.1: it passes the first requests through and holds
 * the rest unanswered, so a test can act on a running tkf at a point counted in requests (send a
 * signal, start a second tkf while the first holds its lock) without racing the machine's speed.
 * A held request is never answered: closing the gate (or the client going away) drops it.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ChildProcess } from 'node:child_process';
import type { AddressInfo, Socket } from 'node:net';

export interface RequestGate {
  /** The simulator's URL with the gate's port: hand it to tkf as TKF_BASE_URL. */
  url: string;
  /** Requests that reached the gate, held ones included. */
  readonly requests: number;
  /** Resolves when the first request is held: tkf is then waiting on the gate, mid-run. */
  held: Promise<void>;
  close(): Promise<void>;
}

/** Passes requests 1 .. holdFrom - 1 to `target` (a simulator's url); holds request holdFrom on. */
export async function startRequestGate(target: string, holdFrom: number): Promise<RequestGate> {
  const to = new URL(target);
  let requests = 0;
  let onHeld!: () => void;
  const held = new Promise<void>((resolve) => (onHeld = resolve));
  const sockets = new Set<Socket>();
  const pass = (req: IncomingMessage, res: ServerResponse) => {
    const upstream = request(
      { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };
  const server = createServer((req, res) => {
    requests += 1;
    if (requests < holdFrom) pass(req, res);
    else onHeld();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${to.protocol}//127.0.0.1:${port}${to.pathname}`.replace(/\/$/, ''),
    get requests() {
      return requests;
    },
    held,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * In front of a simulator too, but each request waits for what `waitFor` returns for its uid (a
 * promise the test settles at a point of its own: a database cut, a line tkf printed), then goes
 * through; undefined lets it through at once.
 */
export async function startUidGate(target: string, waitFor: (uid: string | null) => Promise<void> | undefined): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const uid = new URL(req.url ?? '/', target).searchParams.get('uid');
    void (waitFor(uid) ?? Promise.resolve()).then(() => {
      const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Calls each `then` once a spawned tkf's stderr has said its text (for runTkf's onSpawn); again on later output, harmlessly for a promise's resolve. */
export function watchStderr(child: ChildProcess, says: ReadonlyArray<readonly [string, () => void]>): void {
  let said = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    said += chunk.toString();
    for (const [text, then] of says) if (said.includes(text)) then();
  });
}
