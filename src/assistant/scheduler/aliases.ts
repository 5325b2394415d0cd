import { basename } from 'node:path';

/**
 * Short names for a few well-known small GGUF models, resolved to Hugging Face files.
 * The repository/file names follow each publisher's naming; no checksum is pinned here
 * (Hugging Face's x-linked-etag header, the LFS sha256, verifies the file instead).
 */
export const MODEL_ALIASES: Readonly<Record<string, string>> = {
  'gpt-2-4bit': 'hf:QuantFactory/gpt2-GGUF/gpt2.Q4_0.gguf',
  'qwen2.5-0.5b-instruct': 'hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_0.gguf',
  'qwen2.5-0.5b-instruct-q8': 'hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q8_0.gguf',
  'smollm2-135m-instruct': 'hf:HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/smollm2-135m-instruct-q8_0.gguf',
  'tinyllama-1.1b-chat': 'hf:TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF/tinyllama-1.1b-chat-v1.0.Q4_0.gguf',
};

export interface ResolvedModelName {
  url: string;
  /** File name the download is saved under by default. */
  fileName: string;
  /** The alias used, when one was. */
  alias?: string;
}

/**
 * `hf:owner/repo/path/file.gguf` (optionally `@revision` after the repo),
 * a plain http(s) URL, or an alias from MODEL_ALIASES.
 */
export function resolveModelName(name: string): ResolvedModelName {
  const alias = MODEL_ALIASES[name.toLowerCase()];
  if (alias) return { ...resolveModelName(alias), alias: name.toLowerCase() };
  if (name.startsWith('hf:')) {
    const m = /^hf:([^/\s]+)\/([^/@\s]+)(?:@([^/\s]+))?\/(.+)$/.exec(name);
    if (!m || m[4].split('/').some((p) => p === '' || p === '..' || p === '.'))
      throw new Error(`bad Hugging Face name "${name}" (expected hf:owner/repo/file.gguf)`);
    const [, owner, repo, rev, file] = m;
    const path = file.split('/').map(encodeURIComponent).join('/');
    return {
      url: `https://huggingface.co/${owner}/${repo}/resolve/${encodeURIComponent(rev ?? 'main')}/${path}`,
      fileName: basename(file),
    };
  }
  let url: URL;
  try {
    url = new URL(name);
  } catch {
    throw new Error(`unknown model "${name}" (use an alias: ${Object.keys(MODEL_ALIASES).join(', ')}; hf:owner/repo/file.gguf; or a URL)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`only http(s) downloads are supported, not ${url.protocol}`);
  const fileName = decodeURIComponent(basename(url.pathname)) || 'download';
  if (fileName === '..' || fileName.includes('/')) throw new Error(`bad file name in URL "${name}"`);
  return { url: url.toString(), fileName };
}
