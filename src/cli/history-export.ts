/**
 * The usage rules of `tkf export --db` (issue 16), kept out of export-command.ts: what a history
 * database needs of the export.
 */
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { isPostgresUrl, sqliteFiles } from '../history/open-history.js';
import { urlPasswords } from '../history/postgres-driver.js';
import { isSameFile, outputPaths } from '../output/output-file.js';
import type { FormatDefinition } from '../writers/index.js';
import type { ExportOptions } from './export-options.js';

export function checkHistoryUsage(options: ExportOptions): void {
  if (options.out === '-') throw new UsageError('--db records a finished export file; --out - is a stream (leave out --out to record history only)');
  if (options.update && options.out === undefined) {
    throw new UsageError('--update with --db adds to an export file: give --out (the file to update), or leave out --update for a full walk');
  }
}

/**
 * An export file that is the SQLite history database, or one of its files (-wal, -shm,
 * -journal), or whose own files (.part, .tkf.json, ...) are: refused before anything is opened.
 * Publishing the export renamed it over the database (`--db h --out h --force`: exit 0, every
 * snapshot gone). By name, and by the file itself where both exist (a link, a hard link).
 */
export function checkOutputBesideDb(out: string, db: string | undefined): void {
  if (db === undefined || isPostgresUrl(db) || out === '-') return;
  const ours = Object.values(outputPaths(out)).flatMap((path) => [path, `${path}.tmp`]).map((path) => resolve(path));
  const its = sqliteFiles(db).map((path) => resolve(path));
  if (ours.some((a) => its.includes(a)) || isSameFile(out, db)) {
    throw new UsageError(`--out ${out} is the history database --db ${db} (or one of its files): the export would replace it; name another file`);
  }
}

/** The database reads the finished file back: CSV or JSONL. */
export function checkHistoryFormat(format: FormatDefinition): void {
  if (format.render) throw new UsageError(`--db records .csv and .jsonl exports, not .${format.name}; export to .jsonl or .csv with --db`);
}

/** The password of a PostgreSQL URL is as secret as the token: redacted from every message. */
export function postgresSecrets(url: string): string[] {
  // user:password@, and a password in the query (?password=, ?sslpassword=), as pg reads them.
  const secrets: string[] = [];
  for (const password of urlPasswords(url)) {
    if (!password) continue;
    secrets.push(password);
    try {
      secrets.push(decodeURIComponent(password.replace(/\+/g, ' ')), decodeURIComponent(password));
    } catch {
      // kept as written
    }
  }
  return [...new Set(secrets)].filter((secret) => secret.length > 0);
}

/** A --db target's password, when it is a PostgreSQL URL, among the secrets every message is redacted of. */
export function addDbSecrets(secrets: string[], db: string | undefined): void {
  if (db !== undefined && isPostgresUrl(db)) secrets.push(...postgresSecrets(db));
}
