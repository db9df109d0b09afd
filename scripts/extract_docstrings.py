"""Extract the docstrings of the Python standard library into Problem 11's corpus file (run once).

Problem 11 trains a small neural language model on English text.  The text is the docstrings of
the standard library's pure-Python modules: real prose, already on every machine, and free of
licence questions.  The build never reads them from the running Python (they change between
Python versions, so the report would differ between machines); it reads the file this script
wrote once, ``data/knn_lm/docstrings.txt.gz``, which the repository ships.

What is written: one docstring per line, in a fixed order (modules sorted by path; inside a
module, the module docstring, then classes and functions in source order), lower-cased, with
every run of whitespace (line breaks included) turned into one space.  Sources are parsed with
``ast`` (nothing is imported or executed).  Tests (``test/``, ``idlelib/idle_test``), the
``site-packages`` folder and docstrings of fewer than ``MIN_WORDS`` words are left out, as are
exact repeats of a docstring already written.  The output stops before ``MAX_BYTES`` of text.

Usage (from the repository root; the file shipped was made with Python 3.11.7):

    .venv/bin/python scripts/extract_docstrings.py            # writes data/knn_lm/docstrings.txt.gz
    .venv/bin/python scripts/extract_docstrings.py --stdlib /usr/lib/python3.12 --out /tmp/x.txt.gz

The gzip header carries no file name and a zero time stamp, so the file is byte-identical for
the same Python sources.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import re
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "knn_lm" / "docstrings.txt.gz"
MIN_WORDS = 8  # shorter docstrings ("Return self.") carry little language
MAX_BYTES = 3_000_000  # of text before compression (about 0.8 MB compressed)
SKIP_PARTS = {"test", "tests", "idle_test", "site-packages", "__pycache__", "lib2to3"}


def docstrings(source: str):
    """The module's docstrings in source order: the module's, then each class's and function's."""
    tree = ast.parse(source)
    nodes = [tree] + [n for n in ast.walk(tree)
                      if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))]
    nodes.sort(key=lambda n: getattr(n, "lineno", 0))
    for node in nodes:
        text = ast.get_docstring(node, clean=True)
        if text:
            yield text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stdlib", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    seen, lines, size = set(), [], 0
    for path in sorted(args.stdlib.rglob("*.py")):
        if SKIP_PARTS & set(path.relative_to(args.stdlib).parts):
            continue
        try:
            texts = list(docstrings(path.read_text(encoding="utf-8")))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for text in texts:
            line = re.sub(r"\s+", " ", text).strip().lower()
            if len(line.split()) < MIN_WORDS or line in seen:
                continue
            if size + len(line) + 1 > MAX_BYTES:
                break
            seen.add(line)
            lines.append(line)
            size += len(line) + 1
        if size + 200 > MAX_BYTES:
            break
    data = ("\n".join(lines) + "\n").encode("utf-8")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    print(f"{len(lines)} docstrings, {len(data)} bytes of text, {args.out.stat().st_size} bytes compressed "
          f"(Python {sys.version.split()[0]}) -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
