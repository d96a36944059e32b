import type { ByteSource } from '../../../core/bytes/byte-source.ts';
import { fromUrl } from '../../../core/bytes/http-source.ts';
import { LayerlabError } from '../../../core/errors.ts';
import { openImage } from '../../../core/image/open-image.ts';
import { readFooter } from '../../../core/formats/estargz/footer.ts';
import { openEstargz } from '../../../core/formats/estargz/reader.ts';
import { TOC_DIGEST_ANNOTATION } from '../../../core/formats/estargz/types.ts';
import { UsageError, type ParsedArgs } from '../../args.ts';
import { inputFromPath, tempDirSpool } from '../../node-sources.ts';

export const ESTARGZ_USAGE = `  layerlab estargz toc SRC [--layer N]                     the TOC JSON as stored
  layerlab estargz verify SRC [--toc-digest D] [--layer N]  TOC digest and every chunk digest
  layerlab estargz cat SRC PATH [--layer N]                 one file, fetching only its chunks`;

/** Flags of `estargz` that take a value (main.ts parses argv once). */
export const ESTARGZ_VALUED = ['toc-digest'];

/** Bytes of a file written to stdout per read. */
const CAT_PIECE = 64 << 20;

/**
 * `layerlab estargz toc|verify|cat SRC …`. SRC is a lone eStargz blob (found by its footer), or
 * an image whose layer `--layer N` is one (needed when the image has more than one layer); an
 * image layer's `toc.digest` annotation is checked unless `--toc-digest` says otherwise.
 */
export async function estargzCommand(args: ParsedArgs, signal: AbortSignal): Promise<number> {
  const [, sub, src, path] = args.positional;
  if (sub !== 'toc' && sub !== 'verify' && sub !== 'cat') throw new UsageError('estargz needs toc, verify or cat');
  if (!src) throw new UsageError(`estargz ${sub} needs SRC`);
  if (sub === 'cat' && !path) throw new UsageError('estargz cat needs PATH');
  const spool = tempDirSpool();
  try {
    const layer = await estargzSource(src, args.flags.get('layer'), spool, signal);
    const flag = args.flags.get('toc-digest');
    const tocDigest = typeof flag === 'string' ? flag : layer.tocDigest;
    const reader = await openEstargz(layer.source, { tocDigest, signal });
    switch (sub) {
      case 'toc':
        await write(reader.tocJson);
        return 0;
      case 'cat': {
        // Until a short piece: a hard link's TOC entry has no size, its target has.
        for (let off = 0; ; off += CAT_PIECE) {
          const piece = await reader.readFile(path, { offset: off, length: CAT_PIECE, signal });
          await write(piece);
          if (piece.length < CAT_PIECE) return 0;
        }
      }
      case 'verify': {
        out(`TOC ${reader.tocDigest}: ${tocDigest ? 'matches' : 'not checked (no --toc-digest)'}`);
        const r = await reader.verifyChunks({ signal });
        out(`OK: ${r.chunks} chunk(s) verified, ${r.bytes} compressed bytes`);
        return 0;
      }
    }
  } catch (e) {
    // A digest that does not match is the answer `verify` exists for: a line, exit status 1.
    if (sub === 'verify' && e instanceof LayerlabError && e.code === 'DIGEST_MISMATCH') {
      out(`FAILED: ${e.describe()}`);
      return 1;
    }
    throw e;
  } finally {
    spool.dispose();
  }
}

/** The blob to read: SRC itself when it ends in a footer, else layer N of the image SRC. */
async function estargzSource(src: string, layerFlag: string | true | undefined, spool: ReturnType<typeof tempDirSpool>, signal: AbortSignal): Promise<{ source: ByteSource; tocDigest?: string }> {
  const input = /^https?:\/\//.test(src) ? { kind: 'file' as const, source: await fromUrl(src, { signal }) } : await inputFromPath(src);
  if (input.kind === 'file' && layerFlag === undefined && await readFooter(input.source, signal)) return { source: input.source };
  const img = await openImage(input, { spool, signal, contentHash: 'none' });
  const n = layerFlag === undefined && img.layers.length === 1 ? 0 : Number(layerFlag);
  if (!Number.isInteger(n) || n < 0 || n >= img.layers.length) throw new UsageError(`${src} has ${img.layers.length} layer(s): say which with --layer 0..${img.layers.length - 1}`);
  const layer = img.layers[n];
  if (layer.openError) throw layer.openError;
  return { source: layer.source, tocDigest: layer.descriptor.annotations?.[TOC_DIGEST_ANNOTATION] };
}

function out(s: string): void {
  process.stdout.write(s + '\n');
}

function write(bytes: Uint8Array): Promise<void> {
  return new Promise((res, rej) => process.stdout.write(bytes, (e) => (e ? rej(e) : res())));
}
