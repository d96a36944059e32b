#!/bin/bash
# make-sample.sh -- builds public/sample/sample.tar, the small real image "Open sample" shows.
# Real tools only: Debian's busybox-static, umoci (layers), skopeo (OCI archive). Needs root and
# `apt-get install umoci skopeo python3`. The committed sample.tar is the output of this script.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
apt-get download busybox-static >/dev/null 2>&1
dpkg-deb -x busybox-static_*.deb deb
L=$W/layout; B=$W/bundle; R=$B/rootfs
umoci init --layout "$L"
umoci new --image "$L:sample"
umoci config --image "$L:sample" --os linux --architecture amd64 \
  --config.entrypoint /bin/sh --config.cmd /app/hello.sh --config.workingdir /app \
  --config.env PATH=/bin:/usr/bin --config.env GREETING=hello --config.user 1000:1000 \
  --config.exposedports 8080/tcp --config.label org.opencontainers.image.title=layerlab-sample \
  --config.label org.opencontainers.image.description="A tiny busybox image with a few layers to explore" \
  --author "layerlab" --history.created_by "umoci config"
umoci unpack --image "$L:sample" "$B" >/dev/null

# Layer 0: busybox and a minimal /etc.
mkdir -p "$R"/{bin,etc,tmp,var/log,usr/share/doc}
cp deb/bin/busybox "$R/bin/busybox"
for a in sh ls cat echo env grep head tail wc vi; do ln -s busybox "$R/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/app:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\napp:x:1000:\n' >"$R/etc/group"
printf 'NAME="layerlab sample"\nVERSION_ID=1\n' >"$R/etc/os-release"
cp -r deb/usr/share/doc/busybox-static "$R/usr/share/doc/"
printf 'build log\n%.0s' $(seq 1 2000) >"$R/var/log/build.log"
chmod 1777 "$R/tmp"
umoci repack --refresh-bundle --image "$L:sample" --history.created_by "COPY busybox /bin/ (busybox-static 1.35)" "$B"

# Layer 1: the app; os-release changed; the build log deleted (a whiteout).
mkdir -p "$R/app/static"
printf '#!/bin/sh\necho "$GREETING from layerlab"\n' >"$R/app/hello.sh"; chmod 755 "$R/app/hello.sh"
printf '# Sample app\n\nThis image exists to be explored in layerlab.\n' >"$R/app/README.md"
python3 - "$R/app/static/logo.png" <<'PY'
import struct, sys, zlib
w = h = 64
rows = b''.join(b'\x00' + b''.join(bytes((x * 4, y * 4, 160)) for x in range(w)) for y in range(h))
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
open(sys.argv[1], 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(rows, 9)) + chunk(b'IEND', b''))
PY
head -c 300000 /dev/urandom >"$R/app/static/data.bin"
ln "$R/app/hello.sh" "$R/app/hello-link.sh"
printf 'NAME="layerlab sample"\nVERSION_ID=2\n' >"$R/etc/os-release"
rm "$R/var/log/build.log"
umoci repack --refresh-bundle --image "$L:sample" --history.created_by "COPY app/ /app/" "$B"

# Layer 2: a copy of data.bin under another name (duplicate content) and a rewritten README (waste).
cp "$R/app/static/data.bin" "$R/app/static/data-copy.bin"
printf '# Sample app\n\nThis image exists to be explored in layerlab.\nIt has three layers.\n' >"$R/app/README.md"
umoci repack --refresh-bundle --image "$L:sample" --history.created_by "RUN cp data.bin data-copy.bin && edit README" "$B"
umoci config --image "$L:sample" --config.cmd /app/hello.sh --history.created_by 'CMD ["/app/hello.sh"]'

skopeo copy -q "oci:$L:sample" "oci-archive:$W/sample.tar:sample"
cp "$W/sample.tar" "$HERE/sample.tar"
echo "wrote $HERE/sample.tar ($(stat -c %s "$HERE/sample.tar") bytes)"
