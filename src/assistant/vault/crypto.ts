import { createRequire } from 'node:module';
import { randomFillSync } from 'node:crypto';
import type sodiumType from 'libsodium-wrappers';
import { VaultError } from './errors.js';

export type Sodium = typeof sodiumType;

/** Key-derivation parameters, stored in the clear next to the salt so unlock can redo them. */
export type KdfParams = { alg: 'argon2id13'; opsLimit: number; memLimit: number; salt: string /* base64 */ };

/**
 * Cost presets. 'interactive' is the default for users (libsodium's INTERACTIVE limits);
 * 'min' exists so tests stay fast. Custom Argon2id limits can be passed as an object.
 */
export type KdfPreset = 'interactive' | 'moderate' | 'min' | { opsLimit: number; memLimit: number };

export const KEY_BYTES = 32;
export const NONCE_BYTES = 24; // XChaCha20-Poly1305 nonce: random nonces are safe at this size
export const TAG_BYTES = 16;

let sodiumPromise: Promise<Sodium> | undefined;
let sodiumReady: Sodium | undefined;

/** libsodium, initialised once: the "sumo" build, the one that has crypto_pwhash (Argon2id). */
export function loadSodium(): Promise<Sodium> {
  if (!sodiumPromise) {
    sodiumPromise = (async () => {
      const mod = createRequire(import.meta.url)('libsodium-wrappers-sumo') as Sodium;
      await mod.ready;
      sodiumReady = mod;
      return mod;
    })();
  }
  return sodiumPromise;
}

/** The initialised libsodium; only valid after loadSodium() resolved (openVault awaits it). */
export function sodium(): Sodium {
  if (!sodiumReady) throw new Error('libsodium not initialised: await loadSodium() first');
  return sodiumReady;
}

/** True when this install can derive keys with Argon2id. */
export function hasArgon2(s: Sodium = sodium()): boolean {
  return typeof (s as unknown as Record<string, unknown>).crypto_pwhash === 'function';
}

/** Fresh Argon2id parameters (new random salt) for a preset. */
export function newKdfParams(preset: KdfPreset = 'interactive'): KdfParams {
  const s = sodium();
  const salt = s.to_base64(s.randombytes_buf(16), s.base64_variants.ORIGINAL);
  const x = s as unknown as Record<string, number>;
  const limits =
    typeof preset === 'object'
      ? preset
      : preset === 'min'
        ? { opsLimit: x.crypto_pwhash_OPSLIMIT_MIN, memLimit: x.crypto_pwhash_MEMLIMIT_MIN }
        : preset === 'moderate'
          ? { opsLimit: x.crypto_pwhash_OPSLIMIT_MODERATE, memLimit: x.crypto_pwhash_MEMLIMIT_MODERATE }
          : { opsLimit: x.crypto_pwhash_OPSLIMIT_INTERACTIVE, memLimit: x.crypto_pwhash_MEMLIMIT_INTERACTIVE };
  return { alg: 'argon2id13', opsLimit: limits.opsLimit, memLimit: limits.memLimit, salt };
}

/** Derive the key-encryption key from a passphrase. The caller wipes the result. */
export function deriveKek(passphrase: Uint8Array, params: KdfParams): Uint8Array {
  const s = sodium();
  const salt = s.from_base64(params.salt, s.base64_variants.ORIGINAL);
  if (params.alg === 'argon2id13') {
    if (!hasArgon2(s)) {
      throw new VaultError(
        'KDF_UNAVAILABLE',
        'this vault uses Argon2id, which needs the libsodium-wrappers-sumo package',
      );
    }
    const x = s as unknown as {
      crypto_pwhash: (n: number, pw: Uint8Array, salt: Uint8Array, ops: number, mem: number, alg: number) => Uint8Array;
      crypto_pwhash_ALG_ARGON2ID13: number;
    };
    return x.crypto_pwhash(KEY_BYTES, passphrase, salt, params.opsLimit, params.memLimit, x.crypto_pwhash_ALG_ARGON2ID13);
  }
  throw new VaultError('BAD_FORMAT', 'unknown key-derivation algorithm in vault metadata');
}

/** Sealed layout: nonce (24) || ciphertext+tag. */
export function sealBytes(key: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  const s = sodium();
  const nonce = randomBytes(NONCE_BYTES);
  const ct = s.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key);
  const out = new Uint8Array(NONCE_BYTES + ct.length);
  out.set(nonce, 0);
  out.set(ct, NONCE_BYTES);
  return out;
}

/** Open a sealed blob; returns undefined when it fails authentication or is too short. */
export function openBytes(key: Uint8Array, sealed: Uint8Array, ad: Uint8Array): Uint8Array | undefined {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return undefined;
  const s = sodium();
  try {
    return s.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      sealed.subarray(NONCE_BYTES),
      ad,
      sealed.subarray(0, NONCE_BYTES),
      key,
    );
  } catch {
    return undefined;
  }
}

export function randomKey(): Uint8Array {
  return sodium().randombytes_buf(KEY_BYTES);
}

/**
 * Random bytes from the OS CSPRNG (node:crypto), served from a pool: libsodium.js's
 * randombytes_buf crosses into WebAssembly and back per call and was 10x slower than the
 * cipher itself for small records. Used for nonces and ids, never for keys.
 */
export function randomBytes(n: number): Uint8Array {
  if (n > POOL_SIZE) return randomFillSync(new Uint8Array(n));
  if (poolPos + n > POOL_SIZE) {
    randomFillSync(pool);
    poolPos = 0;
  }
  const out = pool.slice(poolPos, poolPos + n);
  pool.fill(0, poolPos, poolPos + n); // handed-out bytes do not linger in the pool
  poolPos += n;
  return out;
}

const POOL_SIZE = 8192;
const pool = new Uint8Array(POOL_SIZE);
let poolPos = POOL_SIZE;

/** Overwrite key material in place. */
export function wipe(buf: Uint8Array | undefined): void {
  if (!buf) return;
  try {
    sodium().memzero(buf);
  } catch {
    buf.fill(0);
  }
}

const enc = new TextEncoder();

/**
 * Associated data binding a record to where it lives: table, record id and the payload's
 * schema version. A row copied into another table, another id, or relabelled with another
 * version no longer opens.
 */
export function recordAd(table: string, id: string, version: number): Uint8Array {
  return enc.encode(`localgpt.record\0${table}\0${id}\0${version}`);
}

/** Passphrases are normalised (NFC) so the same words typed on different systems match. */
export function passphraseBytes(p: string | Uint8Array): Uint8Array {
  return typeof p === 'string' ? enc.encode(p.normalize('NFC')) : p;
}
