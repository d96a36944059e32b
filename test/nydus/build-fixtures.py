"""Test inputs for the Nydus builder tests, made with Python's tarfile (independent of layerlab's
tar code), and the expected trees in the columns of `nydus-oracle tree-boot` / `tree`.

  build-fixtures.py tar SPEC.json OUT.tar      # SPEC: list of entries (see make_tar)
  build-fixtures.py expect OUT.tsv TAR...      # merged tree of the layers (OCI whiteouts; base
                                               # layer's .wh.* kept, nydus quirk), tree-boot columns
  build-fixtures.py entries TAR                # JSON list of entries (round-trip comparison)
"""
import hashlib, json, sys, tarfile, io

def make_tar(spec, out):
    with tarfile.open(out, 'w', format=tarfile.PAX_FORMAT) as t:
        for e in spec:
            ti = tarfile.TarInfo(e['name'])
            ti.mtime = e.get('mtime', 1700000000)
            ti.uid = e.get('uid', 0); ti.gid = e.get('gid', 0)
            ti.uname = ti.gname = ''
            ti.mode = e.get('mode', 0o755 if e['type'] == 'dir' else 0o644)
            ti.pax_headers = {'SCHILY.xattr.' + k: v for k, v in e.get('xattrs', {}).items()}
            data = None
            ty = e['type']
            if ty == 'dir': ti.type = tarfile.DIRTYPE
            elif ty == 'file':
                if 'repeat' in e:
                    data = bytes.fromhex(e['repeat']) * e['count']
                elif 'random' in e:
                    import random
                    r = random.Random(e['random'])
                    data = bytes(r.getrandbits(8) for _ in range(e['size']))
                else:
                    data = e.get('data', '').encode()
                ti.size = len(data)
            elif ty == 'symlink': ti.type = tarfile.SYMTYPE; ti.linkname = e['target']; ti.mode = e.get('mode', 0o777)
            elif ty == 'hardlink': ti.type = tarfile.LNKTYPE; ti.linkname = e['target']
            elif ty == 'char': ti.type = tarfile.CHRTYPE; ti.devmajor, ti.devminor = e['dev']
            elif ty == 'block': ti.type = tarfile.BLKTYPE; ti.devmajor, ti.devminor = e['dev']
            elif ty == 'fifo': ti.type = tarfile.FIFOTYPE
            t.addfile(ti, io.BytesIO(data) if data is not None else None)

def read_layer(path):
    """path -> node dict, in tar order, hardlinks resolved to their target's content."""
    out = []
    with tarfile.open(path) as t:
        for m in t.getmembers():
            name = '/' + m.name.strip('/').removeprefix('./') if m.name.strip('/') not in ('', '.') else '/'
            n = {'path': name, 'mode': m.mode, 'uid': m.uid, 'gid': m.gid, 'mtime': int(m.mtime),
                 'xattrs': {k[len('SCHILY.xattr.'):]: v for k, v in m.pax_headers.items() if k.startswith('SCHILY.xattr.')}}
            if m.isdir(): n['type'] = 'dir'
            elif m.islnk():
                n['type'] = 'reg'; n['link'] = '/' + m.linkname.strip('/')
            elif m.isreg(): n['type'] = 'reg'; n['data'] = t.extractfile(m).read()
            elif m.issym(): n['type'] = 'symlink'; n['target'] = m.linkname
            elif m.ischr(): n['type'] = 'chr'; n['dev'] = (m.devmajor, m.devminor)
            elif m.isblk(): n['type'] = 'blk'; n['dev'] = (m.devmajor, m.devminor)
            elif m.isfifo(): n['type'] = 'fifo'
            out.append(n)
    return out

TYPE_BITS = {'dir': 0o040000, 'reg': 0o100000, 'symlink': 0o120000, 'chr': 0o020000, 'blk': 0o060000, 'fifo': 0o010000}

def apply_layers(paths):
    tree = {'/': {'path': '/', 'type': 'dir', 'mode': 0o755, 'uid': 0, 'gid': 0, 'mtime': 0, 'xattrs': {}}}
    def ensure_parents(fs, p):
        parts = p.strip('/').split('/')[:-1]
        cur = ''
        for part in parts:
            cur += '/' + part
            if cur not in fs or fs[cur]['type'] != 'dir':
                for k in [k for k in fs if k.startswith(cur + '/')]: del fs[k]
                fs[cur] = {'path': cur, 'type': 'dir', 'mode': 0o755, 'uid': 0, 'gid': 0, 'mtime': 0, 'xattrs': {}}
    for li, path in enumerate(paths):
        layer = read_layer(path)
        fs = {'/': {'path': '/', 'type': 'dir', 'mode': 0o755, 'uid': 0, 'gid': 0, 'mtime': 0, 'xattrs': {}}}
        for n in layer:
            if n['path'] != '/': ensure_parents(fs, n['path'])
            if 'link' in n:
                tgt = fs[n['link']]
                n = dict(tgt, path=n['path'])
            old = fs.get(n['path'])
            if old and old['type'] == 'dir' and n['type'] == 'dir':
                old.update({k: v for k, v in n.items() if k != 'path'})
            else:
                if old and old['type'] == 'dir':
                    for k in [k for k in fs if k.startswith(n['path'] + '/')]: del fs[k]
                fs[n['path']] = n
        if li == 0:
            tree = fs
            continue
        # overlay with OCI whiteouts on what the lower layers made
        def base(p): return p.rsplit('/', 1)[1]
        def parent(p): return p.rsplit('/', 1)[0] or '/'
        for p in sorted(fs):
            if p == '/': continue
            b = base(p)
            if b == '.wh..wh..opq':
                d = parent(p)
                for k in [k for k in tree if k.startswith(d.rstrip('/') + '/') and k != d]: del tree[k]
            elif b.startswith('.wh.'):
                victim = parent(p).rstrip('/') + '/' + b[4:]
                for k in [k for k in tree if k == victim or k.startswith(victim + '/')]: del tree[k]
        for p in sorted(fs):
            n = fs[p]
            if base(p).startswith('.wh.') if p != '/' else False: continue
            old = tree.get(p)
            if old and old['type'] == 'dir' and n['type'] == 'dir':
                tree[p] = dict(n)
            else:
                for k in [k for k in tree if k.startswith(p.rstrip('/') + '/') and p != '/']: del tree[k]
                tree[p] = n
    return tree

def row(n):
    ty = n['type']
    mode = TYPE_BITS[ty] | (n['mode'] & 0o7777)
    size = len(n['data']) if ty == 'reg' else len(n['target'].encode()) if ty == 'symlink' else '-'
    sha = hashlib.sha256(n['data']).hexdigest() if ty == 'reg' else '-'
    target = n['target'] if ty == 'symlink' else '%d:%d' % n['dev'] if ty in ('chr', 'blk') else '-'
    x = ','.join(f"{k}={v.encode('utf-8', 'surrogateescape').hex() if isinstance(v, str) else v.hex()}" for k, v in sorted(n['xattrs'].items())) or '-'
    return [n['path'], ty, '%o' % mode, str(size), sha, target, str(n['uid']), str(n['gid']), str(n['mtime']), x]

if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'tar':
        make_tar(json.load(open(sys.argv[2])), sys.argv[3])
    elif cmd == 'expect':
        tree = apply_layers(sys.argv[3:])
        with open(sys.argv[2], 'w') as f:
            for p in sorted(tree, key=lambda s: s.encode()):
                f.write('\t'.join(row(tree[p])) + '\n')
    elif cmd == 'entries':
        ents = []
        for n in read_layer(sys.argv[2]):
            n = dict(n)
            if 'data' in n: n['sha256'] = hashlib.sha256(n.pop('data')).hexdigest()
            n['xattrs'] = {k: (v.encode('utf-8', 'surrogateescape') if isinstance(v, str) else v).hex() for k, v in n['xattrs'].items()}
            if 'dev' in n: n['dev'] = list(n['dev'])
            ents.append(n)
        ents.sort(key=lambda n: n['path'])
        json.dump(ents, sys.stdout)
