#!/usr/bin/env python3
"""The portability gate: the report's text must not depend on the processor.

Builds the LaTeX source (derive, verify, draw, render; cache off) once as the machine is, then
again under settings that change how floating-point work is done:

* three other OpenBLAS kernels that run on any x86-64 processor (``OPENBLAS_CORETYPE`` =
  Prescott, Sandybridge, Haswell): other kernels sum and block in other orders, so results
  differ in their last bits;
* FAISS without SIMD (``FAISS_SIMD_LEVEL=NONE``): other distance code in the kNN-LM index;
* two BLAS threads with one problem at a time (``--jobs 1``): threads split sums differently;
* the kernel OpenBLAS picks by itself, where the machine's environment forces one.

Every claim must pass under every setting, and the body text (``problems/*.tex`` and
``main.tex``) must equal the default run's byte for byte.  The appendix lists measured errors,
which may differ in their last digits; it is reported, not required to match.  On a processor
that is not x86-64 the OpenBLAS kernel settings do not apply and are skipped, with a line that
says so.

    python scripts/portability.py            # all settings; exit 1 if any fails
    python scripts/portability.py --only prescott,faiss-none
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# name -> (environment overrides, --jobs, needs an x86-64 processor); None removes a variable.
SETTINGS = {
    "default": ({}, None, False),
    # the kernel OpenBLAS picks for this processor by itself (some machines force one by the variable)
    "native": ({"OPENBLAS_CORETYPE": None, "OPENBLAS_L2_SIZE": None}, None, False),
    "prescott": ({"OPENBLAS_CORETYPE": "Prescott"}, None, True),
    "sandybridge": ({"OPENBLAS_CORETYPE": "Sandybridge"}, None, True),
    "haswell": ({"OPENBLAS_CORETYPE": "Haswell"}, None, True),
    "faiss-none": ({"FAISS_SIMD_LEVEL": "NONE"}, None, False),
    "two-threads": ({"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}, 1, False),
}

# What the body text is: the files a reader's answer is made of.
BODY = ("main.tex", "problems")

PROBE = (
    "import json, numpy, faiss\n"
    "from threadpoolctl import threadpool_info\n"
    "blas = [f\"{i.get('internal_api')}:{i.get('architecture')}x{i.get('num_threads')}\" "
    "for i in threadpool_info() if i.get('user_api') == 'blas']\n"
    "print(json.dumps({'blas': sorted(set(blas)), 'faiss': faiss.SIMDConfig.get_level_name()}))\n"
)


def body_files(out: Path) -> dict[str, bytes]:
    files = {}
    for part in BODY:
        p = out / part
        for f in [p] if p.is_file() else sorted(p.glob("*.tex")):
            files[str(f.relative_to(out))] = f.read_bytes()
    return files


def first_difference(a: bytes, b: bytes) -> str:
    for n, (x, y) in enumerate(zip(a.splitlines(), b.splitlines()), start=1):
        if x != y:
            return f"line {n}: {x.decode(errors='replace')[:160]!r} against {y.decode(errors='replace')[:160]!r}"
    return f"lengths {len(a)} and {len(b)} bytes"


def run_setting(name: str, overrides: dict, jobs: int | None, work: Path, default_jobs: int) -> dict:
    env = {k: v for k, v in dict(os.environ, **overrides).items() if v is not None}
    # Deterministic output date: the same for every setting.
    env.setdefault("SOURCE_DATE_EPOCH", "0")
    python = sys.executable
    kernels = subprocess.run([python, "-c", PROBE], env=env, capture_output=True, text=True)
    seen = kernels.stdout.strip() if kernels.returncode == 0 else f"probe failed: {kernels.stderr.strip()[-200:]}"
    out, cache = work / name / "report", work / name / "cache"
    cmd = [python, str(ROOT / "build.py"), "--no-pdf", "--no-cache", "--out", str(out),
           "--cache-dir", str(cache), "--jobs", str(jobs or default_jobs)]
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    m = re.search(r"(\d+) claims verified in", r.stdout)
    return {
        "name": name,
        "overrides": overrides,
        "jobs": jobs or default_jobs,
        "kernels": seen,
        "code": r.returncode,
        "claims": int(m.group(1)) if m else 0,
        "seconds": time.perf_counter() - t,
        "error": r.stderr.strip(),
        "out": out,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="comma-separated setting names (the default run is always made)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="build.py --jobs (default: cores)")
    ap.add_argument("--keep", help="folder for the builds (default: a temporary folder, removed)")
    args = ap.parse_args(argv)

    names = list(SETTINGS)
    if args.only:
        wanted = {w.strip() for w in args.only.split(",")}
        unknown = wanted - set(SETTINGS)
        if unknown:
            ap.error(f"unknown setting(s) {', '.join(sorted(unknown))}; known: {', '.join(SETTINGS)}")
        names = ["default"] + [n for n in names if n in wanted and n != "default"]
    x86 = platform.machine().lower() in ("x86_64", "amd64")

    tmp = None
    if args.keep:
        work = Path(args.keep).resolve()
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="portability-")
        work = Path(tmp.name)
    failures = []
    try:
        reference = None
        for name in names:
            overrides, jobs, needs_x86 = SETTINGS[name]
            label = " ".join(f"{k}={v}" if v is not None else f"{k} unset" for k, v in overrides.items()) or "(as the machine is)"
            if needs_x86 and not x86:
                print(f"{name:12s} skipped: {label} selects an x86-64 OpenBLAS kernel; this processor is "
                      f"{platform.machine()}", flush=True)
                continue
            res = run_setting(name, overrides, jobs, work, args.jobs)
            head = f"{name:12s} {label}, --jobs {res['jobs']}; {res['kernels']}; {res['seconds']:.0f} s:"
            if res["code"] != 0:
                print(f"{head} FAILED (exit {res['code']})\n    {res['error'][:2000]}", flush=True)
                failures.append(name)
                continue
            files = body_files(res["out"])
            if reference is None:
                reference = files
                print(f"{head} {res['claims']} claims passed; reference body text ({len(files)} files)", flush=True)
                continue
            differ = sorted(k for k in set(reference) | set(files) if reference.get(k) != files.get(k))
            if differ:
                failures.append(name)
                print(f"{head} {res['claims']} claims passed; body text DIFFERS in {len(differ)} file(s):", flush=True)
                for k in differ:
                    a, b = reference.get(k), files.get(k)
                    why = "missing in one run" if a is None or b is None else first_difference(a, b)
                    print(f"    {k}: {why}", flush=True)
            else:
                print(f"{head} {res['claims']} claims passed; body text identical ({len(files)} files)", flush=True)
    finally:
        if tmp is not None:
            tmp.cleanup()
    if failures:
        print(f"portability: FAILED under {', '.join(failures)}", flush=True)
        return 1
    print("portability: every setting passed every claim and printed the same body text", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
