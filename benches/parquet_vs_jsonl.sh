#!/usr/bin/env bash
# Parquet output against JSON Lines, interleaved on the throughput bench's corpus (run
# benches/throughput.sh once first): five rounds, each running `photon process` over the 480
# files of 1024x768 with EfficientNet-Lite0 (embeddings of 1280 floats, tags, 256 px thumbnails)
# into out.jsonl and then out.parquet, and once with the SigLIP-shaped model (768 floats).
# Prints each run's images/s and peak memory, the median ratio Parquet / JSONL, and the size
# ratio of the two outputs. Usage: benches/parquet_vs_jsonl.sh [PHOTON_BIN]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/photon}
work=target/bench
corpus=$work/corpus-x10-small
[ -d "$corpus" ] || { echo "$corpus missing: run benches/throughput.sh first" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run() { # FORMAT [ARGS...] -> "images/s peak_MiB"
  local format=$1; shift
  "$bin" process "$corpus" --sessions 2 --threads 1 "$@" -o "$out/out.$format" 2>&1 >/dev/null |
    sed -nE 's/.*\(([0-9.]+) images\/s\), peak memory ([0-9.]+) MiB.*/\1 \2/p'
}
jsonl_rates=() parquet_rates=()
for round in 1 2 3 4 5; do
  read -r j jm <<<"$(run jsonl)"
  read -r p pm <<<"$(run parquet)"
  echo "round $round: jsonl $j images/s ($jm MiB), parquet $p images/s ($pm MiB)"
  jsonl_rates+=("$j") parquet_rates+=("$p")
done
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
jm=$(median "${jsonl_rates[@]}") pm=$(median "${parquet_rates[@]}")
echo "median: jsonl $jm, parquet $pm images/s; parquet / jsonl = $(python3 -c "print(round($pm / $jm, 3))")"
size() { stat -c %s "$1"; }
echo "EfficientNet-Lite0 (1280 floats): jsonl $(size "$out/out.jsonl") B, parquet $(size "$out/out.parquet") B," \
  "parquet / jsonl = $(python3 -c "print(round($(size "$out/out.parquet") / $(size "$out/out.jsonl"), 3))")"
run jsonl --model "$work/siglip-base-shaped" >/dev/null
run parquet --model "$work/siglip-base-shaped" >/dev/null
echo "SigLIP-shaped (768 floats): jsonl $(size "$out/out.jsonl") B, parquet $(size "$out/out.parquet") B," \
  "parquet / jsonl = $(python3 -c "print(round($(size "$out/out.parquet") / $(size "$out/out.jsonl"), 3))")"
