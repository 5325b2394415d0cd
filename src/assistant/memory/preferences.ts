import type { Vault } from '../vault/vault.js';
import { type CorruptSink, SealedTable } from './records.js';

/** How the assistant should talk. Free-form keys are allowed for later settings. */
export interface Preferences {
  /** e.g. "warm", "formal", "playful". */
  tone?: string;
  verbosity?: 'terse' | 'normal' | 'detailed' | string;
  /** What to call the user. */
  name?: string;
  language?: string;
  [key: string]: string | undefined;
}

/**
 * All preferences live in one sealed row: even the names of custom keys are the user's own
 * words, so they are not used as row ids.
 */
export class PreferencesStore {
  readonly #t: SealedTable<Preferences>;
  readonly #vault: Vault;

  constructor(vault: Vault, report: CorruptSink) {
    this.#vault = vault;
    this.#t = new SealedTable<Preferences>(vault, 'preferences', report);
  }

  get(): Preferences {
    return this.#t.get(ROW) ?? {};
  }

  /** Merge; a key set to undefined or '' is removed. */
  set(patch: Preferences): Preferences {
    return this.#vault.write(() => {
      const next: Preferences = { ...this.get() };
      for (const [k, v] of Object.entries(patch)) {
        if (v === undefined || v === '') delete next[k];
        else next[k] = v;
      }
      this.#t.put(ROW, next);
      return next;
    });
  }

  clear(): void {
    this.#vault.write(() => this.#t.delete(ROW));
  }
}

/** Lines for the system prompt that apply the preferences. */
export function preferenceInstructions(p: Preferences): string[] {
  const lines: string[] = [];
  if (p.name) lines.push(`Address the user as ${p.name}.`);
  if (p.tone) lines.push(`Use a ${p.tone} tone.`);
  if (p.verbosity === 'terse') lines.push('Be brief: answer in as few words as will do.');
  else if (p.verbosity === 'detailed') lines.push('Be thorough: give detailed, complete answers.');
  else if (p.verbosity && p.verbosity !== 'normal') lines.push(`Verbosity: ${p.verbosity}.`);
  if (p.language) lines.push(`Reply in ${p.language}.`);
  for (const [k, v] of Object.entries(p)) {
    if (v && !['name', 'tone', 'verbosity', 'language'].includes(k)) lines.push(`${k}: ${v}`);
  }
  return lines;
}

const ROW = 'preferences';
