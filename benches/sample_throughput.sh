#!/usr/bin/env bash
# images/s of `photon process` on the sample photos, with and without thumbnails.
# Usage: benches/sample_throughput.sh [COPIES] [RUNS]   (run from the repository root)
# COPIES copies of testdata/photos (7 images each) amortise process start-up; each setting runs
# RUNS times, alternating, and the median images/s of the summary line is printed.
set -euo pipefail
copies=${1:-20}
runs=${2:-5}
cargo build --release -q -p photon-cli
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
for i in $(seq 1 "$copies"); do
  mkdir -p "$corpus/$i" && cp testdata/photos/* "$corpus/$i/"
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rate() { ./target/release/photon process "$corpus" -o "$corpus/out.jsonl" "$@" 2>&1 >/dev/null | sed -E 's/.*\(([0-9.]+) images\/s\).*/\1/'; }
with=(); without=()
for _ in $(seq 1 "$runs"); do
  with+=("$(rate)")
  without+=("$(rate --no-thumbnail)")
done
n=$((copies * 7))
w=$(printf '%s\n' "${with[@]}" | median)
wo=$(printf '%s\n' "${without[@]}" | median)
echo "$n images, $(nproc) cores: with thumbnails $w images/s, without $wo images/s (median of $runs)"
