/// <reference lib="webworker" />
import { archiveSink } from '../../core/convert/archive-sink.ts';
import { convertImage, finishOutput, type ConvertedManifest } from '../../core/convert/convert-image.ts';
import type { ImageSink } from '../../core/convert/image-sink.ts';
import { layoutSink } from '../../core/convert/layout-sink.ts';
import { createLayerWriter } from '../../core/convert/writers.ts';
import { LayerlabError } from '../../core/errors.ts';
import type { OpenedImage } from '../../core/image/opened-image.ts';
import type { Progress } from '../../core/progress.ts';
import type { BlobSpool } from '../../core/store/blob-spool.ts';
import { opfsDir } from '../cache/opfs.ts';
import type { OpfsSpool } from '../cache/opfs-spool.ts';
import type { ProgressSink } from '../job-progress.ts';
import type { ConvertOutcome, ConvertProgress, ConvertRequest } from '../protocol.ts';
import { handleDirectoryTarget, opfsFileSink } from './output-targets.ts';
import { browserCompressionPool } from '../compress-pool/index.ts';

/** Where finished archives are kept, under the layerlab OPFS folder. */
export const EXPORTS_DIR = 'exports';

export interface ConvertSource {
  /** The image as opened for viewing (shared: not closed here). */
  opened(): Promise<OpenedImage>;
  /** The same input opened again for another platform, spooling into `spool`; closed after use. */
  openPlatform(platform: string, spool: BlobSpool): Promise<OpenedImage>;
  /** What the user opened, for the output's name ("sample.tar"). */
  name: string;
  /** A fresh spool folder for this conversion (converted layers, the partial archive). */
  spool(): Promise<OpfsSpool & { dir?: FileSystemDirectoryHandle }>;
  /** Stored digest → diffID pairs the analysis verified (ConvertImageOptions.verifiedDiffIds). */
  verifiedDiffIds?: ReadonlyMap<string, string>;
}

/**
 * One conversion in the worker, as the CLI's `convert` does it (src/cli/convert-command.ts):
 * open, convert each platform's layers through the spool into the output, write the index last;
 * on any error or cancel, abort the output so nothing half-written stays, and always release the
 * spool.
 */
export async function runConvert(src: ConvertSource, req: ConvertRequest, signal: AbortSignal, progress: ProgressSink): Promise<ConvertOutcome> {
  const t0 = Date.now();
  const { settings, layout, output } = req;
  if (output.kind === 'opfs' && layout === 'oci-layout') throw new LayerlabError('UNSUPPORTED', 'an OCI layout is a folder: pick one to write it into');
  if (output.kind === 'directory' && layout === 'oci-archive') throw new LayerlabError('UNSUPPORTED', 'an OCI archive is one file: download it instead of writing a folder');
  // eStargz and Nydus compress chunks on the other cores (nested workers); closed at the end.
  const pool = settings.target === 'estargz' || settings.target === 'nydus' ? browserCompressionPool() : undefined;
  try {
    return await convertWith(src, req, signal, progress, await createLayerWriter(settings, { pool }), t0);
  } finally {
    pool?.close();
  }
}

async function convertWith(src: ConvertSource, req: ConvertRequest, signal: AbortSignal, progress: ProgressSink,
  writer: Awaited<ReturnType<typeof createLayerWriter>>, t0: number): Promise<ConvertOutcome> {
  const { settings, layout, output } = req;
  progress({ phase: 'open', layerDone: 0, layerTotal: 0, done: 0, total: 0, message: 'preparing the conversion' });
  const first = await src.opened();
  if (first.kind === 'layer') throw new LayerlabError('UNSUPPORTED', 'a lone layer blob has no manifest to convert; the CLI converts one (layerlab convert)', { file: first.name });
  const platforms = req.allPlatforms && first.platforms.length > 1 ? first.platforms.map((p) => p.platform) : undefined;
  if (platforms && layout === 'docker-archive') {
    throw new LayerlabError('UNSUPPORTED', `a docker-archive holds one platform; this index has ${platforms.length}: convert one, or write an OCI archive`);
  }

  const spool = await src.spool();
  let sink: ImageSink | undefined;
  let abortDir: (() => Promise<void>) | undefined;
  let archive: ReturnType<typeof opfsFileSink> | undefined;
  const fileName = exportName(src.name, settings.target);
  try {
    if (output.kind === 'opfs') {
      const exportsDir = await opfsDir(EXPORTS_DIR);
      const partDir = spool.dir;
      if (!partDir) throw new LayerlabError('UNSUPPORTED', "this browser offers no private file system to write the archive to; pick a folder instead");
      archive = opfsFileSink(partDir, `${crypto.randomUUID()}.partial`, exportsDir, fileName);
      sink = archiveSink(archive, layout as 'oci-archive' | 'docker-archive');
    } else {
      const dir = await handleDirectoryTarget(output.handle);
      abortDir = dir.abortAll;
      sink = layoutSink(dir, layout as 'oci-layout' | 'docker-archive');
    }
    const manifests: ConvertedManifest[] = [];
    const count = platforms?.length ?? 1;
    const run = async (img: OpenedImage, platform: string | undefined, i: number) => {
      const onProgress = (p: Progress) => progress({ ...p, platform, platformIndex: i, platformCount: count } as ConvertProgress);
      manifests.push(await convertImage(img, sink!, { writer, spool, signal, onProgress, mediaTypes: req.mediaTypes, verifiedDiffIds: src.verifiedDiffIds }));
    };
    if (!platforms) await run(first, undefined, 0);
    else {
      for (const [i, p] of platforms.entries()) {
        signal.throwIfAborted();
        progress({ phase: 'open', layerDone: 0, layerTotal: 0, done: 0, total: 0, message: `opening ${p}`, platform: p, platformIndex: i, platformCount: count } as ConvertProgress);
        const img = await src.openPlatform(p, spool);
        try { await run(img, p, i); } finally { await img.close?.(); }
      }
    }
    await finishOutput(sink, manifests, signal);
    const outcome: ConvertOutcome = {
      target: settings.target,
      layout,
      manifests: manifests.map((m) => ({
        digest: m.descriptor.digest,
        platform: m.descriptor.platform ? [m.descriptor.platform.os, m.descriptor.platform.architecture, m.descriptor.platform.variant].filter(Boolean).join('/') : undefined,
        mediaType: m.descriptor.mediaType,
        configDigest: m.configDigest,
        style: m.style,
        notes: m.notes,
        layers: m.layers,
      })),
      bytes: 0,
      seconds: (Date.now() - t0) / 1000,
    };
    if (archive) {
      const file = await archive.handle()!.getFile();
      Object.assign(outcome, { file, fileName, opfsPath: `${EXPORTS_DIR}/${fileName}`, bytes: file.size });
    } else {
      outcome.directory = output.kind === 'directory' ? output.handle.name : undefined;
      outcome.bytes = manifests.reduce((s, m) => s + m.manifest.layers.reduce((n, l) => n + l.size, 0), 0);
    }
    return outcome;
  } catch (e) {
    await sink?.abort().catch(() => {});
    await archive?.abort().catch(() => {});
    await abortDir?.().catch(() => {});
    throw e;
  } finally {
    await spool.release();
    // A spool writer dropped by the cancel closes its handle a moment later (VerifiedFileWriter):
    // a locked file keeps the folder, so look once more then.
    setTimeout(() => void spool.release(), 1000);
  }
}

/** `<image>-<target>.tar`: the input's name without its archive extensions, made safe for a file name. */
export function exportName(source: string, target: string): string {
  let base = source;
  try { if (/^https?:\/\//.test(source)) base = decodeURIComponent(new URL(source).pathname.split('/').filter(Boolean).pop() ?? 'image'); } catch { /* keep */ }
  base = base.split('/').pop() ?? base;
  base = base.replace(/(\.(tar|tgz|gz|zst|zstd|oci|docker))+$/i, '').replace(/^(manifest|config):sha256:/, '');
  base = base.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 80) || 'image';
  return `${base}-${target}.tar`;
}
