"""Problem 6: L1 regularization with a diagonal Hessian (Deep Learning book, Sec. 7.1.2).

With H = diag(H_11, ..., H_nn) the penalised quadratic alpha ||w||_1 + J^(w) separates into one
scalar problem per coordinate (Eq. 7.22), f(w) = 1/2 H_ii (w - w*_i)^2 + alpha |w|.  SymPy
minimises f on each sign of w (where it is smooth) and at the kink w = 0 (where 0 must lie in the
subdifferential), giving the soft threshold w_i = sign(w*_i) max(|w*_i| - alpha/H_ii, 0)
(Eq. 7.23): exactly zero when |w*_i| <= alpha/H_ii.  The L2 counterpart, H_ii/(H_ii + alpha) w*_i,
is never zero unless w*_i is.

``verify_l1`` checks the piecewise minimiser by one-sided derivatives (SymPy limits) on each
case, Eq. 7.23 against it case by case, the public ``soft_threshold`` against golden-section
search per coordinate (including the exact zeros), and the whole regularization path against
scikit-learn's coordinate-descent Lasso.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations import shrinkage
from derivations.ledger import Derivation, Figure, numeric_claim, relative_error, symbolic_claim
from derivations.regularization_l2 import ALPHA, closed_form_710
from derivations.tex import tex
from derivations.regularization_tex import Bracket, MaxOf, Plus, Seq, Sign

__all__ = ["derive_l1", "verify_l1", "eq_723", "PATH_CASE", "GEOMETRY_CASE"]

# Scalar symbols of one coordinate: c = w*_i, h = H_ii.
C = sp.Symbol("c", real=True)
H = sp.Symbol("h", positive=True)
W = sp.Symbol("w", real=True)

# Figures: the regularization path and the diamond-versus-circle picture.
PATH_CASE = {"h": (1.0, 1.5, 2.0, 1.0, 0.5), "w_star": (1.6, -0.8, 0.4, -0.5, 0.5)}
GEOMETRY_CASE = {"h": (1.0, 2.0), "w_star": (0.8, 1.6), "alpha": 1.0}


def scalar_objective(w=W):
    """f(w) = 1/2 h (w - c)^2 + alpha |w|: one coordinate of Eq. 7.22 without the constant."""
    return sp.Rational(1, 2) * H * (w - C) ** 2 + ALPHA * sp.Abs(w)


def eq_723(c, h, alpha):
    """Eq. 7.23 as a SymPy expression: sign(c) max(|c| - alpha/h, 0)."""
    return sp.sign(c) * sp.Max(sp.Abs(c) - alpha / h, 0)


# --------------------------------------------------------------------------- derivation


def minimise_piecewise():
    """SymPy's minimiser of f, case by case.

    w > 0 and w < 0: f is a smooth quadratic there; solve f'(w) = 0 and keep the root when it
    has the sign assumed.  w = 0: the one-sided derivatives f'(0+) = alpha - h c and
    f'(0-) = -alpha - h c must bracket 0 (0 in the subdifferential).  Returns the Piecewise and the
    pieces for the text.
    """
    f = scalar_objective()
    cases = {}
    for name, sign in (("positive", 1), ("negative", -1)):
        smooth = f.subs(sp.Abs(W), sign * W)
        (root,) = sp.solve(sp.diff(smooth, W), W)
        holds = sp.solve_univariate_inequality(sign * root > 0, C, relational=True)
        cases[name] = (root, holds)
    s = sp.Symbol("s")
    right = sp.limit((f.subs(W, s) - f.subs(W, 0)) / s, s, 0, "+")
    left = sp.limit((f.subs(W, s) - f.subs(W, 0)) / s, s, 0, "-")
    zero_holds = sp.solve([sp.Ge(right, 0), sp.Le(left, 0)], C)
    cases["zero"] = (sp.Integer(0), zero_holds)
    piecewise = sp.Piecewise(cases["positive"], cases["negative"], (0, True))
    return piecewise, cases, (right, left)


def l2_diagonal_scalar():
    """The L2 counterpart per coordinate: argmin of 1/2 h (w - c)^2 + alpha/2 w^2."""
    (root,) = sp.solve(sp.diff(sp.Rational(1, 2) * H * (W - C) ** 2 + ALPHA / 2 * W**2, W), W)
    return root


def _path_data():
    h, ws = np.array(PATH_CASE["h"]), np.array(PATH_CASE["w_star"])
    zero_at = h * np.abs(ws)
    alphas = np.linspace(0.0, 1.15 * zero_at.max(), 400)
    l1 = np.array([shrinkage.soft_threshold(ws, h, a) for a in alphas])
    l2 = np.array([shrinkage.l2_shrink_diagonal(ws, h, a) for a in alphas])
    return {"alphas": alphas, "l1": l1, "l2": l2, "zero_at": zero_at, "w_star": ws}


def _maps_data():
    ws = np.linspace(-3.0, 3.0, 601)
    h = np.ones_like(ws)
    return {
        "w_star": ws,
        "l1": shrinkage.soft_threshold(ws, h, 1.0),
        "l2": shrinkage.l2_shrink_diagonal(ws, h, 1.0),
        "threshold": 1.0,
    }


def _geometry_data():
    h, ws, a = np.array(GEOMETRY_CASE["h"]), np.array(GEOMETRY_CASE["w_star"]), GEOMETRY_CASE["alpha"]
    x = np.linspace(-1.3, 2.1, 241)
    y = np.linspace(-1.3, 2.45, 251)
    X, Y = np.meshgrid(x, y)
    J = 0.5 * (h[0] * (X - ws[0]) ** 2 + h[1] * (Y - ws[1]) ** 2)
    out = {"X": X, "Y": Y, "J_hat": J, "w_star": ws}
    for name, sol in (("l1", shrinkage.soft_threshold(ws, h, a)), ("l2", shrinkage.l2_shrink_diagonal(ws, h, a))):
        out[name] = {
            "w": sol,
            "level": float(0.5 * np.sum(h * (sol - ws) ** 2)),
            "radius": float(np.abs(sol).sum() if name == "l1" else np.linalg.norm(sol)),
        }
    return out


def _case_tex(cases, right, left, names):
    """LaTeX of SymPy's pieces, in the report's notation (c -> w_i^*, h -> H_ii)."""
    out = {}
    for name in ("positive", "negative"):
        root, holds = cases[name]
        out[name] = {"root": tex(root.subs(names)), "holds": tex(holds.subs(names))}
    out["right"], out["left"] = tex(right.subs(names)), tex(left.subs(names))
    out["zero_holds"] = tex(cases["zero"][1].subs(names))
    return out


def derive_l1() -> Derivation:
    w_i, ws_i, w_vec = sp.Symbol("w_i"), sp.Symbol(r"w_i^{*}"), sp.Symbol(r"\tilde{w}_i")
    h_ii = sp.Symbol("H_{ii}", positive=True)
    thr = ALPHA / h_ii
    i, n = sp.symbols("i n", integer=True, positive=True)

    piecewise, cases, (right, left) = minimise_piecewise()
    equations = {
        "p6.separable": sp.Eq(
            sp.Symbol(r"\alpha\|\mathbf{w}\|_1 + \hat{J}(\mathbf{w})"),
            Plus(
                sp.Symbol(r"J(\mathbf{w}^{*})"),
                sp.Sum(
                    Bracket(Plus(Seq(sp.Rational(1, 2), h_ii, Plus(w_i, -ws_i) ** 2), ALPHA * sp.Abs(w_i))),
                    (i, 1, n),
                ),
            ),
            evaluate=False,
        ),
        "p6.cases": sp.Eq(
            w_i,
            sp.Piecewise(
                (Plus(ws_i, -thr), sp.Gt(ws_i, thr)),
                (0, sp.Le(sp.Abs(ws_i), thr)),
                (Plus(ws_i, thr), sp.Lt(ws_i, -thr)),
            ),
            evaluate=False,
        ),
        "p6.soft_threshold": sp.Eq(w_i, Seq(Sign(ws_i), MaxOf(Plus(sp.Abs(ws_i), -thr), 0)), evaluate=False),
        "p6.exact_zeros": sp.Implies(sp.Le(sp.Abs(ws_i), thr), sp.Eq(w_i, 0)),
        "p6.l2_diagonal": sp.Eq(w_vec, h_ii / (h_ii + ALPHA) * ws_i, evaluate=False),
        "p6.zero_alpha": sp.Eq(sp.Symbol(r"\alpha^{0}_{i}"), h_ii * sp.Abs(ws_i), evaluate=False),
    }
    path = _path_data()
    geometry = _geometry_data()
    c, hv, av = _samples(np.random.default_rng(6))
    n_zeros = int(np.sum(np.abs(c) <= av / hv))  # where Eq. 7.23 says 0
    figures = (
        Figure("p06_maps", "figures.regularization:l1_maps", _maps_data(), width=2.9, height=2.5),
        Figure("p06_geometry", "figures.regularization:l1_geometry", geometry, width=5.6, height=2.7, ncols=2),
        Figure("p06_paths", "figures.regularization:l1_paths", path, width=6.0, height=2.5, ncols=2),
    )
    return Derivation(
        problem=6,
        equations=equations,
        context={
            "piecewise": piecewise,
            "case_tex": _case_tex(cases, right, left, {C: ws_i, H: h_ii}),
            "cases": cases,
            "one_sided": (right, left),
            "l2_scalar": l2_diagonal_scalar(),
            "path": {
                "rows": [
                    {"i": k + 1, "h": hk, "w_star": wk, "zero_at": hk * abs(wk)}
                    for k, (hk, wk) in enumerate(zip(PATH_CASE["h"], PATH_CASE["w_star"]))
                ],
            },
            "samples": {"n": len(c), "zeros": n_zeros},
            "geometry": {
                "h": GEOMETRY_CASE["h"],
                "w_star": GEOMETRY_CASE["w_star"],
                "alpha": GEOMETRY_CASE["alpha"],
                "l1": geometry["l1"]["w"].tolist(),
                "l2": geometry["l2"]["w"].tolist(),
                "l1_radius": geometry["l1"]["radius"],
                "l2_radius": geometry["l2"]["radius"],
            },
        },
        figures=figures,
    )


# --------------------------------------------------------------------------- verification

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
    d = sp.simplify(cond.lhs - cond.rhs)
    value = type(cond)(d, 0)
    if value not in (sp.true, sp.false):
        raise ValueError(f"cannot decide {cond} (lhs - rhs = {d})")
    return bool(value)


def _evaluate_piecewise(pw, c_value):
    for expr, cond in pw.args:
        if _decide(cond.subs(C, c_value)):
            return sp.simplify(expr.subs(C, c_value))
    raise ValueError(f"no case of {pw} holds for c = {c_value}")


def _evaluate_723(c_value):
    e = eq_723(c_value, H, ALPHA)
    return sp.simplify(e.replace(sp.Max, lambda *a: sp.Max(*[sp.simplify(x) for x in a])))


def _one_sided(f, at):
    s = sp.Symbol("s", positive=True)
    right = sp.limit((f.subs(W, at + s) - f.subs(W, at)) / s, s, 0)
    left = sp.limit((f.subs(W, at) - f.subs(W, at - s)) / s, s, 0)
    return sp.simplify(right), sp.simplify(left)


def golden_section(c, h, alpha, iterations=200):
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


def _samples(rng, m=4000):
    """Random coordinates, plus coordinates exactly on the threshold |w*| = alpha/H (exact in binary)."""
    c = rng.normal(scale=2.0, size=m)
    h = rng.uniform(0.2, 5.0, size=m)
    a = rng.uniform(0.05, 3.0, size=m)
    edge_h = np.array([1.0, 2.0, 4.0, 0.5, 8.0])
    edge_a = np.array([0.5, 1.0, 1.0, 0.25, 2.0])
    edge_c = edge_a / edge_h * np.array([1, -1, 1, -1, 1])
    zero = (np.array([0.0, 0.0]), np.array([1.0, 3.0]), np.array([0.5, 0.0]))
    return (
        np.concatenate([c, edge_c, zero[0]]),
        np.concatenate([h, edge_h, zero[1]]),
        np.concatenate([a, edge_a, zero[2]]),
    )


def _lasso_path(h, w_star, alphas):
    """scikit-learn's Lasso path on a design with orthogonal columns, X^T X / m = diag(h), X w* = y."""
    from sklearn.linear_model import lasso_path

    n = len(h)
    m = 2 * n
    U, _ = np.linalg.qr(np.random.default_rng(6).normal(size=(m, n)))
    X = np.sqrt(m) * U * np.sqrt(h)
    y = X @ w_star
    _, coefs, _ = lasso_path(X, y, alphas=alphas[::-1], tol=1e-14, max_iter=100000)
    return coefs[:, ::-1].T  # (len(alphas), n), alphas ascending


def verify_l1(derivation: Derivation):
    eq = derivation.equations
    claims = []

    # Eq. 7.22: the diagonal quadratic plus the L1 term separates coordinate by coordinate (n = 3)
    n = 3
    w = sp.Matrix(sp.symbols("w1:4", real=True))
    s = sp.Matrix(sp.symbols("s1:4", real=True))
    h = sp.symbols("h1:4", positive=True)
    matrix_form = (sp.Rational(1, 2) * (w - s).T * sp.diag(*h) * (w - s))[0, 0] + ALPHA * sum(sp.Abs(x) for x in w)
    per_coordinate = sum(sp.Rational(1, 2) * h[k] * (w[k] - s[k]) ** 2 + ALPHA * sp.Abs(w[k]) for k in range(n))
    claims.append(
        symbolic_claim(
            "p6.separable",
            eq["p6.separable"],
            sp.expand(matrix_form - per_coordinate),
            method="expansion of the matrix quadratic with diag(h1, h2, h3) against the sum, n = 3",
        )
    )

    # the piecewise minimiser: in every case the one-sided derivatives of f at it bracket 0
    pw = derivation.context["piecewise"]
    f = scalar_objective()
    violations = []
    for c_value in REGIONS.values():
        at = _evaluate_piecewise(pw, c_value)
        right, left = _one_sided(f.subs(C, c_value), at)
        violations += [sp.Max(0, -right), sp.Max(0, left)]  # need f'(w+) >= 0 >= f'(w-)
    claims.append(
        symbolic_claim(
            "p6.cases",
            eq["p6.cases"],
            sp.Matrix(violations),
            method="one-sided derivatives of f by SymPy limits at the minimiser, in all 7 cases of c",
        )
    )

    # Eq. 7.23 against the piecewise minimiser, case by case
    claims.append(
        symbolic_claim(
            "p6.soft_threshold",
            eq["p6.soft_threshold"],
            sp.Matrix([_evaluate_723(v) - _evaluate_piecewise(pw, v) for v in REGIONS.values()]),
            method="Eq. 7.23 vs the piecewise minimiser in all 7 cases of c (exact)",
        )
    )

    # the public soft_threshold against golden-section search, coordinate by coordinate
    rng = np.random.default_rng(6)
    c, hv, av = _samples(rng)
    brute = golden_section(c, hv, av)
    ours = np.array([shrinkage.soft_threshold(c[k : k + 1], hv[k : k + 1], av[k])[0] for k in range(len(c))])
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
    predicted_zero = ours == 0.0
    found_zero = np.abs(brute) <= 1e-6 * scale
    claims.append(
        numeric_claim(
            "p6.exact_zeros",
            eq["p6.exact_zeros"],
            int(np.sum(predicted_zero != found_zero)),
            0,
            method="count of coordinates whose exact 0.0 disagrees with golden-section |w| <= 1e-6",
            reproduce=f"seed 6, {len(c)} coordinates, {int(predicted_zero.sum())} zeros",
        )
    )

    # L2 with diagonal H: the scalar minimisation against Eq. 7.10 with diag(h1, h2, h3)
    l2_scalar = derivation.context["l2_scalar"]
    full = closed_form_710(sp.diag(*h), s)
    claims.append(
        symbolic_claim(
            "p6.l2_diagonal",
            eq["p6.l2_diagonal"],
            sp.Matrix([sp.cancel(full[k] - l2_scalar.subs({C: s[k], H: h[k]})) for k in range(n)]),
            method="scalar minimisation per coordinate vs (H + alpha I)^-1 H w* with diagonal 3x3 H",
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
    ours_path = np.array([shrinkage.soft_threshold(wp, hp, a) for a in alphas])
    claims.append(
        numeric_claim(
            "p6.zero_alpha",
            eq["p6.zero_alpha"],
            float(np.max(np.abs(estimate - hp * np.abs(wp)))),
            step / 2,
            method="midpoint of the step where scikit-learn's lasso_path first gives an exact 0 (step 0.001)",
            reproduce=f"PATH_CASE = {PATH_CASE}",
        )
    )
    claims.append(
        numeric_claim(
            "p6.lasso_path",
            sp.Eq(sp.Symbol(r"\mathbf{w}_{\mathrm{L1}}(\alpha)"), sp.Symbol(r"\mathbf{w}_{\texttt{lasso\_path}}(\alpha)")),
            relative_error(ours_path, path),
            1e-9,
            method="soft_threshold vs scikit-learn lasso_path (coordinate descent, tol 1e-14), all alphas",
            reproduce=f"PATH_CASE = {PATH_CASE}, alpha step 0.001",
        )
    )
    return claims
