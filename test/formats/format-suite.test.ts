/**
 * Every format of the registry that can be written goes through ./format-suite.ts. The list is
 * the registry's, so a format registered tomorrow is covered without an edit here: it gets the
 * strictest expectations (byte-exact round trip, detected from its bytes alone) until its entry
 * below says, with a reason, where it differs by design.
 */
import { describe, expect, it } from 'vitest';
import { FORMATS } from '../../src/core/formats/registry.ts';
import type { LayerFormat } from '../../src/core/formats/layer-format.ts';
import { runFormatSuite, type Variant } from './format-suite.ts';
import { suiteCases } from './cases.ts';

const MiB = 1 << 20;

/** The strict default: the written blob holds the input tar byte for byte, and says what it is by its bytes. */
const strict = (f: LayerFormat): Variant[] => [{ label: f.id, settings: { target: f.id }, roundTrip: 'bytes', detection: 'bytes' }];

/** Formats that differ from the strict default, and why. Keyed by format id. */
const DIFFERS: Record<string, Variant[]> = {
  estargz: [
    {
      // BuildKit's mode: the tar is kept byte for byte, a TOC member and footer appended (spec
      // estargz.md §8). 1 MiB chunks, so the 3 MiB file spans several chunks.
      label: 'estargz lossless',
      settings: { target: 'estargz', lossless: true, chunkSize: MiB },
      roundTrip: 'bytes',
      detection: 'bytes',
      // TOC names are JSON strings: bytes that are not UTF-8 reach the TOC as U+FFFD (Go's
      // encoder does the same; test/estargz/toc-tree.test.ts), so the tree listed from the TOC
      // names such a file with U+FFFD.
      indexNames: 'utf8-lossy',
      // TOC `modtime` is RFC 3339 seconds, rounded half up (the library's formatModtime; toc-json.ts).
      indexMtime: 'round-half-up',
    },
    {
      // ctr-remote's Build mode: entries re-encoded, a landmark added (spec §6: `.no.prefetch.landmark`,
      // one 0x0f byte, when nothing is prioritized). Headers are re-encoded as Go's tar.Writer does.
      label: 'estargz build',
      settings: { target: 'estargz', lossless: false, chunkSize: MiB },
      roundTrip: 'entries',
      differences: { added: ['.no.prefetch.landmark'] },
      detection: 'bytes',
      indexNames: 'utf8-lossy',
      indexMtime: 'round-half-up',
      indexExtra: ['.no.prefetch.landmark'],
    },
  ],
  'zstd-chunked': [
    {
      label: 'zstd-chunked',
      settings: { target: 'zstd-chunked' },
      roundTrip: 'bytes',
      detection: 'bytes',
      // Manifest names are JSON strings: bytes that are not UTF-8 reach the manifest as U+FFFD
      // (containers/storage's encoder does the same; spec zstd-chunked.md §3, test/zstd-chunked/
      // writer.test.ts), so the tree listed from the manifest names such a file with U+FFFD. The
      // tar-split keeps the raw name (`name_raw`), and the tar round trip is byte-exact.
      indexNames: 'utf8-lossy',
    },
  ],
  nydus: [
    {
      label: 'nydus',
      // Inline compression (no pool): the suite stays small and single-threaded.
      settings: { target: 'nydus' },
      // The tar back is unpacked from the layer's own bootstrap (spec nydus.md §7.1, like
      // `nydus-image unpack`): a depth-first walk of the byte-sorted tree, so entries come in
      // tree order, the parents a tar left implicit become entries (the builder makes them 0755,
      // 0:0, mtime 0: §5), mtimes are whole seconds (the builder stores no nanoseconds, as
      // nydus-image), uname/gname are not stored in RAFS, and the first name of an inode in
      // tree order carries the data (the others are hard links to it).
      roundTrip: 'entries',
      differences: { reordered: true, implicitDirs: true, mtimeSeconds: true, ownerNames: true, hardlinkGroups: true },
      // A per-layer blob is an uncompressed tar whose headers follow their data (§2.2): its first
      // bytes are chunk data (often a zstd frame), so detectLayer on bare bytes sees a plain
      // layer; nydusFormat.detect keys on the media type, or on `loneInput`, which
      // openImage sets when sniffLoneInput recognises the blob's last header (`rafs.blob.toc`).
      detection: 'lone-input',
      refusals: {
        // EROFS dirents hold names of 1–255 bytes (spec nydus.md §4; nydus-image refuses the same):
        // a tar may carry longer components, a RAFS v6 bootstrap cannot.
        'long component': { code: 'UNSUPPORTED', message: /300-byte name component \(EROFS allows 255\)/, why: 'EROFS names are at most 255 bytes' },
      },
    },
  ],
};

const writable = FORMATS.filter((f) => f.target);

describe('the format suite covers the registry', () => {
  it('every writable format runs, and the table names no format the registry lacks', () => {
    expect(writable.length).toBeGreaterThan(0);
    for (const id of Object.keys(DIFFERS)) expect(writable.map((f) => f.id), `table entry ${id}`).toContain(id);
  });
});

const cases = suiteCases();
for (const format of writable) {
  describe(`format suite: ${format.label} (${format.id})`, () => {
    runFormatSuite(format, cases, DIFFERS[format.id] ?? strict(format));
  });
}
