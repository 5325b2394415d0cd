import type { Memory, SearchHit, SearchOptions } from './memory.js';
import type { CountTokens } from './types.js';

export interface RecallOptions extends SearchOptions {
  /** The model's token counter. */
  countTokens: CountTokens;
  /** Most tokens the recalled block may take, heading included. */
  budgetTokens: number;
  /** Heading line of the block. */
  heading?: string;
}

export interface Recalled {
  /** The block to put in the prompt ('' when nothing fits or matches). */
  text: string;
  tokens: number;
  items: SearchHit[];
}

/**
 * Recall for a prompt: search, then take the best matches in rank order while they fit the
 * token budget (an item too big for what is left is skipped, a smaller later one may fit).
 */
export async function recall(memory: Memory, query: string, opts: RecallOptions): Promise<Recalled> {
  const hits = await memory.search(query, { ...opts, limit: opts.limit ?? 20 });
  const heading = opts.heading ?? 'Relevant memories:';
  let text = heading;
  let tokens = opts.countTokens(text);
  const items: SearchHit[] = [];
  if (tokens > opts.budgetTokens) return { text: '', tokens: 0, items };
  for (const h of hits) {
    const line = `\n- ${label(h)}${h.text.replace(/\s*\n\s*/g, ' ')}`;
    const t = opts.countTokens(text + line);
    if (t > opts.budgetTokens) continue;
    text += line;
    tokens = t;
    items.push(h);
  }
  return items.length ? { text, tokens, items } : { text: '', tokens: 0, items };
}

function label(h: SearchHit): string {
  const m = h.meta;
  if (h.kind === 'log' && typeof m.date === 'string') return `(${m.date}) `;
  if (h.kind === 'message' && typeof m.role === 'string') return `(earlier, ${m.role}) `;
  if (h.kind === 'note') return '(note) ';
  return '';
}
