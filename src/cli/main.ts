import { openImage, type ImageInput } from '../core/image/open-image.ts';
import { analyzeImage, type AnalysisResult } from '../core/analysis/analyze-image.ts';
import { readLayerFile } from '../core/analysis/read-file.ts';
import { mergedTreeTsv } from '../core/analysis/tree-tsv.ts';
import type { ImageReport, TreeNode } from '../core/analysis/report.ts';
import { LayerlabError, toLayerlabError } from '../core/errors.ts';
import { fromUrl } from '../core/bytes/http-source.ts';
import type { Progress } from '../core/progress.ts';
import { inputFromPath, tempDirSpool } from './node-sources.ts';
import { parseArgs, UsageError } from './args.ts';
import { summaryText } from './format.ts';
import { formatBytes, formatMtime, modeString } from '../core/display.ts';
import { contractJson } from './contract-json.ts';
import { useNodeSha256 } from './node-hash.ts';
import { CLI_FORMATS } from './formats/index.ts';
import { CONVERT_USAGE, CONVERT_VALUED, convertCommand } from './convert-command.ts';

const FORMAT_COMMANDS = CLI_FORMATS.flatMap((f) => (f.command ? [f.command] : []));

const USAGE = `layerlab — open, explain and verify container images, offline

usage:
  layerlab inspect SRC [--json | --report] [--platform OS/ARCH[/VARIANT]] [--toc]
  layerlab ls SRC [--layer N] [--long] [--tsv] [--toc]
  layerlab cat SRC PATH [--layer N] [--toc]
  layerlab verify SRC
${CONVERT_USAGE}
${FORMAT_COMMANDS.map((c) => c.usage).join('\n')}

SRC is a docker-archive (docker save), an OCI image layout folder, an OCI archive
(optionally gzip'd), a single layer blob (tar, tar+gzip, tar+zstd), or an http(s) URL
of one of the files. What it is comes from its content, never its name.

  --json       the stable schema of docs/cli-json.md (per-layer and merged figures)
  --report     the full analysis (docs/engine-api.md, ImageReport) as JSON
  --layer N    one layer's own entries instead of the merged tree (0 = base)
  --long       mode, owner, size, mtime and link target
  --tsv        the merged tree as TSV (path, type, mode, uid, gid, size, sha256, link)
  --toc        layers with a TOC (eStargz) are listed from it, without inflating them (their
               diffIDs are then not checked; file sha256s are the TOC's)
  --quiet      no progress on stderr
  --to T       convert: the layer format to write; -o OUT: OUT.tar = OCI archive, else a new
               OCI layout folder (--docker-archive: a docker-archive tar); a lone layer blob
               converts to a lone blob. --oci writes OCI media types for a Docker image.

exit status: 0 ok; 1 failed or (verify) a digest/diffID did not match; 2 usage error.`;

const VALUED = new Set(['layer', 'platform', ...FORMAT_COMMANDS.flatMap((c) => c.valued), ...CONVERT_VALUED]);

async function main(argv: string[]): Promise<number> {
  useNodeSha256();
  const args = parseArgs(argv, VALUED);
  const [cmd, src, ...rest] = args.positional;
  if (!cmd || args.flags.has('help') || args.flags.has('h') || cmd === 'help') { process.stdout.write(USAGE + '\n'); return cmd ? 0 : 2; }
  if (!src) throw new UsageError(`${cmd} needs SRC`);
  const platform = str(args.flags.get('platform'));
  const quiet = args.flags.has('quiet') || !process.stderr.isTTY;
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  const formatCommand = FORMAT_COMMANDS.find((c) => c.name === cmd);
  if (formatCommand) return formatCommand.run(args, ac.signal);
  if (cmd === 'convert') return convertCommand(args, ac.signal, quiet ? undefined : progressLine());
  const spool = tempDirSpool();
  try {
    const input: ImageInput = /^https?:\/\//.test(src) ? { kind: 'file', source: await fromUrl(src, { signal: ac.signal }) } : await inputFromPath(src);
    const onProgress = quiet ? undefined : progressLine();
    const contentHash = cmd === 'ls' && args.flags.has('tsv') ? 'sha256' : cmd === 'inspect' && !args.flags.has('json') ? 'xxh128' : 'none';
    const img = await openImage(input, { platform, spool, signal: ac.signal, onProgress, contentHash });
    // Layers with a TOC listed from it: nothing inflated (diffIDs left unchecked).
    const listFromIndex = args.flags.has('toc');
    const layerFlag = args.flags.get('layer');
    const layer = layerFlag === undefined ? undefined : Number(layerFlag);
    if (layer !== undefined && (!Number.isInteger(layer) || layer < 0 || layer >= img.layers.length)) {
      throw new UsageError(`--layer must be 0..${img.layers.length - 1}`);
    }
    switch (cmd) {
      case 'inspect': {
        const r = await analyzeImage(img, { signal: ac.signal, onProgress, trees: false, contentHash, listFromIndex });
        clearProgress(quiet);
        if (args.flags.has('json')) out(JSON.stringify(contractJson(r.report), null, 2));
        else if (args.flags.has('report')) out(JSON.stringify(r.report, null, 2));
        else { out(summaryText(r.report)); return r.report.layers.some((l) => l.error) ? 1 : 0; }
        return reportLayerErrors(r);
      }
      case 'verify': {
        const r = await analyzeImage(img, { signal: ac.signal, onProgress, trees: false, contentHash });
        clearProgress(quiet);
        return verifyText(r.report);
      }
      case 'ls': {
        const tsv = args.flags.has('tsv');
        // Blobs read through image metadata (a Nydus image's) are not hashed whole for a listing.
        const r = await analyzeImage(img, { signal: ac.signal, onProgress, contentHash, blobDigests: false, listFromIndex });
        clearProgress(quiet);
        if (tsv) { process.stdout.write(mergedTreeTsv(r.tree)); return 0; }
        const nodes = layer === undefined ? r.trees.merged : r.trees.layers[layer];
        const long = args.flags.has('long');
        for (const n of nodes) out(long ? longLine(n) : n.path + (n.type === 'dir' ? '/' : ''));
        return reportLayerErrors(r);
      }
      case 'cat': {
        const path = rest[0];
        if (!path) throw new UsageError('cat needs PATH');
        // Through image metadata (Nydus): only it and the file's chunks are read (no whole-blob digest pass).
        const r = await analyzeImage(img, { signal: ac.signal, onProgress, contentHash, blobDigests: false, listFromIndex });
        clearProgress(quiet);
        const want = path.replace(/^\/+/, '').replace(/\/+$/, '');
        const nodes = layer === undefined ? r.trees.merged : r.trees.layers[layer];
        const node = nodes.findLast((n) => n.path === want);
        if (!node) throw new LayerlabError('NOT_FOUND', `no ${want} in ${layer === undefined ? 'the merged tree' : `layer ${layer}`}`, { file: src });
        if (!node.content) throw new LayerlabError('NOT_FOUND', `${want} is a ${node.type}, not a file with content`, { file: src });
        const CHUNK = 64 << 20;
        for (let off = 0; off < node.content.size || off === 0; off += CHUNK) {
          const bytes = await readLayerFile(img, node, { offset: off, length: Math.min(CHUNK, node.content.size - off), signal: ac.signal });
          await new Promise<void>((res, rej) => process.stdout.write(bytes, (e) => (e ? rej(e) : res())));
          if (node.content.size === 0) break;
        }
        return 0;
      }
      default:
        throw new UsageError(`unknown command ${cmd}`);
    }
  } finally {
    spool.dispose();
  }
}

function str(v: string | true | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function out(s: string): void {
  process.stdout.write(s + '\n');
}

function longLine(n: TreeNode): string {
  const owner = `${n.uname || n.uid}/${n.gname || n.gid}`;
  const when = formatMtime(n.mtime);
  const size = n.type === 'dir' ? String(n.subtreeSize ?? 0) : String(n.size);
  const link = n.type === 'symlink' ? ` -> ${n.link}` : n.type === 'hardlink' ? ` link to ${n.link}`
    : n.type === 'whiteout' || n.type === 'opaque' ? ` (hides ${n.link || '/'})` : '';
  return `${modeString(n.type, n.mode)} ${owner.padEnd(12)} ${size.padStart(12)} ${when}  L${n.layer} ${n.path}${link}`;
}

function verifyText(r: ImageReport): number {
  let bad = 0;
  for (const l of r.layers) {
    const line = `layer ${l.index} ${l.digest}: digest ${l.digestCheck}, diffID ${l.diffIDCheck}`;
    out(l.error ? `${line}; error: ${l.error.text}` : line);
    if (l.error || l.digestCheck === 'mismatch' || l.diffIDCheck === 'mismatch') bad++;
  }
  for (const p of r.problems) if (p.code === 'DIGEST_MISMATCH' || p.code === 'SIZE_MISMATCH' || p.code === 'MISSING_BLOB') {
    if (!r.layers.some((l) => l.error?.text === p.text)) { out(`problem: ${p.text}`); bad++; }
  }
  out(bad ? `FAILED: ${bad} problem(s)` : `OK: ${r.layers.length} layer(s) verified`);
  return bad ? 1 : 0;
}

function reportLayerErrors(r: AnalysisResult): number {
  const errs = r.report.layers.filter((l) => l.error);
  for (const l of errs) process.stderr.write(`layerlab: ${l.error!.text}\n`);
  return errs.length ? 1 : 0;
}

function progressLine(): (p: Progress) => void {
  let t0 = Date.now();
  return (p) => {
    const pct = p.total ? ((p.done / p.total) * 100).toFixed(0) : '?';
    const rate = p.done / Math.max(1, Date.now() - t0) / 1000;
    const what = p.phase === 'layers' ? `layer ${p.layer}` : p.message ?? p.phase;
    process.stderr.write(`\r\x1b[K${pct}% ${what} ${formatBytes(p.done)}/${formatBytes(p.total)} ${rate.toFixed(0)} MB/s`);
    if (p.phase === 'open' && p.done >= p.total) t0 = Date.now();
  };
}

function clearProgress(quiet: boolean): void {
  if (!quiet) process.stderr.write('\r\x1b[K');
}

// `layerlab ls … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); throw e; });

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
  if (e instanceof UsageError) {
    process.stderr.write(`layerlab: ${e.message}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const err = toLayerlabError(e);
  process.stderr.write(`layerlab: ${err.describe()}\n`);
  if (err.code === 'INTERNAL' && err.cause instanceof Error && process.env.LAYERLAB_DEBUG) process.stderr.write(String(err.cause.stack) + '\n');
  process.exitCode = 1;
});
