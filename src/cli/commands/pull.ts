import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import { download, resolveModelName, MODEL_ALIASES } from '../../assistant/scheduler/index.js';
import { CliError, EXIT } from '../errors.js';
import { printJson } from '../options.js';
import { formatBytes, paint, progress } from '../ui.js';

function sha256Hex(value: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(value)) throw new InvalidArgumentError('must be 64 hex digits');
  return value.toLowerCase();
}

interface PullFlags {
  sha256?: string;
  out?: string;
  verify: boolean;
  json?: boolean;
}

/**
 * `localgpt pull NAME|URL` (also `download`): an alias, hf:owner/repo/file.gguf or an http(s)
 * URL, into <data dir>/models. Resumes an interrupted download; exits 0 only with a complete
 * file whose SHA-256 was checked (--sha256, or the server's checksum), unless --no-verify.
 */
export function registerPull(program: Command): void {
  program
    .command('pull')
    .alias('download')
    .description('download a model (resumable, checksummed) into the models directory')
    .argument('<name>', `an alias (${Object.keys(MODEL_ALIASES).join(', ')}), hf:owner/repo/file.gguf, or a URL`)
    .option('--sha256 <hex>', 'expected SHA-256 of the file', sha256Hex)
    .option('-o, --out <path>', 'save here instead of <data dir>/models/<file name>')
    .option('--no-verify', 'accept a file when no checksum is known (none given, none from the server)')
    .option('--json', 'print {"path", "sha256", "bytes", "resumedFrom", "verified"}')
    .action(async (name: string, flags: PullFlags) => {
      let resolved: ReturnType<typeof resolveModelName>;
      try {
        resolved = resolveModelName(name);
      } catch (e) {
        throw new CliError((e as Error).message, { exitCode: EXIT.usage, hint: 'e.g. `localgpt pull qwen2.5-0.5b-instruct`' });
      }
      const out = flags.out ? resolve(flags.out) : undefined;
      const abort = new AbortController();
      const onSigint = () => abort.abort();
      process.on('SIGINT', onSigint);
      const label = resolved.fileName.length > 28 ? `${resolved.fileName.slice(0, 25)}...` : resolved.fileName;
      const bar = progress(label, { bytes: true, quiet: flags.json });
      if (!flags.json) process.stderr.write(`downloading ${resolved.url}\n`);
      try {
        const r = await download(name, {
          sha256: flags.sha256,
          out,
          signal: abort.signal,
          onProgress: (p) => bar.update(p.received, p.total),
          log: (line) => {
            if (!flags.json) process.stderr.write(`${line}\n`);
          },
        });
        bar.finish();
        if (!r.verified && flags.verify)
          throw new CliError(`downloaded ${r.path} but could not verify it: no checksum was given or sent by the server (sha256 ${r.sha256})`, {
            exitCode: EXIT.checksum,
            hint: 'run again with --sha256 HEX to check it (it is not downloaded again), or --no-verify to accept it',
          });
        if (flags.json) return printJson(r);
        process.stdout.write(`saved ${r.path} (${formatBytes(r.bytes)})\n`);
        process.stdout.write(paint('dim', `sha256 ${r.sha256} ${r.verified ? 'verified' : 'NOT verified (--no-verify)'}${r.resumedFrom > 0 ? `, resumed from ${formatBytes(r.resumedFrom)}` : ''}\n`));
      } catch (e) {
        bar.finish();
        if (abort.signal.aborted)
          throw new CliError('download interrupted; the part already downloaded is kept', { exitCode: EXIT.interrupted, hint: `run \`localgpt pull ${name}\` again to resume` });
        if (e instanceof CliError || (e as Error).name === 'ChecksumError') throw e;
        throw new CliError(`download failed: ${(e as Error).message}`, { hint: 'check the name or URL and the connection; running the same command again resumes' });
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
