import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { openScheduler, status as schedulerStatus, daemonStatus, type StatusReport } from '../../assistant/scheduler/index.js';
import { resolvePassphrase } from '../../assistant/vault/passphrase.js';
import { dataDir, defaultVaultPath } from '../../assistant/vault/paths.js';
import { vaultExists } from '../../assistant/vault/vault.js';
import { cpuAvailable, cpuUnavailableReason } from '../../engine/backend/cpu/index.js';
import { engineOptions, resolveModelPath } from '../context.js';
import { printJson } from '../options.js';
import { formatBytes, paint } from '../ui.js';
import { describeModelFile } from './models.js';

interface StatusJson {
  dataDir: string;
  model: { path: string; source: string; bytes: number; architecture?: string; quant?: string; parameters?: number } | { error: string; hint?: string };
  backend: { configured: string; uses: string; native: boolean; reason?: string };
  vault: { path: string; exists: boolean; bytes?: number; unlocked: boolean; error?: string };
  jobs: StatusReport['jobs'] | null;
  nextDue: string | null;
  running: StatusReport['running'];
  daemon: ReturnType<typeof daemonStatus>;
}

/**
 * `localgpt --status`. Never prompts: jobs are shown when the vault opens with LOCALGPT_PASSPHRASE
 * or --passphrase-file, and reported as locked otherwise.
 */
export async function showStatus(opts: { json?: boolean; passphraseFile?: string }): Promise<void> {
  const dir = dataDir();
  let model: StatusJson['model'];
  try {
    const { path, source } = resolveModelPath();
    model = { path, source, bytes: statSync(path).size, ...describeModelFile(path) };
  } catch (e) {
    model = { error: (e as Error).message, hint: (e as { hint?: string }).hint };
  }
  const configured = engineOptions({}).backend;
  const native = cpuAvailable();
  const backend: StatusJson['backend'] = {
    configured,
    uses: configured === 'auto' ? (native ? 'cpu' : 'reference') : configured,
    native,
    ...(native ? {} : { reason: cpuUnavailableReason() }),
  };
  const vpath = defaultVaultPath();
  const vault: StatusJson['vault'] = { path: vpath, exists: vaultExists(vpath), unlocked: false };
  if (vault.exists) vault.bytes = statSync(vpath).size;
  let report: StatusReport | undefined;
  if (vault.exists && (opts.passphraseFile || process.env.LOCALGPT_PASSPHRASE)) {
    try {
      const passphrase = await resolvePassphrase({ passphraseFile: opts.passphraseFile, prompt: false });
      const s = await openScheduler({ path: vpath, passphrase, create: false });
      try {
        report = schedulerStatus(s.scheduler, { dataDir: dir });
        vault.unlocked = true;
      } finally {
        s.close();
      }
    } catch (e) {
      vault.error = (e as Error).message;
    }
  }
  const out: StatusJson = {
    dataDir: dir,
    model,
    backend,
    vault,
    jobs: report?.jobs ?? null,
    nextDue: report?.nextDue ?? null,
    running: report?.running ?? [],
    daemon: report?.daemon ?? daemonStatus(dir),
  };
  if (opts.json) return printJson(out);

  const w = (k: string, v: string) => process.stdout.write(`${k.padEnd(9)}${v}\n`);
  w('data', dir);
  if ('error' in model) w('model', paint('yellow', `${model.error}${model.hint ? ` (${model.hint})` : ''}`));
  else
    w('model', `${basename(model.path)}  ${model.architecture ?? '?'} ${model.quant ?? '?'}, ${formatBytes(model.bytes)}${model.parameters ? `, ${(model.parameters / 1e6).toFixed(1)}M parameters` : ''}  ${paint('dim', `(${model.source})`)}`);
  w('backend', `${backend.uses}${configured === 'auto' ? ' (auto)' : ''}${native ? '' : paint('dim', ` - native addon unavailable: ${backend.reason}`)}`);
  if (!vault.exists) w('vault', paint('dim', `none yet (${vpath})`));
  else w('vault', `${vpath}, ${formatBytes(vault.bytes ?? 0)}${vault.unlocked ? '' : vault.error ? paint('yellow', ` - ${vault.error}`) : paint('dim', ' - locked')}`);
  if (report) {
    const counts = Object.entries(report.jobs).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`);
    w('jobs', `${counts.length ? counts.join(', ') : 'none'}${report.nextDue ? `; next due ${report.nextDue}` : ''}`);
    for (const r of report.running) w('', `running ${r.kind} ${r.id}${r.progress !== null ? ` ${(r.progress * 100).toFixed(0)}%` : ''}`);
  } else w('jobs', paint('dim', vault.exists ? 'vault locked (set LOCALGPT_PASSPHRASE or --passphrase-file to see them)' : 'none'));
  const d = out.daemon;
  w('daemon', d.running ? `running (pid ${d.pid}), log ${d.logFile}` : paint('dim', `not running${existsSync(d.logFile) ? `; log ${d.logFile}` : ''} (localgpt daemon start)`));
}
