import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { daemonStatus, startDaemon, stopDaemon } from '../../assistant/scheduler/index.js';
import { resolvePassphrase } from '../../assistant/vault/passphrase.js';
import { dataDir, defaultVaultPath } from '../../assistant/vault/paths.js';
import { openMemory, resolveModelPath } from '../context.js';
import { CliError } from '../errors.js';
import { printJson, warn } from '../options.js';

/** The daemon's entry beside this file: dist/.../daemon-main.js when built, the .ts source under tsx. */
export function daemonEntry(): { entry: string; execArgv: string[] } {
  const js = fileURLToPath(new URL('../../assistant/scheduler/daemon-main.js', import.meta.url));
  if (existsSync(js)) return { entry: js, execArgv: [] };
  const ts = fileURLToPath(new URL('../../assistant/scheduler/daemon-main.ts', import.meta.url));
  if (existsSync(ts)) return { entry: ts, execArgv: ['--import', 'tsx'] };
  throw new CliError('the scheduler daemon entry (daemon-main.js) is missing from this install', { hint: 'reinstall localgpt, or run `npm run build` in a checkout' });
}

export function registerDaemon(program: Command): void {
  const group = program.command('daemon').description('the background scheduler: runs due jobs while no chat is open');

  group
    .command('start')
    .description('start it (the passphrase is checked first)')
    .option('-m, --model <name>', 'model for inference jobs (default: the configured one)')
    .option('--passphrase-file <path>', 'vault passphrase: the first line of this file (or set LOCALGPT_PASSPHRASE)')
    .option('--json', 'print the daemon status')
    .action(async (opts: { model?: string; passphraseFile?: string; json?: boolean }) => {
      const dir = dataDir();
      const before = daemonStatus(dir);
      if (before.running) {
        if (opts.json) return printJson(before);
        return void process.stdout.write(`already running (pid ${before.pid})\n`);
      }
      // Unlock once here so a wrong passphrase is an error now, not a line in the log.
      const passphrase = await resolvePassphrase({ passphraseFile: opts.passphraseFile });
      const memory = await openMemory({ passphraseFile: opts.passphraseFile }, { create: true });
      memory.close();
      const args = ['--vault', defaultVaultPath()];
      try {
        args.push('--model', resolveModelPath(opts.model).path);
      } catch (e) {
        warn(`${(e as Error).message}: inference jobs will fail until a model is configured`);
      }
      const env = { ...process.env };
      if (opts.passphraseFile) args.push('--passphrase-file', opts.passphraseFile);
      else env.LOCALGPT_PASSPHRASE = passphrase;
      const { entry, execArgv } = daemonEntry();
      const st = startDaemon({ dataDir: dir, entry, execArgv, args, env });
      await new Promise((r) => setTimeout(r, 700));
      const now = daemonStatus(dir);
      if (!now.running) throw new CliError('the daemon exited as it started', { hint: `see ${st.logFile}` });
      if (opts.json) return printJson(now);
      process.stdout.write(`started (pid ${now.pid}); log ${now.logFile}\n`);
    });

  group
    .command('stop')
    .description('stop it (running jobs are picked up again later)')
    .option('--json', 'print {"stopped"}')
    .action(async (opts: { json?: boolean }) => {
      const stopped = await stopDaemon(dataDir());
      if (opts.json) return printJson({ stopped });
      process.stdout.write(stopped ? 'stopped\n' : 'not running\n');
    });

  group
    .command('status')
    .description('whether it runs, its pid and log file')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const st = daemonStatus(dataDir());
      if (opts.json) return printJson(st);
      process.stdout.write(st.running ? `running (pid ${st.pid}); log ${st.logFile}\n` : `not running; start it with \`localgpt daemon start\`\n`);
    });
}
