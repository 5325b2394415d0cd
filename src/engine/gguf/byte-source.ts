import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Random-access bytes of a GGUF file. The reader parses the header through this, so a file is
 * never read whole into the JS heap just to learn its layout.
 */
export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes at `offset`; the caller has checked the range against `size`. */
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

export function bufferSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.byteLength,
    read: (offset, length) => bytes.subarray(offset, offset + length),
    close: () => {},
  };
}

/** Reads through a window so the header's many small reads cost few system calls. */
export function fileSource(path: string): ByteSource {
  const fd = openSync(path, 'r');
  let size: number;
  try {
    size = fstatSync(fd).size;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  const WINDOW = 1 << 20;
  let winStart = 0;
  let win: Uint8Array = new Uint8Array(0);
  let closed = false;
  return {
    size,
    read(offset, length) {
      if (closed) throw new Error('GGUF file already closed');
      if (offset >= winStart && offset + length <= winStart + win.byteLength) {
        return win.subarray(offset - winStart, offset - winStart + length);
      }
      if (length > WINDOW) return readExact(fd, offset, length);
      winStart = offset;
      win = readExact(fd, offset, Math.min(WINDOW, size - offset));
      return win.subarray(0, length);
    },
    close() {
      if (!closed) closeSync(fd);
      closed = true;
    },
  };
}

function readExact(fd: number, offset: number, length: number): Uint8Array {
  const out = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, length - done, offset + done);
    if (n === 0) throw new Error(`unexpected end of file at byte ${offset + done}`);
    done += n;
  }
  return out;
}
