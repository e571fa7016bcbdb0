"""The shape of the code: no import cycle in ``pipeline/``, no module over 700 lines, no function over 80.

The import graph is read from the source with :mod:`ast` (every ``import``,
at module level or inside a function, since a lazy import that closes a loop
is still a loop), so the test needs nothing to be importable.
"""
from __future__ import annotations

import ast
from pathlib import Path


from pipeline.paths import PROJ_ROOT

PKG = PROJ_ROOT / "pipeline"
MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 80

# No exceptions: every module and function of the package keeps to the limits.
ALLOWED_LONG_MODULES: set[str] = set()
ALLOWED_LONG_FUNCTIONS: set[str] = set()


def module_name(path: Path) -> str:
    rel = path.relative_to(PROJ_ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules(root: Path = PKG) -> dict[str, Path]:
    return {module_name(p): p for p in sorted(root.rglob("*.py"))}


def _resolve(node: ast.ImportFrom, here: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = here.split(".") if is_package else here.split(".")[:-1]
    base = base[:len(base) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The pipeline modules ``name`` imports (``from pipeline.x import y`` counts ``pipeline.x.y`` when
    that is a module, else ``pipeline.x``)."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node, name, path.name == "__init__.py")
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # "pipeline.x.attr" -> "pipeline.x"
                target = target.rpartition(".")[0]
            if target and target != name and target != "pipeline":
                found.add(target)
    return found


def import_graph(root: Path = PKG) -> dict[str, set[str]]:
    mods = modules(root)
    known = set(mods)
    return {name: imports_of(name, path, known) for name, path in mods.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def long_functions(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(n.name, n.end_lineno - n.lineno + 1) for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and n.end_lineno - n.lineno + 1 > MAX_FUNCTION_LINES]


def test_the_cycle_finder_finds_a_cycle_and_only_a_cycle(tmp_path):
    pkg = tmp_path / "pipeline"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pipeline import b\n")
    (pkg / "b.py").write_text("def f():\n    from pipeline.sub.c import thing\n")
    (pkg / "sub" / "c.py").write_text("from .. import d\nthing = 1\n")
    (pkg / "d.py").write_text("import os\n")
    root = tmp_path
    graph = {module_name_in(p, root): imports_of(module_name_in(p, root), p, set(_mods(pkg, root)))
             for p in pkg.rglob("*.py")}
    assert graph["pipeline.a"] == {"pipeline.b"}
    assert graph["pipeline.b"] == {"pipeline.sub.c"}   # a lazy import counts
    assert graph["pipeline.sub.c"] == {"pipeline.d"}   # a relative one too
    assert find_cycle(graph) is None
    (pkg / "d.py").write_text("from pipeline.a import x\n")
    graph["pipeline.d"] = imports_of("pipeline.d", pkg / "d.py", set(_mods(pkg, root)))
    assert find_cycle(graph) == ["pipeline.a", "pipeline.b", "pipeline.sub.c", "pipeline.d", "pipeline.a"]


def module_name_in(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _mods(pkg: Path, root: Path) -> list[str]:
    return [module_name_in(p, root) for p in pkg.rglob("*.py")]


def test_pipeline_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_report_and_annual_modules_are_gone():
    assert not (PKG / "report.py").exists() and not (PKG / "annual.py").exists()


def test_no_module_over_the_limit():
    over = {p.relative_to(PROJ_ROOT).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
            for p in modules().values()}
    over = {k: n for k, n in over.items() if n > MAX_MODULE_LINES}
    assert set(over) - ALLOWED_LONG_MODULES == set(), over


def test_no_function_over_the_limit():
    found = {f"{p.relative_to(PROJ_ROOT).as_posix()}:{name}": n
             for p in modules().values() for name, n in long_functions(p)}
    assert set(found) - ALLOWED_LONG_FUNCTIONS == set(), found


def test_the_allow_lists_hold_no_module_of_the_papers_package():
    allowed = ALLOWED_LONG_MODULES | {f.split(":")[0] for f in ALLOWED_LONG_FUNCTIONS}
    assert not [a for a in allowed if a.startswith("pipeline/papers/")]
