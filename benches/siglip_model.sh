#!/usr/bin/env bash
# Sourced by the bench scripts: makes target/bench/siglip-base-shaped, the SigLIP-base-shaped
# vision tower (random weights) the benches run, once; numpy and onnx are installed into
# target/bench/pydeps when python3 lacks them. Sets $model to its folder.
model=target/bench/siglip-base-shaped
if [ ! -f "$model/onnx/vision_model.onnx" ]; then
  if ! python3 -c "import numpy, onnx" 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check --target target/bench/pydeps numpy onnx
    export PYTHONPATH="$PWD/target/bench/pydeps${PYTHONPATH:+:$PYTHONPATH}"
  fi
  python3 scripts/make_tiny_vit.py --base "$model"
fi
