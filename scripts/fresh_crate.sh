#!/usr/bin/env bash
# What `cargo add photon-core` costs an app: a crate outside the workspace that depends on
# photon-core alone (by path, with the workspace's Cargo.lock so versions match) builds the
# README's library example cold and runs it from the repository root. Prints the crates in its
# tree, the crates compiled, the cold debug build time and the binary's size.
#
# Usage: scripts/fresh_crate.sh [REPO] [WORK]   (REPO: a checkout, default this one)
# PHOTON_CORE=DIR depends on photon-core in DIR instead (its packaged files, unpacked).
set -euo pipefail
repo=$(cd "${1:-$(dirname "$0")/..}" && pwd)
work=${2:-$(mktemp -d)}
core=${PHOTON_CORE:-$repo/photon-core}
mkdir -p "$work/src"

cat > "$work/Cargo.toml" <<EOF
[package]
name = "fresh-photon-app"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
photon-core = { path = "$core" }
futures-util = "0.3"
tokio = { version = "1", features = ["rt-multi-thread", "macros"] }

[workspace]
EOF
cp "$repo/Cargo.lock" "$work/Cargo.lock"

# The README's first Rust block, its hidden lines shown, run from the repository root.
python3 - "$repo/README.md" "$work/src/main.rs" "$repo" <<'EOF'
import json, re, sys
readme, out, repo = sys.argv[1:]
text = open(readme).read()
block = re.search(r"```rust\n(.*?)```", text, re.S).group(1)
lines = [re.sub(r"^#( |$)", "", line) for line in block.splitlines()]
code = "\n".join(lines) + "\n"
code = re.sub(r"std::env::set_current_dir\([^;]*\)", f"std::env::set_current_dir({json.dumps(repo)}).unwrap()", code)
open(out, "w").write(code)
EOF

cd "$work"
tree=$(cargo tree -e normal --prefix none | sed 's/ (\*)//' | sort -u | wc -l)
start=$(date +%s.%N)
compiled=$(CARGO_TARGET_DIR="$work/target" cargo build 2>&1 | tee "$work/build.log" | grep -c '^ *Compiling ' || true)
end=$(date +%s.%N)
./target/debug/fresh-photon-app > "$work/printed.txt"
size=$(stat -c %s target/debug/fresh-photon-app)
printf 'crates in its tree: %s\ncrates compiled: %s\ncold debug build: %.1f s\nbinary: %.1f MB\nprinted: %s lines\n' \
  "$tree" "$compiled" "$(echo "$end - $start" | bc)" "$(echo "$size / 1000000" | bc -l)" "$(wc -l < "$work/printed.txt")"
