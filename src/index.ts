/**
 * localgpt: a GGUF inference engine for Node.js. `loadModel` is the front door; the lower layers
 * (GGUF, tokenizers, quantisation types, backends, sampling) are exported for tools built on them.
 */
export { EmbeddingsUnsupportedError, loadModel, Model, type ModelState, type CompletionOptions, type LoadModelOptions, type ModelInfo } from './engine/model.js';
export type { ChatMessage, ChatRole } from './engine/chat.js';
export { ChatTemplate, ChatTemplateError } from './engine/chat.js';
export { ContextLimitError, generate, generateAll, FLUSH_TOKEN } from './engine/generate.js';
export type { GeneratedPiece, GenerateOptions, GenerationResult, GenerationTimings, StopReason } from './engine/generate.js';
export type { SamplingOptions } from './engine/sampling/index.js';
export { Sampler } from './engine/sampling/index.js';
export * as gguf from './engine/gguf/index.js';
export { GGUFError } from './engine/gguf/errors.js';
export { ModelError } from './engine/model/errors.js';
export type { ModelConfig, Architecture } from './engine/model/config.js';
export { syntheticModel, type SyntheticModelSpec } from './engine/model/synthetic.js';
export { QUANT_SCHEMES, type QuantScheme } from './engine/model/quant-scheme.js';
export { QUANT_TYPES, quantType, quantTypeByName, type QuantType } from './engine/quant/registry.js';
export { GGMLType } from './engine/quant/ggml-type.js';
export { tokenizerFromGGUF, TokenizerError, type Tokenizer, type TokenizeOptions } from './engine/tokenizer/index.js';
export type { Backend, BackendName, EvalOptions, InferenceContext, ModelWeights } from './engine/backend/backend.js';
export { selectBackend, type BackendChoice } from './engine/backend/select.js';
export * as provider from './provider/index.js';
export { LocalGPT, type LocalGPTOptions, type AskOptions, type Answer } from './localgpt.js';
export { Memory } from './assistant/memory/memory.js';
export { Scheduler } from './assistant/scheduler/index.js';
export { openVault, VaultError } from './assistant/vault/index.js';
