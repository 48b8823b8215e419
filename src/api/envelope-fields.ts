/**
 * Reads the envelope fields that drive the walk, leniently in type and strictly in meaning.
 *
 * A vendor that wraps another API does not always keep the sample's types
 * (shared/api/README.md, "Types drift"): `has_more` may come as 1/0 or "true"/"1", and `code`,
 * `status_code`, `min_time`, `max_time` and `total` as strings of digits ("1763998859"). Each is
 * read as what it means. What cannot be read is never guessed: a cursor that cannot be read on a
 * page that says (or does not deny) that more follow is a misbehaving API, reported as `problem`
 * (the client retries it, then stops with exit 6 naming the field and the value) and never taken
 * for the end of the list. A whole number beyond 2^53 cannot be a cursor or a count here and is
 * refused the same way rather than rounded.
 */
import { STATUS_OK } from './types.js';

/** A whole number from a JSON number or a string of digits (optionally signed); undefined if not. */
export function readInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*-?\d{1,16}\s*$/.test(value)) {
    const number = Number(value);
    return Number.isSafeInteger(number) ? number : undefined;
  }
  return undefined;
}

/** true/false, 1/0, and their string forms; undefined if absent or anything else. */
export function readFlag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === '1' || value === 'true') return true;
  if (value === 0 || value === '0' || value === 'false') return false;
  return undefined;
}

/** The value as it came, for a message: short, and JSON so a string shows its quotes. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

export interface ListFields {
  /** The vendor's `code`, a number when it can be read as one (so "200" is success). */
  code: unknown;
  statusCode: number;
  hasMore: boolean | undefined;
  minTime: number | undefined;
  /** data.max_time, read like min_time; only informative (never drives the walk), so never a problem. */
  maxTime?: number | undefined;
  total: number | undefined;
  /** Set when a field the walk needs cannot be read: what, and the value that came. */
  problem?: string;
}

export function readListFields(code: unknown, data: Record<string, unknown> | undefined): ListFields {
  const fields: ListFields = {
    code: readInteger(code) ?? code,
    statusCode: STATUS_OK,
    hasMore: undefined,
    minTime: undefined,
    total: data ? readInteger(data.total) : undefined,
  };
  if (fields.code !== 200) return fields;
  // Success without an answer (`"data": null`) is a broken page, retried, never an empty list.
  if (!data) return { ...fields, problem: `data is ${data === undefined ? 'missing' : shown(data)} on a page with code 200` };

  if (data.status_code !== undefined && data.status_code !== null) {
    const status = readInteger(data.status_code);
    if (status === undefined) return { ...fields, problem: `data.status_code is ${shown(data.status_code)}, not a status code` };
    fields.statusCode = status;
  }
  // A hidden or missing user's answer carries no list fields at all: nothing more to read.
  if (fields.statusCode !== STATUS_OK) return fields;

  if (data.has_more !== undefined && data.has_more !== null) {
    fields.hasMore = readFlag(data.has_more);
    if (fields.hasMore === undefined) return { ...fields, problem: `data.has_more is ${shown(data.has_more)}, neither true nor false` };
  }
  fields.minTime = readInteger(data.min_time);
  fields.maxTime = readInteger(data.max_time);
  // has_more false ends the list whatever the cursor says; otherwise the cursor must be a
  // follow time or the depth cap's -1 / 0 (shared/api/README.md, "Depth cap").
  if (fields.hasMore !== false && (fields.minTime === undefined || fields.minTime < -1)) {
    const what = data.min_time === undefined ? 'missing' : shown(data.min_time);
    return { ...fields, minTime: undefined, problem: `data.min_time is ${what}, not a cursor, on a page that says more followers follow` };
  }
  return fields;
}
