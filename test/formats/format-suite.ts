/**
 * One suite every writable layer format runs, in the spirit of stargz-snapshotter's
 * CompressionTestSuite (estargz/testutil.go): the same tricky tars go through the format's writer
 * and come back out through the engine's own paths — the tar the conversion spine would read,
 * detection from bytes alone, lazy reads through the analysis' tree, and the tree the format's
 * metadata gives against the tree its data gives. What a format legitimately does differently is
 * declared per variant (./format-suite.test.ts), with the reason, never papered over here.
 */
import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import type { ConvertSettings, DetectedLayer, LayerFormat } from '../../src/core/formats/layer-format.ts';
import { createLayerWriter, detectLayer, formatById, sniffLoneInput } from '../../src/core/formats/registry.ts';
import { convertLayerBlob, describeSource, type LayerConversion } from '../../src/core/convert/convert-image.ts';
import { openImage, openLayerBlob } from '../../src/core/image/open-image.ts';
import type { OpenedImage } from '../../src/core/image/opened-image.ts';
import { analyzeImage, type AnalysisResult } from '../../src/core/analysis/analyze-image.ts';
import { readLayerFile } from '../../src/core/analysis/read-file.ts';
import { scanLayer, type LayerScan } from '../../src/core/layer/layer-scan.ts';
import { uncompressed, uncompressedBlob, type LayerBlob } from '../../src/core/layer/layer.ts';
import type { TreeNode } from '../../src/core/layer/tree-node.ts';
import { fromBytes } from '../../src/core/bytes/memory-source.ts';
import { memorySink } from '../../src/core/bytes/byte-sink.ts';
import { concatBytes } from '../../src/core/bytes/concat.ts';
import { createContentHasher } from '../../src/core/digest/content-hasher.ts';
import { LayerlabError } from '../../src/core/errors.ts';
import { latin1, latin1Bytes, readTar, sha256hex, type ReadEntry } from './tar-reader.ts';

export interface SuiteCase {
  name: string;
  /** What the case is aimed at. */
  about: string;
  tar: Uint8Array;
  /** Every regular file (hard-link names too) → the bytes the tar DSL put in it; keys are normalised paths as byte strings. */
  files: Map<string, Uint8Array>;
}

/** The four checks of a (variant × case). */
export type Check = 'round trip' | 'detection' | 'lazy read' | 'tree';

/** A case the format refuses by design: the writer throws a LayerlabError with this code. */
export interface Refusal {
  code: string;
  message: RegExp;
  why: string;
}

/** What a format documents it changes in the entries of a tar it gives back. */
export interface EntryDifferences {
  /** Entries the format adds (compared as present, then left out). */
  added?: string[];
  /** Entries come back in the format's order (a byte-sorted tree walk), not the tar's. */
  reordered?: boolean;
  /** Parents the tar leaves implicit come back as entries: mode 0755, owner 0:0, mtime 0. */
  implicitDirs?: boolean;
  /** mtime comes back in whole seconds. */
  mtimeSeconds?: boolean;
  /** uname/gname do not come back. */
  ownerNames?: boolean;
  /** Which name of a hard-link group carries the data is the format's choice: groups are compared, not roles. */
  hardlinkGroups?: boolean;
  /** Names that are not UTF-8 come back with U+FFFD for their bad bytes. */
  utf8LossyNames?: boolean;
  /** Fractions of PAX mtimes compared to this many digits only (a tolerance for a known bug, never a format's design). */
  mtimeFractionDigits?: number;
}

/** A suspected engine bug met by a check: the exact check runs as it.fails. */
export interface SuspectedBug {
  /** One line for the test title; the table says the rest. */
  summary: string;
  /** Round trip only: the check also runs with this much tolerated, so everything else stays guarded. */
  tolerate?: EntryDifferences;
}

export interface Variant {
  /** The describe() title ("estargz lossless"). */
  label: string;
  settings: ConvertSettings;
  /** 'bytes': the tar given back is the input byte for byte; 'entries': the same entries, up to `differences`. */
  roundTrip: 'bytes' | 'entries';
  differences?: EntryDifferences;
  /**
   * 'bytes': detectLayer finds the format in a bare blob (no annotations, empty media type).
   * 'lone-input': the format is recognised when the blob is opened (sniffLoneInput) and only then.
   */
  detection: 'bytes' | 'lone-input';
  /** The format's index names files with JSON strings: bytes that are not UTF-8 are U+FFFD there. */
  indexNames?: 'utf8-lossy';
  /** Entries the format adds and the analysis of the written blob therefore shows extra (a landmark). */
  indexExtra?: string[];
  /** mtimes in the format's index are whole seconds, rounded half up (an eStargz TOC's `modtime`); default: truncated. */
  indexMtime?: 'round-half-up';
  /** By case name: refused by design. */
  refusals?: Record<string, Refusal>;
  /** By case name and check: a suspected engine bug (it.fails on the exact check). */
  bugs?: Record<string, Partial<Record<Check, SuspectedBug>>>;
}

const MiB = 1 << 20;
const utf8Lossy = new TextDecoder();
const utf8 = new TextEncoder();

/** A byte-string path with every invalid UTF-8 sequence replaced by U+FFFD, as a JSON index holds it. */
export function lossyKey(key: string): string {
  return latin1(utf8.encode(utf8Lossy.decode(latin1Bytes(key))));
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c.slice());
  return concatBytes(parts);
}

/** Equal bytes, or a message naming the first difference (not a 3 MiB diff). */
function expectSameBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  if (got.length === want.length && Buffer.compare(Buffer.from(got), Buffer.from(want)) === 0) return;
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i++;
  expect.fail(`${what}: ${got.length} bytes, want ${want.length}; first difference at byte ${i} (got ${got[i]}, want ${want[i]})`);
}

/** A lone layer as detection sees a blob with nothing around it: no annotations, no media type. */
function bareLayer(blob: Uint8Array, name: string): LayerBlob {
  return { index: 0, digestIsClaim: false, source: fromBytes(blob, name), path: name, descriptor: { mediaType: '', digest: '', size: blob.length } };
}

/** The analysis key of a tree node: the path's bytes as a byte string. */
function nodeKey(n: TreeNode): string {
  return latin1(n.rawPath ?? utf8.encode(n.path));
}

interface Written {
  blob: Uint8Array;
  conv: LayerConversion;
  /** What the conversion read: the input tar, or (when the target would keep a plain tar as it is) its gzip. */
  input: string;
}

/**
 * The input tar through the format's writer the way `layerlab convert` does it for a lone layer:
 * openImage, createLayerWriter, convertLayerBlob. A target that keeps layers already in its
 * format (uncompressed keeps a plain tar) would refuse "nothing to convert", so it is given the
 * same tar gzipped.
 */
async function write(format: LayerFormat, v: Variant, c: SuiteCase): Promise<Written> {
  const writer = await createLayerWriter(v.settings);
  expect(writer.target).toBe(format.id);
  let input = 'tar';
  let img = await openImage({ kind: 'file', source: fromBytes(c.tar, `${c.name}.tar`) });
  const src = await describeSource(img.layers[0], undefined, img);
  if (src.detected.format === format.id && format.target?.keepsOwnLayers !== false) {
    input = 'tar+gzip';
    img = await openImage({ kind: 'file', source: fromBytes(new Uint8Array(gzipSync(c.tar)), `${c.name}.tar.gz`) });
  }
  const sink = memorySink(`${c.name}.${format.id}`);
  const conv = await convertLayerBlob(img, sink, { writer });
  expect(sink.closed).toBe(true);
  return { blob: sink.bytes(), conv, input };
}

/** The written blob opened as `layerlab` opens a file, and what the registry finds its layer to be. */
async function openWritten(w: Written, c: SuiteCase): Promise<{ img: OpenedImage; detected: DetectedLayer }> {
  const img = await openImage({ kind: 'file', source: fromBytes(w.blob, `${c.name}.out`) });
  expect(img.kind).toBe('layer');
  return { img, detected: await detectLayer(img.layers[0], { image: img }) };
}

/** The layer's tar the way the conversion spine gets it (convert-image.ts convertLayer): the format's own, or the stored bytes decompressed up to `tarEnd`. */
async function tarBack(img: OpenedImage, detected: DetectedLayer): Promise<Uint8Array> {
  const f = formatById(detected.format)!;
  const layer = img.layers[0];
  if (f.tar) return collect(f.tar(layer, { image: img }));
  return collect((await uncompressed(layer, { compression: detected.compression, end: detected.tarEnd })).chunks);
}

// ─── entry lists (round trip of formats that re-encode) ───────────────────────────────────────

const KIND: Record<string, string> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo' };

interface EntryView {
  name: string;
  kind: string;
  mode: string;
  uid: number;
  gid: number;
  uname?: string;
  gname?: string;
  size: number;
  mtime: string;
  link: string;
  dev: string;
  xattrs: Record<string, string>;
  sha256: string;
}

function mtimeText(m: string, d: EntryDifferences): string {
  const [secs, frac] = m.split('.');
  if (d.mtimeSeconds || frac === undefined) return secs;
  return d.mtimeFractionDigits === undefined ? m : `${secs}.${frac.slice(0, d.mtimeFractionDigits)}`;
}

function entryViews(entries: ReadEntry[], d: EntryDifferences): EntryView[] {
  const name = (n: string) => (d.utf8LossyNames ? lossyKey(n) : n);
  const byName = new Map<string, EntryView>();
  const views = entries.map((e): EntryView => {
    const kind = KIND[e.typeflag] ?? `typeflag ${e.typeflag}`;
    const v: EntryView = {
      name: name(e.name), kind, mode: (e.mode & 0o7777).toString(8), uid: e.uid, gid: e.gid, uname: e.uname, gname: e.gname,
      size: kind === 'file' ? e.size : 0, mtime: mtimeText(e.mtime, d),
      link: kind === 'hardlink' ? name(e.linkname) : kind === 'symlink' ? (d.utf8LossyNames ? lossyKey(e.linkname) : e.linkname) : '',
      dev: kind === 'char' || kind === 'block' ? `${e.devmajor},${e.devminor}` : '', xattrs: e.xattrs, sha256: e.sha256,
    };
    if (d.ownerNames) { delete v.uname; delete v.gname; }
    if (kind === 'file') byName.set(v.name, v);
    return v;
  });
  // A hard link stands for its target's inode: with `hardlinkGroups` every name of the group shows
  // the inode (kind file, the data's size and hash) and the grouping is compared on its own.
  return d.hardlinkGroups ? views.map((v) => {
    if (v.kind !== 'hardlink') return v;
    const t = byName.get(v.link);
    return t ? { ...t, name: v.name } : v;
  }) : views;
}

/** Names that share an inode, as sorted groups (links resolved to their target). */
function hardlinkGroups(entries: ReadEntry[], d: EntryDifferences): string[][] {
  const name = (n: string) => (d.utf8LossyNames ? lossyKey(n) : n);
  const groups = new Map<string, Set<string>>();
  for (const e of entries) {
    if (e.typeflag !== '1') continue;
    const g = groups.get(name(e.linkname)) ?? new Set([name(e.linkname)]);
    g.add(name(e.name));
    groups.set(name(e.linkname), g);
  }
  return [...groups.values()].map((g) => [...g].sort()).sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

function compareEntryLists(input: ReadEntry[], back: ReadEntry[], d: EntryDifferences): void {
  let want = entryViews(input, d);
  let got = entryViews(back, d);
  for (const added of d.added ?? []) {
    expect(got.map((g) => g.name), `the format adds ${added}`).toContain(added);
    got = got.filter((g) => g.name !== added);
  }
  if (d.implicitDirs) {
    const have = new Set(want.map((w) => w.name));
    const parents = new Set(want.flatMap((w) => w.name.split('/').slice(0, -1).map((_, i, a) => a.slice(0, i + 1).join('/'))));
    const made = got.filter((g) => !have.has(g.name) && parents.has(g.name));
    for (const m of made) expect({ name: m.name, kind: m.kind, mode: m.mode, uid: m.uid, gid: m.gid, mtime: m.mtime }).toEqual({ name: m.name, kind: 'dir', mode: '755', uid: 0, gid: 0, mtime: '0' });
    got = got.filter((g) => !made.includes(g));
  }
  if (d.hardlinkGroups) expect(hardlinkGroups(back, d)).toEqual(hardlinkGroups(input, d));
  if (d.reordered) {
    const byName = (a: EntryView, b: EntryView) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    want = [...want].sort(byName);
    got = [...got].sort(byName);
  }
  expect(got).toEqual(want);
}

// ─── trees (the analysis; LayerScans) ─────────────────────────────────────────────────────────

interface NodeView { key: string; type: string; mode: string; uid: number; gid: number; size: number; mtime: number; link?: string; hash?: string; xattrs?: Record<string, string> }

/**
 * A TreeNode's `link` is display text: a target that is not UTF-8 is shown byte-wise with `\xHH`
 * escapes (tar-path.ts displayPath). Back to the byte string (the suite's names have no literal `\x`).
 */
function linkKey(text: string): string {
  return /\\x[0-9a-f]{2}/.test(text) ? text.replace(/\\x([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))) : latin1(utf8.encode(text));
}

interface TreeOptions {
  /** Names (and symlink targets) as a JSON index holds them. */
  lossy?: boolean;
  /** Keys left out (entries the format adds). */
  drop?: string[];
  /** Which name of a hard-link group is the file is the format's choice: every name shows the inode, groups compared apart. */
  hardlinkGroups?: boolean;
  mtime?: 'round-half-up';
}

/** The merged tree as comparable rows. */
function treeRows(nodes: TreeNode[], o: TreeOptions = {}): NodeView[] {
  const k = (s: string) => (o.lossy ? lossyKey(s) : s);
  return nodes.filter((n) => !o.drop?.includes(nodeKey(n))).map((n) => {
    const mtime = o.mtime === 'round-half-up' ? Math.floor(n.mtime + 0.5) : Math.floor(n.mtime);
    const v: NodeView = { key: k(nodeKey(n)), type: n.type, mode: n.mode.toString(8), uid: n.uid, gid: n.gid, size: n.size, mtime };
    if (n.link !== undefined) v.link = n.type === 'char' || n.type === 'block' ? n.link : k(linkKey(n.link));
    if (n.hash) v.hash = n.hash;
    if (n.xattrs && Object.keys(n.xattrs).length) v.xattrs = n.xattrs;
    if (o.hardlinkGroups && v.type === 'hardlink') { v.type = 'file'; delete v.link; }
    return v;
  }).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Hard-link groups of a merged tree (names sharing an inode), sorted. */
function treeLinkGroups(nodes: TreeNode[], o: TreeOptions = {}): string[][] {
  const k = (s: string) => (o.lossy ? lossyKey(s) : s);
  const groups = new Map<string, Set<string>>();
  for (const n of nodes) {
    if (n.type !== 'hardlink' || n.link === undefined) continue;
    const target = k(linkKey(n.link));
    const g = groups.get(target) ?? new Set([target]);
    g.add(k(nodeKey(n)));
    groups.set(target, g);
  }
  return [...groups.values()].map((g) => [...g].sort()).sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** A LayerScan's entries and markers as comparable rows (what the merge consumes). */
function scanRows(s: LayerScan, lossy: boolean) {
  const k = (x: string) => (lossy ? lossyKey(x) : x);
  const entries = s.entries.map((e) => ({
    key: k(e.key), kind: e.kind, mode: e.mode.toString(8), uid: e.uid, gid: e.gid, size: e.size, link: e.link === undefined ? undefined : k(e.link), hash: e.hash,
    xattrs: e.xattrs ? Object.fromEntries([...e.xattrs].map(([n, b]) => [n, latin1(b)])) : undefined,
  })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const markers = s.markers.map((m) => ({ key: k(m.key), target: k(m.target), opaque: m.opaque })).sort((a, b) => (a.key < b.key ? -1 : 1));
  return { entries, markers, counts: s.counts, fileBytes: s.fileBytes };
}

// ─── the suite ────────────────────────────────────────────────────────────────────────────────

/**
 * Registers, for each variant of `format` and each case: the round trip, detection from bytes
 * alone, a lazy read of every regular file, and tree-from-metadata against tree-from-data.
 */
export function runFormatSuite(format: LayerFormat, cases: SuiteCase[], variants: Variant[]): void {
  for (const v of variants) {
    describe(v.label, () => {
      for (const c of cases) {
        const refusal = v.refusals?.[c.name];
        if (refusal) {
          it(`${c.name}: refused by design (${refusal.code}): ${refusal.why}`, async () => {
            const err = await write(format, v, c).then(() => undefined, (e: unknown) => e);
            expect(err, 'the writer accepted a case the table says it refuses: update the table').toBeInstanceOf(LayerlabError);
            expect((err as LayerlabError).code).toBe(refusal.code);
            expect((err as LayerlabError).message).toMatch(refusal.message);
          });
          continue;
        }
        describe(c.name, () => registerChecks(format, v, c));
      }
    });
  }
}

function registerChecks(format: LayerFormat, v: Variant, c: SuiteCase): void {
  // One conversion (and one analysis of its output) per (variant × case), shared by the checks.
  let written: Promise<Written> | undefined;
  const output = () => (written ??= write(format, v, c));
  let analysed: Promise<{ img: OpenedImage; result: AnalysisResult }> | undefined;
  // openImage scans a compressed lone layer while finding out what it is (with its default
  // xxh128 content hash), and analyzeImage reuses that scan — ignoring listFromIndex — when the
  // content hashes match. Analysing with sha256 keeps the two apart, so a format with an index is
  // really listed from it here (the 'lazy read' check asserts so).
  const analysis = () => (analysed ??= (async () => {
    const img = await openImage({ kind: 'file', source: fromBytes((await output()).blob, `${c.name}.out`) });
    return { img, result: await analyzeImage(img, { listFromIndex: true, contentHash: 'sha256' }) };
  })());
  const check = (name: Check, title: string, body: (tolerate?: EntryDifferences) => Promise<void>) => {
    const bug = v.bugs?.[c.name]?.[name];
    if (!bug) {
      it(title, () => body());
      return;
    }
    // The rest of the check still guards the case; the exact check fails until the bug is fixed.
    if (bug.tolerate) it(`${title} (but for the suspected bug below)`, () => body(bug.tolerate));
    it.fails(`${title}, exactly — SUSPECTED BUG: ${bug.summary}`, () => body());
  };

  check('round trip', `round trip: ${v.roundTrip === 'bytes' ? 'the tar back equals the input byte for byte' : 'the tar back has the same entries'}`, async (tolerate) => {
    const w = await output();
    // What the conversion says it wrote is what it wrote.
    expect(w.conv.to.size).toBe(w.blob.length);
    expect(w.conv.to.digest).toBe(`sha256:${sha256hex(w.blob)}`);
    // The descriptor it proposes: a media type of the format, and only annotations the format
    // declares (registry.ts encodingAnnotations drops exactly those when the layer is re-encoded).
    expect(format.mediaTypes).toContain(w.conv.to.mediaType);
    for (const a of Object.keys(w.conv.to.annotations ?? {})) expect(format.annotations, `annotation ${a}`).toContain(a);
    const { img, detected } = await openWritten(w, c);
    expect(detected.format).toBe(format.id);
    // The diffID is the sha256 of the blob's whole uncompressed stream (an eStargz TOC member included).
    const whole = await collect((await uncompressedBlob(fromBytes(w.blob), { compression: detected.compression })).chunks);
    expect(w.conv.diffId).toBe(`sha256:${sha256hex(whole)}`);
    const back = await tarBack(img, detected);
    if (v.roundTrip === 'bytes') expectSameBytes(back, c.tar, 'the tar given back');
    else compareEntryLists(readTar(c.tar), readTar(back), { ...v.differences, ...tolerate });
  });

  check('detection', v.detection === 'bytes' ? 'detection: from its bytes alone (no annotations, no media type), and with its descriptor'
    : 'detection: with its descriptor, and when opened alone (sniffLoneInput); not from bare bytes, by design', async () => {
    const w = await output();
    // With the descriptor the conversion wrote (as a layer of an image carries it), every format is found.
    const described = bareLayer(w.blob, `${c.name}.out`);
    described.descriptor = { ...described.descriptor, mediaType: w.conv.to.mediaType, annotations: w.conv.to.annotations };
    const withDescriptor = await detectLayer(described);
    expect(withDescriptor.format).toBe(format.id);
    if (format.describe) expect(format.describe(withDescriptor, described).problems).toEqual([]); // an eStargz TOC digest that matches its annotation
    const bare = await detectLayer(bareLayer(w.blob, `${c.name}.out`));
    if (v.detection === 'bytes') {
      expect(bare.format).toBe(format.id);
      return;
    }
    // By design (see the variant's table entry): a bare blob is some other format to detectLayer.
    // If this starts to fail, detection got better and the table entry is stale.
    expect(bare.format).not.toBe(format.id);
    const lone = sniffLoneInput(w.blob.subarray(0, 2048), w.blob.subarray(Math.max(0, w.blob.length - 512)));
    expect(lone?.format).toBe(format.id);
    const { img, detected } = await openWritten(w, c);
    expect(img.loneInput?.format).toBe(format.id);
    expect(detected.format).toBe(format.id);
    expect((await analysis()).result.report.layers[0].lazyFormat).toBe(format.id);
  });

  check('lazy read', 'lazy read: every regular file of the merged tree reads back as the input\'s bytes', async () => {
    const { img, result } = await analysis();
    const layer = result.report.layers[0];
    expect(layer.error).toBeUndefined();
    if (format.lazy) expect(layer.lazyFormat).toBe(format.id);
    // A format with an index was listed from it, not from its tar: a TOC scan has no diffID.
    if (format.tree) expect(result.scans[0].diffID).toBe('');
    const want = new Map([...c.files].map(([k, b]) => [v.indexNames === 'utf8-lossy' ? lossyKey(k) : k, b]));
    const nodes = result.trees.merged.filter((n) => n.type === 'file' || n.type === 'hardlink');
    expect(nodes.map(nodeKey).filter((k) => !v.indexExtra?.includes(k)).sort()).toEqual([...want.keys()].sort());
    for (const n of nodes) {
      const key = nodeKey(n);
      const bytes = want.get(key);
      if (!bytes) continue; // an entry the index adds (indexExtra), checked above
      expect(n.size, key).toBe(bytes.length);
      if (n.hash) expect(n.hash, key).toBe(sha256hex(bytes));
      expectSameBytes(await readLayerFile(img, n), bytes, `readLayerFile ${JSON.stringify(n.path)}`);
      if (format.readFile && n.content) {
        // The format's own lazy path (its index), not the engine's fallback of inflating the tar.
        const lazy = await format.readFile(img, n, { offset: 0, length: n.content.size });
        expect(lazy, `${format.id} reads ${n.path} through its index`).toBeDefined();
        expectSameBytes(lazy!, bytes, `${format.id}.readFile ${JSON.stringify(n.path)}`);
      }
      if (bytes.length > MiB + 16) {
        // A range across a chunk boundary (1 MiB chunks in the table's settings).
        const part = await readLayerFile(img, n, { offset: MiB - 7, length: 20 });
        expectSameBytes(part, bytes.subarray(MiB - 7, MiB + 13), `range of ${n.path}`);
      }
    }
  });

  check('tree', 'tree from metadata equals tree from data', async () => {
    const w = await output();
    if (format.tree) {
      // The format's index (an eStargz TOC) against a scan of the tar the spine reads.
      const fromIndex = await format.tree(bareLayer(w.blob, `${c.name}.out`), { hasher: await createContentHasher('sha256') });
      expect(fromIndex, 'the written blob carries the format\'s index').toBeDefined();
      expect(fromIndex!.error).toBeUndefined();
      const { img, detected } = await openWritten(w, c);
      const fromData = await scanLayer(bareLayer(await tarBack(img, detected), `${c.name}.tar`), { hasher: await createContentHasher('sha256') });
      expect(fromData.error).toBeUndefined();
      const lossy = v.indexNames === 'utf8-lossy';
      expect(scanRows(fromIndex!, false)).toEqual(scanRows(fromData, lossy));
    }
    // The analysis of the written blob (listed from the format's index or bootstrap where it has
    // one) against the analysis of the input tar itself, read as an uncompressed layer.
    const got = (await analysis()).result;
    const ref = await analyzeImage(openLayerBlob(fromBytes(c.tar, `${c.name}.tar`)), { contentHash: 'sha256' });
    expect(got.report.layers[0].whiteouts).toBe(ref.report.layers[0].whiteouts);
    expect(got.report.layers[0].opaqueDirs).toBe(ref.report.layers[0].opaqueDirs);
    const groups = !!v.differences?.hardlinkGroups;
    const refOptions: TreeOptions = { lossy: v.indexNames === 'utf8-lossy', hardlinkGroups: groups, mtime: v.indexMtime };
    expect(treeRows(got.trees.merged, { drop: v.indexExtra, hardlinkGroups: groups })).toEqual(treeRows(ref.trees.merged, refOptions));
    expect(treeLinkGroups(got.trees.merged)).toEqual(treeLinkGroups(ref.trees.merged, refOptions));
  });
}
