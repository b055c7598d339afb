#!/usr/bin/env python3
"""Non-test Rust functions of LIMIT lines or more (default 60), from the `fn` line to its
closing brace: every `.rs` file of the workspace outside `tests/` folders, `target/` and the
`#[cfg(test)]` modules. Prints each one and exits 1 if there is any.
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT = int(sys.argv[1]) if len(sys.argv) > 1 else 60
FN = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+(\w+)")


def code_of(line):
    """The line without its comment and string contents, for counting braces."""
    line = re.sub(r'"(?:\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(?:\\.|[^'\\])'", "' '", line)
    return line.split("//", 1)[0]


def test_module_lines(lines):
    """Indices of the lines inside `#[cfg(test)]` modules."""
    inside, depth, skipped = False, 0, set()
    for i, line in enumerate(lines):
        if not inside and line.strip() == "#[cfg(test)]" and i + 1 < len(lines) and \
                re.match(r"\s*(pub\s+)?mod\s+\w+\s*\{", lines[i + 1]):
            inside, depth = True, 0
        if inside:
            skipped.add(i)
            code = code_of(line)
            depth += code.count("{") - code.count("}")
            if depth <= 0 and "}" in code:
                inside = False
    return skipped


def long_functions(path):
    lines = path.read_text().splitlines()
    skipped = test_module_lines(lines)
    found = []
    for i, line in enumerate(lines):
        match = FN.match(line)
        if i in skipped or not match or line.strip().startswith("//"):
            continue
        depth, opened = 0, False
        for j in range(i, len(lines)):
            code = code_of(lines[j])
            if not opened and ";" in code and "{" not in code:
                break  # a declaration without a body
            depth += code.count("{") - code.count("}")
            opened = opened or "{" in code
            if opened and depth <= 0:
                length = j - i + 1
                if length >= LIMIT:
                    found.append((path.relative_to(ROOT), i + 1, match.group(1), length))
                break
    return found


def main():
    found = []
    for path in sorted(ROOT.rglob("*.rs")):
        parts = path.relative_to(ROOT).parts
        if "target" in parts or "tests" in parts or parts[0].startswith("."):
            continue
        found += long_functions(path)
    for path, line, name, length in found:
        print(f"{path}:{line}: fn {name} is {length} lines")
    print(f"{len(found)} non-test functions of {LIMIT} lines or more")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
