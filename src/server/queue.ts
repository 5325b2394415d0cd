import { HttpError } from './errors.js';

/**
 * First-in first-out turns for the one model: one generation runs at a time, the rest wait in
 * arrival order. A waiter whose client goes away (its signal aborts) leaves the line at once
 * instead of holding a place; a full line answers 503 rather than growing without bound.
 */
export class FifoQueue {
  private running = false;
  private readonly line: { grant: () => void }[] = [];

  constructor(readonly maxWaiting = 64) {}

  /** Requests waiting for their turn (not counting the one running). */
  get waiting(): number {
    return this.line.length;
  }

  get busy(): boolean {
    return this.running;
  }

  /**
   * Resolves with a release function when it is this caller's turn. Rejects with the signal's
   * reason if it aborts first, or with a 503 HttpError when too many are already waiting.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.running) {
      this.running = true;
      return Promise.resolve(this.releaser());
    }
    if (this.line.length >= this.maxWaiting) {
      return Promise.reject(new HttpError(503, `The server is busy (${this.line.length} requests waiting); try again later.`, 'overloaded_error', null, 'server_busy', { 'Retry-After': '5' }));
    }
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
      };
      const onAbort = () => {
        const i = this.line.indexOf(entry);
        if (i >= 0) this.line.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.line.push(entry);
    });
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.line.shift();
      if (next) next.grant();
      else this.running = false;
    };
  }
}
