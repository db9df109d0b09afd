"""Problem 5: L2 regularization of a quadratic minimum (Deep Learning book, Sec. 7.1.1).

Around the minimum w* of the unregularised loss J, J is approximated by
J^(w) = J(w*) + 1/2 (w - w*)^T H (w - w*) (assignment Eq. 6, book Eq. 7.6).  Adding
alpha/2 ||w||^2 (the assignment's Eq. 7 writes J on both sides; it means
J~ = alpha/2 ||w||^2 + J, book Eq. 7.2) moves the minimum to w~ = (H + alpha I)^-1 H w*
(Eq. 7.10); with H = Q Lambda Q^T this is w~ = Q (Lambda + alpha I)^-1 Lambda Q^T w* (Eq. 7.13):
the component of w* along eigenvector i is multiplied by lambda_i / (lambda_i + alpha).

``derive_l2`` obtains the gradient by SymPy matrix calculus and solves grad = 0 on explicit
symbolic 2x2 and 3x3 matrices; ``verify_l2`` (:mod:`derivations.regularization.checks`) checks
each result by another route (component-wise differentiation, the closed form inverted
explicitly, a symbolic rotation, BFGS minimisation with finite-difference gradients, a grid
search over the figure's window).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations.display import AsWritten, IndexedSum, MatInOrder
from derivations.ledger import Derivation, Figure
from derivations.regularization.method import ridge_solution

__all__ = ["derive_l2", "FIGURE_CASE", "ALPHA", "N", "ridge_expression", "gradient_by_matrix_calculus",
           "solve_stationary", "figure_case"]

ALPHA = sp.Symbol("alpha", positive=True)
N = sp.Symbol("n", integer=True, positive=True)

# The figure's quadratic: one small and one large eigenvalue, eigenvectors rotated by 25 degrees.
FIGURE_CASE = {"lambdas": (0.5, 4.0), "theta_deg": 25.0, "alpha": 1.0, "w_star": (2.0, 1.6)}
# Sizes of the explicit symbolic H on which SymPy solves grad = 0.
STATIONARY_SIZES = (2, 3)


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
    return sp.MatMul(sp.Inverse(MatInOrder(H, ALPHA * I)), H, w_star)


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
    w_tilde = ridge_solution(H, alpha, w_star)
    return H, Q, lam, alpha, w_star, w_tilde


def _figure_data(H, Q, lam, alpha, w_star, w_tilde):
    x = np.linspace(-0.6, 3.0, 241)
    y = np.linspace(-0.6, 2.6, 215)
    X, Y = np.meshgrid(x, y)
    P = np.stack([X - w_star[0], Y - w_star[1]], axis=-1)
    J_hat = 0.5 * np.einsum("...i,ij,...j->...", P, H, P)
    penalty = 0.5 * alpha * (X**2 + Y**2)
    alphas = np.concatenate([[0.0], np.logspace(-2, 2.5, 160)])
    path = np.array([ridge_solution(H, a, w_star) for a in alphas])
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
        "path_marks": {a: ridge_solution(H, a, w_star) for a in marks},
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
    i = sp.Symbol("i", integer=True, positive=True)

    raw_gradient, gradient = gradient_by_matrix_calculus()
    solutions = {n: solve_stationary(n) for n in STATIONARY_SIZES}

    equations = {
        "p5.gradient": sp.Eq(grad, MatInOrder(ALPHA * w, sp.MatMul(H, MatInOrder(w, -w_star))), evaluate=False),
        "p5.ridge": sp.Eq(w_tilde, ridge_expression(H, I, w_star), evaluate=False),
        # the closed form is the minimum, not only a stationary point (checked by minimising J~)
        "p5.ridge_bfgs": AsWritten(w_tilde, sp.Symbol(r"\operatorname{arg\,min}_{\mathbf{w}} \tilde{J}(\mathbf{w})")),
        "p5.eigen": sp.Eq(
            w_tilde, sp.MatMul(Q, sp.Inverse(MatInOrder(Lam, ALPHA * I)), Lam, Q.T, w_star), evaluate=False
        ),
        "p5.factor": sp.Eq(
            sp.MatMul(q_i.T, w_tilde), sp.MatMul(lam_i / (lam_i + ALPHA), q_i.T, w_star), evaluate=False
        ),
        # the same, summed over the eigenvectors: the form evaluated in floating point
        "p5.eigen_numeric": sp.Eq(
            w_tilde, IndexedSum(sp.MatMul(lam_i / (lam_i + ALPHA), q_i, q_i.T, w_star), i, 1, N), evaluate=False
        ),
    }

    H_num, Q_num, lam, alpha, ws_num, wt_num = figure_case()
    coords_star, coords_tilde = Q_num.T @ ws_num, Q_num.T @ wt_num
    fig = Figure("p05_fig71", "figures.regularization:l2_contours", _figure_data(*figure_case()), width=3.3, height=2.8)
    fig_factor = Figure("p05_factor", "figures.regularization:l2_factor", _factor_data(lam, alpha), width=2.7, height=2.4)
    # 2x2 symbols: an Eq with an explicit matrix must stay unevaluated.  Row vectors (w~^T, and the
    # eigen-coordinates as the row w^T Q), so that the text can print them inline.
    drawn, Q2, ws2 = sp.MatrixSymbol(r"\tilde{\mathbf{w}}", 2, 1), sp.MatrixSymbol("Q", 2, 2), sp.MatrixSymbol(r"\mathbf{w}^{*}", 2, 1)
    equations["p5.figure"] = sp.Eq(drawn.T, sp.ImmutableMatrix(np.round(wt_num, 3).reshape(1, 2)), evaluate=False)
    equations["p5.figure_coords"] = (
        sp.Eq(sp.MatMul(ws2.T, Q2), sp.ImmutableMatrix(np.round(coords_star, 3).reshape(1, 2)), evaluate=False),
        sp.Eq(sp.MatMul(drawn.T, Q2), sp.ImmutableMatrix(np.round(coords_tilde, 3).reshape(1, 2)), evaluate=False),
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
        },
        figures=(fig, fig_factor),
    )
