import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GGUFError, loadModel, ModelError } from '../../src/index.js';
import { encodeGGUF, gguf, parseGGUF } from '../../src/engine/gguf/index.js';
import { smallGpt2Vocab } from '../fixtures/small-vocab.js';
import { testModelPath } from '../conformance/models.js';
import { cpuAvailable } from '../../src/engine/backend/cpu/index.js';
import { loadNative } from '../../src/engine/native/load.js';
import { mappingsOf } from '../../bench/lib/pages.js';
import { probeWebGPU } from '../../src/engine/backend/webgpu/index.js';

const model = () => testModelPath({ arch: 'llama', quant: 'Q4_0', vocabName: 'gpt2-1024', vocab: () => smallGpt2Vocab(1024) });

describe('loadModel', () => {
  it('loads, tokenises, completes greedily and reuses the prompt cache', async () => {
    const m = await loadModel(model(), { backend: 'reference', contextLength: 64 });
    try {
      expect(m.info.architecture).toBe('llama');
      expect(m.info.quantisation.Q4_0).toBeGreaterThan(0);
      expect(m.info.quantisation.Q6_K).toBe(1); // the output matrix, as in real Q4_0 files
      const ids = m.tokenize('Hello world');
      expect(m.detokenize(ids)).toBe('Hello world');
      const a = await m.completeAll('Hello world', { maxTokens: 8, sampling: { temperature: 0 } });
      expect(a.ids).toHaveLength(8);
      expect(a.stopReason).toBe('length');
      const b = await m.completeAll('Hello world', { maxTokens: 8, sampling: { temperature: 0 } });
      expect(b.ids).toEqual(a.ids);
      expect(b.cachedPromptTokens).toBeGreaterThan(0);
      // The streamed text is the result's text.
      let streamed = '';
      for await (const p of m.complete('Hello world', { maxTokens: 8, sampling: { temperature: 0 } })) streamed += p.text;
      expect(streamed).toBe(a.text);
    } finally {
      m.dispose();
    }
  });

  it('gives the same greedy tokens on the native cpu backend as on the reference', async () => {
    const ref = await loadModel(model(), { backend: 'reference', contextLength: 64 });
    const auto = await loadModel(model(), { backend: 'auto', contextLength: 64 });
    try {
      const a = await ref.completeAll('The quick brown fox', { maxTokens: 16, sampling: { temperature: 0 } });
      const b = await auto.completeAll('The quick brown fox', { maxTokens: 16, sampling: { temperature: 0 } });
      expect(b.ids).toEqual(a.ids);
    } finally {
      ref.dispose();
      auto.dispose();
    }
  });

  it('embeds text as the unit-length mean of the final hidden states, and keeps generating right after', async () => {
    const m = await loadModel(model(), { backend: 'reference', contextLength: 64 });
    try {
      const before = await m.completeAll('Hello world', { maxTokens: 6, sampling: { temperature: 0 } });
      const a = await m.embed('Hello world');
      expect(a).toHaveLength(m.config.embeddingLength);
      expect(Math.hypot(...a)).toBeCloseTo(1, 5);
      expect(await m.embed(m.tokenize('Hello world'))).toEqual(a);
      expect(await m.embed('Something else')).not.toEqual(a);
      const after = await m.completeAll('Hello world', { maxTokens: 6, sampling: { temperature: 0 } });
      expect(after.ids).toEqual(before.ids);
      expect(after.cachedPromptTokens).toBe(0); // the embedding replaced the cache
    } finally {
      m.dispose();
    }
  });

  it('evaluates raw logits from position 0: the last row of all logits, into the caller\'s array on request, and the cache reused after', async () => {
    const m = await loadModel(model(), { backend: 'reference', contextLength: 64 });
    try {
      const ids = m.tokenize('Hello world');
      const V = m.config.vocabSize;
      const last = await m.evaluate(ids);
      expect(last).toHaveLength(V);
      const all = await m.evaluate(ids, { allLogits: true });
      expect(all).toHaveLength(ids.length * V);
      expect(Array.from(all.subarray((ids.length - 1) * V))).toEqual(Array.from(last));
      await expect(m.evaluate(ids, { into: new Float32Array(V + 1) })).rejects.toThrow(`into must be a Float32Array of ${V} values`);
      const row = new Float32Array(V);
      expect(await m.evaluate(ids, { into: row })).toBe(row);
      expect(Array.from(row)).toEqual(Array.from(last));
      // The greedy first token is the argmax of those logits, and the evaluated prompt is reused.
      const argmax = last.reduce((b, v, i) => (v > last[b]! ? i : b), 0);
      const next = await m.completeAll(ids, { maxTokens: 1, sampling: { temperature: 0 } });
      expect(next.ids).toEqual([argmax]);
      expect(next.cachedPromptTokens).toBe(ids.length - 1);
    } finally {
      m.dispose();
    }
  });

  it('renders chats with the fallback template and stops on abort', async () => {
    const m = await loadModel(model(), { backend: 'reference', contextLength: 128 });
    try {
      const ac = new AbortController();
      const pieces: string[] = [];
      let reason = '';
      const options = { maxTokens: 50, signal: ac.signal, sampling: { seed: 1 }, onDone: (r: { stopReason: string }) => (reason = r.stopReason) };
      for await (const p of m.chat([{ role: 'user', content: 'Hi' }], options)) {
        pieces.push(p.text);
        if (pieces.length === 3) ac.abort();
      }
      expect(reason).toBe('abort');
      // At most the final flush of held-back text follows the abort.
      expect(pieces.length).toBeLessThanOrEqual(4);
    } finally {
      m.dispose();
    }
  });

  it('reports truncated files, missing tensors and unknown architectures clearly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lgpt-'));
    const bytes = readFileSync(model());
    const cut = join(dir, 'cut.gguf');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(loadModel(cut, { backend: 'reference' })).rejects.toThrow(GGUFError);
    await expect(loadModel(cut, { backend: 'reference' })).rejects.toThrow(/truncated/);

    const file = parseGGUF(new Uint8Array(bytes));
    const rebuild = (edit: (meta: [string, ReturnType<typeof gguf.str>][], names: string[]) => void) => {
      const meta = [...file.metadata.entries()] as [string, ReturnType<typeof gguf.str>][];
      const names = file.tensors.map((t) => t.name);
      edit(meta, names);
      const tensors = file.tensors.filter((t) => names.includes(t.name)).map((t) => ({ ...t, data: file.tensorData(t) }));
      const p = join(dir, `m${Math.random()}.gguf`);
      writeFileSync(p, encodeGGUF({ metadata: meta, tensors }));
      return p;
    };
    const noFfn = rebuild((_, names) => names.splice(names.indexOf('blk.1.ffn_down.weight'), 1));
    await expect(loadModel(noFfn, { backend: 'reference' })).rejects.toThrow(/missing tensor blk\.1\.ffn_down\.weight/);
    const mamba = rebuild((meta) => (meta[0] = ['general.architecture', gguf.str('mamba')]));
    await expect(loadModel(mamba, { backend: 'reference' })).rejects.toThrow(ModelError);
    const badHeads = rebuild((meta) => {
      const i = meta.findIndex(([k]) => k === 'llama.attention.head_count_kv');
      meta[i] = ['llama.attention.head_count_kv', gguf.u32(3)];
    });
    await expect(loadModel(badHeads, { backend: 'reference' })).rejects.toThrow(/not a multiple of/);
    copyFileSync(model(), join(dir, 'ok.gguf'));
  });

  it.skipIf(!cpuAvailable() || loadNative()?.info().isa !== 'avx512' || platform() !== 'linux')('cpu: Q4_K repacked at load gives the mapped rows\' logits, and those rows stay readable after their pages are released', async () => {
    // On AVX-512 the model copies its Q4_K matrices into tiles and drops its pages of the mapped
    // rows, whole 2 MiB stretches of them (native/model/forward.cc repack_matrices); with AVX2
    // forced afterwards it reads the rows again, faulted back in from the page cache. Wide enough
    // for a layer's Q4_K run to span such stretches.
    const native = loadNative()!;
    const path = testModelPath({ arch: 'llama', quant: 'Q4_K_M', vocabName: 'gpt2-1024', vocab: () => smallGpt2Vocab(1024), width: 1024, ff: 2816 });
    const ids = [5, 17, 300, 2, 9, 41];
    const repacked = await loadModel(path, { backend: 'cpu', contextLength: 32 });
    const plain = await loadModel(path, { backend: 'cpu', contextLength: 32, repackWeights: false });
    try {
      const want = Array.from(await plain.evaluate(ids, { allLogits: true }));
      expect(Array.from(await repacked.evaluate(ids, { allLogits: true }))).toEqual(want);
      // both models have read every matrix; the repacked one holds at least 2 MiB less of them
      const [a, b] = mappingsOf(path)!.map((m) => m.resident);
      expect(Math.min(a!, b!)).toBeLessThanOrEqual(Math.max(a!, b!) - (2 << 20));
      expect(native.setIsa('avx2')).toBe(true);
      expect(Array.from(await repacked.evaluate(ids, { allLogits: true }))).toEqual(Array.from(await plain.evaluate(ids, { allLogits: true })));
    } finally {
      native.setIsa('avx512');
      plain.dispose();
      repacked.dispose();
    }
  });
});

const run = promisify(execFile);
const hardwareGpu = await probeWebGPU().then((p) => p.adapter !== undefined && !p.adapter.software);
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

describe('localgpt CLI', () => {
  it('tokenize --json prints {"ids": [...]} as the library tokenises', async () => {
    const { stdout } = await run(process.execPath, [...CLI, 'tokenize', '--model', model(), '--json', 'Hello world']);
    expect(JSON.parse(stdout)).toEqual({ ids: [39, 695, 78, 995] });
  });

  it('generate --json prints the documented shape, greedy and reproducible', async () => {
    const args = [...CLI, 'generate', '--model', model(), '--prompt', 'Hello', '--max-tokens', '5', '--temperature', '0', '--backend', 'reference', '--json'];
    const first = JSON.parse((await run(process.execPath, args)).stdout);
    expect(Object.keys(first).sort()).toEqual(['generated_ids', 'prompt_ids', 'stop_reason', 'text', 'timings']);
    expect(first.generated_ids).toHaveLength(5);
    expect(Object.keys(first.timings).sort()).toEqual(['decode_tokens_per_s', 'load_ms', 'prefill_tokens_per_s']);
    const second = JSON.parse((await run(process.execPath, args)).stdout);
    expect(second.generated_ids).toEqual(first.generated_ids);
  });

  it.skipIf(!cpuAvailable())('a plain run says nothing on standard error (Dawn\'s adapter warnings filtered)', async () => {
    const { stdout, stderr } = await run(process.execPath, [...CLI, 'generate', '--model', model(), '--prompt', 'Hi', '--max-tokens', '2', '--json']);
    expect(JSON.parse(stdout).generated_ids.length).toBeLessThanOrEqual(2);
    expect(stderr).toBe('');
  });

  // 'auto' would take a hardware GPU before the reference, and say nothing.
  it.skipIf(hardwareGpu)('without the native addon, auto falls back to the reference backend with one warning line', async () => {
    const args = [...CLI, 'generate', '--model', model(), '--prompt', 'Hello', '--max-tokens', '4', '--temperature', '0', '--json'];
    const env = { ...process.env, LOCALGPT_NO_NATIVE: '1' };
    const auto = await run(process.execPath, args, { env });
    // (Without the addon Dawn's own adapter warnings, if any, are not filtered: see quietDawn.)
    expect(auto.stderr.split('\n').filter((l) => !l.startsWith('Warning: maxDynamic'))).toEqual([
      'localgpt: warning: native CPU backend unavailable (native addon disabled by LOCALGPT_NO_NATIVE=1); using the slow reference backend',
      '',
    ]);
    const reference = await run(process.execPath, [...args, '--backend', 'reference']);
    expect(JSON.parse(auto.stdout).generated_ids).toEqual(JSON.parse(reference.stdout).generated_ids);
    // Asked for by name, the cpu backend is refused with the reason, not replaced.
    await expect(run(process.execPath, [...args, '--backend', 'cpu'], { env })).rejects.toMatchObject({
      stderr: expect.stringContaining('the cpu backend is not available: native addon disabled by LOCALGPT_NO_NATIVE=1'),
    });
  });

  it('info --json describes the model; errors are one line and a hint with exit code 3', async () => {
    const { stdout } = await run(process.execPath, [...CLI, 'info', model(), '--json']);
    expect(JSON.parse(stdout)).toMatchObject({ architecture: 'llama', vocabSize: 1024, blockCount: 2 });
    const err = await run(process.execPath, [...CLI, 'info', '/nonexistent.gguf']).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 3 });
    expect((err as { stderr: string }).stderr).toMatch(/^localgpt: cannot open \/nonexistent\.gguf.*\nhint: /);
    expect((err as { stderr: string }).stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('saving and restoring the cache', () => {
  it.for(['reference', 'cpu'] as const)('%s: a restored state continues exactly as the original, re-reading nothing', async (backend, { skip }) => {
    skip(backend === 'cpu' && !cpuAvailable(), 'no native addon on this machine');
    const first = await loadModel(model(), { backend, contextLength: 64 });
    const second = await loadModel(model(), { backend, contextLength: 64 });
    try {
      const prompt = first.tokenize('The quick brown fox jumps');
      await first.completeAll(prompt, { maxTokens: 4, sampling: { temperature: 0 } });
      const state = await first.saveState();
      expect(state?.layout).toMatch(backend === 'cpu' ? /^cpu\// : /^reference\//);
      expect(state!.tokens.length).toBeGreaterThan(prompt.length);
      const followUp = [...state!.tokens, ...first.tokenize(' over the lazy dog')];
      const want = await first.completeAll(followUp, { maxTokens: 6, sampling: { temperature: 0 } });

      expect(await second.restoreState(state!)).toBe(true);
      const got = await second.completeAll(followUp, { maxTokens: 6, sampling: { temperature: 0 } });
      expect(got.ids).toEqual(want.ids);
      expect(got.cachedPromptTokens).toBe(state!.tokens.length); // only the new part was evaluated
    } finally {
      first.dispose();
      second.dispose();
    }
  });

  it.skipIf(!cpuAvailable())('cpu: the saved state does not depend on the context length, and restores across lengths', async () => {
    // The native cache keeps each kv head's rows together (its offsets depend on the context
    // length); the state it saves keeps llama.cpp's position-major rows, so states written by
    // earlier versions and by contexts of any length stay interchangeable.
    const short = await loadModel(model(), { backend: 'cpu', contextLength: 48 });
    const long = await loadModel(model(), { backend: 'cpu', contextLength: 160 });
    try {
      const prompt = short.tokenize('The quick brown fox jumps');
      for (const m of [short, long]) await m.completeAll(prompt, { maxTokens: 3, sampling: { temperature: 0 } });
      const [a, b] = [(await short.saveState())!, (await long.saveState())!];
      expect(b.tokens).toEqual(a.tokens);
      expect(Buffer.from(b.kv).equals(Buffer.from(a.kv))).toBe(true);
      const followUp = [...a.tokens, ...short.tokenize(' over the lazy dog')];
      const want = await short.completeAll(followUp, { maxTokens: 6, sampling: { temperature: 0 } });
      expect(await long.restoreState(a)).toBe(true);
      const got = await long.completeAll(followUp, { maxTokens: 6, sampling: { temperature: 0 } });
      expect(got.ids).toEqual(want.ids);
    } finally {
      short.dispose();
      long.dispose();
    }
  });

  it('refuses a state from another model file or backend format, changing nothing', async () => {
    const a = await loadModel(model(), { backend: 'reference', contextLength: 64 });
    const other = testModelPath({ arch: 'qwen2', quant: 'Q4_0', vocabName: 'gpt2-1024', vocab: () => smallGpt2Vocab(1024) });
    const b = await loadModel(other, { backend: 'reference', contextLength: 64 });
    try {
      await a.completeAll('Hello', { maxTokens: 2, sampling: { temperature: 0 } });
      const state = (await a.saveState())!;
      expect(await b.restoreState(state)).toBe(false);
      expect(await a.restoreState({ ...state, layout: 'cpu/f16/v1' })).toBe(false);
      expect(await a.restoreState(state)).toBe(true);
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});
