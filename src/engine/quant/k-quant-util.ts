/**
 * Shared pieces of the K-quants (256-element super-blocks): the 6-bit scale/min packing used by
 * Q4_K and Q5_K, and ggml's iterative scale searches used by the reference quantisers
 * (make_qx_quants for symmetric types such as Q6_K, make_qkx2_quants for scale+min types such as
 * Q4_K/Q5_K). All arithmetic is float32-emulated with Math.fround in ggml's operation order.
 */
import { fr, nearestInt, signedAbsMax, writeF16 } from './common.js';
import { f16ToF32, f32ToF16 } from './half.js';

/** Elements per K-quant super-block. */
export const QK_K = 256;

/** ggml's GROUP_MAX_EPS (1e-15f): below this a group counts as all zero. */
export const GROUP_MAX_EPS = fr(1e-15);

/**
 * Unpack scale and min number `j` (0..7) from the 12-byte packed array at `scales[off..off+12)`.
 * Bytes 0..3: low 6 bits = scale j (j<4), top 2 bits = high bits of scale j+4.
 * Bytes 4..7: low 6 bits = min j (j<4), top 2 bits = high bits of min j+4.
 * Bytes 8..11: low nibble = low 4 bits of scale j+4, high nibble = low 4 bits of min j+4.
 * Returns [scale, min], each 0..63.
 */
export function getScaleMinK4(j: number, q: Uint8Array, off: number): [number, number] {
  if (j < 4) return [q[off + j] & 63, q[off + j + 4] & 63];
  return [
    (q[off + j + 4] & 0x0f) | ((q[off + j - 4] >> 6) << 4),
    (q[off + j + 4] >> 4) | ((q[off + j] >> 6) << 4),
  ];
}

/** Inverse of getScaleMinK4: pack 8 scales and 8 mins (each 0..63) into 12 bytes at dst[off..]. */
export function packScaleMinK4(ls: ArrayLike<number>, lm: ArrayLike<number>, dst: Uint8Array, off: number): void {
  for (let k = 0; k < 12; k++) dst[off + k] = 0;
  for (let j = 0; j < 8; j++) {
    const s = ls[j] & 63;
    const m = lm[j] & 63;
    if (j < 4) {
      dst[off + j] = s;
      dst[off + j + 4] = m;
    } else {
      dst[off + j + 4] = (s & 0x0f) | ((m & 0x0f) << 4);
      dst[off + j - 4] |= (s >> 4) << 6;
      dst[off + j] |= (m >> 4) << 6;
    }
  }
}

/**
 * make_qx_quants with rmse_type 1 and no importance weights (the path quantize_row_q6_K_ref
 * takes): symmetric quantisation of x[off..off+n) to levels -nmax..nmax-1 (stored +nmax in L),
 * trying 18 scales around nmax/max and keeping the one with the best weighted (w = x^2) fit.
 * Returns the scale (may be negative: it carries the sign of the largest-magnitude element).
 */
export function makeQxQuantsRmse1(n: number, nmax: number, x: Float32Array, off: number, L: Int8Array | Uint8Array, loff: number): number {
  const max = signedAbsMax(x, off, n);
  const amax = Math.abs(max);
  if (amax < GROUP_MAX_EPS) {
    for (let i = 0; i < n; i++) L[loff + i] = 0;
    return 0;
  }
  let iscale = fr(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[off + i];
    let l = nearestInt(fr(iscale * xi));
    l = Math.max(-nmax, Math.min(nmax - 1, l));
    L[loff + i] = l + nmax;
    const w = fr(xi * xi);
    sumlx = fr(sumlx + fr(fr(w * xi) * l));
    suml2 = fr(suml2 + fr(fr(w * l) * l));
  }
  let scale = suml2 ? fr(sumlx / suml2) : 0;
  let best = fr(scale * sumlx);
  const tenth = fr(0.1);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    iscale = fr(-fr(nmax + fr(tenth * is)) / max);
    sumlx = 0;
    suml2 = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[off + i];
      let l = nearestInt(fr(iscale * xi));
      l = Math.max(-nmax, Math.min(nmax - 1, l));
      const w = fr(xi * xi);
      sumlx = fr(sumlx + fr(fr(w * xi) * l));
      suml2 = fr(suml2 + fr(fr(w * l) * l));
    }
    if (suml2 > 0 && fr(sumlx * sumlx) > fr(best * suml2)) {
      for (let i = 0; i < n; i++) {
        const l = nearestInt(fr(iscale * x[off + i]));
        L[loff + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, l));
      }
      scale = fr(sumlx / suml2);
      best = fr(scale * sumlx);
    }
  }
  return scale;
}

/** Result of makeQkx2Quants: value ~= scale * L - min (min >= 0). */
export interface ScaleMin {
  scale: number;
  min: number;
}

/**
 * make_qkx2_quants: asymmetric quantisation of x[off..off+n) to levels 0..nmax with a scale and a
 * (non-positive, returned negated) offset, searching nstep+1 candidate scales
 * (rmin + rdelta*is + nmax)/(max - min) and solving weighted least squares for scale and min at
 * each; keeps the candidate with the lowest weighted squared (or absolute, useMad) error.
 * `L` receives the levels at L[loff..loff+n); `laux` is scratch of length >= n.
 */
export function makeQkx2Quants(
  n: number,
  nmax: number,
  x: Float32Array,
  off: number,
  weights: Float32Array,
  L: Uint8Array,
  loff: number,
  laux: Uint8Array,
  rmin: number,
  rdelta: number,
  nstep: number,
  useMad: boolean,
): ScaleMin {
  let min = x[off];
  let max = x[off];
  let sumW = weights[0];
  let sumX = fr(sumW * x[off]);
  for (let i = 1; i < n; i++) {
    const xi = x[off + i];
    if (xi < min) min = xi;
    if (xi > max) max = xi;
    const w = weights[i];
    sumW = fr(sumW + w);
    sumX = fr(sumX + fr(w * xi));
  }
  if (min > 0) min = 0;
  if (max === min) {
    for (let i = 0; i < n; i++) L[loff + i] = 0;
    return { scale: 0, min: -min };
  }
  let iscale = fr(nmax / fr(max - min));
  let scale = fr(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[off + i];
    const l = Math.max(0, Math.min(nmax, nearestInt(fr(iscale * fr(xi - min)))));
    L[loff + i] = l;
    let diff = fr(fr(fr(scale * l) + min) - xi);
    diff = useMad ? Math.abs(diff) : fr(diff * diff);
    bestError = fr(bestError + fr(weights[i] * diff));
  }
  if (nstep < 1) return { scale, min: -min };
  for (let is = 0; is <= nstep; is++) {
    // (max - min) on purpose uses the best min found so far, as ggml does.
    iscale = fr(fr(fr(rmin + fr(rdelta * is)) + nmax) / fr(max - min));
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[off + i];
      const l = Math.max(0, Math.min(nmax, nearestInt(fr(iscale * fr(xi - min)))));
      laux[i] = l;
      const wl = fr(weights[i] * l);
      sumL = fr(sumL + wl);
      sumL2 = fr(sumL2 + fr(wl * l));
      sumXL = fr(sumXL + fr(wl * xi));
    }
    const D = fr(fr(sumW * sumL2) - fr(sumL * sumL));
    if (D > 0) {
      let thisScale = fr(fr(fr(sumW * sumXL) - fr(sumX * sumL)) / D);
      let thisMin = fr(fr(fr(sumL2 * sumX) - fr(sumL * sumXL)) / D);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = fr(sumXL / sumL2);
      }
      let curError = 0;
      for (let i = 0; i < n; i++) {
        let diff = fr(fr(fr(thisScale * laux[i]) + thisMin) - x[off + i]);
        diff = useMad ? Math.abs(diff) : fr(diff * diff);
        curError = fr(curError + fr(weights[i] * diff));
      }
      if (curError < bestError) {
        for (let i = 0; i < n; i++) L[loff + i] = laux[i];
        bestError = curError;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  return { scale, min: -min };
}

/** Per-format knobs of the shared Q4_K/Q5_K super-block quantiser (ggml's make_qkx2_quants arguments). */
export interface ScaleMinSearch {
  readonly nmax: number;
  readonly rmin: number;
  readonly nstep: number;
}

/**
 * The part of quantize_row_q4_K_ref / q5_K_ref the two share: for the super-block at src[x..x+256),
 * search each 32-sub-block's scale and min, pack the 6-bit scales/mins at dst[o+4..o+16), write
 * d/dmin at dst[o], dst[o+2], and leave in L[0..256) the levels requantised with the stored scales.
 */
export function quantizeScaleMinSuperBlock(src: Float32Array, x: number, dst: Uint8Array, o: number, L: Uint8Array, p: ScaleMinSearch): void {
  const laux = new Uint8Array(32);
  const weights = new Float32Array(32);
  const scales = new Float32Array(8);
  const mins = new Float32Array(8);
  const ls = new Uint8Array(8);
  const lm = new Uint8Array(8);
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < 8; j++) {
    const xo = x + 32 * j;
    let sumX2 = 0;
    for (let l = 0; l < 32; l++) sumX2 = fr(sumX2 + fr(src[xo + l] * src[xo + l]));
    const avX = fr(Math.sqrt(fr(sumX2 / 32)));
    for (let l = 0; l < 32; l++) weights[l] = fr(avX + Math.abs(src[xo + l]));
    const r = makeQkx2Quants(32, p.nmax, src, xo, weights, L, 32 * j, laux, p.rmin, fr(0.1), p.nstep, false);
    scales[j] = r.scale;
    mins[j] = r.min;
    if (scales[j] > maxScale) maxScale = scales[j];
    if (mins[j] > maxMin) maxMin = mins[j];
  }
  const invScale = maxScale > 0 ? fr(63 / maxScale) : 0;
  const invMin = maxMin > 0 ? fr(63 / maxMin) : 0;
  for (let j = 0; j < 8; j++) {
    // C stores nearest_int(...) into a uint8_t (mod 256) before clamping to 63.
    ls[j] = Math.min(63, nearestInt(fr(invScale * scales[j])) & 0xff);
    lm[j] = Math.min(63, nearestInt(fr(invMin * mins[j])) & 0xff);
  }
  packScaleMinK4(ls, lm, dst, o + 4);
  writeF16(dst, o, fr(maxScale / 63));
  writeF16(dst, o + 2, fr(maxMin / 63));
  const dAll = f16ToF32(f32ToF16(fr(maxScale / 63)));
  const mAll = f16ToF32(f32ToF16(fr(maxMin / 63)));
  for (let j = 0; j < 8; j++) {
    const [sc, m] = getScaleMinK4(j, dst, o + 4);
    const d = fr(dAll * sc);
    if (d === 0) continue; // keep the levels from the search (C's `!d`: a NaN d, inf times 0, goes on)
    const dm = fr(mAll * m);
    for (let ii = 0; ii < 32; ii++) {
      const l = nearestInt(fr(fr(src[x + 32 * j + ii] + dm) / d));
      L[32 * j + ii] = Math.max(0, Math.min(p.nmax, l));
    }
  }
}
