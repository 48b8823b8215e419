/**
 * The pager's Stop (src/stop-signal.ts) stands where an AbortController stood: it must behave as
 * one for everything that listens to it (sleep, the client's request, the run governor).
 */
import { describe, expect, it } from 'vitest';
import { sleep } from '../src/sleep.js';
import { Stop } from '../src/stop-signal.js';

describe('Stop', () => {
  it('calls each listener once, on the first abort, with the reason set before', () => {
    const stop = new Stop();
    const seen: unknown[] = [];
    const listener = () => seen.push(stop.reason);
    stop.signal.addEventListener('abort', listener, { once: true });
    stop.signal.addEventListener('abort', listener); // the same listener: added once
    const reason = new Error('the walk went elsewhere');
    stop.abort(reason);
    stop.abort(new Error('again'));
    expect(seen).toEqual([reason]);
    expect(stop.signal.aborted).toBe(true);
    expect(stop.signal.reason).toBe(reason);
  });

  it('calls no listener removed, or added after the abort', () => {
    const stop = new Stop();
    const calls: string[] = [];
    const removed = () => calls.push('removed');
    stop.addEventListener('abort', removed);
    stop.addEventListener('abort', () => calls.push('kept'));
    stop.removeEventListener('abort', removed);
    stop.abort();
    stop.addEventListener('abort', () => calls.push('late'));
    expect(calls).toEqual(['kept']);
  });

  it('gives an AbortError when aborted without a reason, as AbortController does', () => {
    const stop = new Stop();
    stop.abort();
    const controller = new AbortController();
    controller.abort();
    expect(stop.reason).toBeInstanceOf(DOMException);
    expect((stop.reason as DOMException).name).toBe((controller.signal.reason as DOMException).name);
  });

  it('runs every listener when one throws, then throws the first error', () => {
    const stop = new Stop();
    const calls: number[] = [];
    stop.addEventListener('abort', () => {
      calls.push(1);
      throw new Error('first');
    });
    stop.addEventListener('abort', () => {
      calls.push(2);
      throw new Error('second');
    });
    stop.addEventListener('abort', () => calls.push(3));
    expect(() => stop.abort()).toThrow('first');
    expect(calls).toEqual([1, 2, 3]);
  });

  it('ends a sleep early with its reason, and leaves no listener once the sleep is over', async () => {
    const stop = new Stop();
    const reason = new Error('stopped');
    const waiting = sleep(60_000, stop.signal);
    stop.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    const other = new Stop();
    await sleep(1, other.signal);
    expect((other as unknown as { listeners: unknown[] }).listeners).toHaveLength(0);
  });
});
