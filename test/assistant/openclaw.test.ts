import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Memory,
  exportWorkspace,
  importWorkspace,
  listSkills,
  memoryExport,
  memoryImport,
  parseFrontmatter,
  systemPromptFromMemory,
} from '../../src/assistant/memory/index.js';
import { PASS, tempDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function dir(): string {
  const t = tempDir('lgpt-ws-');
  cleanups.push(t.cleanup);
  return t.dir;
}
function writeTree(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
}

const WEATHER = `---
name: weather
description: "Get current weather and forecasts (no API key required)."
homepage: https://wttr.in/:help
metadata: {"openclaw":{"emoji":"🌤️","requires":{"bins":["curl"]}}}
---

# Weather

Use \`curl wttr.in\`.
`;

const GITHUB = `---
name: github
description: >
  Interact with GitHub using the gh CLI,
  for issues and PRs.
metadata:
  openclaw:
    emoji: "🐙"   # a comment
    requires:
      bins: [gh, git]
    install:
      - id: brew
        kind: brew
        formula: gh
      - id: apt
        kind: apt
user-invocable: true
---
Body.
`;

const TREE: Record<string, string> = {
  'AGENTS.md': '# AGENTS\nRead SOUL.md first.\n',
  'SOUL.md': '# SOUL\nBe curious and kind.\n',
  'USER.md': '# USER\nName: Robin. Timezone: Europe/Lisbon.\n',
  'IDENTITY.md': '# IDENTITY\nName: Pip 🐦\n',
  'TOOLS.md': '# TOOLS\nThe printer is called Gutenberg.\n',
  'MEMORY.md': '# MEMORY\n\n- Robin is allergic to peanuts.\n- Robin plays the cello.\n',
  'HEARTBEAT.md': '# HEARTBEAT\n- check email\n',
  'memory/2025-06-01.md': '# 2025-06-01\n\n- Went to the fado concert.\n',
  'memory/2025-06-02.md': '# 2025-06-02\n\n- Repaired the cello bow.\n',
  'skills/weather/SKILL.md': WEATHER,
  'skills/github/SKILL.md': GITHUB,
};

describe('OpenClaw workspace', () => {
  it('imports a workspace, feeds the prompt, lists skills, and exports it back identically', async () => {
    const src = dir();
    writeTree(src, { ...TREE, 'memory/notes.txt': 'ignored' });
    const mem = await Memory.open({ path: join(dir(), 'vault.db'), passphrase: PASS, kdf: 'min' });
    try {
      const rep = memoryImport(mem, src);
      expect(rep.files.sort()).toEqual(['AGENTS.md', 'HEARTBEAT.md', 'IDENTITY.md', 'MEMORY.md', 'SOUL.md', 'TOOLS.md', 'USER.md']);
      expect(rep.dailyLogs).toEqual(['2025-06-01', '2025-06-02']);
      expect(rep.skills).toEqual(['github', 'weather']);
      expect(rep.skipped).toEqual(['memory/notes.txt']);

      // MEMORY.md and daily logs are searchable.
      expect((await mem.search('peanuts'))[0]).toMatchObject({ kind: 'memory-file', text: 'Robin is allergic to peanuts.' });
      expect((await mem.search('fado'))[0]).toMatchObject({ kind: 'log', meta: { date: '2025-06-01' } });

      const skills = listSkills(mem);
      const gh = skills.find((s) => s.name === 'github')!;
      expect(gh.description).toBe('Interact with GitHub using the gh CLI, for issues and PRs.');
      expect(gh.openclaw).toEqual({
        emoji: '🐙',
        requires: { bins: ['gh', 'git'] },
        install: [
          { id: 'brew', kind: 'brew', formula: 'gh' },
          { id: 'apt', kind: 'apt' },
        ],
      });
      const w = skills.find((s) => s.name === 'weather')!;
      expect(w.openclaw).toEqual({ emoji: '🌤️', requires: { bins: ['curl'] } });
      expect(w.path).toBe('skills/weather/SKILL.md');

      const prompt = await systemPromptFromMemory(mem);
      for (const s of ['Be curious and kind.', 'Name: Robin', 'Read SOUL.md first.', 'Name: Pip']) expect(prompt).toContain(s);
      expect(prompt).not.toContain('Gutenberg');
      expect(prompt).toContain('<name>github</name>');
      expect(prompt).toContain('<location>skills/weather/SKILL.md</location>');

      const out = dir();
      const exp = memoryExport(mem, out);
      expect(exp.files.sort()).toEqual(Object.keys(TREE).sort());
      for (const [rel, content] of Object.entries(TREE)) {
        expect(readFileSync(join(out, rel), 'utf8'), rel).toBe(content);
        expect(statSync(join(out, rel)).mode & 0o777).toBe(0o600);
      }
    } finally {
      mem.close();
    }
  });

  it('facts travel through MEMORY.md and come back without duplicates', async () => {
    const a = await Memory.open({ path: join(dir(), 'a.db'), passphrase: PASS, kdf: 'min' });
    const b = await Memory.open({ path: join(dir(), 'b.db'), passphrase: PASS, kdf: 'min' });
    try {
      a.workspace.put('MEMORY.md', '# MEMORY\n\nLong-term notes.\n');
      a.facts.add({ text: 'The wifi password is on the fridge' });
      a.facts.add({ text: 'water the ficus', kind: 'note' });
      const out = dir();
      exportWorkspace(a, out);
      const text = readFileSync(join(out, 'MEMORY.md'), 'utf8');
      expect(text).toContain('- The wifi password is on the fridge');
      expect(importWorkspace(b, out).factsAdded).toBe(2);
      expect(importWorkspace(b, out).factsAdded).toBe(0);
      expect(b.facts.list().map((m) => [m.kind, m.text])).toEqual([
        ['fact', 'The wifi password is on the fridge'],
        ['note', 'water the ficus'],
      ]);
      expect(b.workspace.read('MEMORY.md')).toBe('# MEMORY\n\nLong-term notes.\n');
      // Facts alone (no MEMORY.md stored) still export.
      const c = dir();
      b.workspace.delete('MEMORY.md');
      exportWorkspace(b, c);
      expect(readFileSync(join(c, 'MEMORY.md'), 'utf8')).toContain('water the ficus');
    } finally {
      a.close();
      b.close();
    }
  });

  it('frontmatter subset: scalars, quotes, block scalars, flow and block collections', () => {
    const { data, body } = parseFrontmatter(
      "---\na: 1\nb: 'it''s'\nc: \"x: y\"\nd: [1, two, \"3\"]\ne: {k: v, n: [1]}\nf: |\n  line1\n  line2\ng: ~\nh: plain # comment\nlist:\n  - a\n  - b: 1\n    c: 2\n---\nrest",
    );
    expect(data).toEqual({
      a: 1,
      b: "it's",
      c: 'x: y',
      d: [1, 'two', '3'],
      e: { k: 'v', n: [1] },
      f: 'line1\nline2',
      g: null,
      h: 'plain',
      list: ['a', { b: 1, c: 2 }],
    });
    expect(body).toBe('rest');
    expect(parseFrontmatter('no frontmatter')).toEqual({ data: {}, body: 'no frontmatter' });
  });
});
