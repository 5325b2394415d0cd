import type { Memory } from '../../memory/memory.js';
import type { Vault } from '../../vault/vault.js';
import type { ModelSource } from '../model.js';
import type { Clock } from '../schedule.js';

/** What a handler gets for one run of one job. */
export interface JobContext<P = unknown> {
  /** The job's payload (unsealed). */
  payload: P;
  /** Aborted on timeout, cancellation, or a lost lease: stop soon and throw. */
  signal: AbortSignal;
  /** Report progress in [0, 1] with an optional message (stored sealed, throttled). */
  progress(fraction: number, message?: string): void;
  /** Append a line to the job's log (sealed). */
  log(line: string): void;
  job: { id: string; kind: string; attempt: number };
  services: JobServices;
}

/** Shared things kinds may need; each is optional and a kind says when one is missing. */
export interface JobServices {
  vault: Vault;
  memory?: Memory;
  model?: ModelSource;
  /** Where downloads go by default (models dir) and other files live. */
  dataDir?: string;
  clock: Clock;
}

export interface JobKind<P = unknown, R = unknown> {
  name: string;
  /** Inference kinds run one at a time (across processes too). */
  inference?: boolean;
  /** Defaults for jobs of this kind (a job may override). */
  timeoutMs?: number;
  maxAttempts?: number;
  /** Check a payload when the job is added; throw a one-line error for a bad one. */
  validate?(payload: unknown): P;
  /** The work. The returned value is stored sealed as the job's last result. */
  run(ctx: JobContext<P>): Promise<R>;
}

const registry = new Map<string, JobKind>();

/** Register (or replace, for hot reload) a job kind. Plugins call this. */
export function registerJobKind<P, R>(kind: JobKind<P, R>): void {
  if (!/^[a-z][a-z0-9_.-]*$/.test(kind.name)) throw new Error(`bad job kind name "${kind.name}"`);
  registry.set(kind.name, kind as unknown as JobKind);
}

export function unregisterJobKind(name: string): boolean {
  return registry.delete(name);
}

export function jobKind(name: string): JobKind | undefined {
  return registry.get(name);
}

export function jobKinds(): JobKind[] {
  return [...registry.values()];
}
