/**
 * Starts bench/serve.mjs (the simulator in its own process) and talks to it over its stdin and
 * stdout: its URL once it listens, its request count and CPU on demand.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { ROOT } from './measure.mjs';

export async function startServer(options) {
  const child = spawn(process.execPath, [join(ROOT, 'bench', 'serve.mjs'), JSON.stringify(options)], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error('bench/serve.mjs ended unexpectedly');
    return JSON.parse(value);
  };
  const { url } = await nextLine();
  return {
    url,
    /** {requests, cpuUs, rssBytes} of the server process so far. */
    async stats() {
      child.stdin.write('stats\n');
      return nextLine();
    },
    async close() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      await exited;
    },
  };
}
