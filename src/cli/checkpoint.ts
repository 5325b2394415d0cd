import type { Session } from '../assistant/memory/conversations.js';
import type { Memory } from '../assistant/memory/memory.js';
import type { Model } from '../engine/model.js';

/**
 * A conversation's KV cache sealed into the vault, so `/resume` continues without re-reading the
 * conversation. The checkpoint also keeps the system prompt the cache was built with: a fresh one
 * (a new date line, new files) would change the prompt's first tokens and void the cache.
 */
const VERSION = 1;

export interface Restored {
  readonly positions: number;
  readonly systemPrompt: string;
}

/** Saves the local model's cache for the session; nothing without a session, memory or export. */
export async function saveCheckpoint(memory: Memory | undefined, session: Session | undefined, model: Model | undefined, systemPrompt: string | undefined): Promise<void> {
  if (!memory || !session || !model || systemPrompt === undefined) return;
  const state = await model.saveState();
  if (!state || state.tokens.length === 0) return;
  memory.saveCheckpoint(session.id, {
    modelFingerprint: state.fingerprint,
    backendLayout: state.layout,
    version: VERSION,
    position: state.tokens.length,
    data: pack(systemPrompt, state.tokens, state.kv),
  });
}

/** Puts the session's cache back when one was saved by this model file and backend format. */
export async function restoreCheckpoint(memory: Memory, session: Session, model: Model | undefined): Promise<Restored | undefined> {
  if (!model) return undefined;
  const layout = model.stateLayout;
  if (!layout) return undefined;
  const cp = memory.loadCheckpoint(session.id, { modelFingerprint: model.fingerprint, backendLayout: layout, version: VERSION });
  if (!cp) return undefined;
  const { systemPrompt, tokens, kv } = unpack(cp.data);
  if (tokens.length !== cp.position) return undefined;
  const ok = await model.restoreState({ fingerprint: model.fingerprint, layout, tokens, kv });
  return ok ? { positions: tokens.length, systemPrompt } : undefined;
}

/** u32 header length, a JSON header {system, tokens}, then the cache bytes. */
function pack(systemPrompt: string, tokens: readonly number[], kv: Uint8Array): Uint8Array {
  const header = Buffer.from(JSON.stringify({ system: systemPrompt, tokens }), 'utf8');
  const out = new Uint8Array(4 + header.length + kv.byteLength);
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 4);
  out.set(kv, 4 + header.length);
  return out;
}

function unpack(data: Uint8Array): { systemPrompt: string; tokens: number[]; kv: Uint8Array } {
  const n = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, true);
  const header = JSON.parse(Buffer.from(data.subarray(4, 4 + n)).toString('utf8')) as { system: string; tokens: number[] };
  return { systemPrompt: header.system, tokens: header.tokens, kv: data.slice(4 + n) };
}
