#!/bin/bash
# Installs the Debian packages the tests use, only those missing:
#   chromium          browser tests (Playwright drives Debian's build; nothing is downloaded)
#   debootstrap umoci skopeo zstd python3   the image corpus (../shared/tools/corpus)
#   tar gzip golang-go  cross-checks of the tar reader and writer (GNU tar, Go's archive/tar)
#   erofs-utils       fsck.erofs / dump.erofs cross-check of the RAFS v6 decoder
#   golang-github-containerd-stargz-snapshotter-dev   the Go eStargz reference (../shared/tools/estargz-ref),
#                     built on demand into .cache/estargz-ref by test/estargz/estargz-ref.ts
#   golang-github-containers-storage-dev golang-github-vbatts-tar-split-dev   the Go zstd:chunked reference
#                     (../shared/tools/zstdchunked-ref), built on demand into .cache/zstdchunked-ref by
#                     test/zstd-chunked/zstdchunked-ref.ts
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have chromium || need+=(chromium)
have debootstrap || [ -x /usr/sbin/debootstrap ] || need+=(debootstrap)
have umoci || need+=(umoci)
have skopeo || need+=(skopeo)
have zstd || need+=(zstd)
have python3 || need+=(python3)
have gzip || need+=(gzip)
have go || need+=(golang-go)
have fsck.erofs || need+=(erofs-utils)
[ -d /usr/share/gocode/src/github.com/containerd/stargz-snapshotter/estargz ] || need+=(golang-github-containerd-stargz-snapshotter-dev)
[ -d /usr/share/gocode/src/github.com/containers/storage/pkg/chunked/compressor ] || need+=(golang-github-containers-storage-dev)
[ -d /usr/share/gocode/src/github.com/vbatts/tar-split/tar/storage ] || need+=(golang-github-vbatts-tar-split-dev)
if [ ${#need[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${need[*]}" >&2
  as_root=()
  [ "$(id -u)" = 0 ] || as_root=(sudo)
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
