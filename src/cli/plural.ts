/** Counts in words: "1 follower", "1,240 followers"; one place, so no line says "1 users". */
import { formatCount } from './progress-view.js';

/** `n` with its noun: the singular for exactly 1, else the plural (default: noun + s). */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(n)} ${n === 1 ? singular : pluralForm}`;
}

export const followers = (n: number) => plural(n, 'follower');
export const requests = (n: number) => plural(n, 'request');
export const users = (n: number) => plural(n, 'user');
