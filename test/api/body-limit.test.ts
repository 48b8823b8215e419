/**
 * [issue 18.5] An answer with no end has no size limit: a 200 whose body never ended grew tkf to
 * 2 GB before the timeout. A body larger than any page can be (32 MB; a page is ~100 KB) is cut
 * off while it arrives and asked again, so what tkf holds stays bounded whatever the server sends.
 * Proved by bytes and requests over real HTTP (the simulator's `endless` fault counts the bytes it
 * managed to write), never by time.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/api/client.js';
import { ApiUnavailableError } from '../../src/errors.js';
import { useClientHarness } from '../helpers/client-harness.js';

const TOKEN = 'body-limit-token';
const UID = '6754915036232582149';
const MB = 1024 * 1024;
/** What the kernel's socket buffers can hold on top of what the client read (generous). */
const IN_FLIGHT = 16 * MB;

const { cleanups, client, simulator } = useClientHarness(TOKEN, { retries: 2 });

/** Resolves once the simulator has stopped writing: the client hung up on the endless body. */
async function settled(read: () => number): Promise<number> {
  for (let last = -1; ; ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = read();
    if (now === last) return now;
    last = now;
  }
}

describe('a 200 whose body never ends', () => {
  test('is cut off past the limit and asked again; the next answer is the page', async () => {
    const sim = await simulator({ schedule: { 1: 'endless' } });
    const { client: c, notices } = client(sim.url, { maxBodyBytes: 2 * MB });
    const page = await c.fetchPage(UID, 0);
    expect(page.followers?.length).toBe(20);
    expect(sim.stats.answers).toMatchObject({ endless: 1, ok: 1 });
    expect(c.requests).toBe(2);
    expect(notices).toHaveLength(1);
    expect(notices[0]!.reason).toContain('a body larger than 2 MB, cut off');
    const written = await settled(() => sim.stats.endlessBytes ?? 0);
    expect(written).toBeGreaterThan(2 * MB);
    expect(written).toBeLessThan(2 * MB + IN_FLIGHT);
  });

  test('that comes every time: exit 6 after the retries, each body cut at the limit', async () => {
    const sim = await simulator({ rate: 1, kinds: ['endless'], maxConsecutive: Number.MAX_SAFE_INTEGER });
    const { client: c } = client(sim.url, { maxBodyBytes: 1 * MB, retries: 2 });
    const error = await c.fetchPage(UID, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect((error as Error).message).toMatch(/failed 3 times in a row.*larger than 1 MB/);
    expect(sim.stats.answers?.endless).toBe(3);
    const written = await settled(() => sim.stats.endlessBytes ?? 0);
    expect(written).toBeLessThan(3 * (1 * MB + IN_FLIGHT));
  });

  test('the default limit is 32 MB: one endless answer is read to 32 MB and no further', async () => {
    expect(MAX_BODY_BYTES).toBe(32 * MB);
    const sim = await simulator({ rate: 1, kinds: ['endless'], maxConsecutive: Number.MAX_SAFE_INTEGER });
    const { client: c } = client(sim.url, { retries: 0 });
    const error = await c.fetchPage(UID, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect((error as Error).message).toContain('larger than 32 MB');
    const written = await settled(() => sim.stats.endlessBytes ?? 0);
    expect(written).toBeGreaterThan(32 * MB);
    expect(written).toBeLessThan(32 * MB + IN_FLIGHT);
  });
});

describe('a Content-Length larger than the limit', () => {
  test('is refused before its body is read', async () => {
    let sent = 0;
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(64 * MB) });
      // Sends slowly, a little at a time, for as long as the client stays.
      const timer = setInterval(() => {
        sent += 1024;
        res.write(Buffer.alloc(1024, 0x20));
      }, 5);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
    const { client: c, notices } = client(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { retries: 0 });
    const error = await c.fetchPage(UID, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect((error as Error).message).toContain('larger than 32 MB');
    expect(notices).toHaveLength(0);
    // Refused on the headers: far less than the 64 MB promised was sent before the client hung up.
    expect(sent).toBeLessThan(1 * MB);
  });
});
