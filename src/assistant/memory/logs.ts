import type { Vault } from '../vault/vault.js';
import { type CorruptSink, SealedTable } from './records.js';
import type { IndexSink } from './types.js';

/** A day's log (OpenClaw's memory/YYYY-MM-DD.md): markdown text. */
export interface DailyLog {
  date: string; // YYYY-MM-DD
  text: string;
  updatedAt: string;
}

/**
 * Daily logs, one sealed row per date. The row id is a blinded hash of the date, so the
 * database does not reveal which days the user wrote on, yet a day can be upserted.
 */
export class DailyLogs {
  readonly #t: SealedTable<DailyLog>;
  readonly #vault: Vault;
  readonly #index: IndexSink;

  constructor(vault: Vault, report: CorruptSink, index: IndexSink) {
    this.#vault = vault;
    this.#t = new SealedTable<DailyLog>(vault, 'daily_logs', report);
    this.#index = index;
  }

  get(date: string): DailyLog | undefined {
    return this.#t.get(this.id(checkDate(date)));
  }

  /** Append an entry (a markdown bullet by default) to a day's log, creating it. */
  append(text: string, opts: { date?: string; bullet?: boolean } = {}): DailyLog {
    const date = checkDate(opts.date ?? today());
    const entry = opts.bullet === false ? text : `- ${text}`;
    const log = this.#vault.write(() => {
      const cur = this.get(date);
      const next: DailyLog = {
        date,
        text: cur ? `${cur.text.replace(/\n*$/, '')}\n${entry}\n` : `# ${date}\n\n${entry}\n`,
        updatedAt: new Date().toISOString(),
      };
      this.#t.put(this.id(date), next);
      return next;
    });
    this.reindex(log);
    return log;
  }

  /** Replace a day's whole text (import). */
  put(date: string, text: string): DailyLog {
    const log: DailyLog = { date: checkDate(date), text, updatedAt: new Date().toISOString() };
    this.#vault.write(() => this.#t.put(this.id(date), log));
    this.reindex(log);
    return log;
  }

  /** All logs, by date. */
  list(): DailyLog[] {
    return this.#t
      .all()
      .map((r) => r.value)
      .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  }

  delete(date: string): boolean {
    const gone = this.#vault.write(() => this.#t.delete(this.id(checkDate(date))));
    if (gone) this.#index.removePrefix(`log:${date}#`);
    return gone;
  }

  count(): number {
    return this.#t.count();
  }

  private id(date: string): string {
    return this.#vault.blindId('daily_log', date);
  }

  private reindex(log: DailyLog): void {
    this.#index.removePrefix(`log:${log.date}#`);
    for (const d of logDocs(log)) this.#index.upsert(d);
  }
}

/** Index documents for a log: one per paragraph or bullet, so recall quotes just the relevant entry. */
export function logDocs(log: DailyLog) {
  return chunkMarkdown(log.text).map((text, i) => ({
    key: `log:${log.date}#${i}`,
    kind: 'log',
    text,
    meta: { date: log.date },
  }));
}

/** Split markdown into paragraphs and list items; headings are dropped (they are labels). */
export function chunkMarkdown(text: string): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  const flush = () => {
    const t = cur.join('\n').trim();
    if (t) out.push(t);
    cur = [];
  };
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*$/.test(line)) flush();
    else if (/^\s{0,3}#{1,6}\s/.test(line)) flush();
    else if (/^\s{0,3}([-*+]|\d+\.)\s/.test(line)) {
      flush();
      cur.push(line.replace(/^\s{0,3}([-*+]|\d+\.)\s+/, ''));
    } else cur.push(line);
  }
  flush();
  return out;
}

export function today(d: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

function checkDate(date: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`not a YYYY-MM-DD date: ${date}`);
  return date;
}
