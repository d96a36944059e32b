import type { OpenedImage } from '../../core/image/opened-image.ts';
import type { LayerBlob } from '../../core/layer/layer.ts';
import type { countingImage } from '../counting-image.ts';
import type { ProgressSink } from '../job-progress.ts';
import type { ImageRef, JobId, JobProgress } from '../protocol.ts';

export type RemoteProgress = (p: JobProgress) => unknown;

/**
 * What a format's own worker calls (its inspector: a TOC browser, a bootstrap view) get from the
 * worker: jobs with progress and cancel, and the open images. Each format folder under
 * src/worker/formats/ exports a function from this to its calls, which api.ts spreads into the
 * engine's one flat API.
 */
export interface FormatWorkerContext {
  withProgress<T>(job: JobId, remote: RemoteProgress | undefined, fn: (signal: AbortSignal, progress: ProgressSink) => Promise<T>): Promise<T>;
  image(ref: ImageRef, signal: AbortSignal, progress: ProgressSink): Promise<OpenedImage>;
  /** One layer of an open image; throws when it does not exist or could not be opened. */
  layerBlob(ref: ImageRef, layer: number, signal: AbortSignal, progress: ProgressSink): Promise<LayerBlob>;
  countingImage: typeof countingImage;
}
