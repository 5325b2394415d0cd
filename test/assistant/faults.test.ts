import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Memory } from '../../src/assistant/memory/index.js';
import { openVault } from '../../src/assistant/vault/index.js';
import { PASS, tempDir } from './helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CHILD = join(import.meta.dirname, 'fixtures', 'child.ts');
const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function dir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

interface Child {
  lines: string[];
  proc: ReturnType<typeof spawn>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor(pred: (lines: string[]) => boolean): Promise<void>;
}

function child(args: string[], env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    cwd: ROOT,
    env: { ...process.env, LOCALGPT_PASSPHRASE: PASS, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buf = '';
  let err = '';
  const waiters: (() => void)[] = [];
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => {
      if (code !== 0 && signal === null) console.error(err);
      for (const w of waiters.splice(0)) w();
      resolve({ code, signal });
    }),
  );
  return {
    lines,
    proc,
    exited,
    async waitFor(pred) {
      while (!pred(lines)) {
        if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`child exited early: ${err}`);
        await new Promise<void>((r) => waiters.push(r));
      }
    },
  };
}

async function makeVault(path: string): Promise<void> {
  (await Memory.open({ path, passphrase: PASS, kdf: 'min' })).close();
}

describe('faults', () => {
  it('two processes writing at once: no corruption, no lost write', async () => {
    const path = join(dir(), 'vault.db');
    await makeVault(path);
    const m0 = await Memory.open({ path, passphrase: PASS });
    const s = m0.conversations.create();
    m0.close();
    const a = child(['facts', path, 'A', '150']);
    const b = child(['facts', path, 'B', '150']);
    const c = child(['append', path, s.id, '100']);
    const d = child(['append', path, s.id, '100']);
    const results = await Promise.all([a.exited, b.exited, c.exited, d.exited]);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const mem = await Memory.open({ path, passphrase: PASS });
    try {
      expect(mem.vault.db.pragma('integrity_check', { simple: true })).toBe('ok');
      const texts = new Set(mem.facts.list().map((f) => f.text));
      expect(texts.size).toBe(300);
      for (let i = 0; i < 150; i++) expect(texts.has(`A-${i}`) && texts.has(`B-${i}`)).toBe(true);
      for (const id of [...a.lines, ...b.lines]) expect(mem.facts.get(id)).toBeDefined();
      const msgs = mem.conversations.messages(s.id);
      expect(msgs).toHaveLength(200);
      expect(msgs.map((m) => m.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      expect(mem.corrupt).toEqual([]);
    } finally {
      mem.close();
    }
  });

  it('kill -9 during a burst of writes: every acknowledged record survives', async () => {
    const path = join(dir(), 'vault.db');
    await makeVault(path);
    const w = child(['forever', path, 'K']);
    await w.waitFor((l) => l.length >= 150);
    w.proc.kill('SIGKILL');
    const r = await w.exited;
    expect(r.signal).toBe('SIGKILL');
    const acked = w.lines.filter(Boolean);
    expect(acked.length).toBeGreaterThanOrEqual(150);
    const mem = await Memory.open({ path, passphrase: PASS });
    try {
      expect(mem.vault.db.pragma('integrity_check', { simple: true })).toBe('ok');
      for (const id of acked) expect(mem.facts.get(id), id).toBeDefined();
      expect(mem.corrupt).toEqual([]);
    } finally {
      mem.close();
    }
  });

  it('a canary stored everywhere is found nowhere on disk: db, WAL, SHM, temp files', async () => {
    const d = dir();
    const tmp = join(d, 'tmp');
    mkdirSync(tmp);
    const path = join(d, 'data', 'vault.db');
    const canary = 'Zq7canaryXw9';
    const w = child(['canary', path, canary], { TMPDIR: tmp, SQLITE_TMPDIR: tmp });
    await w.waitFor((l) => l.includes('ready'));
    const needles = [canary, canary.toLowerCase(), canary.toUpperCase()].flatMap((c) => [Buffer.from(c, 'utf8'), Buffer.from(c, 'utf16le')]);
    const scan = () => {
      const files = walk(d);
      expect(files.some((f) => f.endsWith('vault.db-wal'))).toBe(true);
      for (const f of files) for (const n of needles) expect(readFileSync(f).includes(n), `${f} contains the canary`).toBe(false);
      return files;
    };
    scan(); // while open: the WAL holds the fresh writes
    for (const f of walk(join(d, 'data'))) expect(statSync(f).mode & 0o777, f).toBe(0o600);
    w.proc.stdin!.end('\n');
    expect((await w.exited).code).toBe(0);
    expect(walk(d).length).toBeGreaterThan(0);
    for (const f of walk(d)) for (const n of needles) expect(readFileSync(f).includes(n)).toBe(false);
    // SQLite names its temp files etilqs_*; none may appear (tsx keeps its own compile cache there).
    expect(walk(tmp).filter((f) => /etilqs/.test(f))).toEqual([]);
  });

  it('a database from a newer version is refused and left unchanged', async () => {
    const path = join(dir(), 'vault.db');
    await makeVault(path);
    for (const module of ['memory', 'vault']) {
      const v = await openVault({ path, passphrase: PASS });
      v.db.prepare('UPDATE schema_versions SET version = 99 WHERE module = ?').run(module);
      v.close();
      const before = sha(path);
      await expect(Memory.open({ path, passphrase: PASS })).rejects.toMatchObject({ code: 'NEWER_SCHEMA' });
      expect(sha(path)).toBe(before);
      expect(existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0).toBe(0);
      // Put it back by hand for the next round (bypassing the check).
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(path);
      db.prepare('UPDATE schema_versions SET version = ? WHERE module = ?').run(module === 'memory' ? 3 : 1, module);
      db.close();
    }
  });
});

function walk(d: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}
