/**
 * What the history database keeps of a follower (followers.data, schema version 2): the export's
 * columns (src/writers/fields.ts DEFAULT_CSV_FIELDS, the 15 a CSV export writes, computed ones
 * included) as a JSON object, not the API's whole ~4.7 KB object. A tenth of the bytes through
 * SQLite and its WAL, which is most of what recording a snapshot cost (issue 16 point 8,
 * BENCHMARKS.md); `tkf history changes` writes these columns.
 */
import { COMPUTED_FIELDS, DEFAULT_CSV_FIELDS, getPath } from '../writers/fields.js';
import type { FollowerRow } from './record-snapshot.js';

/** The export's columns of one API follower object, as followers.data holds them (absent fields left out). */
export function exportColumns(follower: Record<string, unknown>): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  for (const field of DEFAULT_CSV_FIELDS) {
    const computed = COMPUTED_FIELDS[field];
    const value = computed ? computed.value(follower) : getPath(follower, field.split('.'));
    if (value !== undefined) columns[field] = value;
  }
  return columns;
}

/** A follower row for the database from the API's object (a JSONL line, a page of the walk). */
export function followerRow(uid: string, follower: Record<string, unknown>): FollowerRow {
  return {
    uid,
    uniqueId: typeof follower.unique_id === 'string' ? follower.unique_id : null,
    nickname: typeof follower.nickname === 'string' ? follower.nickname : null,
    data: JSON.stringify(exportColumns(follower)),
  };
}

/**
 * A row recorded by schema version 1 kept the API's whole object; version 2 keeps its columns.
 * The API's object is told by `avatar_larger`, which every follower object has and no CSV export
 * writes by default (a CSV's row, already columns, is kept as it is).
 */
export function isApiObject(data: Record<string, unknown>): boolean {
  return 'avatar_larger' in data && !('avatar_url' in data);
}
