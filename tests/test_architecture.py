"""The shape of the house: one package per problem with the same rooms, a core that knows no
problem, imports that run one way, and no module too long to read.

The import graph is read from the source (``ast``), not by importing, so a forbidden import
anywhere in a file counts, even inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from derivations.registry import PROBLEMS

ROOT = Path(__file__).resolve().parent.parent
DERIVATIONS = ROOT / "derivations"
PACKAGES = sorted({p.module.split(".")[1] for p in PROBLEMS})  # the problem packages, from the registry
CORE = sorted(p.stem for p in DERIVATIONS.glob("*.py") if p.stem != "__init__")  # the shared core
ROOMS = ("__init__", "derivation", "checks")  # every problem package has these; method, experiment where needed
MAX_LINES = 600


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every project module the file imports (absolute or relative, at any depth of the file)."""
    name = _module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)
    modules = {_module_name(p) for p in _project_files()}
    # "from derivations import tex" names the module derivations.tex; keep only real modules
    return {m for m in found if m in modules and m != name}


def _project_files():
    for top in ("derivations", "figures", "pipeline"):
        yield from sorted((ROOT / top).rglob("*.py"))
    yield ROOT / "build.py"


def _graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in _project_files()}


def _problem_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "derivations" and len(parts) > 1 and parts[1] in PACKAGES else None


def test_every_problem_is_a_package_with_the_same_rooms():
    for name in PACKAGES:
        package = DERIVATIONS / name
        assert package.is_dir(), f"derivations/{name} must be a package"
        for room in ROOMS:
            assert (package / f"{room}.py").is_file(), f"derivations/{name}/{room}.py is missing"
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
        assert doc and len(doc) > 200, f"derivations/{name}/__init__.py must state the question in its docstring"


def test_the_core_is_flat_and_knows_no_problem():
    graph = _graph()
    for name in CORE:
        module = f"derivations.{name}"
        assert name not in PACKAGES
        wrong = sorted(m for m in graph[module] if _problem_of(m) or m.split(".")[0] in ("figures", "build"))
        assert not wrong, f"the core module {module} imports {wrong}"


def test_derivations_know_nothing_of_drawing_or_of_the_build():
    for module, imports in _graph().items():
        if module.startswith("derivations"):
            wrong = sorted(m for m in imports if m.split(".")[0] in ("figures", "pipeline", "build"))
            assert not wrong, f"{module} imports {wrong}"


def test_a_problem_uses_another_only_through_its_public_face_and_only_an_earlier_one():
    """Problem 3 studies Problem 2's RNN and Problem 4 reuses its loss: a later problem may import an
    earlier problem's package (its __init__, the public API), never its rooms, never a later one."""
    order = {p.module.split(".")[1]: i for i, p in enumerate(PROBLEMS)}
    for module, imports in _graph().items():
        mine = _problem_of(module)
        if mine is None:
            continue
        for m in imports:
            other = _problem_of(m)
            if other is None or other == mine:
                continue
            assert m == f"derivations.{other}", f"{module} reaches into {m}; use derivations.{other}'s public API"
            assert order[other] < order[mine], f"{module} imports the later problem {m}"


def test_no_import_cycles():
    graph = _graph()
    # a package's __init__ re-exports its rooms; the rooms must not need the __init__ back
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                cycle = stack[stack.index(n):] + [n]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_no_module_in_derivations_is_too_long_to_read():
    long = {str(p.relative_to(ROOT)): n for p in DERIVATIONS.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_the_graph_walker_sees_relative_and_nested_imports(tmp_path):
    """The walker must not miss an import, or the tests above would pass vacuously."""
    graph = _graph()
    assert "derivations.ledger" in graph["build.py".removesuffix(".py")] or "derivations.registry" in graph["build"]
    assert any("derivations.ledger" in imports for m, imports in graph.items() if _problem_of(m))
