#!/usr/bin/env python3
"""Prints a layer tar's entries as sorted JSON lines, in the form a round trip must keep:
path (no ./, no trailing /), type, permission bits, uid, gid, symlink target, device numbers,
xattrs (PAX SCHILY.xattr.*, hex values) and content sha256. A hard link is printed as the file it
names (type file, that file's sha256): a Nydus round trip may pick a different first name of a
link group, and the tar's root entry "./" is not a member of the file system (nydus drops it).
Python's tarfile reads the tar; the input may be gzip, zstd (via the zstd CLI) or plain."""
import hashlib, json, subprocess, sys, tarfile, io

def open_tar(path):
    head = open(path, 'rb').read(4)
    if head[:4] == b'\x28\xb5\x2f\xfd':
        data = subprocess.run(['zstd', '-dc', path], check=True, stdout=subprocess.PIPE).stdout
        return tarfile.open(fileobj=io.BytesIO(data), mode='r:')
    return tarfile.open(path, mode='r:*')

def main(path):
    t = open_tar(path)
    members = t.getmembers()
    content = {}
    rows = {}
    for m in members:
        name = m.name
        while name.startswith('./'):
            name = name[2:]
        name = name.rstrip('/')
        if name in ('', '.'):
            continue
        kind = 'file' if m.isreg() else 'dir' if m.isdir() else 'symlink' if m.issym() else 'hardlink' if m.islnk() else \
            'char' if m.ischr() else 'block' if m.isblk() else 'fifo' if m.isfifo() else 'other'
        sha = None
        if m.isreg():
            sha = hashlib.sha256(t.extractfile(m).read()).hexdigest()
            content[name] = sha
        xattrs = {k[len('SCHILY.xattr.'):]: v.encode('utf-8', 'surrogateescape').hex() for k, v in sorted(m.pax_headers.items()) if k.startswith('SCHILY.xattr.')}
        rows[name] = dict(path=name, type=kind, mode=oct(m.mode & 0o7777), uid=m.uid, gid=m.gid,
                          link=m.linkname if m.issym() else m.linkname.lstrip('./').lstrip('/') if m.islnk() else '',
                          dev=f'{m.devmajor},{m.devminor}' if m.ischr() or m.isblk() else '', xattrs=xattrs, sha256=sha)
    for r in rows.values():
        if r['type'] == 'hardlink':
            r['type'] = 'file'
            r['sha256'] = content.get(r['link'])
            r['link'] = ''
    for name in sorted(rows):
        print(json.dumps(rows[name], sort_keys=True))

main(sys.argv[1])
