import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { benchMain } from '../../bench/lib/cli.js';
import { betterLimits, betterReadings, limitAt, measureBandwidth, measureTriad } from '../../bench/lib/machine.js';
import { MODEL_SHAPES, planCases, REFERENCE_MAX_PROMPT, shapeParameters } from '../../bench/lib/plan.js';
import { assertReportShape, compareReports, markdownReport, sameThreadRows, svgChart, type BenchReport, type BenchRow } from '../../bench/lib/report.js';
import { benchPrompt, summarize } from '../../bench/lib/stats.js';
import { bestOf } from '../../bench/lib/suite.js';

function row(over: Partial<BenchRow> = {}): BenchRow {
  return {
    model: 'llama-15M',
    quant: 'Q4_0',
    backend: 'cpu',
    threads: 1,
    prompt_tokens: 50,
    decode_tokens: 16,
    runs: 5,
    ttft_ms: 40,
    ttft_ms_min: 38,
    ttft_ms_max: 45,
    prefill_tokens_per_s: 1250,
    decode_tokens_per_s: 700,
    decode_tokens_per_s_min: 650,
    decode_tokens_per_s_max: 720,
    roofline_fraction: 0.3,
    prefill_roofline_fraction: 0.05,
    weight_bytes_per_token: 8e6,
    peer: { name: 'llama.cpp C harness t1', threads: 1, ttft_ms: 18, prefill_tokens_per_s: 2800, decode_tokens_per_s: 980 },
    peers: [{ name: 'llama.cpp C harness', threads: 1, ttft_ms: 18, prefill_tokens_per_s: 2800, decode_tokens_per_s: 980 }],
    ...over,
  };
}

function report(rows: BenchRow[]): BenchReport {
  return {
    machine: {
      date: '2026-01-01T00:00:00.000Z',
      cpu: 'Test CPU <&>',
      logical_cpus: 2,
      memory_gib: 8,
      os: 'Linux',
      node: '20.0.0',
      isa: 'avx2',
      isa_paths: ['scalar', 'avx2'],
      cpu_features: 'avx2 fma',
      threads: 2,
      limits: { triad_gb_per_s: { '1': 15, '2': 18 }, f32_fma_gflops: { '1': 120 }, int8_madd_gops: { '1': 160 }, source: 'test' },
      notes: [],
    },
    rows,
    kernels: [{ type: 'Q4_0', backend: 'cpu', isa: 'avx2', threads: 1, rows: 64, cols: 256, matvec_gb_per_s: 10, matvec_gop_per_s: 35, matmul_gop_per_s: 100, batch: 32 }],
  };
}

describe('plan', () => {
  it('quick mode runs the 15M models, short prompts, 4/8/16-bit, both thread counts, reference only where cheap', () => {
    const cases = planCases({ mode: 'quick', backends: ['reference', 'cpu'], threads: [1, 2] });
    expect(new Set(cases.map((c) => c.model.name))).toEqual(new Set(['gpt2-15M', 'llama-15M']));
    expect(new Set(cases.map((c) => c.quant))).toEqual(new Set(['Q4_0', 'Q8_0', 'F16']));
    expect(new Set(cases.map((c) => c.promptTokens))).toEqual(new Set([50, 128]));
    const ref = cases.filter((c) => c.backend === 'reference');
    expect(ref.map((c) => `${c.model.name} ${c.quant} ${c.promptTokens} ${c.threads}`)).toEqual(['llama-15M Q4_0 50 1']);
    const cpu = cases.filter((c) => c.backend === 'cpu');
    expect(cpu).toHaveLength(2 * 3 * 2 * 2);
    expect(cpu.every((c) => c.peer)).toBe(true);
    expect(cases.every((c) => c.runs >= 5 && c.warmup >= 1)).toBe(true);
  });

  it('full mode covers 15M/110M/500M of both shapes and prompts up to 512; the reference stays on 15M', () => {
    const cases = planCases({ mode: 'full', backends: ['reference', 'cpu'], threads: [2] });
    expect(new Set(cases.map((c) => c.model.name)).size).toBe(6);
    expect(new Set(cases.map((c) => c.promptTokens))).toEqual(new Set([50, 128, 512]));
    expect(cases.filter((c) => c.backend === 'reference').every((c) => c.model.size === '15M' && c.promptTokens <= REFERENCE_MAX_PROMPT)).toBe(true);
    expect(planCases({ mode: 'full', backends: ['cpu'], peers: false }).some((c) => c.peer)).toBe(false);
  });

  it('model shapes are about the sizes they are named for', () => {
    for (const m of MODEL_SHAPES) {
      const target = Number.parseInt(m.size, 10) * 1e6;
      expect(shapeParameters(m) / target, m.name).toBeGreaterThan(0.8);
      expect(shapeParameters(m) / target, m.name).toBeLessThan(1.25);
    }
  });
});

describe('statistics', () => {
  it('median, min and max', () => {
    expect(summarize([5, 1, 3, 2, 4])).toEqual({ median: 3, min: 1, max: 5, runs: 5 });
    expect(summarize([4, 1, 3, 2]).median).toBe(2.5);
  });
  it('prompts are the C harness\'s LCG, with a different first token per run', () => {
    const a = benchPrompt(8, 1000, 0);
    let seed = 1234567;
    const expected = [] as number[];
    for (let i = 0; i < 8; i++) {
      seed = Number((BigInt(seed) * 1103515245n + 12345n) % 2n ** 32n);
      expected.push((seed >>> 8) % 1000);
    }
    expected[0] = 0;
    expect(a).toEqual(expected);
    expect(benchPrompt(8, 1000, 1)[0]).toBe(7919 % 1000);
    expect(benchPrompt(8, 1000, 1).slice(1)).toEqual(a.slice(1));
  });
});

describe('report', () => {
  it('has the JSON shape the issue names', () => {
    const r = JSON.parse(JSON.stringify(report([row(), row({ backend: 'reference', peer: null, peers: [] })]))) as unknown;
    expect(() => assertReportShape(r)).not.toThrow();
    const x = (r as BenchReport).rows[0];
    for (const k of ['model', 'quant', 'backend', 'threads', 'prompt_tokens', 'ttft_ms', 'prefill_tokens_per_s', 'decode_tokens_per_s', 'roofline_fraction', 'peer']) expect(x).toHaveProperty(k);
    expect(Object.keys(x.peer!)).toEqual(expect.arrayContaining(['name', 'prefill_tokens_per_s', 'decode_tokens_per_s']));
    expect(() => assertReportShape({ machine: {}, rows: [{ model: 'm' }] })).toThrow(/quant/);
    expect(() => assertReportShape({ rows: [] })).toThrow(/machine/);
  });

  it('the peer is llama.cpp at its best, per metric', () => {
    const best = bestOf([
      { name: 'node-llama-cpp', threads: 1, ttft_ms: 10, prefill_tokens_per_s: 5000, decode_tokens_per_s: 700 },
      { name: 'llama.cpp C harness', threads: 2, ttft_ms: 12, prefill_tokens_per_s: 4000, decode_tokens_per_s: 900 },
    ])!;
    expect(best.prefill_tokens_per_s).toBe(5000);
    expect(best.decode_tokens_per_s).toBe(900);
    expect(best.name).toContain('node-llama-cpp t1');
    expect(bestOf([])).toBeNull();
  });

  it('markdown: the table with one line per row, ratios, and the machine', () => {
    const md = markdownReport(report([row(), row({ prompt_tokens: 128 })]));
    expect(md).toContain('| model | quantisation | backend | threads | prompt length | avg latency (TTFT ms)');
    expect(md.split('\n').filter((l) => l.startsWith('| llama-15M | Q4_0 | cpu |'))).toHaveLength(2);
    expect(md).toContain('0.71x'); // 700 / 980 decode
    expect(md).toContain('Test CPU');
    expect(md).toContain('| Q4_0 | cpu | avx2 | 1 | 64x256 |');
  });

  it('same thread count: pairs each row with the best llama.cpp variant at its own thread count', () => {
    const peers = [
      { name: 'llama.cpp C harness', threads: 1, ttft_ms: 18, prefill_tokens_per_s: 1000, decode_tokens_per_s: 600 },
      { name: 'node-llama-cpp', threads: 1, ttft_ms: 20, prefill_tokens_per_s: 1100, decode_tokens_per_s: 500 },
      { name: 'llama.cpp C harness', threads: 2, ttft_ms: 12, prefill_tokens_per_s: 5000, decode_tokens_per_s: 900 },
    ];
    const rows = [row({ peers }), row({ threads: 2, prefill_tokens_per_s: 4000, decode_tokens_per_s: 950, peers }), row({ threads: 4, peers })];
    const same = sameThreadRows(rows);
    expect(same.map((x) => [x.row.threads, x.metric, x.theirs])).toEqual([
      [1, 'prefill', 1100],
      [1, 'decode', 600],
      [2, 'prefill', 5000],
      [2, 'decode', 900],
    ]);
    const md = markdownReport(report(rows));
    expect(md).toContain('3 of 4 figures at or above 1.0'); // all but the two-thread prefill
    expect(md).toContain('| llama-15M | Q4_0 | 2 | 4000 / 5000 = 0.80x | 950 / 900 = 1.06x | 30% |');
  });

  it('same thread count: a column for the triad probed next to the rows, where the report has one', () => {
    const rows = [row({ near_triad_gb_per_s: 24, near_roofline_fraction: 0.233 }), row({ quant: 'Q8_0' })];
    const md = markdownReport(report(rows));
    expect(md).toContain('| model | quantisation | threads | prefill | decode | decode roofline | next to the rows |');
    expect(md).toContain('| llama-15M | Q4_0 | 1 | 1250 / 2800 = 0.45x | 700 / 980 = 0.71x | 30% | 23% (24.0) |');
    expect(md).toContain('| llama-15M | Q8_0 | 1 | 1250 / 2800 = 0.45x | 700 / 980 = 0.71x | 30% | – |');
    // older reports (no near probe): the table keeps its six columns
    expect(markdownReport(report([row()]))).not.toContain('next to the rows');
  });

  it('SVG: well-formed, escaped, two bars per row with a peer', () => {
    const svg = svgChart(report([row(), row({ backend: 'reference', peer: null, peers: [] })]));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Test CPU &lt;&amp;&gt;');
    expect(svg).not.toMatch(/<&>/);
    // bars: 2 panels x (2 + 1) bars, plus the legend's 2 swatches and the background
    expect(svg.match(/<rect /g)).toHaveLength(2 * 3 + 2 + 1);
    const open = (svg.match(/<(rect|text|line|svg|title)\b/g) ?? []).length;
    const close = (svg.match(/<\/(rect|text|line|svg|title)>|\/>/g) ?? []).length;
    expect(close).toBe(open);
  });
});

describe('machine limits', () => {
  it('takes the better of two probes per limit and thread count, and survives a failed second one', () => {
    const a = { triad_gb_per_s: { '1': 30, '2': 31 }, f32_fma_gflops: { '1': 220 }, int8_madd_gops: { '1': 880, '2': 1200 }, source: 'probe' };
    const b = { triad_gb_per_s: { '1': 29, '2': 56 }, f32_fma_gflops: { '1': 225, '2': 440 }, int8_madd_gops: { '1': 870, '2': 1700 }, source: 'probe' };
    const m = betterLimits(a, b);
    expect(m.triad_gb_per_s).toEqual({ '1': 30, '2': 56 });
    expect(m.f32_fma_gflops).toEqual({ '1': 225, '2': 440 });
    expect(m.int8_madd_gops).toEqual({ '1': 880, '2': 1700 });
    expect(m.source).toBe('probe');
    expect(betterLimits(a, null)).toBe(a);
    expect(limitAt(m.triad_gb_per_s, 4)).toBe(56); // nearest measured count below
    expect(betterReadings({ '1': 30 }, { '1': 29, '2': 56 })).toEqual({ '1': 30, '2': 56 });
    expect(betterReadings({ '1': 30 }, null)).toEqual({ '1': 30 });
  });

  it('the triad alone, at the thread counts asked for (the probes a decode is paired with)', () => {
    const one = measureTriad(1);
    expect(Object.keys(one ?? {})).toEqual(['1']);
    expect(one?.['1']).toBeGreaterThan(0.1);
    const two = measureTriad(2, 2);
    expect(Object.keys(two ?? {})).toEqual(['2']);
    expect(two?.['2']).toBeGreaterThan(0.1);
    // the read-only stream beside it, at the same counts
    const both = measureBandwidth(2, 2);
    expect(Object.keys(both?.read ?? {})).toEqual(['2']);
    expect(both?.read['2']).toBeGreaterThan(0.1);
  });
});

describe('compare', () => {
  const old = report([row(), row({ prompt_tokens: 128 }), row({ model: 'gone' })]);

  it('flags a regression over 10% and ignores noise under it', () => {
    const now = report([
      row({ decode_tokens_per_s: 700 * 0.85 }), // 15% slower decode
      row({ prompt_tokens: 128, decode_tokens_per_s: 700 * 0.95, prefill_tokens_per_s: 1250 * 1.04, ttft_ms: 40 * 1.08 }), // noise
      row({ model: 'new' }),
    ]);
    const c = compareReports(old, now);
    expect(c.regressions.map((r) => `${r.key} ${r.metric}`)).toEqual(['llama-15M Q4_0 cpu t1 p50 decode_tokens_per_s']);
    expect(c.regressions[0].worse).toBeCloseTo(0.15);
    expect(c.onlyOld).toEqual(['gone Q4_0 cpu t1 p50']);
    expect(c.onlyNew).toEqual(['new Q4_0 cpu t1 p50']);
  });

  it('a slower time to first token is a regression; a faster one an improvement', () => {
    expect(compareReports(old, report([row({ ttft_ms: 50 })])).regressions.map((r) => r.metric)).toEqual(['ttft_ms']);
    const c = compareReports(old, report([row({ ttft_ms: 30 })]));
    expect(c.regressions).toEqual([]);
    expect(c.improvements.map((r) => r.metric)).toEqual(['ttft_ms']);
  });

  it('kernels are compared too', () => {
    const now = { ...report([row()]), kernels: [{ ...old.kernels[0], matvec_gb_per_s: 8 }] };
    expect(compareReports(old, now).regressions.map((r) => r.metric)).toEqual(['matvec_gb_per_s']);
  });

  describe('benchMain', () => {
    afterEach(() => vi.restoreAllMocks());
    it('--compare OLD --against NEW exits 1 on a regression and 0 on noise', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'bench-'));
      const write = (name: string, r: BenchReport) => {
        const p = join(dir, name);
        writeFileSync(p, JSON.stringify(r));
        return p;
      };
      const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      const o = write('old.json', old);
      expect(await benchMain({ compare: o, against: write('bad.json', report([row({ prefill_tokens_per_s: 1000 })])) })).toBe(1);
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toContain('REGRESSION llama-15M Q4_0 cpu t1 p50: prefill_tokens_per_s');
      expect(await benchMain({ compare: o, against: write('ok.json', report([row({ prefill_tokens_per_s: 1200 })])) })).toBe(0);
      await expect(benchMain({ compare: write('junk.json', { rows: 3 } as unknown as BenchReport), against: o })).rejects.toThrow(/not a bench report/);
    });

    it('--quick --plan --json prints the rows quick mode would run', async () => {
      const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      expect(await benchMain({ quick: true, plan: true, json: true, threads: 2, backends: 'reference,cpu' })).toBe(0);
      const printed = JSON.parse(String(out.mock.calls[0][0])) as { mode: string; rows: { model: string; backend: string; threads: number }[] };
      expect(printed.mode).toBe('quick');
      expect(printed.rows).toHaveLength(25);
      expect(printed.rows.filter((r) => r.backend === 'cpu' && r.threads === 2)).toHaveLength(12);
    });
  });
});
