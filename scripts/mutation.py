#!/usr/bin/env python3
"""Mutation run: are the checks real?

Plants one small fault at a time in the derivation code (every top-level function or class of
every module under ``derivations/`` that some problem imports, except the problems' ``checks.py``
(or ``checks_<part>.py``) rooms, which hold the independent routes, and the build's infrastructure: ledger, registry,
printer, package ``__init__`` files) (an arithmetic operator swapped, a
constant changed, a transpose dropped, a comparison flipped, a sign removed) and runs
``build.py --verify-only`` for the problem that module serves.  A mutant is *killed* when the
build fails (or hangs past the time limit); one that passes *survives* and is listed, so that
it gets a check that kills it or an explanation of why it cannot change a result.

    python scripts/mutation.py                 # the default sample, all problem modules
    python scripts/mutation.py --per-module 30 --modules derivations/mlp/method.py
    python scripts/mutation.py --list          # count the sites only

The sample is drawn with a fixed seed, so two runs on one commit test the same mutants.
"""

from __future__ import annotations

import argparse
import ast
import copy
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from derivations.registry import PROBLEMS  # noqa: E402

# Calls whose numeric arguments are settings, not formulas: tolerances, seeds, figure sizes.
SETTING_CALLS = {
    "numeric_claim", "symbolic_claim", "default_rng", "RandomState", "seed", "Figure", "Claim",
    "range", "linspace", "logspace", "geomspace", "arange", "round", "format", "integers",
}
SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult}
FLIP = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}


@dataclass(frozen=True)
class Mutant:
    path: str
    line: int
    kind: str
    index: int  # which site of this kind in the file (pre-order)
    before: str
    after: str


class _Sites(ast.NodeVisitor):
    """Collects mutation sites, skipping docstrings, settings, input validation and figures."""

    def __init__(self):
        self.sites: list[tuple[str, ast.AST]] = []
        self._skip = 0

    def _skipping(self, node):
        self._skip += 1
        self.generic_visit(node)
        self._skip -= 1

    def visit_If(self, node):
        # `if bad: raise ValueError(...)` is input validation: not a formula.
        if all(isinstance(s, ast.Raise) for s in node.body):
            return self._skipping(node)
        self.generic_visit(node)

    def visit_Raise(self, node):
        return self._skipping(node)

    def visit_Assert(self, node):
        return self._skipping(node)

    def visit_FunctionDef(self, node):
        # Typesetting methods of display-only SymPy classes: tests compare their LaTeX exactly.
        if node.name == "_latex" or node.name.startswith("_print"):
            return self._skipping(node)
        self.generic_visit(node)

    def visit_JoinedStr(self, node):
        return self._skipping(node)

    def visit_Call(self, node):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in SETTING_CALLS:
            return self._skipping(node)
        self.generic_visit(node)

    def visit_BinOp(self, node):
        if not self._skip and type(node.op) in SWAP:
            self.sites.append(("binop", node))
        self.generic_visit(node)

    def visit_UnaryOp(self, node):
        if not self._skip and isinstance(node.op, ast.USub):
            self.sites.append(("sign", node))
        self.generic_visit(node)

    def visit_Compare(self, node):
        if not self._skip and len(node.ops) == 1 and type(node.ops[0]) in FLIP:
            self.sites.append(("compare", node))
        self.generic_visit(node)

    def visit_Constant(self, node):
        if not self._skip and type(node.value) in (int, float) and not isinstance(node.value, bool):
            self.sites.append(("constant", node))

    def visit_Attribute(self, node):
        if not self._skip and node.attr == "T":
            self.sites.append(("transpose", node))
        self.generic_visit(node)


def _tree(path: Path) -> ast.Module:
    tree = ast.parse(path.read_text())
    # Docstrings and module-level constants are not formulas.
    for n in ast.walk(tree):
        if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body:
            if isinstance(n.body[0], ast.Expr) and isinstance(getattr(n.body[0], "value", None), ast.Constant):
                n.body = n.body[1:] or [ast.Pass()]
    return tree


def sites_of(path: Path) -> list[tuple[str, ast.AST]]:
    v = _Sites()
    tree = _tree(path)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            v.visit(node)
    return v.sites


def mutate(path: Path, kind: str, index: int) -> tuple[str, str, str, int]:
    """The mutated source, and the site's text before and after."""
    tree = _tree(path)
    v = _Sites()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            v.visit(node)
    same = [n for k, n in v.sites if k == kind]
    node = same[index]
    before = ast.unparse(node)
    if kind == "binop":
        node.op = SWAP[type(node.op)]()
    elif kind == "sign":
        replacement = node.operand
        _replace(tree, node, replacement)
        node = replacement
    elif kind == "compare":
        node.ops = [FLIP[type(node.ops[0])]()]
    elif kind == "constant":
        node.value = node.value + 1
    elif kind == "transpose":
        replacement = node.value
        _replace(tree, node, replacement)
        node = replacement
    return ast.unparse(tree), before, ast.unparse(node), node.lineno


def _replace(tree, old, new):
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
                        return
    raise RuntimeError("mutation site not found")


# The rule is a file: a problem's checks.py holds its independent routes (faults are planted in
# what they check, not in them); the ledger, registry, printer and package faces are machinery.
def is_check_room(path: Path) -> bool:
    """checks.py, or checks_<part>.py where a problem's checks room is split (Problems 5-6)."""
    return path.name == "checks.py" or (path.name.startswith("checks_") and path.suffix == ".py")
NOT_DERIVATION_FILES = ("__init__.py", "ledger.py", "tex.py", "registry.py")


def problems_of(module_path: str) -> list[int]:
    """The problems whose module imports this file (directly or not)."""
    from pipeline.cache import import_closure

    target = (ROOT / module_path).resolve()
    return [p.number for p in PROBLEMS if target in import_closure(ROOT, [p.module])]


def derivation_files() -> list[str]:
    files = []
    for f in sorted((ROOT / "derivations").rglob("*.py")):
        if f.name in NOT_DERIVATION_FILES or is_check_room(f):
            continue
        rel = f.relative_to(ROOT).as_posix()
        if problems_of(rel):
            files.append(rel)
    return files


def run_mutant(workdir: Path, rel: str, kind: str, index: int, timeout: float) -> tuple[Mutant, str]:
    # Mutate the snapshot in the work folder, not the live tree (which may change meanwhile).
    target = workdir / rel
    original = target.read_text()
    source, before, after, line = mutate(target, kind, index)
    target.write_text(source)
    nums = ",".join(str(n) for n in problems_of(rel))
    cmd = [sys.executable, "build.py", "--verify-only", "--problems", nums, "--jobs", "1", "--no-cache", "-q"]
    try:
        r = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout)
        status = "survived" if r.returncode == 0 else "killed"
    except subprocess.TimeoutExpired:
        status = "killed (timeout)"
    finally:
        target.write_text(original)
    return Mutant(rel, line, kind, index, before, after), status


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--modules", nargs="*", help="module files (default: every problem module)")
    ap.add_argument("--per-module", type=int, default=12, help="mutants sampled per module (default 12)")
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--list", action="store_true", help="count the sites and stop")
    args = ap.parse_args(argv)

    modules = args.modules or derivation_files()
    modules = [m for m in modules if (ROOT / m).is_file()]
    rng = random.Random(args.seed)
    plan = []
    for rel in modules:
        sites = sites_of(ROOT / rel)
        counts: dict[str, int] = {}
        keyed = []
        for kind, _ in sites:
            keyed.append((kind, counts.get(kind, 0)))
            counts[kind] = counts.get(kind, 0) + 1
        print(f"{rel}: {len(sites)} sites {dict(sorted(counts.items()))}")
        picked = rng.sample(keyed, min(args.per_module, len(keyed)))
        plan += [(rel, kind, index) for kind, index in sorted(picked)]
    if args.list:
        return 0

    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mutation-") as tmp:
        workdirs = []
        for j in range(args.jobs):
            w = Path(tmp) / f"w{j}"
            for rel in files:
                if (ROOT / rel).is_file():
                    (w / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(ROOT / rel, w / rel)
            workdirs.append(w)
        results = []
        free = list(workdirs)

        def job(item):
            w = free.pop()
            try:
                return run_mutant(w, *item, timeout=args.timeout)
            finally:
                free.append(w)

        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for m, status in pool.map(job, plan):
                results.append((m, status))
                print(f"  {status:17s} {m.path}:{m.line} [{m.kind}] {m.before!s:.60} -> {m.after!s:.60}", flush=True)
    killed = sum(s.startswith("killed") for _, s in results)
    total = len(results)
    print(f"\nmutation score: {killed}/{total} = {killed / max(total, 1):.2f} killed ({time.perf_counter() - t0:.0f}s)")
    survivors = [m for m, s in results if s == "survived"]
    if survivors:
        print("survivors:")
        for m in survivors:
            print(f"  {m.path}:{m.line} [{m.kind} #{m.index}] {m.before} -> {m.after}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
