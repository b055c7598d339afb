#!/usr/bin/env bash
# images/s of `photon process` on the sample photos, in several settings, side by side.
# Usage: benches/sample_throughput.sh [COPIES] [RUNS]   (from the repository root, after
# scripts/setup.sh). COPIES copies of testdata/photos (7 images each) amortise start-up; the
# settings run RUNS times in turn (interleaved, so machine noise hits them alike) and the
# median images/s of each summary line is printed.
set -euo pipefail
copies=${1:-20}
runs=${2:-5}
cargo build --release -q -p photon-cli
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
for i in $(seq 1 "$copies"); do
  mkdir -p "$corpus/$i" && cp testdata/photos/* "$corpus/$i/"
done
settings=(
  "no model, thumbnails|--no-embedding"
  "no model, no thumbnails|--no-embedding --no-thumbnail"
  "EfficientNet-Lite0 on ort, all stages|--backend ort"
  "EfficientNet-Lite0 on tract, all stages|--backend tract"
)
declare -A rates
for _ in $(seq 1 "$runs"); do
  for s in "${settings[@]}"; do
    name=${s%%|*}
    # shellcheck disable=SC2086 # the flags are meant to split
    rate=$(./target/release/photon process "$corpus" -o "$corpus/out.jsonl" ${s#*|} 2>&1 >/dev/null \
      | sed -nE 's/.*\(([0-9.]+) images\/s\).*/\1/p')
    rates[$name]="${rates[$name]:-} $rate"
  done
done
echo "$((copies * 7)) images, $(nproc) cores, median of $runs runs:"
for s in "${settings[@]}"; do
  name=${s%%|*}
  median=$(printf '%s\n' ${rates[$name]} | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '  %-40s %8s images/s\n' "$name" "$median"
done
