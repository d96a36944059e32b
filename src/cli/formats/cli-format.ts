import type { ImageReport, LayerReport } from '../../core/analysis/report.ts';
import type { ParsedArgs } from '../args.ts';

/**
 * What a format adds to the CLI: its own subcommand (`layerlab estargz …`) and its lines in the
 * `inspect` summary. Each format folder under src/cli/formats/ exports one; ./index.ts lists them.
 */
export interface CliFormat {
  command?: {
    /** The subcommand word. */
    name: string;
    /** Lines for the usage text. */
    usage: string;
    /** Its flags that take a value (main.ts parses argv once). */
    valued: readonly string[];
    run(args: ParsedArgs, signal: AbortSignal): Promise<number>;
  };
  /** Lines after the image's header lines. */
  imageLines?(r: ImageReport): string[];
  /** Lines under one layer's row. */
  layerLines?(r: ImageReport, l: LayerReport): string[];
}
