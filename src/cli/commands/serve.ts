import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { basename } from 'node:path';
import type { BackendChoice } from '../../engine/backend/select.js';
import { loadModel } from '../../engine/model.js';
import { startProxyServer } from '../../provider/proxy.js';
import { RemoteModel } from '../../provider/remote.js';
import { startServer } from '../../server/server.js';
import { resolveProvider } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { backendChoice, nonNegativeInt, positiveInt, warn } from '../options.js';

interface ServeFlags {
  model?: string;
  provider?: string;
  providerKey?: string;
  providerModel?: string;
  host: string;
  port: number;
  apiKey?: string;
  cors?: string[];
  backend: BackendChoice;
  context?: number;
  threads?: number;
  name?: string;
  bodyLimit: number;
}

function port(value: string): number {
  const n = nonNegativeInt(value);
  if (n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

/** `localgpt serve`: the OpenAI-compatible API and the web chat page for one model. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve a model over an OpenAI-compatible HTTP API, with a web chat page at /')
    .option('-m, --model <path>', 'path to a .gguf file')
    .option('--provider <url>', 'serve a remote OpenAI-compatible engine instead (a memory-less proxy; default: the `provider` setting when no --model)')
    .option('--provider-key <key>', 'bearer token for --provider (default: $LOCALGPT_PROVIDER_KEY)')
    .option('--provider-model <id>', 'model id at the provider (default: the first it lists)')
    .option('--host <address>', 'address to listen on (127.0.0.1: this machine only)', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free port)', port, 8080)
    .option('--api-key <key>', 'require "Authorization: Bearer <key>" (default: $LOCALGPT_API_KEY, else none)')
    .option('--cors <origin>', 'allow browser calls from this origin (repeatable, or comma-separated; * for any)', collect)
    .option('--name <id>', 'model id clients name in requests (default: the file name without .gguf)')
    .option('--backend <name>', 'auto, cpu, reference or webgpu', backendChoice, 'auto')
    .option('-c, --context <n>', 'context length in tokens', positiveInt)
    .option('--threads <n>', 'CPU threads', positiveInt)
    .option('--body-limit <bytes>', 'largest request body', positiveInt, 1024 * 1024)
    .action(async (opts: ServeFlags) => {
      const apiKey = opts.apiKey ?? (process.env.LOCALGPT_API_KEY || undefined);
      const loopback = opts.host === '127.0.0.1' || opts.host === 'localhost' || opts.host === '::1';
      if (!loopback && apiKey === undefined) warn(`listening on ${opts.host} without --api-key: anyone who can reach this port can use the model`);
      const provider = opts.model ? undefined : resolveProvider(opts);
      if (provider) {
        const remote = await RemoteModel.connect(provider);
        const proxy = await startProxyServer({
          remote,
          ...(opts.name ? { modelId: opts.name } : {}),
          host: opts.host,
          port: opts.port,
          ...(apiKey !== undefined ? { apiKey } : {}),
          ...(opts.cors ? { cors: opts.cors } : {}),
          bodyLimit: opts.bodyLimit,
        });
        process.stderr.write(`serving ${opts.name ?? remote.modelId} from ${remote.baseUrl} (remote)\n`);
        process.stderr.write(`  API        ${proxy.url}/v1  (OpenAI-compatible${apiKey !== undefined ? ', bearer token required' : ''})\n`);
        process.stderr.write('press Ctrl+C to stop\n');
        await untilSignal();
        process.stderr.write('stopping...\n');
        await proxy.close();
        return;
      }
      if (!opts.model) throw new CliError('serve needs a model: --model PATH (a .gguf file) or --provider URL', { exitCode: EXIT.usage });
      const model = await loadModel(opts.model, { backend: opts.backend, threads: opts.threads, contextLength: opts.context, onWarning: warn });
      const modelId = opts.name ?? basename(opts.model).replace(/\.gguf$/i, '');
      const server = await startServer({
        model,
        modelId,
        host: opts.host,
        port: opts.port,
        ...(apiKey !== undefined ? { apiKey } : {}),
        ...(opts.cors ? { cors: opts.cors } : {}),
        bodyLimit: opts.bodyLimit,
      });
      process.stderr.write(`serving ${modelId} (${model.backend.describe()})\n`);
      process.stderr.write(`  chat page  ${server.url}/\n`);
      process.stderr.write(`  API        ${server.url}/v1  (OpenAI-compatible${apiKey !== undefined ? ', bearer token required' : ''})\n`);
      process.stderr.write('press Ctrl+C to stop\n');
      await untilSignal();
      process.stderr.write('stopping...\n');
      await server.close();
      model.dispose();
    });
}

function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
