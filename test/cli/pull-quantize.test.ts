import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GGUFFile, openGGUF } from '../../src/engine/gguf/reader.js';
import { ggmlTypeName } from '../../src/engine/quant/ggml-type.js';
import { smallGpt2Vocab } from '../fixtures/small-vocab.js';
import { testModelPath } from '../conformance/models.js';
import { cli, tempHome } from './helpers.js';

describe('localgpt pull', () => {
  const body = randomBytes(300_000);
  const sha = createHash('sha256').update(body).digest('hex');
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url !== '/files/model.gguf') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('downloads into the models directory and exits 0 only with a verified file', async () => {
    const home = tempHome();
    const env = { LOCALGPT_HOME: home };
    const r = await cli(['pull', `${base}/files/model.gguf`, '--sha256', sha], { env });
    expect(r.stderr).not.toMatch(/localgpt:/);
    expect(r.code).toBe(0);
    const path = join(home, 'models', 'model.gguf');
    expect(r.stdout).toContain(`saved ${path}`);
    expect(r.stdout).toMatch(/verified/);
    expect(readFileSync(path).equals(body)).toBe(true);
    expect(r.stderr).toMatch(/100%/); // plain progress lines when not a terminal

    // `download` is the same command; --out and --json.
    const out = join(home, 'elsewhere.gguf');
    const j = await cli(['download', `${base}/files/model.gguf`, '--sha256', sha.toUpperCase(), '--out', out, '--json'], { env });
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ path: out, sha256: sha, bytes: body.length, verified: true });
  });

  it('a wrong checksum exits 6 and leaves no file; no checksum at all is not a success without --no-verify', async () => {
    const home = tempHome();
    const env = { LOCALGPT_HOME: home };
    const wrong = await cli(['pull', `${base}/files/model.gguf`, '--sha256', '0'.repeat(64)], { env });
    expect(wrong.code).toBe(6);
    expect(wrong.stderr).toMatch(/^(.*\n)*localgpt: checksum mismatch: expected sha256 0{64}, got [0-9a-f]{64}; the download was discarded\nhint: /);
    const dir = join(home, 'models');
    expect(existsSync(dir) ? readdirSync(dir).filter((f) => !f.endsWith('.json')) : []).toEqual([]);
    expect(existsSync(join(dir, 'model.gguf'))).toBe(false);

    const unverified = await cli(['pull', `${base}/files/model.gguf`], { env });
    expect(unverified.code).toBe(6);
    expect(unverified.stderr).toMatch(/could not verify it.*\nhint: run again with --sha256 HEX/);
    const accepted = await cli(['pull', `${base}/files/model.gguf`, '--no-verify', '--json'], { env });
    expect(accepted.code).toBe(0);
    expect(JSON.parse(accepted.stdout)).toMatchObject({ verified: false, bytes: body.length });

    const missing = await cli(['pull', `${base}/files/nothing.gguf`, '--sha256', sha], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^(.*\n)*localgpt: download failed: HTTP 404/);
    const bad = await cli(['pull', 'no-such-alias'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown model "no-such-alias"/);
  });
});

describe('localgpt quantize', () => {
  const spec = (quant: string) => ({ arch: 'llama' as const, quant, vocabName: 'gpt2-1024', vocab: () => smallGpt2Vocab(1024) });
  /**
   * Runs `check` on the quantised file `out` and the engine's own `scheme` model of the same
   * weights, then expects every tensor of the latter in `out` with the same type and bytes.
   */
  const sameTensorsAsEngine = (out: string, scheme: string, check: (a: GGUFFile, b: GGUFFile) => void): void => {
    const a = openGGUF(out);
    const b = openGGUF(testModelPath(spec(scheme)));
    try {
      check(a, b);
      for (const t of b.tensors) {
        const u = a.tensors.find((x) => x.name === t.name)!;
        expect(u.type).toBe(t.type);
        expect(Buffer.from(a.tensorData(u)).equals(Buffer.from(b.tensorData(t)))).toBe(true);
      }
    } finally {
      a.close();
      b.close();
    }
  };

  it('F32 -> Q8_0: loads, info shows Q8_0, tensors byte-identical to the engine\'s own Q8_0 model', async () => {
    const home = tempHome();
    const out = join(home, 'q8.gguf');
    const r = await cli(['quantize', testModelPath(spec('F32')), out, '--type', 'q8_0', '--json'], { env: { LOCALGPT_HOME: home } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ type: 'Q8_0', tensors: { Q8_0: expect.any(Number), F32: expect.any(Number) } });
    const info = await cli(['info', out, '--json'], { env: { LOCALGPT_HOME: home } });
    expect(info.code).toBe(0);
    const i = JSON.parse(info.stdout);
    expect(Object.keys(i.quantisation).sort()).toEqual(['F32', 'Q8_0']);

    sameTensorsAsEngine(out, 'Q8_0', (a, b) => {
      expect(a.metadata.get('general.file_type')?.value).toBe(7); // LLAMA_FTYPE_MOSTLY_Q8_0
      expect(a.metadata.get('general.name')?.value).toBe(b.metadata.get('general.name')?.value.toString().replace('Q8_0', 'F32'));
    });
    // The quantised file answers.
    const gen = await cli(['--model', out, '-n', '3', '--json', 'Hello'], { env: { LOCALGPT_HOME: home } });
    expect(JSON.parse(gen.stdout).generated_tokens).toBe(3);
  });

  it("F32 -> Q5_K_M: llama-quantize's mix, file type 17, tensors as the engine writes them", async () => {
    const home = tempHome();
    const out = join(home, 'q5km.gguf');
    const r = await cli(['quantize', testModelPath(spec('F32')), out, '--type', 'q5_k_m', '--json'], { env: { LOCALGPT_HOME: home } });
    expect(r.code).toBe(0);
    sameTensorsAsEngine(out, 'Q5_K_M', (a) => {
      expect(a.metadata.get('general.file_type')?.value).toBe(17); // LLAMA_FTYPE_MOSTLY_Q5_K_M
      const type = (name: string) => ggmlTypeName(a.tensors.find((t) => t.name === name)!.type);
      // Of two layers use_more_bits picks the last for Q6_K; the output matrix is Q6_K.
      expect([type('blk.0.attn_q.weight'), type('blk.0.attn_v.weight'), type('blk.1.attn_v.weight'), type('output.weight')]).toEqual(['Q5_K', 'Q5_K', 'Q6_K', 'Q6_K']);
      // ffn_down's rows (352 values) hold no whole super-block: llama-quantize's fallbacks (Q5_K -> Q5_1, Q6_K -> Q8_0)
      expect([type('blk.0.ffn_down.weight'), type('blk.1.ffn_down.weight')]).toEqual(['Q5_1', 'Q8_0']);
    });
  });

  it('F32 -> Q3_K: file type 11 (Q3_K_S), Q4_0 for rows that are not whole super-blocks, tensors as the engine writes them', async () => {
    const home = tempHome();
    const out = join(home, 'q3k.gguf');
    const r = await cli(['quantize', testModelPath(spec('F32')), out, '--type', 'q3_k', '--json'], { env: { LOCALGPT_HOME: home } });
    expect(r.code).toBe(0);
    sameTensorsAsEngine(out, 'Q3_K', (a) => {
      expect(a.metadata.get('general.file_type')?.value).toBe(11); // LLAMA_FTYPE_MOSTLY_Q3_K_S
      const type = (name: string) => ggmlTypeName(a.tensors.find((t) => t.name === name)!.type);
      expect([type('blk.0.attn_q.weight'), type('blk.0.attn_v.weight'), type('output.weight')]).toEqual(['Q3_K', 'Q3_K', 'Q3_K']);
      // ffn_down's rows (352 values) hold no whole super-block: llama-quantize's fallback
      expect(type('blk.0.ffn_down.weight')).toBe('Q4_0');
    });
  });

  it("F32 -> Q2_K: llama-quantize's mix, file type 10, tensors as the engine writes them; --pure puts every matrix in Q2_K", async () => {
    const home = tempHome();
    const out = join(home, 'q2k.gguf');
    const r = await cli(['quantize', testModelPath(spec('F32')), out, '--type', 'q2_k', '--json'], { env: { LOCALGPT_HOME: home } });
    expect(r.code).toBe(0);
    sameTensorsAsEngine(out, 'Q2_K', (a) => {
      expect(a.metadata.get('general.file_type')?.value).toBe(10); // LLAMA_FTYPE_MOSTLY_Q2_K
      const type = (name: string) => ggmlTypeName(a.tensors.find((t) => t.name === name)!.type);
      // attn_v is Q3_K below 4 query heads per kv head; attn_output and ffn_down Q3_K, output Q6_K
      expect([type('blk.0.attn_q.weight'), type('blk.0.attn_v.weight'), type('blk.0.attn_output.weight'), type('output.weight')]).toEqual(['Q2_K', 'Q3_K', 'Q3_K', 'Q6_K']);
      // ffn_down's rows (352 values) hold no whole super-block: llama-quantize's fallback
      expect(type('blk.0.ffn_down.weight')).toBe('Q4_0');
    });

    const pure = join(home, 'q2k-pure.gguf');
    const p = await cli(['quantize', testModelPath(spec('F32')), pure, '--type', 'Q2_K', '--pure', '--json'], { env: { LOCALGPT_HOME: home } });
    expect(p.code).toBe(0);
    const f = openGGUF(pure);
    try {
      expect(f.metadata.get('general.file_type')?.value).toBe(10);
      const type = (name: string) => ggmlTypeName(f.tensors.find((t) => t.name === name)!.type);
      expect([type('blk.0.attn_q.weight'), type('blk.0.attn_v.weight'), type('blk.0.attn_output.weight'), type('output.weight'), type('blk.0.ffn_down.weight')]).toEqual(['Q2_K', 'Q2_K', 'Q2_K', 'Q2_K', 'Q4_0']);
    } finally {
      f.close();
    }
  });

  it('refuses an already-quantised input, an unknown type and an existing output', async () => {
    const home = tempHome();
    const q = await cli(['quantize', testModelPath(spec('Q4_0')), join(home, 'x.gguf'), '--type', 'Q8_0'], { env: { LOCALGPT_HOME: home } });
    expect(q.code).toBe(2);
    expect(q.stderr).toMatch(/is already quantised \(token_embd\.weight is Q4_0\)\nhint: quantise from an F32, F16 or BF16 file/);
    const t = await cli(['quantize', testModelPath(spec('F32')), join(home, 'x.gguf'), '--type', 'IQ3_S'], { env: { LOCALGPT_HOME: home } });
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/'--type <type>' argument 'IQ3_S' is invalid\. choose one of F32, F16/);
    const e = await cli(['quantize', testModelPath(spec('F32')), testModelPath(spec('Q4_0')), '--type', 'Q4_0'], { env: { LOCALGPT_HOME: home } });
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/exists\nhint: use --force/);
  });
});
