#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { registerDemo } from './commands/demo.js';
import { registerGenerate } from './commands/generate.js';
import { registerInfo } from './commands/info.js';
import { registerServe } from './commands/serve.js';
import { registerTokenize } from './commands/tokenize.js';
import { reportError } from './errors.js';

/** The `localgpt` command: one file per subcommand under commands/. */
const program = new Command('localgpt')
  .description('A local-first AI assistant: GGUF models on your own CPU, nothing leaves the machine.')
  .version(packageVersion(), '-V, --version')
  .option('--verbose', 'show stack traces on errors')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerInfo(program);
registerTokenize(program);
registerGenerate(program);
registerDemo(program);
registerServe(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  process.exit(reportError(err, program.opts<{ verbose?: boolean }>().verbose === true));
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
