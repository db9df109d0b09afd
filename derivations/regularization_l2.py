"""Problem 5: L2 regularization of a quadratic minimum (Deep Learning book, Sec. 7.1.1).

Around the minimum w* of the unregularised loss J, J is approximated by
J^(w) = J(w*) + 1/2 (w - w*)^T H (w - w*) (assignment Eq. 6, book Eq. 7.6).  Adding
alpha/2 ||w||^2 (the assignment's Eq. 7 writes J on both sides; it means
J~ = alpha/2 ||w||^2 + J, book Eq. 7.2) moves the minimum to w~ = (H + alpha I)^-1 H w*
(Eq. 7.10); with H = Q Lambda Q^T this is w~ = Q (Lambda + alpha I)^-1 Lambda Q^T w* (Eq. 7.13):
the component of w* along eigenvector i is multiplied by lambda_i / (lambda_i + alpha).

``derive_l2`` obtains the gradient by SymPy matrix calculus and solves grad = 0 on explicit
symbolic 2x2 and 3x3 matrices; ``verify_l2`` checks each result by another route
(component-wise differentiation, the closed form inverted explicitly, a symbolic rotation,
BFGS minimisation with finite-difference gradients, a grid search over the figure's window).
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy.matrices.exceptions import NonInvertibleMatrixError, NonSquareMatrixError
from sympy.polys.fields import sfield

from derivations import shrinkage
from derivations.ledger import Derivation, Figure, numeric_claim, relative_error, symbolic_claim
from derivations.regularization_tex import MatSum
from derivations.tex import tex

__all__ = ["derive_l2", "verify_l2", "FIGURE_CASE"]

ALPHA = sp.Symbol("alpha", positive=True)
N = sp.Symbol("n", integer=True, positive=True)

# The figure's quadratic: one small and one large eigenvalue, eigenvectors rotated by 25 degrees.
FIGURE_CASE = {"lambdas": (0.5, 4.0), "theta_deg": 25.0, "alpha": 1.0, "w_star": (2.0, 1.6)}
# Sizes of the explicit symbolic H on which SymPy solves grad = 0.
STATIONARY_SIZES = (2, 3)
# Random positive-definite H for the numeric checks: the range of its eigenvalues.
SPD_EIGENVALUES = (0.2, 5.0)
# BFGS run to (near) float precision.
BFGS_OPTIONS = {"gtol": 1e-11, "maxiter": 2000}
# The figure's coordinates are printed to 3 decimals; they are solves and eigenvectors of 2x2
# matrices of size ~4, which round to ~1e-15 and may differ by that from one processor to another,
# so each must sit at least this far (absolute) from the point where its third decimal changes.
PRINTED_DECIMALS, PRINTED_MARGIN = 3, 1e-9


# --------------------------------------------------------------------------- symbols


def _symbols(n):
    w = sp.MatrixSymbol("w", n, 1)
    w_star = sp.MatrixSymbol(r"\mathbf{w}^{*}", n, 1)
    w_tilde = sp.MatrixSymbol(r"\tilde{\mathbf{w}}", n, 1)
    H = sp.MatrixSymbol("H", n, n)
    I = sp.MatrixSymbol("I", n, n)  # printed as bold I; explicit checks use sp.eye
    return w, w_star, w_tilde, H, I


def _explicit(n: int):
    """Explicit symbolic w, w*, symmetric H of size n (entries are plain symbols)."""
    w = sp.Matrix(sp.symbols(f"w1:{n + 1}", real=True))
    w_star = sp.Matrix(sp.symbols(f"s1:{n + 1}", real=True))
    H = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"h{min(i, j) + 1}{max(i, j) + 1}", real=True))
    return w, w_star, H


def _regularized_scalar(w, w_star, H):
    """J~(w) - J(w*) = alpha/2 w^T w + 1/2 (w - w*)^T H (w - w*), explicit."""
    d = w - w_star
    return (ALPHA / 2 * (w.T * w) + sp.Rational(1, 2) * (d.T * H * d))[0, 0]


def ridge_expression(H, I, w_star):
    """Eq. 7.10 as it is printed, (H + alpha I)^-1 H w*, from symbols or explicit matrices."""
    return sp.MatMul(sp.Inverse(MatSum(H, ALPHA * I)), H, w_star)


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


# --------------------------------------------------------------------------- derivation


def gradient_by_matrix_calculus():
    """grad_w of alpha/2 w^T w + 1/2 (w - w*)^T H (w - w*) for symmetric H, general n."""
    w, w_star, _, H, _ = _symbols(N)
    J = ALPHA / 2 * (w.T * w) + sp.Rational(1, 2) * (w - w_star).T * H * (w - w_star)
    raw = sp.diff(J, w)
    return raw, raw.subs(H.T, H)


def solve_stationary(n: int):
    """SymPy sets each component of the gradient of the explicit scalar to 0 and solves."""
    w, w_star, H = _explicit(n)
    J = _regularized_scalar(w, w_star, H)
    equations = [sp.diff(J, wi) for wi in w]
    (solution,) = sp.linsolve(equations, list(w))
    return sp.Matrix(solution), (w, w_star, H)


def figure_case():
    """The H, w* and alpha of Figure 7.1 regenerated, with the quantities the text quotes."""
    lam = np.array(FIGURE_CASE["lambdas"])
    th = np.deg2rad(FIGURE_CASE["theta_deg"])
    Q = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    H = Q @ np.diag(lam) @ Q.T
    alpha = FIGURE_CASE["alpha"]
    w_star = np.array(FIGURE_CASE["w_star"])
    w_tilde = shrinkage.ridge_solution(H, alpha, w_star)
    return H, Q, lam, alpha, w_star, w_tilde


def _figure_data(H, Q, lam, alpha, w_star, w_tilde):
    x = np.linspace(-0.6, 3.0, 241)
    y = np.linspace(-0.6, 2.6, 215)
    X, Y = np.meshgrid(x, y)
    P = np.stack([X - w_star[0], Y - w_star[1]], axis=-1)
    J_hat = 0.5 * np.einsum("...i,ij,...j->...", P, H, P)
    penalty = 0.5 * alpha * (X**2 + Y**2)
    alphas = np.concatenate([[0.0], np.logspace(-2, 2.5, 160)])
    path = np.array([shrinkage.ridge_solution(H, a, w_star) for a in alphas])
    marks = [0.25, 1.0, 4.0]
    return {
        "X": X,
        "Y": Y,
        "J_hat": J_hat,
        "penalty": penalty,
        "w_star": w_star,
        "w_tilde": w_tilde,
        "alpha": alpha,
        "Q": Q,
        "lambdas": lam,
        "path": path,
        "path_marks": {a: shrinkage.ridge_solution(H, a, w_star) for a in marks},
    }


def _factor_data(lam, alpha):
    ratio = np.logspace(-2, 2, 200)
    return {"ratio": ratio, "factor": ratio / (ratio + 1.0), "points": [(l / alpha, l / (l + alpha)) for l in lam]}


def derive_l2() -> Derivation:
    w, w_star, w_tilde, H, I = _symbols(N)
    grad = sp.MatrixSymbol(r"\nabla_{\mathbf{w}}\tilde{J}(\mathbf{w})", N, 1)
    Q = sp.MatrixSymbol("Q", N, N)
    Lam = sp.MatrixSymbol(r"\boldsymbol{\Lambda}", N, N)
    q_i = sp.MatrixSymbol(r"\mathbf{q}_i", N, 1)
    lam_i = sp.Symbol(r"\lambda_i", positive=True)

    raw_gradient, gradient = gradient_by_matrix_calculus()
    solutions = {n: solve_stationary(n) for n in STATIONARY_SIZES}

    equations = {
        "p5.gradient": sp.Eq(grad, MatSum(ALPHA * w, sp.MatMul(H, MatSum(w, -w_star))), evaluate=False),
        "p5.ridge": sp.Eq(w_tilde, ridge_expression(H, I, w_star), evaluate=False),
        "p5.eigen": sp.Eq(
            w_tilde, sp.MatMul(Q, sp.Inverse(MatSum(Lam, ALPHA * I)), Lam, Q.T, w_star), evaluate=False
        ),
        "p5.factor": sp.Eq(
            sp.MatMul(q_i.T, w_tilde), sp.MatMul(lam_i / (lam_i + ALPHA), q_i.T, w_star), evaluate=False
        ),
    }

    H_num, Q_num, lam, alpha, ws_num, wt_num = figure_case()
    coords_star, coords_tilde = Q_num.T @ ws_num, Q_num.T @ wt_num
    fig = Figure("p05_fig71", "figures.regularization:l2_contours", _figure_data(*figure_case()), width=3.4, height=3.0)
    fig_factor = Figure("p05_factor", "figures.regularization:l2_factor", _factor_data(lam, alpha), width=2.7, height=2.45)
    # 2x2 symbols: an Eq with an explicit matrix must stay unevaluated
    drawn, Q2, ws2 = sp.MatrixSymbol(r"\tilde{\mathbf{w}}", 2, 1), sp.MatrixSymbol("Q", 2, 2), sp.MatrixSymbol(r"\mathbf{w}^{*}", 2, 1)
    equations["p5.figure"] = sp.Eq(drawn, sp.ImmutableMatrix(np.round(wt_num, 3).reshape(2, 1)), evaluate=False)
    equations["p5.figure_coords"] = (
        sp.Eq(sp.MatMul(Q2.T, ws2), sp.ImmutableMatrix(np.round(coords_star, 3).reshape(2, 1)), evaluate=False),
        sp.Eq(sp.MatMul(Q2.T, drawn), sp.ImmutableMatrix(np.round(coords_tilde, 3).reshape(2, 1)), evaluate=False),
    )
    return Derivation(
        problem=5,
        equations=equations,
        context={
            "raw_gradient": raw_gradient,
            "gradient": gradient,
            "solutions": solutions,
            "figure": {
                "lambdas": lam.tolist(),
                "theta_deg": FIGURE_CASE["theta_deg"],
                "alpha": alpha,
                "w_star": ws_num.tolist(),
                "w_tilde": wt_num.tolist(),
                "factors": (lam / (lam + alpha)).tolist(),
            },
            "raw_gradient_tex": tex(raw_gradient),
        },
        figures=(fig, fig_factor),
    )


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
            method="SymPy differentiation of the scalar, component by component, symmetric 3x3 H",
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
            method="solution of grad = 0 (SymPy linsolve) vs explicit inverse, symbolic 2x2 and 3x3 H",
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
            worst = max(worst, relative_error(shrinkage.ridge_solution(Hn, a, ws), _bfgs_minimum(Hn, a, ws)))
    claims.append(
        numeric_claim(
            "p5.ridge_bfgs",
            eq["p5.ridge"],
            worst,
            1e-6,
            method="BFGS minimisation of the regularized quadratic with central-difference gradients",
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
            method="Eq. 7.13 vs Eq. 7.10 for a 2x2 H with symbolic eigenvalues, rotated by a symbolic angle",
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
            method="components of Eq. 7.10 along both eigenvectors vs lambda/(lambda + alpha) times those of w*, same H",
        )
    )
    # Eq. 7.13 numerically: numpy.linalg.eigh route against the linear solve of ridge_solution
    worst, bound = 0.0, 0.0
    for n in (2, 3, 5, 8, 20):
        Hn = _random_spd(rng, n)
        a = float(rng.uniform(0.1, 2.0))
        ws = rng.normal(size=n)
        lam, V = np.linalg.eigh(Hn)
        via_713 = V @ ((lam / (lam + a)) * (V.T @ ws))
        worst = max(worst, relative_error(via_713, shrinkage.ridge_solution(Hn, a, ws)))
        bound = max(bound, 10 * n * np.linalg.cond(Hn + a * np.eye(n)) * np.finfo(float).eps)
    claims.append(
        numeric_claim(
            "p5.eigen_numeric",
            sp.Eq(sp.Symbol(r"\text{Eq.~7.13 via } \texttt{eigh}"), sp.Symbol(r"\text{Eq.~7.10 via } \texttt{solve}")),
            worst,
            bound,
            method="numpy eigh route vs linear solve; tolerance 10 n cond(H + alpha I) eps",
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
            method="grid search of the regularized objective over the figure's window, spacing 0.002, vs the printed value; "
            f"the printed coordinates at least {PRINTED_MARGIN:g} from a rounding boundary",
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
            method="numpy eigh of the figure's H: printed coordinates (3 decimals), the factors in the text, "
            "the dots of Figure b; its curve against the printed factor of the eigen-direction statement",
            reproduce=f"FIGURE_CASE = {FIGURE_CASE}",
        )
    )
    return claims
