/**
 * Stop-string matching over streamed text.
 *
 * Text is held back while its tail could still be the beginning of a stop string, so a consumer
 * never sees part of a stop string; the stop string itself is never released. When the tail stops
 * matching, the held text is released with the next push. flush() releases what is held at the end
 * (a stop string that never completed is ordinary text).
 */
export interface StopPush {
  /** Text that is safe to show now. */
  text: string;
  /** The stop string that matched (generation should end), if any. */
  stop?: string;
}

export class StopMatcher {
  private readonly stops: string[];
  private held = '';
  private done = false;

  constructor(stops: readonly string[] = []) {
    this.stops = [...new Set(stops.filter((s) => typeof s === 'string' && s.length > 0))];
  }

  get active(): boolean {
    return this.stops.length > 0;
  }

  /** The text currently held back. */
  get pending(): string {
    return this.held;
  }

  push(text: string): StopPush {
    if (this.done) return { text: '' };
    if (this.stops.length === 0) return { text };
    const buf = this.held + text;
    // Earliest complete match (the longest stop wins a tie at the same index).
    let at = -1;
    let which = '';
    for (const s of this.stops) {
      const i = buf.indexOf(s);
      if (i >= 0 && (at < 0 || i < at || (i === at && s.length > which.length))) {
        at = i;
        which = s;
      }
    }
    if (at >= 0) {
      this.done = true;
      this.held = '';
      return { text: buf.slice(0, at), stop: which };
    }
    // Longest suffix of buf that is a proper prefix of some stop string.
    let keep = 0;
    for (const s of this.stops) {
      const max = Math.min(s.length - 1, buf.length);
      for (let k = max; k > keep; k--) {
        if (buf.endsWith(s.slice(0, k))) {
          keep = k;
          break;
        }
      }
    }
    // Never split a UTF-16 surrogate pair between released and held text.
    let cut = buf.length - keep;
    if (cut > 0 && cut < buf.length) {
      const c = buf.charCodeAt(cut - 1);
      if (c >= 0xd800 && c <= 0xdbff) cut--;
    }
    this.held = buf.slice(cut);
    return { text: buf.slice(0, cut) };
  }

  /** Releases whatever is held (end of generation without a stop match). */
  flush(): string {
    const t = this.held;
    this.held = '';
    return t;
  }
}
