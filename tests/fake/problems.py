"""Tiny problems for testing build.py itself: one that passes, one whose check fails, one that crashes."""

import sympy as sp

from derivations.ledger import Derivation, numeric_claim, symbolic_claim

x = sp.Symbol("x")


def derive():
    return Derivation(problem=1, equations={"p1.square": sp.Eq(sp.Derivative(x**2, x), 2 * x)})


def verify(d):
    return [symbolic_claim("p1.square", d.equations["p1.square"], sp.diff(x**2, x) - 2 * x)]


def verify_wrong(d):
    # a deliberately wrong formula: d/dx x^2 = x
    return [symbolic_claim("p1.square", sp.Eq(sp.Derivative(x**2, x), x), sp.diff(x**2, x) - x)]


def verify_loose(d):
    return [numeric_claim("p1.square", d.equations["p1.square"], 1e-3, 1e-9, method="made-up error")]


def derive_crash():
    raise RuntimeError("boom")


def derive_fragile():
    # An unevaluated equation that SymPy turns into `True` when it is unpickled.
    with sp.evaluate(False):
        st = sp.Eq(sp.Add(x, x), 2 * x)
    return Derivation(problem=1, equations={"p1.fragile": st})


def verify_fragile(d):
    st = d.equations["p1.fragile"]
    return [symbolic_claim("p1.fragile", st, st.lhs - st.rhs)]
