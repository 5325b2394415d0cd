import { GGMLType } from './ggml-type.js';
import { checkDequantArgs, checkQuantArgs, fr, nearestInt, readF16, signedAbsMax, writeF16 } from './common.js';
import { GROUP_MAX_EPS, QK_K } from './k-quant-util.js';
import type { QuantType } from './quant-type.js';

/**
 * block_q3_K (110 bytes): u8 hmask[32] @0 (3rd bit), u8 qs[64] @32 (low 2 bits),
 * u8 scales[12] @96 (16 six-bit scales, stored +32, see getScaleK3), f16 d @108 (d is LAST).
 * Sixteen sub-blocks of 16; value = d*(sc-32)*(q-4) with q = low2 | bit3<<2 in 0..7.
 * Element e (0..255):
 *   low 2 bits : qs[32*(e>>7) + (e&31)] bits 2*((e>>5)&3) .. +1
 *   3rd bit    : hmask[e&31] bit (e>>5)     (a CLEAR bit subtracts 4: value q-4 with q = low2 + 4*bit)
 *   scale      : sub-block e>>4
 */
const BYTES = 110;
const HMASK = 0;
const QS = 32;
const SCALES = 96;
const D = 108;

/**
 * Unpack 6-bit scale number `j` (0..15, still offset by +32) from the 12 bytes at q[off..off+12).
 * Low 4 bits: bytes 0..7, low nibble for j < 8, high nibble of byte j-8 for j >= 8.
 * High 2 bits: byte 8 + j%4, bits 2*(j/4) .. +1.
 */
export function getScaleK3(j: number, q: Uint8Array, off: number): number {
  const low = j < 8 ? q[off + j] & 0x0f : q[off + j - 8] >> 4;
  const high = (q[off + 8 + (j & 3)] >> (2 * (j >> 2))) & 3;
  return low | (high << 4);
}

/** Inverse of getScaleK3: pack 16 values 0..63 into the 12 bytes at dst[off..off+12). */
export function packScalesK3(ls: ArrayLike<number>, dst: Uint8Array, off: number): void {
  for (let k = 0; k < 12; k++) dst[off + k] = 0;
  for (let j = 0; j < 16; j++) {
    const l = ls[j] & 63;
    if (j < 8) dst[off + j] = l & 0x0f;
    else dst[off + j - 8] |= (l & 0x0f) << 4;
    dst[off + 8 + (j & 3)] |= (l >> 4) << (2 * (j >> 2));
  }
}

/**
 * ggml's make_q3_quants with do_rmse = true (what quantize_row_q3_K_ref uses): start from
 * levels round(-nmax/max * x) in -nmax..nmax-1, then up to 5 passes of coordinate descent, each
 * element moved to the level that the others' least-squares fit (weights w = x^2) suggests when
 * that improves sumlx^2/suml2. Levels land in L[loff..loff+n) offset by +nmax (0 for an all-zero
 * group, as ggml leaves them). Returns the least-squares scale sumlx/suml2.
 */
function makeQ3QuantsRmse(n: number, nmax: number, x: Float32Array, off: number, L: Int8Array, loff: number): number {
  const max = signedAbsMax(x, off, n);
  if (Math.abs(max) < GROUP_MAX_EPS) {
    for (let i = 0; i < n; i++) L[loff + i] = 0;
    return 0;
  }
  const iscale = fr(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[off + i];
    const l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(fr(iscale * xi))));
    L[loff + i] = l;
    const w = fr(xi * xi);
    sumlx = fr(sumlx + fr(fr(w * xi) * l));
    suml2 = fr(suml2 + fr(fr(w * l) * l));
  }
  for (let itry = 0; itry < 5; itry++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[off + i];
      const li = L[loff + i];
      const w = fr(xi * xi);
      let slx = fr(sumlx - fr(fr(w * xi) * li));
      if (slx > 0) {
        let sl2 = fr(suml2 - fr(fr(w * li) * li));
        const nl = Math.max(-nmax, Math.min(nmax - 1, nearestInt(fr(fr(xi * sl2) / slx))));
        if (nl !== li) {
          slx = fr(slx + fr(fr(w * xi) * nl));
          sl2 = fr(sl2 + fr(fr(w * nl) * nl));
          if (sl2 > 0 && fr(fr(slx * slx) * suml2) > fr(fr(sumlx * sumlx) * sl2)) {
            L[loff + i] = nl;
            sumlx = slx;
            suml2 = sl2;
            changed++;
          }
        }
      }
    }
    if (!changed) break;
  }
  for (let i = 0; i < n; i++) L[loff + i] += nmax;
  return suml2 > 0 ? fr(sumlx / suml2) : 0;
}

export const Q3_K: QuantType = {
  type: GGMLType.Q3_K,
  name: 'Q3_K',
  blockSize: QK_K,
  bytesPerBlock: BYTES,
  dequantize(src, out) {
    const nb = checkDequantArgs('Q3_K', QK_K, BYTES, src, out);
    for (let i = 0; i < nb; i++) {
      const o = i * BYTES;
      const dAll = readF16(src, o + D);
      const hm = o + HMASK;
      let y = i * QK_K;
      for (let h = 0; h < 2; h++) {
        const q = o + QS + 32 * h;
        for (let j = 0; j < 4; j++) {
          const shift = 2 * j;
          const bit = 1 << (4 * h + j);
          for (let k = 0; k < 2; k++) {
            const dl = fr(dAll * (getScaleK3(8 * h + 2 * j + k, src, o + SCALES) - 32));
            for (let l = 16 * k; l < 16 * k + 16; l++) {
              const v = ((src[q + l] >> shift) & 3) - (src[hm + l] & bit ? 0 : 4);
              out[y++] = fr(dl * v);
            }
          }
        }
      }
    }
  },
  quantize(src) {
    const nb = checkQuantArgs('Q3_K', QK_K, src);
    const dst = new Uint8Array(nb * BYTES);
    const L = new Int8Array(QK_K);
    const scales = new Float32Array(16);
    const ls = new Uint8Array(16);
    for (let i = 0; i < nb; i++) {
      const x = i * QK_K;
      const o = i * BYTES;
      let maxScale = 0;
      let amax = 0;
      for (let j = 0; j < 16; j++) {
        scales[j] = makeQ3QuantsRmse(16, 4, src, x + 16 * j, L, 16 * j);
        const a = Math.abs(scales[j]);
        if (a > amax) {
          amax = a;
          maxScale = scales[j];
        }
      }
      // scales stay all-zero bytes and d = +0 when every sub-block scale is 0
      if (maxScale !== 0) {
        const iscale = fr(-32 / maxScale);
        for (let j = 0; j < 16; j++) {
          // C stores nearest_int(...) into an int8_t (mod 256) before clamping to -32..31.
          const l = (nearestInt(fr(iscale * scales[j])) << 24) >> 24;
          ls[j] = Math.max(-32, Math.min(31, l)) + 32;
        }
        packScalesK3(ls, dst, o + SCALES);
        writeF16(dst, o + D, fr(1 / iscale));
      }
      const dAll = readF16(dst, o + D);
      for (let j = 0; j < 16; j++) {
        const d = fr(dAll * (getScaleK3(j, dst, o + SCALES) - 32));
        // C's `if (!d) continue`: only zero skips (a NaN d, from an f16-overflowed d times 0, does not)
        if (d === 0) continue; // keep the levels from the search
        for (let ii = 0; ii < 16; ii++) {
          const l = nearestInt(fr(src[x + 16 * j + ii] / d));
          L[16 * j + ii] = Math.max(-4, Math.min(3, l)) + 4;
        }
      }
      // 3rd bit of element e -> hmask[e % 32] bit e / 32; low 2 bits -> qs (see the layout above)
      for (let e = 0; e < QK_K; e++) {
        if (L[e] > 3) {
          dst[o + HMASK + (e & 31)] |= 1 << (e >> 5);
          L[e] -= 4;
        }
      }
      for (let h = 0; h < 2; h++) {
        const b = 128 * h;
        for (let l = 0; l < 32; l++) {
          dst[o + QS + 32 * h + l] = L[b + l] | (L[b + l + 32] << 2) | (L[b + l + 64] << 4) | (L[b + l + 96] << 6);
        }
      }
    }
    return dst;
  },
};
