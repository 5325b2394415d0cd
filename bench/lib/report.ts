/**
 * The suite's output: the JSON shape (`{"machine", "rows", "kernels"}`), the markdown table, a
 * hand-written SVG chart, and the comparison with an earlier JSON (regressions over a threshold).
 * Pure functions of the report object, so they are tested without timing anything.
 */

export interface MachineLimits {
  /** STREAM-style triad, GB/s, by thread count. */
  readonly triad_gb_per_s: Record<string, number>;
  /** A read-only stream, GB/s, by thread count (what a decode's weights are; absent in older reports). */
  readonly read_gb_per_s?: Record<string, number>;
  /** Peak f32 FMA throughput, GFLOP/s, by thread count. */
  readonly f32_fma_gflops: Record<string, number>;
  /** Peak int8 multiply-add (u8 x i8 pairs) throughput, GOP/s, by thread count. */
  readonly int8_madd_gops: Record<string, number>;
  /** How they were measured ('c' = bench/c/roofline.c, 'native' = the addon's F32 matvec). */
  readonly source: string;
}

export interface MachineInfo {
  readonly date: string;
  readonly cpu: string;
  readonly logical_cpus: number;
  readonly memory_gib: number;
  readonly os: string;
  readonly node: string;
  /** The native addon's kernel path in use ('avx2', ...), or null without the addon. */
  readonly isa: string | null;
  readonly isa_paths: readonly string[];
  readonly cpu_features: string;
  readonly threads: number;
  readonly limits: MachineLimits | null;
  readonly notes: readonly string[];
}

export interface PeerResult {
  readonly name: string;
  readonly threads: number;
  readonly ttft_ms: number;
  readonly prefill_tokens_per_s: number;
  readonly decode_tokens_per_s: number;
}

export interface BenchRow {
  readonly model: string;
  readonly quant: string;
  readonly backend: string;
  readonly threads: number;
  readonly prompt_tokens: number;
  readonly decode_tokens: number;
  readonly runs: number;
  /** Time to first token (prompt evaluation + first sample), median over runs; min and max beside. */
  readonly ttft_ms: number;
  readonly ttft_ms_min: number;
  readonly ttft_ms_max: number;
  readonly prefill_tokens_per_s: number;
  readonly decode_tokens_per_s: number;
  readonly decode_tokens_per_s_min: number;
  readonly decode_tokens_per_s_max: number;
  /** Decode: (weight bytes read per token x tokens/s) / measured memory bandwidth at these threads. */
  readonly roofline_fraction: number | null;
  /**
   * Decode against the triad probed next to this file's rows (the better of a probe just before
   * and one just after them): on a shared host whose bandwidth drifts from minute to minute, the
   * denominator from the same stretch of time. Absent in quick mode and in older reports.
   */
  readonly near_roofline_fraction?: number | null;
  readonly near_triad_gb_per_s?: number | null;
  /** Prefill: achieved FLOP/s / peak arithmetic for the weights' data type at these threads. */
  readonly prefill_roofline_fraction: number | null;
  readonly weight_bytes_per_token: number;
  /** The fastest llama.cpp result on the same file (null when no peer ran). */
  readonly peer: PeerResult | null;
  /** Every llama.cpp variant that ran (node-llama-cpp per thread count, the C harness). */
  readonly peers: readonly PeerResult[];
}

export interface KernelRow {
  readonly type: string;
  readonly backend: string;
  readonly isa: string;
  readonly threads: number;
  readonly rows: number;
  readonly cols: number;
  /** Matrix x vector (decode-shaped): weight bytes streamed per second. */
  readonly matvec_gb_per_s: number;
  /** The same as multiply-adds: 2 x rows x cols per call. */
  readonly matvec_gop_per_s: number;
  /** Matrix x matrix (prefill-shaped, `batch` activation rows), GOP/s; null when not measured. */
  readonly matmul_gop_per_s: number | null;
  readonly batch: number;
}

export interface BenchReport {
  readonly machine: MachineInfo;
  readonly rows: readonly BenchRow[];
  readonly kernels: readonly KernelRow[];
}

// ---------------------------------------------------------------------------------------------
// JSON

/** Checks an object has the report's shape (for --compare input and the tests); throws naming the first problem. */
export function assertReportShape(value: unknown): asserts value is BenchReport {
  const fail = (what: string): never => {
    throw new Error(`not a bench report: ${what}`);
  };
  if (typeof value !== 'object' || value === null) fail('not an object');
  const v = value as Record<string, unknown>;
  if (typeof v.machine !== 'object' || v.machine === null) fail('no "machine" object');
  if (!Array.isArray(v.rows)) fail('no "rows" array');
  (v.rows as unknown[]).forEach((r, i) => {
    if (typeof r !== 'object' || r === null) fail(`rows[${i}] is not an object`);
    const row = r as Record<string, unknown>;
    for (const k of ['model', 'quant', 'backend']) if (typeof row[k] !== 'string') fail(`rows[${i}].${k} is not a string`);
    for (const k of ['threads', 'prompt_tokens', 'ttft_ms', 'prefill_tokens_per_s', 'decode_tokens_per_s']) {
      if (typeof row[k] !== 'number') fail(`rows[${i}].${k} is not a number`);
    }
    if (!('roofline_fraction' in row) || (row.roofline_fraction !== null && typeof row.roofline_fraction !== 'number')) fail(`rows[${i}].roofline_fraction is missing`);
    if (!('peer' in row)) fail(`rows[${i}].peer is missing`);
    const p = row.peer as Record<string, unknown> | null;
    if (p !== null && (typeof p !== 'object' || typeof p.name !== 'string' || typeof p.prefill_tokens_per_s !== 'number' || typeof p.decode_tokens_per_s !== 'number')) {
      fail(`rows[${i}].peer is neither null nor {name, prefill_tokens_per_s, decode_tokens_per_s}`);
    }
  });
}

export function rowKey(r: Pick<BenchRow, 'model' | 'quant' | 'backend' | 'threads' | 'prompt_tokens'>): string {
  return `${r.model} ${r.quant} ${r.backend} t${r.threads} p${r.prompt_tokens}`;
}

// ---------------------------------------------------------------------------------------------
// compare

export interface Regression {
  readonly key: string;
  readonly metric: string;
  readonly old: number;
  readonly new: number;
  /** Relative change in the bad direction (0.15 = 15% worse). */
  readonly worse: number;
}

export interface Comparison {
  readonly regressions: readonly Regression[];
  readonly improvements: readonly Regression[];
  readonly matched: number;
  readonly onlyOld: readonly string[];
  readonly onlyNew: readonly string[];
}

const ROW_METRICS: readonly [keyof BenchRow, 'higher' | 'lower'][] = [
  ['ttft_ms', 'lower'],
  ['prefill_tokens_per_s', 'higher'],
  ['decode_tokens_per_s', 'higher'],
];

/** Rows (and kernels) matched by key; a metric more than `threshold` worse is a regression. */
export function compareReports(old: BenchReport, now: BenchReport, threshold = 0.1): Comparison {
  const regressions: Regression[] = [];
  const improvements: Regression[] = [];
  const check = (key: string, metric: string, a: number, b: number, better: 'higher' | 'lower') => {
    if (!(a > 0) || !(b > 0)) return;
    const worse = better === 'higher' ? (a - b) / a : (b - a) / a;
    const entry = { key, metric, old: a, new: b, worse };
    if (worse > threshold) regressions.push(entry);
    else if (-worse > threshold) improvements.push(entry);
  };
  const oldRows = new Map(old.rows.map((r) => [rowKey(r), r]));
  const newKeys = new Set<string>();
  let matched = 0;
  for (const r of now.rows) {
    const key = rowKey(r);
    newKeys.add(key);
    const o = oldRows.get(key);
    if (!o) continue;
    matched++;
    for (const [m, better] of ROW_METRICS) check(key, m, o[m] as number, r[m] as number, better);
  }
  const kkey = (k: KernelRow) => `kernel ${k.type} ${k.backend}/${k.isa} t${k.threads} ${k.rows}x${k.cols}`;
  const oldKernels = new Map((old.kernels ?? []).map((k) => [kkey(k), k]));
  for (const k of now.kernels ?? []) {
    const o = oldKernels.get(kkey(k));
    if (!o) continue;
    matched++;
    check(kkey(k), 'matvec_gb_per_s', o.matvec_gb_per_s, k.matvec_gb_per_s, 'higher');
    if (o.matmul_gop_per_s !== null && k.matmul_gop_per_s !== null) check(kkey(k), 'matmul_gop_per_s', o.matmul_gop_per_s, k.matmul_gop_per_s, 'higher');
  }
  return {
    regressions,
    improvements,
    matched,
    onlyOld: [...oldRows.keys()].filter((k) => !newKeys.has(k)),
    onlyNew: [...newKeys].filter((k) => !oldRows.has(k)),
  };
}

export function formatComparison(c: Comparison, threshold = 0.1): string {
  const lines = [`compared ${c.matched} rows/kernels with the old report (threshold ${(threshold * 100).toFixed(0)}%)`];
  for (const r of c.regressions) lines.push(`REGRESSION ${r.key}: ${r.metric} ${fmt(r.old)} -> ${fmt(r.new)} (${(r.worse * 100).toFixed(1)}% worse)`);
  for (const r of c.improvements) lines.push(`improved   ${r.key}: ${r.metric} ${fmt(r.old)} -> ${fmt(r.new)} (${(-r.worse * 100).toFixed(1)}% better)`);
  if (c.onlyOld.length) lines.push(`not run now: ${c.onlyOld.join('; ')}`);
  if (c.onlyNew.length) lines.push(`new rows: ${c.onlyNew.join('; ')}`);
  if (!c.regressions.length) lines.push('no regressions');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// markdown

function fmt(x: number | null | undefined, digits?: number): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const d = digits ?? (Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2);
  return x.toFixed(d);
}

function pct(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
}

function ratio(a: number, b: number | undefined): string {
  return b && b > 0 && a > 0 ? `${(a / b).toFixed(2)}x` : '–';
}

export function describeMachine(m: MachineInfo): string {
  const lines = [
    `- date: ${m.date}`,
    `- cpu: ${m.cpu} (${m.logical_cpus} logical CPUs, ${m.memory_gib} GiB), ${m.os}, Node ${m.node}`,
    `- native kernels: ${m.isa ?? 'unavailable'} (paths here: ${m.isa_paths.join(', ') || 'none'}); threads ${m.threads}; features: ${m.cpu_features}`,
  ];
  if (m.limits) {
    const l = m.limits;
    const by = (o: Record<string, number>, unit: string) => Object.entries(o).map(([t, v]) => `${fmt(v)} ${unit} (${t}t)`).join(', ');
    lines.push(`- memory bandwidth (triad): ${by(l.triad_gb_per_s, 'GB/s')}${l.read_gb_per_s ? `; read-only stream: ${by(l.read_gb_per_s, 'GB/s')}` : ''}`);
    lines.push(`- peak f32 FMA: ${by(l.f32_fma_gflops, 'GFLOP/s')}; peak int8 multiply-add: ${by(l.int8_madd_gops, 'GOP/s')} [${l.source}]`);
  }
  for (const n of m.notes) lines.push(`- note: ${n}`);
  return lines.join('\n');
}

export function markdownReport(r: BenchReport): string {
  const out: string[] = ['## Machine', '', describeMachine(r.machine), ''];
  out.push('## Latency and throughput', '');
  out.push('Medians of the timed runs; TTFT as median [min–max]. Ratios are LocalGPT / llama.cpp (best of its variants); > 1 means we are faster. Decode roofline: weight bytes per token x tokens/s over the triad bandwidth; prefill: FLOP/s over the peak for the weights\' arithmetic.', '');
  out.push('| model | quantisation | backend | threads | prompt length | avg latency (TTFT ms) | prefill tok/s | decode tok/s | llama.cpp prefill | llama.cpp decode | llama.cpp TTFT ms | prefill ratio | decode ratio | decode roofline | prefill of peak |');
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const x of r.rows) {
    const p = x.peer;
    out.push(
      `| ${x.model} | ${x.quant} | ${x.backend} | ${x.threads} | ${x.prompt_tokens} | ${fmt(x.ttft_ms)} [${fmt(x.ttft_ms_min)}–${fmt(x.ttft_ms_max)}] | ${fmt(x.prefill_tokens_per_s)} | ${fmt(x.decode_tokens_per_s)} | ${fmt(p?.prefill_tokens_per_s)} | ${fmt(p?.decode_tokens_per_s)} | ${fmt(p?.ttft_ms)} | ${ratio(x.prefill_tokens_per_s, p?.prefill_tokens_per_s)} | ${ratio(x.decode_tokens_per_s, p?.decode_tokens_per_s)} | ${pct(x.roofline_fraction)} | ${pct(x.prefill_roofline_fraction)} |`,
    );
  }
  const same = sameThreadRows(r.rows);
  if (same.length) {
    const ahead = same.filter((x) => x.ratio >= 1).length;
    out.push('', '### Same thread count', '');
    out.push(`Ours / llama.cpp at the same thread count (the better of its variants at that count): ${ahead} of ${same.length} figures at or above 1.0.`, '');
    const near = r.rows.some((x) => x.near_roofline_fraction != null);
    if (near) out.push('Decode roofline against the run\'s triad (the better of its probes before and after all rows), and against the triad probed next to the row\'s own file (in parentheses, that probe in GB/s).', '');
    out.push(`| model | quantisation | threads | prefill | decode | decode roofline |${near ? ' next to the rows |' : ''}`, `| --- | --- | --- | --- | --- | --- |${near ? ' --- |' : ''}`);
    const cell = (x: SameThread | undefined) => (x ? `${fmt(x.ours)} / ${fmt(x.theirs)} = ${x.ratio.toFixed(2)}x` : '–');
    for (const x of r.rows) {
      const mine = same.filter((y) => y.row === x);
      if (!mine.length) continue;
      const pre = mine.find((y) => y.metric === 'prefill');
      const dec = mine.find((y) => y.metric === 'decode');
      const nearCell = x.near_roofline_fraction != null ? ` ${pct(x.near_roofline_fraction)} (${fmt(x.near_triad_gb_per_s)}) |` : ' – |';
      out.push(`| ${x.model} | ${x.quant} | ${x.threads} | ${cell(pre)} | ${cell(dec)} | ${pct(x.roofline_fraction)} |${near ? nearCell : ''}`);
    }
  }
  const peerRows = r.rows.filter((x) => x.peers.length > 0);
  if (peerRows.length) {
    out.push('', '### llama.cpp variants', '');
    out.push('| model | quantisation | prompt length | variant | threads | TTFT ms | prefill tok/s | decode tok/s |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
    const seen = new Set<string>();
    for (const x of peerRows) {
      const k = `${x.model}|${x.quant}|${x.prompt_tokens}`;
      if (seen.has(k)) continue;
      seen.add(k);
      for (const p of x.peers) out.push(`| ${x.model} | ${x.quant} | ${x.prompt_tokens} | ${p.name} | ${p.threads} | ${fmt(p.ttft_ms)} | ${fmt(p.prefill_tokens_per_s)} | ${fmt(p.decode_tokens_per_s)} |`);
    }
  }
  if (r.kernels.length) {
    out.push('', '## Kernels', '', 'Decode-shaped matrix x vector (GB/s of weights, GOP/s) and prefill-shaped matrix x matrix (GOP/s), per quantisation type from the registry.', '');
    out.push('| type | backend | isa | threads | shape | matvec GB/s | matvec GOP/s | matmul GOP/s (batch) |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const k of r.kernels) {
      out.push(`| ${k.type} | ${k.backend} | ${k.isa} | ${k.threads} | ${k.rows}x${k.cols} | ${fmt(k.matvec_gb_per_s)} | ${fmt(k.matvec_gop_per_s)} | ${k.matmul_gop_per_s === null ? '–' : `${fmt(k.matmul_gop_per_s)} (${k.batch})`} |`);
    }
  }
  return `${out.join('\n')}\n`;
}

export interface SameThread {
  readonly row: BenchRow;
  readonly metric: 'prefill' | 'decode';
  readonly ours: number;
  readonly theirs: number;
  readonly ratio: number;
}

/**
 * Each row's prefill and decode against the best llama.cpp variant run at the row's own thread
 * count: the fair pairing, since the headline peer is llama.cpp's best at any count.
 */
export function sameThreadRows(rows: readonly BenchRow[]): SameThread[] {
  const out: SameThread[] = [];
  for (const row of rows) {
    const peers = row.peers.filter((p) => p.threads === row.threads);
    for (const metric of ['prefill', 'decode'] as const) {
      const pick = (x: { prefill_tokens_per_s: number; decode_tokens_per_s: number }) =>
        metric === 'prefill' ? x.prefill_tokens_per_s : x.decode_tokens_per_s;
      const theirs = Math.max(0, ...peers.map(pick));
      const ours = pick(row);
      if (theirs > 0 && ours > 0) out.push({ row, metric, ours, theirs, ratio: ours / theirs });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// SVG

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Two panels (prefill, decode tokens/s), one pair of bars per row: LocalGPT and llama.cpp. */
export function svgChart(r: BenchReport): string {
  const rows = r.rows;
  const labelW = 250;
  const panelW = 330;
  const barH = 7;
  const rowH = 2 * barH + 6;
  const top = 48;
  const height = top + Math.max(1, rows.length) * rowH + 30;
  const width = labelW + 2 * (panelW + 20) + 10;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="10">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="8" y="16" font-size="13" font-weight="bold">${esc(`LocalGPT vs llama.cpp — ${r.machine.cpu}, ${r.machine.date.slice(0, 10)}`)}</text>`,
    `<rect x="${labelW}" y="24" width="10" height="8" fill="#2b6cb0"/><text x="${labelW + 14}" y="32">LocalGPT</text>`,
    `<rect x="${labelW + 80}" y="24" width="10" height="8" fill="#dd6b20"/><text x="${labelW + 94}" y="32">llama.cpp (best variant)</text>`,
  ];
  const panels: [string, (x: BenchRow) => [number, number]][] = [
    ['prefill tokens/s', (x) => [x.prefill_tokens_per_s, x.peer?.prefill_tokens_per_s ?? 0]],
    ['decode tokens/s', (x) => [x.decode_tokens_per_s, x.peer?.decode_tokens_per_s ?? 0]],
  ];
  panels.forEach(([title, get], pi) => {
    const x0 = labelW + pi * (panelW + 20);
    const max = Math.max(1, ...rows.flatMap((x) => get(x)));
    parts.push(`<text x="${x0}" y="${top - 4}" font-weight="bold">${esc(title)} (max ${fmt(max)})</text>`);
    parts.push(`<line x1="${x0}" y1="${top}" x2="${x0}" y2="${height - 30}" stroke="#999"/>`);
    rows.forEach((x, i) => {
      const [ours, peer] = get(x);
      const y = top + i * rowH + 2;
      const w1 = (ours / max) * panelW;
      const w2 = (peer / max) * panelW;
      parts.push(`<rect x="${x0}" y="${y}" width="${w1.toFixed(1)}" height="${barH}" fill="#2b6cb0"><title>${esc(`${rowKey(x)}: ${fmt(ours)}`)}</title></rect>`);
      if (peer > 0) parts.push(`<rect x="${x0}" y="${y + barH}" width="${w2.toFixed(1)}" height="${barH}" fill="#dd6b20"><title>${esc(`llama.cpp: ${fmt(peer)}`)}</title></rect>`);
    });
  });
  rows.forEach((x, i) => {
    const y = top + i * rowH + barH + 5;
    parts.push(`<text x="${labelW - 6}" y="${y}" text-anchor="end">${esc(`${x.model} ${x.quant} ${x.backend} p${x.prompt_tokens}`)}</text>`);
  });
  parts.push(`<text x="8" y="${height - 10}" fill="#555">${esc(`median of >= 5 runs; ${r.machine.threads} threads; ${r.machine.isa ?? 'no native addon'}`)}</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
