/**
 * Columns: which values of a follower a writer puts out, picked by name or dot path
 * (`--fields uid,avatar_larger.url_list.0`), plus two computed columns a spreadsheet user wants.
 */
import { LosslessNumber, isSafeNumber, stringify as stringifyLossless } from 'lossless-json';
import type { RawFollower } from '../api/types.js';
import { UsageError } from '../errors.js';

/** What a person looking at followers in a spreadsheet wants, in order. */
export const DEFAULT_CSV_FIELDS = [
  'uid',
  'sec_uid',
  'unique_id',
  'nickname',
  'profile_url',
  'signature',
  'follower_count',
  'following_count',
  'aweme_count',
  'total_favorited',
  'region',
  'language',
  'verification_type',
  'custom_verify',
  'avatar_url',
] as const;

type Follower = Record<string, unknown>;

/** Columns that are not fields of the API's follower object but are derived from it. */
export const COMPUTED_FIELDS: Record<string, { help: string; value: (follower: Follower) => unknown }> = {
  profile_url: {
    help: 'https://www.tiktok.com/@<unique_id>',
    value: (f) => (typeof f.unique_id === 'string' && f.unique_id ? `https://www.tiktok.com/@${f.unique_id}` : ''),
  },
  avatar_url: {
    help: 'the first URL of avatar_larger',
    value: (f) => getPath(f, ['avatar_larger', 'url_list', '0']),
  },
};

/** Parses `--fields a,b.c,d.0`: names or dot paths, comma-separated, no empties, no repeats. */
export function parseFieldList(text: string): string[] {
  const fields = text.split(',').map((field) => field.trim());
  for (const field of fields) {
    if (!field || field.split('.').some((part) => part === '')) {
      throw new UsageError(`--fields: "${text}" has an empty field name; write names or dot paths separated by commas, e.g. uid,nickname,avatar_larger.url_list.0`);
    }
  }
  const repeated = fields.find((field, index) => fields.indexOf(field) !== index);
  if (repeated) throw new UsageError(`--fields: "${repeated}" is listed twice`);
  return fields;
}

export function getPath(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * Decodes a follower for field access, always as JSON.parse reads it: the page parser accepts
 * what JSON.parse accepts, so the writers must read the same object from it, and where a key is
 * repeated (`{"nickname":"a","nickname":"b"}`, at any depth) the last one wins, as in JSON.parse.
 * (lossless-json throws "Duplicate key" there instead: an export must never stop on a follower
 * the parser took.)
 *
 * A follower holding a number longer than a double keeps exactly (page-parser flags it) has each
 * such number swapped for a marker string before JSON.parse and turned back into a
 * LosslessNumber (its exact digits) by the reviver; shorter numbers stay plain numbers.
 */
export function decodeFollower(raw: RawFollower): Follower {
  const text = raw.bytes.toString('utf8');
  if (!raw.hasLongNumbers) return JSON.parse(text) as Follower;
  const numbers: string[] = [];
  // The marker decodes to NUL + a random tag: no string of this follower holds that tag.
  let nonce: string;
  do nonce = Math.random().toString(36).slice(2, 12);
  while (text.includes(nonce));
  const prefix = `\0tkf-${nonce}-`;
  const marked = swapLongNumbers(text, (digits) => `"\\u0000tkf-${nonce}-${numbers.push(digits) - 1}"`);
  const restore = (value: unknown): unknown => {
    if (typeof value === 'string') {
      if (!value.startsWith(prefix)) return value;
      const digits = numbers[Number(value.slice(prefix.length))];
      if (digits === undefined) return value;
      return isSafeNumber(digits) ? Number(digits) : new LosslessNumber(digits);
    }
    if (value === null || typeof value !== 'object') return value;
    // A plain walk: JSON.parse's reviver visits the same values several times slower.
    if (Array.isArray(value)) for (let i = 0; i < value.length; i++) value[i] = restore(value[i]);
    else {
      for (const key of Object.keys(value)) {
        const old = (value as Record<string, unknown>)[key];
        const restored = restore(old);
        if (restored === old) continue;
        // An own "__proto__" key (JSON.parse makes one) must stay a key, not set the prototype.
        Object.defineProperty(value, key, { value: restored, enumerable: true, writable: true, configurable: true });
      }
    }
    return value;
  };
  return restore(JSON.parse(marked)) as Follower;
}

/** More than this many digits may not be exact as a double (page-parser's SAFE_DIGITS). */
const SAFE_DIGITS = 15;

/** The JSON text with each number token of more than SAFE_DIGITS digits replaced (strings left alone). */
function swapLongNumbers(text: string, replace: (digits: string) => string): string {
  return text.replace(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g, (token) => {
    if (token.startsWith('"')) return token;
    let digits = 0;
    for (const ch of token) if (ch >= '0' && ch <= '9') digits++;
    return digits > SAFE_DIGITS ? replace(token) : token;
  });
}

/** A compiled list of columns: name and how to read it from a decoded follower. */
export interface Column {
  name: string;
  read: (follower: Follower) => unknown;
}

export function compileFields(fields: readonly string[]): Column[] {
  return fields.map((name) => {
    const computed = COMPUTED_FIELDS[name];
    if (computed) return { name, read: computed.value };
    const path = name.split('.');
    return { name, read: (follower: Follower) => getPath(follower, path) };
  });
}

/** JSON text of a value that may hold LosslessNumbers, digits kept exact. */
export function toJson(value: unknown, lossless: boolean): string {
  return (lossless ? stringifyLossless(value) : JSON.stringify(value)) ?? 'null';
}

export { LosslessNumber };

/** What a computed column is made from: it has a value when its source does. */
const COMPUTED_SOURCES: Record<string, string> = {
  profile_url: 'unique_id',
  avatar_url: 'avatar_larger.url_list.0',
};

/**
 * The columns of `fields` that none of `followers` has: a name that is not a path of any of
 * them (a computed column counts as present when its source is). A value of null is present:
 * the API sent the key. Used on the first page, before a misspelt column costs a whole export.
 */
export function fieldsMissingFrom(fields: readonly string[], followers: readonly Follower[]): string[] {
  return fields.filter((field) => {
    const path = (COMPUTED_SOURCES[field] ?? field).split('.');
    return !followers.some((follower) => getPath(follower, path) !== undefined);
  });
}
