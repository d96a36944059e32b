import type { UiFormat } from './ui-format.ts';
import { estargzUi } from './estargz/index.ts';
import { nydusUi } from './nydus/index.ts';
import { zstdChunkedUi } from './zstd-chunked/index.ts';

/** The formats with something of their own in the app. */
export const UI_FORMATS: readonly UiFormat[] = [estargzUi, nydusUi, zstdChunkedUi];
