import type { Verification } from '../../../core/digest/digest.ts';
import type { EstargzChunk } from '../../../core/formats/estargz/reader.ts';
import type { FooterKind, Landmark, TocEntry } from '../../../core/formats/estargz/types.ts';

/** An eStargz layer's footer and TOC, as the TOC browser shows them. */
export interface EstargzTocView {
  layer: number;
  footer: FooterKind;
  tocOffset: number;
  tocDigest: string;
  tocDigestCheck: Verification;
  /** Size of the TOC JSON as stored. */
  tocBytes: number;
  landmark: Landmark;
  prioritized: string[];
  /** TOC entries in stored order (`chunk` entries included). */
  entries: TocEntry[];
  /** Data chunks, in TOC order. */
  chunks: EstargzChunk[];
}

export interface EstargzVerifyResult {
  layer: number;
  chunks: number;
  bytes: number;
  seconds: number;
}

