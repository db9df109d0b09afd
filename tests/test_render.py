"""The Jinja environment: LaTeX delimiters, strict undefined, escaping, claims printed from SymPy."""

from pathlib import Path

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


@pytest.mark.parametrize("value, digits", [(0.68350000001, 3), (2.55e-7 * (1 + 1e-12), 2), (1234.5 + 1e-9, 4)])
def test_a_number_on_a_rounding_boundary_is_refused(value, digits):
    """Its last printed digit would depend on the last bits of the computation."""
    with pytest.raises(RenderError, match="rounding boundary"):
        format_number(value, digits)


def test_numbers_clear_of_the_boundary_and_exact_values_print():
    assert format_number(0.6831) == "0.683"
    assert format_number(0.05) == "0.05"  # an input: exactly its printed digits
    assert format_number(1367 / 2000, exact=True) == "0.683"  # a count over a count: a fixed rounding


def test_the_templates_num_filter_guards_and_the_appendix_filter_does_not():
    env = make_env(Path(__file__).resolve().parent.parent / "templates")
    with pytest.raises(RenderError):
        env.from_string(r"\VAR{x|num}").render(x=0.68350000001)
    assert env.from_string(r"\VAR{x|measured}").render(x=0.68350000001) == "0.684"
    assert env.from_string(r"\VAR{x|num(exact=true)}").render(x=1367 / 2000) == "0.683"


def test_orders_of_magnitude_refuse_what_round_off_could_change():
    from derivations.tex import PrintDecisionError, common_decade, power_of_ten_above

    assert common_decade([1.0e-5, 2.15e-5]) == -5
    with pytest.raises(PrintDecisionError):
        common_decade([2.15e-5, 4.6e-5])  # two decades
    with pytest.raises(PrintDecisionError):
        common_decade([3.1e-5])  # 0.009 decades from the half-decade boundary
    assert power_of_ten_above(3.7e-11) == -10  # 1e-10 >= 2 x 3.7e-11
    assert power_of_ten_above(6e-11) == -9
    with pytest.raises(PrintDecisionError):
        power_of_ten_above(0.0)
