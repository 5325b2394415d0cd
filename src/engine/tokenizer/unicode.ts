/**
 * Unicode helpers for the tokenisers: code point categories as llama.cpp's
 * unicode.cpp sees them, GPT-2's byte <-> unicode mapping, and UTF-8 helpers.
 *
 * Categories come from the JS engine's Unicode tables (\p{L}, \p{N}, \p{P});
 * whitespace is llama.cpp's own set (it differs from JS \s: it includes U+0085
 * and excludes U+FEFF). Results are cached per code point.
 */

export const CAT_LETTER = 1;
export const CAT_NUMBER = 2;
export const CAT_WHITESPACE = 4;
export const CAT_PUNCT = 8;
const CAT_DONE = 128;

const LLAMA_WHITESPACE = new Set<number>([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005,
  0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

const RE_L = /^\p{L}$/u;
const RE_N = /^\p{N}$/u;
const RE_P = /^\p{P}$/u;

const catCache = new Uint8Array(0x110000);

function computeCat(cp: number): number {
  let f = CAT_DONE;
  if (cp >= 0xd800 && cp <= 0xdfff) return f; // surrogates never reach here (input is made well-formed)
  const s = String.fromCodePoint(cp);
  if (RE_L.test(s)) f |= CAT_LETTER;
  else if (RE_N.test(s)) f |= CAT_NUMBER;
  else if (RE_P.test(s)) f |= CAT_PUNCT;
  if (LLAMA_WHITESPACE.has(cp)) f |= CAT_WHITESPACE;
  return f;
}

/** Category bits of a code point (CAT_* flags). */
export function cat(cp: number): number {
  let f = catCache[cp];
  if (f === 0) {
    f = computeCat(cp);
    catCache[cp] = f;
  }
  return f;
}

export const isLetter = (cp: number): boolean => (cat(cp) & CAT_LETTER) !== 0;
export const isNumber = (cp: number): boolean => (cat(cp) & CAT_NUMBER) !== 0;
export const isWhitespace = (cp: number): boolean => (cat(cp) & CAT_WHITESPACE) !== 0;

/** The string as code points. */
export function codePoints(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out.push(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000);
        i++;
        continue;
      }
    }
    out.push(c);
  }
  return out;
}

/** Replace lone surrogates with U+FFFD, as UTF-8 encoding of the text would. */
export function wellFormed(s: string): string {
  const f = (s as unknown as { toWellFormed?: () => string }).toWellFormed;
  if (typeof f === 'function') return f.call(s);
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

export const utf8Encoder = new TextEncoder();

/** Append the UTF-8 bytes of a code point. */
export function pushUtf8(cp: number, out: number[]): void {
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
}

// ---- GPT-2 byte-level mapping -------------------------------------------------

/** byte -> the character GPT-2's byte-level BPE uses for it. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const map: string[] = new Array(256);
  const direct = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (direct(b)) map[b] = String.fromCharCode(b);
  }
  for (let b = 0; b < 256; b++) {
    if (!direct(b)) map[b] = String.fromCharCode(256 + n++);
  }
  return map;
})();

/** code point -> byte, for the 256 characters of the GPT-2 mapping (else -1). */
export const CHAR_TO_BYTE: Int16Array = (() => {
  const t = new Int16Array(512).fill(-1);
  BYTE_TO_CHAR.forEach((ch, b) => {
    t[ch.charCodeAt(0)] = b;
  });
  return t;
})();
