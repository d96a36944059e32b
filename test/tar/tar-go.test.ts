/**
 * Go's archive/tar (what Docker, containerd and most image tools use) as a third judge:
 * it reads our writer's output, and our parser reads what Go's writer makes. The checker is
 * ./go-reader/main.go, built here with the system Go (Debian package golang-go).
 *
 * test/install-deps.sh installs Go, so a missing `go` is a failure; LAYERLAB_SKIP_GO=1 turns the
 * cross-check off by choice (a machine without Debian's packages), with a warning.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { encodeEntryHeader } from '../../src/core/tar/tar-writer.ts';
import { HERE, hex, parseBytes, run, sha256, tempDir } from './support.ts';
import { writeTar, writerSamples } from './writer-samples.ts';

const hasGo = spawnSync('go', ['version'], { encoding: 'utf8' }).status === 0;
const requireGo = process.env.LAYERLAB_SKIP_GO !== '1';
if (!hasGo) {
  console.warn('tar-go.test.ts: `go` is not on PATH, the Go archive/tar cross-check does not run (apt-get install golang-go).');
}

interface GoMember {
  name: string;
  typeflag: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtimeNs: string;
  linkname: string;
  devmajor: number;
  devminor: number;
  xattrs: Record<string, string>;
  pax: Record<string, string>;
  format: string;
  sha256: string;
}

it.runIf(!hasGo && requireGo)('Go is required but `go` is not on PATH: run test/install-deps.sh (golang-go), or set LAYERLAB_SKIP_GO=1', () => {
  expect.fail('`go` not found on PATH');
});

describe.skipIf(!hasGo)('Go archive/tar', () => {
  const tmp = tempDir('go');
  const bin = join(tmp.path, 'go-reader');
  const goRead = (file: string): GoMember[] => run(bin, ['read', file]).trim().split('\n').map((l) => JSON.parse(l));

  beforeAll(() => {
    run('go', ['build', '-o', bin, 'main.go'], {
      cwd: join(HERE, 'go-reader'),
      env: { ...process.env, GOCACHE: join(tmp.path, 'cache'), GOPATH: join(tmp.path, 'gopath'), GOFLAGS: '', GO111MODULE: 'off', CGO_ENABLED: '0' },
    });
  }, 120_000);
  afterAll(() => tmp.remove());

  const nsOf = (t: number) => (BigInt(Math.floor(t)) * 1000000000n + BigInt(Math.round((t % 1 + 1) % 1 * 1e9))).toString();
  /** An entry's time in ns, from its PAX record's text when it has one (a float64 keeps only ~7 fractional digits). */
  const nsOfEntry = (e: { mtime: number; pax: Map<string, Uint8Array> }) => {
    const raw = e.pax.get('mtime');
    if (!raw) return nsOf(e.mtime);
    const [, sign, secs, frac = ''] = /^(-?)(\d+)(?:\.(\d*))?$/.exec(new TextDecoder().decode(raw))!;
    const ns = BigInt(secs) * 1000000000n + BigInt(frac.slice(0, 9).padEnd(9, '0'));
    return (sign ? -ns : ns).toString();
  };

  it('reads everything our writer wrote, as written', async () => {
    const samples = writerSamples();
    const path = join(tmp.path, 'ours.tar');
    writeFileSync(path, await writeTar(samples));
    const go = goRead(path);
    expect(go).toHaveLength(samples.length);
    const flag = { file: '0', dir: '5', symlink: '2', hardlink: '1', char: '3', block: '4', fifo: '6' } as Record<string, string>;
    go.forEach((g, i) => {
      const { entry: e, body } = samples[i];
      const enc = new TextEncoder();
      expect({
        name: g.name, typeflag: g.typeflag, size: g.size, mode: g.mode, uid: g.uid, gid: g.gid, uname: g.uname, gname: g.gname,
        mtimeNs: g.mtimeNs, linkname: g.linkname, devmajor: g.devmajor, devminor: g.devminor, xattrs: g.xattrs, sha256: g.sha256,
      }, e.name).toEqual({
        name: hex(e.nameBytes ?? enc.encode(e.name)), typeflag: flag[e.type], size: body?.length ?? 0, mode: e.mode, uid: e.uid, gid: e.gid,
        uname: hex(enc.encode(e.uname!)), gname: hex(enc.encode(e.gname!)), mtimeNs: nsOf(e.mtime!), linkname: hex(enc.encode(e.linkname ?? '')),
        devmajor: e.devmajor ?? 0, devminor: e.devminor ?? 0, xattrs: Object.fromEntries([...(e.xattrs ?? [])].map(([k, v]) => [k, hex(v)])),
        sha256: sha256(body ?? new Uint8Array(0)),
      });
    });
  });

  it("our parser reads Go's archives (PAX and GNU formats) as Go does", () => {
    const path = join(tmp.path, 'go.tar');
    run(bin, ['write', path]);
    const bytes = new Uint8Array(readFileSync(path));
    const go = goRead(path);
    const parsed = parseBytes(bytes, [511, 513]);
    expect(go.map((g) => g.format)).toEqual(expect.arrayContaining(['USTAR', 'PAX', 'GNU']));
    expect(parsed.entries).toHaveLength(go.length);
    parsed.entries.forEach((e, i) => {
      const g = go[i];
      expect({
        name: hex(e.nameBytes), typeflag: e.typeflag, size: e.size, mode: e.mode, uid: e.uid, gid: e.gid, uname: hex(new TextEncoder().encode(e.uname)),
        gname: hex(new TextEncoder().encode(e.gname)), mtimeNs: nsOfEntry(e), linkname: hex(e.linknameBytes), devmajor: e.devmajor, devminor: e.devminor,
        xattrs: Object.fromEntries([...e.xattrs].map(([k, v]) => [k, hex(v)])), pax: Object.fromEntries([...e.pax].map(([k, v]) => [k, hex(v)])),
        sha256: sha256(parsed.bodies[i]),
      }, e.name).toEqual({
        name: g.name, typeflag: g.typeflag, size: g.size, mode: g.mode, uid: g.uid, gid: g.gid, uname: g.uname, gname: g.gname, mtimeNs: g.mtimeNs,
        linkname: g.linkname, devmajor: g.devmajor, devminor: g.devminor, xattrs: g.xattrs, pax: g.pax, sha256: g.sha256,
      });
    });
  });

  it("re-encoding Go's PAX headers keeps their nanosecond times (as Go's writer does for a PAX-format header)", () => {
    const path = join(tmp.path, 'go.tar');
    const bytes = new Uint8Array(readFileSync(path));
    const go = goRead(path);
    const parsed = parseBytes(bytes);
    const again = join(tmp.path, 'go-again.tar');
    const parts: Uint8Array[] = [];
    parsed.entries.forEach((e, i) => {
      parts.push(encodeEntryHeader(e).bytes, parsed.bodies[i], new Uint8Array((512 - (parsed.bodies[i].length % 512)) % 512));
    });
    parts.push(new Uint8Array(1024));
    writeFileSync(again, Buffer.concat(parts));
    const back = goRead(again);
    expect(back.map((g) => [g.name, g.mtimeNs])).toEqual(go.map((g) => [g.name, g.mtimeNs]));
    // The cases a float64 cannot hold, so the check above cannot pass by rounding.
    const times = Object.fromEntries(back.map((g) => [new TextDecoder().decode(Buffer.from(g.name, 'hex')), g.mtimeNs]));
    expect([times['go/nanos'], times['go/nanos-old'], times['go/one-nano']]).toEqual(['1700000000123456789', '-2012345679', '1700000000000000001']);
  });

  it("re-encoding Go's plain ustar headers gives Go's bytes", () => {
    const path = join(tmp.path, 'go.tar');
    const bytes = new Uint8Array(readFileSync(path));
    const go = goRead(path);
    const parsed = parseBytes(bytes);
    let compared = 0;
    parsed.entries.forEach((e, i) => {
      if (go[i].format !== 'USTAR') return;
      const ours = encodeEntryHeader(e).bytes;
      expect(hex(ours), e.name).toBe(hex(bytes.subarray(e.headerOffset, e.dataOffset)));
      compared++;
    });
    expect(compared).toBeGreaterThanOrEqual(5);
  });
});
