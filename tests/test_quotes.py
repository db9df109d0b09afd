"""Quoted results and the grouped Verification appendix: a quote must be traceable, used and known;
appendix rows merge only what was checked the same way, and keep every claim's own number."""

from __future__ import annotations

import shutil

import pytest
import sympy as sp

import build
from derivations.ledger import Derivation, numeric_claim, symbolic_claim
from derivations.quotes import Quote, QuoteError, check_quotes
from derivations.registry import Problem
from pipeline.outcome import Outcome
from pipeline.render import QuotePrinter, RenderError
from tests.conftest import ROOT

GOOD = dict(value="$+1.3$", key="luong2015effective", location="Table 1", finding="BLEU gain of input feeding")


@pytest.mark.parametrize("location", ["", "somewhere", "Tab. 1", "the paper", "Table"])
def test_a_quote_without_a_usable_source_location_is_refused(location):
    with pytest.raises(QuoteError, match="source location"):
        Quote("p9.gain", **{**GOOD, "location": location})


@pytest.mark.parametrize("location", ["Table 1", "Section 4.2", "Figure 3", "Eq. 2", "Appendix B", "p. 7",
                                      "Table 1 and Section 5.1", "Algorithm 1"])
def test_usual_source_locations_are_accepted(location):
    assert Quote("p9.gain", **{**GOOD, "location": location}).problem == 9


def test_bad_ids_empty_fields_unknown_keys_and_duplicates_are_refused():
    with pytest.raises(QuoteError, match="p<problem>"):
        Quote("gain", **GOOD)
    with pytest.raises(QuoteError, match="empty value"):
        Quote("p9.gain", **{**GOOD, "value": " "})
    q = Quote("p9.gain", **GOOD)
    with pytest.raises(QuoteError, match="no templates/bib"):
        check_quotes([q], {"other2020"})
    with pytest.raises(QuoteError, match="twice"):
        check_quotes([q, q], {"luong2015effective"})
    assert check_quotes([q], {"luong2015effective"}) == {"p9.gain": q}


def test_the_printer_links_the_value_labels_the_first_use_and_refuses_unknown_ids():
    q = Quote("p9.gain", **GOOD)
    printer = QuotePrinter({q.id: q})
    first, second = printer("p9.gain"), printer("p9.gain")
    assert first.endswith(r"\hyperref[quote:p9.gain]{$+1.3$}") and r"\label{quoteuse:p9.gain}" in first
    assert r"\label" not in second and printer.used == {"p9.gain": 9}
    with pytest.raises(RenderError, match="no problem's quotes.py records"):
        printer("p9.other")


def test_every_recorded_quote_in_the_package_is_traceable():
    """The real records: each problem's quotes have a location (else they could not be made) and a
    key the bibliography defines."""
    import importlib
    import re

    from derivations.registry import PROBLEMS

    bib = "\n".join(p.read_text() for p in (ROOT / "templates" / "bib").glob("*.bib"))
    keys = set(re.findall(r"@\w+\s*\{\s*([^,\s]+)\s*,", bib))
    for p in {p.module for p in PROBLEMS}:
        try:
            module = importlib.import_module(p + ".quotes")
        except ModuleNotFoundError:
            continue
        check_quotes(module.QUOTES, keys)


# --------------------------------------------------------------------------- render with quotes


def _outcome(quotes):
    x = sp.Symbol("x")
    d = Derivation(problem=1, equations={}, quotes=tuple(quotes))
    claim = symbolic_claim("p1.square", sp.Eq(sp.Derivative(x**2, x), 2 * x), sp.diff(x**2, x) - 2 * x)
    return Outcome(Problem(1, "Fake", "tests.fake.problems"), derivation=d, claims=[claim])


def _render(tmp_path, monkeypatch, quotes, text):
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates, ignore=shutil.ignore_patterns("problems", "evidence"))
    (templates / "problems").mkdir()
    (templates / "problems" / "p01.tex.j2").write_text(text + '\n\\VAR{claim("p1.square")}\n')
    monkeypatch.setattr(build, "TEMPLATES", templates)
    outcome = _outcome(quotes)
    staging = tmp_path / "staging"
    build.render([outcome], outcome.claims, staging, 0)
    return staging


def test_a_quote_prints_in_the_text_and_lists_in_the_appendix(tmp_path, monkeypatch):
    q = Quote("p1.gain", **GOOD)
    staging = _render(tmp_path, monkeypatch, [q], r'Input feeding adds \VAR{quote("p1.gain")} BLEU.')
    assert r"\hyperref[quote:p1.gain]{$+1.3$}" in (staging / "problems" / "p01.tex").read_text()
    appendix = (staging / "appendix.tex").read_text()
    assert r"\label{quote:p1.gain}$+1.3$ & BLEU gain of input feeding & \citep[Table 1]{luong2015effective}" in appendix


def test_an_unused_quote_and_a_quote_of_another_problem_fail_the_build(tmp_path, monkeypatch):
    with pytest.raises(build.BuildError, match="p1.gain"):
        _render(tmp_path, monkeypatch, [Quote("p1.gain", **GOOD)], "No quote here.")
    with pytest.raises(build.BuildError, match="names Problem 9"):
        _render(tmp_path / "b", monkeypatch, [Quote("p9.gain", **GOOD)], r'\VAR{quote("p9.gain")}')
    with pytest.raises(build.BuildError, match="bib"):
        _render(tmp_path / "c", monkeypatch, [Quote("p1.gain", **{**GOOD, "key": "nobody1999"})],
                r'\VAR{quote("p1.gain")}')


# --------------------------------------------------------------------------- appendix rows


def test_rows_merge_only_same_route_function_and_tolerance_and_keep_each_number():
    x = sp.Symbol("x")
    eq = sp.Eq(x, x)

    def num(cid, err, tol, method="m", where="derivations.a.checks:f"):
        return numeric_claim(cid, eq, err, tol, method=method, where=where)

    claims = [num("p1.a", 1e-9, 1e-6), num("p1.b", 3e-9, 1e-6), num("p1.c", 2e-9, 1e-6),
              num("p1.d", 1e-9, 1e-7), num("p1.e", 0, 0, method="other"), num("p1.f", 0, 0, where="derivations.a.checks:g")]
    shown = {"p1.b": "inline", "p1.e": "inline"}
    out = build.appendix_rows(claims, 7, shown)
    rows = out["rows"]
    assert [r["ids"] for r in rows] == [["p1.a", "p1.b", "p1.c"], ["p1.d"], ["p1.e"], ["p1.f"]]
    assert rows[0]["error"] == 3e-9 and rows[2]["label"] == r"V11, p.~\pageref{eq:p1.e}"  # the largest error
    assert rows[0]["label"] == r"V7--9 (\ref{eq:p1.a}--\ref{eq:p1.c})" and rows[1]["label"] == r"V10 (\ref{eq:p1.d})"
    assert out["checked_in"] == [("a.checks", [("f", "V7--V11"), ("g", "V12")])]
