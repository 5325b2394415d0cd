#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { configPath, readConfigFile } from '../config/index.js';
import { registerChat } from './commands/chat.js';
import { registerConfig } from './commands/config.js';
import { registerBench } from './commands/bench.js';
import { registerDaemon } from './commands/daemon.js';
import { registerDemo } from './commands/demo.js';
import { registerDoctor } from './commands/doctor.js';
import { registerGenerate } from './commands/generate.js';
import { registerInfo } from './commands/info.js';
import { registerJobs } from './commands/jobs.js';
import { registerMemory } from './commands/memory.js';
import { registerModels } from './commands/models.js';
import { registerPull } from './commands/pull.js';
import { registerQuantize } from './commands/quantize.js';
import { registerServe } from './commands/serve.js';
import { registerTokenize } from './commands/tokenize.js';
import { EXIT, reportError } from './errors.js';

const verbose = process.argv.includes('--verbose');
// `localgpt ... | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT.ok);
    throw e;
  });
try {
  pinConfigAndDataDir();
} catch (err) {
  process.exit(reportError(err, verbose));
}

/**
 * The `localgpt` command: one file per subcommand under commands/. Without a subcommand it chats
 * (commands/chat.ts). Options are positional: the program's own (--model, --json, ...) come
 * before a subcommand's name, so each subcommand keeps its own options of the same names.
 */
const program = new Command('localgpt')
  .description('A local-first AI assistant: GGUF models on your own CPU, nothing leaves the machine.')
  .version(packageVersion(), '-V, --version')
  .option('--verbose', 'show stack traces on errors')
  .enablePositionalOptions()
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerChat(program);
registerConfig(program);
registerModels(program);
registerPull(program);
registerMemory(program);
registerJobs(program);
registerDaemon(program);
registerDoctor(program);
registerQuantize(program);

registerInfo(program);
registerTokenize(program);
registerGenerate(program);
registerDemo(program);
registerServe(program);
registerBench(program);
addVerboseEverywhere(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage); // bad usage: 2, as documented
  process.exit(reportError(err, verbose));
}

/** --verbose is accepted after any subcommand too (options are positional). */
function addVerboseEverywhere(cmd: Command): void {
  for (const sub of cmd.commands) {
    if (!sub.options.some((o) => o.long === '--verbose')) sub.option('--verbose', 'show stack traces on errors');
    addVerboseEverywhere(sub);
  }
}

/**
 * The settings file is read from the data directory the environment names; a `dataDir` setting
 * then moves everything else (models, vault, scheduler files) for this run and its children.
 * LOCALGPT_HOME set by the user wins over the setting.
 */
function pinConfigAndDataDir(): void {
  process.env.LOCALGPT_CONFIG ||= configPath();
  if (process.env.LOCALGPT_HOME) return;
  const { config } = readConfigFile(process.env.LOCALGPT_CONFIG);
  if (config.dataDir) process.env.LOCALGPT_HOME = config.dataDir;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
