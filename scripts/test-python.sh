#!/usr/bin/env bash
# Builds the `photon` Python package once, into a virtual environment under target/py/photon,
# and runs its pytest suite (photon-py/tests).
# Usage: scripts/test-python.sh [PYTEST_ARGS...]
#
# The extension is built by maturin in cargo's dev profile in the workspace's target directory,
# so it reuses what `cargo test --workspace` compiled (dependencies are optimised even there);
# `pip install ./photon-py` builds the same package in release for real use.
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(scripts/py-env.sh photon)
venv=$(dirname "$(dirname "$python")")
VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" \
  maturin develop --quiet --profile dev --manifest-path photon-py/Cargo.toml >&2
"$python" -m pytest photon-py/tests -q "$@"
