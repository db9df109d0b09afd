"""The Jinja environment: LaTeX delimiters, strict undefined, escaping, claims printed from SymPy."""

import jinja2
import pytest
import sympy as sp

from derivations.ledger import symbolic_claim
from pipeline.render import ClaimPrinter, RenderError, escape_tex, format_number, make_env


def env_with(tmp_path, text):
    (tmp_path / "t.tex.j2").write_text(text)
    return make_env(tmp_path).get_template("t.tex.j2")


def test_missing_variable_is_an_error(tmp_path):
    with pytest.raises(jinja2.UndefinedError):
        env_with(tmp_path, r"\VAR{nothing}").render()


def test_delimiters_and_escape(tmp_path):
    t = env_with(tmp_path, "%% for x in xs\n\\item \\VAR{x|e}\n%% endfor\n")
    assert t.render(xs=["50% & $5_a"]) == "\\item 50\\% \\& \\$5\\_a\n"


@pytest.mark.parametrize("raw", ["#", "{}", "\\", "~^"])
def test_escape_roundtrip_has_no_bare_specials(raw):
    out = escape_tex(raw)
    assert out != raw


def test_format_number():
    assert format_number(0) == "0"
    assert format_number(0.5) == "0.5"
    assert format_number(3.2e-9) == r"3.20\times10^{-9}"


def test_claim_printed_from_sympy_and_only_once():
    x = sp.Symbol("x")
    c = symbolic_claim("p1.sq", sp.Eq(sp.Derivative(x**2, x), 2 * x), 0)
    printer = ClaimPrinter([c])
    out = printer("p1.sq")
    assert r"\label{eq:p1.sq}" in out and "2 x" in out and r"\claimlink{p1.sq}" in out
    with pytest.raises(RenderError):
        printer("p1.sq")
    with pytest.raises(RenderError, match="no verify"):
        printer("p1.other")


def test_relative_error_of_a_nan_or_infinity_is_infinite():
    """A NaN error would vanish from a running max(worst, err); it must fail instead."""
    import math

    import numpy as np

    from derivations.ledger import relative_error

    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    for bad in (np.nan, np.inf):
        assert relative_error([1.0, bad], [1.0, 2.0]) == math.inf
        assert relative_error([1.0, 2.0], [bad, 2.0]) == math.inf
        assert max(0.0, relative_error([bad], [1.0])) == math.inf
