#!/usr/bin/env python3
"""Build the report: derive -> verify -> draw -> render -> compile.

    python build.py                  # every problem, LaTeX source and PDF in report/
    python build.py --problems 1,5   # only those problems
    python build.py --no-pdf         # stop after writing the LaTeX source
    python build.py --verify-only    # derive and check, nothing else

Exit codes: 0 success; 1 a check failed (or a derivation raised); 2 usage error;
3 LaTeX failed; 4 no TeX installation (the LaTeX source is still written).

This file imports nothing heavy at start-up: SymPy, NumPy and matplotlib are loaded by the
stages that need them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TEMPLATES = ROOT / "templates"
sys.path.insert(0, str(ROOT))

from derivations.registry import (  # noqa: E402
    PROBLEMS, Problem, SelectionError, consecutive_runs, describe, owner_of_label, parse_selection,
)
from pipeline.cache import Cache, environment, tree_fingerprint  # noqa: E402
from pipeline.outcome import Outcome  # noqa: E402

EXIT_OK, EXIT_CHECK, EXIT_USAGE, EXIT_LATEX, EXIT_NOTEX = 0, 1, 2, 3, 4

EPILOG = """exit codes:
  0  success
  1  a check failed (the message names the claim, the code, the error and the tolerance)
  2  usage error (unknown problem number, malformed list, unknown flag, an --out folder
     that cannot be created or written)
  3  LaTeX failed (the message names the generated file and line and its template)
  4  no TeX installation (the LaTeX source is still written; install TeX Live as told)
"""


class BuildError(Exception):
    """A failure with its exit code; the message is one paragraph for the user."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


class Progress:
    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.t0 = time.perf_counter()

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)


# --------------------------------------------------------------------------- stages


def derive(problem: Problem):
    """Stage 1: the problem's SymPy derivation (a :class:`derivations.ledger.Derivation`)."""
    import importlib

    module = importlib.import_module(problem.module)
    derivation = getattr(module, problem.derive)()
    if getattr(derivation, "problem", None) != problem.number:
        raise ValueError(
            f"{problem.module}:{problem.derive} returned a derivation of problem "
            f"{getattr(derivation, 'problem', None)!r}; the registry expects {problem.number}"
        )
    return derivation


def verify(problem: Problem, derivation) -> list:
    """Stage 2: the problem's checks by independent routes, as claims."""
    import importlib

    from derivations.ledger import check_unique_ids

    from dataclasses import replace

    from pipeline.render import statement_latex

    module = importlib.import_module(problem.module)
    claims = list(getattr(module, problem.verify)(derivation))
    check_unique_ids(claims)
    # Print each statement now, from the object that was checked (before any pickling).
    claims = [replace(c, **dict(zip(("display", "inline"), statement_latex(c.statement)))) for c in claims]
    prefix = f"p{problem.number}."
    for c in claims:
        if not c.id.startswith(prefix):
            raise ValueError(f"claim id {c.id!r} of Problem {problem.number} must start with {prefix!r}")
    return claims


def draw(derivation, figure_dir: Path) -> list[Path]:
    """Stage 3: the problem's figures, from the derivation's data."""
    if not derivation.figures:
        return []
    from figures.style import render_figure

    return [render_figure(spec, figure_dir) for spec in derivation.figures]


def solve(problem: Problem, figure_dir: Path | None) -> Outcome:
    """Derive, verify and (when every check passed and figure_dir is given) draw one problem."""
    out = Outcome(problem)
    try:
        t = time.perf_counter()
        out.derivation = derive(problem)
        out.seconds["derive"] = time.perf_counter() - t
        t = time.perf_counter()
        out.claims = verify(problem, out.derivation)
        out.seconds["verify"] = time.perf_counter() - t
        if figure_dir is not None and all(c.passed for c in out.claims):
            t = time.perf_counter()
            out.figures = draw(out.derivation, figure_dir)
            out.seconds["draw"] = time.perf_counter() - t
    except Exception:  # reported as a failed check, with the place it came from
        out.crash = traceback.format_exc()
    return out


def solve_all(problems, figure_dir: Path | None, jobs: int, progress: Progress, cache: Cache) -> list[Outcome]:
    """Run :func:`solve` for every problem not in the cache, in parallel; results in report order."""
    env = environment()
    outcomes: dict[int, Outcome] = {}
    todo = []
    for p in problems:
        hit = cache.load(p, figure_dir, env)
        if hit is not None:
            hit.cached = True
            outcomes[p.number] = hit
            report_outcome(hit, progress)
        else:
            todo.append(p)

    def finished(o: Outcome) -> None:
        outcomes[o.problem.number] = o
        cache.store(o, env)
        report_outcome(o, progress)

    if jobs > 1 and len(todo) > 1:
        import multiprocessing
        from concurrent.futures import as_completed

        # Longest first (by the last measured times), so that the workers finish together.
        last = cache.timings()
        todo.sort(key=lambda p: -last.get(p.tag, float("inf")))
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=ctx) as pool:
            for f in as_completed([pool.submit(solve, p, figure_dir) for p in todo]):
                finished(f.result())
    else:
        for p in todo:
            finished(solve(p, figure_dir))
    cache.record_timings({o.problem.tag: sum(o.seconds.values()) for o in outcomes.values() if not o.cached})
    return [outcomes[p.number] for p in problems]


def report_outcome(o: Outcome, progress: Progress) -> None:
    times = "cached" if o.cached else ", ".join(f"{k} {v:.2f}s" for k, v in o.seconds.items())
    status = "CRASHED" if o.crash else f"{sum(c.passed for c in o.claims)}/{len(o.claims)} claims verified"
    progress.say(f"  Problem {o.problem.number:>2}: {status} ({times})")


def check_ledger(outcomes: list[Outcome], show_traceback: bool = False) -> list:
    """Stop the build if a derivation crashed or a claim failed; return all claims in order."""
    messages = []
    for o in outcomes:
        if o.crash:
            last = o.crash.strip().splitlines()[-1]
            msg = (
                f"Problem {o.problem.number} ({o.problem.module}) raised an error while deriving or "
                f"verifying: {last}. Run `python build.py --problems {o.problem.number} --traceback` "
                f"for the full traceback."
            )
            if show_traceback:
                msg += "\n" + o.crash
            messages.append(msg)
        for c in o.claims:
            if not c.passed:
                msg = (
                    f"Check failed: claim {c.id} ({c.statement}) verified in {c.where} by {c.method}: "
                    f"measured error {c.error:.3g} exceeds the tolerance {c.tolerance:.3g}."
                )
                if c.reproduce:
                    msg += f" Reproduce with: {c.reproduce}."
                if c.detail:
                    msg += f" {c.detail}"
                messages.append(msg)
    if messages:
        raise BuildError(EXIT_CHECK, "\n".join(messages))
    return [c for o in outcomes for c in o.claims]


def render(outcomes: list[Outcome], claims: list, staging: Path, epoch: int) -> None:
    """Stage 4: the LaTeX source (main.tex, one file per problem, appendix, bibliography)."""
    from pipeline.render import GENERATED, ClaimPrinter, QuotePrinter, RenderError, make_env

    import jinja2

    env = make_env(TEMPLATES)
    printer = ClaimPrinter(claims)
    bib = "\n".join(p.read_text() for p in sorted((TEMPLATES / "bib").glob("*.bib")))
    quoter = QuotePrinter(collect_quotes(outcomes, bib))
    (staging / "problems").mkdir(parents=True, exist_ok=True)
    for stale in (staging / "problems").glob("*.tex"):
        stale.unlink()

    def body_of(o: Outcome, template: str, **extra) -> str:
        p = o.problem
        try:
            return env.get_template(template).render(problem=p, d=o.derivation.context, quote=quoter, **extra)
        except (jinja2.TemplateError, RenderError) as exc:
            where = getattr(exc, "lineno", None)
            at = f" line {where}" if where else ""
            raise BuildError(
                EXIT_CHECK, f"Rendering templates/{template}{at} for Problem {p.number} failed: {exc}"
            ) from None

    sections = []
    for o in outcomes:
        p = o.problem
        body = body_of(o, p.template, claim=printer, figures=[f.name for f in o.figures])
        _check_references(body, p, {o.problem.number for o in outcomes})
        rel = f"problems/{p.tag}.tex"
        header = GENERATED.format(source=f"templates/{p.template}")
        header += f"\n% Derivation: {p.module}:{p.derive} (Problem {p.number})"
        (staging / rel).write_text(header + "\n" + body)
        sections.append({"problem": p, "input": rel[:-4], "counter": p.number - 1})
    unshown = [c.id for c in claims if c.id not in printer.shown]
    if unshown:
        raise BuildError(
            EXIT_CHECK,
            "every claim must be shown in the text with \\VAR{claim(...)}, but these are not: "
            + ", ".join(unshown)
            + ". Show each in its problem's template (templates/problems/pNN.tex.j2).",
        )
    unused = [q for q in quoter.quotes if q not in quoter.used]
    if unused:
        raise BuildError(
            EXIT_CHECK,
            "every recorded quote must be printed by the text with \\VAR{quote(...)}, but these are not: "
            + ", ".join(unused)
            + ". Use each in its problem's template, or remove the record from its quotes.py.",
        )
    # The appendix lists the claims problem by problem, each problem's rows in reading order (the
    # order the text shows them), so that the marks [V1], [V2], ... in the text count up as one reads.
    reading = {cid: k for k, cid in enumerate(printer.shown)}
    groups = []
    number = 0
    for o in outcomes:
        ordered = sorted(o.claims, key=lambda c: reading[c.id])
        first = number + 1
        number += len(ordered)
        evidence = ""
        if (TEMPLATES / o.problem.evidence).exists():
            evidence = body_of(o, o.problem.evidence)
        groups.append({"problem": o.problem, "evidence": evidence,
                       **appendix_rows(ordered, first, printer.shown)})
    first_use = {qid: k for k, qid in enumerate(quoter.used)}  # every quote is used (checked above)
    quote_rows = sorted(quoter.quotes.values(), key=lambda q: (q.problem, first_use[q.id]))
    import datetime as dt

    date = dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc).strftime("%-d %B %Y")
    for name, ctx in (
        ("appendix.tex.j2", {"groups": groups, "quotes": quote_rows, "n_claims": len(claims)}),
        ("main.tex.j2", {"sections": sections, "date": date, "n_claims": len(claims),
                         "problem_list": describe(o.problem.number for o in outcomes), "report": report_settings()}),
    ):
        text = env.get_template(name).render(**ctx)
        (staging / name[:-3]).write_text(GENERATED.format(source=f"templates/{name}") + "\n" + text)
    (staging / "references.bib").write_text(bib)


def appendix_rows(claims: list, first: int, shown: dict) -> dict:
    """One problem's rows of the Verification appendix, claims numbered from ``first`` (V<first>, ...).

    Consecutive claims checked by the same route in the same function against the same tolerance
    share a row ("V3--8 (2.1--2.6)") that shows the largest of their errors: each claim keeps its
    own number and label, the row only says once what was done.  ``checked_in`` lists the
    functions that measured, each with its claims.
    """
    import itertools

    def where(c) -> str:
        return (r"p.~\pageref{eq:%s}" if shown.get(c.id) == "inline" else r"\ref{eq:%s}") % c.id

    numbered = list(enumerate(claims, start=first))
    rows = []
    for (method, _, tolerance), run in itertools.groupby(numbered, key=lambda kc: (kc[1].method, kc[1].where, kc[1].tolerance)):
        run = list(run)
        (k0, c0), (k1, c1) = run[0], run[-1]
        numbers, places = (f"V{k0}", [where(c0)]) if k0 == k1 else (f"V{k0}--{k1}", [where(c0), where(c1)])
        if all(p.startswith("\\ref") for p in places):  # "V3 (2.1)", "V4--9 (2.2--2.7)", "V10, p. 5"
            label = f"{numbers} ({'--'.join(places)})"
        else:
            label = f"{numbers}, " + "--".join(places)
        rows.append({"ids": [c.id for _, c in run], "label": label, "method": method, "tolerance": tolerance,
                     "error": max(c.error for _, c in run)})
    modules: dict[str, dict[str, list[int]]] = {}
    for k, c in numbered:
        module, _, function = c.where.removeprefix("derivations.").partition(":")
        modules.setdefault(module, {}).setdefault(function, []).append(k)
    checked_in = [(m, [(f, _number_ranges(ks)) for f, ks in fs.items()]) for m, fs in modules.items()]
    return {"rows": rows, "checked_in": checked_in}


def _number_ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 5] -> "V1--V3, V5"."""
    runs = consecutive_runs(numbers)
    return ", ".join(f"V{r[0]}" if len(r) == 1 else f"V{r[0]}--V{r[-1]}" for r in runs)


def collect_quotes(outcomes: list[Outcome], bib: str) -> dict:
    """Every problem's quoted results by id, each traced to a bibliography entry (else exit 1)."""
    import re

    from derivations.quotes import QuoteError, check_quotes

    keys = set(re.findall(r"@\w+\s*\{\s*([^,\s]+)\s*,", bib))
    quotes = [q for o in outcomes for q in o.derivation.quotes]
    try:
        by_id = check_quotes(quotes, keys)
    except QuoteError as exc:
        raise BuildError(EXIT_CHECK, f"Quoted results: {exc}") from None
    for o in outcomes:
        for q in o.derivation.quotes:
            if q.problem != o.problem.number:
                raise BuildError(
                    EXIT_CHECK,
                    f"Quoted results: Problem {o.problem.number} records quote {q.id!r}, whose id names "
                    f"Problem {q.problem}; start it with 'p{o.problem.number}.'",
                )
    return by_id


def _check_references(body: str, problem: Problem, built: set) -> None:
    """A reference to another problem's equation, figure, table or section needs that problem in
    the build: LaTeX would print "??" for it (and the build would fail on the undefined reference)."""
    import re

    for label in re.findall(r"\\(?:eq|c|C|page)?ref\{([^}]*)\}", body):
        for one in label.split(","):
            owner = owner_of_label(one.strip())
            if owner is not None and owner not in built:
                raise BuildError(
                    EXIT_USAGE,
                    f"Problem {problem.number} (templates/{problem.template}) refers to {one.strip()} of Problem "
                    f"{owner}, which this build leaves out, so the reference would print as '??'. Build both: "
                    f"--problems {','.join(str(n) for n in sorted(built | {owner}))}.",
                )


REPORT_DEFAULTS = {
    "course": "Advanced Deep Learning, 2021 Fall",
    "title": "Assignment 1: solutions",
    "author": "",
}


def report_settings(pyproject: Path | None = None) -> dict:
    """The title page: ``[tool.report]`` of pyproject.toml (course, title, author) over the defaults.
    The date is not a setting: it is the source date, so that builds stay reproducible."""
    import tomllib

    path = pyproject or ROOT / "pyproject.toml"
    try:
        table = tomllib.loads(path.read_text()).get("tool", {}).get("report", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BuildError(EXIT_USAGE, f"cannot read the report settings from {path}: {exc}") from None
    unknown = sorted(set(table) - set(REPORT_DEFAULTS))
    if unknown:
        raise BuildError(
            EXIT_USAGE,
            f"[tool.report] in {path} has unknown key(s) {', '.join(unknown)}; it takes "
            f"{', '.join(REPORT_DEFAULTS)} (the date is the source date)",
        )
    bad = sorted(k for k, v in table.items() if not isinstance(v, str))
    if bad:
        raise BuildError(EXIT_USAGE, f"[tool.report] in {path}: {', '.join(bad)} must be text in quotes")
    return {**REPORT_DEFAULTS, **table}


def compile_stage(staging: Path, epoch: int) -> Path:
    """Stage 5: latexmk on the generated source."""
    from pipeline.latex import LatexError, NoTexError, compile_pdf

    try:
        return compile_pdf(staging, "main.tex", source_date_epoch=epoch)
    except NoTexError as exc:
        raise BuildError(EXIT_NOTEX, str(exc)) from None
    except LatexError as exc:
        raise BuildError(EXIT_LATEX, str(exc)) from None


def publish(staging: Path, out: Path, with_pdf: bool) -> list[str]:
    """Copy the outputs from the staging folder; each file is replaced atomically."""
    names = ["main.tex", "appendix.tex", "references.bib"]
    names += [str(p.relative_to(staging)) for p in sorted((staging / "problems").glob("*.tex"))]
    names += [str(p.relative_to(staging)) for p in sorted((staging / "figures").glob("*")) if p.is_file()]
    if with_pdf:
        names.append("main.pdf")
    for sub in ("problems", "figures"):
        keep = {n for n in names if n.startswith(sub + "/")}
        for old in (out / sub).glob("*") if (out / sub).exists() else []:
            if old.is_file() and str(old.relative_to(out)) not in keep:
                old.unlink()
    for name in names:
        src, dst = staging / name, out / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(f".{dst.name}.tmp")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    return names


# --------------------------------------------------------------------------- recipe


def source_date_epoch() -> int:
    """SOURCE_DATE_EPOCH from the environment, else the last commit's time, else 0."""
    if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
        return int(os.environ["SOURCE_DATE_EPOCH"])
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True, timeout=10
        )
        if out.returncode == 0 and out.stdout.strip().isdigit():
            return int(out.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return 0


# Every input of the build: a change to any of them is a change to the report.
INPUTS = ("build.py", "pyproject.toml", "derivations", "figures", "pipeline", "templates", "data")


def prepare_output(out: Path, staging: Path) -> None:
    """Create the output folder and its staging folder and check they can be written, before any
    derivation runs, so a bad --out is a usage error in one paragraph rather than a crash later."""
    hint = "Give --out a folder that can be created and written."
    if out.exists() and not out.is_dir():
        raise BuildError(EXIT_USAGE, f"the output folder {out} (--out) is an existing file, not a folder. {hint}")
    try:
        staging.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=staging):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        culprit = f" (at {exc.filename})" if exc.filename and Path(exc.filename) != out else ""
        raise BuildError(
            EXIT_USAGE, f"the output folder {out} (--out) cannot be created or written: {reason}{culprit}. {hint}"
        ) from None


def build(args) -> int:
    progress = Progress(args.quiet)
    problems = parse_selection(args.problems)
    out = Path(args.out).resolve()
    staging = out / ".build"
    if not args.verify_only:
        prepare_output(out, staging)
    epoch = source_date_epoch()
    cache = Cache(Path(args.cache_dir).resolve(), ROOT, enabled=not args.no_cache)

    fingerprint = None
    if not args.verify_only:
        options = {"problems": [p.number for p in problems], "no_pdf": args.no_pdf, "epoch": epoch}
        inputs = [part for part in INPUTS if part != "templates"] + [TEMPLATES]
        fingerprint = tree_fingerprint(ROOT, inputs, {"env": environment(), "options": options})
        expected = ["main.tex"] if args.no_pdf else ["main.tex", "main.pdf"]
        if cache.build_is_current(out, fingerprint, expected):
            progress.say(f"nothing changed since the last build: {out / expected[-1]} is current")
            return EXIT_OK

    figure_dir = None if args.verify_only else staging / "figures"
    if figure_dir is not None:
        shutil.rmtree(figure_dir, ignore_errors=True)

    progress.say(f"derive, verify, draw: {len(problems)} problem(s), {args.jobs} job(s)")
    t = time.perf_counter()
    outcomes = solve_all(problems, figure_dir, args.jobs, progress, cache)
    claims = check_ledger(outcomes, args.traceback)
    progress.say(f"  {len(claims)} claims verified in {time.perf_counter() - t:.1f}s")
    if args.verify_only:
        return EXIT_OK

    t = time.perf_counter()
    render(outcomes, claims, staging, epoch)
    progress.say(f"render: {time.perf_counter() - t:.2f}s")
    if args.no_pdf:
        written = publish(staging, out, with_pdf=False)
        cache.record_build(out, fingerprint, written)
        progress.say(f"LaTeX source written to {out}")
        return EXIT_OK

    t = time.perf_counter()
    try:
        compile_stage(staging, epoch)
    except BuildError as exc:
        if exc.code == EXIT_NOTEX:
            publish(staging, out, with_pdf=False)
        raise
    progress.say(f"compile: {time.perf_counter() - t:.1f}s")
    written = publish(staging, out, with_pdf=True)
    cache.record_build(out, fingerprint, written)
    pages = pdf_pages(staging)
    progress.say(
        f"done: {len(claims)} claims verified, {pages} pages, {time.perf_counter() - progress.t0:.1f}s -> {out / 'main.pdf'}"
    )
    return EXIT_OK


def check_reproducible(args) -> int:
    """Build twice from scratch in two different folders; compare every output byte for byte."""
    import filecmp
    import tempfile

    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    if not files:
        raise BuildError(EXIT_USAGE, "--check-reproducible needs a git checkout to know the source files")
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(source_date_epoch()))
    outs = []
    with tempfile.TemporaryDirectory(prefix="repro-") as tmp:
        for i, sub in enumerate(("first", "second/deeper/clone")):
            src = Path(tmp) / sub
            for rel in files:
                if (ROOT / rel).is_file():
                    (src / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(ROOT / rel, src / rel)
            cmd = [sys.executable, str(src / "build.py"), "--no-cache", "-q", "--jobs", str(args.jobs)]
            if args.problems:
                cmd += ["--problems", args.problems]
            if args.no_pdf:
                cmd.append("--no-pdf")
            t = time.perf_counter()
            r = subprocess.run(cmd, cwd=src, env=env, capture_output=True, text=True)
            if r.returncode != 0:
                raise BuildError(r.returncode, f"build {i + 1} of 2 in {src} failed:\n{r.stderr.strip()}")
            if not args.quiet:
                print(f"build {i + 1} of 2 in {src}: {time.perf_counter() - t:.1f}s", flush=True)
            outs.append(src / "report")
        a_files = sorted(str(p.relative_to(outs[0])) for p in outs[0].rglob("*") if p.is_file() and ".build" not in p.parts)
        b_files = sorted(str(p.relative_to(outs[1])) for p in outs[1].rglob("*") if p.is_file() and ".build" not in p.parts)
        if a_files != b_files:
            diff = sorted(set(a_files) ^ set(b_files))
            raise BuildError(EXIT_CHECK, f"the two builds wrote different files: {', '.join(diff)}")
        for rel in a_files:
            if not filecmp.cmp(outs[0] / rel, outs[1] / rel, shallow=False):
                a, b = (outs[0] / rel).read_bytes(), (outs[1] / rel).read_bytes()
                k = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
                raise BuildError(
                    EXIT_CHECK,
                    f"not reproducible: {rel} differs between the two builds, first at byte {k} "
                    f"({a[max(k - 20, 0):k + 20]!r} against {b[max(k - 20, 0):k + 20]!r})",
                )
    if not args.quiet:
        print(f"reproducible: {len(a_files)} output files identical byte for byte in both builds")
    return EXIT_OK


def pdf_pages(staging: Path) -> str:
    """The page count, from the LaTeX log's "Output written on main.pdf (N pages" line."""
    import re

    log = staging / "main.log"
    m = re.search(r"Output written on \S+ \((\d+) pages?", log.read_text(errors="replace")) if log.exists() else None
    return m.group(1) if m else "?"


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="build.py",
        description="Derive, verify, draw, render and compile the Assignment 1 report.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--problems", metavar="N,M", help="comma-separated problem numbers (default: all)")
    ap.add_argument("--no-pdf", action="store_true", help="stop after writing the LaTeX source")
    ap.add_argument("--verify-only", action="store_true", help="run the derivations and their checks only")
    ap.add_argument("--out", default=str(ROOT / "report"), help="output folder (default: report/)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel problems (default: cores)")
    ap.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    ap.add_argument("--traceback", action="store_true", help="show Python tracebacks of crashed derivations")
    ap.add_argument("--no-cache", action="store_true", help="ignore cached results (they are still refreshed)")
    ap.add_argument("--cache-dir", default=str(ROOT / ".cache"), help="cache folder (default: .cache/)")
    ap.add_argument(
        "--check-reproducible",
        action="store_true",
        help="build twice from scratch in two folders and compare every output byte for byte",
    )
    args = ap.parse_args(argv)
    if args.jobs < 1:
        ap.error("--jobs must be at least 1")
    return args, ap


# Linear algebra on one thread per process.  The problems run in parallel as processes (one per
# core), so threads inside each would only compete for the same cores; OpenBLAS's idle threads also
# spin, which cost some checks ten times their CPU; and one thread fixes the order of each
# floating-point sum whatever the machine's core count.  Set before NumPy is first imported.
SINGLE_THREADED = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def main(argv=None) -> int:
    for var in SINGLE_THREADED:
        os.environ.setdefault(var, "1")
    args, ap = parse_args(argv)
    try:
        return check_reproducible(args) if args.check_reproducible else build(args)
    except SelectionError as exc:
        ap.print_usage(sys.stderr)
        print(f"build.py: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BuildError as exc:
        print(f"build.py: {exc}", file=sys.stderr)
        if exc.code in (EXIT_OK, EXIT_USAGE):
            return exc.code
        print("build.py: the previous report/main.pdf, if any, was left as it was.", file=sys.stderr)
        return exc.code


if __name__ == "__main__":
    sys.exit(main())
