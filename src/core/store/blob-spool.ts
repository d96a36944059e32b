import type { ByteSource } from '../bytes/byte-source.ts';
import { fromBytes } from '../bytes/memory-source.ts';

/**
 * Where members of a *compressed* archive go when they must be read at random later (an OCI
 * archive that is tar+gzip has no random access). The worker spools to OPFS, the CLI to a
 * temporary folder, tests to memory. Writes are synchronous because the tar parser pushes
 * synchronously (OPFS sync access handles and fs.writeSync both are).
 */
export interface BlobSpool {
  create(name: string, sizeHint: number): SpoolWriter;
}

export interface SpoolWriter {
  write(chunk: Uint8Array): void;
  /** Finishes the file and gives it back as a ByteSource. */
  finish(): Promise<ByteSource>;
  /** Drops a partly written file (on error or cancel). */
  discard(): void;
}

/** Keeps spooled members in memory. Fine for small archives and tests. */
export const memorySpool: BlobSpool = {
  create(name, sizeHint) {
    let buf = new Uint8Array(Math.max(0, Math.min(sizeHint, 1 << 30)));
    let len = 0;
    return {
      write(chunk) {
        if (len + chunk.length > buf.length) {
          const next = new Uint8Array(Math.max(len + chunk.length, buf.length * 2));
          next.set(buf.subarray(0, len));
          buf = next;
        }
        buf.set(chunk, len);
        len += chunk.length;
      },
      async finish() {
        return fromBytes(buf.subarray(0, len), name);
      },
      discard() {
        buf = new Uint8Array(0);
      },
    };
  },
};
