import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { type Job, type JobState, Scheduler, engineCompletionModel, jobKinds, jobs, parseDuration, describeSchedule } from '../../assistant/scheduler/index.js';
import { dataDir } from '../../assistant/vault/paths.js';
import { vaultExists } from '../../assistant/vault/vault.js';
import { loadModel } from '../../engine/model.js';
import { engineOptions, openMemory, resolveModelPath, type PassphraseFlags } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { positiveInt, printJson, warn } from '../options.js';
import { paint, table } from '../ui.js';

const STATES: readonly JobState[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

function state(value: string): JobState {
  if (!(STATES as readonly string[]).includes(value)) throw new InvalidArgumentError(`choose one of ${STATES.join(', ')}`);
  return value as JobState;
}

function duration(value: string): number {
  try {
    return parseDuration(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

function json(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('must be JSON, e.g. \'{"name": "smollm2-135m-instruct"}\'');
  }
}

/** The scheduler over the unlocked vault; inference jobs load the model only when one runs. */
async function withScheduler<T>(cmd: Command, create: boolean, fn: (s: Scheduler) => Promise<T> | T): Promise<T> {
  const flags = cmd.optsWithGlobals<PassphraseFlags & { model?: string }>();
  const memory = await openMemory(flags, { create });
  let disposeModel: (() => void) | undefined;
  try {
    const s = new Scheduler({
      vault: memory.vault,
      memory,
      dataDir: dataDir(),
      model: async () => {
        const { path } = resolveModelPath(flags.model);
        const m = await loadModel(path, { ...engineOptions({}), onWarning: warn });
        disposeModel = () => m.dispose();
        return engineCompletionModel(m as never);
      },
      onLog: (job, line) => process.stderr.write(paint('dim', `[${job.kind} ${job.id.slice(0, 8)}] ${line}\n`, process.stderr)),
    });
    return await fn(s);
  } finally {
    disposeModel?.();
    memory.close();
  }
}

/** A full id or a unique prefix of one. */
function findJob(s: Scheduler, ref: string): Job {
  const exact = s.get(ref);
  if (exact) return exact;
  const matches = s.list().filter((j) => j.id.startsWith(ref));
  if (matches.length === 1) return matches[0];
  throw new CliError(matches.length === 0 ? `no job ${ref}` : `${ref} matches ${matches.length} jobs; give more of the id`, { hint: 'see `localgpt jobs list`' });
}

export function registerJobs(program: Command): void {
  const group = program
    .command('jobs')
    .description('scheduled and background work: model downloads, diagnostics, reports, heartbeat, prompts')
    .option('--passphrase-file <path>', 'vault passphrase: the first line of this file (or set LOCALGPT_PASSPHRASE)');

  group
    .command('list')
    .description('list jobs (newest first)')
    .option('--state <state>', STATES.join(', '), state)
    .option('--kind <kind>', 'only this kind')
    .option('-l, --limit <n>', 'most jobs', positiveInt)
    .option('--json', 'print a JSON array')
    .action(async (opts: { state?: JobState; kind?: string; limit?: number; json?: boolean }, cmd: Command) => {
      const list = vaultExists() ? await withScheduler(cmd, false, (s) => jobs.list(s, { state: opts.state, kind: opts.kind, limit: opts.limit })) : [];
      if (opts.json) return printJson(list);
      if (list.length === 0) return void process.stdout.write('no jobs\n');
      const rows = [['ID', 'KIND', 'STATE', 'SCHEDULE', 'NEXT RUN', 'TRIES']];
      for (const j of list)
        rows.push([
          j.id,
          j.kind,
          `${j.state}${j.progress !== null && j.state === 'running' ? ` ${(j.progress * 100).toFixed(0)}%` : ''}`,
          j.schedule,
          j.nextRun ?? '-',
          `${j.attempts}${j.lastError ? ` ${paint('red', j.lastError.slice(0, 60))}` : ''}`,
        ]);
      table(rows);
    });

  group
    .command('add')
    .description(`add a job; kinds: ${jobKinds().map((k) => k.name).join(', ')}`)
    .argument('<kind>', 'the job kind')
    .option('-p, --payload <json>', 'the kind\'s input as JSON', json)
    .option('--schedule <when>', 'now, "in 10m", "at 2026-06-01T09:00Z", "every 1h", "cron 0 9 * * 1-5 [Zone/City]"', 'now')
    .option('--max-attempts <n>', 'tries before it fails', positiveInt)
    .option('--timeout <duration>', 'abort a run after this long (30s, 10m, 2h)', duration)
    .option('--json', 'print the job summary')
    .action(async (kind: string, opts: { payload?: unknown; schedule: string; maxAttempts?: number; timeout?: number; json?: boolean }, cmd: Command) => {
      const job = await withScheduler(cmd, true, (s) => {
        try {
          const j = jobs.add(s, { kind, payload: opts.payload, schedule: opts.schedule, maxAttempts: opts.maxAttempts, timeoutMs: opts.timeout });
          return jobs.list(s).find((x) => x.id === j.id) ?? { id: j.id, kind: j.kind, state: j.state, schedule: describeSchedule(j.schedule) };
        } catch (e) {
          throw new CliError((e as Error).message, { exitCode: EXIT.usage, hint: 'see `localgpt jobs add --help`' });
        }
      });
      if (opts.json) return printJson(job);
      process.stdout.write(`added ${job.kind} job ${job.id} (${job.schedule})\n`);
    });

  group
    .command('cancel')
    .description('cancel a job (a running one stops at its next check)')
    .argument('<id>', 'job id or a unique prefix')
    .allowUnknownOption() // ids made before ids avoided a leading '-' may have one
    .option('--json', 'print {"id", "cancelled"}')
    .action(async (ref: string, opts: { json?: boolean }, cmd: Command) => {
      const r = await withScheduler(cmd, false, (s) => {
        const j = findJob(s, ref);
        return { id: j.id, cancelled: jobs.cancel(s, j.id), state: j.state };
      });
      if (opts.json) return printJson({ id: r.id, cancelled: r.cancelled });
      if (!r.cancelled) throw new CliError(`job ${r.id} is ${r.state}; nothing to cancel`);
      process.stdout.write(`cancelled ${r.id}\n`);
    });

  group
    .command('run')
    .description('run a job now, in this process')
    .argument('<id>', 'job id or a unique prefix')
    .allowUnknownOption() // ids made before ids avoided a leading '-' may have one
    .option('-m, --model <name>', 'model for inference jobs (default: the configured one)')
    .option('--json', 'print {"id", "state"}')
    .action(async (ref: string, opts: { json?: boolean }, cmd: Command) => {
      const r = await withScheduler(cmd, false, async (s) => {
        const j = findJob(s, ref);
        const st = await jobs.run(s, j.id);
        return { id: j.id, state: st ?? 'unknown', error: s.get(j.id)?.lastResult?.error };
      });
      if (opts.json) printJson(r);
      else process.stdout.write(`job ${r.id}: ${r.state}${r.error ? ` (${r.error})` : ''}\n`);
      if (r.state !== 'succeeded' && r.state !== 'queued') process.exitCode = EXIT.failure;
    });

  group
    .command('logs')
    .description('a job\'s log lines')
    .argument('<id>', 'job id or a unique prefix')
    .allowUnknownOption() // ids made before ids avoided a leading '-' may have one
    .option('-l, --limit <n>', 'last N lines', positiveInt)
    .option('--json', 'print a JSON array')
    .action(async (ref: string, opts: { limit?: number; json?: boolean }, cmd: Command) => {
      const lines = await withScheduler(cmd, false, (s) => jobs.logs(s, findJob(s, ref).id, opts.limit));
      if (opts.json) return printJson(lines);
      for (const l of lines) process.stdout.write(`${paint('dim', new Date(l.at).toISOString())} ${l.line}\n`);
    });

  for (const sub of group.commands) sub.option('--passphrase-file <path>', 'vault passphrase: the first line of this file (or set LOCALGPT_PASSPHRASE)');
}
