/**
 * A PostgreSQL URL's password is as secret as the token: masked in every label (messages, the
 * report's `file`, its page) and redacted wherever it could still appear, whether it is written
 * as user:password@ or in the query (?password=, ?sslpassword=), which pg reads too.
 */
import { describe, expect, it } from 'vitest';
import { postgresSecrets } from '../../src/cli/history-export.js';
import { postgresLabel } from '../../src/history/postgres-driver.js';

describe("a PostgreSQL URL's password", () => {
  it('is masked in the label, before @ and in the query', () => {
    expect(postgresLabel('postgres://tkf:s3cret@db.example:5432/h')).toBe('postgres://tkf:***@db.example:5432/h');
    expect(postgresLabel('postgres://tkf@db.example/h?password=QpwQ42')).toBe('postgres://tkf@db.example/h?password=***');
    expect(postgresLabel('postgres://tkf@db.example/h?sslmode=require&Password=a%26b&sslpassword=k3y#x')).toBe('postgres://tkf@db.example/h?sslmode=require&Password=***&sslpassword=***#x');
    expect(postgresLabel('postgres://tkf@db.example/h?sslmode=require')).toBe('postgres://tkf@db.example/h?sslmode=require');
    // An @ left unencoded in the password: pg takes the authority's last @ as its end.
    expect(postgresLabel('postgres://postgres:Sek@r3tPW@127.0.0.1:5432/h')).toBe('postgres://postgres:***@127.0.0.1:5432/h');
    // A key pg decodes: pass%77ord is password.
    expect(postgresLabel('postgres://tkf@db/h?pass%77ord=Qp&x=1')).toBe('postgres://tkf@db/h?pass%77ord=***&x=1');
  });

  it('is among the secrets redacted, as written and decoded', () => {
    expect(postgresSecrets('postgres://tkf:p%40ss@db/h')).toEqual(['p%40ss', 'p@ss']);
    expect(postgresSecrets('postgres://tkf@db/h?password=Qpw%2BQ+42&sslpassword=k3y')).toEqual(['Qpw%2BQ+42', 'Qpw+Q 42', 'Qpw+Q+42', 'k3y']);
    expect(postgresSecrets('postgres://tkf@db/h?password=')).toEqual([]);
    expect(postgresSecrets('postgres://postgres:Sek@r3tPW@127.0.0.1/h')).toEqual(['Sek@r3tPW']);
    expect(postgresSecrets('postgres://tkf@db/h?pass%77ord=Qp')).toEqual(['Qp']);
    expect(postgresSecrets('postgres://tkf@db/h')).toEqual([]);
  });
});
