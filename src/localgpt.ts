import { recall } from './assistant/memory/recall.js';
import { Memory } from './assistant/memory/memory.js';
import { DEFAULT_BASE, systemPromptFromMemory } from './assistant/memory/prompt.js';
import { Scheduler } from './assistant/scheduler/index.js';
import type { KdfPreset } from './assistant/vault/crypto.js';
import { dataDir as defaultDataDir } from './assistant/vault/paths.js';
import type { BackendChoice } from './engine/backend/select.js';
import type { ChatMessage } from './engine/chat.js';
import { loadModel } from './engine/model.js';
import { engineCompletion, localEngine, type ChatEngine, type ChatOptions } from './provider/engine.js';
import { RemoteModel, type ProviderSettings } from './provider/remote.js';
import { basename, join } from 'node:path';

export interface LocalGPTOptions {
  /** A .gguf file to run locally; or `provider` to generate on a remote OpenAI-compatible server. */
  readonly model?: string;
  readonly provider?: ProviderSettings;
  readonly backend?: BackendChoice;
  readonly threads?: number;
  readonly contextLength?: number;
  /** Opens (or creates) the encrypted memory; without it the assistant forgets between runs. */
  readonly passphrase?: string;
  /** Data directory (vault, models, daemon files); default `$LOCALGPT_HOME` or the XDG data dir. */
  readonly dataDir?: string;
  /** Argon2id cost for a new vault ('interactive' by default; 'min' for tests). */
  readonly kdf?: KdfPreset;
}

export interface AskOptions extends Omit<ChatOptions, 'onDone'> {
  /** Continue this conversation (from `ask`'s result); a new one is started otherwise. */
  readonly session?: string;
}

export interface Answer {
  readonly text: string;
  /** The conversation it belongs to (undefined without memory). */
  readonly session?: string;
  readonly stopReason: string;
}

/**
 * The engine, the memory and the scheduler in one object: what `localgpt` itself is made of.
 * `ask` answers with recall from memory and saves the exchange; `engine`, `memory` and `scheduler`
 * are there for everything else.
 */
export class LocalGPT {
  private constructor(
    readonly engine: ChatEngine,
    readonly memory: Memory | undefined,
    readonly scheduler: Scheduler | undefined,
  ) {}

  static async open(options: LocalGPTOptions): Promise<LocalGPT> {
    if (!options.model && !options.provider) throw new Error('LocalGPT.open needs a model file or a provider');
    const engine: ChatEngine = options.provider
      ? await RemoteModel.connect(options.provider)
      : localEngine(
          await loadModel(options.model!, { backend: options.backend, threads: options.threads, contextLength: options.contextLength }),
          basename(options.model!, '.gguf'),
        );
    let memory: Memory | undefined;
    try {
      const dir = options.dataDir ?? defaultDataDir();
      if (options.passphrase !== undefined) memory = await Memory.open({ path: join(dir, 'vault.db'), passphrase: options.passphrase, kdf: options.kdf });
      const scheduler = memory ? new Scheduler({ vault: memory.vault, memory, model: engineCompletion(engine), dataDir: dir }) : undefined;
      return new LocalGPT(engine, memory, scheduler);
    } catch (err) {
      memory?.close();
      engine.dispose();
      throw err;
    }
  }

  /** Answers a message with what memory recalls, and saves the exchange to the conversation. */
  async ask(text: string, options: AskOptions = {}): Promise<Answer> {
    const { session: sessionId, ...chatOptions } = options;
    const history: ChatMessage[] = [];
    let system = DEFAULT_BASE;
    let sent = text;
    if (this.memory) {
      const budget = Math.min(512, Math.floor(this.engine.info.contextLength / 8));
      system = await systemPromptFromMemory(this.memory, { countTokens: (t) => this.engine.countTokens(t), now: new Date() });
      const notes = await recall(this.memory, text, { countTokens: (t) => this.engine.countTokens(t), budgetTokens: budget });
      if (notes.items.length > 0) sent = `${notes.text}\n\n${text}`;
      if (sessionId) {
        for (const m of this.memory.conversations.context(sessionId, 20)) if (m.role === 'user' || m.role === 'assistant') history.push({ role: m.role, content: m.content });
      }
    }
    let reply = '';
    let stopReason = 'eos';
    for await (const piece of this.engine.chat([{ role: 'system', content: system }, ...history, { role: 'user', content: sent }], {
      ...chatOptions,
      onDone: (r) => (stopReason = r.stopReason),
    }))
      reply += piece.text;
    if (!this.memory) return { text: reply, stopReason };
    const session = sessionId ?? this.memory.conversations.create({ title: text.replace(/\s+/g, ' ').slice(0, 60) }).id;
    this.memory.conversations.append(session, { role: 'user', content: text }, { role: 'assistant', content: reply });
    return { text: reply, session, stopReason };
  }

  /** Runs the scheduled jobs that are due (a daemon does this on its own; see `localgpt daemon`). */
  async runDueJobs(): Promise<number> {
    if (!this.scheduler) return 0;
    return (await this.scheduler.runDueJobs()).ran.length;
  }

  close(): void {
    this.scheduler?.abortAll();
    this.memory?.close();
    this.engine.dispose();
  }
}
