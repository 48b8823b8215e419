/**
 * What the progress display draws, frame by frame, in process: a fake terminal stream (isTTY,
 * 120 columns) and a fake clock (vitest's timers and Date), fed the page events an export
 * produces. What test/e2e/progress.test.ts once proved through a pseudo-terminal (the bar moves,
 * its goal is what the API will serve, the ETA reads seconds, the rate counts only this run's
 * rows, each bar of a batch) is proved here without depending on how fast the machine redraws.
 */
import { clearLine, clearScreenDown, cursorTo, moveCursor } from 'node:readline';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PAGE_SIZE, expectedRows } from '../../src/api/list-facts.js';
import { createBatchProgress, createProgress, type PageUpdate, type Progress } from '../../src/cli/progress.js';

/** A terminal: every write kept whole, as a pseudo-terminal would show it. */
function fakeTerminal(tty = true) {
  const stream = Object.assign(new PassThrough(), { isTTY: tty, columns: 120, rows: 40 });
  // The cursor methods of a tty.WriteStream, which ora calls: the same escape codes, written here.
  Object.assign(stream, {
    cursorTo: (x: number, y?: number, done?: () => void) => cursorTo(stream, x, y, done),
    moveCursor: (dx: number, dy: number, done?: () => void) => moveCursor(stream, dx, dy, done),
    clearLine: (dir: -1 | 0 | 1, done?: () => void) => clearLine(stream, dir, done),
    clearScreenDown: (done?: () => void) => clearScreenDown(stream, done),
  });
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

/** What a terminal showed: every redraw of the line, ANSI codes removed. */
function frames(output: string): string[] {
  return output
    .replace(/\x1b(\[[0-9;?]*[A-Za-z]|[78])/g, '\n')
    .split(/[\r\n]+/)
    .map((line) => line.trim())
    .filter(Boolean);
}

interface Walk {
  /** Followers the list serves before it ends. */
  served: number;
  total: number;
  /** The list is cut by the depth cap: one more request answers -1 with no followers. */
  capped?: boolean;
  /** Rows and requests a resumed file already held. */
  resumed?: { rows: number; requests: number };
  /** --update: the walk stops at a point nobody can tell. */
  open?: boolean;
}

/**
 * The page events of a walk, mapped to what the CLI hands the progress display (export-user.ts's
 * onPage): 20 followers a page, the goal from list-facts' expectedRows, done on the last page.
 */
function pageUpdates(walk: Walk): PageUpdate[] {
  const resumed = walk.resumed ?? { rows: 0, requests: 0 };
  const updates: PageUpdate[] = [];
  let rows = resumed.rows;
  let requests = resumed.requests;
  let written = 0;
  const pages = Math.ceil((walk.served - resumed.rows) / PAGE_SIZE) + (walk.capped ? 1 : 0);
  for (let page = 1; page <= pages; page++) {
    const followers = Math.min(PAGE_SIZE, walk.served - rows);
    rows += followers;
    written += followers;
    requests += 1;
    const done = page === pages;
    updates.push({
      rows: walk.open ? written : rows,
      requests,
      total: walk.total,
      runRows: written,
      runRequests: requests - resumed.requests,
      goal: expectedRows({ rows, total: walk.total, done, open: walk.open }) ?? null,
    });
  }
  return updates;
}

/** Starts, waits `firstMs` for the first answer, then one page every `pageMs` of the fake clock. */
async function play(progress: Pick<Progress, 'start' | 'update'>, updates: PageUpdate[], pageMs: number, firstMs = pageMs) {
  progress.start('exporting');
  await vi.advanceTimersByTimeAsync(firstMs);
  for (const [i, update] of updates.entries()) {
    if (i > 0) await vi.advanceTimersByTimeAsync(pageMs);
    progress.update(update);
  }
}

const DEMO_TOTAL = 8_229_668;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.setSystemTime(1_700_000_000_000);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the bar on a terminal', () => {
  it('keeps its goal when the count reaches the cap one answer before the walk ends', () => {
    // The demo's 250th page brings 5,000 rows; the 251st answers -1 and ends the walk. In
    // between, a redraw drew a spinner (no goal): the frame the e2e test saw on a slow machine.
    expect(expectedRows({ rows: 5000, total: DEMO_TOTAL })).toBe(5000);
    expect(expectedRows({ rows: 230, total: 230 })).toBe(230);
    expect(expectedRows({ rows: 5020, total: DEMO_TOTAL })).toBeUndefined();
  });

  it('aims at what the API will serve (the demo: 5,000 of 8,229,668), moves, and its ETA reads seconds', async () => {
    const out = fakeTerminal();
    const progress = await createProgress({ stream: out.stream, tty: true, quiet: false });
    const updates = pageUpdates({ served: 5000, total: DEMO_TOTAL, capped: true });
    expect(updates).toHaveLength(251);
    // 40 ms a page (500 followers a second): 10 s for the walk, 80 redraws at 8 a second.
    await play(progress, updates, 40);
    progress.stop();
    const bars = frames(out.text()).filter((line) => /followers \| [\d,]+\/s/.test(line));
    expect(bars.length).toBeGreaterThan(50);
    const goals = new Set(bars.map((line) => /[\d,]+\/([\d,]+) followers/.exec(line)?.[1]));
    expect(goals).toEqual(new Set(['5,000']));
    expect(out.text()).not.toMatch(/\/8,229,668/);
    // The bar moves: some frames are drawn mid-way, and the last one is full.
    expect(bars.some((line) => /\b[1-4],\d{3}\/5,000 followers/.test(line))).toBe(true);
    expect(bars.at(-1)).toMatch(/^█+ 5,000\/5,000 followers \| [\d,]+\/s \| ETA 0 s \| 251 requests \| 8,229,668 on the profile/);
    const etas = bars.map((line) => /ETA ([^|]+) \|/.exec(line)![1]!.trim());
    expect(etas.filter((eta) => / h /.test(eta))).toEqual([]);
    expect(etas.some((eta) => /^[1-9]\d* s$/.test(eta))).toBe(true);
    // At 500 a second, half-way the ETA is about 5 s: the frames say so, not hours or minutes.
    const halfway = bars.find((line) => /\b2,[5-9]\d{2}\/5,000 followers/.test(line))!;
    expect(halfway).toMatch(/\| 500\/s \| ETA [4-6] s \|/);
  });
});

describe('where no goal is known', () => {
  it('--update shows a spinner with counts, not a bar', async () => {
    const out = fakeTerminal();
    const progress = await createProgress({ stream: out.stream, tty: true, quiet: false });
    // 200 new followers on top of 100 known: 11 pages, the last one reaching the known follower.
    await play(progress, pageUpdates({ served: 300, total: 300, open: true, resumed: { rows: 100, requests: 0 } }), 30);
    progress.stop();
    const shown = frames(out.text()).filter((line) => / followers \| [\d,]+\/s/.test(line));
    expect(shown.length).toBeGreaterThan(0);
    for (const line of shown) expect(line).toMatch(/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] [\d,]+ followers \| [\d,]+\/s \| [\d,]+ requests?( \| 300 on the profile)?$/);
    expect(shown.at(-1)).toMatch(/ 200 followers \| /);
  });
});

describe('plain lines off a terminal', () => {
  it('after --resume, count only the rows and requests of this run', async () => {
    const out = fakeTerminal(false);
    const progress = await createProgress({ stream: out.stream, tty: false, quiet: false });
    // Resumed at 2,000 rows after 100 requests; 40 ms between requests: this run fetches 20 rows
    // / 40 ms = 500 a second, and 151 requests take 6 s, past one 5-second interval.
    await play(progress, pageUpdates({ served: 5000, total: DEMO_TOTAL, capped: true, resumed: { rows: 2000, requests: 100 } }), 40);
    progress.stop();
    expect(out.text()).not.toMatch(/\x1b\[/);
    const lines = out.text().split('\n').filter((line) => / of 5,000 followers/.test(line));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const match = /^tkf: ([\d,]+) of 5,000 followers \(2,000 resumed, 8,229,668 on the profile\), ([\d,]+) requests this run, ([\d,]+) followers\/s, about (\d+) s left$/.exec(line);
      expect(match, line).not.toBeNull();
      const [rows, requests, rate] = match!.slice(1, 4).map((n) => Number(n.replaceAll(',', '')));
      expect(requests).toBeLessThanOrEqual(150);
      expect(rows! - 2000).toBeLessThanOrEqual(requests! * 20);
      // Counting the 2,000 resumed rows as fetched now would put the rate far above this bound.
      expect(rate).toBeLessThanOrEqual(520);
    }
  });
});

describe('each bar of a batch', () => {
  const CAPPED = '1000000000000000001';
  const SMALL = '1000000000000000002';

  /** A batch on a fake terminal with two users started: CAPPED's bar above SMALL's. */
  async function twoUsers() {
    const out = fakeTerminal();
    const batch = await createBatchProgress({ stream: out.stream, tty: true, quiet: false });
    const capped = batch.user(CAPPED);
    const small = batch.user(SMALL);
    capped.start('starting');
    small.start('starting');
    return { out, batch, capped, small };
  }

  it('aims at what the API will serve for that user, and ends full where the list ended', async () => {
    const { out, batch, capped, small } = await twoUsers();
    // A list capped at 400 of a million (21 requests: the 21st answers -1), and a list of 240.
    const cappedPages = pageUpdates({ served: 400, total: 1_000_000, capped: true });
    const smallPages = pageUpdates({ served: 240, total: 240 });
    for (let i = 0; i < Math.max(cappedPages.length, smallPages.length); i++) {
      await vi.advanceTimersByTimeAsync(15);
      if (cappedPages[i]) capped.update(cappedPages[i]!);
      if (smallPages[i]) small.update(smallPages[i]!);
      if (i === smallPages.length - 1) small.stop();
    }
    capped.stop();
    batch.stop();
    const shown = frames(out.text());
    const goalsOf = (uid: string) =>
      new Set(shown.flatMap((line) => [...line.matchAll(new RegExp(`${uid} \\S+ [\\d,]+/([\\d,]+) followers`, 'g'))].map((m) => m[1])));
    // The capped list: 5,000 expected until the walk ends at 400; never the profile's million.
    expect(goalsOf(CAPPED)).toContain('5,000');
    expect([...goalsOf(CAPPED)].filter((goal) => goal !== '5,000' && goal !== '400')).toEqual([]);
    expect(goalsOf(SMALL)).toEqual(new Set(['240']));
    expect(out.text()).not.toMatch(/\/1,000,000 followers/);
  });

  it('prints a line wider than the terminal whole, with line wrapping on around it, and draws the bars again below it', async () => {
    const { out, batch, capped: first, small: second } = await twoUsers();
    const pages = pageUpdates({ served: 240, total: 240 });
    first.update(pages[0]!);
    await vi.advanceTimersByTimeAsync(200);
    const before = out.text().length;
    const long = `exported 240 followers; 12 requests in 1.2 s, 3 repeats skipped; file: ${'out/'.repeat(30)}${SMALL}.csv`;
    second.log(long);
    second.stop();
    await vi.advanceTimersByTimeAsync(200);
    const after = out.text().slice(before);
    // cli-progress draws with wrapping off (ESC [?7l), which cut such a line at the terminal's width.
    expect(`tkf: ${SMALL}: ${long}`.length).toBeGreaterThan(out.stream.columns);
    expect(after).toContain(`\x1b[?7htkf: ${SMALL}: ${long}\n\x1b[?7l`);
    // The bar still walking is drawn again after the line, though it did not change.
    expect(frames(after.slice(after.indexOf(long) + long.length)).some((line) => line.startsWith(`${CAPPED} `))).toBe(true);
    first.stop();
    batch.stop();
  });
});
