/**
 * The library side of `localgpt memory add|search|list|forget|import|export|stats|verify|passwd`.
 * Each function does one subcommand and returns data; the CLI formats it.
 */
import type { KdfPreset } from '../vault/crypto.js';
import type { LedgerProblem } from '../vault/ledger.js';
import { openVault } from '../vault/vault.js';
import type { MemoryKind } from './facts.js';
import type { Memory, MemoryStats, SearchHit, SearchOptions } from './memory.js';
import { type ExportReport, type ImportReport, exportWorkspace, importWorkspace } from './openclaw.js';

/**
 * Add a fact (default), a note, or an entry in today's daily log (kind 'log', optional
 * date). Returns the entry with the ref that `memory forget` takes.
 */
export function memoryAdd(
  memory: Memory,
  text: string,
  opts: { kind?: MemoryKind | 'log'; tags?: string[]; date?: string } = {},
): ListEntry {
  if (opts.kind === 'log') {
    const log = memory.logs.append(text, { date: opts.date });
    return { ref: `log:${log.date}`, kind: 'log', text, at: log.updatedAt };
  }
  const m = memory.facts.add({ text, kind: opts.kind ?? 'fact', tags: opts.tags, source: 'user' });
  return { ref: m.id, kind: m.kind, text: m.text, at: m.createdAt };
}

export function memorySearch(memory: Memory, query: string, opts: SearchOptions = {}): Promise<SearchHit[]> {
  return memory.search(query, opts);
}

export type ListWhat = 'facts' | 'notes' | 'memories' | 'sessions' | 'logs' | 'files' | 'preferences';

export interface ListEntry {
  /** What `memory forget` takes to remove it. */
  ref: string;
  kind: string;
  text: string;
  at?: string;
}

/** List one kind of thing ('memories' = facts and notes, the default). */
export function memoryList(memory: Memory, what: ListWhat = 'memories'): ListEntry[] {
  switch (what) {
    case 'facts':
    case 'notes':
    case 'memories':
      return memory.facts
        .list(what === 'memories' ? {} : { kind: what === 'facts' ? 'fact' : 'note' })
        .map((m) => ({ ref: m.id, kind: m.kind, text: m.text, at: m.createdAt }));
    case 'sessions':
      return memory.conversations.list().map((s) => ({ ref: `session:${s.id}`, kind: 'session', text: s.title ?? '', at: s.createdAt }));
    case 'logs':
      return memory.logs.list().map((l) => ({ ref: `log:${l.date}`, kind: 'log', text: l.text, at: l.updatedAt }));
    case 'files':
      return memory.workspace.list().map((f) => ({ ref: `file:${f.path}`, kind: 'file', text: f.content, at: f.updatedAt }));
    case 'preferences':
      return Object.entries(memory.preferences.get())
        .filter((e): e is [string, string] => typeof e[1] === 'string')
        .map(([k, v]) => ({ ref: `pref:${k}`, kind: 'preference', text: v }));
  }
}

/** Forget by reference: a memory id, `session:<id>`, `log:<YYYY-MM-DD>`, `file:<path>` or `pref:<name>`. */
export function memoryForget(memory: Memory, ref: string): boolean {
  if (ref.startsWith('pref:')) {
    const name = ref.slice(5);
    if (memory.preferences.get()[name] === undefined) return false;
    memory.preferences.set({ [name]: undefined });
    return true;
  }
  if (ref.startsWith('session:')) return memory.conversations.delete(ref.slice(8));
  if (ref.startsWith('log:')) return memory.logs.delete(ref.slice(4));
  if (ref.startsWith('file:')) return memory.workspace.delete(ref.slice(5));
  return memory.facts.forget(ref);
}

export function memoryImport(memory: Memory, dir: string): ImportReport {
  return importWorkspace(memory, dir);
}

export function memoryExport(memory: Memory, dir: string): ExportReport {
  return exportWorkspace(memory, dir);
}

export function memoryStats(memory: Memory): MemoryStats {
  return memory.stats();
}

export interface VerifyReport {
  /** What the vault ledger found: tables with replayed, removed or added records. */
  problems: LedgerProblem[];
  /** True when --accept re-baselined the ledger on the tables as they are now. */
  accepted: boolean;
}

/**
 * Check every tracked table against the vault ledger (replay protection). With accept, take
 * the tables as they are now as the new baseline: for after the user has looked.
 */
export function memoryVerify(memory: Memory, opts: { accept?: boolean } = {}): VerifyReport {
  // Checked again, not taken from Memory.ledger: the handle may be long-lived and other processes write.
  const problems = memory.vault.verifyLedger();
  if (problems.length === 0 || !opts.accept) return { problems, accepted: false };
  memory.vault.acceptLedger();
  return { problems, accepted: true };
}

/**
 * Change the passphrase: unlock with the old one, rewrap the data key under the new one.
 * Records are not re-encrypted. Throws VaultError('WRONG_PASSPHRASE') for a wrong old one.
 */
export async function memoryPasswd(opts: {
  path?: string;
  oldPassphrase: string;
  newPassphrase: string;
  kdf?: KdfPreset;
}): Promise<void> {
  const vault = await openVault({ path: opts.path, passphrase: opts.oldPassphrase, create: false });
  try {
    vault.changePassphrase(opts.newPassphrase, opts.kdf ?? 'interactive');
  } finally {
    vault.close();
  }
}
