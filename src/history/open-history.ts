/**
 * `--db <target>`: a PostgreSQL URL (postgres:// or postgresql://) or a SQLite file path.
 * Opening connects, migrates the schema forward and proves the database writable, so a database
 * that cannot be used stops the run before any page is paid for (HistoryDbError, exit 10).
 */
import type { SqlDriver } from './sql-driver.js';
import { migrate } from './schema.js';

export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

export async function openHistory(target: string, options: { migrate?: boolean } = {}): Promise<SqlDriver> {
  const driver = isPostgresUrl(target)
    ? await (await import('./postgres-driver.js')).openPostgres(target)
    : (await import('./sqlite-driver.js')).openSqlite(target);
  if (options.migrate === false) return driver;
  try {
    await migrate(driver);
  } catch (error) {
    await driver.close().catch(() => {});
    throw error;
  }
  return driver;
}
