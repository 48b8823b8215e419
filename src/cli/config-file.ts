/**
 * The optional config file: $XDG_CONFIG_HOME/tkf/config.json, else ~/.config/tkf/config.json.
 *
 *   { "base_url": "http://api.example.com", "token_file": "~/.tkf-token",
 *     "format": "csv", "bom": true, "retries": 8, "delay": 200, "concurrency": 4 }
 *
 * Precedence: flags > environment (TKF_TOKEN, TKF_BASE_URL) > this file > built-in defaults.
 * No HOME and no XDG_CONFIG_HOME (cron) simply means no config file.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

/** Keys the file may set, and the option each one stands for. */
const KEYS: Record<string, { option: string; type: 'string' | 'number' | 'boolean' }> = {
  base_url: { option: 'baseUrl', type: 'string' },
  token_file: { option: 'tokenFile', type: 'string' },
  format: { option: 'format', type: 'string' },
  fields: { option: 'fields', type: 'string' },
  bom: { option: 'bom', type: 'boolean' },
  formula_guard: { option: 'formulaGuard', type: 'boolean' },
  retries: { option: 'retries', type: 'number' },
  timeout: { option: 'timeout', type: 'number' },
  backoff: { option: 'backoff', type: 'number' },
  delay: { option: 'delay', type: 'number' },
  rate: { option: 'rate', type: 'number' },
  max_requests: { option: 'maxRequests', type: 'number' },
  concurrency: { option: 'concurrency', type: 'number' },
};

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
