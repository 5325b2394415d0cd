import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type CompletionModel,
  Scheduler,
  diagnosticsKind,
  heartbeatKind,
  jobKind,
  jobs,
  openScheduler,
  promptKind,
  registerJobKind,
  reportKind,
  runDiagnostics,
  status,
  stripHeartbeatOk,
  unregisterJobKind,
  withinActiveHours,
} from '../../../src/assistant/scheduler/index.js';
import { Memory } from '../../../src/assistant/memory/index.js';
import { PASS, dir, manualClock } from './helpers.js';

/** A fake model: answers from a function and records prompts. */
function fakeModel(answer: (prompt: string) => string): CompletionModel & { prompts: string[] } {
  const prompts: string[] = [];
  return {
    prompts,
    async complete(prompt) {
      prompts.push(prompt);
      return answer(prompt);
    },
  };
}

async function setup(model: CompletionModel, clockStart?: number) {
  const d = dir();
  const clock = manualClock(clockStart);
  const session = await openScheduler({ path: join(d, 'vault.db'), passphrase: PASS, kdf: 'min', model, clock: clock.now, dataDir: d });
  return { ...session, clock, dir: d, s: session.scheduler, memory: session.memory };
}

describe('heartbeat', () => {
  it('HEARTBEAT_OK means nothing to report and nothing is stored', async () => {
    const model = fakeModel(() => 'HEARTBEAT_OK');
    const { s, memory, close } = await setup(model);
    memory.workspace.put('HEARTBEAT.md', '# Heartbeat\n- check the inbox for anything urgent\n');
    const job = s.add({ kind: 'heartbeat', schedule: 'every 30m' });
    expect(await s.runNow(job.id)).toBe('queued'); // recurring: back in the queue
    const j = s.get(job.id)!;
    expect(j.lastResult?.value).toEqual({ status: 'ok' });
    expect(model.prompts[0]).toContain('check the inbox');
    expect(model.prompts[0]).toContain('HEARTBEAT_OK');
    expect(memory.logs.list()).toEqual([]);
    close();
  });

  it('a real reply goes into the daily log; empty HEARTBEAT.md and inactive hours skip the model', async () => {
    const model = fakeModel(() => 'The backup disk is almost full.');
    const start = Date.UTC(2025, 0, 6, 12); // 13:00 in Paris
    const { s, memory, close, clock } = await setup(model, start);
    const active = { activeHours: { start: 9, end: 18, timeZone: 'Europe/Paris' } };
    const job = s.add({ kind: 'heartbeat', payload: active });
    await s.runDueJobs();
    expect(s.get(job.id)!.lastResult?.value).toEqual({ status: 'skipped', reason: 'HEARTBEAT.md is missing or empty' });
    memory.workspace.put('HEARTBEAT.md', '# Heartbeat\n<!-- nothing yet -->\n');
    await s.runNow(job.id);
    expect(s.get(job.id)!.lastResult?.value).toMatchObject({ status: 'skipped' });
    expect(model.prompts).toHaveLength(0);

    memory.workspace.put('HEARTBEAT.md', '- watch the backup disk\n');
    await s.runNow(job.id);
    expect(s.get(job.id)!.lastResult?.value).toMatchObject({ status: 'alert', text: 'The backup disk is almost full.' });
    expect(memory.logs.list()[0].text).toContain('Heartbeat: The backup disk is almost full.');

    clock.set(Date.UTC(2025, 0, 6, 20)); // 21:00 in Paris
    await s.runNow(job.id);
    expect(s.get(job.id)!.lastResult?.value).toEqual({ status: 'skipped', reason: 'outside active hours' });
    expect(model.prompts).toHaveLength(1);
    close();
  });

  it('active hours and HEARTBEAT_OK parsing', () => {
    const at = (h: number) => Date.UTC(2025, 0, 6, h); // Paris = UTC+1 in January
    expect(withinActiveHours({ start: 9, end: 18, timeZone: 'Europe/Paris' }, at(8))).toBe(true);
    expect(withinActiveHours({ start: 9, end: 18, timeZone: 'Europe/Paris' }, at(17))).toBe(false);
    expect(withinActiveHours({ start: 22, end: 6, timeZone: 'UTC' }, at(23))).toBe(true);
    expect(withinActiveHours({ start: 22, end: 6, timeZone: 'UTC' }, at(12))).toBe(false);
    expect(stripHeartbeatOk('**HEARTBEAT_OK**')).toEqual({ ok: true, rest: '' });
    expect(stripHeartbeatOk('All quiet. HEARTBEAT_OK')).toEqual({ ok: true, rest: 'All quiet.' });
    expect(stripHeartbeatOk('Call the dentist')).toEqual({ ok: false, rest: 'Call the dentist' });
    expect(() => heartbeatKind.validate!({ activeHours: { start: 25, end: 3 } })).toThrow(/active hours/);
  });
});

describe('prompt and report', () => {
  it('a scheduled prompt saves its answer as a note, a fact or to the log', async () => {
    const model = fakeModel((p) => `answer to: ${p}`);
    const { s, memory, close } = await setup(model);
    const a = s.add({ kind: 'prompt', payload: { prompt: 'what is up?', tags: ['daily'] } });
    const b = s.add({ kind: 'prompt', payload: { prompt: 'log this', saveAs: 'log' } });
    expect(() => s.add({ kind: 'prompt', payload: {} })).toThrow(/prompt/);
    await s.runDueJobs();
    expect(s.get(a.id)!.lastResult?.value).toMatchObject({ savedAs: 'note', text: 'answer to: what is up?' });
    expect(memory.facts.list({ kind: 'note' })).toMatchObject([{ text: 'answer to: what is up?', tags: ['daily'], source: 'scheduler' }]);
    expect(s.get(b.id)!.lastResult?.value).toMatchObject({ savedAs: 'log' });
    expect(memory.logs.list()[0].text).toContain('answer to: log this');
    close();
  });

  it('a report summarises recent conversations and logs into the daily log', async () => {
    const model = fakeModel(() => '- decided to buy a new disk');
    const { s, memory, close } = await setup(model, Date.now());
    const none = s.add({ kind: 'report' });
    await s.runDueJobs();
    expect(s.get(none.id)!.lastResult?.value).toMatchObject({ status: 'skipped' });
    const sess = memory.conversations.create();
    memory.conversations.append(sess.id, { role: 'user', content: 'my disk is full' }, { role: 'assistant', content: 'buy a bigger one' });
    const job = s.add({ kind: 'report', payload: { hours: 24 } });
    await s.runDueJobs();
    expect(s.get(job.id)!.lastResult?.value).toMatchObject({ status: 'saved', items: 2, savedAs: 'log' });
    expect(model.prompts[0]).toContain('user: my disk is full');
    expect(memory.logs.list()[0].text).toContain('Report: - decided to buy a new disk');
    close();
  });

  it('inference kinds without a model fail with a clear error', async () => {
    const d = dir();
    const { scheduler: s, close } = await openScheduler({ path: join(d, 'vault.db'), passphrase: PASS, kdf: 'min' });
    const job = s.add({ kind: 'prompt', payload: { prompt: 'hi' }, maxAttempts: 1 });
    await s.runDueJobs();
    expect(s.get(job.id)!.lastResult?.error).toMatch(/needs a model/);
    close();
  });
});

describe('diagnostics', () => {
  it('reports vault integrity, disk space and backend agreement in text and JSON', async () => {
    const d = dir();
    const path = join(d, 'vault.db');
    const mem = await Memory.open({ path, passphrase: PASS, kdf: 'min' });
    mem.facts.add({ text: 'my sister is called Ana' });
    const s = new Scheduler({ vault: mem.vault, memory: mem, dataDir: d, kinds: { diagnostics: diagnosticsKind as never } });
    const job = s.add({ kind: 'diagnostics', payload: { tokens: 4 } });
    await s.runDueJobs();
    const r = s.get(job.id)!.lastResult!.value as Awaited<ReturnType<typeof runDiagnostics>>;
    const by = Object.fromEntries(r.checks.map((c) => [c.name, c]));
    expect(by['vault database'].status).toBe('ok');
    expect(by['vault records']).toMatchObject({ status: 'ok' });
    expect((by['vault records'].data as { checked: number }).checked).toBeGreaterThanOrEqual(2);
    expect(['ok', 'warn']).toContain(by['disk space'].status);
    expect(['ok', 'skipped']).toContain(by['backends (generated model)'].status);
    expect(r.text).toMatch(/^LocalGPT diagnostics/);
    expect(s.logs(job.id).map((l) => l.line).join('\n')).toContain('vault records');

    // A tampered record is found.
    mem.vault.db.prepare("UPDATE memories SET body = X'00112233'").run();
    const bad = await runDiagnostics({ vault: mem.vault, backends: false });
    expect(bad.ok).toBe(false);
    expect(bad.checks.find((c) => c.name === 'vault records')!.status).toBe('fail');
    mem.close();
  }, 60_000);
});

describe('registry and API', () => {
  it('built-in kinds are registered; plugins add kinds; jobs.* and status work', async () => {
    for (const k of ['model.download', 'diagnostics', 'heartbeat', 'prompt', 'report']) expect(jobKind(k)).toBeDefined();
    expect(jobKind('heartbeat')!.inference).toBe(true);
    registerJobKind({ name: 'plugin.echo', run: async (ctx) => (ctx.log('echo'), ctx.progress(0.5, 'half'), ctx.payload) });
    try {
      const { s, close, dir: d } = await setup(fakeModel(() => ''));
      const j = jobs.add(s, { kind: 'plugin.echo', payload: { x: 1 }, schedule: 'in 1h' });
      expect(jobs.list(s)).toMatchObject([{ id: j.id, kind: 'plugin.echo', state: 'queued', attempts: '0/3' }]);
      expect(await jobs.run(s, j.id)).toBe('succeeded');
      expect(jobs.logs(s, j.id).map((l) => l.line)).toEqual(['echo']);
      expect(s.get(j.id)!.lastResult?.value).toEqual({ x: 1 });
      expect(jobs.cancel(s, j.id)).toBe(false);
      const st = status(s, { dataDir: d });
      expect(st).toMatchObject({ jobs: { succeeded: 1 }, nextDue: null, running: [], daemon: { running: false } });
      close();
    } finally {
      unregisterJobKind('plugin.echo');
    }
  });
});
