#!/usr/bin/env bash
# Makes (once) a Python virtual environment with the packages listed in
# scripts/python/NAME.txt, under target/py/NAME, and prints its interpreter's path.
# Usage: scripts/py-env.sh NAME
#
# Tests that need heavy Python packages (DuckDB, LanceDB, Ray) call this, so only they pay for
# them, once per target directory; the environment is rebuilt when its list changes.
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1
requirements="scripts/python/$name.txt"
[ -f "$requirements" ] || { echo "py-env: no $requirements" >&2; exit 2; }
venv="${CARGO_TARGET_DIR:-target}/py/$name"
stamp="$venv/.requirements"
if ! cmp -s "$requirements" "$stamp" 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
  cp "$requirements" "$stamp"
fi
echo "$(cd "$venv" && pwd)/bin/python"
