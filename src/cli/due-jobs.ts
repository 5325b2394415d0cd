import { daemonStatus, engineCompletionModel, Scheduler } from '../assistant/scheduler/index.js';
import type { Memory } from '../assistant/memory/index.js';
import { dataDir } from '../assistant/vault/paths.js';
import { warn } from './options.js';

/**
 * Without a daemon, jobs that fell due while LocalGPT was closed (heartbeats, scheduled prompts,
 * reports, downloads) run when the chat starts, in the background; inference jobs share the
 * loaded model, whose calls are served one at a time. With a daemon running, it runs them.
 */
export function runDueJobsInBackground(memory: Memory, model: Parameters<typeof engineCompletionModel>[0]): { finish(graceMs?: number): Promise<void> } {
  const dir = dataDir();
  if (daemonStatus(dir).running) return { finish: async () => {} };
  const scheduler = new Scheduler({ vault: memory.vault, memory, model: engineCompletionModel(model), dataDir: dir });
  const done = scheduler.runDueJobs().then(
    ({ ran }) => {
      if (ran.length > 0) warn(`ran ${ran.length} scheduled job${ran.length === 1 ? '' : 's'} that fell due (see \`localgpt jobs list\`)`);
    },
    (err: unknown) => warn(`scheduled jobs could not run: ${err instanceof Error ? err.message : String(err)}`),
  );
  return {
    // On quit, jobs get a grace period, then are aborted: their retry state brings them back on
    // the next start.
    async finish(graceMs = 10_000) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((r) => (timer = setTimeout(r, graceMs)));
      await Promise.race([done, grace]);
      clearTimeout(timer);
      scheduler.abortAll();
      await done;
    },
  };
}
