import type { Command } from 'commander';
import { CONFIG_KEYS, type ConfigKey, configKey, setConfigValue, unsetConfigValue } from '../../config/index.js';
import { settings } from '../context.js';
import { printJson } from '../options.js';
import { paint, table } from '../ui.js';

/** `localgpt --config` and `localgpt config [show]`. */
export function showConfig(opts: { json?: boolean }): void {
  const s = settings();
  if (opts.json) return printJson({ path: s.path, config: redacted(s.config), sources: s.sources, ...(s.unknown.length ? { unknown: s.unknown } : {}) });
  process.stdout.write(`config file  ${s.path}\n`);
  const rows: string[][] = [];
  for (const k of Object.keys(CONFIG_KEYS) as ConfigKey[]) {
    const v = s.config[k];
    rows.push([k, v === undefined ? paint('dim', '(default)') : display(v), v === undefined ? paint('dim', CONFIG_KEYS[k].description) : `from ${s.sources[k]}`]);
  }
  table(rows);
  if (s.unknown.length) process.stdout.write(paint('yellow', `ignored unknown keys: ${s.unknown.join(', ')}\n`));
}

export function registerConfig(program: Command): void {
  const config = program
    .command('config')
    .description('show or change the settings (a JSON file in the data directory)')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => showConfig(opts));

  config.command('show').description('show the settings and where each comes from').option('--json', 'print JSON').action((opts: { json?: boolean }) => showConfig(opts));

  config
    .command('get')
    .description('print one setting (empty when unset)')
    .argument('<key>', `one of ${Object.keys(CONFIG_KEYS).join(', ')}`)
    .option('--json', 'print {"key", "value", "source"}')
    .action((name: string, opts: { json?: boolean }) => {
      const key = configKey(name);
      const s = settings();
      const value = s.config[key];
      if (opts.json) return printJson({ key, value: value ?? null, source: s.sources[key] ?? 'default' });
      if (value !== undefined) process.stdout.write(`${display(value)}\n`);
    });

  config
    .command('set')
    .description('change a setting (the value is checked first)')
    .argument('<key>', `one of ${Object.keys(CONFIG_KEYS).join(', ')}`)
    .argument('<value>')
    .option('--json', 'print {"key", "value"}')
    .action((name: string, text: string, opts: { json?: boolean }) => {
      const { key, value } = setConfigValue(name, text, settings().path);
      if (opts.json) return printJson({ key, value });
      process.stdout.write(`${key} = ${typeof value === "string" ? JSON.stringify(value) : display(value)}\n`);
      const env = s0(key);
      if (env) process.stdout.write(paint('dim', `note: ${env} is set and overrides this for now\n`));
    });

  config
    .command('unset')
    .description('remove a setting (back to the default)')
    .argument('<key>')
    .option('--json', 'print {"key", "removed"}')
    .action((name: string, opts: { json?: boolean }) => {
      const r = unsetConfigValue(name, settings().path);
      if (opts.json) return printJson(r);
      process.stdout.write(r.removed ? `${r.key} unset\n` : `${r.key} was not set\n`);
    });
}

function s0(key: ConfigKey): string | undefined {
  const src = settings().sources[key];
  return src?.startsWith('env ') ? src.slice(4) : undefined;
}

/** Objects as JSON, and never an API key on the screen. */
function display(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(redacted(value)) : String(value);
}

function redacted<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (k, v: unknown) => (k === 'apiKey' && typeof v === 'string' ? '(hidden)' : v))) as T;
}
