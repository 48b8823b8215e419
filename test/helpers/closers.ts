import { afterEach } from 'vitest';

/**
 * What a test starts and must stop (a simulator, a server): registered as it starts, closed after
 * each test, in order, even when the test failed. Returns the function that registers one.
 */
export function useClosers(): (close: () => Promise<void>) => void {
  let closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    const now = closers;
    closers = [];
    for (const close of now) await close();
  });
  return (close) => {
    closers.push(close);
  };
}
