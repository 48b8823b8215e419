/**
 * The optional config file: $XDG_CONFIG_HOME/tkf/config.json, else ~/.config/tkf/config.json.
 *
 *   { "base_url": "http://api.example.com", "token_file": "~/.tkf-token",
 *     "format": "csv", "bom": true, "retries": 8, "delay": 200, "concurrency": 4 }
 *
 * Precedence: flags > environment (TKF_TOKEN, TKF_BASE_URL) > this file > built-in defaults.
 * A value from this file goes through the same parser and limits as its flag (export-options.ts):
 * `{"concurrency": 0}` is refused like `--concurrency 0`, never run.
 * No HOME and no XDG_CONFIG_HOME (cron) simply means no config file.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { configKeys } from './export-options.js';

/** Keys the file may set, and the option each one stands for: declared with the options. */
const KEYS = configKeys();

export interface Config {
  path: string | undefined;
  /** Option name (as commander stores it) -> value. */
  values: Record<string, string | number | boolean>;
}

export function configPath(env: NodeJS.ProcessEnv): string | undefined {
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'tkf', 'config.json');
  if (env.HOME) return join(env.HOME, '.config', 'tkf', 'config.json');
  return undefined;
}

export async function loadConfig(env: NodeJS.ProcessEnv, warn: (text: string) => void): Promise<Config> {
  const path = configPath(env);
  if (!path) return { path, values: {} };
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path: undefined, values: {} };
    throw new UsageError(`cannot read the config file ${path}: ${(error as Error).message}`);
  }
  const mode = (await stat(path)).mode;
  if (mode & 0o077) warn(`the config file ${path} is readable by other users; chmod 600 it`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`the config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`the config file ${path} must hold a JSON object`);
  const values: Config['values'] = {};
  for (const [key, value] of Object.entries(raw)) {
    const known = KEYS[key];
    if (!known) throw new UsageError(`the config file ${path} has an unknown key "${key}"; known: ${Object.keys(KEYS).join(', ')}`);
    if (typeof value !== known.type) throw new UsageError(`the config file ${path}: "${key}" must be a ${known.type}`);
    values[known.option] = expandHome(value as string | number | boolean, env);
  }
  return { path, values };
}

function expandHome<T>(value: T, env: NodeJS.ProcessEnv): T {
  if (typeof value === 'string' && value.startsWith('~/') && env.HOME) return join(env.HOME, value.slice(2)) as T;
  return value;
}

/** The config file read and applied to a command's options (see applyConfig): one step for a command's action. */
export async function configure(command: Command, options: object, env: NodeJS.ProcessEnv, warn: (text: string) => void): Promise<Config> {
  const config = await loadConfig(env, warn);
  applyConfig(command, options, config);
  return config;
}

/**
 * Options not given on the command line take the config file's value, parsed and checked by the
 * option's own parser and choices, exactly as if it had been typed as the flag.
 */
export function applyConfig(command: Command, options: object, config: Config): void {
  const target = options as Record<string, unknown>;
  for (const [name, value] of Object.entries(config.values)) {
    if (name === 'baseUrl' || name === 'tokenFile') continue; // read with the environment's precedence
    const source = command.getOptionValueSource(name);
    if (source !== undefined && source !== 'default') continue;
    const option = command.options.find((o) => o.attributeName() === name);
    const key = Object.keys(KEYS).find((k) => KEYS[k]!.option === name) ?? name;
    let parsed: unknown = value;
    try {
      if (option?.argChoices && !option.argChoices.includes(String(value))) {
        throw new InvalidArgumentError(`allowed: ${option.argChoices.join(', ')}.`);
      }
      if (option?.parseArg) parsed = option.parseArg(String(value), undefined);
    } catch (error) {
      if (!(error instanceof InvalidArgumentError)) throw error;
      throw new UsageError(`the config file ${config.path}: "${key}" is ${JSON.stringify(value)}: ${error.message.replace(/\.$/, '')}`);
    }
    target[name] = parsed;
  }
}
