import { GGUFError } from '../engine/gguf/errors.js';
import { ModelError } from '../engine/model/errors.js';
import { TokenizerError } from '../engine/tokenizer/index.js';
import { VaultError } from '../assistant/vault/errors.js';
import { ConfigError } from '../config/schema.js';

/**
 * Exit codes scripts can rely on: 1 anything else, 2 a bad argument or setting, 3 a bad or
 * unsupported model file, 4 no model to use, 5 the vault refused (wrong or missing passphrase,
 * tampered, newer), 6 a download failed its checksum, 130 interrupted (Ctrl-C).
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, badModel: 3, noModel: 4, vault: 5, checksum: 6, interrupted: 130 } as const;

/** An error the CLI raises itself: its message is the one line, with an optional hint and exit code. */
export class CliError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: number;
  constructor(message: string, opts: { hint?: string; exitCode?: number } = {}) {
    super(message);
    this.name = 'CliError';
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? EXIT.failure;
  }
}

/** Prints one line (plus a hint) for an error and returns the exit code; stacks only when verbose. */
export function reportError(err: unknown, verbose: boolean): number {
  const message = err instanceof Error ? err.message : String(err);
  const kind = err instanceof Error ? err.name : 'Error';
  process.stderr.write(`localgpt: ${message}\n`);
  const hint = hintFor(err);
  if (hint) process.stderr.write(`hint: ${hint}\n`);
  if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof GGUFError || err instanceof ModelError || err instanceof TokenizerError) return EXIT.badModel;
  if (err instanceof VaultError) return EXIT.vault;
  if (err instanceof ConfigError) return EXIT.usage;
  if (kind === 'ChecksumError') return EXIT.checksum;
  return kind === 'RangeError' ? EXIT.usage : EXIT.failure;
}

function hintFor(err: unknown): string | undefined {
  if (err instanceof CliError) return err.hint;
  if (err instanceof ConfigError && err.env) return `fix or unset ${err.env}`;
  if (err instanceof ConfigError) return err.key ? `see \`localgpt config\`; \`localgpt config unset ${err.key}\` restores the default` : 'see `localgpt config`';
  if (err instanceof VaultError) return vaultHint(err);
  if (err instanceof Error && err.name === 'ChecksumError') return 'the file was not kept; check the --sha256 value or the URL';
  if (err instanceof GGUFError) return 'the file is not a complete GGUF model; download it again or check the path';
  if (err instanceof ModelError) return 'this model file is not supported yet (see `localgpt info` for what it contains)';
  if (err instanceof TokenizerError) return 'the model\'s tokenizer is not supported yet';
  return undefined;
}

function vaultHint(err: VaultError): string | undefined {
  switch (err.code) {
    case 'WRONG_PASSPHRASE':
      return 'nothing was changed; check LOCALGPT_PASSPHRASE or --passphrase-file';
    case 'NO_PASSPHRASE':
      return 'set LOCALGPT_PASSPHRASE, use --passphrase-file PATH, or run in a terminal to be asked';
    case 'NOT_FOUND':
      return 'there is no memory yet: `localgpt memory add TEXT` or a chat creates it';
    case 'NEWER_SCHEMA':
      return 'this vault was written by a newer LocalGPT; upgrade to open it';
    case 'TAMPERED':
      return 'a record failed authentication; `localgpt memory stats` lists damaged records';
    case 'LEDGER':
      return '`localgpt memory verify` says what changed; `localgpt memory verify --accept` once you have looked';
    case 'KDF_UNAVAILABLE':
      return 'this install lacks the vault\'s key-derivation function; see `localgpt doctor`';
    default:
      return undefined;
  }
}
