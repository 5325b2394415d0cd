export { VaultError, isVaultError, type VaultErrorCode } from './errors.js';
export { dataDir, defaultVaultPath, VAULT_FILE } from './paths.js';
export { type KdfParams, type KdfPreset, hasArgon2, loadSodium } from './crypto.js';
export {
  type Migration,
  type MigrationContext,
  type SchemaModule,
  registerSchemaModule,
  registeredSchemaModules,
  latestVersion,
} from './schema.js';
export { type LedgerProblem, type TrackedTable } from './ledger.js';
export { Vault, openVault, vaultExists, VAULT_SCHEMA, type OpenVaultOptions } from './vault.js';
export { resolvePassphrase, readPassphraseFile, promptHidden, type PassphraseSources } from './passphrase.js';
