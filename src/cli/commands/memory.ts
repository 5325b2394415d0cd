import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import {
  type ListWhat,
  type Memory,
  memoryAdd,
  memoryExport,
  memoryForget,
  memoryImport,
  memoryList,
  memoryPasswd,
  memorySearch,
  memoryStats,
  memoryVerify,
} from '../../assistant/memory/index.js';
import { promptHidden, readPassphraseFile, resolvePassphrase } from '../../assistant/vault/passphrase.js';
import { defaultVaultPath } from '../../assistant/vault/paths.js';
import { loadModel } from '../../engine/model.js';
import { engineOptions, kdfPreset, openMemory, type PassphraseFlags, resolveModelPath } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { positiveInt, printJson, warn } from '../options.js';
import { formatBytes, paint, table } from '../ui.js';

const KINDS = ['fact', 'note', 'log'] as const;
const LISTS: readonly ListWhat[] = ['memories', 'facts', 'notes', 'sessions', 'logs', 'files', 'preferences'];

function kind(value: string): (typeof KINDS)[number] {
  if (!(KINDS as readonly string[]).includes(value)) throw new InvalidArgumentError(`choose one of ${KINDS.join(', ')}`);
  return value as (typeof KINDS)[number];
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

type Flags = PassphraseFlags & { json?: boolean };

/** Open the memory (creating it only for commands that add), run, close. */
async function withMemory<T>(cmd: Command, create: boolean, fn: (m: Memory) => Promise<T> | T): Promise<T> {
  const memory = await openMemory(cmd.optsWithGlobals<Flags>(), { create });
  try {
    return await fn(memory);
  } finally {
    memory.close();
  }
}

function oneLine(text: string, max = 100): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 3)}...` : t;
}

/**
 * `localgpt memory ...`: the encrypted memory. The passphrase comes from --passphrase-file,
 * LOCALGPT_PASSPHRASE, or a prompt on a terminal.
 */
export function registerMemory(program: Command): void {
  const memory = program
    .command('memory')
    .description('the encrypted memory: facts, notes, conversations, logs, workspace files')
    .option('--passphrase-file <path>', 'vault passphrase: the first line of this file (or set LOCALGPT_PASSPHRASE)');

  memory
    .command('add')
    .description('remember a fact (or a note, or a line in today\'s log)')
    .argument('<text...>', 'what to remember')
    .option('-k, --kind <kind>', 'fact, note or log', kind, 'fact')
    .option('--tag <tags>', 'tags (repeatable or comma-separated)', collect)
    .option('--json', 'print the entry')
    .action(async (words: string[], opts: { kind: (typeof KINDS)[number]; tag?: string[]; json?: boolean }, cmd: Command) => {
      const text = words.join(' ').trim();
      if (!text) throw new CliError('nothing to remember', { exitCode: EXIT.usage });
      const entry = await withMemory(cmd, true, (m) => memoryAdd(m, text, { kind: opts.kind, tags: opts.tag }));
      if (opts.json) return printJson(entry);
      process.stdout.write(`remembered ${entry.kind} ${entry.ref}\n`);
    });

  memory
    .command('search')
    .description('search facts, notes, conversations, logs and MEMORY.md (keyword ranking; --semantic adds embeddings)')
    .argument('<query...>')
    .option('-l, --limit <n>', 'most results', positiveInt, 10)
    .option('--kind <kinds>', 'only these kinds: fact, note, message, log, memory-file', collect)
    .option('--semantic', 'rank by meaning too: embeddings from the local model, fused with the keyword ranking')
    .option('-m, --model <name>', 'with --semantic: the model that embeds (default: the configured one)')
    .option('--json', 'print a JSON array')
    .action(async (words: string[], opts: { limit: number; kind?: string[]; semantic?: boolean; model?: string; json?: boolean }, cmd: Command) => {
      const embedder = opts.semantic ? await loadEmbedder(opts.model) : undefined;
      const hits = await withMemory(cmd, false, (m) =>
        memorySearch(m, words.join(' '), {
          limit: opts.limit,
          kinds: opts.kind,
          ...(embedder ? { mode: 'hybrid' as const, embed: embedder.embed, embedModel: embedder.id } : {}),
        }),
      ).finally(() => embedder?.dispose());
      if (opts.json) return printJson(hits);
      if (hits.length === 0) return void process.stdout.write('nothing found\n');
      for (const h of hits) {
        const ref = typeof h.meta.id === 'string' ? String(h.meta.id) : h.key;
        process.stdout.write(`${paint('dim', h.score.toFixed(2))} ${paint('cyan', `[${h.kind}]`)} ${oneLine(h.text)} ${paint('dim', ref)}\n`);
      }
    });

  memory
    .command('list')
    .description(`list what is stored: ${LISTS.join(', ')}`)
    .argument('[what]', 'what to list', 'memories')
    .option('--json', 'print a JSON array')
    .action(async (what: string, opts: { json?: boolean }, cmd: Command) => {
      if (!(LISTS as readonly string[]).includes(what)) throw new CliError(`cannot list "${what}"`, { exitCode: EXIT.usage, hint: `choose one of ${LISTS.join(', ')}` });
      const entries = await withMemory(cmd, false, (m) => memoryList(m, what as ListWhat));
      if (opts.json) return printJson(entries);
      if (entries.length === 0) return void process.stdout.write(`no ${what}\n`);
      table(entries.map((e) => [e.ref, e.kind, (e.at ?? '').slice(0, 16).replace('T', ' '), oneLine(e.text, 80)]));
    });

  memory
    .command('forget')
    .description('delete one entry: a memory id, session:ID, log:YYYY-MM-DD, file:PATH or pref:NAME')
    .argument('<ref>', 'as `memory list` shows it')
    .option('--json', 'print {"ref", "forgotten"}')
    .allowUnknownOption() // ids made before ids avoided a leading '-' may have one
    .action(async (ref: string, opts: { json?: boolean }, cmd: Command) => {
      const forgotten = await withMemory(cmd, false, (m) => memoryForget(m, ref));
      if (opts.json) return printJson({ ref, forgotten });
      if (!forgotten) throw new CliError(`nothing to forget at ${ref}`, { hint: 'see `localgpt memory list` for references' });
      process.stdout.write(`forgot ${ref}\n`);
    });

  memory
    .command('import')
    .description('import an OpenClaw workspace (SOUL.md, MEMORY.md, USER.md, memory/*.md, skills/)')
    .argument('[dir]', 'the workspace (or --openclaw DIR)')
    .option('--openclaw <dir>', 'the OpenClaw workspace')
    .option('--json', 'print the import report')
    .action(async (arg: string | undefined, opts: { openclaw?: string; json?: boolean }, cmd: Command) => {
      const dir = workspaceDir(arg, opts.openclaw);
      const report = await withMemory(cmd, true, (m) => memoryImport(m, resolve(dir)));
      if (opts.json) return printJson(report);
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    });

  memory
    .command('export')
    .description('write the memory out as an OpenClaw workspace (plain text: keep it private)')
    .argument('[dir]', 'the workspace (or --openclaw DIR)')
    .option('--openclaw <dir>', 'the OpenClaw workspace')
    .option('--json', 'print the export report')
    .action(async (arg: string | undefined, opts: { openclaw?: string; json?: boolean }, cmd: Command) => {
      const dir = workspaceDir(arg, opts.openclaw);
      const report = await withMemory(cmd, false, (m) => memoryExport(m, resolve(dir)));
      if (opts.json) return printJson(report);
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      process.stderr.write(paint('yellow', `note: ${dir} holds your memory unencrypted\n`, process.stderr));
    });

  memory
    .command('stats')
    .description('counts, size, schema versions, damaged records')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const st = await withMemory(cmd, false, (m) => memoryStats(m));
      if (opts.json) return printJson(st);
      const rows = [
        ['vault', `${st.path} (${formatBytes(st.fileBytes)}, kdf ${st.kdf})`],
        ['facts', String(st.facts)],
        ['notes', String(st.notes)],
        ['sessions', `${st.sessions} (${st.messages} messages)`],
        ['daily logs', String(st.dailyLogs)],
        ['files', String(st.workspaceFiles)],
        ['checkpoints', `${st.checkpoints} (${formatBytes(st.checkpointBytes)})`],
        ['damaged', st.corrupt.length ? paint('red', st.corrupt.map((c) => `${c.table}/${c.id}`).join(', ')) : 'none'],
      ];
      table(rows);
    });

  memory
    .command('verify')
    .description('check for records replayed, removed or added outside LocalGPT (the vault ledger)')
    .option('--accept', 'after looking: take the vault as it is now as the new baseline')
    .option('--json', 'print JSON')
    .action(async (opts: { accept?: boolean; json?: boolean }, cmd: Command) => {
      const report = await withMemory(cmd, false, (m) => memoryVerify(m, { accept: opts.accept }));
      if (opts.json) return printJson(report);
      if (report.problems.length === 0) {
        process.stdout.write('ok: every tracked record matches the vault ledger\n');
        return;
      }
      table(report.problems.map((p) => [p.table, paint('red', p.reason)]));
      if (report.accepted) process.stdout.write('accepted: the vault as it is now is the new baseline\n');
      else throw new CliError('the vault does not match its ledger', { exitCode: EXIT.vault, hint: 'look at the records above, then `localgpt memory verify --accept`' });
    });

  memory
    .command('passwd')
    .description('change the vault passphrase (records are not re-encrypted: the data key is rewrapped)')
    .option('--new-passphrase-file <path>', 'the new passphrase: first line of this file (or LOCALGPT_NEW_PASSPHRASE, or a prompt)')
    .option('--json', 'print {"changed": true}')
    .action(async (opts: { newPassphraseFile?: string; json?: boolean }, cmd: Command) => {
      const flags = cmd.optsWithGlobals<Flags>();
      const oldPassphrase = await resolvePassphrase({ passphraseFile: flags.passphraseFile, question: 'Current passphrase: ' });
      let newPassphrase: string;
      if (opts.newPassphraseFile) newPassphrase = readPassphraseFile(opts.newPassphraseFile);
      else if (process.env.LOCALGPT_NEW_PASSPHRASE) newPassphrase = process.env.LOCALGPT_NEW_PASSPHRASE;
      else if (process.stdin.isTTY) {
        newPassphrase = await promptHidden('New passphrase: ');
        if ((await promptHidden('Repeat the new passphrase: ')) !== newPassphrase) throw new CliError('the new passphrases did not match; nothing was changed', { exitCode: EXIT.vault });
      } else
        throw new CliError('no new passphrase', { exitCode: EXIT.usage, hint: 'use --new-passphrase-file PATH or LOCALGPT_NEW_PASSPHRASE' });
      if (!newPassphrase) throw new CliError('the new passphrase is empty', { exitCode: EXIT.usage });
      await memoryPasswd({ path: defaultVaultPath(), oldPassphrase, newPassphrase, kdf: kdfPreset() });
      if (opts.json) return printJson({ changed: true });
      process.stdout.write('passphrase changed\n');
    });

  // Options are positional: accept the passphrase file after the subcommand's name too.
  for (const sub of memory.commands) sub.option('--passphrase-file <path>', 'vault passphrase: the first line of this file (or set LOCALGPT_PASSPHRASE)');
}

/** The local model as the memory's embedding function (vectors are cached in the vault per model). */
async function loadEmbedder(name: string | undefined): Promise<{ id: string; embed(texts: string[]): Promise<Float32Array[]>; dispose(): void }> {
  const { path } = resolveModelPath(name);
  const model = await loadModel(path, { ...engineOptions({}), onWarning: warn });
  return {
    id: model.fingerprint,
    embed: async (texts) => {
      const out: Float32Array[] = [];
      for (const t of texts) {
        // Longer texts are embedded by their first context-full of tokens.
        const ids = model.tokenize(t).slice(0, model.info.contextLength);
        out.push(await model.embed(ids.length > 0 ? ids : model.tokenize(' ')));
      }
      return out;
    },
    dispose: () => model.dispose(),
  };
}

/** `memory import DIR` and `memory import --openclaw DIR` both name the workspace. */
function workspaceDir(arg: string | undefined, openclaw: string | undefined): string {
  const dir = openclaw ?? arg;
  if (!dir) throw new CliError('which workspace?', { exitCode: EXIT.usage, hint: 'localgpt memory import --openclaw ~/.openclaw/workspace' });
  return dir;
}
