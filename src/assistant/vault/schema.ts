import type Database from 'better-sqlite3';
import { VaultError } from './errors.js';
import type { TrackedTable } from './ledger.js';

/**
 * Versioned schema, per module. Each module (the vault core, memory, later the scheduler)
 * owns a list of forward migrations; `schema_versions` records how far each module's tables
 * are. Modules are independent so the scheduler can add its tables without touching ours.
 */
export interface Migration {
  /** The version this migration brings the module to: 1 for the first, then 2, 3, ... */
  to: number;
  description: string;
  /** Runs inside the open-time write transaction. May re-seal records through ctx. */
  up(db: Database.Database, ctx: MigrationContext): void;
}

/** What a migration may use besides SQL: sealing under the vault's data key. */
export interface MigrationContext {
  seal(table: string, id: string, plaintext: Uint8Array, version: number): Buffer;
  /** Returns undefined for records that fail authentication (a migration skips or keeps them). */
  tryOpen(table: string, id: string, sealed: Uint8Array, version: number): Uint8Array | undefined;
  /** Start replay protection for tables (see ledger.ts); pass the module's `tracked`. */
  track(tables: Record<string, TrackedTable>): void;
  /** Create the ledger itself (the vault module's own migration). */
  createLedger(): void;
}

export interface SchemaModule {
  name: string;
  migrations: Migration[];
  /**
   * The module's tables under replay protection, as its latest migration leaves them. A
   * migration starts tracking them with ctx.track(); this copy lets `memory verify --accept`
   * rebuild a damaged ledger.
   */
  tracked?: Record<string, TrackedTable>;
}

const registry = new Map<string, SchemaModule>();

/**
 * Register a module's migrations; every vault opened afterwards in this process brings the
 * module's tables up to date (and refuses a database where the module is newer than this
 * code). Registering the same name again replaces it (hot reload in tests).
 */
export function registerSchemaModule(mod: SchemaModule): void {
  validateModule(mod);
  registry.set(mod.name, mod);
}

export function registeredSchemaModules(): SchemaModule[] {
  return [...registry.values()];
}

export function latestVersion(mod: SchemaModule): number {
  return mod.migrations.length === 0 ? 0 : Math.max(...mod.migrations.map((m) => m.to));
}

/** Module versions recorded in the database; empty when the database has none yet. Reads only. */
export function readVersions(db: Database.Database): Map<string, number> {
  const out = new Map<string, number>();
  const has = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_versions'")
    .get();
  if (!has) return out;
  for (const row of db.prepare('SELECT module, version FROM schema_versions').all() as {
    module: string;
    version: number;
  }[]) {
    out.set(row.module, row.version);
  }
  return out;
}

/**
 * Refuse a database written by newer code: any known module at a version above what this
 * code knows. Reads only, so a refused database is left exactly as it was.
 */
export function assertNotNewer(db: Database.Database, modules: SchemaModule[]): void {
  const versions = readVersions(db);
  for (const mod of modules) {
    const have = versions.get(mod.name) ?? 0;
    const latest = latestVersion(mod);
    if (have > latest) {
      throw new VaultError(
        'NEWER_SCHEMA',
        `the vault was written by a newer LocalGPT (${mod.name} schema v${have}, this version knows up to v${latest}); upgrade LocalGPT to open it`,
      );
    }
  }
}

/** Modules that have migrations still to run (respecting optional per-module targets). */
export function pendingMigrations(
  db: Database.Database,
  modules: SchemaModule[],
  targets: Record<string, number> = {},
): { mod: SchemaModule; from: number; steps: Migration[] }[] {
  const versions = readVersions(db);
  const out: { mod: SchemaModule; from: number; steps: Migration[] }[] = [];
  for (const mod of modules) {
    const from = versions.get(mod.name) ?? 0;
    const target = targets[mod.name] ?? latestVersion(mod);
    const steps = [...mod.migrations].sort((a, b) => a.to - b.to).filter((m) => m.to > from && m.to <= target);
    if (steps.length > 0) out.push({ mod, from, steps });
  }
  return out;
}

/**
 * Run pending migrations. The caller wraps this in one IMMEDIATE transaction so two
 * processes opening an old vault at once migrate it exactly once (the second re-reads the
 * versions after taking the write lock and finds nothing to do).
 */
export function runMigrations(
  db: Database.Database,
  modules: SchemaModule[],
  ctx: MigrationContext,
  targets: Record<string, number> = {},
): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_versions (module TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  const set = db.prepare(
    'INSERT INTO schema_versions (module, version) VALUES (?, ?) ON CONFLICT(module) DO UPDATE SET version = excluded.version',
  );
  for (const { mod, steps } of pendingMigrations(db, modules, targets)) {
    for (const step of steps) {
      step.up(db, ctx);
      set.run(mod.name, step.to);
    }
  }
}

function validateModule(mod: SchemaModule): void {
  const tos = mod.migrations.map((m) => m.to).sort((a, b) => a - b);
  tos.forEach((to, i) => {
    if (to !== i + 1) throw new Error(`schema module ${mod.name}: migrations must be numbered 1..N without gaps`);
  });
}
