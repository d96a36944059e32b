/// <reference lib="webworker" />
import { archiveSink } from '../../core/convert/archive-sink.ts';
import { runConversion } from '../../core/convert/run-conversion.ts';
import type { ImageSink } from '../../core/convert/image-sink.ts';
import { layoutSink } from '../../core/convert/layout-sink.ts';
import { LayerlabError } from '../../core/errors.ts';
import type { OpenedImage } from '../../core/image/opened-image.ts';
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
 * One conversion in the worker: the output (an OPFS archive or a picked folder) and the spool are
 * the worker's; the conversion itself is the one driver the CLI uses too
 * (core/convert/run-conversion.ts). On any error or cancel the output is aborted so nothing
 * half-written stays, and the spool is always released.
 */
export async function runConvert(src: ConvertSource, req: ConvertRequest, signal: AbortSignal, progress: ProgressSink): Promise<ConvertOutcome> {
  const t0 = Date.now();
  const { settings, layout, output } = req;
  if (output.kind === 'opfs' && layout === 'oci-layout') throw new LayerlabError('UNSUPPORTED', 'an OCI layout is a folder: pick one to write it into');
  if (output.kind === 'directory' && layout === 'oci-archive') throw new LayerlabError('UNSUPPORTED', 'an OCI archive is one file: download it instead of writing a folder');
  progress({ phase: 'open', layerDone: 0, layerTotal: 0, done: 0, total: 0, message: 'preparing the conversion' });
  const first = await src.opened();
  if (first.kind === 'layer') throw new LayerlabError('UNSUPPORTED', 'a lone layer blob has no manifest to convert; the CLI converts one (layerlab convert)', { file: first.name });

  const spool = await src.spool();
  let abortDir: (() => Promise<void>) | undefined;
  let archive: ReturnType<typeof opfsFileSink> | undefined;
  const fileName = exportName(src.name, settings.target);
  try {
    let sink: ImageSink;
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
    // The one conversion driver (core/convert/run-conversion.ts), as the CLI's convert uses it;
    // chunked targets compress on the other cores (nested workers).
    const { manifests } = await runConversion({
      settings, image: first, sink, spool, signal, mediaTypes: req.mediaTypes, verifiedDiffIds: src.verifiedDiffIds,
      allPlatforms: req.allPlatforms, openPlatform: (p) => src.openPlatform(p, spool),
      pool: () => browserCompressionPool(),
      onProgress: (p) => progress(p as ConvertProgress),
    });
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
