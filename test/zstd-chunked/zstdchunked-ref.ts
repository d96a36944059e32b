/**
 * The Go zstd:chunked reference (../shared/tools/zstdchunked-ref: our CLI over the Debian-packaged
 * containers/storage 1.43.0 compressor), built on demand (test/helpers/go-reference.ts).
 */
import { goReference, type GoReferenceRun } from '../helpers/go-reference.ts';

const ref = goReference('zstdchunked-ref', {
  what: 'the zstd:chunked reference',
  packages: ['golang-github-containers-storage-dev', 'golang-github-containerd-stargz-snapshotter-dev', 'golang-github-vbatts-tar-split-dev'],
  libs: ['github.com/containers/storage/pkg/chunked/compressor', 'github.com/containerd/stargz-snapshotter/estargz', 'github.com/vbatts/tar-split/tar/storage'],
});

/** Path of the built reference binary; builds it when missing or older than main.go. */
export const zstdchunkedRef = (): string => ref.bin();

export type ZstdchunkedRefRun = GoReferenceRun;

/** Runs the reference with `args`; never throws on a non-zero exit (verify exits 1 on errors). */
export const runZstdchunkedRef = (args: string[]): ZstdchunkedRefRun => ref.run(args);
