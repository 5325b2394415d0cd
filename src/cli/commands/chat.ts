/**
 * `localgpt` itself: no arguments opens a chat; `localgpt "prompt"` answers once; standard input
 * is read for `-`, `--summarise`, or alongside a prompt when it is a pipe or a file.
 */
import { type Command, Option } from 'commander';
import { fstatSync } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import type { Memory } from '../../assistant/memory/memory.js';
import { DEFAULT_BASE, systemPromptFromMemory } from '../../assistant/memory/prompt.js';
import { recall } from '../../assistant/memory/recall.js';
import { restoreCheckpoint, saveCheckpoint } from '../checkpoint.js';
import type { Session } from '../../assistant/memory/conversations.js';
import { isVaultError } from '../../assistant/vault/errors.js';
import { vaultExists } from '../../assistant/vault/vault.js';
import { samplingFromConfig } from '../../config/index.js';
import type { BackendChoice } from '../../engine/backend/select.js';
import type { ChatMessage } from '../../engine/chat.js';
import { type Model, loadModel } from '../../engine/model.js';
import { localEngine, type ChatEngine, type ChatResult } from '../../provider/engine.js';
import { RemoteModel } from '../../provider/remote.js';
import { engineOptions, openMemory, type ProviderFlags, resolveModelPath, resolveProvider, settings } from '../context.js';
import { runDueJobsInBackground } from '../due-jobs.js';
import { CliError, EXIT } from '../errors.js';
import { backendChoice, finiteNumber, nonNegativeInt, positiveInt, printJson, warn } from '../options.js';
import { paint, progress } from '../ui.js';
import { showConfig } from './config.js';
import { showStatus } from './status.js';

export interface ChatFlags extends ProviderFlags {
  model?: string;
  backend?: BackendChoice;
  threads?: number;
  context?: number;
  maxTokens?: number;
  temperature?: number;
  seed?: number;
  system?: string;
  summarise?: boolean;
  memory: boolean;
  passphraseFile?: string;
  json?: boolean;
  status?: boolean;
  config?: boolean;
  session?: string;
}

const SUMMARY_SYSTEM =
  'You condense text. Write a short, faithful summary of the text the user gives: the main points and any decisions or action items, as a few sentences or bullet points. Reply with the summary only.';

export function registerChat(program: Command): void {
  program
    .argument('[prompt...]', 'answer this once and exit ("-" reads the prompt from standard input); without one: chat')
    .option('-m, --model <name>', 'a .gguf path or a name from `localgpt models` (default: the configured model)')
    .option('--backend <name>', 'auto, cpu, reference or webgpu', backendChoice)
    .option('--threads <n>', 'CPU threads', positiveInt)
    .option('-c, --context <n>', 'context length in tokens', positiveInt)
    .option('--provider <url>', 'generate on this OpenAI-compatible server (vLLM, llama-server, Ollama, LocalGPT) instead of a local model')
    .option('--provider-key <key>', 'bearer token for --provider (default: $LOCALGPT_PROVIDER_KEY)')
    .option('--provider-model <id>', 'model id at the provider (default: the first it lists)')
    .option('-n, --max-tokens <n>', 'most tokens per answer', positiveInt)
    .option('-t, --temperature <t>', 'sampling temperature (0: greedy)', finiteNumber)
    .option('-s, --seed <n>', 'sampling seed', nonNegativeInt)
    .option('--system <text>', 'system prompt (instead of the one built from memory)')
    .option('--summarise', 'condense the input (standard input, or the prompt text)')
    .addOption(new Option('--summarize').hideHelp())
    .option('--no-memory', 'do not read or write the memory vault')
    .option('--session <id>', 'chat: resume this conversation (an id prefix is enough), with its KV checkpoint when there is one')
    .option('--passphrase-file <path>', 'vault passphrase: the first line of this file (or set LOCALGPT_PASSPHRASE)')
    .option('--json', 'one-shot: print one JSON object; with --status/--config: JSON')
    .option('--status', 'show the model, backend, vault, jobs and daemon')
    .option('--config', 'show the settings (change them with `localgpt config set KEY VALUE`)')
    .action(async (words: string[], flags: ChatFlags & { summarize?: boolean }) => {
      if (flags.summarize) flags.summarise = true;
      if (flags.status) return showStatus({ json: flags.json, passphraseFile: flags.passphraseFile });
      if (flags.config) return showConfig({ json: flags.json });
      let prompt = words.join(' ').trim();
      if (prompt === 'chat' && !stdinIsData()) return chat(flags); // `localgpt chat [--session ID]`
      const dash = prompt === '-';
      if (dash) prompt = '';
      let input: string | undefined;
      if (dash || (flags.summarise && !prompt)) input = await readStdin();
      else if (prompt && stdinIsData()) input = await readStdin();
      if (dash && !input?.trim()) throw new CliError('standard input was empty', { exitCode: EXIT.usage, hint: 'pipe text in: `cat notes.txt | localgpt -`' });
      if (flags.summarise && !prompt && !input?.trim())
        throw new CliError('nothing to summarise: standard input was empty', { exitCode: EXIT.usage, hint: 'pipe text in: `cat notes.txt | localgpt --summarise`' });
      if (prompt || input !== undefined || flags.summarise) return oneShot(prompt, input, flags);
      return chat(flags);
    });
}

/** Standard input is a pipe or a redirected file (not a terminal, not an inherited socket). */
function stdinIsData(): boolean {
  if (process.stdin.isTTY) return false;
  try {
    const st = fstatSync(0);
    return st.isFIFO() || st.isFile();
  } catch {
    return false;
  }
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function samplingFor(flags: ChatFlags) {
  const s = samplingFromConfig(settings().config);
  if (flags.temperature !== undefined) s.temperature = flags.temperature;
  if (flags.seed !== undefined) s.seed = flags.seed;
  return s;
}

/** The engine to answer with: the configured provider (no local model needed), else the local model. */
async function load(flags: ChatFlags): Promise<{ model: ChatEngine; local?: Model }> {
  const provider = resolveProvider(flags);
  if (provider) return { model: await RemoteModel.connect(provider) };
  const { path } = resolveModelPath(flags.model);
  return loadLocal(path, flags);
}

async function loadLocal(path: string, flags: ChatFlags): Promise<{ model: ChatEngine; local: Model }> {
  const local = await loadModel(path, { ...engineOptions(flags), onWarning: warn });
  return { model: localEngine(local, basename(path)), local };
}

/** Memory for a one-shot answer: only when it can be opened without asking. */
async function quietMemory(flags: ChatFlags): Promise<Memory | undefined> {
  if (!flags.memory || !vaultExists()) return undefined;
  if (!flags.passphraseFile && !process.env.LOCALGPT_PASSPHRASE) return undefined;
  return openMemory(flags, { interactive: false });
}

async function oneShot(prompt: string, input: string | undefined, flags: ChatFlags): Promise<void> {
  const { model } = await load(flags);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.on('SIGINT', onSigint);
  let memory: Memory | undefined;
  try {
    const maxTokens = flags.maxTokens ?? 512;
    const gen = { maxTokens, sampling: samplingFor(flags), signal: abort.signal, onContextFull: 'stop' as const };
    let messages: ChatMessage[];
    if (flags.summarise) {
      const text = input?.trim() ? input : prompt;
      const focus = input?.trim() && prompt ? prompt : undefined;
      const condensed = await condense(model, text, maxTokens, gen, flags.json === true);
      messages = summaryMessages(condensed, focus);
    } else {
      memory = await quietMemory(flags);
      const user = input?.trim() ? `${prompt}\n\n${input.trim()}` : prompt;
      const system = flags.system ?? (memory ? await memoryPrompt(memory, model, user) : DEFAULT_BASE);
      messages = [{ role: 'system', content: system }, { role: 'user', content: user }];
    }
    let result: ChatResult | undefined;
    for await (const piece of model.chat(messages, { ...gen, onDone: (r) => (result = r) })) if (!flags.json) process.stdout.write(piece.text);
    if (!result) throw new Error('generation ended without a result');
    if (flags.json) {
      printJson({
        model: model.info.id,
        backend: model.info.backend,
        text: result.text,
        stop_reason: result.stopReason,
        prompt_tokens: result.promptTokens,
        generated_tokens: result.completionTokens ?? result.ids.length,
        timings: { prefill_tokens_per_s: round(result.timings.prefillTokensPerS), decode_tokens_per_s: round(result.timings.decodeTokensPerS) },
      });
    } else process.stdout.write('\n');
    if (result.stopReason === 'abort') process.exitCode = EXIT.interrupted;
  } finally {
    process.off('SIGINT', onSigint);
    memory?.close();
    model.dispose();
  }
}

function summaryMessages(text: string, focus?: string): ChatMessage[] {
  return [
    { role: 'system', content: SUMMARY_SYSTEM },
    { role: 'user', content: `${focus ? `Focus on: ${focus}\n\n` : ''}Summarise this text:\n\n${text.trim()}` },
  ];
}

/**
 * Text longer than the context is condensed in parts first (each part summarised, then the
 * summaries), so the final streamed summary always fits.
 */
async function condense(
  model: ChatEngine,
  text: string,
  maxTokens: number,
  gen: { sampling: object; signal: AbortSignal; onContextFull: 'stop' },
  quiet: boolean,
): Promise<string> {
  const budget = Math.max(64, model.info.contextLength - maxTokens - 128);
  for (let round = 0; round < 4; round++) {
    if (model.countTokens(text) <= budget) return text;
    const parts = model.splitText(text, budget);
    const summaries: string[] = [];
    const bar = progress(`summarising ${parts.length} parts`, { quiet });
    for (const [i, part] of parts.entries()) {
      bar.update(i, parts.length);
      let out = '';
      for await (const p of model.chat(summaryMessages(part), { ...gen, maxTokens: Math.min(maxTokens, 256) })) out += p.text;
      if (gen.signal.aborted) throw new CliError('interrupted', { exitCode: EXIT.interrupted });
      summaries.push(out.trim());
    }
    bar.finish();
    text = summaries.join('\n\n');
  }
  return model.splitText(text, budget)[0] ?? '';
}

/** What memory recalls for this message, to put in front of it (empty when nothing fits). */
async function recallNotes(memory: Memory, model: ChatEngine, query: string): Promise<string> {
  const r = await recall(memory, query, {
    countTokens: (t: string) => model.countTokens(t),
    budgetTokens: Math.min(512, Math.floor(model.info.contextLength / 8)),
  });
  return r.items.length > 0 ? r.text : '';
}

async function memoryPrompt(memory: Memory, model: ChatEngine, query: string, base?: string): Promise<string> {
  return systemPromptFromMemory(memory, {
    base,
    query,
    countTokens: (t: string) => model.countTokens(t),
    recallBudgetTokens: Math.min(512, Math.floor(model.info.contextLength / 8)),
    now: new Date(),
  });
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

// ---- the chat -----------------------------------------------------------------------------

const HELP = [
  ['/help', 'this list'],
  ['/new', 'start a new conversation'],
  ['/sessions', 'list saved conversations'],
  ['/resume ID', 'continue a saved conversation (an id prefix is enough)'],
  ['/memory QUERY', 'search the memory'],
  ['/model', 'the model in use'],
  ['/status', 'model, memory and conversation'],
  ['/clear', 'clear the screen'],
  ['/quit', 'leave (or Ctrl-D); Ctrl-C stops an answer'],
];

async function chat(flags: ChatFlags): Promise<void> {
  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;
  const provider = resolveProvider(flags);
  const path = provider ? undefined : resolveModelPath(flags.model).path; // before asking for a passphrase: fail fast without a model
  let memory: Memory | undefined;
  if (flags.memory) {
    try {
      memory = await openMemory(flags, { create: true, interactive: process.stdin.isTTY === true });
    } catch (e) {
      if (!isVaultError(e, 'NO_PASSPHRASE')) throw e;
      warn('memory is off for this chat: no passphrase (set LOCALGPT_PASSPHRASE or use --passphrase-file)');
    }
  }
  const out = process.stdout;
  const { model, local } = provider ? { model: await RemoteModel.connect(provider), local: undefined } : await loadLocal(path!, flags);
  const jobs = memory ? runDueJobsInBackground(memory, model) : undefined;
  const maxTokens = flags.maxTokens ?? 512;
  const sampling = samplingFor(flags);
  let session: Session | undefined;
  let history: ChatMessage[] = [];
  let current: AbortController | undefined;
  let quitting = false;

  const say = (text: string) => out.write(`${text}\n`);
  if (interactive) {
    say(paint('bold', `LocalGPT`) + paint('dim', ` ${model.info.id} (${model.info.description}), memory ${memory ? 'on' : 'off'}`));
    say(paint('dim', 'Type a message; /help lists commands; Ctrl-C stops an answer, Ctrl-D quits.'));
  }

  const rl = createInterface({ input: process.stdin, output: out, terminal: interactive, historySize: 500, prompt: paint('cyan', '> ') });
  const onInterrupt = () => {
    if (current) current.abort();
    else if (interactive) {
      out.write(paint('dim', '\n(Ctrl-D or /quit to leave)\n'));
      rl.write(null, { ctrl: true, name: 'u' });
      rl.prompt();
    } else {
      // Not a terminal: an interrupt between answers ends the chat (lines still queued are dropped).
      quitting = true;
      process.exitCode = EXIT.interrupted;
      rl.close();
    }
  };
  rl.on('SIGINT', onInterrupt);
  process.on('SIGINT', onInterrupt);

  const countTokens = (m: ChatMessage[]) => m.reduce((n, x) => n + model.countTokens(String(x.content)) + 8, 0);
  const budget = () => model.info.contextLength - Math.min(maxTokens, Math.floor(model.info.contextLength / 2));

  // The system prompt is made once per conversation and recall goes into the newest user turn, so
  // the rendered prompt keeps its prefix from turn to turn: each answer re-reads only the last
  // exchange, and a saved KV checkpoint still matches when the conversation is resumed.
  let systemPrompt: string | undefined;

  async function answer(text: string): Promise<void> {
    systemPrompt ??= memory ? await memoryPrompt(memory, model, '', flags.system) : flags.system ?? DEFAULT_BASE;
    const system = systemPrompt;
    const user: ChatMessage = { role: 'user', content: text };
    const notes = memory ? await recallNotes(memory, model, text) : '';
    const sent: ChatMessage = notes ? { role: 'user', content: `${notes}\n\n${text}` } : user;
    let past = history;
    while (past.length > 0 && countTokens([{ role: 'system', content: system }, ...past, sent]) > budget()) past = past.slice(2);
    const ac = new AbortController();
    current = ac;
    let result: ChatResult | undefined;
    try {
      for await (const piece of model.chat([{ role: 'system', content: system }, ...past, sent], {
        maxTokens,
        sampling,
        signal: ac.signal,
        onContextFull: 'stop',
        onDone: (r) => (result = r),
      }))
        out.write(piece.text);
    } finally {
      current = undefined;
    }
    out.write('\n');
    const reply = result?.text ?? '';
    if (result?.stopReason === 'abort') say(paint('dim', '[stopped]'));
    else if (result?.stopReason === 'length') say(paint('dim', `[cut at ${maxTokens} tokens: --max-tokens raises it]`));
    else if (result?.stopReason === 'context') say(paint('dim', '[the context is full: /new starts afresh]'));
    history = [...past, user, { role: 'assistant', content: reply }];
    if (memory) {
      session ??= memory.conversations.create({ title: text.replace(/\s+/g, ' ').slice(0, 60) });
      memory.conversations.append(session.id, { role: 'user', content: text }, { role: 'assistant', content: reply });
    }
  }

  /** Returns false to quit. */
  async function command(line: string): Promise<boolean> {
    const [name, ...rest] = line.slice(1).split(/\s+/);
    const arg = rest.join(' ').trim();
    const needMemory = () => {
      if (!memory) say('memory is off (no passphrase, or --no-memory)');
      return memory;
    };
    switch (name.toLowerCase()) {
      case 'help':
      case '?':
        for (const [c, d] of HELP) say(`  ${c.padEnd(15)}${d}`);
        return true;
      case 'quit':
      case 'exit':
      case 'q':
        return false;
      case 'new':
        await saveCheckpoint(memory, session, local, systemPrompt);
        session = undefined;
        history = [];
        systemPrompt = undefined;
        say('new conversation');
        return true;
      case 'clear':
        if (interactive) out.write('\u001b[2J\u001b[H');
        return true;
      case 'model': {
        if (!local) {
          say(`${model.info.id} at ${model.info.baseUrl} (remote; context about ${model.info.contextLength} tokens)`);
          return true;
        }
        const i = local.info;
        say(`${model.info.id}: ${i.architecture}, ${(i.parameters / 1e6).toFixed(1)}M parameters, ${Object.keys(i.quantisation).join('/')}, context ${i.contextLength}, ${i.backendDescription}`);
        return true;
      }
      case 'status': {
        const used = countTokens(history);
        say(`model    ${model.info.id} (${model.info.backend}${model.info.baseUrl ? ` ${model.info.baseUrl}` : ''})`);
        say(`memory   ${memory ? `on (${memory.vault.path})` : 'off'}`);
        say(`session  ${session ? `${session.id}${session.title ? ` "${session.title}"` : ''}` : '(new, not saved yet)'}`);
        say(`history  ${history.length / 2} exchange(s), about ${used} of ${model.info.contextLength} tokens`);
        return true;
      }
      case 'sessions': {
        const m = needMemory();
        if (!m) return true;
        const list = m.conversations.list();
        if (list.length === 0) say('no saved conversations yet');
        for (const s of list.slice(0, 20)) say(`  ${s.id.slice(0, 8)}  ${s.createdAt.slice(0, 16).replace('T', ' ')}  ${s.title ?? ''}`);
        if (list.length > 20) say(paint('dim', `  ... ${list.length - 20} more (localgpt memory list sessions)`));
        return true;
      }
      case 'resume': {
        const m = needMemory();
        if (!m) return true;
        if (!arg) {
          say('usage: /resume ID (see /sessions)');
          return true;
        }
        const matches = m.conversations.list().filter((s) => s.id.startsWith(arg));
        if (matches.length !== 1) {
          say(matches.length === 0 ? `no conversation ${arg} (see /sessions)` : `${arg} matches ${matches.length} conversations; give more of the id`);
          return true;
        }
        await saveCheckpoint(memory, session, local, systemPrompt);
        session = matches[0];
        history = m.conversations
          .context(session.id, 50)
          .filter((x) => x.role === 'user' || x.role === 'assistant')
          .map((x) => ({ role: x.role, content: x.content }));
        const restored = await restoreCheckpoint(m, session, local);
        systemPrompt = restored?.systemPrompt;
        say(`resumed ${session.id.slice(0, 8)}${session.title ? ` "${session.title}"` : ''} (${history.length} messages${restored ? `; KV checkpoint of ${restored.positions} tokens restored, not re-read` : ''})`);
        return true;
      }
      case 'memory': {
        const m = needMemory();
        if (!m) return true;
        if (!arg) {
          const st = m.stats();
          say(`${st.facts} facts, ${st.notes} notes, ${st.sessions} conversations, ${st.messages} messages; /memory QUERY searches`);
          return true;
        }
        const hits = await m.search(arg, { limit: 5 });
        if (hits.length === 0) say('nothing found');
        for (const h of hits) say(`  [${h.kind}] ${h.text.replace(/\s+/g, ' ').slice(0, 100)}`);
        return true;
      }
      default:
        say(`unknown command /${name}; /help lists them`);
        return true;
    }
  }

  try {
    if (flags.session) await command(`/resume ${flags.session}`);
    if (interactive) rl.prompt();
    for await (const raw of rl) {
      if (quitting) break;
      const line = raw.trim();
      if (line) {
        try {
          if (line.startsWith('/')) {
            if (!(await command(line))) break;
          } else await answer(line);
        } catch (e) {
          out.write(`\n${paint('red', 'error:', out)} ${(e as Error).message}\n`);
        }
      }
      if (interactive) rl.prompt();
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    rl.close();
    await jobs?.finish();
    await saveCheckpoint(memory, session, local, systemPrompt).catch((e: unknown) => warn(`the KV checkpoint was not saved: ${(e as Error).message}`));
    memory?.close();
    model.dispose();
  }
}
