#!/usr/bin/env python3
"""How long each problem is in the PDF, how long the appendix is, and which pages look empty.

    .venv/bin/python scripts/pages.py [report/main.pdf] [--max-problems 40] [--max-appendix 6]

Reads the words and their positions with ``pdftotext -bbox`` (poppler-utils, installed with TeX
Live).  A section starts at its heading ("3 Problem 3: ...") and ends where the next one starts;
lengths are in pages, measured on the text block (A4, 1 in margins), so 2.50 means two and a half
pages.  A page inside the problems is flagged when it carries few words (a float page: a figure or
table set alone) or when its text stops above 60 % of the block while the section goes on (a page
left short).  With the limits given, exits 1 when the problems or the appendix exceed them.
"""

from __future__ import annotations

import argparse
import html
import re
import subprocess
import sys
from pathlib import Path

TOP, BOTTOM = 72.0, 842.0 - 72.0  # the text block of an A4 page with 1 in margins, in pt from the top
FEW_WORDS = 90


def pages_of(pdf: Path) -> list[list[tuple[float, float, float, str]]]:
    """For each page, its words as (yMin, yMax, xMin, text)."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    pages = []
    for page in out.split("<page ")[1:]:
        words = [
            (float(m.group(2)), float(m.group(3)), float(m.group(1)), html.unescape(m.group(4)))
            for m in re.finditer(r'<word xMin="([^"]+)" yMin="([^"]+)" xMax="[^"]+" yMax="([^"]+)">([^<]*)</word>', page)
        ]
        pages.append(words)
    return pages


def lines_of(words):
    """Words grouped into lines by their top edge (within 1 pt), top to bottom, each left to right."""
    lines: list[list] = []
    for w in sorted(words):
        if lines and abs(lines[-1][0][0] - w[0]) < 1.0:
            lines[-1].append(w)
        else:
            lines.append([w])
    return [sorted(line, key=lambda w: w[2]) for line in lines]


def frac(y: float) -> float:
    return min(max((y - TOP) / (BOTTOM - TOP), 0.0), 1.0)


def measure(pdf: Path):
    pages = pages_of(pdf)
    marks = []  # (name, page index, fraction down the page) of each heading
    for i, words in enumerate(pages):
        for line in lines_of(words):
            text = [w[3] for w in line]
            heading = line[0][1] - line[0][0] > 11.0  # a section heading's type, not the contents'
            if not heading:
                continue
            if len(text) >= 3 and text[0].isdigit() and text[1] == "Problem" and text[2] == f"{text[0]}:":
                marks.append((f"Problem {text[0]}", i, frac(line[0][0])))
            elif text[:2] == ["A", "Verification"]:
                marks.append(("Appendix", i, frac(line[0][0])))
            elif text == ["References"]:
                marks.append(("References", i, frac(line[0][0])))
    marks.append(("end", len(pages) - 1, 1.0))
    spans = []
    for (name, p0, f0), (_, p1, f1) in zip(marks, marks[1:]):
        if f1 < 0.02 and p1 > p0:  # the next part starts on a fresh page: this one ends at its last line
            p1 -= 1
            f1 = frac(max((w[1] for w in pages[p1] if w[0] < BOTTOM), default=TOP))
        spans.append((name, p0, f0, p1, f1, (p1 + f1) - (p0 + f0)))
    flagged = []
    problem_pages = [(s[1], s[3]) for s in spans if s[0].startswith("Problem")]
    for name, p0, _f0, p1, _f1, _len in spans:
        if not name.startswith("Problem"):
            continue
        for i in range(p0, p1):  # pages the section fills and then leaves for its own next page
            words = pages[i]
            body = [w for w in words if TOP - 5 < w[0] < BOTTOM]
            last = max((w[1] for w in body), default=TOP)
            if len(body) < FEW_WORDS:
                flagged.append((i + 1, name, f"{len(body)} words: a float page?"))
            elif frac(last) < 0.6 and i < p1:
                flagged.append((i + 1, name, f"text stops at {frac(last):.0%} of the page"))
    return spans, flagged, problem_pages


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pdf", nargs="?", default="report/main.pdf")
    ap.add_argument("--max-problems", type=float)
    ap.add_argument("--max-appendix", type=float)
    args = ap.parse_args(argv)
    if not Path(args.pdf).is_file():
        print(f"pages.py: {args.pdf} does not exist; build the report first (make report)", file=sys.stderr)
        return 2
    spans, flagged, _ = measure(Path(args.pdf))
    problems = sum(s[5] for s in spans if s[0].startswith("Problem"))
    appendix = sum(s[5] for s in spans if s[0] == "Appendix")
    for name, p0, f0, _p1, _f1, length in spans:
        print(f"{name:12s} starts p. {p0 + 1:3d} ({f0:4.0%} down)  {length:5.2f} pages")
    print(f"{'problems':12s} {problems:5.2f} pages in all")
    print(f"{'appendix':12s} {appendix:5.2f} pages (before the references)")
    for page, name, why in flagged:
        print(f"  p. {page}: {name}: {why}")
    figures = sorted(Path(args.pdf).parent.glob("figures/*.pdf"))
    if figures:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from figures.style import pdf_font_sizes

        smallest = min((min(pdf_font_sizes(f.read_bytes()) or [99.0]), f.name) for f in figures)
        print(f"{'figures':12s} {len(figures)} matplotlib figures; smallest glyph {smallest[0]:g} pt ({smallest[1]})")
    bad = []
    if args.max_problems is not None and problems > args.max_problems:
        bad.append(f"the problems take {problems:.2f} pages, over {args.max_problems:g}")
    if args.max_appendix is not None and appendix > args.max_appendix:
        bad.append(f"the appendix takes {appendix:.2f} pages, over {args.max_appendix:g}")
    for b in bad:
        print("FAIL:", b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
