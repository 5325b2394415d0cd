/**
 * The daemon process startDaemon() spawns: `daemon-main.js [--vault PATH] [--model PATH]
 * [--passphrase-file PATH]`. The passphrase comes from the file or LOCALGPT_PASSPHRASE (never
 * a prompt: there is no terminal). Runs the scheduler loop until SIGTERM/SIGINT; its stdout
 * and stderr are the 0600 log file. Log lines carry job ids and kinds, never payloads.
 */
import { join } from 'node:path';
import { Memory } from '../memory/memory.js';
import { dataDir, defaultVaultPath } from '../vault/paths.js';
import { resolvePassphrase } from '../vault/passphrase.js';
import { runLoop } from './daemon.js';
import { registerBuiltinJobKinds } from './index.js';
import { engineCompletionModel, type CompletionModel } from './model.js';
import { Scheduler } from './runner.js';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);

registerBuiltinJobKinds();
const passphrase = await resolvePassphrase({ passphraseFile: opt('passphrase-file'), prompt: false });
const memory = await Memory.open({ path: opt('vault') ?? defaultVaultPath(), passphrase, create: false });
const modelPath = opt('model');
let model: CompletionModel | undefined;
const scheduler = new Scheduler({
  vault: memory.vault,
  memory,
  dataDir: dataDir(),
  // Loaded on the first inference job, then kept: loading costs seconds.
  model: modelPath
    ? async () => {
        if (!model) {
          const { loadModel } = await import('../../engine/model.js');
          model = engineCompletionModel((await loadModel(modelPath)) as never);
        }
        return model;
      }
    : undefined,
  onLog: (job, line) => log(`[${job.kind} ${job.id}] ${line.length > 200 ? `${line.slice(0, 200)}...` : line}`),
});
const ac = new AbortController();
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => ac.abort());
log(`scheduler daemon started (pid ${process.pid}, vault ${join(memory.vault.path)})`);
await runLoop(scheduler, { signal: ac.signal, onError: (e) => log(`error: ${(e as Error).message}`) });
memory.close();
log('scheduler daemon stopped');
