#!/bin/bash
# Builds the real-image corpus (debootstrap + umoci + skopeo, ../shared/tools/corpus) into
# .cache/corpus unless a build from the same tool scripts is already there. About 60-90 s.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TOOLS=$(cd "$ROOT/../shared/tools/corpus" && pwd)
OUT=$ROOT/.cache/corpus
stamp=$(cat "$TOOLS"/*.py "$TOOLS"/*.sh | sha256sum | cut -c1-16)
if [ -f "$OUT/corpus.tsv" ] && [ "$(cat "$OUT/.stamp" 2>/dev/null)" = "$stamp" ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "ensure-corpus: building the corpus needs root (debootstrap, umoci); run: sudo $0" >&2
  exit 1
fi
mkdir -p "$ROOT/.cache"
echo "ensure-corpus: building the image corpus into $OUT (about 90 s)" >&2
bash "$TOOLS/make-corpus.sh" "$OUT" >"$ROOT/.cache/corpus-build.log" 2>&1 || { tail -30 "$ROOT/.cache/corpus-build.log" >&2; exit 1; }
echo "$stamp" >"$OUT/.stamp"
