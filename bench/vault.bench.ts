/**
 * Vault and memory benchmark: seal/open throughput, unlock time, add rate, index build and
 * keyword-search latency at 10k and 100k memories; the open time includes the ledger's replay check.
 *
 *   npx tsx bench/vault.bench.ts [--sizes 10000,100000] [--kdf interactive|min] [--json]
 *
 * Targets (issue 5): search p95 <= 20 ms at 100k memories; >= 5k memories added per second.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Memory } from '../src/assistant/memory/index.js';
import { loadSodium, openVault } from '../src/assistant/vault/index.js';
import { type KdfPreset, openBytes, recordAd, sealBytes, randomKey } from '../src/assistant/vault/crypto.js';
import { mulberry32 } from '../test/fixtures/random.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const sizes = opt('sizes', '10000,100000').split(',').map(Number);
const kdf = opt('kdf', 'interactive') as KdfPreset;
const asJson = args.includes('--json');
const results: Record<string, unknown> = {};
const log = (s: string) => {
  if (!asJson) console.log(s);
};

await loadSodium();
const dir = mkdtempSync(join(tmpdir(), 'lgpt-bench-'));
try {
  // ---- seal/open throughput ----
  const key = randomKey();
  const ad = recordAd('memories', 'x'.repeat(22), 1);
  for (const size of [256, 4096, 65536, 4 << 20]) {
    const data = new Uint8Array(size).fill(7);
    const iters = Math.max(20, Math.min(50_000, Math.floor((64 << 20) / size)));
    let sealed = sealBytes(key, data, ad);
    let t = performance.now();
    for (let i = 0; i < iters; i++) sealed = sealBytes(key, data, ad);
    const sealMs = performance.now() - t;
    t = performance.now();
    for (let i = 0; i < iters; i++) openBytes(key, sealed, ad);
    const openMs = performance.now() - t;
    const r = {
      sealOpsPerSec: Math.round(iters / (sealMs / 1000)),
      openOpsPerSec: Math.round(iters / (openMs / 1000)),
      sealMBps: +((size * iters) / (sealMs / 1000) / 1e6).toFixed(1),
      openMBps: +((size * iters) / (openMs / 1000) / 1e6).toFixed(1),
    };
    results[`seal_${size}B`] = r;
    log(`seal/open ${String(size).padStart(8)} B: seal ${r.sealOpsPerSec} op/s (${r.sealMBps} MB/s), open ${r.openOpsPerSec} op/s (${r.openMBps} MB/s)`);
  }

  // ---- unlock ----
  const path0 = join(dir, 'unlock.db');
  (await openVault({ path: path0, passphrase: 'bench passphrase', kdf })).close();
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const v = await openVault({ path: path0, passphrase: 'bench passphrase' });
    times.push(performance.now() - t);
    if (i === 0) results.kdf = v.kdfParams();
    v.close();
  }
  results.unlockMs = +median(times).toFixed(1);
  log(`unlock (${kdf}, ${(results.kdf as { alg: string }).alg}): ${results.unlockMs} ms`);

  // ---- add rate, index build, search latency ----
  const vocab = makeVocab(5000);
  for (const n of sizes) {
    const path = join(dir, `mem-${n}.db`);
    const mem = await Memory.open({ path, passphrase: 'bench passphrase', kdf: 'min' });
    const rng = mulberry32(n);
    const batch = 1000;
    let t = performance.now();
    for (let i = 0; i < n; i += batch) {
      const items = [];
      for (let j = i; j < Math.min(n, i + batch); j++) items.push({ text: sentence(vocab, rng, 12 + Math.floor(rng() * 20)) });
      mem.facts.addMany(items);
    }
    const addPerSec = Math.round(n / ((performance.now() - t) / 1000));
    mem.close();

    // Cold start: unlock (with the ledger check), decrypt everything, build the in-memory index.
    t = performance.now();
    const mem2 = await Memory.open({ path, passphrase: 'bench passphrase' });
    const openMs = performance.now() - t;
    t = performance.now();
    mem2.vault.verifyLedger();
    const ledgerMs = performance.now() - t;
    t = performance.now();
    mem2.facts.list();
    const decryptAllMs = performance.now() - t;
    t = performance.now();
    mem2.index();
    const buildMs = performance.now() - t;
    const lat: number[] = [];
    for (let q = 0; q < 300; q++) {
      const query = sentence(vocab, rng, 1 + Math.floor(rng() * 3));
      const s = performance.now();
      await mem2.search(query, { limit: 10 });
      lat.push(performance.now() - s);
    }
    lat.sort((a, b) => a - b);
    const r = {
      addPerSec,
      openMs: Math.round(openMs),
      ledgerVerifyMs: Math.round(ledgerMs),
      decryptAllMs: Math.round(decryptAllMs),
      indexBuildMs: Math.round(buildMs),
      searchP50Ms: +pct(lat, 0.5).toFixed(2),
      searchP95Ms: +pct(lat, 0.95).toFixed(2),
      searchMaxMs: +lat[lat.length - 1].toFixed(2),
    };
    results[`memories_${n}`] = r;
    log(
      `${String(n).padStart(7)} memories: add ${r.addPerSec}/s, open ${r.openMs} ms (ledger check ${r.ledgerVerifyMs} ms), decrypt all ${r.decryptAllMs} ms, decrypt+index build ${r.indexBuildMs} ms, search p50 ${r.searchP50Ms} ms p95 ${r.searchP95Ms} ms max ${r.searchMaxMs} ms`,
    );
    mem2.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (asJson) console.log(JSON.stringify(results, null, 2));

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}
function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}
function makeVocab(n: number): string[] {
  const rng = mulberry32(42);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  return Array.from({ length: n }, () => Array.from({ length: 3 + Math.floor(rng() * 6) }, () => letters[Math.floor(rng() * 26)]).join(''));
}
/** Zipf-like word choice: common words are common, as in real text. */
function sentence(vocab: string[], rng: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(vocab[Math.floor(vocab.length * rng() ** 3)]);
  return out.join(' ');
}
