#!/usr/bin/env python3
"""File-level import circles in the plugin: every `crate::...` and `super::...` path
outside comments and `#[cfg(test)] mod tests` is an edge from the file's module to
the longest module prefix it names; circles are the strongly connected components
of more than one module. Prints them and exits 1 when there is any.

The top-level check (no circle between `check`, `status`, `explain`, `cluster`,
`term`, `cli`, `error`, ...) is a test: `cargo test -p kubectl-flink --test
module_graph`. This script looks one level finer, inside the commands.
"""
import collections
import os
import re
import sys

src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
files = {}
for root, _, names in os.walk(src):
    for name in names:
        if not name.endswith(".rs"):
            continue
        path = os.path.relpath(os.path.join(root, name), src)
        module = path[:-3]
        if module.endswith("/mod"):
            module = module[:-4]
        if module.endswith("/tests") or module == "main":
            continue
        with open(os.path.join(root, name)) as f:
            files[module.replace("/", "::")] = f.read()


def resolve(current, path):
    parts = path.split("::")
    if parts[0] == "crate":
        base, parts = [], parts[1:]
    else:
        base = current.split("::")[:-1]
        parts = parts[1:]
        while parts and parts[0] == "super":
            base, parts = base[:-1], parts[1:]
    for i in range(len(parts), 0, -1):
        candidate = "::".join(base + parts[:i])
        if candidate in files:
            return candidate
    return "::".join(base) or None


edges = collections.defaultdict(set)
for module, text in files.items():
    code = "\n".join(line.split("//")[0] for line in text.split("\n"))
    cut = code.find("#[cfg(test)]\nmod tests")
    if cut >= 0:
        code = code[:cut]
    for match in re.finditer(r"\b((?:crate|super)(?:::\w+)+)", code):
        target = resolve(module, match.group(1))
        if target and target != module and not module.startswith(target + "::"):
            edges[module].add(target)

index, low, stack, on_stack, circles = {}, {}, [], set(), []
sys.setrecursionlimit(10_000)


def visit(v):
    index[v] = low[v] = len(index)
    stack.append(v)
    on_stack.add(v)
    for w in edges.get(v, ()):
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on_stack:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        component = []
        while True:
            w = stack.pop()
            on_stack.discard(w)
            component.append(w)
            if w == v:
                break
        if len(component) > 1:
            circles.append(sorted(component))


for module in sorted(files):
    if module not in index:
        visit(module)
print(f"{len(files)} modules, {sum(len(e) for e in edges.values())} import edges")
for circle in circles:
    inner = [f"{a} -> {b}" for a in circle for b in sorted(edges[a]) if b in circle]
    print("circle:", ", ".join(inner))
sys.exit(1 if circles else 0)
