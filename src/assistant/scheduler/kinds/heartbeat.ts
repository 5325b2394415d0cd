import { today } from '../../memory/logs.js';
import { resolveModel } from '../model.js';
import type { JobKind } from './registry.js';

/** OpenClaw's default heartbeat prompt. */
export const HEARTBEAT_PROMPT =
  'Read HEARTBEAT.md if it exists (workspace context). Follow it strictly. Do not infer or repeat old tasks from prior chats. If nothing needs attention, reply HEARTBEAT_OK.';
export const HEARTBEAT_OK = 'HEARTBEAT_OK';

export interface ActiveHours {
  /** Hour of day the heartbeat starts (0-23) and ends (1-24, exclusive); may wrap midnight. */
  start: number;
  end: number;
  /** IANA zone; default the system's. */
  timeZone?: string;
}

export interface HeartbeatPayload {
  activeHours?: ActiveHours;
  prompt?: string;
  /** A reply that is HEARTBEAT_OK plus at most this many characters is still "nothing" (OpenClaw: 300). */
  ackMaxChars?: number;
  maxTokens?: number;
}

export type HeartbeatResult =
  | { status: 'skipped'; reason: string }
  | { status: 'ok' }
  | { status: 'alert'; text: string; savedTo: string };

/**
 * OpenClaw's heartbeat: within active hours, read HEARTBEAT.md from the memory workspace and
 * run one turn with it. A reply of HEARTBEAT_OK (at its start or end, with little else)
 * means nothing to report and is not stored; anything else goes into today's daily log.
 * An empty HEARTBEAT.md (only headings, blank lines, comments) skips the model call.
 */
export const heartbeatKind: JobKind<HeartbeatPayload, HeartbeatResult> = {
  name: 'heartbeat',
  inference: true,
  maxAttempts: 1, // a missed heartbeat is not retried: the next one comes soon
  timeoutMs: 5 * 60_000,
  validate(p) {
    const o = (p ?? {}) as HeartbeatPayload;
    if (o.activeHours) checkActiveHours(o.activeHours);
    return o;
  },
  async run(ctx) {
    const { activeHours, prompt = HEARTBEAT_PROMPT, ackMaxChars = 300, maxTokens = 256 } = ctx.payload ?? {};
    const now = ctx.services.clock();
    if (activeHours && !withinActiveHours(activeHours, now)) return { status: 'skipped', reason: 'outside active hours' };
    const memory = ctx.services.memory;
    if (!memory) throw new Error('heartbeat needs the memory (open the vault with memory)');
    const file = memory.workspace.read('HEARTBEAT.md');
    if (file === undefined || effectivelyEmpty(file)) return { status: 'skipped', reason: 'HEARTBEAT.md is missing or empty' };
    const model = await resolveModel(ctx.services.model);
    const reply = await model.complete(`${prompt}\n\n--- HEARTBEAT.md ---\n${file.trim()}\n--- end ---`, { signal: ctx.signal, maxTokens });
    const { ok, rest } = stripHeartbeatOk(reply);
    if (ok && rest.length <= ackMaxChars) return { status: 'ok' };
    const text = rest || reply.trim();
    if (!text) return { status: 'ok' }; // an empty reply has nothing to say either
    const date = today(new Date(now));
    memory.logs.append(`Heartbeat: ${text}`, { date });
    ctx.log(`heartbeat reported something (saved to the ${date} log)`);
    return { status: 'alert', text, savedTo: `memory/${date}.md` };
  },
};

/** Is the hour of `now` in the zone inside [start, end)? Wraps midnight when start > end. */
export function withinActiveHours(a: ActiveHours, now: number): boolean {
  checkActiveHours(a);
  const parts = new Intl.DateTimeFormat('en-GB', { hour: 'numeric', minute: 'numeric', hourCycle: 'h23', timeZone: a.timeZone }).formatToParts(
    new Date(now),
  );
  const h = Number(parts.find((p) => p.type === 'hour')!.value) + Number(parts.find((p) => p.type === 'minute')!.value) / 60;
  if (a.start === a.end) return true; // whole day
  return a.start < a.end ? h >= a.start && h < a.end : h >= a.start || h < a.end;
}

/** Remove HEARTBEAT_OK (also **bold** or with trailing punctuation) from the reply's start or end. */
export function stripHeartbeatOk(reply: string): { ok: boolean; rest: string } {
  const t = reply.trim();
  const re = /^[*_`\s]*HEARTBEAT_OK[*_`\s.!]*|[*_`\s]*HEARTBEAT_OK[*_`\s.!]*$/g;
  const rest = t.replace(re, '').trim();
  return { ok: rest !== t || t === HEARTBEAT_OK, rest };
}

// ---- helpers -------------------------------------------------------------------------

function effectivelyEmpty(md: string): boolean {
  return md
    .replace(/<!--[\s\S]*?-->/g, '')
    .split(/\r?\n/)
    .every((l) => /^\s*(#+(\s.*)?)?\s*$/.test(l));
}

function checkActiveHours(a: ActiveHours): void {
  if (!Number.isInteger(a.start) || !Number.isInteger(a.end) || a.start < 0 || a.start > 23 || a.end < 0 || a.end > 24)
    throw new Error('active hours need whole start (0-23) and end (0-24) hours');
  if (a.timeZone) new Intl.DateTimeFormat('en', { timeZone: a.timeZone }); // throws on an unknown zone
}
