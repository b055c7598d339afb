#!/usr/bin/env bash
# Interleaved A/B of two `photon` binaries on the throughput bench's corpus (run
# benches/throughput.sh once first): three rounds, each running A then B on
# EfficientNet-Lite0 over 480 files of 1024x768, the non-model stages over 48 of 4000x3000, and
# the SigLIP-shaped model over 96 of 4000x3000. Prints the summary line's images/s of each run.
# Usage: benches/ab_cli.sh BEFORE_BIN AFTER_BIN   (e.g. a build of the previous commit, and
# target/release/photon)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: $0 BEFORE_BIN AFTER_BIN" >&2; exit 2; }
work=target/bench
for needed in "$work/corpus-x10-small" "$work/corpus-x2" "$work/siglip-base-shaped"; do
  [ -e "$needed" ] || { echo "$needed missing: run benches/throughput.sh first" >&2; exit 2; }
done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
rate() { "$@" -o "$out" 2>&1 >/dev/null | grep -o '([0-9.]* images/s' | tr -d '(' | cut -d' ' -f1; }
for round in 1 2 3; do
  for bin in "$1" "$2"; do
    e=$(rate "$bin" process "$work/corpus-x10-small" --sessions 2 --threads 1)
    n=$(rate "$bin" process "$work/corpus" --no-embedding)
    s=$(rate "$bin" process "$work/corpus-x2" --model "$work/siglip-base-shaped" --sessions 2 --threads 1)
    echo "round $round $bin: efficientnet 1024x768 $e, non-model 4000x3000 $n, siglip 4000x3000 $s images/s"
  done
done
