#!/usr/bin/env python3
"""Python's tarfile as the independent truth for layerlab's tar tests.

  tarview.py view FILE         every member as JSON, as tarfile reads it
  tarview.py views FILE...     {FILE: members} for several archives in one run
  tarview.py first FILE        the first member only, read in stream mode ('r|'), so archives
                               whose data is missing (hostile sizes) still show their header
  tarview.py make DIR          archives written by tarfile (PAX, GNU, USTAR formats) into DIR
  tarview.py xattrs PATH...    user.* xattrs of extracted files, hex

Names and other text come back as hex of the raw bytes (tarfile decodes with surrogateescape,
which keeps non-UTF-8 bytes recoverable).
"""
import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import urllib.parse


def raw(s):
    return s.encode('utf-8', 'surrogateescape')


def member_json(tf, m, with_data=True):
    pax = {k: raw(v).hex() for k, v in m.pax_headers.items()}
    xattrs = {}
    for k, v in m.pax_headers.items():
        if k.startswith('SCHILY.xattr.'):
            xattrs[k[len('SCHILY.xattr.'):]] = raw(v).hex()
        elif k.startswith('LIBARCHIVE.xattr.'):
            b = raw(v)
            xattrs[urllib.parse.unquote(k[len('LIBARCHIVE.xattr.'):])] = base64.b64decode(b + b'=' * (-len(b) % 4)).hex()
    sparse = m.sparse is not None or m.type == tarfile.GNUTYPE_SPARSE
    digest = None
    if with_data and m.isreg() and not sparse:
        digest = hashlib.sha256(tf.extractfile(m).read()).hexdigest()
    return {
        'name': raw(m.name).hex(),
        'type': m.type.decode('latin-1'),
        'isdir': m.isdir(),
        'size': m.size,
        'mode': m.mode,
        'uid': m.uid,
        'gid': m.gid,
        'uname': raw(m.uname).hex(),
        'gname': raw(m.gname).hex(),
        'mtime': m.mtime,
        'linkname': raw(m.linkname).hex(),
        'devmajor': m.devmajor,
        'devminor': m.devminor,
        'offset': m.offset,
        'offset_data': m.offset_data,
        'sparse': sparse,
        'pax': pax,
        'xattrs': xattrs,
        'sha256': digest,
    }


def view(path):
    with tarfile.open(path, 'r:', encoding='utf-8', errors='surrogateescape') as tf:
        return [member_json(tf, m) for m in tf.getmembers()]


def first(path):
    with open(path, 'rb') as f:
        tf = tarfile.open(fileobj=f, mode='r|', encoding='utf-8', errors='surrogateescape')
        m = tf.next()
        return member_json(tf, m, with_data=False)


def make(outdir):
    """The same members in each tarfile format; what a format cannot hold is left out."""
    def members():
        def info(name, type=tarfile.REGTYPE, data=b'', **kw):
            ti = tarfile.TarInfo(name)
            ti.type = type
            ti.size = len(data)
            ti.mode = kw.pop('mode', 0o755 if type == tarfile.DIRTYPE else 0o644)
            ti.mtime = kw.pop('mtime', 1700000000)
            ti.uid, ti.gid, ti.uname, ti.gname = 1000, 1000, 'user', 'group'
            for k, v in kw.items():
                setattr(ti, k, v)
            return ti, data
        yield info('d/', tarfile.DIRTYPE)
        yield info('d/empty')
        yield info('d/one', data=b'1')
        yield info('d/f512', data=bytes(range(256)) * 2)
        yield info('d/f513', data=bytes(range(256)) * 2 + b'!')
        yield info('d/' + 'a' * 100 + '/' + 'b' * 50 + '.txt', data=b'split into prefix and name\n')
        yield info('d/' + 'x' * 200 + '/' + 'y' * 150, data=b'300-byte name\n')
        yield info('d/link', tarfile.SYMTYPE, linkname='target')
        yield info('d/longlink', tarfile.SYMTYPE, linkname='../' + 'z' * 150)
        yield info('d/hard', tarfile.LNKTYPE, linkname='d/f513')
        yield info('d/null', tarfile.CHRTYPE, devmajor=1, devminor=3)
        yield info('d/sda', tarfile.BLKTYPE, devmajor=8, devminor=0, mode=0o660)
        yield info('d/fifo', tarfile.FIFOTYPE)
        yield info('d/raw-\udcff\udcfe.bin', data=b'non-UTF-8 name')
        yield info('d/caf\u00e9-\u6587\u4ef6.txt', data=b'UTF-8 name')
        yield info('d/bigid', data=b'uid', uid=3000000, gid=4000000)
        yield info('d/old', data=b'before 1970', mtime=-1000)
        yield info('d/frac', data=b'fraction', mtime=1700000000.5)
        yield info('d/names', uname='u' * 40, gname='gr\u00fcppe')
        yield info('d/xattr', data=b'x', pax_headers={
            'SCHILY.xattr.user.plain': 'value',
            'SCHILY.xattr.security.capability': '\x01\x00\udcff\udc80',
            'LIBARCHIVE.xattr.user.b%3Dx': base64.b64encode(b'\x00\xffbin').decode().rstrip('='),
        })
        yield info('d/setuid', data=b'#!/bin/sh\n', mode=0o4755)
    for fmt, tag in ((tarfile.PAX_FORMAT, 'pax'), (tarfile.GNU_FORMAT, 'gnu'), (tarfile.USTAR_FORMAT, 'ustar')):
        path = os.path.join(outdir, 'python-%s.tar' % tag)
        kw = {'pax_headers': {'comment': 'global record', 'SCHILY.xattr.user.global': 'g'}} if tag == 'pax' else {}
        with tarfile.open(path, 'w', format=fmt, encoding='utf-8', errors='surrogateescape', **kw) as tf:
            for ti, data in members():
                try:
                    tf.addfile(ti, io.BytesIO(data) if data else None)
                except ValueError:
                    pass  # e.g. a 300-byte name in USTAR: not representable
        print(path)


def xattrs(paths):
    out = {}
    for p in paths:
        b = os.fsencode(p)
        out[p] = {n: os.getxattr(b, n, follow_symlinks=False).hex() for n in os.listxattr(b, follow_symlinks=False) if n.startswith('user.')}
    return out


if __name__ == '__main__':
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'view':
        json.dump(view(args[0]), sys.stdout)
    elif cmd == 'views':
        json.dump({a: view(a) for a in args}, sys.stdout)
    elif cmd == 'first':
        json.dump(first(args[0]), sys.stdout)
    elif cmd == 'make':
        make(args[0])
    elif cmd == 'xattrs':
        json.dump(xattrs(args), sys.stdout)
    else:
        sys.exit('unknown command ' + cmd)
