import { createHash } from 'node:crypto';
import type { Backend, BackendName, EvalOptions, InferenceContext, ModelWeights } from './backend/backend.js';
import { selectBackend, type BackendChoice } from './backend/select.js';
import { probeWebGPU } from './backend/webgpu/device.js';
import { ChatTemplate, type ChatMessage } from './chat.js';
import { generate, type GeneratedPiece, type GenerateOptions, type GenerationResult } from './generate.js';
import { openGGUF, type GGUFFile } from './gguf/reader.js';
import { metaString } from './gguf/metadata.js';
import type { GGUFMetadata } from './gguf/types.js';
import type { ModelConfig } from './model/config.js';
import { loadWeights } from './model/load-weights.js';
import { ggmlTypeName } from './quant/ggml-type.js';
import { tokenizerFromGGUF, type Tokenizer, type TokenizeOptions } from './tokenizer/index.js';

export interface LoadModelOptions {
  /** 'auto' (default): a hardware GPU through WebGPU, else native CPU, else reference. */
  readonly backend?: BackendChoice;
  /** KV cache capacity; default min(training context, 4096). */
  readonly contextLength?: number;
  readonly threads?: number;
  /** See ContextOptions.repackWeights (default true). */
  readonly repackWeights?: boolean;
  /** Called once with a one-line warning (e.g. falling back to the reference backend). */
  readonly onWarning?: (message: string) => void;
}

export interface ModelInfo {
  readonly name: string | undefined;
  readonly architecture: string;
  readonly parameters: number;
  readonly fileSize: number;
  /** Tensor count per ggml type name, e.g. { Q4_0: 120, Q6_K: 1, F32: 49 }. */
  readonly quantisation: Readonly<Record<string, number>>;
  readonly vocabSize: number;
  readonly tokenizer: string;
  readonly trainContextLength: number;
  readonly contextLength: number;
  readonly embeddingLength: number;
  readonly blockCount: number;
  readonly headCount: number;
  readonly headCountKv: number;
  readonly backend: BackendName;
  readonly backendDescription: string;
}

export type CompletionOptions = Omit<GenerateOptions, 'cachedTokens'> & {
  /** Add BOS/EOS as the model's metadata says (default true). */
  readonly addSpecial?: boolean;
};

/**
 * Loads a GGUF model: parses and checks the file, builds the tokenizer and an inference context on
 * the chosen backend. Everything that can be wrong with the file is reported here, not mid-answer.
 */
export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<Model> {
  const file = openGGUF(path);
  try {
    const weights = loadWeights(file);
    const tokenizer = tokenizerFromGGUF(file.metadata);
    // 'auto' prefers a hardware GPU, which only an (asynchronous) adapter probe can tell.
    if ((options.backend ?? 'auto') === 'auto') await probeWebGPU();
    const { backend, warning } = selectBackend(options.backend);
    if (warning) options.onWarning?.(warning);
    const contextLength = options.contextLength ?? Math.min(weights.config.trainContextLength, 4096);
    if (!Number.isInteger(contextLength) || contextLength < 1) throw new RangeError(`contextLength must be a positive integer, got ${contextLength}`);
    const ctx = await backend.createContext(weights, { contextLength, threads: options.threads, repackWeights: options.repackWeights });
    return new Model(file, weights, tokenizer, backend, ctx);
  } catch (err) {
    file.close();
    throw err;
  }
}

/**
 * A context's KV cache and the tokens it holds: enough to resume a conversation without re-reading
 * it. `fingerprint` and `layout` say which model file and backend format it fits.
 */
export interface ModelState {
  readonly fingerprint: string;
  readonly layout: string;
  readonly tokens: readonly number[];
  readonly kv: Uint8Array;
}

export class EmbeddingsUnsupportedError extends Error {
  override readonly name = 'EmbeddingsUnsupportedError';
}

export class Model {
  readonly metadata: GGUFMetadata;
  readonly config: ModelConfig;
  private readonly chatTemplate: ChatTemplate;
  /** Tokens the context's KV cache holds, so the next call only evaluates what is new. */
  private cached: number[] = [];
  /** Calls are serialised: one context, one generation at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;
  private fingerprintHex: string | undefined;

  constructor(
    private readonly file: GGUFFile,
    weights: ModelWeights,
    readonly tokenizer: Tokenizer,
    readonly backend: Backend,
    private readonly context: InferenceContext,
  ) {
    this.metadata = file.metadata;
    this.config = weights.config;
    this.chatTemplate = new ChatTemplate(metaString(file.metadata, 'tokenizer.chat_template'), tokenizer);
  }

  get info(): ModelInfo {
    const quantisation: Record<string, number> = {};
    let parameters = 0;
    for (const t of this.file.tensors) {
      const name = ggmlTypeName(t.type);
      quantisation[name] = (quantisation[name] ?? 0) + 1;
      parameters += t.elements;
    }
    const c = this.config;
    return {
      name: metaString(this.metadata, 'general.name'),
      architecture: c.arch,
      parameters,
      fileSize: this.file.fileSize,
      quantisation,
      vocabSize: c.vocabSize,
      tokenizer: `${metaString(this.metadata, 'tokenizer.ggml.model') ?? '?'}/${metaString(this.metadata, 'tokenizer.ggml.pre') ?? 'default'}`,
      trainContextLength: c.trainContextLength,
      contextLength: this.context.contextLength,
      embeddingLength: c.embeddingLength,
      blockCount: c.blockCount,
      headCount: c.headCount,
      headCountKv: c.headCountKv,
      backend: this.backend.name,
      backendDescription: this.backend.describe(),
    };
  }

  tokenize(text: string, options?: TokenizeOptions): number[] {
    return this.tokenizer.encode(text, options);
  }

  detokenize(ids: readonly number[], options?: { removeSpecial?: boolean }): string {
    return this.tokenizer.decode(ids, options);
  }

  /** Streams the continuation of a text prompt. */
  complete(prompt: string, options: CompletionOptions = {}): AsyncIterable<GeneratedPiece> {
    const ids = this.tokenizer.encode(prompt, { addSpecial: options.addSpecial ?? true });
    return this.stream(ids, options);
  }

  /** Streams the assistant's answer to a conversation, rendered with the model's chat template. */
  chat(messages: readonly ChatMessage[], options: CompletionOptions = {}): AsyncIterable<GeneratedPiece> {
    const ids = this.chatTemplate.tokenize(messages);
    const stop = [...(options.stop ?? []), ...this.chatTemplate.stopStrings];
    return this.stream(ids, { ...options, stop });
  }

  /** Streams from already tokenised input; the final result goes to options.onDone. */
  generateFromTokens(promptIds: readonly number[], options: CompletionOptions = {}): AsyncIterable<GeneratedPiece> {
    return this.stream(promptIds, options);
  }

  /** Runs to the end and returns the whole result (ids, text, stop reason, timings). */
  async completeAll(prompt: string | readonly number[], options: CompletionOptions = {}): Promise<GenerationResult> {
    let result: GenerationResult | undefined;
    const ids = typeof prompt === 'string' ? this.tokenizer.encode(prompt, { addSpecial: options.addSpecial ?? true }) : prompt;
    for await (const _ of this.stream(ids, { ...options, onDone: (r) => { result = r; options.onDone?.(r); } })) {
      // pieces are collected in the result
    }
    if (!result) throw new Error('generation ended without a result');
    return result;
  }

  /**
   * An embedding of the text (or token ids): the mean of the final normalised hidden states,
   * L2-normalised (as llama.cpp's server returns them). Throws when the backend has no hidden
   * states to give yet.
   */
  async embed(input: string | readonly number[]): Promise<Float32Array> {
    const embed = this.context.embed?.bind(this.context);
    if (!embed) throw new EmbeddingsUnsupportedError(`embeddings are not supported by the ${this.backend.name} backend yet`);
    const ids = typeof input === 'string' ? this.tokenizer.encode(input) : input;
    return this.exclusive(async () => {
      this.cached = [];
      const v = await embed(ids);
      this.context.truncate(0);
      let norm = 0;
      for (const x of v) norm += x * x;
      norm = Math.sqrt(norm) || 1;
      return v.map((x) => x / norm);
    });
  }

  /** Identifies the model file (its size, tensors and name), for checkpoints made from it. */
  get fingerprint(): string {
    if (this.fingerprintHex === undefined) {
      const h = createHash('sha256');
      h.update(`${this.file.fileSize}\n${metaString(this.metadata, 'general.name') ?? ''}\n`);
      for (const t of this.file.tensors) h.update(`${t.name}:${t.type}:${t.dims.join('x')}:${t.offset}\n`);
      this.fingerprintHex = h.digest('hex');
    }
    return this.fingerprintHex;
  }

  /** The format saveState() produces on this backend, or undefined when it cannot export the cache. */
  get stateLayout(): string | undefined {
    return this.context.exportState ? this.context.stateLayout : undefined;
  }

  /** The cache as it stands after the last call, or undefined when the backend cannot export it. */
  async saveState(): Promise<ModelState | undefined> {
    const ctx = this.context;
    const layout = this.stateLayout;
    if (!ctx.exportState || !layout) return undefined;
    return this.exclusive(async () => ({
      fingerprint: this.fingerprint,
      layout,
      tokens: [...this.cached],
      kv: ctx.exportState!(this.cached.length),
    }));
  }

  /**
   * Puts a saved cache back, so the next call that starts with the same tokens evaluates only what
   * follows them. False (and nothing changed) when the state comes from another model file or
   * backend format.
   */
  async restoreState(state: ModelState): Promise<boolean> {
    const ctx = this.context;
    if (!ctx.importState || state.layout !== ctx.stateLayout || state.fingerprint !== this.fingerprint) return false;
    if (state.tokens.length > ctx.contextLength) return false;
    return this.exclusive(async () => {
      ctx.importState!(state.kv, state.tokens.length);
      this.cached = [...state.tokens];
      return true;
    });
  }

  /** Raw logits for `ids` evaluated from position 0 (all positions when allLogits; into the caller's array when `into`). */
  async evaluate(ids: readonly number[], options?: EvalOptions): Promise<Float32Array> {
    return this.exclusive(async () => {
      this.context.truncate(0);
      this.cached = [];
      const logits = await this.context.eval(ids, 0, options);
      this.cached = [...ids];
      return logits;
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.context.dispose();
    this.file.close();
  }

  private stream(promptIds: readonly number[], options: CompletionOptions): AsyncIterable<GeneratedPiece> {
    if (this.disposed) throw new Error('the model was disposed');
    const self = this;
    return {
      [Symbol.asyncIterator]() {
        let release!: () => void;
        const turn = new Promise<void>((r) => (release = r));
        const previous = self.queue;
        self.queue = previous.then(() => turn);
        let inner: AsyncGenerator<GeneratedPiece, GenerationResult> | undefined;
        const start = async () => {
          await previous;
          inner = generate(self.context, self.tokenizer, promptIds, {
            ...options,
            cachedTokens: self.cached,
            onDone: (r) => {
              self.cached = r.contextTokens;
              options.onDone?.(r);
            },
          });
          return inner;
        };
        let started: Promise<AsyncGenerator<GeneratedPiece, GenerationResult>> | undefined;
        return {
          async next() {
            started ??= start();
            const g = await started;
            try {
              const r = await g.next();
              if (r.done) release();
              return r.done ? { done: true, value: undefined } : r;
            } catch (err) {
              // A failed step leaves the cache in an unknown state: start afresh next time.
              self.cached = [];
              self.context.truncate(0);
              release();
              throw err;
            }
          },
          async return() {
            if (inner) await inner.return(undefined as never);
            release();
            return { done: true, value: undefined };
          },
        };
      },
    };
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
