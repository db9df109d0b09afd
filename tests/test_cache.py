"""The cache: keys cover every dependency, a change recomputes only what depends on it."""

import subprocess
import sys
import textwrap

import pytest

from derivations.registry import Problem
from pipeline.cache import Cache, environment, import_closure, tree_fingerprint
from pipeline.outcome import Outcome
from tests.conftest import ROOT


def test_import_closure_follows_project_imports():
    files = {p.relative_to(ROOT).as_posix() for p in import_closure(ROOT, ["derivations.mlp"])}
    rooms = {f"derivations/mlp/{room}.py" for room in ("__init__", "method", "derivation", "experiment", "checks")}
    assert {"derivations/__init__.py", "derivations/ledger.py", "derivations/tex.py"} | rooms <= files
    assert not any(f.startswith("build") for f in files)


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "derivations").mkdir()
    (tmp_path / "derivations" / "__init__.py").write_text("")
    (tmp_path / "derivations" / "helper.py").write_text("K = 1\n")
    (tmp_path / "derivations" / "a.py").write_text("from derivations.helper import K\n")
    (tmp_path / "derivations" / "b.py").write_text("X = 2\n")
    return tmp_path


def _outcome(module, number=1):
    from derivations.ledger import Derivation, numeric_claim

    p = Problem(number, "t", module)
    claim = numeric_claim(f"p{number}.x", "x", 0.0, 1.0, method="m")
    return Outcome(p, Derivation(problem=number), [claim])


def test_hit_until_a_dependency_changes(tree):
    cache = Cache(tree / ".cache", tree)
    env = environment()
    a, b = _outcome("derivations.a", 1), _outcome("derivations.b", 2)
    cache.store(a, env)
    cache.store(b, env)
    assert cache.load(a.problem, None, env) is not None
    (tree / "derivations" / "helper.py").write_text("K = 2\n")  # a imports helper, b does not
    assert cache.load(a.problem, None, env) is None
    assert cache.load(b.problem, None, env) is not None


def test_other_environment_or_disabled_cache_misses(tree):
    cache = Cache(tree / ".cache", tree)
    a = _outcome("derivations.a")
    env = environment()
    cache.store(a, env)
    assert cache.load(a.problem, None, dict(env, numpy="0.0")) is None
    assert Cache(tree / ".cache", tree, enabled=False).load(a.problem, None, env) is None


@pytest.mark.parametrize("variable, value", [("OPENBLAS_CORETYPE", "Prescott"), ("FAISS_SIMD_LEVEL", "NONE")])
def test_other_kernel_selection_misses(tree, monkeypatch, variable, value):
    cache = Cache(tree / ".cache", tree)
    a = _outcome("derivations.a")
    env = environment()
    cache.store(a, env)
    assert cache.load(a.problem, None, environment()) is not None
    monkeypatch.setenv(variable, value + "-other" if env[variable] == value else value)
    other = environment()
    assert other != env and other[variable] != env[variable]
    assert cache.load(a.problem, None, other) is None


def test_environment_names_the_processor_without_heavy_imports():
    probe = textwrap.dedent("""
        import sys
        from pipeline.cache import environment
        env = environment()
        assert env["machine"] and len(env["cpu_flags"]) == 16, env
        assert not {"numpy", "faiss", "sympy"} & set(sys.modules), "heavy import in environment()"
        print("ok")
    """)
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert r.stdout.strip() == "ok", r.stderr


def test_failed_outcomes_are_not_stored(tree):
    from derivations.ledger import numeric_claim

    cache = Cache(tree / ".cache", tree)
    a = _outcome("derivations.a")
    a.claims = [numeric_claim("p1.x", "x", 2.0, 1.0, method="m")]
    cache.store(a, environment())
    assert cache.load(a.problem, None, environment()) is None


def test_fingerprint_changes_with_any_input(tree):
    f1 = tree_fingerprint(tree, ["derivations"], {"x": 1})
    assert f1 == tree_fingerprint(tree, ["derivations"], {"x": 1})
    assert f1 != tree_fingerprint(tree, ["derivations"], {"x": 2})
    (tree / "derivations" / "b.py").write_text("X = 3\n")
    assert f1 != tree_fingerprint(tree, ["derivations"], {"x": 1})


def test_noop_build_does_not_import_sympy(tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    args = [sys.executable, str(ROOT / "build.py"), "--problems", "1", "--no-pdf", "-q", "--jobs", "1",
            "--out", str(out), "--cache-dir", str(cache)]
    assert subprocess.run(args, capture_output=True).returncode == 0
    probe = textwrap.dedent(f"""
        import sys, runpy
        sys.argv = {[str(ROOT / 'build.py')] + args[2:]!r}
        try:
            runpy.run_path(sys.argv[0], run_name="__main__")
        except SystemExit as e:
            assert e.code == 0, e.code
        assert "sympy" not in sys.modules and "matplotlib" not in sys.modules, "heavy import on a no-op"
        print("ok")
    """)
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert r.stdout.strip() == "ok", r.stderr
