#!/usr/bin/env python3
"""Import circles between the source files of each crate: files that reach each other through
their `use` lines (and inline `crate::`/`super::` paths), re-exports in `mod.rs` and `lib.rs`
included. Prints each circle and exits 1 if there is any; `--count` prints the number only. Circles are
looked for twice: between files, and between each crate's top-level modules (a directory
module standing for all its files), so that `a.rs` using `b/x.rs` while `b/y.rs` uses `a.rs`
counts too.

A file's imports are read up to its `#[cfg(test)]` module (a test module importing its own file
through `super::*` is no circle). `mod x;` declarations are not imports: a parent declaring its
children and a child using its parent's items are a circle only when the parent also imports
from the child (a `pub use`), which is what this finds.
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATH = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
USE = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", re.M)


def crates():
    """Every workspace crate with a library or binary root under src/."""
    for manifest in sorted(ROOT.glob("**/Cargo.toml")):
        if "target" in manifest.parts or "fuzz" in manifest.parts:
            continue
        src = manifest.parent / "src"
        for root in ("lib.rs", "main.rs"):
            if (src / root).is_file():
                yield manifest.parent.name, src, src / root
                break


def module_of(src, root, file):
    """The module path of `file` (a list of names; [] for the crate root)."""
    if file == root:
        return []
    parts = list(file.relative_to(src).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "mod" else parts


def file_of(src, root, module):
    """The file that holds `module`, or None for a module inline in its parent."""
    if not module:
        return root
    for candidate in (src.joinpath(*module).with_suffix(".rs"), src.joinpath(*module, "mod.rs")):
        if candidate.is_file():
            return candidate
    return None


def without_tests(text):
    cut = re.search(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text)
    return text[: cut.start()] if cut else text


def expand(tree):
    """`a::{b, c::{d}}` into paths `a::b`, `a::c::d`."""
    tree = re.sub(r"\s+", "", tree)
    if "{" not in tree:
        return [tree]
    head, rest = tree.split("{", 1)
    if "}" not in rest:
        return []  # not a use tree (the word `use` in a string or a macro)
    inner = rest[: rest.rindex("}")]
    parts, depth, current = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        current += ch
    parts.append(current)
    return [head + p for part in parts if part for p in expand(part)]


def imports(text):
    text = without_tests(text)
    text = re.sub(r"//[^\n]*", "", text)
    paths = []
    for use in USE.finditer(text):
        paths += [p.split(" as ")[0] for p in expand(use.group(1))]
    paths += [m.group(0) for m in PATH.finditer(text)]
    return paths


def resolve(src, root, here, path):
    """The file `path`, seen from module `here`, names (the deepest module that is a file)."""
    segments = path.split("::")
    start, rest = segments[0], [s for s in segments[1:] if s and s != "*"]
    if start == "crate":
        module = []
    elif start == "super":
        module = here[:-1]
        while rest and rest[0] == "super":
            module, rest = module[:-1], rest[1:]
    elif start == "self":
        module = list(here)
    else:
        return None
    target = file_of(src, root, module)
    for name in rest:
        found = file_of(src, root, module + [name])
        if found is None:
            break
        module, target = module + [name], found
    return target


def circles(level):
    """File circles (`level` "files") or circles between a crate's top-level modules."""
    found = []
    for crate, src, root in crates():
        files = [f for f in src.rglob("*.rs")]
        edges = {f: set() for f in files}
        for f in files:
            here = module_of(src, root, f)
            for path in imports(f.read_text()):
                target = resolve(src, root, here, path)
                if target is not None and target != f and target in edges:
                    edges[f].add(target)
        if level == "modules":
            edges = top_level(src, root, edges)
        for component in strongly_connected(edges):
            if len(component) > 1:
                found.append((crate, sorted(str(f.relative_to(ROOT)) for f in component)))
    return found


def top_level(src, root, edges):
    """The same edges between a crate's top-level modules (a file stands for its whole subtree)."""
    def group(f):
        module = module_of(src, root, f)
        return file_of(src, root, module[:1]) or f
    grouped = {group(f): set() for f in edges}
    for f, targets in edges.items():
        for t in targets:
            if group(t) != group(f) and group(f) != root and group(t) != root:
                grouped[group(f)].add(group(t))
    return grouped


def strongly_connected(edges):
    """Tarjan's algorithm, iterative."""
    index, low, on_stack, stack, result, counter = {}, {}, set(), [], [], [0]
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                result.append(component)
    return result


if __name__ == "__main__":
    found = circles("files")
    found += [c for c in circles("modules") if c not in found]
    if "--count" in sys.argv:
        print(len(found))
    else:
        for crate, members in found:
            print(f"{crate}: " + " <-> ".join(members))
        print(f"{len(found)} import circles")
    sys.exit(1 if found else 0)
