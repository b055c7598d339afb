#!/usr/bin/env bash
# Issue 24's speed figures: the face stage's cost per 12 MP image beside the CLIP stage's, and
# the pipeline with faces against the shared-core limit of the three models.
# Usage: benches/faces.sh   (after scripts/setup.sh; a one-time release build, corpus, SigLIP-
# shaped model and face graphs, then about 5 minutes on 2 cores). The report is also left in
# target/bench/faces-results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
work=target/bench
mkdir -p "$work"
source benches/siglip_model.sh
cargo build --release -q -p photon-cli
cargo bench -q -p benches --bench pipeline_throughput -- --corpus-only
if [ ! -f "$work/faces-full/w600k_r50.onnx" ]; then
  # Scores calibrated on the photos the corpus is made from: about 4 faces a photo.
  "$(scripts/py-env.sh faces)" scripts/make_face_models.py --full "$work/faces-full" \
    testdata/photos/* --faces 4
fi
SECTIONS=faces cargo bench -q -p benches --bench pipeline_throughput | tee "$work/faces-results.md"
