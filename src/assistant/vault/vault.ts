import Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import {
  type KdfParams,
  type KdfPreset,
  deriveKek,
  loadSodium,
  newKdfParams,
  openBytes,
  passphraseBytes,
  randomBytes,
  randomKey,
  recordAd,
  sealBytes,
  sodium,
  wipe,
} from './crypto.js';
import { VaultError } from './errors.js';
import { LEDGER_MISSING, Ledger, type LedgerProblem, type TrackedTable } from './ledger.js';
import { defaultVaultPath, preparePrivateFile, setUmask } from './paths.js';
import {
  type MigrationContext,
  type SchemaModule,
  assertNotNewer,
  pendingMigrations,
  readVersions,
  registeredSchemaModules,
  runMigrations,
} from './schema.js';

export interface OpenVaultOptions {
  /** Database file; default `<data dir>/vault.db` (see paths.ts). */
  path?: string;
  passphrase: string | Uint8Array;
  /** Create the vault when the file is missing or empty (default true). */
  create?: boolean;
  /** Fail with ALREADY_EXISTS unless this call creates the vault. */
  mustCreate?: boolean;
  /** Argon2id cost for a newly created vault (default 'interactive'; tests use 'min'). */
  kdf?: KdfPreset;
  /** How long a writer waits for another process's write lock (default 10 s). */
  busyTimeoutMs?: number;
  /** Schema modules to bring up to date besides the globally registered ones. */
  modules?: SchemaModule[];
  /** Stop migrations at these versions (module name to version). For migration tests. */
  migrateTo?: Record<string, number>;
}

/** The vault core's own tables. Other modules register theirs (see schema.ts). */
export const VAULT_SCHEMA: SchemaModule = {
  name: 'vault',
  migrations: [
    {
      to: 1,
      description: 'vault_meta: KDF parameters, salt and wrapped data key (no user content)',
      up(db) {
        db.exec('CREATE TABLE vault_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT');
      },
    },
    {
      to: 2,
      description: 'vault_ledger: MAC over every tracked table, so replayed, removed or resurrected rows are detected',
      up(_db, ctx) {
        ctx.createLedger();
      },
    },
  ],
};

/**
 * Open (or create) the vault and unlock it. Order matters for the "changes nothing" promises:
 * the newer-schema check and the passphrase check only read; WAL mode and migrations come
 * after both have passed.
 */
export async function openVault(opts: OpenVaultOptions): Promise<Vault> {
  await loadSodium();
  const path = opts.path ?? defaultVaultPath();
  const present = existsSync(path) && statSync(path).size > 0;
  if (!present && opts.create === false) throw new VaultError('NOT_FOUND', `no vault at ${path}`);
  if (present && opts.mustCreate) throw new VaultError('ALREADY_EXISTS', `a vault already exists at ${path}`);
  preparePrivateFile(path);

  const restore = setUmask(0o077);
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: true });
  } finally {
    restore();
  }
  const modules = allModules(opts.modules);
  const pass = passphraseBytes(opts.passphrase);
  let dataKey: Uint8Array | undefined;
  try {
    // Per-connection settings: none of these writes to the file.
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 10_000))}`);
    db.pragma('temp_store = MEMORY'); // sorts and temp indexes never touch disk
    db.pragma('secure_delete = ON'); // forgotten records are overwritten, not left in free pages

    if (!readMeta(db, 'wrapped_key')) {
      // An empty file (or one from an interrupted creation) is not a vault yet.
      if (opts.create === false) throw new VaultError('NOT_FOUND', `no vault at ${path}`);
      initialise(db, pass, opts.kdf ?? 'interactive', opts.mustCreate === true, path);
    } else if (opts.mustCreate) {
      throw new VaultError('ALREADY_EXISTS', `a vault already exists at ${path}`);
    }

    assertNotNewer(db, modules);
    dataKey = unwrapDataKey(db, pass);

    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL'); // an acknowledged commit survives power loss
    const vault = new Vault(db, path, dataKey);
    vault.migrate(modules, opts.migrateTo);
    preparePrivateFile(path); // chmod -wal/-shm now that SQLite created them
    return vault;
  } catch (e) {
    wipe(dataKey);
    db.close();
    throw e;
  } finally {
    // Our UTF-8 copy is wiped; a caller-supplied buffer is the caller's to wipe.
    if (typeof opts.passphrase === 'string') wipe(pass);
  }
}

/** True when a vault (initialised database) exists at the path. Opens nothing for writing. */
export function vaultExists(path: string = defaultVaultPath()): boolean {
  if (!existsSync(path) || statSync(path).size === 0) return false;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return readMeta(db, 'wrapped_key') !== undefined;
  } catch {
    return false;
  } finally {
    db.close();
  }
}

/**
 * An unlocked vault: the better-sqlite3 handle plus sealing under the data key.
 * Other modules build their own tables on `db` (via a registered SchemaModule) and store
 * every payload through seal()/open(), whose associated data binds the blob to its
 * table, id and payload version.
 */
export class Vault {
  /** The shared database handle. Use `write()` for multi-statement writes. */
  readonly db: Database.Database;
  readonly path: string;
  #key: Uint8Array | undefined;
  #idKey: Uint8Array | undefined;
  readonly #ledger: Ledger;
  /** Every schema module brought up to date on this handle: their tracked tables. */
  readonly #modules = new Map<string, SchemaModule>();

  constructor(db: Database.Database, path: string, dataKey: Uint8Array) {
    this.db = db;
    this.path = path;
    this.#key = dataKey;
    // Separate key for blind ids, so ids computed from names never relate to ciphertexts.
    this.#idKey = sodium().crypto_generichash(32, new TextEncoder().encode('localgpt.blind-id.v1'), dataKey);
    this.#ledger = new Ledger(db, sodium().crypto_generichash(32, new TextEncoder().encode('localgpt.ledger.v1'), dataKey));
  }

  get locked(): boolean {
    return this.#key === undefined;
  }

  /** Seal bytes for row `id` of `table`, payload version `version`. */
  seal(table: string, id: string, plaintext: Uint8Array, version = 1): Buffer {
    const out = sealBytes(this.key(), plaintext, recordAd(table, id, version));
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  }

  /** Open a sealed payload; throws VaultError('TAMPERED') when it fails authentication. */
  open(table: string, id: string, sealed: Uint8Array, version = 1): Uint8Array {
    const out = this.tryOpen(table, id, sealed, version);
    if (!out) throw new VaultError('TAMPERED', `record ${table}/${id} failed authentication (modified, truncated or moved)`);
    return out;
  }

  /** Like open(), but undefined instead of throwing, for loaders that report and carry on. */
  tryOpen(table: string, id: string, sealed: Uint8Array, version = 1): Uint8Array | undefined {
    return openBytes(this.key(), sealed, recordAd(table, id, version));
  }

  sealJson(table: string, id: string, value: unknown, version = 1): Buffer {
    return this.seal(table, id, ENC.encode(JSON.stringify(value)), version);
  }

  openJson<T>(table: string, id: string, sealed: Uint8Array, version = 1): T {
    return JSON.parse(DEC.decode(this.open(table, id, sealed, version))) as T;
  }

  /** undefined when the record does not authenticate or is not JSON. */
  tryOpenJson<T>(table: string, id: string, sealed: Uint8Array, version = 1): T | undefined {
    const bytes = this.tryOpen(table, id, sealed, version);
    if (!bytes) return undefined;
    try {
      return JSON.parse(DEC.decode(bytes)) as T;
    } catch {
      return undefined;
    }
  }

  /** A fresh random record id (128 bits, base64url): ids carry no content. */
  newId(): string {
    // Ids are typed on command lines (`memory forget`, `jobs cancel`), where a leading '-' reads as
    // an option: 1 in 64 base64url ids began with one. Draw again instead.
    for (;;) {
      const id = Buffer.from(randomBytes(16)).toString('base64url');
      if (id[0] !== '-') return id;
    }
  }

  /**
   * A deterministic id for a name (a workspace path, a date) that reveals nothing about the
   * name without the data key: keyed BLAKE2b. Lets rows be upserted by name.
   */
  blindId(namespace: string, name: string): string {
    const s = sodium();
    const h = s.crypto_generichash(16, new TextEncoder().encode(`${namespace}\0${name}`), this.idKey());
    return s.to_base64(h, s.base64_variants.URLSAFE_NO_PADDING);
  }

  /**
   * Run fn in one IMMEDIATE transaction: the write lock is taken up front (waiting up to
   * busy_timeout for other processes), so read-modify-write sequences cannot interleave.
   */
  write<T>(fn: () => T): T {
    this.key();
    try {
      return this.db.transaction(fn).immediate();
    } catch (e) {
      // A deleted ledger row stops tracked writes in SQL (ledger.ts); say so as the vault's error.
      if (e instanceof Error && !(e instanceof VaultError) && e.message.includes(LEDGER_MISSING)) {
        throw new VaultError('LEDGER', `${LEDGER_MISSING} (the ledger row was deleted; nothing was written)`, { cause: e });
      }
      throw e;
    }
  }

  /** Bring modules' tables up to date (e.g. a module registered after the vault opened). */
  migrate(modules: SchemaModule | SchemaModule[], targets?: Record<string, number>): void {
    const list = Array.isArray(modules) ? modules : [modules];
    for (const m of list) this.#modules.set(m.name, m);
    assertNotNewer(this.db, list);
    if (pendingMigrations(this.db, list, targets).length === 0) return;
    const ctx: MigrationContext = {
      seal: (t, id, p, v) => this.seal(t, id, p, v),
      tryOpen: (t, id, s, v) => this.tryOpen(t, id, s, v),
      track: (tables) => this.#ledger.track(tables),
      createLedger: () => this.#ledger.create(),
    };
    this.write(() => runMigrations(this.db, list, ctx, targets));
  }

  /**
   * Check the tracked tables against the ledger: what was replayed, removed or added outside
   * LocalGPT since the last write. Empty when all is well. Reads only.
   */
  verifyLedger(): LedgerProblem[] {
    this.key();
    return this.#ledger.verify();
  }

  /** Accept the tracked tables as they are now (after verifyLedger() reported problems). */
  acceptLedger(): void {
    this.key();
    const specs = Object.assign({}, ...[...this.#modules.values()].map((m) => m.tracked ?? {})) as Record<string, TrackedTable>;
    this.#ledger.accept(specs);
  }

  /** Module versions now recorded in the database. */
  versions(): Record<string, number> {
    return Object.fromEntries(readVersions(this.db));
  }

  /** KDF parameters in use (no secrets). */
  kdfParams(): KdfParams {
    return JSON.parse(readMeta(this.db, 'kdf') ?? '{}') as KdfParams;
  }

  /**
   * Rewrap the data key under a new passphrase: records are not re-encrypted, so this is
   * instant whatever the vault's size. Also upgrades the KDF to the given preset.
   */
  changePassphrase(newPassphrase: string | Uint8Array, kdf: KdfPreset = 'interactive'): void {
    const params = newKdfParams(kdf);
    const pass = passphraseBytes(newPassphrase);
    const kek = deriveKek(pass, params);
    try {
      const wrapped = sealBytes(kek, this.key(), WRAP_AD);
      this.write(() => {
        setMeta(this.db, 'kdf', JSON.stringify(params));
        setMeta(this.db, 'wrapped_key', Buffer.from(wrapped).toString('base64'));
      });
    } finally {
      wipe(kek);
      if (typeof newPassphrase === 'string') wipe(pass);
    }
  }

  /** Wipe the keys from memory and close the database. Idempotent. */
  lock(): void {
    wipe(this.#key);
    wipe(this.#idKey);
    this.#ledger.wipe();
    this.#key = undefined;
    this.#idKey = undefined;
    if (this.db.open) this.db.close();
  }

  close(): void {
    this.lock();
  }

  private key(): Uint8Array {
    if (!this.#key) throw new VaultError('LOCKED', 'the vault is locked');
    return this.#key;
  }

  private idKey(): Uint8Array {
    if (!this.#idKey) throw new VaultError('LOCKED', 'the vault is locked');
    return this.#idKey;
  }
}

// ---- helpers -------------------------------------------------------------------------

const ENC = new TextEncoder();
const DEC = new TextDecoder();
const WRAP_AD = ENC.encode('localgpt.data-key.v1');

function allModules(extra: SchemaModule[] = []): SchemaModule[] {
  const byName = new Map<string, SchemaModule>([[VAULT_SCHEMA.name, VAULT_SCHEMA]]);
  for (const m of registeredSchemaModules()) byName.set(m.name, m);
  for (const m of extra) byName.set(m.name, m);
  return [...byName.values()];
}

function readMeta(db: Database.Database, key: string): string | undefined {
  const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='vault_meta'").get();
  if (!has) return undefined;
  const row = db.prepare('SELECT value FROM vault_meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

function setMeta(db: Database.Database, key: string, value: string): void {
  db.prepare(
    'INSERT INTO vault_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  ).run(key, value);
}

/**
 * First-time setup in one IMMEDIATE transaction. Two processes racing to create the same
 * vault serialise on the write lock; the second finds the key already there and simply
 * unlocks (or fails ALREADY_EXISTS when it insisted on creating).
 */
function initialise(db: Database.Database, pass: Uint8Array, kdf: KdfPreset, mustCreate: boolean, path: string): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const params = newKdfParams(kdf);
  const dataKey = randomKey();
  const kek = deriveKek(pass, params);
  try {
    const wrapped = sealBytes(kek, dataKey, WRAP_AD);
    db.transaction(() => {
      if (readMeta(db, 'wrapped_key')) {
        if (mustCreate) throw new VaultError('ALREADY_EXISTS', `a vault already exists at ${path}`);
        return;
      }
      // Only the metadata table here: the ledger (v2 on) needs the unlocked vault's keys, so
      // it is created by the migrate() that follows unlocking, like any other migration.
      runMigrations(
        db,
        [VAULT_SCHEMA],
        {
          seal: noKeyYet,
          tryOpen: noKeyYet,
          track: noKeyYet,
          createLedger: noKeyYet,
        },
        { vault: 1 },
      );
      setMeta(db, 'kdf', JSON.stringify(params));
      setMeta(db, 'wrapped_key', Buffer.from(wrapped).toString('base64'));
      setMeta(db, 'created_at', new Date().toISOString());
    }).immediate();
  } finally {
    wipe(kek);
    wipe(dataKey);
  }
}

function noKeyYet(): never {
  throw new Error('no keys during vault creation');
}

function unwrapDataKey(db: Database.Database, pass: Uint8Array): Uint8Array {
  const kdfText = readMeta(db, 'kdf');
  const wrappedText = readMeta(db, 'wrapped_key');
  if (!kdfText || !wrappedText) throw new VaultError('BAD_FORMAT', 'vault metadata is missing');
  let params: KdfParams;
  try {
    params = JSON.parse(kdfText) as KdfParams;
  } catch (e) {
    throw new VaultError('BAD_FORMAT', 'vault KDF parameters are unreadable', { cause: e });
  }
  const kek = deriveKek(pass, params);
  try {
    const key = openBytes(kek, new Uint8Array(Buffer.from(wrappedText, 'base64')), WRAP_AD);
    if (!key) throw new VaultError('WRONG_PASSPHRASE', 'wrong passphrase: the vault could not be unlocked');
    return key;
  } finally {
    wipe(kek);
  }
}
