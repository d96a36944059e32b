import type { CliFormat } from './cli-format.ts';
import { estargzCli } from './estargz/index.ts';
import { nydusCli } from './nydus/index.ts';
import { zstdChunkedCli } from './zstd-chunked/index.ts';

/** The formats with something of their own in the CLI (a subcommand, summary lines). */
export const CLI_FORMATS: readonly CliFormat[] = [estargzCli, zstdChunkedCli, nydusCli];
