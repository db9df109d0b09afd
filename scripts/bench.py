#!/usr/bin/env python3
"""Benchmark the build: cold, no-op, one problem changed, and latexmk alone on the same source.

Prints the median of several runs of each and the ratios the speed targets are stated in
(no-op at most 1.0 s; cold at most 3x the latexmk floor).  It prints figures and asserts
nothing: the machines are shared and timings are noisy.

    python scripts/bench.py --runs 3
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd, cwd, env=None) -> float:
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"bench: {' '.join(map(str, cmd))} failed:\n{r.stderr}")
    return dt


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--problem", default="derivations/regularization/derivation.py", help="module touched for the one-problem build")
    args = ap.parse_args(argv)

    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    py = sys.executable
    results = {"cold": [], "no-op": [], "one problem changed": [], "latexmk alone": []}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        src = Path(tmp) / "src"
        for rel in files:
            if (ROOT / rel).is_file():
                (src / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / rel, src / rel)
        for i in range(args.runs):
            shutil.rmtree(src / ".cache", ignore_errors=True)
            shutil.rmtree(src / "report", ignore_errors=True)
            results["cold"].append(timed([py, "build.py", "-q"], src))
            results["no-op"].append(timed([py, "build.py", "-q"], src))
            touched = src / args.problem
            original = touched.read_text()
            touched.write_text(original + f"\n# bench edit {i}\n")
            results["one problem changed"].append(timed([py, "build.py", "-q"], src))
            touched.write_text(original)
            floor = Path(tmp) / f"floor{i}"
            shutil.copytree(src / "report", floor, ignore=shutil.ignore_patterns(".build", "main.pdf"))
            results["latexmk alone"].append(
                timed(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "main.tex"], floor)
            )
            print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in results.items()), flush=True)
    med = {k: statistics.median(v) for k, v in results.items()}
    print("\nmedians over", args.runs, "runs:")
    for k, v in med.items():
        print(f"  {k:22s} {v:7.2f} s")
    print(f"  cold / latexmk floor    {med['cold'] / med['latexmk alone']:7.2f}   (target <= 3)")
    print(f"  no-op                   {med['no-op']:7.2f} s (target <= 1.0)")
    print(f"  one changed / floor     {med['one problem changed'] / med['latexmk alone']:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
