import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MODEL_ALIASES, resolveModelName } from '../../../src/assistant/scheduler/aliases.js';
import { ChecksumError, download, downloadKind } from '../../../src/assistant/scheduler/kinds/download.js';
import { dir, scheduler } from './helpers.js';

const FILE = randomBytes(400_000);
const SHA = createHash('sha256').update(FILE).digest('hex');

interface ServerOpts {
  /** Drop the connection after this many body bytes of a response (per request), or undefined. */
  dropAfter?: (req: number) => number | undefined;
  /** Corrupt one byte at this absolute offset. */
  corruptAt?: number;
  etag?: string;
  ignoreRange?: boolean;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A local HTTP server for FILE: Range support, mid-body drops and wrong bytes on demand. */
async function serve(o: ServerOpts = {}): Promise<{ url: string; ranges: (string | undefined)[] }> {
  const ranges: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    const n = ranges.push(req.headers.range) - 1;
    const body = Buffer.from(FILE);
    if (o.corruptAt !== undefined) body[o.corruptAt] ^= 0xff;
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' };
    if (o.etag) headers.etag = o.etag;
    if (m && !o.ignoreRange) {
      start = Number(m[1]);
      if (start >= body.length) return res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      res.writeHead(206, { ...headers, 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
    } else res.writeHead(200, { ...headers, 'content-length': body.length });
    const slice = body.subarray(start);
    const drop = o.dropAfter?.(n);
    if (drop !== undefined && drop < slice.length) {
      res.write(slice.subarray(0, drop), () => setTimeout(() => res.socket?.destroy(), 5));
    } else res.end(slice);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/tiny.gguf`, ranges };
}

describe('download', () => {
  it('fetches, verifies and renames into place', async () => {
    const { url } = await serve();
    const d = dir();
    const progress: number[] = [];
    const r = await download(url, { sha256: SHA, dir: d, onProgress: (p) => progress.push(p.fraction!) });
    expect(r).toMatchObject({ path: join(d, 'tiny.gguf'), sha256: SHA, bytes: FILE.length, resumedFrom: 0, verified: true });
    expect(readFileSync(r.path).equals(FILE)).toBe(true);
    expect(progress.at(-1)).toBe(1);
    expect(readdirSync(d)).toEqual(['tiny.gguf']); // no .part or .part.json left
  });

  it('resumes with Range requests across connections cut at random points', async () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
    const { url, ranges } = await serve({ dropAfter: (n) => (n < 6 ? Math.floor(rand() * 90_000) + 1 : undefined) });
    const d = dir();
    const r = await download(url, { sha256: SHA, dir: d, retries: 10, retryDelayMs: 1 });
    expect(r.sha256).toBe(SHA);
    expect(readFileSync(r.path).equals(FILE)).toBe(true);
    expect(ranges[0]).toBeUndefined();
    expect(ranges.slice(1).every((x) => x && /^bytes=\d+-$/.test(x))).toBe(true);
    expect(ranges.length).toBe(7);
  });

  it('an aborted download keeps its .part and a later call resumes it', async () => {
    const { url, ranges } = await serve({ etag: '"v1"', dropAfter: (n) => (n === 0 ? 150_000 : undefined) });
    const d = dir();
    // First call: no reconnection allowed, so it stops at the drop and keeps the prefix.
    await expect(download(url, { sha256: SHA, dir: d, retries: 0 })).rejects.toThrow();
    expect(existsSync(join(d, 'tiny.gguf.part'))).toBe(true);
    expect(existsSync(join(d, 'tiny.gguf'))).toBe(false);
    const r = await download(url, { sha256: SHA, dir: d });
    expect(r.resumedFrom).toBeGreaterThan(0);
    expect(r.sha256).toBe(SHA);
    expect(ranges[1]).toBe(`bytes=${r.resumedFrom}-`);
  });

  it('a .part whose prefix was altered on disk is not trusted: it starts over', async () => {
    const { url, ranges } = await serve({ dropAfter: (n) => (n === 0 ? 100_000 : undefined) });
    const d = dir();
    await expect(download(url, { sha256: SHA, dir: d, retries: 0 })).rejects.toThrow();
    const part = join(d, 'tiny.gguf.part');
    const bytes = readFileSync(part);
    bytes[10] ^= 1;
    writeFileSync(part, bytes);
    const r = await download(url, { sha256: SHA, dir: d });
    expect(r.resumedFrom).toBe(0);
    expect(ranges[1]).toBeUndefined();
    expect(readFileSync(r.path).equals(FILE)).toBe(true);
  });

  it('refuses wrong bytes: no final file and no .part left behind', async () => {
    const { url } = await serve({ corruptAt: 123_456 });
    const d = dir();
    await expect(download(url, { sha256: SHA, dir: d })).rejects.toBeInstanceOf(ChecksumError);
    expect(readdirSync(d)).toEqual([]);
  });

  it('a resumed download with a bad checksum retries once from scratch', async () => {
    // The first response is corrupt and dropped; the resume then completes a bad file; the
    // fresh retry (server now good) succeeds.
    const { url, ranges } = await serve({ dropAfter: (n) => (n === 0 ? 200_000 : undefined) });
    const d = dir();
    await expect(download(url, { sha256: SHA, dir: d, retries: 0 })).rejects.toThrow();
    const part = join(d, 'tiny.gguf.part');
    // Simulate bytes that were wrong on the wire (consistent with the saved prefix hash).
    const meta = JSON.parse(readFileSync(`${part}.json`, 'utf8'));
    const bad = readFileSync(part);
    bad[5] ^= 1;
    writeFileSync(part, bad);
    meta.prefixSha256 = createHash('sha256').update(bad.subarray(0, meta.bytes)).digest('hex');
    writeFileSync(`${part}.json`, JSON.stringify(meta));
    const r = await download(url, { sha256: SHA, dir: d });
    expect(r.sha256).toBe(SHA);
    expect(r.resumedFrom).toBe(0);
    expect(ranges.slice(1)).toEqual([`bytes=${meta.bytes}-`, undefined]);
  });

  it('uses an sha256 ETag when no checksum is given, and restarts when the server ignores Range', async () => {
    const { url } = await serve({ etag: `"${SHA}"`, ignoreRange: true, dropAfter: (n) => (n === 0 ? 50_000 : undefined) });
    const d = dir();
    const r = await download(url, { dir: d, retryDelayMs: 1 });
    expect(r).toMatchObject({ verified: true, sha256: SHA });
    const { url: url2 } = await serve({ etag: `"${'0'.repeat(64)}"` });
    await expect(download(url2, { dir: dir() })).rejects.toBeInstanceOf(ChecksumError);
  });

  it('resolves hf: names, URLs and aliases', () => {
    expect(resolveModelName('hf:owner/repo/sub/file.gguf')).toEqual({
      url: 'https://huggingface.co/owner/repo/resolve/main/sub/file.gguf',
      fileName: 'file.gguf',
    });
    expect(resolveModelName('hf:o/r@v2/f.gguf').url).toBe('https://huggingface.co/o/r/resolve/v2/f.gguf');
    expect(resolveModelName('qwen2.5-0.5b-instruct')).toMatchObject({
      url: 'https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q4_0.gguf',
      alias: 'qwen2.5-0.5b-instruct',
    });
    for (const a of Object.keys(MODEL_ALIASES)) expect(resolveModelName(a).url).toMatch(/^https:\/\/huggingface\.co\/.+\.gguf$/);
    expect(() => resolveModelName('hf:owner/repo/../x.gguf')).toThrow(/bad Hugging Face name/);
    expect(() => resolveModelName('ftp://x/y')).toThrow(/http/);
    expect(() => resolveModelName('no-such-model')).toThrow(/unknown model/);
  });

  it('runs as a scheduler job with progress and a sealed result', async () => {
    const { url } = await serve({ dropAfter: (n) => (n === 0 ? 100_000 : undefined) });
    const progress: number[] = [];
    const { s, dir: d } = await scheduler({ kinds: { 'model.download': downloadKind as never }, onProgress: (_, f) => progress.push(f) });
    const out = join(d, 'm.gguf');
    const job = s.add({ kind: 'model.download', payload: { name: url, sha256: SHA, out } });
    expect(() => s.add({ kind: 'model.download', payload: { name: url, sha256: 'xyz' } })).toThrow(/64 hex/);
    await s.runDueJobs();
    const j = s.get(job.id)!;
    expect(j.state).toBe('succeeded');
    expect(j.lastResult?.value).toMatchObject({ path: out, sha256: SHA });
    expect(progress.at(-1)).toBe(1);
    expect(s.logs(job.id).some((l) => l.line.includes('resuming'))).toBe(true);
  });
});
