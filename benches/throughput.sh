#!/usr/bin/env bash
# The pipeline throughput bench: raw runtime, full pipeline, non-model stages and vipsthumbnail
# side by side, on a generated camera corpus, with the ratios docs/benchmarks.md tracks.
# Usage: benches/throughput.sh   (after scripts/setup.sh; about 5 minutes on 2 cores, plus a
# one-time release build and corpus generation). The report is also left in
# target/bench/results.md. Needs python3 with pip (for the model generator) and apt-get or an
# installed vipsthumbnail (Debian libvips-tools).
set -euo pipefail
cd "$(dirname "$0")/.."
work=target/bench
mkdir -p "$work"

if ! command -v vipsthumbnail >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends libvips-tools >/dev/null
fi

source benches/siglip_model.sh

cargo build --release -q -p photon-cli
# The HEIC set: the first 24 files of the 4000x3000 JPEG set re-encoded (pillow-heif, x265), once.
cargo bench -q -p benches --bench pipeline_throughput -- --corpus-only
heic=$work/corpus/heic-4000x3000
if [ "$(ls "$heic" 2>/dev/null | grep -c '\.heic$')" -lt 24 ]; then
  if ! python3 -c "import pillow_heif" 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check --target "$work/pydeps" pillow-heif
    export PYTHONPATH="$PWD/$work/pydeps${PYTHONPATH:+:$PYTHONPATH}"
  fi
  mkdir -p "$work/corpus/heic-src"
  for i in $(seq -w 0 23); do ln -f "$work/corpus/4000x3000/photo_$i.jpg" "$work/corpus/heic-src/" ; done
  python3 benches/make_heic_corpus.py "$work/corpus/heic-src" "$heic"
fi
cargo bench -q -p benches --bench pipeline_throughput | tee "$work/results.md"
