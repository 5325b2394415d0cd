/**
 * Pre-tokenizers for byte-level BPE, one per llama.cpp `tokenizer.ggml.pre` family.
 *
 * llama.cpp applies a list of regexes in turn, each splitting the pieces the previous one
 * produced (unicode_regex_split). The common regexes it runs as hand-written scanners
 * (gpt2, llama3, qwen2); the others through std::regex on a "collapsed" text. These are
 * our own scanners with the same semantics, including llama.cpp's quirks (its
 * whitespace set, how a trailing space is grouped, `\s+(?!\S)` giving back one space).
 *
 * A split works on code points; pieces are given as lengths (in code points) that cover
 * the text in order.
 */
import { CAT_LETTER, CAT_NUMBER, CAT_PUNCT, CAT_WHITESPACE, cat } from './unicode.js';

export type Splitter = (cps: readonly number[], pieces: number[]) => number[];

const OUT = -1;

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

/**
 * `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` (GPT-2).
 */
export const splitGpt2: Splitter = (cps, pieces) => {
  const out: number[] = [];
  let start = 0;
  for (const len of pieces) {
    const ini = start;
    const end = start + len;
    start = end;
    const cpt = (p: number) => (p >= ini && p < end ? cps[p] : OUT);
    const fl = (p: number) => (p >= ini && p < end ? cat(cps[p]) : 0);
    let prev = ini;
    const emit = (e: number) => {
      const n = e - prev;
      if (n > 0) out.push(n);
      prev = e;
      return n;
    };
    let pos = ini;
    while (pos < end) {
      const c = cps[pos];
      if (c === 0x27 && pos + 1 < end) {
        const n1 = cpt(pos + 1);
        if (n1 === 0x73 || n1 === 0x74 || n1 === 0x6d || n1 === 0x64) {
          pos += emit(pos + 2);
          continue;
        }
        if (pos + 2 < end) {
          const n2 = cpt(pos + 2);
          if ((n1 === 0x72 && n2 === 0x65) || (n1 === 0x76 && n2 === 0x65) || (n1 === 0x6c && n2 === 0x6c)) {
            pos += emit(pos + 3);
            continue;
          }
        }
      }
      let f2 = c === 0x20 ? fl(pos + 1) : fl(pos);
      if (f2 & CAT_LETTER) {
        if (c === 0x20) pos++;
        while (f2 & CAT_LETTER) f2 = fl(++pos);
        emit(pos);
        continue;
      }
      if (f2 & CAT_NUMBER) {
        if (c === 0x20) pos++;
        while (f2 & CAT_NUMBER) f2 = fl(++pos);
        emit(pos);
        continue;
      }
      if (!(f2 & (CAT_WHITESPACE | CAT_LETTER | CAT_NUMBER)) && f2 !== 0) {
        if (c === 0x20) pos++;
        while (!(f2 & (CAT_WHITESPACE | CAT_LETTER | CAT_NUMBER)) && f2 !== 0) f2 = fl(++pos);
        emit(pos);
        continue;
      }
      let nws = 0;
      while (fl(pos + nws) & CAT_WHITESPACE) nws++;
      if (nws > 1 && cpt(pos + nws) !== OUT) {
        pos += nws - 1;
        emit(pos);
        continue;
      }
      if (nws > 0) {
        pos += nws;
        emit(pos);
        continue;
      }
      emit(++pos);
    }
  }
  return out;
};

/**
 * Llama 3 (maxDigits 3) and Qwen2 (maxDigits 1):
 * `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
 */
function makeLlama3Splitter(maxDigits: number): Splitter {
  return (cps, pieces) => {
    const out: number[] = [];
    let start = 0;
    for (const len of pieces) {
      const ini = start;
      const end = start + len;
      start = end;
      const cpt = (p: number) => (p >= ini && p < end ? cps[p] : OUT);
      const fl = (p: number) => (p >= ini && p < end ? cat(cps[p]) : 0);
      let prev = ini;
      const emit = (e: number) => {
        const n = e - prev;
        if (n > 0) out.push(n);
        prev = e;
        return n;
      };
      let pos = ini;
      while (pos < end) {
        const c = cps[pos];
        const f = cat(c);
        if (c === 0x27 && pos + 1 < end) {
          const n1 = lower(cpt(pos + 1));
          if (n1 === 0x73 || n1 === 0x74 || n1 === 0x6d || n1 === 0x64) {
            pos += emit(pos + 2);
            continue;
          }
          if (pos + 2 < end) {
            const n2 = lower(cpt(pos + 2));
            if ((n1 === 0x72 && n2 === 0x65) || (n1 === 0x76 && n2 === 0x65) || (n1 === 0x6c && n2 === 0x6c)) {
              pos += emit(pos + 3);
              continue;
            }
          }
        }
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if (!(c === 0x0d || c === 0x0a || f & CAT_NUMBER)) {
          if (f & CAT_LETTER || fl(pos + 1) & CAT_LETTER) {
            pos++;
            while (fl(pos) & CAT_LETTER) pos++;
            emit(pos);
            continue;
          }
        }
        // \p{N}{1,maxDigits}
        if (f & CAT_NUMBER) {
          let run = pos;
          while (fl(pos) & CAT_NUMBER) {
            pos++;
            if (pos - run >= maxDigits) {
              emit(pos);
              run = pos;
            }
          }
          emit(pos);
          continue;
        }
        // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
        let f2 = c === 0x20 ? fl(pos + 1) : f;
        if (!(f2 & (CAT_WHITESPACE | CAT_LETTER | CAT_NUMBER)) && f !== 0) {
          if (c === 0x20) pos++;
          while (!(f2 & (CAT_WHITESPACE | CAT_LETTER | CAT_NUMBER)) && f2 !== 0) f2 = fl(++pos);
          let c2 = cpt(pos);
          while (c2 === 0x0d || c2 === 0x0a) c2 = cpt(++pos);
          emit(pos);
          continue;
        }
        let nws = 0;
        let lastNl = 0;
        while (fl(pos + nws) & CAT_WHITESPACE) {
          const c2 = cps[pos + nws];
          if (c2 === 0x0d || c2 === 0x0a) lastNl = pos + nws + 1;
          nws++;
        }
        // \s*[\r\n]+
        if (lastNl > 0) {
          pos = lastNl;
          emit(pos);
          continue;
        }
        // \s+(?!\S)
        if (nws > 1 && cpt(pos + nws) !== OUT) {
          pos += nws - 1;
          emit(pos);
          continue;
        }
        if (nws > 0) {
          pos += nws;
          emit(pos);
          continue;
        }
        emit(++pos);
      }
    }
    return out;
  };
}

export const splitLlama3 = makeLlama3Splitter(3);
export const splitQwen2 = makeLlama3Splitter(1);

/**
 * A regex that matches runs (or single code points) of a predicate, as std::regex's
 * iterator would split: each match is one piece, and so is each stretch between matches.
 */
function runSplitter(pred: (cp: number) => boolean, single: boolean): Splitter {
  return (cps, pieces) => {
    const out: number[] = [];
    let start = 0;
    for (const len of pieces) {
      const end = start + len;
      let prev = start;
      let pos = start;
      while (pos < end) {
        if (!pred(cps[pos])) {
          pos++;
          continue;
        }
        if (pos > prev) out.push(pos - prev);
        let e = pos + 1;
        if (!single) while (e < end && pred(cps[e])) e++;
        out.push(e - pos);
        prev = pos = e;
      }
      if (end > prev) out.push(end - prev);
      start = end;
    }
    return out;
  };
}

/** `\p{N}`: every number code point on its own (smollm, starcoder, ...). */
export const splitEachDigit = runSplitter((cp) => (cat(cp) & (CAT_NUMBER | CAT_WHITESPACE)) === CAT_NUMBER, true);
/** `\p{N}+` */
export const splitDigitRuns = runSplitter((cp) => (cat(cp) & (CAT_NUMBER | CAT_WHITESPACE)) === CAT_NUMBER, false);

const ASCII_P = new Set<number>();
for (const ch of '!"#%&\'()*,-./:;?@[\\]_{}') ASCII_P.add(ch.charCodeAt(0));
for (const ch of '$+<=>^~|') ASCII_P.add(ch.charCodeAt(0));
/** `[\p{P}\$\+<=>\^~\|]+` as llama.cpp's collapsed std::regex sees it. */
export const splitPunctRuns = runSplitter(
  (cp) => (cp < 128 ? ASCII_P.has(cp) : (cat(cp) & (CAT_PUNCT | CAT_WHITESPACE)) === CAT_PUNCT),
  false,
);

/** `[0-9][0-9][0-9]` */
export const splitAsciiTriples: Splitter = (cps, pieces) => {
  const out: number[] = [];
  const dig = (c: number) => c >= 0x30 && c <= 0x39;
  let start = 0;
  for (const len of pieces) {
    const end = start + len;
    let prev = start;
    let pos = start;
    while (pos + 3 <= end) {
      if (dig(cps[pos]) && dig(cps[pos + 1]) && dig(cps[pos + 2])) {
        if (pos > prev) out.push(pos - prev);
        out.push(3);
        pos += 3;
        prev = pos;
      } else pos++;
    }
    if (end > prev) out.push(end - prev);
    start = end;
  }
  return out;
};

/** Run the splitters in order over the whole text; returns piece lengths. */
export function preTokenize(cps: readonly number[], splitters: readonly Splitter[]): number[] {
  let pieces = cps.length > 0 ? [cps.length] : [];
  for (const s of splitters) pieces = s(cps, pieces);
  return pieces;
}
