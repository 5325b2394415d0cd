/**
 * The user's settings: a typed schema with hand-written validation. Every key has one parser
 * from text (what `localgpt config set KEY VALUE` and environment variables give) and one
 * check of a JSON value (what the file holds); both name the key and the bad value.
 */
import { isAbsolute, resolve } from 'node:path';

export type BackendSetting = 'auto' | 'reference' | 'cpu' | 'webgpu';

export interface Config {
  /** Default model: a path, or a file name in <data dir>/models. */
  model?: string;
  backend?: BackendSetting;
  threads?: number;
  contextLength?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  repeatPenalty?: number;
  seed?: number;
  /** Where models, the vault and the scheduler's files live (absolute). */
  dataDir?: string;
  /**
   * A remote OpenAI-compatible engine to generate on instead of a local model (src/provider/):
   * its base URL, or { url, apiKey?, model?, contextLength? }.
   */
  provider?: ProviderSetting;
}

export type ProviderSetting = string | { url: string; apiKey?: string; model?: string; contextLength?: number };

function checkProvider(v: unknown): string | undefined {
  const url = (u: unknown) => typeof u === 'string' && /^https?:\/\/[^\s]+$/i.test(u.trim());
  if (typeof v === 'string') return url(v) ? undefined : 'must be an http(s) URL, or an object {"url", "apiKey", "model", "contextLength"}';
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'must be an http(s) URL, or an object {"url", "apiKey", "model", "contextLength"}';
  const o = v as Record<string, unknown>;
  if (!url(o.url)) return 'needs "url": an http(s) URL';
  for (const k of Object.keys(o)) if (!['url', 'apiKey', 'model', 'contextLength'].includes(k)) return `has an unknown field "${k}" (known: url, apiKey, model, contextLength)`;
  for (const k of ['apiKey', 'model'] as const) if (o[k] !== undefined && (typeof o[k] !== 'string' || o[k] === '')) return `"${k}" must be a non-empty string`;
  if (o.contextLength !== undefined && !(typeof o.contextLength === 'number' && Number.isInteger(o.contextLength) && o.contextLength > 0)) return '"contextLength" must be a positive integer';
  return undefined;
}

export type ConfigKey = keyof Config;

export class ConfigError extends Error {
  /** The environment variable the bad value came from, when it did. */
  env?: string;
  constructor(message: string, readonly key?: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

interface KeySpec {
  description: string;
  /** Parse text into the value; throws a message (without the key) when invalid. */
  parse(text: string): unknown;
  /** Check a value read from JSON; returns a message when invalid. */
  check(value: unknown): string | undefined;
}

const BACKENDS: readonly BackendSetting[] = ['auto', 'reference', 'cpu', 'webgpu'];

function intSpec(description: string, min: number, max: number): KeySpec {
  const what = min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer >= ${min}`;
  const check = (v: unknown) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? undefined : `must be ${what}${max < Number.MAX_SAFE_INTEGER ? ` up to ${max}` : ''}`;
  return {
    description,
    parse(text) {
      const n = /^\s*[-+]?\d+\s*$/.test(text) ? Number(text) : NaN;
      const msg = check(n);
      if (msg) throw new Error(msg);
      return n;
    },
    check,
  };
}

function numSpec(description: string, ok: (n: number) => boolean, what: string): KeySpec {
  const check = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && ok(v) ? undefined : `must be ${what}`);
  return {
    description,
    parse(text) {
      const n = text.trim() === '' ? NaN : Number(text);
      const msg = check(n);
      if (msg) throw new Error(msg);
      return n;
    },
    check,
  };
}

export const CONFIG_KEYS: Readonly<Record<ConfigKey, KeySpec>> = {
  model: {
    description: 'default model: a path, or a file name in <data dir>/models',
    parse(text) {
      if (!text.trim()) throw new Error('must not be empty');
      return text;
    },
    check: (v) => (typeof v === 'string' && v.trim() !== '' ? undefined : 'must be a non-empty string'),
  },
  backend: {
    description: `inference backend: ${BACKENDS.join(', ')}`,
    parse(text) {
      if (!(BACKENDS as readonly string[]).includes(text)) throw new Error(`must be one of ${BACKENDS.join(', ')}`);
      return text;
    },
    check: (v) => (typeof v === 'string' && (BACKENDS as readonly string[]).includes(v) ? undefined : `must be one of ${BACKENDS.join(', ')}`),
  },
  threads: intSpec('CPU threads for the native backend', 1, 1024),
  contextLength: intSpec('context length in tokens (KV cache size)', 1, 1 << 24),
  temperature: numSpec('sampling temperature (0 = greedy)', (n) => n >= 0 && n <= 100, 'a number from 0 to 100'),
  topP: numSpec('nucleus sampling: keep the smallest set of tokens with this much probability', (n) => n > 0 && n <= 1, 'a number in (0, 1]'),
  topK: intSpec('keep only the K most likely tokens (0 = off)', 0, 1 << 24),
  minP: numSpec('drop tokens less likely than this fraction of the best one', (n) => n >= 0 && n <= 1, 'a number from 0 to 1'),
  repeatPenalty: numSpec('repetition penalty (1 = off)', (n) => n > 0 && n <= 10, 'a number in (0, 10]'),
  seed: intSpec('sampling seed', 0, 0xffffffff),
  dataDir: {
    description: 'where models, the vault and scheduler files live',
    parse(text) {
      if (!text.trim()) throw new Error('must not be empty');
      return resolve(text);
    },
    check: (v) => (typeof v === 'string' && isAbsolute(v) ? undefined : 'must be an absolute path'),
  },
  provider: {
    description: 'generate on a remote OpenAI-compatible server: its URL, or {"url","apiKey","model"} as JSON',
    parse(text) {
      const t = text.trim();
      let v: unknown = t;
      if (t.startsWith('{')) {
        try {
          v = JSON.parse(t);
        } catch {
          throw new Error('is not valid JSON');
        }
      }
      const msg = checkProvider(v);
      if (msg) throw new Error(msg);
      return v;
    },
    check: checkProvider,
  },
};

/** Older or friendlier spellings accepted on the command line. */
const ALIASES: Record<string, ConfigKey> = {
  'sampling.temperature': 'temperature',
  'sampling.topP': 'topP',
  'sampling.topK': 'topK',
  'sampling.minP': 'minP',
  'sampling.repeatPenalty': 'repeatPenalty',
  'sampling.seed': 'seed',
  context: 'contextLength',
  'context-length': 'contextLength',
  'data-dir': 'dataDir',
};

export function configKey(name: string): ConfigKey {
  if (Object.hasOwn(CONFIG_KEYS, name)) return name as ConfigKey;
  const alias = ALIASES[name];
  if (alias) return alias;
  throw new ConfigError(`unknown config key "${name}" (known: ${Object.keys(CONFIG_KEYS).join(', ')})`, name);
}

/** Parse a value given as text for a key; the error names both. */
export function parseConfigValue(key: ConfigKey, text: string): unknown {
  try {
    return CONFIG_KEYS[key].parse(text);
  } catch (e) {
    throw new ConfigError(`invalid value for ${key}: ${JSON.stringify(text)} ${(e as Error).message}`, key);
  }
}

/**
 * Validate a parsed JSON object. Bad values are errors naming the key; unknown keys come back
 * in `unknown` (a newer version may have written them) and are otherwise ignored.
 */
export function validateConfig(raw: unknown, source: string): { config: Config; unknown: string[] } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${source}: expected a JSON object`);
  const config: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!Object.hasOwn(CONFIG_KEYS, k)) {
      unknown.push(k);
      continue;
    }
    const msg = CONFIG_KEYS[k as ConfigKey].check(v);
    if (msg) throw new ConfigError(`${source}: ${k} ${msg} (got ${JSON.stringify(v)})`, k);
    config[k] = v;
  }
  return { config: config as Config, unknown };
}
