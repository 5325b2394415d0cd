/**
 * Tokenisers that give the same ids as llama.cpp (src/llama-vocab.cpp) for the same GGUF:
 * byte-level BPE ('gpt2') with per-model pre-tokenizers, and SentencePiece ('llama').
 *
 * What follows llama.cpp, point by point:
 * - vocabulary load: token attributes from token_type, `[EMPTY_i]` for empty tokens,
 *   text -> id where a later duplicate wins, merge ranks where the first duplicate wins;
 *   default special ids per model type, ids out of range ignored; add_bos/add_eos/
 *   add_space_prefix defaults per type and pre-tokenizer, overridden by metadata;
 *   EOT/EOM/FIM auto-detection by text, the end-of-generation set, "unused" control
 *   tokens; the special-token list sorted by text length (tokenizer_st_partition).
 * - encode: special-token partitioning (longest texts first, each over all fragments,
 *   user-defined tokens always, control/unknown only with parseSpecial), SPM space prefix
 *   at the start and after every special token, SPM bigram queue (score, then left),
 *   byte fallback; BPE rank queue (rank, then left), `ignore_merges` whole-word lookup.
 * - decode: llama_detokenize with remove_special = removeSpecial and unparse_special =
 *   !removeSpecial: leading-space strip for add_space_prefix vocabularies, the
 *   clean_up_tokenization_spaces pass where llama.cpp applies it.
 */
import { Heap } from './heap.js';
import {
  type Splitter,
  preTokenize,
  splitAsciiTriples,
  splitDigitRuns,
  splitEachDigit,
  splitGpt2,
  splitLlama3,
  splitPunctRuns,
  splitQwen2,
} from './pretokenize.js';
import { BYTE_TO_CHAR, CHAR_TO_BYTE, codePoints, pushUtf8, utf8Encoder, wellFormed } from './unicode.js';

import type { GGUFMetadataValue } from '../gguf/types.js';

export class TokenizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerError';
  }
}

export interface TokenizeOptions {
  /** Add BOS/EOS as the vocabulary's metadata says (llama.cpp add_special). Default true. */
  addSpecial?: boolean;
  /** Recognise control/unknown token texts in the input (llama.cpp parse_special). Default true. */
  parseSpecial?: boolean;
}

export interface DecodeOptions {
  /** Skip control/unknown tokens' text and a leading BOS / trailing EOS (llama.cpp remove_special). */
  removeSpecial?: boolean;
}

export interface StreamDecoder {
  /** Text that became complete with this token (never a partial UTF-8 sequence). */
  push(id: number): string;
  /** Whatever is left, with U+FFFD for an incomplete tail. The decoder can be reused afterwards. */
  flush(): string;
}

export interface Tokenizer {
  readonly vocabSize: number;
  readonly model: 'gpt2' | 'llama';
  readonly pre: string;
  readonly bosId?: number;
  readonly eosId?: number;
  readonly eotId?: number;
  readonly eomId?: number;
  readonly unkId?: number;
  readonly padId?: number;
  /** End-of-generation ids as llama.cpp derives them. */
  readonly eogIds: ReadonlySet<number>;
  readonly addBos: boolean;
  readonly addEos: boolean;
  readonly addSpacePrefix: boolean;
  encode(text: string, options?: TokenizeOptions): number[];
  decode(ids: readonly number[], options?: DecodeOptions): string;
  /** The piece's bytes as llama.cpp's token_to_piece(special = true) gives them. */
  tokenBytes(id: number): Uint8Array;
  createStreamDecoder(options?: DecodeOptions): StreamDecoder;
  /** The token's text as stored in the vocabulary. */
  tokenText(id: number): string;
  /** The token's type as stored (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte). */
  tokenType(id: number): number;
  /** llama.cpp's attribute bits (LLAMA_TOKEN_ATTR_*), after its load-time adjustments. */
  tokenAttr(id: number): number;
  isEog(id: number): boolean;
  /** Look a token up by its exact text. */
  tokenId(text: string): number | undefined;
}

/** llama.cpp's llama_token_attr bits. */
export const TokenAttr = {
  UNDEFINED: 0,
  UNKNOWN: 1 << 0,
  UNUSED: 1 << 1,
  NORMAL: 1 << 2,
  CONTROL: 1 << 3,
  USER_DEFINED: 1 << 4,
  BYTE: 1 << 5,
  NORMALIZED: 1 << 6,
  LSTRIP: 1 << 7,
  RSTRIP: 1 << 8,
  SINGLE_WORD: 1 << 9,
} as const;

const A = TokenAttr;

// ---- pre-tokenizer families ------------------------------------------------------

interface PreFamily {
  splitters: readonly Splitter[];
  cleanSpaces: boolean;
  ignoreMerges: boolean;
  addBos: boolean;
}

const GPT2: Splitter[] = [splitGpt2];
const LLAMA3: Splitter[] = [splitLlama3];
const QWEN2: Splitter[] = [splitQwen2];
const DIGITS_GPT2: Splitter[] = [splitEachDigit, splitGpt2];
const DEFAULT: Splitter[] = [splitPunctRuns, splitGpt2, splitDigitRuns, splitAsciiTriples];

const fam = (splitters: Splitter[], cleanSpaces: boolean, ignoreMerges = false, addBos = false): PreFamily => ({
  splitters,
  cleanSpaces,
  ignoreMerges,
  addBos,
});

/** `tokenizer.ggml.pre` values we implement, with the flags llama.cpp sets for each. */
const PRE_TYPES: Record<string, PreFamily> = {
  default: fam(DEFAULT, true),
  // GPT-2 regex
  'gpt-2': fam(GPT2, true),
  'phi-2': fam(GPT2, true),
  mpt: fam(GPT2, true),
  olmo: fam(GPT2, true),
  jais: fam(GPT2, true),
  exaone4: fam(GPT2, true),
  // Llama 3 regex
  'llama-bpe': fam(LLAMA3, true, true, true),
  llama3: fam(LLAMA3, true, true, true),
  'llama-v3': fam(LLAMA3, true, true, true),
  falcon3: fam(LLAMA3, true, true, true),
  dbrx: fam(LLAMA3, true),
  'smaug-bpe': fam(LLAMA3, true),
  // Qwen2 regex
  qwen2: fam(QWEN2, false),
  'deepseek-r1-qwen': fam(QWEN2, false),
  stablelm2: fam(QWEN2, true),
  megrez: fam(QWEN2, true),
  // \p{N} then GPT-2 regex
  smollm: fam(DIGITS_GPT2, false),
  'command-r': fam(DIGITS_GPT2, false),
  starcoder: fam(DIGITS_GPT2, true),
  refact: fam(DIGITS_GPT2, true),
  codeshell: fam(DIGITS_GPT2, true),
  exaone: fam(DIGITS_GPT2, true),
  'minerva-7b': fam(DIGITS_GPT2, true),
};

export const SUPPORTED_PRE_TOKENIZERS: readonly string[] = Object.keys(PRE_TYPES);
export const SUPPORTED_MODELS: readonly string[] = ['gpt2', 'llama'];

// ---- metadata access -------------------------------------------------------------

type Meta = ReadonlyMap<string, GGUFMetadataValue>;

function metaValue(meta: Meta, key: string): unknown {
  return meta.get(key)?.value;
}

function metaString(meta: Meta, key: string): string | undefined {
  const v = metaValue(meta, key);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new TokenizerError(`metadata ${key} should be a string`);
  return v;
}

function metaInt(meta: Meta, key: string): number | undefined {
  const v = metaValue(meta, key);
  if (v === undefined) return undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TokenizerError(`metadata ${key} should be an integer`);
  return v;
}

function metaBool(meta: Meta, key: string): boolean | undefined {
  const v = metaValue(meta, key);
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new TokenizerError(`metadata ${key} should be a boolean`);
  return v;
}

function metaArray(meta: Meta, key: string): unknown[] | undefined {
  const v = metaValue(meta, key);
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new TokenizerError(`metadata ${key} should be an array`);
  return v;
}

// ---- tokenizer -------------------------------------------------------------------

const EOG_TEXTS = new Set([
  '<|eot_id|>', '<|im_end|>', '<|end|>', '<|return|>', '<|call|>', '<|flush|>', '<|calls|>', '<end_of_turn>',
  '<|endoftext|>', '</s>', '<|eom_id|>', '<EOT>', '_<EOT>', '[EOT]', '[EOS]', '<|end_of_text|>',
  '<end_of_utterance>', '<eos>', '<turn|>', '<|tool_response>', '<｜end▁of▁sentence｜>', '[e~[',
]);
const EOT_TEXTS = new Set([
  '<|eot_id|>', '<|im_end|>', '<|end|>', '<end_of_turn>', '<|endoftext|>', '<|end_of_text|>', '<EOT>', '_<EOT>',
  '[EOT]', '<｜end▁of▁sentence｜>', '<end_of_utterance>',
]);
const FIM_TEXTS = {
  pre: ['<|fim_prefix|>', '<fim-prefix>', '<fim_prefix>', '<｜fim▁begin｜>', '<PRE>', '▁<PRE>', '<|code_prefix|>', '<|prefix|>'],
  suf: ['<|fim_suffix|>', '<fim-suffix>', '<fim_suffix>', '<｜fim▁hole｜>', '<SUF>', '▁<SUF>', '<|code_suffix|>', '<|suffix|>'],
  mid: ['<|fim_middle|>', '<fim-middle>', '<fim_middle>', '<｜fim▁end｜>', '<MID>', '▁<MID>', '<|code_middle|>', '<|middle|>'],
  pad: ['<|fim_pad|>', '<fim-pad>', '<fim_pad>', '<PAD>', '[PAD]'],
  rep: ['<|fim_repo|>', '<|repo_name|>', '<fim-repo>', '<REPO>', '<reponame>'],
  sep: ['<|file_sep|>'],
};

const SPM_SPACE = '\u2581';
const HEX = '0123456789ABCDEF';
const EMPTY = new Uint8Array(0);

type Fragment = string | number; // raw text or a token id

function isCSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

interface SpmBigram {
  left: number;
  right: number;
  score: number;
  size: number;
}

interface BpeBigram {
  left: number;
  right: number;
  text: string;
  rank: number;
}

const spmBefore = (a: SpmBigram, b: SpmBigram) => a.score > b.score || (a.score === b.score && a.left < b.left);
const bpeBefore = (a: BpeBigram, b: BpeBigram) => a.rank < b.rank || (a.rank === b.rank && a.left < b.left);

const WORD_CACHE_LIMIT = 100_000;

class LlamaTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly model: 'gpt2' | 'llama';
  readonly pre: string;
  readonly bosId?: number;
  readonly eosId?: number;
  readonly eotId?: number;
  readonly eomId?: number;
  readonly unkId?: number;
  readonly padId?: number;
  readonly eogIds: ReadonlySet<number>;
  readonly addBos: boolean;
  readonly addEos: boolean;
  readonly addSpacePrefix: boolean;

  private readonly tokens: string[];
  private readonly types: Int32Array;
  private readonly attrs: Uint16Array;
  private readonly scores: Float32Array | undefined;
  private readonly textToId: Map<string, number>;
  private readonly ranks: Map<string, number> | undefined;
  private readonly family: PreFamily | undefined;
  private readonly cleanSpaces: boolean;
  private readonly specials: number[];
  private readonly byteTokens: Int32Array; // SPM byte fallback, -1 when none
  private readonly pieces: (Uint8Array | undefined)[];
  private readonly wordCache = new Map<string, number[]>();

  constructor(meta: Meta) {
    const model = metaString(meta, 'tokenizer.ggml.model');
    if (model === undefined) throw new TokenizerError('GGUF has no tokenizer.ggml.model');
    if (model !== 'gpt2' && model !== 'llama') {
      throw new TokenizerError(`unsupported tokenizer model '${model}' (supported: ${SUPPORTED_MODELS.join(', ')})`);
    }
    this.model = model;
    const pre = metaString(meta, 'tokenizer.ggml.pre');
    this.pre = pre ?? '';

    let addBos: boolean;
    let addEos = false;
    let addSpacePrefix: boolean;
    let bos: number | undefined;
    let eos: number | undefined;
    let unk: number | undefined;
    if (model === 'gpt2') {
      if (pre === undefined || pre === '') {
        throw new TokenizerError(
          `GGUF has no tokenizer.ggml.pre (llama.cpp would fall back to 'default' with a warning); supported: ${SUPPORTED_PRE_TOKENIZERS.join(', ')}`,
        );
      }
      const f = PRE_TYPES[pre];
      if (!f) {
        throw new TokenizerError(
          `unsupported pre-tokenizer '${pre}' (tokenizer.ggml.pre); supported: ${SUPPORTED_PRE_TOKENIZERS.join(', ')}`,
        );
      }
      this.family = f;
      this.cleanSpaces = f.cleanSpaces;
      addBos = f.addBos;
      addSpacePrefix = false;
      bos = 11;
      eos = 11;
    } else {
      this.family = undefined;
      this.cleanSpaces = false;
      addBos = true;
      addSpacePrefix = true;
      bos = 1;
      eos = 2;
      unk = 0;
    }
    addSpacePrefix = metaBool(meta, 'tokenizer.ggml.add_space_prefix') ?? addSpacePrefix;

    // tokens, scores, types
    const toks = metaArray(meta, 'tokenizer.ggml.tokens');
    if (!toks) throw new TokenizerError('GGUF has no tokenizer.ggml.tokens');
    const n = toks.length;
    this.vocabSize = n;
    const scoresArr = metaArray(meta, 'tokenizer.ggml.scores');
    if (scoresArr && scoresArr.length < n) throw new TokenizerError('tokenizer.ggml.scores is shorter than the token list');
    const typesArr = metaArray(meta, 'tokenizer.ggml.token_type');
    if (typesArr && typesArr.length < n) throw new TokenizerError('tokenizer.ggml.token_type is shorter than the token list');

    this.tokens = new Array<string>(n);
    this.types = new Int32Array(n);
    this.attrs = new Uint16Array(n);
    this.scores = scoresArr ? new Float32Array(n) : undefined;
    this.textToId = new Map();
    for (let i = 0; i < n; i++) {
      const raw = toks[i];
      if (typeof raw !== 'string') throw new TokenizerError(`tokenizer.ggml.tokens[${i}] is not a string`);
      const t = raw === '' ? `[EMPTY_${i}]` : raw;
      this.tokens[i] = t;
      this.textToId.set(t, i);
      if (this.scores) this.scores[i] = Number(scoresArr![i]);
      const ty = typesArr ? Number(typesArr[i]) : 1;
      this.types[i] = ty;
      this.attrs[i] =
        ty === 1 ? A.NORMAL
        : ty === 2 ? A.UNKNOWN
        : ty === 3 ? A.CONTROL
        : ty === 4 ? A.USER_DEFINED
        : ty === 5 ? A.UNUSED
        : ty === 6 ? A.BYTE
        : A.UNDEFINED;
    }

    // merges
    if (model === 'gpt2') {
      const merges = metaArray(meta, 'tokenizer.ggml.merges');
      if (!merges) throw new TokenizerError('GGUF has no tokenizer.ggml.merges');
      const ranks = new Map<string, number>();
      for (let i = 0; i < merges.length; i++) {
        const m = merges[i];
        if (typeof m !== 'string') throw new TokenizerError(`tokenizer.ggml.merges[${i}] is not a string`);
        // llama.cpp splits at the first space after position 0; a merge without one pairs "" with "".
        const key = m.indexOf(' ', 1) >= 0 ? m : ' ';
        if (!ranks.has(key)) ranks.set(key, i);
      }
      this.ranks = ranks;
    } else {
      this.ranks = undefined;
    }

    // special ids: defaults out of range are dropped, metadata in range overrides
    const ids: Record<string, number | undefined> = { bos, eos, unk, eot: undefined, eom: undefined, pad: undefined };
    const fim: Record<string, number | undefined> = {};
    const readId = (key: string, def: number | undefined): number | undefined => {
      let id = def !== undefined && def >= n ? undefined : def;
      const v = metaInt(meta, key);
      if (v !== undefined && v >= 0 && v < n) id = v;
      return id;
    };
    ids.bos = readId('tokenizer.ggml.bos_token_id', ids.bos);
    ids.eos = readId('tokenizer.ggml.eos_token_id', ids.eos);
    ids.eot = readId('tokenizer.ggml.eot_token_id', undefined);
    ids.eom = readId('tokenizer.ggml.eom_token_id', undefined);
    ids.unk = readId('tokenizer.ggml.unknown_token_id', ids.unk);
    ids.pad = readId('tokenizer.ggml.padding_token_id', undefined);
    fim.pre = readId('tokenizer.ggml.fim_pre_token_id', readId('tokenizer.ggml.prefix_token_id', undefined));
    fim.suf = readId('tokenizer.ggml.fim_suf_token_id', readId('tokenizer.ggml.suffix_token_id', undefined));
    fim.mid = readId('tokenizer.ggml.fim_mid_token_id', readId('tokenizer.ggml.middle_token_id', undefined));
    fim.pad = readId('tokenizer.ggml.fim_pad_token_id', undefined);
    fim.rep = readId('tokenizer.ggml.fim_rep_token_id', undefined);
    fim.sep = readId('tokenizer.ggml.fim_sep_token_id', undefined);

    addBos = metaBool(meta, 'tokenizer.ggml.add_bos_token') ?? addBos;
    addEos = metaBool(meta, 'tokenizer.ggml.add_eos_token') ?? addEos;

    // auto-detect EOT / EOM / FIM tokens by their text (llama.cpp marks them control)
    const markControl = (id: number) => {
      this.attrs[id] |= A.CONTROL;
    };
    const detect = (texts: Iterable<string>): number | undefined => {
      // llama.cpp takes the first candidate met while walking a hash map (unspecified order);
      // we take the first in its list order, which agrees with it on Llama 3 and Qwen.
      for (const t of texts) {
        const id = this.textToId.get(t);
        if (id !== undefined) {
          markControl(id);
          return id;
        }
      }
      return undefined;
    };
    if (ids.eot === undefined) ids.eot = detect(EOT_TEXTS);
    if (ids.eom === undefined) ids.eom = detect(['<|eom_id|>']);
    for (const k of Object.keys(FIM_TEXTS) as (keyof typeof FIM_TEXTS)[]) {
      if (fim[k] === undefined) fim[k] = detect(FIM_TEXTS[k]);
    }

    // control tokens whose text contains "unused" are unused
    for (let i = 0; i < n; i++) {
      if (this.attrs[i] & A.CONTROL && this.textToId.get(this.tokens[i]) === i && this.tokens[i].includes('unused')) {
        this.attrs[i] |= A.UNUSED;
      }
    }

    // end-of-generation set
    const eog = new Set<number>();
    for (const id of [fim.pad, fim.rep, fim.sep]) if (id !== undefined) eog.add(id);
    for (const t of EOG_TEXTS) {
      const id = this.textToId.get(t);
      if (id !== undefined) {
        eog.add(id);
        markControl(id);
      }
    }
    for (const t of ['<|channel|>', '<|message|>', '<|start|>', '<|constrain|>']) {
      const id = this.textToId.get(t);
      if (id !== undefined) this.attrs[id] = A.USER_DEFINED;
    }
    for (const id of [ids.eos, ids.eot, ids.eom]) if (id !== undefined) eog.add(id);
    {
      const has = (t: string) => [...eog].some((id) => this.tokens[id] === t);
      const endId = [...eog].find((id) => this.tokens[id] === '<|end|>');
      if (endId !== undefined && ((has('<|return|>') && has('<|call|>')) || ((has('<|call|>') || has('<|calls|>')) && has('<|flush|>')))) {
        eog.delete(endId);
        this.attrs[endId] = A.USER_DEFINED;
      }
      const sId = [...eog].find((id) => this.tokens[id] === '</s>');
      if (sId !== undefined && has('<|tool_response>')) {
        eog.delete(sId);
        this.attrs[sId] = A.NORMAL;
      }
    }
    this.eogIds = eog;

    // special-token cache, longest text first
    const specials: number[] = [];
    for (let i = 0; i < n; i++) if (this.attrs[i] & (A.CONTROL | A.USER_DEFINED | A.UNKNOWN)) specials.push(i);
    specials.sort((a, b) => this.tokens[b].length - this.tokens[a].length || a - b);
    this.specials = specials;

    // per-model attribute fix-ups that llama.cpp applies by model name
    const name = (metaValue(meta, 'general.name') as string | undefined)?.toLowerCase() ?? '';
    if (name.includes('phi-3') || name.includes('phi3')) {
      for (const id of specials) this.attrs[id] |= A.RSTRIP;
      const set = (t: string, on: boolean) => {
        const id = this.textToId.get(t);
        if (id !== undefined) this.attrs[id] = on ? this.attrs[id] | A.RSTRIP : this.attrs[id] & ~A.RSTRIP;
      };
      set('</s>', true);
      for (const t of ['<unk>', '<s>', '<|endoftext|>']) set(t, false);
    }

    // SPM byte fallback
    this.byteTokens = new Int32Array(256).fill(-1);
    if (model === 'llama') {
      for (let b = 0; b < 256; b++) {
        let id = this.textToId.get(`<0x${HEX[b >> 4]}${HEX[b & 15]}>`);
        if (id === undefined && b < 0x80) id = this.textToId.get(String.fromCharCode(b));
        this.byteTokens[b] = id ?? ids.unk ?? -1;
      }
    }

    this.bosId = ids.bos;
    this.eosId = ids.eos;
    this.eotId = ids.eot;
    this.eomId = ids.eom;
    this.unkId = ids.unk;
    this.padId = ids.pad;
    this.addBos = addBos;
    this.addEos = addEos;
    this.addSpacePrefix = addSpacePrefix;
    this.pieces = new Array(n);
  }

  // ---- public API ----

  tokenText(id: number): string {
    this.check(id);
    return this.tokens[id];
  }

  tokenType(id: number): number {
    this.check(id);
    return this.types[id];
  }

  tokenAttr(id: number): number {
    this.check(id);
    return this.attrs[id];
  }

  tokenId(text: string): number | undefined {
    return this.textToId.get(text);
  }

  isEog(id: number): boolean {
    return this.eogIds.has(id);
  }

  tokenBytes(id: number): Uint8Array {
    this.check(id);
    return this.piece(id).slice();
  }

  encode(text: string, options: TokenizeOptions = {}): number[] {
    const addSpecial = options.addSpecial ?? true;
    const parseSpecial = options.parseSpecial ?? true;
    const input = wellFormed(text);
    const frags = input.length > 0 ? this.partition(input, parseSpecial) : [];
    const out: number[] = [];

    if (addSpecial && this.addBos) {
      if (this.bosId === undefined) throw new TokenizerError('add_bos is set but the vocabulary has no BOS token');
      out.push(this.bosId);
    }
    if (this.model === 'llama') {
      let prevSpecial = true;
      for (const f of frags) {
        if (typeof f === 'string') {
          const t = (this.addSpacePrefix && prevSpecial ? ' ' : '') + f;
          this.spm(t.replaceAll(' ', SPM_SPACE), out);
          prevSpecial = false;
        } else {
          out.push(f);
          prevSpecial = true;
        }
      }
    } else {
      for (const f of frags) {
        if (typeof f === 'string') this.bpe(f, out);
        else out.push(f);
      }
    }
    if (addSpecial && this.addEos) {
      if (this.eosId === undefined) throw new TokenizerError('add_eos is set but the vocabulary has no EOS token');
      out.push(this.eosId);
    }
    return out;
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const removeSpecial = options.removeSpecial ?? false;
    let start = 0;
    let end = ids.length;
    let removeSpace = this.addSpacePrefix;
    if (removeSpecial && this.addBos && end > 0 && ids[0] === this.bosId) {
      removeSpace = false;
      start = 1;
    }
    if (removeSpecial && this.addEos && end > start && ids[end - 1] === this.eosId) end--;
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = start; i < end; i++) {
      let p = this.pieceFor(ids[i], !removeSpecial);
      if (removeSpace && p.length > 0 && p[0] === 0x20) p = p.subarray(1);
      removeSpace = false;
      parts.push(p);
      total += p.length;
    }
    const bytes = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      bytes.set(p, o);
      o += p.length;
    }
    const s = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
    return this.cleanSpaces ? cleanUpSpaces(s) : s;
  }

  createStreamDecoder(options: DecodeOptions = {}): StreamDecoder {
    return new LlamaStreamDecoder(this, options.removeSpecial ?? false, this.cleanSpaces);
  }

  // ---- internals ----

  /** @internal piece bytes for decoding: empty for control/unknown when !special. */
  pieceFor(id: number, special: boolean): Uint8Array {
    this.check(id);
    if (!special && this.attrs[id] & (A.UNKNOWN | A.CONTROL)) return EMPTY;
    return this.piece(id);
  }

  private check(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new TokenizerError(`token id ${id} is out of range (vocabulary has ${this.vocabSize})`);
    }
  }

  /** token_to_piece(special = true), cached. */
  private piece(id: number): Uint8Array {
    let p = this.pieces[id];
    if (p) return p;
    const attr = this.attrs[id];
    const text = this.tokens[id];
    if (attr & (A.UNKNOWN | A.CONTROL | A.USER_DEFINED)) {
      p = utf8Encoder.encode(text);
    } else if (attr & A.NORMAL) {
      p = this.model === 'llama' ? utf8Encoder.encode(text.replaceAll(SPM_SPACE, ' ')) : byteLevelDecode(text);
    } else if (attr & A.BYTE) {
      p = Uint8Array.of(parseInt(text.substring(3, 5), 16) || 0);
    } else {
      p = EMPTY;
    }
    this.pieces[id] = p;
    return p;
  }

  /** tokenizer_st_partition */
  private partition(text: string, parseSpecial: boolean): Fragment[] {
    let frags: Fragment[] = [text];
    for (const id of this.specials) {
      const attr = this.attrs[id];
      if (!parseSpecial && attr & (A.CONTROL | A.UNKNOWN)) continue;
      const tok = this.tokens[id];
      let next: Fragment[] | undefined;
      for (let fi = 0; fi < frags.length; fi++) {
        const f = frags[fi];
        if (typeof f !== 'string') {
          next?.push(f);
          continue;
        }
        let m = f.indexOf(tok);
        if (m < 0) {
          next?.push(f);
          continue;
        }
        next ??= frags.slice(0, fi);
        let pos = 0;
        while (m >= 0) {
          let leftEnd = m;
          if (attr & A.LSTRIP) while (leftEnd > pos && isCSpace(f.charCodeAt(leftEnd - 1))) leftEnd--;
          if (leftEnd > pos) next.push(f.slice(pos, leftEnd));
          next.push(id);
          pos = m + tok.length;
          if (attr & A.RSTRIP) while (pos < f.length && isCSpace(f.charCodeAt(pos))) pos++;
          m = pos < f.length ? f.indexOf(tok, pos) : -1;
        }
        if (pos < f.length) next.push(f.slice(pos));
      }
      if (next) frags = next;
    }
    return frags;
  }

  /** llm_tokenizer_spm_session::tokenize on already-escaped text. */
  private spm(text: string, out: number[]): void {
    const sym: string[] = [];
    for (const ch of text) sym.push(ch);
    const n = sym.length;
    if (n === 0) return;
    const prev = new Int32Array(n);
    const next = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    const scores = this.scores;
    const heap = new Heap<SpmBigram>(spmBefore);
    const tryAdd = (l: number, r: number) => {
      if (l < 0 || r < 0) return;
      const t = sym[l] + sym[r];
      const id = this.textToId.get(t);
      if (id === undefined) return;
      heap.push({ left: l, right: r, score: scores ? scores[id] : 0, size: t.length });
    };
    for (let i = 1; i < n; i++) tryAdd(i - 1, i);
    for (let b = heap.pop(); b; b = heap.pop()) {
      const ls = sym[b.left];
      const rs = sym[b.right];
      if (ls.length === 0 || rs.length === 0 || ls.length + rs.length !== b.size) continue;
      sym[b.left] = ls + rs;
      sym[b.right] = '';
      const rn = next[b.right];
      next[b.left] = rn;
      if (rn >= 0) prev[rn] = b.left;
      tryAdd(prev[b.left], b.left);
      tryAdd(b.left, next[b.left]);
    }
    for (let i = 0; i !== -1; i = next[i]) {
      const s = sym[i];
      const id = this.textToId.get(s);
      if (id !== undefined) {
        out.push(id);
        continue;
      }
      const bytes = utf8Encoder.encode(s);
      for (const byte of bytes) {
        const bid = this.byteTokens[byte];
        if (bid < 0) {
          throw new TokenizerError(`no byte token <0x${HEX[byte >> 4]}${HEX[byte & 15]}> and no unknown token for '${s}'`);
        }
        out.push(bid);
      }
    }
  }

  /** Byte-level BPE over one raw-text fragment. */
  private bpe(text: string, out: number[]): void {
    const cps = codePoints(text);
    const lens = preTokenize(cps, this.family!.splitters);
    let start = 0;
    const bytes: number[] = [];
    for (const len of lens) {
      bytes.length = 0;
      for (let i = start; i < start + len; i++) pushUtf8(cps[i], bytes);
      start += len;
      let word = '';
      for (const b of bytes) word += BYTE_TO_CHAR[b];
      let ids = this.wordCache.get(word);
      if (!ids) {
        ids = this.bpeWord(word);
        if (this.wordCache.size >= WORD_CACHE_LIMIT) this.wordCache.clear();
        this.wordCache.set(word, ids);
      }
      for (const id of ids) out.push(id);
    }
  }

  private bpeWord(word: string): number[] {
    const direct = this.textToId.get(word);
    if (direct !== undefined && (this.family!.ignoreMerges || word.length === 1)) return [direct];
    // byte-encoded words are all BMP characters: one symbol per UTF-16 unit
    const n = word.length;
    const sym: string[] = new Array(n);
    for (let i = 0; i < n; i++) sym[i] = word[i];
    const prev = new Int32Array(n);
    const next = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    const ranks = this.ranks!;
    const heap = new Heap<BpeBigram>(bpeBefore);
    const add = (l: number, r: number) => {
      if (l < 0 || r < 0) return;
      const rank = ranks.get(sym[l] + ' ' + sym[r]);
      if (rank === undefined) return;
      heap.push({ left: l, right: r, text: sym[l] + sym[r], rank });
    };
    for (let i = 1; i < n; i++) add(i - 1, i);
    for (let b = heap.pop(); b; b = heap.pop()) {
      const ls = sym[b.left];
      const rs = sym[b.right];
      if (ls.length === 0 || rs.length === 0) continue;
      if (ls.length + rs.length !== b.text.length || ls + rs !== b.text) continue;
      sym[b.left] = b.text;
      sym[b.right] = '';
      const rn = next[b.right];
      next[b.left] = rn;
      if (rn >= 0) prev[rn] = b.left;
      add(prev[b.left], b.left);
      add(b.left, next[b.left]);
    }
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = sym[i];
      if (s.length === 0) continue;
      const id = this.textToId.get(s);
      if (id !== undefined) {
        ids.push(id);
        continue;
      }
      // llama.cpp looks each UTF-8 byte of the symbol up as a one-byte token; only ASCII can match
      for (const byte of utf8Encoder.encode(s)) {
        if (byte < 0x80) {
          const bid = this.textToId.get(String.fromCharCode(byte));
          if (bid !== undefined) ids.push(bid);
        }
      }
    }
    return ids;
  }
}

/** GPT-2 byte-level token text back to bytes (llama_decode_text). */
function byteLevelDecode(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const b = cp < 512 ? CHAR_TO_BYTE[cp] : -1;
    if (b >= 0) {
      out.push(b);
      continue;
    }
    const u = utf8Encoder.encode(ch);
    let s = '[UNK_BYTE_0x';
    for (const x of u) s += x.toString(16).padStart(2, '0');
    s += text + ']';
    for (const x of utf8Encoder.encode(s)) out.push(x);
  }
  return Uint8Array.from(out);
}

/**
 * llama_detokenize's clean_spaces passes: drop the space before ? ! . , ; turn " ' " into
 * "'"; drop the space before 's 'm 're 've.
 */
export function cleanUpSpaces(s: string): string {
  return s
    .replace(/ (?=[?!.,])/g, '')
    .replace(/ ' /g, "'")
    .replace(/ (?='s|'m|'re|'ve)/g, '');
}

/**
 * Where the pending text may be cut so that no clean-up match crosses the cut: no space in
 * the 6 characters before it that could start one (a space followed by ?!.,' or a space,
 * or by nothing yet), and the cut not inside a surrogate pair.
 */
function safeCut(s: string): number {
  let p = s.length;
  for (;;) {
    let bad = -1;
    for (let i = Math.max(0, p - 6); i < p; i++) {
      if (s.charCodeAt(i) !== 0x20) continue;
      const nx = i + 1 < s.length ? s[i + 1] : '';
      if (nx === '' || nx === ' ' || nx === "'" || nx === '?' || nx === '!' || nx === '.' || nx === ',') bad = i;
    }
    if (bad < 0) break;
    p = bad;
    if (p === 0) return 0;
  }
  if (p > 0 && p < s.length) {
    const c = s.charCodeAt(p - 1);
    if (c >= 0xd800 && c <= 0xdbff) p--;
  }
  return p;
}

class LlamaStreamDecoder implements StreamDecoder {
  private decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private first = true;
  private removeSpace: boolean;
  private pending = '';

  constructor(
    private readonly tok: LlamaTokenizer,
    private readonly removeSpecial: boolean,
    private readonly clean: boolean,
  ) {
    this.removeSpace = tok.addSpacePrefix;
  }

  push(id: number): string {
    if (this.first) {
      this.first = false;
      if (this.removeSpecial && this.tok.addBos && id === this.tok.bosId) {
        this.removeSpace = false;
        return '';
      }
    }
    let p = this.tok.pieceFor(id, !this.removeSpecial);
    if (this.removeSpace && p.length > 0 && p[0] === 0x20) p = p.subarray(1);
    this.removeSpace = false;
    const text = this.decoder.decode(p, { stream: true });
    if (!this.clean) return text;
    this.pending += text;
    const cut = safeCut(this.pending);
    if (cut === 0) return '';
    const emit = cleanUpSpaces(this.pending.slice(0, cut));
    this.pending = this.pending.slice(cut);
    return emit;
  }

  flush(): string {
    let text = this.decoder.decode();
    if (this.clean) {
      text = cleanUpSpaces(this.pending + text);
      this.pending = '';
    }
    this.decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    this.first = true;
    this.removeSpace = this.tok.addSpacePrefix;
    return text;
  }
}

export function tokenizerFromGGUF(meta: ReadonlyMap<string, GGUFMetadataValue>): Tokenizer {
  return new LlamaTokenizer(meta);
}
