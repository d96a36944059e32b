import { byteString } from '../../../core/tar/tar-path.ts';
import type { TreeNode } from '../../../core/layer/tree-node.ts';
import type { ImageRef, JobId } from '../../protocol.ts';
import type { FormatWorkerContext, RemoteProgress } from '../format-context.ts';
import type { NydusBootstrapView, NydusCheckView, NydusFileView } from './protocol.ts';
import { nydusBootstrapView, nydusCheckView, nydusFileView } from './views.ts';

/** The Nydus inspector's calls: bootstraps, one file's chunks, and the check. */
export function nydusApi(ctx: FormatWorkerContext) {
  return {
  /** A Nydus bootstrap for the inspector: the image's (`'merged'`) or a blob layer's own. */
  nydusBootstrap(job: JobId, ref: ImageRef, which: number | 'merged', onProgress?: RemoteProgress): Promise<NydusBootstrapView> {
    return ctx.withProgress(job, onProgress, async (signal, progress) => {
      const img = await ctx.image(ref, signal, progress);
      progress({ phase: 'open', layerDone: 0, layerTotal: 0, done: 0, total: 0, message: 'reading the bootstrap' });
      return nydusBootstrapView(img, which, signal);
    });
  },

  /** One file of a Nydus bootstrap: its inode and chunks (a CI array may be fetched for them). */
  nydusFile(job: JobId, ref: ImageRef, which: number | 'merged', node: Pick<TreeNode, 'path' | 'rawPath'>, onProgress?: RemoteProgress): Promise<NydusFileView> {
    return ctx.withProgress(job, onProgress, async (signal, progress) => {
      const img = await ctx.image(ref, signal, progress);
      return nydusFileView(img, which, byteString(node.rawPath ?? new TextEncoder().encode(node.path)), signal);
    });
  },

  /** `nydus-image check` and more over a bootstrap, with every chunk of the blobs at hand read and verified. */
  nydusCheck(job: JobId, ref: ImageRef, which: number | 'merged', onProgress?: RemoteProgress): Promise<NydusCheckView> {
    return ctx.withProgress(job, onProgress, async (signal, progress) => {
      const img = await ctx.image(ref, signal, progress);
      const counted = ctx.countingImage(img, 'all', (done, total) =>
        progress({ phase: 'layers', layerDone: done, layerTotal: total, done, total, message: `read ${mb(done)} of the blobs` }));
      return nydusCheckView(counted, which, signal);
    });
  },
  };
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;
}
