import { GGUFError } from '../engine/gguf/errors.js';
import { ModelError } from '../engine/model/errors.js';
import { TokenizerError } from '../engine/tokenizer/index.js';

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failure: 1, usage: 2, badModel: 3 } as const;

/** Prints one line (plus a hint) for an error and returns the exit code; stacks only when verbose. */
export function reportError(err: unknown, verbose: boolean): number {
  const message = err instanceof Error ? err.message : String(err);
  const kind = err instanceof Error ? err.name : 'Error';
  process.stderr.write(`localgpt: ${message}\n`);
  const hint = hintFor(err);
  if (hint) process.stderr.write(`hint: ${hint}\n`);
  if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  if (err instanceof GGUFError || err instanceof ModelError || err instanceof TokenizerError) return EXIT.badModel;
  return kind === 'RangeError' ? EXIT.usage : EXIT.failure;
}

function hintFor(err: unknown): string | undefined {
  if (err instanceof GGUFError) return 'the file is not a complete GGUF model; download it again or check the path';
  if (err instanceof ModelError) return 'this model file is not supported yet (see `localgpt info` for what it contains)';
  if (err instanceof TokenizerError) return 'the model\'s tokenizer is not supported yet';
  return undefined;
}
