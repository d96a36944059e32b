/**
 * The Go reference converter (../shared/tools/estargz-ref: our CLI over the Debian-packaged
 * stargz-snapshotter 0.12.0 library), built on demand (test/helpers/go-reference.ts).
 */
import { goReference, type GoReferenceRun } from '../helpers/go-reference.ts';

const ref = goReference('estargz-ref', {
  what: 'the eStargz reference',
  packages: ['golang-github-containerd-stargz-snapshotter-dev'],
  libs: ['github.com/containerd/stargz-snapshotter/estargz'],
});

/** Path of the built reference binary; builds it when missing or older than main.go. */
export const estargzRef = (): string => ref.bin();

export type RefRun = GoReferenceRun;

export const runRef = (args: string[]): RefRun => ref.run(args);

/** `key: value` lines of the tool's output. */
export function refFields(out: Buffer | string): Record<string, string> {
  const m: Record<string, string> = {};
  for (const line of out.toString().split('\n')) {
    const i = line.indexOf(': ');
    if (i > 0) m[line.slice(0, i)] = line.slice(i + 2);
  }
  return m;
}
