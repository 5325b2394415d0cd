/**
 * One error type for everything the vault refuses, with a stable `code` so callers
 * (the CLI, the server) can map it to a one-line message and a hint without parsing text.
 * Messages never include user content: errors end up in logs and terminals.
 */
export type VaultErrorCode =
  | 'WRONG_PASSPHRASE' // the passphrase did not unwrap the data key
  | 'NEWER_SCHEMA' // the database was written by a newer LocalGPT; we refuse to touch it
  | 'NOT_FOUND' // no vault at the path and creation was not asked for
  | 'ALREADY_EXISTS' // asked to create a vault where one exists
  | 'LOCKED' // the vault was locked (keys wiped) and is used again
  | 'TAMPERED' // a sealed record failed authentication (modified, truncated, moved)
  | 'LEDGER' // the replay-protection ledger is missing, damaged or does not track a table
  | 'NO_PASSPHRASE' // no passphrase source was available
  | 'KDF_UNAVAILABLE' // the vault needs a key-derivation function this install lacks
  | 'BAD_FORMAT'; // the vault's metadata is unreadable

export class VaultError extends Error {
  readonly code: VaultErrorCode;
  constructor(code: VaultErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VaultError';
    this.code = code;
  }
}

export function isVaultError(e: unknown, code?: VaultErrorCode): e is VaultError {
  return e instanceof VaultError && (code === undefined || e.code === code);
}
