import { closeSync, chmodSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** File name of the vault database inside the data directory. */
export const VAULT_FILE = 'vault.db';

/**
 * The data directory: `LOCALGPT_HOME` if set, else `$XDG_DATA_HOME/localgpt`, else
 * `~/.local/share/localgpt` (the XDG default). Pure: creates nothing.
 */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LOCALGPT_HOME) return env.LOCALGPT_HOME;
  const xdg = env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith('/') ? env.XDG_DATA_HOME : undefined;
  return join(xdg ?? join(homedir(), '.local', 'share'), 'localgpt');
}

/** Default path of the vault database. */
export function defaultVaultPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(dataDir(env), VAULT_FILE);
}

/**
 * Make sure the directory exists (0700) and the database file exists with mode 0600
 * *before* SQLite opens it: SQLite gives the -wal and -shm files the same permissions as
 * the main file, so creating it private ourselves keeps all three private regardless of
 * the process umask. Returns true when the file was created by this call.
 */
export function preparePrivateFile(path: string): boolean {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const existed = existsSync(path);
  const restore = setUmask(0o077);
  try {
    if (!existed) closeSync(openSync(path, 'a', 0o600));
  } finally {
    restore();
  }
  for (const p of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      chmodSync(p, 0o600);
    } catch {
      /* -wal/-shm need not exist yet */
    }
  }
  return !existed;
}

/**
 * Set the umask while SQLite may create sibling files. process.umask() cannot be set in
 * worker threads; there the pre-created 0600 main file is what keeps siblings private.
 */
export function setUmask(mask: number): () => void {
  try {
    const old = process.umask(mask);
    return () => {
      process.umask(old);
    };
  } catch {
    return () => {};
  }
}
