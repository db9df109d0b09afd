"""Problem 6's checks: ``verify_l1`` and its independent routes.

The piecewise minimiser of :mod:`derivations.regularization.derivation_l1` is checked by exact
one-sided derivatives (the difference quotient with |.| resolved on that side, at step 0; the
derivation's SymPy limits are compared with them) on each case, Eq. 7.23 against it case by case,
the public ``soft_threshold`` against golden-section search per coordinate (including the exact
zeros), the L2 curves against a linear solve, the geometry figure on its grid, and the whole
regularization path against scikit-learn's coordinate-descent Lasso.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations.display import plain
from derivations.ledger import Derivation, numeric_claim, relative_error, symbolic_claim
from derivations.regularization.checks import _cancelled, closed_form_710
from derivations.regularization.derivation import ALPHA
from derivations.regularization.derivation_l1 import (
    GEOMETRY_CASE,
    H_II,
    MAPS_CASE,
    PATH_CASE,
    PENALTY_NORMS,
    WS_I,
    W_I,
    C,
    H,
    W,
    _samples,
    scalar_objective,
)
from derivations.regularization.method import ridge_solution, soft_threshold

__all__ = ["verify_l1", "golden_section"]

# scikit-learn's coordinate descent, run to float precision.
LASSO_OPTIONS = {"tol": 1e-14, "max_iter": 100000}
# Rows of the Lasso design per column (any number >= 1 gives orthogonal columns).
LASSO_ROWS_PER_COLUMN = 2
# Golden-section steps per coordinate: 0.618^200 shrinks the bracket far below float precision.
GOLDEN_STEPS = 200

_T, _P, _Q = sp.symbols("t p q", positive=True)
# Every case of Eq. 7.23, parametrised by positive symbols so that SymPy can decide each sign:
# beyond the threshold (c = +-(alpha/h + t)), inside it (c = +-(alpha/h) p/(p + q)), on it, at 0.
REGIONS = {
    "c > alpha/h": ALPHA / H + _T,
    "c < -alpha/h": -ALPHA / H - _T,
    "0 < c < alpha/h": ALPHA / H * _P / (_P + _Q),
    "-alpha/h < c < 0": -ALPHA / H * _P / (_P + _Q),
    "c = alpha/h": ALPHA / H,
    "c = -alpha/h": -ALPHA / H,
    "c = 0": sp.Integer(0),
}


def _decide(cond):
    """Truth value of a relation (or And) once c is substituted, from the sign of lhs - rhs."""
    if cond in (sp.true, sp.false):
        return bool(cond)
    if isinstance(cond, sp.And):
        return all(_decide(a) for a in cond.args)
    d = sp.cancel(cond.lhs - cond.rhs)  # rational in the symbols: one fraction, whose sign the assumptions decide
    value = type(cond)(d, 0)
    if value not in (sp.true, sp.false):
        d = sp.simplify(d)
        value = type(cond)(d, 0)
    if value not in (sp.true, sp.false):
        raise ValueError(f"cannot decide {cond} (lhs - rhs = {d})")
    return bool(value)


def _plain(expr, c_value):
    """A printed expression at w*_i = c_value, H_ii = h, display classes done, simplified."""
    e = expr.subs({WS_I: c_value, H_II: H}).doit()
    return sp.simplify(e.replace(sp.Max, lambda *a: sp.Max(*[sp.simplify(x) for x in a])))


def _select(pieces, c_value):
    """The value of the one piece whose condition holds at c = c_value, and how many hold."""
    hits = [expr for expr, cond in pieces if _decide(cond.subs(C, c_value))]
    value = sp.simplify(hits[0].subs(C, c_value)) if hits else sp.nan
    return value, len(hits)


def _evaluate_piecewise(pw, c_value):
    value, hits = _select(pw.args, c_value)
    if not hits:
        raise ValueError(f"no case of {pw} holds for c = {c_value}")
    return value


def _side_sign(u, s):
    """The sign of a polynomial u(s) for all small s > 0: that of its lowest nonzero Taylor
    coefficient in s, each decided exactly (raises when SymPy cannot decide it)."""
    if not u.is_polynomial(s):
        raise ValueError(f"{u} is not a polynomial in {s}")
    for k in range(sp.degree(u, s) + 1):
        coeff = sp.diff(u, s, k).subs(s, 0)
        sign = sp.sign(coeff)
        if sign not in (-1, 0, 1):
            sign = sp.sign(sp.simplify(coeff))
        if sign in (-1, 1):
            return sign
        if sign != 0:
            raise ValueError(f"cannot decide the sign of {coeff}")
    return sp.Integer(0)


def _one_sided(f, at):
    """f'(at+) and f'(at-), exactly: the difference quotient (f(at +- s) - f(at)) / (+-s), s > 0, with
    each |u(s)| replaced by the branch +-u(s) that holds for all small s > 0, is a polynomial in s
    (f is piecewise quadratic), whose value at s = 0 is the one-sided limit."""
    s = sp.Symbol("s", positive=True)

    def limit(step):
        quotient = (f.subs(W, at + step) - f.subs(W, at)) / step
        quotient = _cancelled(quotient.replace(sp.Abs, lambda u: _side_sign(u, s) * u))
        if not quotient.is_polynomial(s):
            raise ValueError(f"the difference quotient {quotient} is not a polynomial in {s}")
        return sp.factor(quotient.subs(s, 0))

    return limit(s), limit(-s)


def golden_section(c, h, alpha, iterations=GOLDEN_STEPS):
    """Minimise 1/2 h (w - c)^2 + alpha |w| per coordinate by golden-section search (comparisons only)."""
    f = lambda w: 0.5 * h * (w - c) ** 2 + alpha * np.abs(w)  # noqa: E731
    lo, hi = -np.abs(c) - 1.0, np.abs(c) + 1.0
    g = (np.sqrt(5.0) - 1.0) / 2.0
    x1, x2 = hi - g * (hi - lo), lo + g * (hi - lo)
    f1, f2 = f(x1), f(x2)
    for _ in range(iterations):
        left = f1 < f2  # the minimum is in [lo, x2]
        hi = np.where(left, x2, hi)
        lo = np.where(left, lo, x1)
        x1n, x2n = hi - g * (hi - lo), lo + g * (hi - lo)
        x1, x2 = x1n, x2n
        f1, f2 = f(x1), f(x2)
    return 0.5 * (lo + hi)


def _lasso_path(h, w_star, alphas):
    """scikit-learn's Lasso path on a design with orthogonal columns, X^T X / m = diag(h), X w* = y."""
    from sklearn.linear_model import lasso_path

    n = len(h)
    m = LASSO_ROWS_PER_COLUMN * n
    U, _ = np.linalg.qr(np.random.default_rng(6).normal(size=(m, n)))
    X = np.sqrt(m) * U * np.sqrt(h)
    y = X @ w_star
    _, coefs, _ = lasso_path(X, y, alphas=alphas[::-1], **LASSO_OPTIONS)
    return coefs[:, ::-1].T  # (len(alphas), n), alphas ascending


def verify_l1(derivation: Derivation):
    eq = derivation.equations
    claims = []

    # Eq. 7.22: the printed sum, its summand written out for n = 3, against the matrix quadratic
    # with diag(h1, h2, h3) plus the L1 term
    n = 3
    w = sp.Matrix(sp.symbols("w1:4", real=True))
    s = sp.Matrix(sp.symbols("s1:4", real=True))
    h = sp.symbols("h1:4", positive=True)
    matrix_form = (sp.Rational(1, 2) * (w - s).T * sp.diag(*h) * (w - s))[0, 0] + ALPHA * sum(sp.Abs(x) for x in w)
    (total,) = eq["p6.separable"].rhs.atoms(sp.Sum)
    (index, first, last) = total.limits[0]
    terms = range(int(first), int(last.subs(sp.Symbol("n", integer=True, positive=True), n)) + 1)
    written_out = sum(total.function.subs({W_I: w[k - 1], WS_I: s[k - 1], H_II: h[k - 1]}) for k in terms)
    printed = eq["p6.separable"].rhs.xreplace({total: written_out}).doit()
    claims.append(
        symbolic_claim(
            "p6.separable",
            eq["p6.separable"],
            sp.expand(printed - sp.Symbol(r"J(\mathbf{w}^{*})") - matrix_form),
            method="the matrix quadratic with diag(h1, h2, h3) expanded, n = 3 (exact)",
        )
    )

    # the cases, as printed and as SymPy derived them (with the conditions shown in the text): in
    # each of the 7 cases of c exactly one condition holds, and there the one-sided derivatives of
    # f bracket 0; the printed f'(0+), f'(0-) are the derivatives of the smooth branches at 0
    f = scalar_objective()
    cases = derivation.context["cases"]
    derived = [cases["positive"], cases["negative"], cases["zero"]]
    printed = [(e.subs({WS_I: C, H_II: H}).doit(), cond.subs({WS_I: C, H_II: H})) for e, cond in eq["p6.cases"].rhs.args]
    violations = []
    for c_value in REGIONS.values():
        for pieces in (printed, derived):
            at, hits = _select(pieces, c_value)
            violations.append(sp.Integer(hits - 1))  # the conditions cover the line without overlap
            if hits:
                right, left = _one_sided(f.subs(C, c_value), at)
                violations += [sp.Max(0, -right), sp.Max(0, left)]  # need f'(w+) >= 0 >= f'(w-)
    right, left = (plain(x) for x in derivation.context["one_sided"])  # the printed f'(0+), f'(0-)
    violations.append(right - sp.diff(f.subs(sp.Abs(W), W), W).subs(W, 0))
    violations.append(left - sp.diff(f.subs(sp.Abs(W), -W), W).subs(W, 0))
    violations += [a - b for a, b in zip((right, left), _one_sided(f, 0))]  # and the derivation's SymPy limits agree
    claims.append(
        symbolic_claim(
            "p6.cases",
            eq["p6.cases"],
            sp.Matrix(violations),
            method="exact one-sided derivatives of f at the minimiser, 7 cases of w*_i",
        )
    )

    # the printed Eq. 7.23 against the minimiser of the derived cases, case by case
    claims.append(
        symbolic_claim(
            "p6.soft_threshold",
            eq["p6.soft_threshold"],
            sp.Matrix([_plain(eq["p6.soft_threshold"].rhs, v) - _select(derived, v)[0] for v in REGIONS.values()]),
            method="vs the piecewise minimiser in all 7 cases of w*_i (exact)",
        )
    )

    # the public soft_threshold against golden-section search, coordinate by coordinate
    rng = np.random.default_rng(6)
    c, hv, av = _samples(rng)
    brute = golden_section(c, hv, av)
    ours = np.array([soft_threshold(c[k : k + 1], hv[k : k + 1], av[k])[0] for k in range(len(c))])
    scale = np.maximum(np.abs(c), 1.0)
    claims.append(
        numeric_claim(
            "p6.brute_force",
            sp.Eq(sp.Symbol("w_i"), sp.Symbol(r"\operatorname{arg\,min}_{w}\bigl[\tfrac12 H_{ii}(w-w_i^{*})^2+\alpha|w|\bigr]")),
            float(np.max(np.abs(ours - brute) / scale)),
            1e-6,
            method="golden-section search per coordinate, 200 steps (resolves about sqrt(eps))",
            reproduce=f"seed 6, {len(c)} coordinates incl. |w*| = alpha/H exactly and w* = 0",
        )
    )
    # the printed condition, the exact zeros of soft_threshold, the zeros golden-section finds and
    # the count the text quotes must all agree
    condition, consequence = eq["p6.exact_zeros"].args
    # Exact comparisons: |w*| <= alpha/H (a correctly rounded quotient) decides both the condition
    # and soft_threshold's max(|w*| - alpha/H, 0), whose IEEE difference is <= 0 exactly when it
    # holds; the edge cases on the threshold are dyadic (0.5/1, 1/4, ...), so their quotients are exact.
    stated_zero = np.asarray(sp.lambdify((WS_I, H_II, ALPHA), condition, "numpy")(c, hv, av), dtype=bool)
    predicted_zero = ours == float(consequence.rhs)
    found_zero = np.abs(brute) <= 1e-6 * scale
    # golden-section's |w| (accurate to ~1e-8 scale) must be clear of that 1e-6 threshold: within
    # half of it on the zeros, beyond twice it elsewhere (measured: 6e-9 and 4e-4)
    unclear = np.sum(np.where(found_zero, np.abs(brute) > 5e-7 * scale, np.abs(brute) < 2e-6 * scale))
    disagreements = (
        np.sum(stated_zero != predicted_zero)
        + np.sum(stated_zero != found_zero)
        + unclear
        + abs(derivation.context["samples"]["zeros"] - int(stated_zero.sum()))
    )
    claims.append(
        numeric_claim(
            "p6.exact_zeros",
            eq["p6.exact_zeros"],
            int(disagreements),
            0,
            method="disagreements of the condition, exact 0.0, golden-section |w| <= 1e-6, the count",
            reproduce=f"seed 6, {len(c)} coordinates, {int(stated_zero.sum())} zeros",
        )
    )

    # L2 with diagonal H: the printed formula and the scalar minimisation against Eq. 7.10 with diag(h1, h2, h3)
    l2_scalar = derivation.context["l2_scalar"]
    l2_printed = eq["p6.l2_diagonal"].rhs
    full = closed_form_710(sp.diag(*h), s)
    residual = [full[k] - l2_scalar.subs({C: s[k], H: h[k]}) for k in range(n)]
    residual += [full[k] - l2_printed.subs({WS_I: s[k], H_II: h[k]}) for k in range(n)]
    claims.append(
        symbolic_claim(
            "p6.l2_diagonal",
            eq["p6.l2_diagonal"],
            sp.Matrix([sp.cancel(r) for r in residual]),
            method="scalar minimisation per coordinate vs Eq. 7.10 with diagonal 3x3 H (exact)",
        )
    )
    # the L2 curves of the figures (l2_shrink_diagonal) against the printed formula and a linear solve
    figures = {fig.name: fig.data for fig in derivation.figures}
    stated_l2 = sp.lambdify((WS_I, H_II, ALPHA), l2_printed, "numpy")
    paths, maps, geometry = figures["p06_paths"], figures["p06_shrinkage"]["maps"], figures["p06_shrinkage"]["geometry"]
    h_geo, h_path = np.array(GEOMETRY_CASE["h"]), np.array(PATH_CASE["h"])
    drawn = [(maps["l2"], maps["w_star"], maps["h"], maps["alpha"]),
             (geometry["l2"]["w"], geometry["w_star"], h_geo, GEOMETRY_CASE["alpha"])]
    drawn += [(paths["l2"][k], paths["w_star"], h_path, a) for k, a in enumerate(paths["alphas"])]
    worst, bound = 0.0, 0.0
    for curve, ws, hh, a in drawn:
        solved = ridge_solution(np.diag(hh), a, ws)
        worst = max(worst, relative_error(curve, solved), relative_error(stated_l2(ws, hh, a), solved))
        bound = max(bound, 10 * np.max(hh + a) / np.min(hh + a) * np.finfo(float).eps)
    claims.append(
        numeric_claim(
            "p6.l2_numeric",
            eq["p6.l2_numeric"],
            worst,
            bound,
            method="the figures' L2 curves and Eq. 7.10 per coordinate vs a linear solve; tol 10 cond eps",
            reproduce=f"PATH_CASE = {PATH_CASE}, GEOMETRY_CASE = {GEOMETRY_CASE}, MAPS_CASE = {MAPS_CASE}",
        )
    )

    # the geometry: each solution minimises J^ over the ball of its own norm. On the figure's grid, the
    # smallest J^ inside the ball must equal the level of the contour drawn through the solution, up
    # to what the grid resolves: J^(g) - J^(w~) <= |grad J^(w~)| d + max(H) d^2 / 2 for the grid
    # point g in the ball nearest to w~, at distance d
    X, Y, J = geometry["X"], geometry["Y"], geometry["J_hat"]
    # the drawn contours are of J^ itself: the grid equals (w - w*)^T H (w - w*) / 2 as a quadratic form
    diff = np.stack([X, Y], axis=-1) - np.array(GEOMETRY_CASE["w_star"])
    J_form = 0.5 * np.einsum("...i,ij,...j->...", diff, np.diag(h_geo), diff)
    # two routes of a 2x2 quadratic form of size < 20: ~10 eps relative apart; 1e-12 leaves room
    if not np.allclose(J, J_form, rtol=1e-12, atol=1e-12):
        J = np.full_like(J, np.inf)  # the figure would show another function: the claim fails
    worst, tol = 0.0, 0.0
    for name, p in PENALTY_NORMS.items():  # the norms of the printed statement
        sol = geometry[name.lower()]
        mask = np.abs(X) ** p + np.abs(Y) ** p <= sol["radius"] ** p
        d = float(np.min(np.hypot(X[mask] - sol["w"][0], Y[mask] - sol["w"][1])))
        grad = np.linalg.norm(h_geo * (sol["w"] - np.array(GEOMETRY_CASE["w_star"])))
        worst = max(worst, abs(float(J[mask].min()) - sol["level"]))
        tol = max(tol, grad * d + 0.5 * h_geo.max() * d**2)
    claims.append(
        numeric_claim(
            "p6.geometry",
            eq["p6.geometry"],
            worst,
            tol,
            method="least J^ on the figure's grid inside each ball vs the contour drawn; grid-step tol",
            reproduce=f"GEOMETRY_CASE = {GEOMETRY_CASE}, the grid of the figure p06_shrinkage",
        )
    )

    # the regularization path: scikit-learn's coordinate-descent Lasso reaches exact zeros at alpha_i^0
    hp, wp = np.array(PATH_CASE["h"]), np.array(PATH_CASE["w_star"])
    # alpha grid offset by an irrational fraction of a step, so no alpha_i^0 falls on a grid point;
    # alpha_i^0 is estimated as the midpoint between the last non-zero and the first exact zero
    step = 1e-3
    alphas = step * (np.arange(1, int(1.2 * float(np.max(hp * np.abs(wp))) / step)) + 1 / np.sqrt(2))
    path = _lasso_path(hp, wp, alphas)
    first = np.array([np.argmax(path[:, k] == 0.0) for k in range(len(hp))])
    estimate = np.where(first > 0, alphas[first] - step / 2, 0.0)
    ours_path = np.array([soft_threshold(wp, hp, a) for a in alphas])
    stated = sp.lambdify((H_II, WS_I), eq["p6.zero_alpha"].rhs, "numpy")(hp, wp)
    rows = derivation.context["path"]["rows"]  # the table: row i quotes coordinate i
    quoted = np.array([[r["h"], r["w_star"], r["zero_at"]] for r in rows]) - np.column_stack([hp, wp, stated])[[r["i"] - 1 for r in rows]]
    # The first exact zero is a threshold decision of coordinate descent (|x^T r| <= alpha), which
    # rounding (a QR design, ~1e-15) could move only for an alpha_i^0 within rounding of a grid point:
    # each must be at least a tenth of a step from every grid point (measured: 0.29 steps).
    off_grid = np.abs(np.asarray(stated, dtype=float)[:, None] - alphas[None, :]).min(axis=1) >= 0.1 * step
    claims.append(
        numeric_claim(
            "p6.zero_alpha",
            eq["p6.zero_alpha"],
            float(max(np.max(np.abs(estimate - stated)), np.max(np.abs(quoted)), np.max(np.abs(paths["zero_at"] - stated))))
            if off_grid.all() else np.inf,
            step / 2,
            method="first exact 0 of scikit-learn's lasso_path (alpha step 0.001); table, dots",
            reproduce=f"PATH_CASE = {PATH_CASE}",
        )
    )
    # coordinate descent to tol 1e-14 on an orthogonal design is exact up to the rounding of x^T r
    # (m = 10 rows, ~1e-15 relative); 1e-9 is far above that and far below a wrong threshold (>= 1e-3)
    claims.append(
        numeric_claim(
            "p6.lasso_path",
            eq["p6.lasso_path"],
            relative_error(ours_path, path),
            1e-9,
            method="vs scikit-learn's lasso_path (coordinate descent, tol 1e-14), every alpha",
            reproduce=f"PATH_CASE = {PATH_CASE}, alpha step 0.001",
        )
    )
    return claims
