#!/usr/bin/env bash
# What the crate layout promises, checked rather than claimed (CI runs it):
#  - no import circles and no non-test function of 60 lines or more;
#  - photon-core: at most 100 crates in its normal tree, none of tokenizers, prost, rayon, and
#    it builds with no C compiler at all (CC and CXX point at `false`);
#  - each library builds with no features and with each of its features on its own;
#  - every publishable crate packages, and photon-core builds from its packaged files alone;
#  - a crate outside the workspace that depends on photon-core alone runs the README's example.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 scripts/import_cycles.py
python3 scripts/long_functions.py

core_tree=$(cargo tree -p photon-core -e normal --prefix none | sed 's/ (\*)//' | sort -u)
count=$(wc -l <<< "$core_tree")
echo "photon-core: $count crates in its normal tree"
[ "$count" -le 100 ] || { echo "photon-core pulls in $count crates (at most 100)" >&2; exit 1; }
if grep -E '^(tokenizers|prost|rayon) ' <<< "$core_tree"; then
  echo "photon-core pulls in the crates above, which belong elsewhere" >&2
  exit 1
fi

check() { echo "cargo check $*"; cargo check --quiet "$@"; }
check -p photon-core --no-default-features
for feature in "" turbojpeg heif jxl libtiff raw; do
  check -p photon-decode --no-default-features ${feature:+--features $feature}
done
for feature in "" index; do
  check -p photon-index --no-default-features ${feature:+--features $feature}
done
for feature in "" ort tract; do
  check -p photon-models --no-default-features ${feature:+--features $feature}
done

# Every library crate packages (manifest, file list, path dependencies with versions).
cargo package --quiet --allow-dirty --no-verify --workspace \
  --exclude photon-cli --exclude photon-py --exclude photon-parity --exclude photon-testkit \
  --exclude examples --exclude benches
echo "crates packaged"

# photon-core's three promises about a cold build (builds from its packaged files alone, with no C
# compiler, and runs the README's example in an app of its own) share one build: each took a cold
# build of photon-core's tree of its own, minutes of CI's hour.
work=$(mktemp -d)
version=$(cargo pkgid -p photon-core | sed 's/.*[#@]//')
tar -xzf "target/package/photon-core-$version.crate" -C "$work"
CC=false CXX=false PHOTON_CORE="$work/photon-core-$version" scripts/fresh_crate.sh . "$work/app"
[ "$(wc -l < "$work/app/printed.txt")" -eq 7 ] || { echo "the README's example printed otherwise" >&2; exit 1; }
echo "photon-core built from its packaged files with no C compiler; the README's example ran"
rm -rf "$work"
