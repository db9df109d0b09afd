"""Problem 5's checks: ``verify_l2`` and its independent routes.

Each result of :mod:`derivations.regularization.derivation` is checked by another route:
component-wise differentiation of the explicit scalar, SymPy's solution of grad = 0 against the
printed closed form inverted by adjugates, a symbolic rotation, BFGS minimisation with
finite-difference gradients, ``numpy.linalg.eigh``, and a grid search over the figure's window.
The exact helpers here (:func:`closed_form_710`, :func:`evaluate`, :func:`_cancelled`) evaluate a
printed statement on explicit matrices; Problem 6's checks use them too.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy.matrices.exceptions import NonInvertibleMatrixError, NonSquareMatrixError
from sympy.polys.fields import sfield

from derivations.display import evaluate as evaluate_printed
from derivations.ledger import Derivation, numeric_claim, relative_error, symbolic_claim
from derivations.regularization.derivation import (
    ALPHA,
    FIGURE_CASE,
    N,
    _explicit,
    _regularized_scalar,
    figure_case,
    ridge_expression,
)
from derivations.regularization.method import ridge_solution

__all__ = ["verify_l2", "closed_form_710", "evaluate", "rotation_rational"]

# Random positive-definite H for the numeric checks: the range of its eigenvalues.
SPD_EIGENVALUES = (0.2, 5.0)
# BFGS run to (near) float precision.
BFGS_OPTIONS = {"gtol": 1e-11, "maxiter": 2000}
# The figure's coordinates are printed to 3 decimals; they are solves and eigenvectors of 2x2
# matrices of size ~4, which round to ~1e-15 and may differ by that from one processor to another,
# so each must sit at least this far (absolute) from the point where its third decimal changes.
PRINTED_DECIMALS, PRINTED_MARGIN = 3, 1e-9


def closed_form_710(H, w_star):
    """Eq. 7.10 on explicit matrices: the printed expression with H, I and w* filled in."""
    H = sp.ImmutableMatrix(H)
    return _done(ridge_expression(H, sp.ImmutableMatrix(sp.eye(H.shape[0])), sp.ImmutableMatrix(w_star)))


def _inverse_adj(M):
    """M^-1 = adj(M) / det(M), as ``M.inv(method="ADJ")`` computes it, but with the determinant tested
    for being identically zero by ``cancel`` (exact for the rational entries here) instead of SymPy's
    ``equals(0)``, which samples numerically and dominated the cost."""
    M = sp.ImmutableMatrix(M)
    if not M.is_square:
        raise NonSquareMatrixError("A Matrix must be square to invert.")
    d = M.det(method="berkowitz")
    if sp.cancel(d) == 0:
        raise NonInvertibleMatrixError("Matrix det == 0; not invertible.")
    return M.adjugate() / d


def _done(expr):
    """doit() on explicit matrices, inverting by adjugates (SymPy's default elimination is slow on symbols)."""
    expr = expr.replace(lambda e: isinstance(e, sp.Inverse), lambda e: _inverse_adj(e.arg.doit()))
    out = expr.doit()
    return sp.Matrix(out) if getattr(out, "is_Matrix", False) else out


def _cancelled(expr):
    """``expr`` as one reduced fraction p/q, exactly (0 iff ``expr`` is identically 0 as a rational
    function): SymPy's sparse rational-function field, several times faster than ``sp.cancel`` on
    the large residuals of the closed forms."""
    return sfield(expr)[1].as_expr()


def evaluate(expr, n: int, values: dict):
    """A printed statement (or side) on explicit objects: the size N set to n, every symbol or
    matrix symbol whose name is a key of ``values`` replaced by its value, display classes done."""
    expr = expr.subs(N, n)
    atoms = expr.atoms(sp.Symbol, sp.MatrixSymbol)
    swap = {a: sp.ImmutableMatrix(values[a.name]) if isinstance(a, sp.MatrixSymbol) else values[a.name]
            for a in atoms if a.name in values}
    for a, v in swap.items():
        if isinstance(a, sp.MatrixSymbol) and a.shape != v.shape:
            raise ValueError(f"{a.name} is {a.shape[0]}x{a.shape[1]} in the statement but the value given is {v.shape[0]}x{v.shape[1]}")
    return _done(expr.xreplace(swap))


def rotation_rational(u):
    """The rotation by theta with cos theta = (1 - u^2)/(1 + u^2), sin theta = 2u/(1 + u^2), u = tan(theta/2).

    Every angle but theta = pi is covered, and Q^T Q = I holds as an identity of rational functions.
    """
    c, s = (1 - u**2) / (1 + u**2), 2 * u / (1 + u**2)
    return sp.Matrix([[c, -s], [s, c]])


# --------------------------------------------------------------------------- verification


def _bfgs_minimum(H, alpha, w_star):
    """Minimise alpha/2 |w|^2 + 1/2 (w - w*)^T H (w - w*) with BFGS and 3-point FD gradients."""
    from scipy.optimize import minimize

    def f(w):
        d = w - w_star
        return 0.5 * alpha * w @ w + 0.5 * d @ H @ d

    res = minimize(f, np.zeros_like(w_star), method="BFGS", jac="3-point", options=BFGS_OPTIONS)
    return res.x


def _random_spd(rng, n):
    A = rng.normal(size=(n, n))
    Q, _ = np.linalg.qr(A)
    lam = rng.uniform(*SPD_EIGENVALUES, size=n)
    return Q @ np.diag(lam) @ Q.T


def verify_l2(derivation: Derivation):
    eq = derivation.equations
    claims = []

    # (i) the gradient: the printed statement, and SymPy's raw matrix-calculus result shown before
    # it, on a symmetric 3x3 H, against component-wise differentiation of the scalar
    w, w_star, H = _explicit(3)
    J = _regularized_scalar(w, w_star, H)
    componentwise = sp.Matrix([sp.diff(J, wi) for wi in w])
    values = {"w": w, r"\mathbf{w}^{*}": w_star, "H": H, "I": sp.eye(3)}
    residual = [componentwise - evaluate(eq["p5.gradient"].rhs, 3, values)]
    residual.append(componentwise - evaluate(derivation.context["raw_gradient"], 3, values))
    # the step between them, H^T = H: the combined form equals the printed one for any H, symmetric or not
    general = {**values, "H": sp.Matrix(3, 3, sp.symbols("g1:10", real=True))}
    residual.append(evaluate(derivation.context["gradient"], 3, general) - evaluate(eq["p5.gradient"].rhs, 3, general))
    claims.append(
        symbolic_claim(
            "p5.gradient",
            eq["p5.gradient"],
            sp.Matrix.vstack(*residual).applyfunc(sp.expand),
            method="SymPy differentiates the scalar component by component, symmetric 3x3 H",
        )
    )

    # (i) the closed form: SymPy's solution of grad = 0 against the printed (H + alpha I)^-1 H w*
    residual = []
    for n, (solution, (_, ws_n, H_n)) in derivation.context["solutions"].items():
        stated = evaluate(eq["p5.ridge"].rhs, n, {"H": H_n, r"\mathbf{w}^{*}": ws_n, "I": sp.eye(n)})
        residual.extend(list((solution - stated).applyfunc(_cancelled)))
    claims.append(
        symbolic_claim(
            "p5.ridge",
            eq["p5.ridge"],
            sp.Matrix(residual),
            method="SymPy solves grad = 0 for symbolic 2x2 and 3x3 H; vs the inverse written out",
        )
    )

    # (i) numerically: the public ridge_solution against BFGS minimisation of the scalar
    rng = np.random.default_rng(5)
    worst = 0.0
    for n in (2, 3, 5, 8):
        for _ in range(3):
            Hn = _random_spd(rng, n)
            a = float(rng.uniform(0.1, 2.0))
            ws = rng.normal(size=n)
            worst = max(worst, relative_error(ridge_solution(Hn, a, ws), _bfgs_minimum(Hn, a, ws)))
    claims.append(
        numeric_claim(
            "p5.ridge_bfgs",
            eq["p5.ridge_bfgs"],
            worst,
            1e-6,
            method="BFGS on the objective, central-difference gradients, n = 2 to 8",
            reproduce="seed 5, n = 2, 3, 5, 8, three H per n, eigenvalues U(0.2, 5), alpha U(0.1, 2)",
        )
    )

    # (ii) the printed Eq. 7.13 against Eq. 7.10, 2x2 with a symbolic rotation angle theta; cos and
    # sin are written through u = tan(theta/2), so both sides are rational in u and cancel exactly
    u = sp.Symbol("u", real=True)
    l1, l2 = sp.symbols("lambda1 lambda2", positive=True)
    s = sp.Matrix(sp.symbols("s1 s2", real=True))
    Q = rotation_rational(u)
    H_rot = Q * sp.diag(l1, l2) * Q.T
    w_t = closed_form_710(H_rot, s)
    stated = evaluate(eq["p5.eigen"].rhs, 2, {"Q": Q, r"\boldsymbol{\Lambda}": sp.diag(l1, l2), "I": sp.eye(2), r"\mathbf{w}^{*}": s})
    claims.append(
        symbolic_claim(
            "p5.eigen",
            eq["p5.eigen"],
            (stated - w_t).applyfunc(_cancelled),
            method="vs Eq. 7.10, 2x2 H with symbolic eigenvalues and rotation angle (exact)",
        )
    )
    # the factor per eigen-direction: both sides of the printed statement, for each eigenvector
    factor = eq["p5.factor"]
    factor_residual = [
        _cancelled(evaluate(factor.lhs - factor.rhs, 2, {r"\mathbf{q}_i": Q[:, i], r"\tilde{\mathbf{w}}": w_t,
                                                       r"\mathbf{w}^{*}": s, r"\lambda_i": lam})[0, 0])
        for i, lam in enumerate((l1, l2))
    ]
    claims.append(
        symbolic_claim(
            "p5.factor",
            factor,
            sp.Matrix(factor_residual),
            method="Eq. 7.10 along both eigenvectors of the same symbolic H (exact)",
        )
    )
    # Eq. 7.13 numerically: the printed sum over eigenvectors, evaluated with numpy.linalg.eigh's
    # eigenpairs, against the linear solve of ridge_solution
    stated = eq["p5.eigen_numeric"].rhs
    worst, bound = 0.0, 0.0
    for n in (2, 3, 5, 8, 20):
        Hn = _random_spd(rng, n)
        a = float(rng.uniform(0.1, 2.0))
        ws = rng.normal(size=n)
        lam, V = np.linalg.eigh(Hn)
        env = {"n": n, "alpha": a, r"\mathbf{w}^{*}": ws.reshape(n, 1),
               r"\mathbf{q}_i": lambda k, V=V: V[:, k - 1 : k], r"\lambda_i": lambda k, lam=lam: float(lam[k - 1])}
        via_713 = np.ravel(evaluate_printed(stated, env))
        worst = max(worst, relative_error(via_713, ridge_solution(Hn, a, ws)))
        bound = max(bound, 10 * n * np.linalg.cond(Hn + a * np.eye(n)) * np.finfo(float).eps)
    claims.append(
        numeric_claim(
            "p5.eigen_numeric",
            eq["p5.eigen_numeric"],
            worst,
            bound,
            method="the sum on numpy eigh's eigenpairs vs a linear solve; tol 10 n cond eps",
            reproduce="seed 5 (continued), n = 2, 3, 5, 8, 20",
        )
    )

    # (iii) the w~ drawn in the figure is the minimiser on a fine grid over the figure's window
    H_f, Q_f, _, a_f, ws_f, wt_f = figure_case()
    step = 2e-3
    g = np.arange(-0.6, 3.0 + step / 2, step)
    X, Y = np.meshgrid(g, g)
    P = np.stack([X - ws_f[0], Y - ws_f[1]], axis=-1)
    F = 0.5 * a_f * (X**2 + Y**2) + 0.5 * np.einsum("...i,ij,...j->...", P, H_f, P)
    # argmin: a near-tie may pick either grid point; any point whose F is within rounding (~1e-15 F)
    # of the grid minimum meets the bound below, so the choice cannot decide the check
    k = np.unravel_index(np.argmin(F), F.shape)
    grid_min = np.array([X[k], Y[k]])
    A = H_f + a_f * np.eye(2)
    # grid: (g - w~)^T A (g - w~) <= lambda_max step^2 / 2; printing: 3 decimals, 5e-4 per entry
    tol = np.sqrt(np.linalg.cond(A) / 2) * step + np.sqrt(2) * 5e-4
    printed = np.array(eq["p5.figure"].rhs, dtype=float).ravel()
    err = float(np.linalg.norm(grid_min - printed))
    # the contours drawn are of J^ and of the penalty: the figure's grids against the eigen-form
    # sum_i lambda_i (q_i^T (w - w*))^2 / 2 and alpha |w|^2 / 2 by hypot; two routes of 2x2 forms of
    # size < 40 differ by ~10 eps relative, 1e-12 leaves room and is far below any wrong formula
    drawn = next(f.data for f in derivation.figures if f.name == "p05_fig71")
    Xd, Yd = drawn["X"], drawn["Y"]
    coords = np.stack([Xd - ws_f[0], Yd - ws_f[1]], axis=-1) @ Q_f
    J_eigen = 0.5 * (coords**2 @ np.asarray(FIGURE_CASE["lambdas"]))
    penalty = 0.5 * a_f * np.hypot(Xd, Yd) ** 2
    if not (np.allclose(drawn["J_hat"], J_eigen, rtol=1e-12, atol=1e-12)
            and np.allclose(drawn["penalty"], penalty, rtol=1e-12, atol=1e-12)):
        err = np.inf  # the figure would draw other functions than the text describes
    # The printed (rounded) values clear of their rounding boundaries, else the check fails.
    half = 0.5 * 10.0**-PRINTED_DECIMALS
    clearance = min(half - abs(v - round(v, PRINTED_DECIMALS))
                    for v in np.concatenate([wt_f, Q_f.T @ ws_f, Q_f.T @ wt_f]).tolist())
    claims.append(
        numeric_claim(
            "p5.figure",
            eq["p5.figure"],
            err if clearance >= PRINTED_MARGIN else np.inf,
            tol,
            method="grid search (spacing 0.002) over the figure's window; its contours; digits clear",
            reproduce=f"FIGURE_CASE = {FIGURE_CASE}",
            detail="" if clearance >= PRINTED_MARGIN else
            f"a printed coordinate lies {clearance:.1e} from its rounding boundary at {PRINTED_DECIMALS} decimals",
        )
    )

    # (iii) the eigen-coordinates the text quotes, the factors, and the dots and curve of Figure b,
    # against numpy.linalg.eigh of the figure's H (eigenvector signs taken from the drawn axes)
    lam_e, V = np.linalg.eigh(H_f)
    alignment = np.sum(V * Q_f, axis=0)  # +-1 (to rounding) for eigenvectors along the drawn axes
    V = V * np.sign(alignment)
    star_e, tilde_e = V.T @ ws_f, V.T @ wt_f
    on_figure = {"Q": V, r"\mathbf{w}^{*}": ws_f.reshape(2, 1), r"\tilde{\mathbf{w}}": wt_f.reshape(2, 1)}
    printed = [np.array(e.rhs, dtype=float).ravel() for e in eq["p5.figure_coords"]]
    stated = [np.array(evaluate(e.lhs, 2, on_figure), dtype=float).ravel() for e in eq["p5.figure_coords"]]
    fig_b = next(f.data for f in derivation.figures if f.name == "p05_factor")
    coef, _ = eq["p5.factor"].rhs.as_coeff_mmul()
    stated_factor = sp.lambdify((sp.Symbol(r"\lambda_i", positive=True), ALPHA), coef, "numpy")
    errors = [
        np.abs(printed[0] - stated[0]),  # the printed left sides evaluated with the eigh eigenvectors
        np.abs(printed[1] - stated[1]),
        np.abs(np.array(derivation.context["figure"]["factors"]) - tilde_e / star_e),
        np.abs(np.array(fig_b["points"]) - np.column_stack([lam_e / a_f, tilde_e / star_e])).ravel(),
        np.abs(fig_b["factor"] - stated_factor(fig_b["ratio"], 1.0)),
    ]
    claims.append(
        numeric_claim(
            "p5.figure_coords",
            eq["p5.figure_coords"],
            # the sign decision above needs |alignment| far from 0 (it is 1 for the right axes)
            float(max(e.max() for e in errors)) if np.all(np.abs(alignment) > 0.5) else np.inf,
            # half a unit of the third decimal, plus the round-off of the two routes (eigh and the
            # figure's rotation, 2x2 matrices of size ~4: ~1e-15; 1e-12 leaves room); the printed
            # values clear their rounding boundaries by PRINTED_MARGIN (checked in p5.figure)
            5e-4 + 1e-12,
            method="numpy eigh of the figure's H: coordinates, factors, the factor plot's dots and curve",
            reproduce=f"FIGURE_CASE = {FIGURE_CASE}",
        )
    )
    return claims
