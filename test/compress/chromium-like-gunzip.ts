import { createCRC32 } from 'hash-wasm';
import { GzipMemberReader } from '../../src/core/compress/gzip-member-reader.ts';

const crc = await createCRC32();

/**
 * A DecompressionStream('gzip') that behaves like Chromium 156's (measured, toolchain notes §3,
 * native-gunzip.ts): it decodes the first member, throws "Junk found after end of compressed
 * data" as soon as input goes past it, and throws "Compressed input was truncated." at close when
 * the member is incomplete. Because it throws from `transform`, the TransformStream drops output
 * it queued but nobody read yet, the same loss the real one shows. Lets Node tests drive the
 * restart path that only Chromium needs.
 */
export class ChromiumLikeDecompressionStream extends TransformStream<Uint8Array, Uint8Array> {
  constructor(format: string) {
    if (format !== 'gzip') throw new TypeError(`unsupported format ${format}`);
    let out: Uint8Array[] = [];
    let junk = false;
    const reader = new GzipMemberReader((d) => out.push(d), crc, {
      onMember: (offset) => {
        if (offset > 0) junk = true;
      },
    });
    const invalid = (e: unknown) => new TypeError(`The compressed data was not valid: ${(e as Error).message}.`);
    super({
      transform(chunk, controller) {
        try {
          reader.push(chunk);
        } catch (e) {
          if (!junk) throw invalid(e);
        }
        for (const d of out) controller.enqueue(d);
        out = [];
        if (junk) throw new TypeError('Junk found after end of compressed data.');
      },
      flush() {
        try {
          reader.finish();
        } catch {
          throw new TypeError('Compressed input was truncated.');
        }
      },
    });
  }
}
