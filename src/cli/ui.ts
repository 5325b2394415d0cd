/**
 * Terminal helpers: colour only on a TTY (and never with NO_COLOR set), a one-line progress bar
 * on a TTY (plain lines at coarse steps otherwise), byte sizes and aligned tables.
 */

type Stream = NodeJS.WriteStream;

export function colourEnabled(stream: Stream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

const CODES = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39] } as const;
export type Style = keyof typeof CODES;

/** Styles text for a stream (stdout by default); plain when colour is off. */
export function paint(style: Style, text: string, stream: Stream = process.stdout): string {
  if (!colourEnabled(stream)) return text;
  const [on, off] = CODES[style];
  return `\u001b[${on}m${text}\u001b[${off}m`;
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  let v = n;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}

function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--';
  if (s < 60) return `${Math.ceil(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Rows as aligned columns (the last column is not padded). */
export function table(rows: string[][], stream: Stream = process.stdout): void {
  if (rows.length === 0) return;
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) stream.write(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')}\n`);
}

export interface Progress {
  /** done and total in units (bytes when `bytes`); total undefined while unknown. */
  update(done: number, total?: number): void;
  /** Ends the line (on a TTY) and prints a final message if given. */
  finish(message?: string): void;
}

/**
 * A progress indicator on stderr. On a TTY: one line rewritten at most every 100 ms with a bar,
 * percentage, amounts, rate and ETA. Otherwise: a plain line at every 10% (or every 64 MiB when
 * the total is unknown), so logs stay readable.
 */
export function progress(label: string, opts: { bytes?: boolean; stream?: Stream; quiet?: boolean } = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const fmt = (n: number) => (opts.bytes ? formatBytes(n) : String(n));
  const start = Date.now();
  let lastDraw = 0;
  let lastStep = -1;
  let drawn = false;
  let lastDone = 0;
  let lastTotal: number | undefined;
  const line = (done: number, total: number | undefined) => {
    const secs = (Date.now() - start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const rateText = opts.bytes ? `${formatBytes(rate)}/s` : `${rate.toFixed(1)}/s`;
    if (total === undefined || total <= 0) return `${label} ${fmt(done)} ${rateText}`;
    const frac = Math.min(1, done / total);
    const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - label.length - 50));
    const fill = Math.round(frac * width);
    const bar = `${'#'.repeat(fill)}${'.'.repeat(width - fill)}`;
    const eta = rate > 0 ? (total - done) / rate : NaN;
    return `${label} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${fmt(done)}/${fmt(total)} ${rateText} ETA ${formatDuration(eta)}`;
  };
  return {
    update(done, total) {
      lastDone = done;
      lastTotal = total;
      if (opts.quiet) return;
      if (tty) {
        const now = Date.now();
        if (now - lastDraw < 100 && !(total !== undefined && done >= total)) return;
        lastDraw = now;
        const text = line(done, total);
        stream.write(`\r${text.slice(0, (stream.columns ?? 200) - 1)}\u001b[K`);
        drawn = true;
        return;
      }
      const step = total ? Math.floor((done / total) * 10) : Math.floor(done / (64 * 2 ** 20));
      if (step !== lastStep) {
        lastStep = step;
        stream.write(`${line(done, total)}\n`);
      }
    },
    finish(message) {
      if (opts.quiet) return;
      if (tty && drawn) stream.write(`\r${line(lastDone, lastTotal).slice(0, (stream.columns ?? 200) - 1)}\u001b[K\n`);
      if (message) stream.write(`${message}\n`);
    },
  };
}
