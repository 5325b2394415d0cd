import { today } from '../../memory/logs.js';
import { resolveModel } from '../model.js';
import type { JobKind } from './registry.js';

export interface PromptPayload {
  prompt: string;
  /** Where the answer goes: a note (default), a fact, or today's daily log. */
  saveAs?: 'note' | 'fact' | 'log';
  tags?: string[];
  system?: string;
  maxTokens?: number;
}

export interface PromptResult {
  text: string;
  savedAs: 'note' | 'fact' | 'log';
  /** The memory's id, or the log's date. */
  ref: string;
}

/** A scheduled prompt ("every morning: what should I focus on?") whose answer is kept in memory. */
export const promptKind: JobKind<PromptPayload, PromptResult> = {
  name: 'prompt',
  inference: true,
  timeoutMs: 10 * 60_000,
  validate(p) {
    const o = p as PromptPayload;
    if (!o || typeof o.prompt !== 'string' || !o.prompt.trim()) throw new Error('a prompt job needs { prompt }');
    if (o.saveAs !== undefined && !['note', 'fact', 'log'].includes(o.saveAs)) throw new Error('saveAs is note, fact or log');
    return o;
  },
  async run(ctx) {
    const { prompt, saveAs = 'note', tags = [], system, maxTokens = 512 } = ctx.payload;
    const memory = ctx.services.memory;
    if (!memory) throw new Error('a prompt job needs the memory to save its answer');
    const model = await resolveModel(ctx.services.model);
    const text = (await model.complete(prompt, { signal: ctx.signal, system, maxTokens })).trim();
    if (!text) throw new Error('the model gave an empty answer');
    return { text, savedAs: saveAs, ref: save(memory, saveAs, text, tags, ctx.services.clock()) };
  },
};

/** Save model output to memory; shared with the report kind. Returns the id or date. */
export function save(
  memory: NonNullable<import('./registry.js').JobServices['memory']>,
  saveAs: 'note' | 'fact' | 'log',
  text: string,
  tags: string[],
  now: number,
): string {
  if (saveAs === 'log') {
    const date = today(new Date(now));
    memory.logs.append(text, { date });
    return date;
  }
  return memory.facts.add({ text, kind: saveAs, tags, source: 'scheduler', createdAt: new Date(now).toISOString() }).id;
}
