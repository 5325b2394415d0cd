import { createHash, type Hash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, ftruncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AlignedChunks } from '../../../engine/gguf/aligned-chunks.js';
import { dataDir } from '../../vault/paths.js';
import { resolveModelName } from '../aliases.js';
import type { JobKind } from './registry.js';

export interface DownloadProgress {
  received: number;
  total: number | undefined;
  /** received / total, or undefined while the size is unknown. */
  fraction: number | undefined;
}

export interface DownloadOptions {
  /** Expected SHA-256 (hex). Without it, an sha256 ETag from the server is used when present. */
  sha256?: string;
  /** Final path; default `<dir>/<file name>`. */
  out?: string;
  /** Directory for the default path; default `<data dir>/models`. */
  dir?: string;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Reconnections after a dropped connection or a 5xx within this call (default 8). */
  retries?: number;
  /** Pause before reconnecting, times the attempt number (default 250 ms). */
  retryDelayMs?: number;
  log?: (line: string) => void;
  fetch?: typeof fetch;
}

export interface DownloadResult {
  path: string;
  sha256: string;
  bytes: number;
  /** Bytes that were already on disk (a resumed .part) when this call started. */
  resumedFrom: number;
  /** Whether the digest was checked against an expected value (given, or the server's). */
  verified: boolean;
}

export class ChecksumError extends Error {
  constructor(readonly expected: string, readonly actual: string) {
    super(`checksum mismatch: expected sha256 ${expected}, got ${actual}; the download was discarded`);
    this.name = 'ChecksumError';
  }
}

/**
 * Download a model (alias, hf:owner/repo/file or URL) to its final path. Resolves only with
 * a complete file at that path whose SHA-256 matched (when one was known): bytes stream into
 * `NAME.part`, an interrupted download resumes with a Range request, and the finished file
 * is fsynced and renamed into place (never a half file under the final name).
 *
 * The .part is trusted on resume only if its prefix is the one we wrote: `NAME.part.json`
 * records the URL, expected digest, server validator and the SHA-256 of the bytes written,
 * and the prefix is re-hashed against it. A wrong final checksum discards the .part (the bad
 * bytes could be anywhere) after one fresh retry if the result came from a resumed prefix.
 */
export async function download(nameOrUrl: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  const { url, fileName } = resolveModelName(nameOrUrl);
  const expected = opts.sha256?.toLowerCase();
  if (expected !== undefined && !/^[0-9a-f]{64}$/.test(expected)) throw new Error('sha256 must be 64 hex digits');
  const out = opts.out ?? join(opts.dir ?? join(dataDir(), 'models'), fileName);
  mkdirSync(dirname(out), { recursive: true });

  if (existsSync(out) && expected) {
    const have = await hashFile(out, statSync(out).size, opts.signal);
    if (have === expected) return { path: out, sha256: have, bytes: statSync(out).size, resumedFrom: statSync(out).size, verified: true };
    opts.log?.(`${out} exists with another checksum; downloading again`);
  }

  try {
    return await attempt(url, out, expected, opts, true);
  } catch (e) {
    if (e instanceof ResumedChecksumError) {
      opts.log?.('checksum mismatch after resuming: downloading again from the start');
      return attempt(url, out, expected, opts, false);
    }
    throw e;
  }
}

/** The scheduler kind: payload `{ name, sha256?, out? }`, result DownloadResult. */
export const downloadKind: JobKind<{ name: string; sha256?: string; out?: string }, DownloadResult> = {
  name: 'model.download',
  maxAttempts: 5,
  validate(p) {
    const o = p as { name?: unknown; sha256?: unknown; out?: unknown };
    if (!o || typeof o.name !== 'string' || !o.name) throw new Error('model.download needs { name }');
    resolveModelName(o.name); // refuse a bad name when the job is added, not when it runs
    if (o.sha256 !== undefined && (typeof o.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(o.sha256)))
      throw new Error('sha256 must be 64 hex digits');
    if (o.out !== undefined && typeof o.out !== 'string') throw new Error('out must be a path');
    return { name: o.name, sha256: o.sha256 as string | undefined, out: o.out as string | undefined };
  },
  async run(ctx) {
    const { name, sha256, out } = ctx.payload;
    const dir = ctx.services.dataDir ? join(ctx.services.dataDir, 'models') : undefined;
    let lastPct = -1;
    const r = await download(name, {
      sha256,
      out,
      dir,
      signal: ctx.signal,
      log: (l) => ctx.log(l),
      onProgress: (p) => {
        if (p.fraction === undefined) return;
        const pct = Math.floor(p.fraction * 100);
        if (pct !== lastPct) ctx.progress(p.fraction, `${fmtBytes(p.received)} of ${fmtBytes(p.total!)}`);
        lastPct = pct;
      },
    });
    ctx.log(`saved ${r.path} (${fmtBytes(r.bytes)}, sha256 ${r.sha256}${r.verified ? ', verified' : ', not verified: no checksum known'})`);
    return r;
  },
};

// ---- helpers -------------------------------------------------------------------------

interface PartMeta {
  url: string;
  expected: string | null;
  validator: string | null;
  bytes: number;
  prefixSha256: string;
}

class ResumedChecksumError extends Error {}

class HttpError extends Error {
  constructor(readonly status: number, url: string) {
    super(`HTTP ${status} from ${new URL(url).host}`);
  }
  get retryable(): boolean {
    return this.status >= 500 || this.status === 408 || this.status === 429;
  }
}

async function attempt(url: string, out: string, expectedIn: string | undefined, opts: DownloadOptions, allowResume: boolean): Promise<DownloadResult> {
  const part = `${out}.part`;
  const metaPath = `${out}.part.json`;
  const doFetch = opts.fetch ?? fetch;
  let expected = expectedIn;
  let hash: Hash = createHash('sha256');
  let offset = 0;
  let validator: string | null = null;

  if (allowResume) {
    const resumed = await loadPrefix(part, metaPath, url, expected, opts.signal);
    if (resumed) ({ hash, offset, validator } = resumed);
  }
  if (offset === 0) {
    rmSync(metaPath, { force: true });
    writeFileSync(part, new Uint8Array(0), { mode: 0o600 });
  }
  const resumedFrom = offset;
  let total: number | undefined;
  const retries = opts.retries ?? 8;
  let failures = 0;

  const fd = openSync(part, 'r+');
  try {
    ftruncateSync(fd, offset);
    for (;;) {
      opts.signal?.throwIfAborted();
      try {
        const headers: Record<string, string> = { 'accept-encoding': 'identity' };
        if (offset > 0) {
          headers.range = `bytes=${offset}-`;
          // If-Range: a changed file on the server answers 200 (whole file), not the wrong tail.
          if (validator) headers['if-range'] = validator;
        }
        const res = await doFetch(url, { headers, signal: opts.signal, redirect: 'follow' });
        if (res.status === 200 && offset > 0) {
          opts.log?.('server sent the whole file instead of the rest: starting over');
          offset = 0;
          hash = createHash('sha256');
          ftruncateSync(fd, 0);
        } else if (res.status === 416 && offset > 0) {
          // Our prefix is longer than the file: it cannot be a prefix of it.
          await res.body?.cancel();
          offset = 0;
          hash = createHash('sha256');
          ftruncateSync(fd, 0);
          continue;
        } else if (res.status === 206) {
          const cr = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
          if (!cr || Number(cr[1]) !== offset) throw new Error(`server answered a range request with bad Content-Range "${res.headers.get('content-range')}"`);
          if (cr[3] !== '*') total = Number(cr[3]);
        } else if (res.status !== 200) {
          await res.body?.cancel();
          throw new HttpError(res.status, url);
        }
        if (res.status === 200) {
          const len = res.headers.get('content-length');
          total = len !== null ? Number(len) : undefined;
        }
        validator = strongValidator(res.headers) ?? validator;
        expected ??= shaFromHeaders(res.headers);
        if (!res.body) throw new Error('empty response body');
        const reader = res.body.getReader();
        // Network reads regrouped into aligned chunks, so the new model can be read through huge
        // pages (aligned-chunks.ts); flushed whenever the loop stops, so the file always holds
        // `offset` bytes outside it.
        const out = AlignedChunks.toFile(fd, offset);
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            out.push(value);
            hash.update(value);
            offset += value.byteLength;
            opts.onProgress?.({ received: offset, total, fraction: total ? offset / total : undefined });
          }
        } finally {
          reader.releaseLock();
          out.flush();
        }
        if (total !== undefined && offset !== total) throw new Error(`connection ended at ${offset} of ${total} bytes`);
        break;
      } catch (e) {
        if (opts.signal?.aborted || (e instanceof HttpError && !e.retryable) || ++failures > retries) {
          // Keep what we have for a later resume (a job retry, the next CLI run).
          savePrefix(fd, metaPath, { url, expected: expected ?? null, validator, bytes: offset, hash });
          throw opts.signal?.aborted ? opts.signal.reason : e;
        }
        opts.log?.(`download interrupted at ${offset} bytes (${(e as Error).message}); resuming`);
        await sleep((opts.retryDelayMs ?? 250) * failures, opts.signal);
      }
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }

  const digest = hash.digest('hex');
  if (expected && digest !== expected) {
    rmSync(part, { force: true });
    rmSync(metaPath, { force: true });
    if (resumedFrom > 0) throw new ResumedChecksumError();
    throw new ChecksumError(expected, digest);
  }
  renameSync(part, out);
  rmSync(metaPath, { force: true });
  fsyncDir(dirname(out));
  return { path: out, sha256: digest, bytes: offset, resumedFrom, verified: expected !== undefined };
}

/** A saved prefix we can trust: same URL and expectation, and its bytes hash as recorded. */
async function loadPrefix(
  part: string,
  metaPath: string,
  url: string,
  expected: string | undefined,
  signal: AbortSignal | undefined,
): Promise<{ hash: Hash; offset: number; validator: string | null } | undefined> {
  if (!existsSync(part) || !existsSync(metaPath)) return undefined;
  let meta: PartMeta;
  try {
    meta = JSON.parse(readFileSync(metaPath, 'utf8')) as PartMeta;
  } catch {
    return undefined;
  }
  if (meta.url !== url || (expected && meta.expected && meta.expected !== expected)) return undefined;
  if (!Number.isInteger(meta.bytes) || meta.bytes <= 0 || statSync(part).size < meta.bytes) return undefined;
  const hash = createHash('sha256');
  const fd = openSync(part, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let pos = 0; pos < meta.bytes; ) {
      signal?.throwIfAborted();
      const n = readSync(fd, buf, 0, Math.min(buf.length, meta.bytes - pos), pos);
      if (n === 0) return undefined;
      hash.update(buf.subarray(0, n));
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  // Compare a copy: the live hash must stay open for appending.
  if (hash.copy().digest('hex') !== meta.prefixSha256) return undefined;
  return { hash, offset: meta.bytes, validator: meta.validator };
}

function savePrefix(fd: number, metaPath: string, m: { url: string; expected: string | null; validator: string | null; bytes: number; hash: Hash }): void {
  try {
    fsyncSync(fd);
    const meta: PartMeta = { url: m.url, expected: m.expected, validator: m.validator, bytes: m.bytes, prefixSha256: m.hash.copy().digest('hex') };
    writeFileSync(metaPath, JSON.stringify(meta), { mode: 0o600 });
  } catch {
    /* no resume next time: it starts over */
  }
}

async function hashFile(path: string, size: number, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let pos = 0; pos < size; ) {
      signal?.throwIfAborted();
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/** Hugging Face sends the LFS sha256 as x-linked-etag (and often as the CDN's ETag). */
function shaFromHeaders(h: Headers): string | undefined {
  for (const name of ['x-linked-etag', 'etag']) {
    const v = h.get(name)?.replace(/^W\//, '').replace(/"/g, '').toLowerCase();
    if (v && /^[0-9a-f]{64}$/.test(v)) return v;
  }
  return undefined;
}

/** A strong ETag (or Last-Modified) for If-Range; weak ETags are not allowed there. */
function strongValidator(h: Headers): string | null {
  const etag = h.get('etag');
  if (etag && !etag.startsWith('W/')) return etag;
  return h.get('last-modified');
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* not supported on every platform */
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const u = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < u.length - 1) (v /= 1024), i++;
  return `${v.toFixed(1)} ${u[i]}`;
}
