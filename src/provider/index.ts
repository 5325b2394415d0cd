/**
 * Remote engines as providers: the ChatEngine interface both the local Model (localEngine) and a
 * remote OpenAI-compatible server (RemoteModel) satisfy, and the serve proxy.
 */
import type { CompletionModel } from '../assistant/scheduler/model.js';
import { engineCompletion } from './engine.js';
import { RemoteModel, type RemoteModelOptions } from './remote.js';

export { approxTokens, CHARS_PER_TOKEN, engineCompletion, localEngine, splitByChars, type ChatEngine, type ChatOptions, type ChatPiece, type ChatResult, type EngineInfo } from './engine.js';
export { DEFAULT_REMOTE_CONTEXT, normaliseBaseUrl, ProviderError, RemoteModel, type ProviderSettings, type RemoteModelOptions } from './remote.js';
export { startProxyServer, type ProxyOptions, type RunningProxy } from './proxy.js';

/**
 * A lazy model source for the scheduler (its ModelSource): connects on the first inference job,
 * then keeps the connection settings. A failed connect is not cached, so the job's retry tries
 * again.
 */
export function remoteCompletionSource(options: RemoteModelOptions): () => Promise<CompletionModel> {
  let model: CompletionModel | undefined;
  return async () => (model ??= engineCompletion(await RemoteModel.connect(options)));
}
