import { describe, expect, it } from 'vitest';
import type { GrowthPoint as HistoryPoint } from '../../src/history/queries.js';
import { growthFromHistory } from '../../src/report/growth-from-history.js';

const point = (p: Partial<HistoryPoint>): HistoryPoint => ({
  at: '2026-11-01T03:00:00.000Z', followers: 0, on_profile: null, served: 0, added: 0, first_seen: 0, removed: 0,
  beyond_reach: 0, end: 'cap', sees_losses: true, requests: 1, ...p,
});

describe('history snapshots as the report chart\'s points', () => {
  it('draws what was served as the line and the followers past the reach as the band above it', () => {
    const series = growthFromHistory([
      point({ at: '2026-11-01T03:00:00Z', followers: 1000, served: 1000, added: 1000, on_profile: 1500 }),
      // 300 new, 1 gone, 299 slid past the reach: still followers, no longer served.
      point({ at: '2026-11-02T03:00:00Z', followers: 1299, served: 1000, added: 300, removed: 1, beyond_reach: 299, on_profile: 1799 }),
    ]);
    expect(series).toEqual([
      { at: '2026-11-01T03:00:00Z', followers: 1000, on_profile: 1500, added: 1000, removed: 0, beyond_reach: 0 },
      { at: '2026-11-02T03:00:00Z', followers: 1000, on_profile: 1799, added: 300, removed: 1, beyond_reach: 299 },
    ]);
  });

  it('an --update snapshot (new followers only) carries the line on from the last full walk', () => {
    const series = growthFromHistory([
      point({ followers: 500, served: 500, added: 500, end: 'complete' }),
      point({ followers: 520, served: 20, added: 20, end: 'update', sees_losses: false }),
    ]);
    expect(series.map((p) => [p.followers, p.beyond_reach, p.sees_losses])).toEqual([[500, 0, undefined], [520, 0, false]]);
  });

  it("an --update as the account's first snapshot (the whole file it updated) is the line's start, an estimate", () => {
    const series = growthFromHistory([
      point({ followers: 220, served: 220, added: 220, end: 'update', sees_losses: false }),
      point({ followers: 230, served: 10, added: 10, end: 'update', sees_losses: false }),
      point({ followers: 229, served: 229, added: 0, removed: 1, end: 'complete' }),
    ]);
    expect(series.map((p) => [p.followers, p.beyond_reach, p.estimated])).toEqual([[220, 0, true], [220, 10, true], [229, 0, undefined]]);
  });

  it('a walk gone on with after a pause served what it served (it only cannot see who left): not an estimate', async () => {
    const series = growthFromHistory([
      point({ at: '2026-11-01T03:00:00Z', followers: 1000, served: 1000, added: 1000, end: 'complete' }),
      point({ at: '2026-11-02T03:00:00Z', followers: 1000, served: 997, added: 0, end: 'complete', sees_losses: false }),
    ]);
    expect(series.map((p) => [p.followers, p.beyond_reach, p.sees_losses, p.estimated])).toEqual([[1000, 0, undefined, undefined], [997, 3, false, undefined]]);
    const { growthSection } = await import('../../src/report/growth-chart.js');
    const html = growthSection(series);
    expect(html).toContain('<td>2026-11-02 03:00:00</td><td class="n">997</td>');
    expect(html).toContain('2026-11-02 03:00:00: 997 served, 3 beyond reach</title>');
    expect(html).not.toContain('estimated');
  });

  it('after a walk cut by the reach, an --update snapshot serves as many as then: the added came on top, as many slid past the reach', () => {
    // A reach of 1,000: a full walk, two nights of --update (+60 each), a full walk again.
    const series = growthFromHistory([
      point({ followers: 1000, served: 1000, added: 1000, end: 'cap' }),
      point({ followers: 1060, served: 60, added: 60, end: 'update', sees_losses: false }),
      point({ followers: 1120, served: 60, added: 60, end: 'update', sees_losses: false }),
      point({ followers: 1178, served: 1000, added: 60, removed: 2, beyond_reach: 118, end: 'cap' }),
    ]);
    // Never above the reach (it drew 1,060 and 1,120 "served by the API").
    expect(series.map((p) => [p.followers, p.beyond_reach])).toEqual([[1000, 0], [1000, 60], [1000, 120], [1000, 178]]);
  });

  it('says an --update snapshot\'s gone as unknown on the page, not 0', async () => {
    const { growthSection } = await import('../../src/report/growth-chart.js');
    const html = growthSection(
      growthFromHistory([
        point({ at: '2026-11-01T03:00:00Z', followers: 1000, served: 1000, added: 1000, end: 'cap' }),
        point({ at: '2026-11-02T03:00:00Z', followers: 1060, served: 60, added: 60, end: 'update', sees_losses: false }),
      ]),
    );
    // Its "served" is the line's estimate (the update served its 60 new followers only): said so.
    expect(html).toContain('<td>2026-11-02 03:00:00</td><td class="n" title="an update served only its new followers: what a full walk would have served then, estimated">≈ 1,000</td><td class="n">–</td><td class="n">+60</td><td class="n">0</td><td class="n">–</td><td class="n">60</td>');
    expect(html).toContain('<td>2026-11-01 03:00:00</td><td class="n">1,000</td>');
    expect(html).toContain('2026-11-02 03:00:00: about 1,000 served (an update: estimated), 60 beyond reach</title>');
    expect(html).toContain('2026-11-02 03:00:00: +60 added, gone unknown (an update, or a walk gone on with after a pause, sees no one leave)');
    expect(html).toContain('<th class="n">beyond reach, in all</th>');
  });

  it('the table has the followers first seen below where the walk before ended, so that its rows add up; times to the second', async () => {
    const { growthSection } = await import('../../src/report/growth-chart.js');
    const html = growthSection(
      growthFromHistory([
        point({ at: '2026-11-01T03:00:00Z', followers: 1000, served: 1000, added: 1000, end: 'cap' }),
        point({ at: '2026-11-01T03:00:07Z', followers: 1498, served: 1498, added: 100, first_seen: 400, removed: 2, end: 'cap' }),
      ]),
    );
    expect(html).toContain('<th class="n" title="never seen before, below where the walk before ended: there all along">first seen</th>');
    expect(html).toContain('<td>2026-11-01 03:00:07</td><td class="n">1,498</td><td class="n">–</td><td class="n">+100</td><td class="n">400</td><td class="n">-2</td><td class="n">0</td>');
  });

  it('snapshots seconds apart: the time axis labels each whole second once, never the same label twice', async () => {
    const { growthSection } = await import('../../src/report/growth-chart.js');
    const timeTicks = (html: string) => [...html.matchAll(/<text class="tick" x="[\d.]+" y="[\d.]+" text-anchor="middle">([^<]*)<\/text>/g)].map((m) => m[1]!).filter((t) => /:/.test(t));
    for (const [first, last] of [['2026-11-01T03:47:21.200Z', '2026-11-01T03:47:22.900Z'], ['2026-11-01T03:47:21.100Z', '2026-11-01T03:47:21.700Z']]) {
      const labels = timeTicks(growthSection(growthFromHistory([point({ at: first, end: 'cap' }), point({ at: last, end: 'cap' })])));
      expect(labels.length).toBeGreaterThanOrEqual(1);
      expect(new Set(labels).size).toBe(labels.length);
    }
  });

  it('the added/gone axis is signed, counts are whole, and one snapshot stands in the middle of its axis (its label off the count axis)', async () => {
    const { growthSection } = await import('../../src/report/growth-chart.js');
    const ticks = (html: string) => [...html.matchAll(/<text class="tick"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
    const busy = growthSection(
      growthFromHistory([
        point({ at: '2026-11-01T03:00:00Z', followers: 1000, served: 1000, added: 1000, end: 'cap' }),
        point({ at: '2026-11-02T03:00:00Z', followers: 1000, served: 1000, added: 800, removed: 800, end: 'cap' }),
      ]),
    );
    expect(ticks(busy)).toEqual(expect.arrayContaining(['+1k', '+0.5k', '0', '-0.5k', '-1k']));
    expect(ticks(busy).filter((t) => /^0\.|k$/.test(t) && !/^[-+]/.test(t))).toEqual(['0.2k', '0.4k', '0.6k', '0.8k', '1k']);
    // An account with no followers: 0 and 1 on its axes, never 0.2 or 0.5.
    const none = growthSection(growthFromHistory([point({ at: '2026-11-01T03:00:00Z', end: 'complete' })]));
    expect(ticks(none)).toEqual(expect.arrayContaining(['0', '1', '-1', '+1']));
    expect(ticks(none).filter((t) => /\d\.\d/.test(t))).toEqual([]);
    const [cx] = [...none.matchAll(/<circle class="served" cx="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(cx).toBe(64 + (560 - 64 - 16) / 2);
  });

  it('the time axis reads 24-hour UTC times and days, and the count axis starts at 0, not 0k', async () => {
    const { growthSection, timeLabels } = await import('../../src/report/growth-chart.js');
    const hours = ['2026-12-03T12:00:00Z', '2026-12-03T14:00:00Z', '2026-12-03T16:00:00Z', '2026-12-04T00:00:00Z', '2026-12-04T02:00:00Z'].map((t) => new Date(t));
    expect(timeLabels(hours)).toEqual(['Dec 03 12:00', '14:00', '16:00', 'Dec 04 00:00', '02:00']);
    expect(timeLabels(['2026-11-29', '2026-12-01', '2026-12-03'].map((t) => new Date(`${t}T00:00:00Z`)))).toEqual(['Nov 29', 'Dec 01', 'Dec 03']);
    expect(timeLabels(['2026-11-01', '2026-12-01', '2027-01-01'].map((t) => new Date(`${t}T00:00:00Z`)))).toEqual(['Nov 2026', 'Dec 2026', 'Jan 2027']);
    // Snapshots in one afternoon: d3's default said "02:30" for 14:30.
    const html = growthSection(
      growthFromHistory([
        point({ at: '2026-12-03T14:29:04Z', followers: 1000, served: 1000, added: 1000, end: 'cap' }),
        point({ at: '2026-12-03T16:31:00Z', followers: 1200, served: 1000, added: 200, removed: 1, beyond_reach: 199, end: 'cap' }),
      ]),
    );
    const ticks = [...html.matchAll(/<text class="tick"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(ticks).toContain('15:00');
    expect(ticks).toContain('16:00');
    expect(ticks.some((t) => /^0\d:/.test(t!) && t !== '00:00')).toBe(false);
    expect(ticks).toContain('0');
    expect(ticks).not.toContain('0k');
  });
});
