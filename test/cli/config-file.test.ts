import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { applyConfig, type Config } from '../../src/cli/config-file.js';
import { readFileSync } from 'node:fs';
import { configKeys, exportOptions, type ExportOptions } from '../../src/cli/export-options.js';
import { UsageError } from '../../src/errors.js';

/** The export command's options as commander leaves them after parsing `args`. */
function parsed(args: string[]): { command: Command; options: ExportOptions } {
  const command = new Command('export').exitOverride();
  for (const option of exportOptions()) command.addOption(option);
  command.parse(args, { from: 'user' });
  return { command, options: command.opts<ExportOptions>() };
}

const config = (values: Config['values']): Config => ({ path: '/home/me/.config/tkf/config.json', values });

describe('config values go through the flags\' own parsers and limits', () => {
  for (const [key, name, value] of [
    ['concurrency', 'concurrency', 0],
    ['retries', 'retries', -1],
    ['timeout', 'timeout', 0],
    ['max_requests', 'maxRequests', 0],
    ['delay', 'delay', 1.5],
  ] as const) {
    it(`refuses {"${key}": ${value}} with exit 2, as the flag would be refused`, () => {
      const { command, options } = parsed([]);
      const error = (() => {
        try {
          applyConfig(command, options, config({ [name]: value }));
        } catch (caught) {
          return caught as UsageError;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(UsageError);
      expect(error!.exitCode).toBe(2);
      expect(error!.message).toContain('/home/me/.config/tkf/config.json');
      expect(error!.message).toContain(`"${key}"`);
      expect(error!.message).toMatch(/takes a whole number/);
    });
  }

  it('refuses a format that is not one of the choices', () => {
    const { command, options } = parsed([]);
    expect(() => applyConfig(command, options, config({ format: 'xml' }))).toThrow(/"format" is "xml": allowed: csv, jsonl/);
  });

  it('takes valid values, and flags given on the command line win', () => {
    const { command, options } = parsed(['--retries', '2']);
    applyConfig(command, options, config({ retries: 9, concurrency: 8, bom: true, delay: 200 }));
    expect(options).toMatchObject({ retries: 2, concurrency: 8, bom: true, delay: 200 });
  });

  it('the file\'s "bom": true and "formula_guard": false each have a flag that wins over them (--no-bom, --formula-guard)', () => {
    const { command, options } = parsed(['--no-bom', '--formula-guard']);
    applyConfig(command, options, config({ bom: true, formulaGuard: false }));
    expect(options).toMatchObject({ bom: false, formulaGuard: true });
    const unset = parsed([]);
    applyConfig(unset.command, unset.options, config({ bom: true, formulaGuard: false }));
    expect(unset.options).toMatchObject({ bom: true, formulaGuard: false });
    // Without the file, the guard is on and there is no BOM.
    const plain = parsed([]);
    expect(plain.options.formulaGuard).toBe(true);
    expect(Boolean(plain.options.bom)).toBe(false);
  });
});

describe('the config keys are declared with the options', () => {
  it('and the README lists exactly those', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const listed = /^Keys: (.*?)\. Flags win/ms.exec(readme)![1]!.match(/`[a-z_]+`/g)!.map((key) => key.slice(1, -1));
    expect(listed.sort()).toEqual(Object.keys(configKeys()).sort());
    expect(configKeys().formula_guard).toEqual({ option: 'formulaGuard', type: 'boolean' });
  });
});
