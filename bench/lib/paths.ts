import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** bench/ (this file is bench/lib/paths.ts). */
export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
export const REPO_DIR = join(BENCH_DIR, '..');
/** Generated models, compiled harnesses and llama.cpp's headers live here (gitignored). */
export const CACHE_DIR = join(BENCH_DIR, '.cache');

export function cachePath(...parts: string[]): string {
  const p = join(CACHE_DIR, ...parts);
  mkdirSync(dirname(p), { recursive: true });
  return p;
}

/** Where node-llama-cpp is installed: bench/peers' own install first, else test/peers'. */
export function nodeLlamaCppRoot(): string | undefined {
  for (const base of [join(BENCH_DIR, 'peers/node_modules'), join(REPO_DIR, 'test/peers/node_modules')]) {
    if (existsSync(join(base, 'node-llama-cpp/package.json'))) return base;
  }
  return undefined;
}

/** The prebuilt llama.cpp libraries (libllama, libggml*, the per-CPU libggml-cpu-*.so). */
export function llamaLibDir(): string | undefined {
  const root = nodeLlamaCppRoot();
  const dir = root && join(root, '@node-llama-cpp/linux-x64/bins/linux-x64');
  return dir && existsSync(join(dir, 'libllama.v0.4.0.so')) ? dir : undefined;
}

/**
 * A checkout of the llama.cpp release node-llama-cpp was built from (its bundled git bundle, cloned
 * once into bench/.cache/llama.cpp): the headers our C harnesses compile against. Throws when
 * node-llama-cpp is not installed or the clone fails.
 */
export function llamaCppSource(log: (s: string) => void = () => {}): string {
  const root = nodeLlamaCppRoot();
  if (!root) throw new Error('node-llama-cpp is not installed (npm run peers)');
  const src = cachePath('llama.cpp');
  if (!existsSync(join(src, 'include/llama.h'))) {
    const bundle = join(root, 'node-llama-cpp/llama/gitRelease.bundle');
    log("cloning llama.cpp headers from node-llama-cpp's bundle into bench/.cache/llama.cpp ...");
    const r = spawnSync('git', ['clone', '-q', bundle, src], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git clone of ${bundle} failed: ${(r.stderr || '').trim()}`);
  }
  return src;
}

/**
 * Compiles a C harness against node-llama-cpp's prebuilt libllama and libggml, with the headers of
 * the llama.cpp release they were built from. Throws when node-llama-cpp is not installed or gcc fails.
 */
export function compileAgainstLlama(source: string, out: string, log: (s: string) => void = () => {}): string {
  const lib = llamaLibDir();
  if (!lib) throw new Error('node-llama-cpp with its linux-x64 prebuild is not installed (npm run peers)');
  const src = llamaCppSource(log);
  return compileC(source, out, [
    `-I${join(src, 'include')}`,
    `-I${join(src, 'ggml/include')}`,
    `-L${lib}`,
    '-l:libllama.v0.4.0.so',
    '-l:libggml.v0.4.0.so',
    '-l:libggml-base.so',
    `-Wl,-rpath,${lib}`,
  ]);
}

/**
 * Compiles a C program with gcc unless the binary is newer than its source and was built with the
 * same arguments (they carry the libraries' rpath: a checkout that moved, or another worktree's
 * build in a shared cache, would otherwise leave a binary that cannot find its libraries); returns
 * the binary or throws with gcc's message.
 */
export function compileC(source: string, out: string, args: readonly string[]): string {
  const argsFile = `${out}.args`;
  const argsLine = JSON.stringify(args);
  const sameArgs = existsSync(argsFile) && readFileSync(argsFile, 'utf8') === argsLine;
  if (sameArgs && existsSync(out) && statSync(out).mtimeMs > statSync(source).mtimeMs) return out;
  const r = spawnSync('gcc', ['-O2', '-o', out, source, ...args], { encoding: 'utf8' });
  if (r.error) throw new Error(`gcc not runnable: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`gcc failed on ${source}: ${(r.stderr || '').trim().split('\n').slice(0, 5).join(' | ')}`);
  writeFileSync(argsFile, argsLine);
  return out;
}
