/**
 * The settings file: `<data dir>/config.json` (0600), JSON, keys as in schema.ts. Environment
 * variables override it for one run: LOCALGPT_MODEL, LOCALGPT_BACKEND, LOCALGPT_THREADS.
 * LOCALGPT_CONFIG names another file (the CLI sets it once, before a `dataDir` setting moves
 * the data directory, so the file is always read from and written to the same place).
 */
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { dataDir } from '../assistant/vault/paths.js';
import { type Config, type ConfigKey, CONFIG_KEYS, ConfigError, configKey, parseConfigValue, validateConfig } from './schema.js';

export { type Config, type ConfigKey, type BackendSetting, CONFIG_KEYS, ConfigError, configKey, parseConfigValue, validateConfig } from './schema.js';

export const CONFIG_FILE = 'config.json';

/** Environment variables that override a key for one run. */
export const ENV_OVERRIDES: Readonly<Partial<Record<ConfigKey, string>>> = {
  model: 'LOCALGPT_MODEL',
  backend: 'LOCALGPT_BACKEND',
  threads: 'LOCALGPT_THREADS',
};

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.LOCALGPT_CONFIG || join(dataDir(env), CONFIG_FILE);
}

/** The file's settings ({} when there is no file). Invalid JSON or values are a ConfigError naming the problem. */
export function readConfigFile(path: string = configPath()): { config: Config; unknown: string[] } {
  if (!existsSync(path)) return { config: {}, unknown: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return validateConfig(raw, path);
}

/** Write atomically (temp file, fsync, rename), private to the user. */
export function writeConfigFile(config: Config, path: string = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    const text = `${JSON.stringify(config, null, 2)}\n`;
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export type ConfigSource = 'file' | 'env' | 'default';

export interface EffectiveConfig {
  config: Config;
  /** Where each set key came from (env names the variable). */
  sources: Partial<Record<ConfigKey, string>>;
  path: string;
  unknown: string[];
}

/** The file's settings with environment overrides applied (invalid env values are named). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): EffectiveConfig {
  const path = configPath(env);
  const { config, unknown } = readConfigFile(path);
  const sources: Partial<Record<ConfigKey, string>> = {};
  for (const k of Object.keys(config) as ConfigKey[]) sources[k] = 'file';
  const out: Record<string, unknown> = { ...config };
  for (const [key, name] of Object.entries(ENV_OVERRIDES) as [ConfigKey, string][]) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    try {
      out[key] = CONFIG_KEYS[key].parse(text);
    } catch (e) {
      const err = new ConfigError(`invalid ${name}=${JSON.stringify(text)}: ${key} ${(e as Error).message}`, key);
      err.env = name;
      throw err;
    }
    sources[key] = `env ${name}`;
  }
  return { config: out as Config, sources, path, unknown };
}

/** `config set`: validates, then writes; returns the stored value. */
export function setConfigValue(name: string, text: string, path: string = configPath()): { key: ConfigKey; value: unknown } {
  const key = configKey(name);
  const value = parseConfigValue(key, text);
  const { config } = readConfigFile(path);
  writeConfigFile({ ...config, [key]: value }, path);
  return { key, value };
}

/** `config unset`: true when the key was set. */
export function unsetConfigValue(name: string, path: string = configPath()): { key: ConfigKey; removed: boolean } {
  const key = configKey(name);
  const { config } = readConfigFile(path);
  if (!(key in config)) return { key, removed: false };
  const next: Record<string, unknown> = { ...config };
  delete next[key];
  if (Object.keys(next).length === 0) rmSync(path, { force: true });
  else writeConfigFile(next as Config, path);
  return { key, removed: true };
}

/** The sampling defaults in the engine's shape (only the keys that are set). */
export function samplingFromConfig(c: Config): { temperature?: number; topP?: number; topK?: number; minP?: number; repeatPenalty?: number; seed?: number } {
  const s: Record<string, number> = {};
  for (const k of ['temperature', 'topP', 'topK', 'minP', 'repeatPenalty', 'seed'] as const) if (c[k] !== undefined) s[k] = c[k]!;
  return s;
}
