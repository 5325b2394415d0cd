import { beforeAll, describe, expect, it } from 'vitest';
import { openGGUF } from '../../src/engine/gguf/reader.js';
import { tokenizerFromGGUF, type Tokenizer } from '../../src/engine/tokenizer/index.js';
import { VOCABS, type VocabName } from '../fixtures/vocab.js';
import { askLlamaCpp, oracleInstalled, type OracleResult } from '../peers/oracle.js';
import { CORPUS, SPECIAL_TEXTS } from './corpus.js';
import { testModelPath, type TestModel } from './models.js';

/**
 * Token ids against llama.cpp for each real vocabulary, on the same GGUF file: with special tokens
 * parsed and not (llama_tokenize's parse_special), without BOS/EOS (those follow metadata and are
 * checked by the engine's own tests).
 */
const NAMES = Object.keys(VOCABS) as VocabName[];
const models: Record<string, TestModel> = Object.fromEntries(
  NAMES.map((name) => [name, { arch: 'llama', quant: 'F16', vocabName: name, vocab: VOCABS[name], width: 64, layers: 1, ff: 128 } satisfies TestModel]),
);

function textsFor(name: VocabName) {
  const texts = [...CORPUS, ...(SPECIAL_TEXTS[name] ?? [])];
  return [...texts.map((text) => ({ text, special: true })), ...texts.map((text) => ({ text, special: false }))];
}

describe.skipIf(!oracleInstalled())('tokeniser conformance with llama.cpp', () => {
  const theirs = new Map<VocabName, OracleResult>();
  const ours = new Map<VocabName, Tokenizer>();

  beforeAll(async () => {
    const results = await askLlamaCpp(NAMES.map((name) => ({ model: testModelPath(models[name]), tokenize: textsFor(name) })));
    NAMES.forEach((name, i) => {
      theirs.set(name, results[i]);
      const file = openGGUF(testModelPath(models[name]));
      ours.set(name, tokenizerFromGGUF(file.metadata));
      file.close();
    });
  }, 600_000);

  for (const name of NAMES) {
    it(`${name}: same ids as llama.cpp on the corpus`, () => {
      const tok = ours.get(name)!;
      const expected = theirs.get(name)!.tokenize!;
      textsFor(name).forEach(({ text, special }, i) => {
        const got = tok.encode(text, { addSpecial: false, parseSpecial: special });
        expect(got, `${JSON.stringify(text)} (special=${special})`).toEqual(expected[i]);
      });
    });
  }
});
