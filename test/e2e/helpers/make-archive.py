#!/usr/bin/env python3
"""Builds small docker-archive inputs for the e2e tests with nothing but the standard library.

  make-archive.py small   OUT   3 layers: files, a symlink, an overwrite, a whiteout, a duplicate
  make-archive.py corrupt OUT   the same with gzip layers, layer 1 cut off half way through its stream
  make-archive.py many    OUT   one layer with 50 000 entries (for the virtualised tree)
  make-archive.py wrap    OUT BLOB [ANNOTATIONS_JSON]   an OCI archive whose one layer is BLOB (gzip)
  make-archive.py wrap-zstd OUT BLOB ANNOTATIONS_JSON DIFF_ID   the same for a zstd layer (its diffID given)
  make-archive.py big     OUT   an OCI archive with two gzip layers of real files from /usr, ~200 MB unpacked

The layout is `docker save`'s: manifest.json, <config>.json, <id>/layer.tar.
"""
import gzip
import hashlib
import io
import json
import random
import sys
import tarfile

MTIME = 1_700_000_000


def tar_bytes(members):
    """members: list of (name, kind, data_or_target, mode)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT) as t:
        for name, kind, payload, mode in members:
            info = tarfile.TarInfo(name)
            info.mtime = MTIME
            info.mode = mode
            info.uid = info.gid = 0
            info.uname = info.gname = 'root'
            if kind == 'dir':
                info.type = tarfile.DIRTYPE
                t.addfile(info)
            elif kind == 'symlink':
                info.type = tarfile.SYMTYPE
                info.linkname = payload
                t.addfile(info)
            else:
                info.size = len(payload)
                t.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


def docker_archive(out, layers, compress=False, damage=None):
    """layers: list of (created_by, members). damage(index, blob) may return altered bytes."""
    raw = [tar_bytes(m) for _, m in layers]
    diff_ids = ['sha256:' + hashlib.sha256(r).hexdigest() for r in raw]
    blobs = [gzip.compress(r, compresslevel=6, mtime=0) if compress else r for r in raw]
    if damage:
        blobs = [damage(i, b) for i, b in enumerate(blobs)]
    config = {
        'architecture': 'amd64', 'os': 'linux', 'created': '2024-01-01T00:00:00Z',
        'config': {
            'Entrypoint': ['/bin/tool'], 'Cmd': ['--serve'], 'Env': ['PATH=/usr/bin:/bin', 'MODE=e2e'],
            'User': '1000', 'WorkingDir': '/app', 'ExposedPorts': {'8080/tcp': {}},
            'Labels': {'org.opencontainers.image.title': 'layerlab-e2e'},
        },
        'rootfs': {'type': 'layers', 'diff_ids': diff_ids},
        'history': [{'created': '2024-01-01T00:00:00Z', 'created_by': by} for by, _ in layers]
        + [{'created': '2024-01-01T00:00:00Z', 'created_by': 'CMD ["--serve"]', 'empty_layer': True}],
    }
    cfg = json.dumps(config).encode()
    cfg_name = hashlib.sha256(cfg).hexdigest() + '.json'
    paths = [f'{hashlib.sha256(d.encode()).hexdigest()}/layer.tar' for d in diff_ids]
    manifest = json.dumps([{'Config': cfg_name, 'RepoTags': ['layerlab-e2e:latest'], 'Layers': paths}]).encode()
    with tarfile.open(out, 'w', format=tarfile.PAX_FORMAT) as t:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = MTIME
            t.addfile(info, io.BytesIO(data))
        add(cfg_name, cfg)
        for p, b in zip(paths, blobs):
            add(p, b)
        add('manifest.json', manifest)


def small_layers():
    rnd = random.Random(7)
    data = bytes(rnd.getrandbits(8) for _ in range(200_000))
    text = ''.join(f'line {i}: the quick brown fox jumps over the lazy dog\n' for i in range(4000)).encode()
    return [
        ('ADD rootfs /', [
            ('bin', 'dir', None, 0o755),
            ('bin/tool', 'file', b'#!/bin/sh\necho "hello from the e2e image"\n', 0o755),
            ('bin/sh', 'symlink', 'tool', 0o777),
            ('etc', 'dir', None, 0o755),
            ('etc/os-release', 'file', b'NAME="e2e"\nVERSION_ID=1\n', 0o644),
            ('usr', 'dir', None, 0o755),
            ('usr/share', 'dir', None, 0o755),
            ('usr/share/doc', 'dir', None, 0o755),
            ('usr/share/doc/readme.txt', 'file', b'read me\n' * 100, 0o644),
        ]),
        ('COPY app /app', [
            ('app', 'dir', None, 0o755),
            ('app/main.py', 'file', b'print("hello")\n', 0o644),
            ('app/notes.txt', 'file', text, 0o644),
            ('etc', 'dir', None, 0o755),
            ('etc/os-release', 'file', b'NAME="e2e"\nVERSION_ID=2\n', 0o644),
            ('usr', 'dir', None, 0o755),
            ('usr/share', 'dir', None, 0o755),
            ('usr/share/doc', 'dir', None, 0o755),
            ('usr/share/doc/.wh.readme.txt', 'file', b'', 0o644),
        ]),
        ('RUN make data', [
            ('app', 'dir', None, 0o755),
            ('app/data.bin', 'file', data, 0o644),
            ('app/data-copy.bin', 'file', data, 0o644),
        ]),
    ]


def many_layers(count=50_000):
    members = [('srv', 'dir', None, 0o755)]
    d = 0
    while len(members) < count:
        base = f'srv/group-{d // 50:03d}'
        if d % 50 == 0:
            members.append((base, 'dir', None, 0o755))
        folder = f'{base}/dir-{d:04d}'
        members.append((folder, 'dir', None, 0o755))
        for f in range(24):
            if len(members) >= count:
                break
            size = (d * 24 + f) % 5000
            members.append((f'{folder}/file-{f:02d}.txt', 'file', b'x' * size, 0o644))
        d += 1
    return [('ADD many files /srv', members[:count])]


def oci_archive(out, blobs, annotations=None, media_type='application/vnd.oci.image.layer.v1.tar+gzip', diff_ids=None):
    """An OCI archive (oci-layout, index.json, blobs/sha256/...) with one gzip layer per blob (or
    `media_type` layers whose `diff_ids` are given)."""
    annotations = annotations or [None] * len(blobs)
    given = diff_ids
    diff_ids = list(given or [])
    for b in ([] if given else blobs):
        h = hashlib.sha256()
        with gzip.GzipFile(fileobj=io.BytesIO(b)) as g:
            while True:
                c = g.read(1 << 20)
                if not c:
                    break
                h.update(c)
        diff_ids.append('sha256:' + h.hexdigest())
    config = json.dumps({
        'architecture': 'amd64', 'os': 'linux', 'created': '2024-01-01T00:00:00Z',
        'config': {'Cmd': ['/bin/sh']},
        'rootfs': {'type': 'layers', 'diff_ids': diff_ids},
        'history': [{'created': '2024-01-01T00:00:00Z', 'created_by': f'layer {i}'} for i in range(len(blobs))],
    }).encode()
    sha = lambda d: 'sha256:' + hashlib.sha256(d).hexdigest()
    layers = []
    for b, a in zip(blobs, annotations):
        d = {'mediaType': media_type, 'digest': sha(b), 'size': len(b)}
        if a:
            d['annotations'] = a
        layers.append(d)
    manifest = json.dumps({
        'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
        'config': {'mediaType': 'application/vnd.oci.image.config.v1+json', 'digest': sha(config), 'size': len(config)},
        'layers': layers,
    }).encode()
    index = json.dumps({'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.index.v1+json', 'manifests': [
        {'mediaType': 'application/vnd.oci.image.manifest.v1+json', 'digest': sha(manifest), 'size': len(manifest),
         'platform': {'architecture': 'amd64', 'os': 'linux'}}]}).encode()
    with tarfile.open(out, 'w', format=tarfile.PAX_FORMAT) as t:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = MTIME
            t.addfile(info, io.BytesIO(data))
        add('oci-layout', b'{"imageLayoutVersion":"1.0.0"}')
        seen = set()
        for d in [config, manifest, *blobs]:
            if sha(d) in seen:
                continue
            seen.add(sha(d))
            add('blobs/sha256/' + sha(d)[7:], d)
        add('index.json', index)


def usr_layer(budget, skip=0):
    """A gzip (level 1) tar of regular files under /usr, `budget` bytes of file data after skipping `skip`."""
    import os
    buf = io.BytesIO()
    seen = 0
    with gzip.GzipFile(fileobj=buf, mode='wb', compresslevel=1, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode='w', format=tarfile.PAX_FORMAT) as t:
            for root, dirs, files in os.walk('/usr'):
                dirs.sort()
                for f in sorted(files):
                    p = os.path.join(root, f)
                    if not os.path.isfile(p) or os.path.islink(p):
                        continue
                    try:
                        size = os.path.getsize(p)
                        if size > 20_000_000:
                            continue
                        seen += size
                        if seen <= skip:
                            continue
                        with open(p, 'rb') as fh:
                            info = tarfile.TarInfo(p.lstrip('/'))
                            info.size = size
                            info.mtime = MTIME
                            info.mode = 0o644
                            t.addfile(info, fh)
                    except OSError:
                        continue
                    if seen - skip >= budget:
                        break
                if seen - skip >= budget:
                    break
    return buf.getvalue()


def main():
    what, out = sys.argv[1], sys.argv[2]
    if what == 'small':
        docker_archive(out, small_layers())
    elif what == 'corrupt':
        # Layer 1 ends half way through its gzip stream: it cannot be read to the end.
        docker_archive(out, small_layers(), compress=True,
                       damage=lambda i, b: b[: len(b) // 2] if i == 1 else b)
    elif what == 'many':
        docker_archive(out, many_layers())
    elif what == 'wrap':
        blob = open(sys.argv[3], 'rb').read()
        ann = json.loads(sys.argv[4]) if len(sys.argv) > 4 else None
        oci_archive(out, [blob], [ann])
    elif what == 'wrap-zstd':
        blob = open(sys.argv[3], 'rb').read()
        oci_archive(out, [blob], [json.loads(sys.argv[4])], 'application/vnd.oci.image.layer.v1.tar+zstd', [sys.argv[5]])
    elif what == 'big':
        oci_archive(out, [usr_layer(100_000_000), usr_layer(100_000_000, skip=100_000_000)])
    else:
        sys.exit(f'unknown kind {what}')


if __name__ == '__main__':
    main()
