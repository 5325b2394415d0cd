import { writeSync } from 'node:fs';

/**
 * Regroups a stream of byte pieces into writes that each end at a multiple of `chunk` in the file
 * (the first from wherever the file is, the last where the stream ends). Written so, a model
 * file's page cache can hold it in 2 MiB folios (ext4 and XFS size a buffered write's folios by its
 * length and alignment), and a model loaded right after it was written or downloaded reads its
 * weights through huge pages: 1.04-1.07x decode on a 500M Q4_K_M file (bench/native-notes.md
 * section 24). Written as they come (a tensor or a network read at a time), it stays in 4 KiB
 * folios until it is evicted and read in again.
 */
export class AlignedChunks {
  private readonly buf: Uint8Array;
  private len = 0;

  /** Into the open file `fd` from byte `position`, every piece written whole. */
  static toFile(fd: number, position = 0): AlignedChunks {
    return new AlignedChunks((b, at) => {
      for (let done = 0; done < b.byteLength; ) done += writeSync(fd, b, done, b.byteLength - done, at + done);
    }, undefined, position);
  }

  /** write(bytes, position): the next piece and where it goes; the stream starts at `position`. */
  constructor(
    private readonly write: (bytes: Uint8Array, position: number) => void,
    chunk = 8 << 20,
    private position = 0,
  ) {
    this.buf = new Uint8Array(chunk);
  }

  push(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.byteLength) {
      const room = this.buf.byteLength - ((this.position + this.len) % this.buf.byteLength);
      if (this.len === 0 && bytes.byteLength - at >= room) {  // the rest of a chunk, uncopied
        this.emit(bytes.subarray(at, at + room));
        at += room;
        continue;
      }
      const n = Math.min(bytes.byteLength - at, room);
      this.buf.set(bytes.subarray(at, at + n), this.len);
      this.len += n;
      at += n;
      if (n === room) this.flush();
    }
  }

  /** Writes what is held (before the stream stops, or pauses where the file must be whole). */
  flush(): void {
    if (this.len === 0) return;
    this.emit(this.buf.subarray(0, this.len));
    this.len = 0;
  }

  private emit(bytes: Uint8Array): void {
    this.write(bytes, this.position);
    this.position += bytes.byteLength;
  }
}
