/**
 * What several commands share: the effective settings, the models directory and which model to
 * use, and opening the memory vault with a passphrase from the usual places.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { Memory } from '../assistant/memory/memory.js';
import type { KdfPreset } from '../assistant/vault/crypto.js';
import { VaultError } from '../assistant/vault/errors.js';
import { resolvePassphrase, promptHidden } from '../assistant/vault/passphrase.js';
import { dataDir, defaultVaultPath } from '../assistant/vault/paths.js';
import { vaultExists } from '../assistant/vault/vault.js';
import { type EffectiveConfig, loadConfig } from '../config/index.js';
import type { BackendChoice } from '../engine/backend/select.js';
import type { ProviderSettings } from '../provider/remote.js';
import { CliError, EXIT } from './errors.js';
import { warn } from './options.js';

/** The default alias `localgpt pull` suggests when there is no model. */
export const DEFAULT_PULL = 'qwen2.5-0.5b-instruct';

let cached: EffectiveConfig | undefined;
/** The settings file plus environment overrides, read once per run. */
export function settings(): EffectiveConfig {
  cached ??= loadConfig();
  return cached;
}

export function modelsDir(): string {
  return join(dataDir(), 'models');
}

export interface ModelFile {
  name: string;
  path: string;
  bytes: number;
}

/** Complete .gguf files in <data dir>/models (downloads in progress end in .part), by name. */
export function listModelFiles(dir: string = modelsDir()): ModelFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.gguf'))
    .map((f) => {
      const path = join(dir, f);
      return { name: f, path, bytes: statSync(path).size };
    })
    .filter((m) => statSync(m.path).isFile())
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** A path, or a name in the models directory (with or without .gguf). Undefined when neither exists. */
export function findModel(nameOrPath: string): string | undefined {
  const direct = isAbsolute(nameOrPath) ? nameOrPath : resolve(nameOrPath);
  if (existsSync(direct) && statSync(direct).isFile()) return direct;
  for (const candidate of [nameOrPath, `${nameOrPath}.gguf`]) {
    const p = join(modelsDir(), basename(candidate));
    if (basename(candidate) === candidate && existsSync(p)) return p;
  }
  return undefined;
}

/**
 * Which model to use: --model, else the configured default (LOCALGPT_MODEL or `model`), else
 * the only .gguf in the models directory; otherwise a clear error saying how to get one.
 */
export function resolveModelPath(explicit?: string): { path: string; source: string } {
  if (explicit) {
    const p = findModel(explicit);
    if (!p) throw new CliError(`model not found: ${explicit}`, { exitCode: EXIT.noModel, hint: `give a path to a .gguf file or a name from \`localgpt models\`` });
    return { path: p, source: '--model' };
  }
  const s = settings();
  if (s.config.model) {
    const p = findModel(s.config.model);
    if (!p)
      throw new CliError(`the default model ${s.config.model} (from ${s.sources.model ?? 'config'}) was not found`, {
        exitCode: EXIT.noModel,
        hint: `\`localgpt models\` lists what is there; \`localgpt config set model NAME\` changes the default`,
      });
    return { path: p, source: s.sources.model ?? 'config' };
  }
  const models = listModelFiles();
  if (models.length === 1) return { path: models[0].path, source: `the only model in ${modelsDir()}` };
  if (models.length === 0)
    throw new CliError(`no model: none is configured and ${modelsDir()} has no .gguf file`, {
      exitCode: EXIT.noModel,
      hint: `download one with \`localgpt pull ${DEFAULT_PULL}\`, or try the engine offline with \`localgpt demo\``,
    });
  throw new CliError(`${models.length} models in ${modelsDir()} and no default`, {
    exitCode: EXIT.noModel,
    hint: `choose one: \`localgpt config set model ${models[0].name}\` (or --model NAME)`,
  });
}

export interface EngineFlags {
  backend?: BackendChoice;
  threads?: number;
  context?: number;
}

/** loadModel options from flags, falling back to settings. */
export function engineOptions(flags: EngineFlags): { backend: BackendChoice; threads?: number; contextLength?: number } {
  const c = settings().config;
  return {
    backend: flags.backend ?? (c.backend as BackendChoice | undefined) ?? 'auto',
    threads: flags.threads ?? c.threads,
    contextLength: flags.context ?? c.contextLength,
  };
}

/**
 * Cost of the key derivation for a vault created now. LOCALGPT_KDF=min is for tests only: it
 * makes a new vault's passphrase cheap to guess.
 */
export function kdfPreset(env: NodeJS.ProcessEnv = process.env): KdfPreset {
  const v = env.LOCALGPT_KDF;
  if (v === 'min' || v === 'moderate' || v === 'interactive') return v;
  return 'interactive';
}

export interface PassphraseFlags {
  passphraseFile?: string;
}

/**
 * Open the memory. `create`: make the vault when there is none (a passphrase typed at a prompt
 * is then asked twice). `interactive`: may prompt on a terminal (default true).
 */
export async function openMemory(flags: PassphraseFlags, opts: { create?: boolean; interactive?: boolean } = {}): Promise<Memory> {
  const path = defaultVaultPath();
  const exists = vaultExists(path);
  if (!exists && !opts.create) throw new VaultError('NOT_FOUND', `no memory vault at ${path}`);
  const fromPrompt = !flags.passphraseFile && !process.env.LOCALGPT_PASSPHRASE;
  const passphrase = await resolvePassphrase({
    passphraseFile: flags.passphraseFile,
    prompt: opts.interactive === false ? false : undefined,
    question: exists ? 'Vault passphrase: ' : 'New vault passphrase: ',
  });
  if (!exists && fromPrompt) {
    const again = await promptHidden('Repeat the passphrase: ');
    if (again !== passphrase) throw new CliError('the passphrases did not match; nothing was created', { exitCode: EXIT.vault });
  }
  const memory = await Memory.open({ path, passphrase, create: opts.create === true, kdf: kdfPreset() });
  // Ledger problems are whole tables, found at open: say so once, wherever the memory is used.
  if (memory.ledger.length > 0) {
    warn(`the vault does not match its ledger (${memory.ledger.map((p) => p.table).join(', ')}): records were replayed, removed or added outside LocalGPT; see \`localgpt memory verify\``);
  }
  return memory;
}

export interface ProviderFlags {
  provider?: string;
  providerKey?: string;
  providerModel?: string;
}

/**
 * The remote engine to use, if any: --provider (with --provider-key / --provider-model), else the
 * `provider` setting. The key may also come from LOCALGPT_PROVIDER_KEY (kept out of the file).
 */
export function resolveProvider(flags: ProviderFlags): ProviderSettings | undefined {
  const setting = settings().config.provider;
  const fromConfig = typeof setting === 'string' ? { url: setting } : setting;
  const url = flags.provider ?? fromConfig?.url;
  if (!url) return undefined;
  const same = flags.provider === undefined || flags.provider === fromConfig?.url;
  const apiKey = flags.providerKey ?? (process.env.LOCALGPT_PROVIDER_KEY || undefined) ?? (same ? fromConfig?.apiKey : undefined);
  const model = flags.providerModel ?? (same ? fromConfig?.model : undefined);
  const contextLength = same ? fromConfig?.contextLength : undefined;
  return { url, ...(apiKey ? { apiKey } : {}), ...(model ? { model } : {}), ...(contextLength ? { contextLength } : {}) };
}
