import { GGMLType } from './ggml-type.js';
import { checkDequantArgs, checkQuantArgs, fr, nearestInt, readF16, writeF16 } from './common.js';
import { f16ToF32, f32ToF16 } from './half.js';
import { GROUP_MAX_EPS, QK_K, makeQxQuantsRmse1 } from './k-quant-util.js';
import type { QuantType } from './quant-type.js';

/**
 * block_q6_K (210 bytes): u8 ql[128] @0 (low 4 bits), u8 qh[64] @128 (high 2 bits),
 * i8 scales[16] @192, f16 d @208 (d is LAST). Sixteen sub-blocks of 16; value = d*sc*(q - 32).
 * Per 128-element half h (ql += 64h, qh += 32h, scales += 8h), for l in 0..31:
 *   element l      : ql[l] low nibble,      qh[l] bits 0-1, scale[l/16]
 *   element l + 32 : ql[l+32] low nibble,   qh[l] bits 2-3, scale[l/16 + 2]
 *   element l + 64 : ql[l] high nibble,     qh[l] bits 4-5, scale[l/16 + 4]
 *   element l + 96 : ql[l+32] high nibble,  qh[l] bits 6-7, scale[l/16 + 6]
 */
const BYTES = 210;

export const Q6_K: QuantType = {
  type: GGMLType.Q6_K,
  name: 'Q6_K',
  blockSize: QK_K,
  bytesPerBlock: BYTES,
  dequantize(src, out) {
    const nb = checkDequantArgs('Q6_K', QK_K, BYTES, src, out);
    for (let i = 0; i < nb; i++) {
      const o = i * BYTES;
      const d = readF16(src, o + 208);
      for (let h = 0; h < 2; h++) {
        const ql = o + 64 * h;
        const qh = o + 128 + 32 * h;
        const sc = o + 192 + 8 * h;
        const y = i * QK_K + 128 * h;
        for (let l = 0; l < 32; l++) {
          const is = l >> 4;
          const a = src[ql + l], b = src[ql + l + 32], hb = src[qh + l];
          const q1 = ((a & 0x0f) | ((hb & 3) << 4)) - 32;
          const q2 = ((b & 0x0f) | (((hb >> 2) & 3) << 4)) - 32;
          const q3 = ((a >> 4) | (((hb >> 4) & 3) << 4)) - 32;
          const q4 = ((b >> 4) | (((hb >> 6) & 3) << 4)) - 32;
          out[y + l] = fr(fr(d * ((src[sc + is] << 24) >> 24)) * q1);
          out[y + l + 32] = fr(fr(d * ((src[sc + is + 2] << 24) >> 24)) * q2);
          out[y + l + 64] = fr(fr(d * ((src[sc + is + 4] << 24) >> 24)) * q3);
          out[y + l + 96] = fr(fr(d * ((src[sc + is + 6] << 24) >> 24)) * q4);
        }
      }
    }
  },
  quantize(src) {
    const nb = checkQuantArgs('Q6_K', QK_K, src);
    const dst = new Uint8Array(nb * BYTES);
    const L = new Int8Array(QK_K);
    const scales = new Float32Array(16);
    for (let i = 0; i < nb; i++) {
      const x = i * QK_K;
      const o = i * BYTES;
      let maxScale = 0;
      let maxAbsScale = 0;
      for (let ib = 0; ib < 16; ib++) {
        const scale = makeQxQuantsRmse1(16, 32, src, x + 16 * ib, L, 16 * ib);
        scales[ib] = scale;
        const a = Math.abs(scale);
        if (a > maxAbsScale) {
          maxAbsScale = a;
          maxScale = scale;
        }
      }
      if (maxAbsScale < GROUP_MAX_EPS) continue; // all-zero block: every byte 0 (d = +0)
      const iscale = fr(-128 / maxScale);
      writeF16(dst, o + 208, fr(1 / iscale));
      const dAll = f16ToF32(f32ToF16(fr(1 / iscale)));
      for (let ib = 0; ib < 16; ib++) {
        dst[o + 192 + ib] = Math.min(127, nearestInt(fr(iscale * scales[ib]))) & 0xff;
      }
      for (let j = 0; j < 16; j++) {
        const d = fr(dAll * ((dst[o + 192 + j] << 24) >> 24));
        if (d === 0) continue; // C's `if (!d)`: a NaN d (an f16-overflowed scale times 0) is not skipped
        for (let ii = 0; ii < 16; ii++) {
          const l = nearestInt(fr(src[x + 16 * j + ii] / d));
          L[16 * j + ii] = Math.max(-32, Math.min(31, l)) + 32;
        }
      }
      for (let h = 0; h < 2; h++) {
        const ql = o + 64 * h;
        const qh = o + 128 + 32 * h;
        const b = 128 * h;
        for (let l = 0; l < 32; l++) {
          const q1 = L[b + l], q2 = L[b + l + 32], q3 = L[b + l + 64], q4 = L[b + l + 96];
          dst[ql + l] = (q1 & 0x0f) | ((q3 & 0x0f) << 4);
          dst[ql + l + 32] = (q2 & 0x0f) | ((q4 & 0x0f) << 4);
          dst[qh + l] = (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6);
        }
      }
    }
    return dst;
  },
};
