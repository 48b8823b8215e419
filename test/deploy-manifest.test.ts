/**
 * deploy/k8s/cronjob.yaml is documentation that runs: it must parse, be an Indexed Job whose
 * shard count matches its completions, and its tkf command line may use only options that
 * `tkf export --help` lists.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './e2e/run-tkf.js';

const manifest = parse(readFileSync(join(ROOT, 'deploy/k8s/cronjob.yaml'), 'utf8'));
const job = manifest.spec.jobTemplate.spec;
const container = job.template.spec.containers[0];
const script: string = container.args.join(' ');
const help = execFileSync(process.execPath, [join(ROOT, 'bin/tkf.js'), 'export', '--help'], { encoding: 'utf8' });

describe('deploy/k8s/cronjob.yaml', () => {
  test('is a CronJob running an Indexed Job, one pod per shard', () => {
    expect(manifest).toMatchObject({ apiVersion: 'batch/v1', kind: 'CronJob' });
    expect(job.completionMode).toBe('Indexed');
    expect(job.parallelism).toBe(job.completions);
    const shard = /--shard "\$\(\(JOB_COMPLETION_INDEX \+ 1\)\)\/(\d+)"/.exec(script);
    expect(shard, script).not.toBeNull();
    expect(Number(shard![1])).toBe(job.completions);
  });

  test('runs tkf export with options that tkf export --help lists, and the token from a secret', () => {
    expect(script).toMatch(/^exec tkf export /);
    const flags = [...script.matchAll(/(?:^|\s)(--[a-z-]+)/g)].map((m) => m[1]!);
    expect(flags.length).toBeGreaterThan(3);
    for (const flag of flags) expect(help, `${flag} is not an option of tkf export`).toMatch(new RegExp(`^\\s+(-\\w, )?${flag}\\b`, 'm'));
    expect(script).not.toMatch(/--token\b/);
    expect(container.env.find((e: { name: string }) => e.name === 'TKF_TOKEN').valueFrom.secretKeyRef).toBeDefined();
  });

  test('retries the exit code a run of many accounts gives when the API is unreachable (not failed at once)', () => {
    const failAtOnce: number[] = job.podFailurePolicy.rules.find((rule: { action: string }) => rule.action === 'FailIndex').onExitCodes.values;
    // The API unreachable: a --uids-file run of two accounts against a port nobody listens on.
    let code = 0;
    const dir = mkdtempSync(join(tmpdir(), 'tkf-deploy-'));
    try {
      execFileSync(process.execPath, [join(ROOT, 'bin/tkf.js'), 'export', '--uids-file', '-', '--out', join(dir, '{uid}.jsonl'), '--base-url', 'http://127.0.0.1:1', '--retries', '0', '-q'], {
        input: '6754915036232582149\n6754915036232582150\n',
        env: { PATH: process.env.PATH, TKF_TOKEN: 'tok-DEPLOY' },
        stdio: ['pipe', 'ignore', 'ignore'],
      });
    } catch (error) {
      code = (error as { status: number }).status;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect([6, 9]).toContain(code);
    expect(failAtOnce).not.toContain(code);
  });
});
