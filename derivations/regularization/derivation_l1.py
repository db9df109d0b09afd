"""Problem 6: L1 regularization with a diagonal Hessian (Deep Learning book, Sec. 7.1.2).

With H = diag(H_11, ..., H_nn) the penalised quadratic alpha ||w||_1 + J^(w) separates into one
scalar problem per coordinate (Eq. 7.22), f(w) = 1/2 H_ii (w - w*_i)^2 + alpha |w|.  SymPy
minimises f on each sign of w (where it is smooth) and at the kink w = 0 (where 0 must lie in the
subdifferential), giving the soft threshold w_i = sign(w*_i) max(|w*_i| - alpha/H_ii, 0)
(Eq. 7.23): exactly zero when |w*_i| <= alpha/H_ii.  The L2 counterpart, H_ii/(H_ii + alpha) w*_i,
is never zero unless w*_i is.

``verify_l1`` (:mod:`derivations.regularization.checks_l1`) checks the piecewise minimiser by
exact one-sided derivatives, Eq. 7.23 against it case by case, the public ``soft_threshold``
against golden-section search per coordinate (including the exact zeros), and the whole
regularization path against scikit-learn's coordinate-descent Lasso.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations.display import Bracket, InOrder, MaxOf, Product, Scaled, Sign
from derivations.ledger import Derivation, Figure
from derivations.regularization.derivation import ALPHA
from derivations.regularization.method import l2_shrink_diagonal, soft_threshold
from derivations.tex import tex

__all__ = ["derive_l1", "eq_723", "PATH_CASE", "GEOMETRY_CASE", "scalar_objective", "minimise_piecewise"]

# Scalar symbols of one coordinate: c = w*_i, h = H_ii.
C = sp.Symbol("c", real=True)
H = sp.Symbol("h", positive=True)
W = sp.Symbol("w", real=True)
# The same quantities as the report prints them: w_i, w*_i, H_ii.
W_I, WS_I, H_II = sp.Symbol("w_i"), sp.Symbol(r"w_i^{*}"), sp.Symbol("H_{ii}", positive=True)

# Figures: the regularization path and the diamond-versus-circle picture.
PATH_CASE = {"h": (1.0, 1.5, 2.0, 1.0, 0.5), "w_star": (1.6, -0.8, 0.4, -0.5, 0.5)}
GEOMETRY_CASE = {"h": (1.0, 2.0), "w_star": (0.8, 1.6), "alpha": 1.0}
# Figure of the two maps w*_i -> w_i: unit curvature and penalty weight.
MAPS_CASE = {"h": 1.0, "alpha": 1.0}
# Random coordinates for the brute-force check: how many, the spread of w*, the ranges of H_ii and alpha.
SAMPLES = {"m": 4000, "w_star_scale": 2.0, "h": (0.2, 5.0), "alpha": (0.05, 3.0)}
# The norm of each penalty's ball in the geometry figure (L1: the diamond, L2: the disc).
PENALTY_NORMS = {"L1": 1, "L2": 2}
# Edge coordinates added to the random ones: w* = 0 (with alpha > 0 and alpha = 0) and
# |w*| = alpha/H exactly (all values exact in binary).
EDGE_CASES = {
    "h": (1.0, 2.0, 4.0, 0.5, 8.0, 1.0, 3.0),
    "alpha": (0.5, 1.0, 1.0, 0.25, 2.0, 0.5, 0.0),
    "w_star": (0.5, -0.5, 0.25, -0.5, 0.25, 0.0, 0.0),
}


def scalar_objective(w=W):
    """f(w) = 1/2 h (w - c)^2 + alpha |w|: one coordinate of Eq. 7.22 without the constant."""
    return sp.Rational(1, 2) * H * (w - C) ** 2 + ALPHA * sp.Abs(w)


def eq_723(c, h, alpha):
    """Eq. 7.23 as it is printed, sign(c) max(|c| - alpha/h, 0); ``doit()`` gives plain SymPy."""
    return Product(Sign(c), MaxOf(InOrder(sp.Abs(c), -alpha / h), 0))


# --------------------------------------------------------------------------- derivation


def _solved_for(rel, x):
    """``rel`` with ``x`` on the left, as a person writes a condition on x: ``a < x`` -> ``x > a``."""
    return rel.reversed if rel.rhs == x and not rel.lhs.has(x) else rel


def _as_abs_bound(cond, x):
    """``-b <= x <= b`` (SymPy's ``And`` of two bounds, in any orientation) written ``|x| <= b``:
    the same set for real x.  Raises when ``cond`` is not of that form."""
    bounds = {}
    for rel in getattr(cond, "args", ()):
        rel = _solved_for(rel, x)
        if rel.lhs == x and isinstance(rel, (sp.LessThan, sp.GreaterThan)):
            bounds[type(rel)] = rel.rhs
    if not isinstance(cond, sp.And) or len(cond.args) != 2 or len(bounds) != 2 or \
            sp.simplify(bounds[sp.LessThan] + bounds[sp.GreaterThan]) != 0:
        raise ValueError(f"{cond} is not a symmetric bound -b <= {x} <= b")
    return sp.Le(sp.Abs(x), bounds[sp.LessThan])


def _alpha_first(expr):
    """A sum printed with its alpha term first (``alpha - h c``, not ``-h c + alpha``): the same terms."""
    return InOrder(*sorted(sp.Add.make_args(expr), key=lambda t: not t.has(ALPHA)))


def minimise_piecewise():
    """SymPy's minimiser of f, case by case.

    w > 0 and w < 0: f is a smooth quadratic there; solve f'(w) = 0 and keep the root when it
    has the sign assumed.  w = 0: the one-sided derivatives f'(0+) = alpha - h c and
    f'(0-) = -alpha - h c must bracket 0 (0 in the subdifferential).  Returns the Piecewise and the
    pieces for the text, each written as a person writes it (a condition solved for c, the bound
    on both sides as |c| <= alpha/h, the alpha term first) without changing what it means.
    """
    f = scalar_objective()
    cases = {}
    for name, sign in (("positive", 1), ("negative", -1)):
        smooth = f.subs(sp.Abs(W), sign * W)
        (root,) = sp.solve(sp.diff(smooth, W), W)
        holds = sp.solve_univariate_inequality(sign * root > 0, C, relational=True)
        cases[name] = (root, _solved_for(holds, C))
    s = sp.Symbol("s")
    right = sp.limit((f.subs(W, s) - f.subs(W, 0)) / s, s, 0, "+")
    left = sp.limit((f.subs(W, s) - f.subs(W, 0)) / s, s, 0, "-")
    zero_holds = sp.solve([sp.Ge(right, 0), sp.Le(left, 0)], C)
    cases["zero"] = (sp.Integer(0), _as_abs_bound(zero_holds, C))
    piecewise = sp.Piecewise(cases["positive"], cases["negative"], cases["zero"])
    return piecewise, cases, (_alpha_first(right), _alpha_first(left))


def l2_diagonal_scalar():
    """The L2 counterpart per coordinate: argmin of 1/2 h (w - c)^2 + alpha/2 w^2."""
    (root,) = sp.solve(sp.diff(sp.Rational(1, 2) * H * (W - C) ** 2 + ALPHA / 2 * W**2, W), W)
    return root


def _path_data():
    h, ws = np.array(PATH_CASE["h"]), np.array(PATH_CASE["w_star"])
    zero_at = h * np.abs(ws)
    alphas = np.linspace(0.0, 1.15 * zero_at.max(), 400)
    l1 = np.array([soft_threshold(ws, h, a) for a in alphas])
    l2 = np.array([l2_shrink_diagonal(ws, h, a) for a in alphas])
    return {"alphas": alphas, "l1": l1, "l2": l2, "zero_at": zero_at, "w_star": ws}


def _maps_data():
    ws = np.linspace(-3.0, 3.0, 601)
    h, a = np.full_like(ws, MAPS_CASE["h"]), MAPS_CASE["alpha"]
    return {
        "w_star": ws,
        "h": h,
        "alpha": a,
        "l1": soft_threshold(ws, h, a),
        "l2": l2_shrink_diagonal(ws, h, a),
        "threshold": a / MAPS_CASE["h"],
    }


def _geometry_data():
    h, ws, a = np.array(GEOMETRY_CASE["h"]), np.array(GEOMETRY_CASE["w_star"]), GEOMETRY_CASE["alpha"]
    x = np.linspace(-1.3, 2.1, 241)
    y = np.linspace(-1.3, 2.45, 251)
    X, Y = np.meshgrid(x, y)
    J = 0.5 * (h[0] * (X - ws[0]) ** 2 + h[1] * (Y - ws[1]) ** 2)
    out = {"X": X, "Y": Y, "J_hat": J, "w_star": ws}
    for name, sol in (("l1", soft_threshold(ws, h, a)), ("l2", l2_shrink_diagonal(ws, h, a))):
        out[name] = {
            "w": sol,
            "level": float(0.5 * np.sum(h * (sol - ws) ** 2)),
            "radius": float(np.linalg.norm(sol, ord=PENALTY_NORMS[name.upper()])),
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
    w_i, ws_i, h_ii, w_vec = W_I, WS_I, H_II, sp.Symbol(r"\tilde{w}_i")
    thr = ALPHA / h_ii
    i, n = sp.symbols("i n", integer=True, positive=True)

    piecewise, cases, (right, left) = minimise_piecewise()
    equations = {
        "p6.separable": sp.Eq(
            sp.Symbol(r"\alpha\|\mathbf{w}\|_1 + \hat{J}(\mathbf{w})"),
            InOrder(
                sp.Symbol(r"J(\mathbf{w}^{*})"),
                sp.Sum(
                    Bracket(InOrder(Scaled(1, 2, Product(h_ii, InOrder(w_i, -ws_i) ** 2)), ALPHA * sp.Abs(w_i))),
                    (i, 1, n),
                ),
            ),
            evaluate=False,
        ),
        "p6.cases": sp.Eq(
            w_i,
            sp.Piecewise(
                (InOrder(ws_i, -thr), sp.Gt(ws_i, thr)),
                (0, sp.Le(sp.Abs(ws_i), thr)),
                (InOrder(ws_i, thr), sp.Lt(ws_i, -thr)),
            ),
            evaluate=False,
        ),
        "p6.soft_threshold": sp.Eq(w_i, eq_723(ws_i, h_ii, ALPHA), evaluate=False),
        "p6.exact_zeros": sp.Implies(sp.Le(sp.Abs(ws_i), thr), sp.Eq(w_i, 0)),
        "p6.l2_diagonal": sp.Eq(w_vec, h_ii / (h_ii + ALPHA) * ws_i, evaluate=False),
        "p6.zero_alpha": sp.Eq(sp.Symbol(r"\alpha^{0}_{i}"), h_ii * sp.Abs(ws_i), evaluate=False),
        "p6.geometry": tuple(
            sp.Eq(
                sp.Symbol(r"\tilde{\mathbf{w}}_{\mathrm{%s}}" % name),
                sp.Symbol(r"\operatorname*{arg\,min}_{\|\mathbf{w}\|_{%s} \le \|\tilde{\mathbf{w}}_{\mathrm{%s}}\|_{%s}} \hat J(\mathbf{w})" % (p, name, p)),
            )
            for name, p in PENALTY_NORMS.items()
        ),
        # the L2 points and curves of the figures are Problem 5's closed form for their diagonal H
        "p6.l2_numeric": sp.Eq(
            sp.Symbol(r"\tilde{\mathbf{w}}_{\mathrm{L2}}"),
            sp.Symbol(r"(\mathbf{H} + \alpha\mathbf{I})^{-1}\mathbf{H}\mathbf{w}^{*}"),
        ),
        # the L1 path is the LASSO's on a design with X^T X / m = H and y = X w* (scikit-learn's objective)
        "p6.lasso_path": sp.Eq(
            sp.Symbol(r"\tilde{\mathbf{w}}_{\mathrm{L1}}"),
            sp.Symbol(r"\operatorname{arg\,min}_{\mathbf{w}} \tfrac{1}{2m}\|\mathbf{y} - \mathbf{X}\mathbf{w}\|^2"
                      r" + \alpha\|\mathbf{w}\|_1"),
        ),
    }
    path = _path_data()
    geometry = _geometry_data()
    c, hv, av = _samples(np.random.default_rng(6))
    n_zeros = int(np.sum(np.abs(c) <= av / hv))  # where Eq. 7.23 says 0
    figures = (
        Figure("p06_shrinkage", "figures.regularization:l1_shrinkage", {"maps": _maps_data(), "geometry": geometry},
               width=6.2, height=2.35, ncols=3),
        Figure("p06_paths", "figures.regularization:l1_paths", path, width=4.3, height=2.3, ncols=2),
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


def _samples(rng):
    """Random coordinates (``SAMPLES``), plus the ``EDGE_CASES`` (on the threshold, and w* = 0)."""
    m = SAMPLES["m"]
    c = rng.normal(scale=SAMPLES["w_star_scale"], size=m)
    h = rng.uniform(*SAMPLES["h"], size=m)
    a = rng.uniform(*SAMPLES["alpha"], size=m)
    return (
        np.concatenate([c, EDGE_CASES["w_star"]]),
        np.concatenate([h, EDGE_CASES["h"]]),
        np.concatenate([a, EDGE_CASES["alpha"]]),
    )
