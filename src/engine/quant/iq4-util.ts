import { fr, nearestInt, signedAbsMax, writeF16 } from './common.js';
import { GROUP_MAX_EPS } from './k-quant-util.js';

/** The sixteen non-linear levels IQ4_NL and IQ4_XS share (ggml's kvalues_iq4nl), in ascending order. */
export const IQ4_VALUES: Readonly<Int8Array> = Int8Array.of(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);

/** Where a block's fields lie: IQ4_NL is one 32-value block (no sub-scales), IQ4_XS a 256-value super-block. */
export interface Iq4Layout {
  readonly values: 32 | 256;
  readonly d: number;
  /** IQ4_XS: u16 high two bits of the eight six-bit sub-scales, then u8 low nibbles, two a byte. */
  readonly scalesH?: number;
  readonly scalesL?: number;
  readonly qs: number;
}

/**
 * ggml's quantize_row_iq4_nl_impl without an importance matrix and with ntry = 7: what
 * llama-quantize (quantize_iq4_nl / quantize_iq4_xs) writes. ggml's quantize_row_iq4_nl_ref passes
 * ntry = -1 instead (no scale search); no file is written that way, so we follow llama-quantize.
 * Each 32-value sub-block gets the scale whose levels fit it best among 15 candidates; IQ4_XS then
 * stores the sub-scales as six-bit multiples of one f16 scale and re-picks the levels for them.
 */
export function quantizeIq4Block(src: Float32Array, x: number, dst: Uint8Array, o: number, at: Iq4Layout): void {
  const n = at.values;
  const nsub = n / 32;
  const L = SCRATCH_L;
  const weight = SCRATCH_WEIGHT;
  const scales = SCRATCH_SCALES.subarray(0, nsub).fill(0);
  for (let ib = 0; ib < nsub; ib++) {
    const xb = x + 32 * ib;
    for (let j = 0; j < 32; j++) weight[j] = fr(src[xb + j] * src[xb + j]);
    const max = signedAbsMax(src, xb, 32);
    if (Math.abs(max) < GROUP_MAX_EPS) {
      scales[ib] = 0;
      continue;
    }
    let id = fr(1 / fr(-max / IQ4_VALUES[0]));
    let [sumqx, sumq2] = fit(src, xb, id, weight, L, 32 * ib);
    let d = sumq2 > 0 ? fr(sumqx / sumq2) : 0;
    let best = fr(d * sumqx);
    for (let itry = -7; itry <= 7; itry++) {
      id = fr((itry + IQ4_VALUES[0]) / max);
      [sumqx, sumq2] = fit(src, xb, id, weight, null, 0);
      if (sumq2 > 0 && fr(sumqx * sumqx) > fr(best * sumq2)) {
        d = fr(sumqx / sumq2);
        best = fr(d * sumqx);
      }
    }
    scales[ib] = d;
  }
  if (nsub > 1) {
    const d = fr(-signedAbsMax(scales, 0, nsub) / 32);
    writeF16(dst, o + at.d, d);
    // C's `d ? 1/d : 0`: only zero is false there (a NaN scale stays NaN), unlike JS truthiness.
    const id = d !== 0 ? fr(1 / d) : 0;
    let scalesH = 0;
    for (let ib = 0; ib < nsub; ib++) {
      const l = Math.max(-32, Math.min(31, nearestInt(fr(id * scales[ib]))));
      const dl = fr(d * l);
      const idl = dl !== 0 ? fr(1 / dl) : 0;
      for (let j = 0; j < 32; j++) L[32 * ib + j] = bestIq4Index(fr(idl * src[x + 32 * ib + j]));
      const u = l + 32;
      if (ib % 2 === 0) dst[o + at.scalesL! + (ib >> 1)] = u & 0xf;
      else dst[o + at.scalesL! + (ib >> 1)] |= (u & 0xf) << 4;
      scalesH |= (u >> 4) << (2 * ib);
    }
    dst[o + at.scalesH!] = scalesH & 0xff;
    dst[o + at.scalesH! + 1] = scalesH >>> 8;
  } else {
    writeF16(dst, o + at.d, scales[0]);
    const id = scales[0] !== 0 ? fr(1 / scales[0]) : 0;
    for (let j = 0; j < 32; j++) L[j] = bestIq4Index(fr(id * src[x + j]));
  }
  for (let i = 0; i < nsub; i++) {
    for (let j = 0; j < 16; j++) dst[o + at.qs + 16 * i + j] = L[32 * i + j] | (L[32 * i + 16 + j] << 4);
  }
}

// One block at a time (quantizeIq4Block does not re-enter), so its scratch is the module's.
const SCRATCH_L = new Uint8Array(256);
const SCRATCH_WEIGHT = new Float32Array(32);
const SCRATCH_SCALES = new Float32Array(8);

/** ggml's best_index_int8 over IQ4_VALUES: the nearest level's index, the lower one unless the upper is strictly nearer. */
export function bestIq4Index(x: number): number {
  const v = IQ4_VALUES;
  if (x <= v[0]) return 0;
  if (x >= v[15]) return 15;
  let ml = 0;
  let mu = 15;
  while (mu - ml > 1) {
    const mav = (ml + mu) >> 1;
    if (x < v[mav]) mu = mav;
    else ml = mav;
  }
  return fr(x - v[mu - 1]) < fr(v[mu] - x) ? mu - 1 : mu;
}

/** The weighted sums of one candidate scale's fit (sum w*q*x, sum w*q*q), its levels into L when given. */
function fit(src: Float32Array, xb: number, id: number, weight: Float32Array, L: Uint8Array | null, lo: number): [number, number] {
  let sumqx = 0;
  let sumq2 = 0;
  for (let j = 0; j < 32; j++) {
    const l = bestIq4Index(fr(id * src[xb + j]));
    if (L) L[lo + j] = l;
    const wq = fr(weight[j] * IQ4_VALUES[l]);
    sumqx = fr(sumqx + fr(wq * src[xb + j]));
    sumq2 = fr(sumq2 + fr(wq * IQ4_VALUES[l]));
  }
  return [sumqx, sumq2];
}
