import type { ByteSource } from '../../../core/bytes/byte-source.ts';
import { fromUrl } from '../../../core/bytes/http-source.ts';
import { LayerlabError } from '../../../core/errors.ts';
import { openImage } from '../../../core/image/open-image.ts';
import { openZstdChunked, readZstdChunkedFooter, type ZstdChunkedVerifyReport } from '../../../core/formats/zstd-chunked/index.ts';
import { UsageError, type ParsedArgs } from '../../args.ts';
import { inputFromPath, tempDirSpool } from '../../node-sources.ts';

export const ZSTD_CHUNKED_USAGE = `  layerlab zstd-chunked toc SRC [--layer N]                the manifest JSON as stored
  layerlab zstd-chunked verify SRC [--layer N] [--json]    manifest checksum, every chunk and file digest, tar-split and rebuilt tar
  layerlab zstd-chunked cat SRC PATH [--layer N]           one file, fetching only its frames
  layerlab zstd-chunked tar SRC [--layer N]                the original tar rebuilt from the tar-split`;

/** Flags of `zstd-chunked` that take a value (main.ts parses argv once). */
export const ZSTD_CHUNKED_VALUED: readonly string[] = [];

/** Bytes of a file written to stdout per read. */
const CAT_PIECE = 64 << 20;

/**
 * `layerlab zstd-chunked toc|verify|cat|tar SRC …`. SRC is a lone zstd:chunked blob (found by its
 * footer) or an image whose layer `--layer N` is one (needed when it has more than one layer); an
 * image layer's annotations are checked (manifest checksum) and used (an interim blob's tar-split
 * position), and its config's diffID is what the rebuilt tar must hash to.
 */
export async function zstdChunkedCommand(args: ParsedArgs, signal: AbortSignal): Promise<number> {
  const [, sub, src, path] = args.positional;
  if (sub !== 'toc' && sub !== 'verify' && sub !== 'cat' && sub !== 'tar') throw new UsageError('zstd-chunked needs toc, verify, cat or tar');
  if (!src) throw new UsageError(`zstd-chunked ${sub} needs SRC`);
  if (sub === 'cat' && !path) throw new UsageError('zstd-chunked cat needs PATH');
  const spool = tempDirSpool();
  try {
    const layer = await zstdChunkedSource(src, args.flags.get('layer'), spool, signal);
    const reader = await openZstdChunked(layer.source, { annotations: layer.annotations, signal });
    switch (sub) {
      case 'toc':
        await write(reader.manifestJson);
        return 0;
      case 'cat':
        // Until a short piece: a hard link's entry has no size, its target has.
        for (let off = 0; ; off += CAT_PIECE) {
          const piece = await reader.readFile(path, { offset: off, length: CAT_PIECE, signal });
          await write(piece);
          if (piece.length < CAT_PIECE) return 0;
        }
      case 'tar':
        for await (const piece of reader.tar(signal)) await write(piece);
        return 0;
      case 'verify': {
        const report = await reader.verify({ signal, diffId: layer.diffId });
        if (args.flags.has('json')) out(JSON.stringify(verifyJson(report), null, 2));
        else for (const line of verifyLines(report)) out(line);
        return report.problems.length ? 1 : 0;
      }
    }
  } finally {
    spool.dispose();
  }
}

function verifyJson(r: ZstdChunkedVerifyReport) {
  return { ...r, ok: r.problems.length === 0, problems: r.problems.map((p) => p.toJSON()) };
}

function verifyLines(r: ZstdChunkedVerifyReport): string[] {
  const lines = [
    `zstd:chunked ${r.variant}: manifest ${r.manifestDigest} (checksum annotation: ${r.manifestDigestCheck}), ${r.entries} entries`,
    `chunks: ${r.chunks} verified (${r.zeroChunks} zeros), ${r.files} multi-chunk file digest(s), ${r.compressedBytes} compressed bytes`,
    `tar-split: ${r.tarSplit}${r.rebuilt ? `; rebuilt tar ${r.rebuilt.digest} (${r.rebuilt.size} bytes), diffID ${r.rebuilt.diffIdCheck}` : ''}`,
  ];
  for (const n of r.notes) lines.push(`note: ${n}`);
  for (const p of r.problems) lines.push(`FAILED: ${p.describe()}`);
  lines.push(r.problems.length ? `${r.problems.length} problem(s)` : 'OK');
  return lines;
}

/** The blob to read: SRC itself when it ends in a zstd:chunked footer, else layer N of the image SRC. */
async function zstdChunkedSource(src: string, layerFlag: string | true | undefined, spool: ReturnType<typeof tempDirSpool>, signal: AbortSignal):
  Promise<{ source: ByteSource; annotations?: Record<string, string>; diffId?: string }> {
  const input = /^https?:\/\//.test(src) ? { kind: 'file' as const, source: await fromUrl(src, { signal }) } : await inputFromPath(src);
  if (input.kind === 'file' && layerFlag === undefined) {
    try {
      if (await readZstdChunkedFooter(input.source, signal)) return { source: input.source };
    } catch (e) {
      if (!(e instanceof LayerlabError)) throw e;
      return { source: input.source }; // a damaged footer: openZstdChunked says what is wrong
    }
  }
  const img = await openImage(input, { spool, signal, contentHash: 'none' });
  const n = layerFlag === undefined && img.layers.length === 1 ? 0 : Number(layerFlag);
  if (!Number.isInteger(n) || n < 0 || n >= img.layers.length) throw new UsageError(`${src} has ${img.layers.length} layer(s): say which with --layer 0..${img.layers.length - 1}`);
  const layer = img.layers[n];
  if (layer.openError) throw layer.openError;
  return { source: layer.source, annotations: layer.descriptor.annotations, diffId: layer.expectedDiffId };
}

function out(s: string): void {
  process.stdout.write(s + '\n');
}

function write(bytes: Uint8Array): Promise<void> {
  return new Promise((res, rej) => process.stdout.write(bytes, (e) => (e ? rej(e) : res())));
}
