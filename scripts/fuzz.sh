#!/usr/bin/env bash
# Runs Photon's cargo-fuzz targets for a set time each and reports executions and findings.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 60 s; decode resume_reader)
# FUZZ_SEED=N fixes libFuzzer's seed, so a short run (CI's smoke run) makes the same mutations
# wherever it runs and its result can be reproduced; unset, each run explores anew.
#
# Works on stable Rust: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its nightly-only flags, and no
# sanitizer is used (the code under test is safe Rust; libjpeg-turbo is not instrumented either
# way). Seeds come from testdata/; the growing corpus stays in fuzz/corpus/. A crash leaves its
# input in fuzz/artifacts/<target>/: fix it, then copy the input into testdata/fuzz/<target>/,
# where photon-decode's fuzzing tests replay it on every `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decode resume_reader)
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz@0.13.2
export RUSTC_BOOTSTRAP=1
seeds_decode=(testdata/photos testdata/exif testdata/orientation testdata/heif testdata/jxl testdata/variants testdata/raw testdata/hostile testdata/fuzz/decode)
seeds_resume_reader=(testdata/fuzz/resume_reader)
status=0
seed_flag=()
[ -n "${FUZZ_SEED:-}" ] && seed_flag=(-seed="$FUZZ_SEED")
for target in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$target"
  seeds_var="seeds_${target}[@]"
  seeds=("${!seeds_var}")
  log="fuzz/$target.log"
  # A unit running past 10 s is a hang: it becomes a finding rather than eating the time.
  target_status=0
  (cd fuzz && cargo fuzz run -s none -O "$target" "corpus/$target" "${seeds[@]/#/../}" -- \
     -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=300000 \
     -print_final_stats=1 "${seed_flag[@]}") >"$log" 2>&1 || target_status=$?
  [ "$target_status" -eq 0 ] || status=$target_status
  execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
  echo "$target: ${execs:-?} executions in ${seconds} s, exit $target_status (log: $log)"
  ls "fuzz/artifacts/$target" 2>/dev/null | sed 's/^/  finding: /' || true
done
exit $status
