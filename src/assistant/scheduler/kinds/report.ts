import { today } from '../../memory/logs.js';
import { resolveModel } from '../model.js';
import { save } from './prompt.js';
import type { JobKind } from './registry.js';

export interface ReportPayload {
  /** How far back to look (default 24 h). */
  hours?: number;
  sources?: ('conversations' | 'logs')[];
  /** Where the summary goes: today's log (default) or a note. */
  saveAs?: 'log' | 'note';
  /** Cap on the material given to the model (characters; default 6000, newest kept). */
  maxChars?: number;
  maxTokens?: number;
}

export type ReportResult = { status: 'skipped'; reason: string } | { status: 'saved'; text: string; savedAs: 'log' | 'note'; ref: string; items: number };

/** The model summarises recent conversations and daily logs into memory. */
export const reportKind: JobKind<ReportPayload, ReportResult> = {
  name: 'report',
  inference: true,
  timeoutMs: 15 * 60_000,
  validate(p) {
    const o = (p ?? {}) as ReportPayload;
    if (o.hours !== undefined && !(o.hours > 0)) throw new Error('hours must be positive');
    return o;
  },
  async run(ctx) {
    const { hours = 24, sources = ['conversations', 'logs'], saveAs = 'log', maxChars = 6000, maxTokens = 400 } = ctx.payload ?? {};
    const memory = ctx.services.memory;
    if (!memory) throw new Error('a report needs the memory');
    const now = ctx.services.clock();
    const since = now - hours * 3_600_000;
    const items: { at: string; text: string }[] = [];
    if (sources.includes('conversations')) {
      for (const m of memory.conversations.allMessages()) {
        if (m.role === 'system' || Date.parse(m.at) < since) continue;
        items.push({ at: m.at, text: `${m.role}: ${m.content}` });
      }
    }
    if (sources.includes('logs')) {
      const from = today(new Date(since));
      // Our own earlier reports are in the logs too: leave them out so reports do not echo.
      for (const l of memory.logs.list()) if (l.date >= from) items.push({ at: `${l.date}T23:59:59`, text: `log ${l.date}:\n${l.text.split('\n').filter((x) => !x.startsWith('- Report:')).join('\n')}` });
    }
    if (items.length === 0) return { status: 'skipped', reason: `nothing in the last ${hours} h` };
    items.sort((a, b) => (a.at < b.at ? -1 : 1));
    let material = items.map((i) => i.text).join('\n');
    if (material.length > maxChars) material = material.slice(material.length - maxChars); // newest kept
    const model = await resolveModel(ctx.services.model);
    const summary = (
      await model.complete(
        `Summarise the following conversations and notes from the last ${hours} hours in a few short bullet points: decisions, facts learned, open tasks.\n\n${material}`,
        { signal: ctx.signal, maxTokens },
      )
    ).trim();
    if (!summary) throw new Error('the model gave an empty summary');
    const text = saveAs === 'log' ? `Report: ${summary}` : summary;
    const ref = save(memory, saveAs, text, ['report'], now);
    return { status: 'saved', text: summary, savedAs: saveAs, ref, items: items.length };
  },
};
