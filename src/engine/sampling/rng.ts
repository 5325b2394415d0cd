/**
 * A small seeded PRNG: xoshiro128** (Blackman & Vigna) with its 128-bit state filled by
 * splitmix32 from the seed. 32-bit integer arithmetic only (Math.imul), so it is fast in JS and
 * gives the same sequence on every platform. The same seed always gives the same numbers.
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /** seed: any finite number; integers up to 2^53 use all their bits. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    const s = Math.floor(Math.abs(seed));
    const lo = s >>> 0;
    const hi = Math.floor(s / 4294967296) >>> 0;
    // splitmix32 over a counter that starts from a mix of both halves of the seed.
    let a = (lo ^ Math.imul(hi ^ 0x5bd1e995, 0x27d4eb2d)) | 0;
    const next = (): number => {
      a = (a + 0x9e3779b9) | 0;
      let t = a ^ (a >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      t ^= t >>> 15;
      return t >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /** The four state words (for a sampling loop outside JS that continues this stream). */
  state(): Uint32Array {
    return Uint32Array.of(this.s0, this.s1, this.s2, this.s3);
  }

  /** Continues from four state words that state() (or the same generator elsewhere) produced. */
  setState(s: ArrayLike<number>): void {
    if (s.length !== 4 || (s[0]! | s[1]! | s[2]! | s[3]!) === 0) throw new RangeError('a PRNG state is four words, not all zero');
    this.s0 = s[0]! | 0;
    this.s1 = s[1]! | 0;
    this.s2 = s[2]! | 0;
    this.s3 = s[3]! | 0;
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    const s1 = this.s1;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A random seed for when none is given (llama.cpp likewise draws one when the seed is 'default'). */
export function randomSeed(): number {
  const buf = new Uint32Array(2);
  globalThis.crypto.getRandomValues(buf);
  return (buf[0] & 0x1fffff) * 4294967296 + buf[1];
}
