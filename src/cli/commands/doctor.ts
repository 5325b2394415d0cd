import type { Command } from 'commander';
import Database from 'better-sqlite3';
import { accessSync, constants, existsSync, statSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { daemonStatus } from '../../assistant/scheduler/index.js';
import { hasArgon2, loadSodium } from '../../assistant/vault/crypto.js';
import { dataDir, defaultVaultPath } from '../../assistant/vault/paths.js';
import { loadConfig } from '../../config/index.js';
import { cpuAvailable, cpuUnavailableReason } from '../../engine/backend/cpu/index.js';
import { probeWebGPU } from '../../engine/backend/webgpu/device.js';
import { listModelFiles, modelsDir } from '../context.js';
import { EXIT } from '../errors.js';
import { printJson } from '../options.js';
import { formatBytes, paint } from '../ui.js';
import { describeModelFile } from './models.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  hint?: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
}

const MIN_FREE = 2 * 1024 ** 3;

/** What works on this machine and, where something does not, why. Reads only; changes nothing. */
export async function doctor(): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const add = (name: string, status: CheckStatus, detail: string, hint?: string) => checks.push({ name, status, detail, ...(hint ? { hint } : {}) });

  const major = Number(process.versions.node.split('.')[0]);
  add('node', major >= 20 ? 'ok' : 'fail', `Node ${process.versions.node} on ${process.platform}-${process.arch}`, major >= 20 ? undefined : 'LocalGPT needs Node 20 or newer');

  if (cpuAvailable()) add('native addon', 'ok', 'the native CPU backend loads (fast quantised kernels)');
  else add('native addon', 'warn', `unavailable: ${cpuUnavailableReason()}; models run on the slow reference backend`, 'reinstall with a C++17 compiler and cmake (`npm rebuild localgpt`), or use a platform with a prebuild');

  const gpu = await probeWebGPU();
  if (gpu.adapter && !gpu.adapter.software) add('webgpu', 'ok', `${gpu.adapter.description || gpu.adapter.device} (${gpu.adapter.vendor}); --backend auto uses it`);
  else if (gpu.adapter) add('webgpu', 'warn', `only a software adapter (${gpu.adapter.description}): fine for tests, slower than the native CPU backend, so auto does not pick it`);
  else add('webgpu', 'warn', `no adapter: ${gpu.reason ?? 'unknown reason'}`, 'a GPU with Vulkan drivers (or Metal/D3D12) makes --backend webgpu available');

  try {
    await loadSodium();
    if (hasArgon2()) add('vault crypto', 'ok', 'libsodium with Argon2id and XChaCha20-Poly1305');
    else add('vault crypto', 'fail', 'libsodium without Argon2id: the vault cannot derive its keys', 'reinstall (npm ci): libsodium-wrappers-sumo is a dependency');
  } catch (e) {
    add('vault crypto', 'fail', `libsodium does not load: ${(e as Error).message}`, 'reinstall (npm ci); the memory vault cannot open without it');
  }

  try {
    new Database(':memory:').close();
    add('sqlite', 'ok', 'better-sqlite3 loads');
  } catch (e) {
    add('sqlite', 'fail', `better-sqlite3 does not load: ${(e as Error).message}`, 'rebuild it for this Node version: npm rebuild better-sqlite3');
  }

  try {
    const c = loadConfig();
    add('config', c.unknown.length ? 'warn' : 'ok', `${existsSync(c.path) ? c.path : 'no settings file (defaults)'}${c.unknown.length ? `; unknown keys ignored: ${c.unknown.join(', ')}` : ''}`);
  } catch (e) {
    add('config', 'fail', (e as Error).message, 'fix it with `localgpt config set` / `unset`');
  }

  const dir = dataDir();
  if (!existsSync(dir)) add('data directory', 'ok', `${dir} does not exist yet (created on first use)`);
  else {
    const st = statSync(dir);
    let writable = true;
    try {
      accessSync(dir, constants.W_OK | constants.X_OK);
    } catch {
      writable = false;
    }
    if (!st.isDirectory()) add('data directory', 'fail', `${dir} is not a directory`, 'set LOCALGPT_HOME or `localgpt config set dataDir PATH`');
    else if (!writable) add('data directory', 'fail', `${dir} is not writable by this user`, `fix its owner or permissions (chmod 700 ${dir})`);
    else if ((st.mode & 0o077) !== 0) add('data directory', 'warn', `${dir} is readable by other users (mode ${(st.mode & 0o777).toString(8)})`, `chmod 700 ${dir}`);
    else add('data directory', 'ok', `${dir} (private, writable)`);
  }

  const vault = defaultVaultPath();
  if (!existsSync(vault)) add('vault', 'ok', 'no memory vault yet (created by `memory add` or a chat)');
  else {
    const mode = statSync(vault).mode & 0o777;
    if (mode & 0o077) add('vault', 'warn', `${vault} has mode ${mode.toString(8)}`, `chmod 600 ${vault}`);
    else add('vault', 'ok', `${vault} (${formatBytes(statSync(vault).size)}, private)`);
  }

  let probe = dir;
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  try {
    const fs = statfsSync(probe);
    const free = Number(fs.bavail) * Number(fs.bsize);
    add('disk space', free >= MIN_FREE ? 'ok' : 'warn', `${formatBytes(free)} free at ${probe}`, free >= MIN_FREE ? undefined : 'small models need 0.1-1 GiB each; free some space');
  } catch (e) {
    add('disk space', 'warn', `cannot tell: ${(e as Error).message}`);
  }

  const models = listModelFiles();
  if (models.length === 0) add('models', 'warn', `none in ${modelsDir()}`, 'localgpt pull qwen2.5-0.5b-instruct (or `localgpt demo` for an offline toy)');
  else {
    const bad = models.map((m) => ({ m, d: describeModelFile(m.path) })).filter((x) => x.d.error);
    const names = models.map((m) => m.name).join(', ');
    if (bad.length) add('models', 'warn', `${models.length} found (${names}); unreadable: ${bad.map((b) => `${b.m.name} (${b.d.error})`).join('; ')}`, 'remove or download them again (`localgpt models rm NAME`)');
    else add('models', 'ok', `${models.length} found: ${names}`);
  }

  const d = daemonStatus(dir);
  add('daemon', 'ok', d.running ? `running (pid ${d.pid})` : 'not running (due jobs wait for `localgpt daemon start` or `localgpt jobs run ID`)');

  return { ok: checks.every((c) => c.status !== 'fail'), checks };
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check what works on this machine (native addon, crypto, data directory, disk, models) and why not')
    .option('--json', 'print {"ok", "checks": [{"name", "status", "detail", "hint"?}]}')
    .action(async (opts: { json?: boolean }) => {
      const r = await doctor();
      if (opts.json) printJson(r);
      else {
        const mark = { ok: paint('green', 'ok  '), warn: paint('yellow', 'WARN'), fail: paint('red', 'FAIL') };
        for (const c of r.checks) {
          process.stdout.write(`[${mark[c.status]}] ${c.name.padEnd(15)}${c.detail}\n`);
          if (c.hint && c.status !== 'ok') process.stdout.write(`       ${' '.repeat(15)}${paint('dim', `-> ${c.hint}`)}\n`);
        }
        process.stdout.write(r.ok ? 'everything needed works\n' : 'some things need fixing (FAIL above)\n');
      }
      if (!r.ok) process.exitCode = EXIT.failure;
    });
}
