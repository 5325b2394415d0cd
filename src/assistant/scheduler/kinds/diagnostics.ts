import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Memory } from '../../memory/memory.js';
import type { Vault } from '../../vault/vault.js';
import { SCHEDULER_SCHEMA } from '../schema.js';
import { JobStore } from '../store.js';
import { fmtBytes } from './download.js';
import type { JobKind } from './registry.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skipped';

export interface Check {
  name: string;
  status: CheckStatus;
  /** One line a user can read. */
  detail: string;
  data?: Record<string, unknown>;
}

export interface DiagnosticsReport {
  ok: boolean;
  at: string;
  checks: Check[];
  /** The same, as text for a terminal. */
  text: string;
}

export interface DiagnosticsOptions {
  vault?: Vault;
  /** Directory whose file system is checked for space (default: the vault's). */
  dataDir?: string;
  /** Compare backends on this model too (besides the generated one). */
  modelPath?: string;
  /** Compare the engine's backends (default true). */
  backends?: boolean;
  /** Greedy tokens compared per model (default 8). */
  tokens?: number;
  /** Warn below this many free bytes (default 2 GiB: a small model plus room). */
  minFreeBytes?: number;
  signal?: AbortSignal;
}

/**
 * Self-diagnostics: vault integrity (SQLite's integrity_check and every sealed record
 * opening), free disk space, and the engine's backends agreeing on greedy tokens for a tiny
 * generated model (and the user's model when given). Never writes to the vault.
 */
export async function runDiagnostics(o: DiagnosticsOptions = {}): Promise<DiagnosticsReport> {
  const checks: Check[] = [];
  if (o.vault) checks.push(...vaultChecks(o.vault));
  const dir = o.dataDir ?? (o.vault ? dirname(o.vault.path) : undefined);
  if (dir) checks.push(diskCheck(dir, o.minFreeBytes ?? 2 * 1024 ** 3));
  if (o.backends !== false) {
    checks.push(await backendCheck('backends (generated model)', undefined, o.tokens ?? 8, o.signal));
    if (o.modelPath) checks.push(await backendCheck(`backends (${o.modelPath})`, o.modelPath, o.tokens ?? 8, o.signal));
  }
  const report = { ok: checks.every((c) => c.status !== 'fail'), at: new Date().toISOString(), checks, text: '' };
  report.text = formatReport(report);
  return report;
}

export function formatReport(r: Omit<DiagnosticsReport, 'text'>): string {
  const mark: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skipped: 'skip' };
  const lines = [`LocalGPT diagnostics, ${r.at}: ${r.ok ? 'all good' : 'problems found'}`];
  for (const c of r.checks) lines.push(`  [${mark[c.status]}] ${c.name}: ${c.detail}`);
  return lines.join('\n');
}

/** The scheduler kind: payload DiagnosticsOptions' plain fields; result the report (sealed). */
export const diagnosticsKind: JobKind<{ modelPath?: string; backends?: boolean; tokens?: number }, DiagnosticsReport> = {
  name: 'diagnostics',
  timeoutMs: 10 * 60_000,
  maxAttempts: 1,
  validate(p) {
    const o = (p ?? {}) as { modelPath?: unknown; backends?: unknown; tokens?: unknown };
    if (o.modelPath !== undefined && typeof o.modelPath !== 'string') throw new Error('modelPath must be a path');
    return { modelPath: o.modelPath as string | undefined, backends: o.backends as boolean | undefined, tokens: o.tokens as number | undefined };
  },
  async run(ctx) {
    const r = await runDiagnostics({ ...ctx.payload, vault: ctx.services.vault, dataDir: ctx.services.dataDir, signal: ctx.signal });
    for (const line of r.text.split('\n')) ctx.log(line);
    return r;
  },
};

// ---- helpers -------------------------------------------------------------------------

function vaultChecks(vault: Vault): Check[] {
  const out: Check[] = [];
  const rows = vault.db.pragma('integrity_check') as { integrity_check: string }[];
  const fine = rows.length === 1 && rows[0].integrity_check === 'ok';
  out.push({
    name: 'vault database',
    status: fine ? 'ok' : 'fail',
    detail: fine ? 'SQLite integrity_check ok' : `SQLite integrity_check: ${rows.slice(0, 3).map((r) => r.integrity_check).join('; ')}`,
    data: { integrity: rows.map((r) => r.integrity_check) },
  });

  // Every sealed record must open under the data key with its own table/id bound in.
  let checked = 0;
  const bad: { table: string; id: string }[] = [];
  const notChecked: string[] = [];
  const tables = (vault.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
  for (const t of tables) {
    const cols = (vault.db.pragma(`table_info(${t})`) as { name: string }[]).map((c) => c.name);
    const key = cols.includes('id') ? 'id' : t === 'checkpoints' ? 'session_id' : undefined;
    if (t === 'messages' || t === 'jobs' || t === 'job_logs') continue; // checked by their owners below
    if (!cols.includes('body') || !cols.includes('v') || !key) {
      if (cols.includes('body')) notChecked.push(t);
      continue;
    }
    for (const r of vault.db.prepare(`SELECT ${key} AS id, v, body FROM ${t}`).iterate() as Iterable<{ id: string; v: number; body: Buffer }>) {
      checked++;
      if (!vault.tryOpen(t, r.id, r.body, r.v)) bad.push({ table: t, id: r.id });
    }
  }
  if (vault.versions().memory !== undefined) {
    // Messages bind session and position into their seal: let the memory module read them.
    const mem = new Memory(vault);
    for (const _ of mem.conversations.allMessages()) checked++;
    for (const c of mem.corrupt) bad.push({ table: c.table, id: c.id });
  }
  if (vault.versions().scheduler !== undefined || tables.includes('jobs')) {
    vault.migrate(SCHEDULER_SCHEMA);
    const r = new JobStore(vault).verifyRecords();
    checked += r.checked;
    bad.push(...r.bad);
  }
  out.push({
    name: 'vault records',
    status: bad.length ? 'fail' : 'ok',
    detail: bad.length
      ? `${bad.length} of ${checked} sealed records fail authentication (first: ${bad[0].table}/${bad[0].id})`
      : `all ${checked} sealed records open${notChecked.length ? ` (not checked: ${notChecked.join(', ')})` : ''}`,
    data: { checked, bad, notChecked },
  });
  return out;
}

function diskCheck(dir: string, minFree: number): Check {
  try {
    const s = statfsSync(dir);
    const free = s.bavail * s.bsize;
    const total = s.blocks * s.bsize;
    const low = free < minFree;
    return {
      name: 'disk space',
      status: low ? 'warn' : 'ok',
      detail: `${fmtBytes(free)} free of ${fmtBytes(total)} at ${dir}${low ? ` (below ${fmtBytes(minFree)}: model downloads may fail)` : ''}`,
      data: { free, total, dir },
    };
  } catch (e) {
    return { name: 'disk space', status: 'warn', detail: `could not stat ${dir}: ${(e as Error).message}` };
  }
}

/**
 * Greedy tokens from the reference backend (the oracle) and the native CPU backend on the
 * same model must match. Quantised kernels can legitimately differ in the last bits, so
 * a difference is a warning with the first diverging position, not a failure.
 */
async function backendCheck(name: string, modelPath: string | undefined, tokens: number, signal?: AbortSignal): Promise<Check> {
  const { cpuAvailable, cpuUnavailableReason } = await import('../../../engine/backend/cpu/index.js');
  if (!cpuAvailable()) return { name, status: 'skipped', detail: `native CPU backend unavailable (${cpuUnavailableReason()})` };
  const { loadModel } = await import('../../../engine/model.js');
  let tmp: string | undefined;
  try {
    let path = modelPath;
    if (!path) {
      tmp = mkdtempSync(join(tmpdir(), 'lgpt-diag-'));
      path = join(tmp, 'tiny.gguf');
      const { syntheticModel } = await import('../../../engine/model/synthetic.js');
      const { writeGGUF } = await import('../../../engine/gguf/writer.js');
      const { gpt2Vocabulary } = await import('../../../engine/model/gpt2-vocab.js');
      writeGGUF(
        path,
        syntheticModel({
          arch: 'llama', vocab: gpt2Vocabulary(1024), embeddingLength: 64, blockCount: 2, feedForwardLength: 128,
          headCount: 4, headCountKv: 2, contextLength: 128, quant: 'F32', seed: 7, name: 'localgpt-diagnostics',
        }),
      );
    }
    const ids: Record<string, number[]> = {};
    const ms: Record<string, number> = {};
    for (const backend of ['reference', 'cpu'] as const) {
      signal?.throwIfAborted();
      const t0 = performance.now();
      const model = await loadModel(path, { backend, contextLength: 64 });
      try {
        const r = await model.completeAll('The quick brown fox', { maxTokens: tokens, sampling: { temperature: 0 }, signal });
        ids[backend] = [...r.ids];
      } finally {
        model.dispose();
      }
      ms[backend] = Math.round(performance.now() - t0);
    }
    const a = ids.reference;
    const b = ids.cpu;
    const diverge = a.findIndex((t, i) => t !== b[i]);
    const same = diverge === -1 && a.length === b.length;
    return {
      name,
      status: same ? 'ok' : 'warn',
      detail: same
        ? `reference and cpu agree on ${a.length} greedy tokens (${ms.reference} ms vs ${ms.cpu} ms)`
        : `reference and cpu diverge at token ${diverge === -1 ? Math.min(a.length, b.length) : diverge}`,
      data: { ids, ms },
    };
  } catch (e) {
    return { name, status: 'fail', detail: (e as Error).message };
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
