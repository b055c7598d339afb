#!/usr/bin/env bash
# The GPU bench, for a machine with an NVIDIA GPU (and, as issue 15 sizes it, 16 cores):
#   1. raw CUDA images/s of the SigLIP-base-shaped vision tower at batch 1, 8, 32 and 64
#      (ONNX Runtime's CUDA provider alone, on prepared tensors);
#   2. the CPU-stage limit: the pipeline with every stage but the model, all cores;
#   3. the pipeline with the model on the GPU, all cores decoding, on the 12 MP (4000x3000) and
#      the 1024x768 corpus;
# and prints pipeline / min(raw GPU, CPU-stage limit) per corpus, the ratio docs/benchmarks.md
# records (goal: >= 0.9). The report is also left in target/bench/gpu-results.md.
# Usage: benches/gpu.sh   (after scripts/setup.sh; installs the GPU runtime with
# `photon models fetch --gpu`, ~3 GB, and generates the model and corpus once)
set -euo pipefail
cd "$(dirname "$0")/.."
work=target/bench
mkdir -p "$work"
export PHOTON_MODELS="$PWD/models"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

source benches/siglip_model.sh

cargo build --release -q -p photon-cli
photon=target/release/photon
$photon models fetch --gpu
cargo bench -q -p benches --bench pipeline_throughput -- --corpus-only
cargo build --release -q -p benches --bench model_throughput

report=$work/gpu-results.md
{
  echo "# GPU bench, $(date -u +%Y-%m-%d), $(nproc) cores"
  nvidia-smi --query-gpu=name --format=csv,noheader | sed 's/^/GPU: /'
  echo
  echo '```'
  MODEL="$PWD/$model" DEVICE=cuda BATCHES=1,8,32,64 ITERS=50 \
    cargo bench -q -p benches --bench model_throughput
  echo '```'
} | tee "$report"
raw_gpu=$(awk '$1 == "ort" { if ($3 > best) best = $3 } END { print best }' "$report")

# Images per second from photon's summary line ("... in 1.20 s (43.7 images/s) ...").
rate() {
  rm -f "$work/gpu-out.jsonl"
  "$@" -o "$work/gpu-out.jsonl" 2>&1 >/dev/null | sed -n 's/.*(\([0-9.]*\) images\/s).*/\1/p' | tail -1
}
# Hard-linked copies of the 48-photo corpora, so each run lasts seconds on a fast GPU:
# 960 files of 12 MP, 4800 of 1024x768.
farm() {
  local from=$1 to=$2 copies=$3
  [ "$(ls "$to" 2>/dev/null | wc -l)" -ge $((48 * copies)) ] && return
  mkdir -p "$to"
  for c in $(seq 1 "$copies"); do
    for f in "$from"/*.jpg; do ln -f "$f" "$to/c${c}_$(basename "$f")"; done
  done
}
farm "$work/corpus/4000x3000" "$work/gpu-4000x3000" 20
farm "$work/corpus/1024x768" "$work/gpu-1024x768" 100
cores=$(nproc)
for corpus in 4000x3000 1024x768; do
  dir=$work/gpu-$corpus
  # Warm the page cache, then measure each twice and keep the better.
  $photon process "$dir" --no-embedding --quiet -o "$work/gpu-out.jsonl" || true
  cpu=0; gpu=0
  for _ in 1 2; do
    c=$(rate $photon process "$dir" --no-embedding --parallel "$cores")
    g=$(rate $photon process "$dir" --model "$model" --device cuda --parallel "$cores")
    cpu=$(python3 -c "print(max($cpu, $c))")
    gpu=$(python3 -c "print(max($gpu, $g))")
  done
  python3 - "$corpus" "$raw_gpu" "$cpu" "$gpu" <<'EOF' | tee -a "$report"
import sys
corpus, raw, cpu, pipeline = sys.argv[1], *map(float, sys.argv[2:])
limit = min(raw, cpu)
print(f"{corpus}: pipeline {pipeline:.1f} img/s; raw GPU {raw:.1f}, CPU stages {cpu:.1f}; "
      f"pipeline / min(raw GPU, CPU stages) = {pipeline / limit:.2f}")
EOF
done
rm -f "$work/gpu-out.jsonl"
