import { listSkills, type Skill } from './openclaw.js';
import type { Memory } from './memory.js';
import { type Preferences, preferenceInstructions } from './preferences.js';
import { recall } from './recall.js';
import type { CountTokens, EmbedFn } from './types.js';

/** Workspace files that shape the persona, in the order OpenClaw injects them. */
export const PROMPT_FILES = ['AGENTS.md', 'SOUL.md', 'IDENTITY.md', 'USER.md'] as const;

export interface SystemPromptParts {
  /** The assistant's base instructions. */
  base?: string;
  /** Workspace file contents by name (AGENTS.md, SOUL.md, IDENTITY.md, USER.md). */
  files?: Partial<Record<string, string>>;
  preferences?: Preferences;
  skills?: Skill[];
  /** A recalled-memories block (see recall()). */
  recall?: string;
  /** Current date/time line, so the model knows "today" (daily logs). */
  now?: Date;
}

export const DEFAULT_BASE = 'You are LocalGPT, a helpful assistant running entirely on this computer.';

/**
 * Build the system prompt the way OpenClaw does: base instructions, then the workspace's
 * persona files as "project context" (SOUL.md's persona is to be embodied), the available
 * skills (name, description, location; the model reads a SKILL.md when it needs one), the
 * user's preferences, and recalled memories. Pure: takes data, returns text.
 */
export function buildSystemPrompt(parts: SystemPromptParts): string {
  const out: string[] = [parts.base ?? DEFAULT_BASE];
  if (parts.now) out.push(`Current date and time: ${parts.now.toISOString()}`);
  const files = PROMPT_FILES.filter((n) => parts.files?.[n]?.trim());
  if (files.length) {
    const ctx = ['# Project Context', '', 'The following workspace files have been loaded:'];
    if (files.includes('SOUL.md')) {
      ctx.push('If SOUL.md is present, embody its persona and tone. Avoid stiff, generic replies; follow its guidance unless higher-priority instructions override it.');
    }
    for (const n of files) ctx.push('', `## ${n}`, '', parts.files![n]!.trim());
    out.push(ctx.join('\n'));
  }
  if (parts.skills?.length) {
    const s = ['## Skills', '', 'Before replying, scan the available skills. If one clearly applies, read its SKILL.md and follow it.', '<available_skills>'];
    for (const k of parts.skills) {
      s.push('  <skill>', `    <name>${xml(k.name)}</name>`, `    <description>${xml(k.description)}</description>`, `    <location>${xml(k.path)}</location>`, '  </skill>');
    }
    s.push('</available_skills>');
    out.push(s.join('\n'));
  }
  const prefs = parts.preferences ? preferenceInstructions(parts.preferences) : [];
  if (prefs.length) out.push(['## User preferences', '', ...prefs.map((l) => `- ${l}`)].join('\n'));
  if (parts.recall?.trim()) out.push(parts.recall.trim());
  return out.join('\n\n');
}

export interface MemoryPromptOptions {
  base?: string;
  /** The user's message, to recall memories for. No recall without it. */
  query?: string;
  countTokens?: CountTokens;
  recallBudgetTokens?: number;
  embed?: EmbedFn;
  embedModel?: string;
  now?: Date;
}

/** buildSystemPrompt with everything read from the memory: persona files, skills, preferences, recall. */
export async function systemPromptFromMemory(memory: Memory, opts: MemoryPromptOptions = {}): Promise<string> {
  const files: Record<string, string> = {};
  for (const n of PROMPT_FILES) {
    const c = memory.workspace.read(n);
    if (c !== undefined) files[n] = c;
  }
  let recalled: string | undefined;
  if (opts.query && opts.countTokens && (opts.recallBudgetTokens ?? 0) > 0) {
    recalled = (
      await recall(memory, opts.query, {
        countTokens: opts.countTokens,
        budgetTokens: opts.recallBudgetTokens!,
        embed: opts.embed,
        embedModel: opts.embedModel,
      })
    ).text;
  }
  return buildSystemPrompt({
    base: opts.base,
    files,
    preferences: memory.preferences.get(),
    skills: listSkills(memory),
    recall: recalled,
    now: opts.now,
  });
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
