import type { Vault } from '../vault/vault.js';
import { chunkMarkdown } from './logs.js';
import { type CorruptSink, SealedTable } from './records.js';
import type { IndexSink } from './types.js';

/** A workspace file (SOUL.md, skills/x/SKILL.md, ...) kept sealed in the vault. */
export interface WorkspaceFile {
  path: string; // relative, forward slashes
  content: string;
  updatedAt: string;
}

/** Workspace files by relative path; ids are blinded paths. MEMORY.md is indexed for recall. */
export class WorkspaceFiles {
  readonly #t: SealedTable<WorkspaceFile>;
  readonly #vault: Vault;
  readonly #index: IndexSink;

  constructor(vault: Vault, report: CorruptSink, index: IndexSink) {
    this.#vault = vault;
    this.#t = new SealedTable<WorkspaceFile>(vault, 'workspace_files', report);
    this.#index = index;
  }

  get(path: string): WorkspaceFile | undefined {
    return this.#t.get(this.id(path));
  }

  read(path: string): string | undefined {
    return this.get(path)?.content;
  }

  put(path: string, content: string): WorkspaceFile {
    const f: WorkspaceFile = { path: normalise(path), content, updatedAt: new Date().toISOString() };
    this.#vault.write(() => this.#t.put(this.id(f.path), f));
    this.reindex(f);
    return f;
  }

  delete(path: string): boolean {
    const gone = this.#vault.write(() => this.#t.delete(this.id(path)));
    if (gone) this.#index.removePrefix(`file:${normalise(path)}#`);
    return gone;
  }

  list(): WorkspaceFile[] {
    return this.#t
      .all()
      .map((r) => r.value)
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  count(): number {
    return this.#t.count();
  }

  private id(path: string): string {
    return this.#vault.blindId('workspace_file', normalise(path));
  }

  private reindex(f: WorkspaceFile): void {
    this.#index.removePrefix(`file:${f.path}#`);
    for (const d of fileDocs(f)) this.#index.upsert(d);
  }
}

/** Only long-term memory (MEMORY.md) is searchable; persona files go in the prompt whole. */
export function fileDocs(f: WorkspaceFile) {
  if (f.path !== 'MEMORY.md') return [];
  return chunkMarkdown(f.content).map((text, i) => ({
    key: `file:${f.path}#${i}`,
    kind: 'memory-file',
    text,
    meta: { path: f.path },
  }));
}

export function normalise(path: string): string {
  const p = path.replace(/\\/g, '/').replace(/^\.\//, '');
  if (p.startsWith('/') || p.split('/').includes('..') || p === '') throw new Error(`bad workspace path: ${path}`);
  return p;
}
