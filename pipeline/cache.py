"""Caching the build's stages under keys that cover everything they depend on.

* A problem's derive/verify/draw result is stored with the list of files it depended on
  (its module and the project modules it imports, transitively; the figure modules its figures
  name; the shipped data) and their content hashes, plus the environment: the Python and
  library versions, the processor (``platform.machine()`` and a hash of the CPU flags in
  ``/proc/cpuinfo``) and the environment variables that select BLAS or FAISS kernels and thread
  counts (``KERNEL_VARIABLES``).  Given the pinned library versions those decide which numerical
  kernels run, so a result cached on one processor or kernel is not reused under another.  It is
  reused only while every one of those hashes and values is unchanged.
* The whole build has a fingerprint over every input file; when it equals the last successful
  build's and the outputs are in place, nothing is done at all.  This path imports nothing
  heavy, so a no-op build costs little more than Python's start-up.

Everything lives in one git-ignored folder (``.cache/`` by default).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import pickle
import platform
import shutil
import sys
from pathlib import Path

__all__ = ["Cache", "import_closure", "environment", "file_digest", "tree_fingerprint"]

PROJECT_PACKAGES = ("derivations", "figures", "pipeline")


def _libraries() -> tuple[str, ...]:
    """The distribution names of pyproject.toml's run-time dependencies (version specifiers cut)."""
    import re
    import tomllib

    deps = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]["dependencies"]
    return tuple(sorted(re.match(r"[A-Za-z0-9_.-]+", d).group(0) for d in deps))


LIBRARIES = _libraries()  # every run-time dependency: a cached result is only valid under the same versions
FORMAT = 2  # bump when the layout of cached entries or of the environment key changes

# Environment variables that choose the BLAS or FAISS kernel (instruction set, cache sizes,
# reproducibility mode) or the thread count, and with it the order of floating-point sums.
KERNEL_VARIABLES = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "MKL_CBWR",
    "FAISS_SIMD_LEVEL",
    "FAISS_OPT_LEVEL",
)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cpu_flags() -> str:
    """The first ``flags`` (x86) or ``Features`` (ARM) line of /proc/cpuinfo, or "" without one."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return ""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() in ("flags", "Features"):
            return " ".join(value.split())
    return ""


def environment() -> dict:
    """Python and library versions, the processor and the kernel-selecting environment variables:
    a cached result is only valid under the same ones.  Imports nothing heavy (no NumPy, no FAISS):
    the no-op build calls it."""
    from importlib import metadata

    env = {
        "python": sys.version.split()[0],
        "format": str(FORMAT),
        "machine": platform.machine(),
        "cpu_flags": hashlib.sha256(_cpu_flags().encode()).hexdigest()[:16],
    }
    env.update({var: os.environ.get(var, "") for var in KERNEL_VARIABLES})
    for name in LIBRARIES:
        try:
            env[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            env[name] = "absent"
    return env


def _module_file(root: Path, dotted: str) -> Path | None:
    base = root.joinpath(*dotted.split("."))
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def _imports_of(path: Path, root: Path) -> set[str]:
    rel = path.relative_to(root).with_suffix("")
    package = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            names.add(mod)
            names.update(f"{mod}.{a.name}" for a in node.names)
    return {n for n in names if n.split(".")[0] in PROJECT_PACKAGES}


def import_closure(root: Path, modules) -> list[Path]:
    """The project files the given modules import, transitively (packages' __init__ included)."""
    seen: dict[Path, None] = {}
    todo = list(modules)
    while todo:
        dotted = todo.pop()
        parts = dotted.split(".")
        for i in range(1, len(parts) + 1):
            f = _module_file(root, ".".join(parts[:i]))
            if f is None or f in seen:
                continue
            seen[f] = None
            todo.extend(_imports_of(f, root))
    return sorted(seen)


def tree_fingerprint(root: Path, parts, extra: dict) -> str:
    """One hash over every file under the given folders/files and the extra values."""
    h = hashlib.sha256(json.dumps(extra, sort_keys=True).encode())
    for part in parts:
        p = root / part
        files = [p] if p.is_file() else sorted(q for q in p.rglob("*") if q.is_file() and "__pycache__" not in q.parts)
        for f in files:
            name = f.relative_to(root) if f.is_relative_to(root) else f
            h.update(str(name).encode() + b"\0")
            h.update(f.read_bytes() + b"\0")
    return h.hexdigest()


class Cache:
    """Per-problem results in ``<dir>/solve/pNN/`` and the last build's fingerprint per output folder."""

    def __init__(self, directory: Path, root: Path, enabled: bool = True):
        self.dir = directory
        self.root = root
        self.enabled = enabled

    # -- per problem ------------------------------------------------------------------------

    def _entry(self, problem) -> Path:
        return self.dir / "solve" / problem.tag

    def load(self, problem, figure_dir: Path | None, env: dict):
        """The cached outcome when all its recorded dependencies are unchanged, else None."""
        if not self.enabled:
            return None
        entry = self._entry(problem)
        meta_path = entry / "meta.json"
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            return None
        if meta.get("env") != env or meta.get("problem") != [problem.module, problem.derive, problem.verify]:
            return None
        if figure_dir is not None and not meta.get("drawn"):
            return None
        for rel, digest in meta["deps"].items():
            f = self.root / rel
            if not f.is_file() or file_digest(f) != digest:
                return None
        try:
            with open(entry / "outcome.pickle", "rb") as fh:
                outcome = pickle.load(fh)
        except Exception:
            return None
        if figure_dir is not None:
            figure_dir.mkdir(parents=True, exist_ok=True)
            outcome.figures = []
            for name in meta["figures"]:
                shutil.copyfile(entry / "figures" / name, figure_dir / name)
                outcome.figures.append(figure_dir / name)
        return outcome

    def store(self, outcome, env: dict) -> None:
        if outcome.crash or not all(c.passed for c in outcome.claims):
            return
        problem = outcome.problem
        modules = [problem.module]
        for spec in getattr(outcome.derivation, "figures", ()):
            modules.append(spec.draw.partition(":")[0])
        deps = import_closure(self.root, modules)
        data = self.root / "data"
        if data.is_dir():
            deps += sorted(q for q in data.rglob("*") if q.is_file())
        entry = self._entry(problem)
        tmp = entry.with_name(entry.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        (tmp / "figures").mkdir(parents=True)
        names = []
        for f in outcome.figures:
            shutil.copyfile(f, tmp / "figures" / Path(f).name)
            names.append(Path(f).name)
        with open(tmp / "outcome.pickle", "wb") as fh:
            pickle.dump(outcome, fh, protocol=pickle.HIGHEST_PROTOCOL)
        meta = {
            "problem": [problem.module, problem.derive, problem.verify],
            "env": env,
            "drawn": bool(outcome.figures) or not getattr(outcome.derivation, "figures", ()),
            "figures": names,
            "deps": {str(d.relative_to(self.root)): file_digest(d) for d in deps},
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True))
        shutil.rmtree(entry, ignore_errors=True)
        os.replace(tmp, entry)

    # -- how long each problem took, to schedule the longest first ---------------------------

    def timings(self) -> dict:
        try:
            return json.loads((self.dir / "timings.json").read_text())
        except (OSError, ValueError):
            return {}

    def record_timings(self, seconds: dict) -> None:
        if not seconds:
            return
        merged = {**self.timings(), **seconds}
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "timings.json").write_text(json.dumps(merged, indent=1, sort_keys=True))

    # -- whole build --------------------------------------------------------------------------

    def _build_stamp(self, out: Path) -> Path:
        key = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
        return self.dir / "builds" / f"{key}.json"

    def build_is_current(self, out: Path, fingerprint: str, outputs) -> bool:
        if not self.enabled:
            return False
        try:
            stamp = json.loads(self._build_stamp(out).read_text())
        except (OSError, ValueError):
            return False
        if stamp.get("fingerprint") != fingerprint:
            return False
        for rel, digest in stamp.get("outputs", {}).items():
            f = out / rel
            if not f.is_file() or file_digest(f) != digest:
                return False
        return set(stamp.get("outputs", {})) >= set(outputs)

    def record_build(self, out: Path, fingerprint: str, outputs) -> None:
        path = self._build_stamp(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        stamp = {"fingerprint": fingerprint, "outputs": {rel: file_digest(out / rel) for rel in outputs}}
        path.write_text(json.dumps(stamp, indent=1, sort_keys=True))
