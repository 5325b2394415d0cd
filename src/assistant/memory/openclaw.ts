import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseFrontmatter } from './frontmatter.js';
import type { MemoryItem } from './facts.js';
import type { Memory } from './memory.js';

/** The OpenClaw workspace's top-level files. */
export const WORKSPACE_FILES = ['AGENTS.md', 'SOUL.md', 'USER.md', 'IDENTITY.md', 'TOOLS.md', 'MEMORY.md', 'HEARTBEAT.md'] as const;

export interface Skill {
  name: string;
  description: string;
  /** The `metadata.openclaw` object (requirements, emoji, ...), when present. */
  openclaw?: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** Workspace-relative path of the SKILL.md. */
  path: string;
  body: string;
}

export interface ImportReport {
  files: string[];
  dailyLogs: string[];
  skills: string[];
  factsAdded: number;
  skipped: string[];
}

export interface ExportReport {
  files: string[];
}

/**
 * Import an OpenClaw workspace directory into the vault: the top-level files, daily logs
 * (memory/YYYY-MM-DD.md) and skills (skills/<name>/SKILL.md). Existing entries with the same
 * path or date are replaced. Facts that an earlier export wrote into MEMORY.md's LocalGPT
 * section come back as facts (without duplicates), and the section is not kept in the file.
 */
export function importWorkspace(memory: Memory, dir: string): ImportReport {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`not a directory: ${dir}`);
  const report: ImportReport = { files: [], dailyLogs: [], skills: [], factsAdded: 0, skipped: [] };
  for (const name of WORKSPACE_FILES) {
    const p = join(dir, name);
    if (!isFile(p)) continue;
    let content = readFileSync(p, 'utf8');
    if (name === 'MEMORY.md') {
      const split = splitFactsSection(content);
      content = split.rest;
      report.factsAdded += addMissingFacts(memory, split.facts);
    }
    memory.workspace.put(name, content);
    report.files.push(name);
  }
  const memDir = join(dir, 'memory');
  if (isDir(memDir)) {
    for (const f of readdirSync(memDir).sort()) {
      const m = /^(\d{4}-\d{2}-\d{2})\.md$/.exec(f);
      if (!m) {
        report.skipped.push(`memory/${f}`);
        continue;
      }
      if (!isFile(join(memDir, f))) continue;
      memory.logs.put(m[1], readFileSync(join(memDir, f), 'utf8'));
      report.dailyLogs.push(m[1]);
    }
  }
  const skillsDir = join(dir, 'skills');
  if (isDir(skillsDir)) {
    for (const name of readdirSync(skillsDir).sort()) {
      const p = join(skillsDir, name, 'SKILL.md');
      if (!isFile(p)) continue;
      const rel = `skills/${name}/SKILL.md`;
      const text = readFileSync(p, 'utf8');
      try {
        parseFrontmatter(text);
      } catch {
        report.skipped.push(rel); // unreadable frontmatter: keep the file, the model just won't see it listed
      }
      memory.workspace.put(rel, text);
      report.skills.push(name);
    }
  }
  return report;
}

/**
 * Export the vault as an OpenClaw workspace: every stored workspace file, each daily log as
 * memory/YYYY-MM-DD.md, and MEMORY.md with the vault's facts and notes appended in a marked
 * section (so a re-import restores them). Files are written 0600: they are plaintext.
 */
export function exportWorkspace(memory: Memory, dir: string): ExportReport {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files: string[] = [];
  const write = (rel: string, content: string) => {
    const p = join(dir, ...rel.split('/'));
    mkdirSync(dirname(p), { recursive: true, mode: 0o700 });
    writeFileSync(p, content, { mode: 0o600 });
    chmodSync(p, 0o600);
    files.push(rel);
  };
  const items = memory.facts.list();
  let wroteMemory = false;
  for (const f of memory.workspace.list()) {
    if (f.path === 'MEMORY.md') {
      write(f.path, withFactsSection(f.content, items));
      wroteMemory = true;
    } else write(f.path, f.content);
  }
  if (!wroteMemory && items.length) write('MEMORY.md', withFactsSection('# MEMORY.md\n', items));
  for (const log of memory.logs.list()) write(`memory/${log.date}.md`, log.text);
  return { files };
}

/** Skills stored in the vault, parsed from their frontmatter (unparseable ones are left out). */
export function listSkills(memory: Memory): Skill[] {
  const out: Skill[] = [];
  for (const f of memory.workspace.list()) {
    const m = /^skills\/([^/]+)\/SKILL\.md$/.exec(f.path);
    if (!m) continue;
    const s = parseSkill(f.content, f.path, m[1]);
    if (s) out.push(s);
  }
  return out;
}

/** Parse a SKILL.md; undefined when the frontmatter is unreadable. */
export function parseSkill(text: string, path: string, dirName: string): Skill | undefined {
  let fm;
  try {
    fm = parseFrontmatter(text);
  } catch {
    return undefined;
  }
  const d = fm.data;
  let metadata = d.metadata;
  if (typeof metadata === 'string') {
    try {
      metadata = JSON.parse(metadata);
    } catch {
      metadata = {};
    }
  }
  const meta = (typeof metadata === 'object' && metadata !== null ? metadata : {}) as Record<string, unknown>;
  const oc = meta.openclaw;
  const skill: Skill = {
    name: typeof d.name === 'string' ? d.name : dirName,
    description: typeof d.description === 'string' ? d.description : '',
    metadata: meta,
    path,
    body: fm.body,
  };
  if (typeof oc === 'object' && oc !== null) skill.openclaw = oc as Record<string, unknown>;
  return skill;
}

// ---- helpers -------------------------------------------------------------------------

const START = '<!-- localgpt:facts:start -->';
const END = '<!-- localgpt:facts:end -->';

function withFactsSection(content: string, items: MemoryItem[]): string {
  if (!items.length) return content;
  const facts = items.filter((m) => m.kind === 'fact');
  const notes = items.filter((m) => m.kind === 'note');
  const bullet = (m: MemoryItem) => `- ${m.text.replace(/\r?\n/g, ' ')}`;
  const parts = [START];
  if (facts.length) parts.push('## Facts (LocalGPT)', '', ...facts.map(bullet), '');
  if (notes.length) parts.push('## Notes (LocalGPT)', '', ...notes.map(bullet), '');
  parts.push(END);
  return `${content.replace(/\n*$/, '\n')}\n${parts.join('\n')}\n`;
}

function splitFactsSection(content: string): { rest: string; facts: { kind: 'fact' | 'note'; text: string }[] } {
  const a = content.indexOf(START);
  const b = content.indexOf(END);
  if (a < 0 || b < a) return { rest: content, facts: [] };
  const section = content.slice(a + START.length, b);
  const rest = `${content.slice(0, a).replace(/\n+$/, '\n')}${content.slice(b + END.length).replace(/^\n+/, '')}`;
  const facts: { kind: 'fact' | 'note'; text: string }[] = [];
  let kind: 'fact' | 'note' = 'fact';
  for (const line of section.split(/\r?\n/)) {
    if (/^##\s+Notes/.test(line)) kind = 'note';
    else if (/^##\s+Facts/.test(line)) kind = 'fact';
    else if (/^- /.test(line)) facts.push({ kind, text: line.slice(2).trim() });
  }
  return { rest, facts };
}

function addMissingFacts(memory: Memory, facts: { kind: 'fact' | 'note'; text: string }[]): number {
  if (!facts.length) return 0;
  const have = new Set(memory.facts.list().map((m) => `${m.kind}\0${m.text}`));
  const fresh = facts.filter((f) => f.text && !have.has(`${f.kind}\0${f.text}`));
  memory.facts.addMany(fresh.map((f) => ({ ...f, source: 'import:MEMORY.md' })));
  return fresh.length;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
