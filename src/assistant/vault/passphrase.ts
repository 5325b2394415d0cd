import { readFileSync } from 'node:fs';
import { VaultError } from './errors.js';

export interface PassphraseSources {
  /** Given directly (library callers, tests). Wins over everything. */
  passphrase?: string;
  /** `--passphrase-file PATH`: the first line of the file. */
  passphraseFile?: string;
  /** Environment to read LOCALGPT_PASSPHRASE from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Ask interactively when nothing else gave one (default: prompt on a TTY). */
  prompt?: false | ((question: string) => Promise<string>);
  question?: string;
}

/**
 * Where a passphrase comes from, in order: explicit value, --passphrase-file,
 * LOCALGPT_PASSPHRASE, then an interactive prompt (no echo). Throws NO_PASSPHRASE when none.
 */
export async function resolvePassphrase(src: PassphraseSources = {}): Promise<string> {
  if (src.passphrase !== undefined && src.passphrase !== '') return src.passphrase;
  if (src.passphraseFile) return readPassphraseFile(src.passphraseFile);
  const env = src.env ?? process.env;
  if (env.LOCALGPT_PASSPHRASE) return env.LOCALGPT_PASSPHRASE;
  if (src.prompt === false) throw new VaultError('NO_PASSPHRASE', 'no passphrase: set LOCALGPT_PASSPHRASE or use --passphrase-file');
  const ask = src.prompt ?? (process.stdin.isTTY ? promptHidden : undefined);
  if (!ask) throw new VaultError('NO_PASSPHRASE', 'no passphrase: set LOCALGPT_PASSPHRASE or use --passphrase-file');
  const got = await ask(src.question ?? 'Vault passphrase: ');
  if (!got) throw new VaultError('NO_PASSPHRASE', 'empty passphrase');
  return got;
}

/** The file's first line, without its line ending (editors add a trailing newline). */
export function readPassphraseFile(path: string): string {
  const text = readFileSync(path, 'utf8');
  const first = text.split(/\r?\n/, 1)[0] ?? '';
  if (!first) throw new VaultError('NO_PASSPHRASE', `passphrase file ${path} is empty`);
  return first;
}

/** Read a line from the terminal without echoing it. */
export function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    const out = process.stderr;
    out.write(question);
    const wasRaw = stdin.isRaw;
    if (stdin.isTTY) stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    let buf = '';
    const done = (err?: Error) => {
      stdin.off('data', onData);
      if (stdin.isTTY) stdin.setRawMode(wasRaw);
      stdin.pause();
      out.write('\n');
      if (err) reject(err);
      else resolve(buf);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new VaultError('NO_PASSPHRASE', 'cancelled'));
        if (ch === '\u007f' || ch === '\b') buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    stdin.on('data', onData);
  });
}
