import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

/**
 * Leases: a running job's row names its owner and an expiry. The owner renews it while the
 * handler runs; another process may take the job over once the lease has expired or, on the
 * same host, as soon as the owner's pid is gone (a kill -9 is noticed at the next start
 * instead of a lease-length later). Completion is a conditional UPDATE on the owner, so a
 * job taken over never completes twice.
 */
export const DEFAULT_LEASE_MS = 30_000;

/** `host:pid:nonce`: the nonce tells two schedulers in one process apart (and survives pid reuse). */
export function newOwner(pid = process.pid): string {
  return `${hostname()}:${pid}:${randomBytes(4).toString('hex')}`;
}

export function parseOwner(owner: string): { host: string; pid: number } | undefined {
  const m = /^(.*):(\d+):[0-9a-f]+$/.exec(owner);
  return m ? { host: m[1], pid: Number(m[2]) } : undefined;
}

/**
 * False only when we can tell the owner is dead: same host and no such pid. Another host's
 * owner (a shared data dir) is assumed alive until its lease expires.
 */
export function ownerAlive(owner: string): boolean {
  const o = parseOwner(owner);
  if (!o || o.host !== hostname()) return true;
  try {
    process.kill(o.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, not ours to signal
  }
}
