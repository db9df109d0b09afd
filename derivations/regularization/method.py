"""The numeric closed forms of Problems 5 and 6: L2 and L1 shrinkage of a quadratic minimum.

With the quadratic model J^(w) = J(w*) + 1/2 (w - w*)^T H (w - w*) of the loss around its
minimum w* (Deep Learning book Eq. 7.6), adding a weight penalty moves the minimum:

* L2, alpha/2 ||w||^2 (Eq. 7.10): ``ridge_solution(H, alpha, w_star) = (H + alpha I)^-1 H w*``;
* L1 with a diagonal H, alpha ||w||_1 (Eq. 7.23):
  ``soft_threshold(w_star, h_diag, alpha) = sign(w*_i) max(|w*_i| - alpha / H_ii, 0)``.

Both take and return NumPy arrays and raise ``ValueError`` naming the problem with the input.
The derivations and their checks are in :mod:`derivations.regularization`.

Example
-------
>>> import numpy as np
>>> soft_threshold(np.array([3.0, -0.5, -2.0]), np.array([1.0, 1.0, 2.0]), 1.0)
array([ 2. ,  0. , -1.5])
>>> ridge_solution(np.diag([1.0, 4.0]), 1.0, np.array([1.0, 1.0]))
array([0.5, 0.8])
"""

from __future__ import annotations

import numpy as np

__all__ = ["ridge_solution", "soft_threshold", "l2_shrink_diagonal"]


def _alpha(alpha) -> float:
    a = float(alpha)
    if not np.isfinite(a) or a < 0:
        raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}")
    return a


def _vector(x, name: str) -> np.ndarray:
    v = np.asarray(x, dtype=float)
    if v.ndim != 1:
        raise ValueError(f"{name} must be a 1-d array, got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be finite")
    return v


def _positive_definite(H) -> np.ndarray:
    H = np.asarray(H, dtype=float)
    if H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise ValueError(f"H must be a square matrix, got shape {H.shape}")
    if not np.all(np.isfinite(H)):
        raise ValueError("H must be finite")
    # input validation: a symmetric H built as Q diag Q^T is symmetric only to ~n eps |H|; 1e-12 admits it
    if not np.allclose(H, H.T, rtol=1e-12, atol=1e-12 * max(1.0, float(np.abs(H).max(initial=0.0)))):
        raise ValueError("H must be symmetric (it is the Hessian of J at w*)")
    try:
        np.linalg.cholesky(H)
    except np.linalg.LinAlgError:
        lam = float(np.linalg.eigvalsh(H).min())
        raise ValueError(
            f"H must be positive definite (w* is a strict minimum of J); its smallest eigenvalue is {lam:.3g}"
        ) from None
    return H


def ridge_solution(H, alpha, w_star) -> np.ndarray:
    """The minimiser of alpha/2 ||w||^2 + J^(w): w~ = (H + alpha I)^-1 H w* (Eq. 7.10).

    Parameters
    ----------
    H : (n, n) symmetric positive-definite array, the Hessian of J at w*.
    alpha : float >= 0, the weight of the L2 penalty.
    w_star : (n,) array, the unregularised minimum.

    Returns
    -------
    (n,) array w~.  Solved with a linear solve, not an explicit inverse.
    """
    H = _positive_definite(H)
    a = _alpha(alpha)
    w = _vector(w_star, "w_star")
    if w.shape[0] != H.shape[0]:
        raise ValueError(f"shape mismatch: H is {H.shape[0]}x{H.shape[1]} but w_star has {w.shape[0]} entries")
    return np.linalg.solve(H + a * np.eye(H.shape[0]), H @ w)


def _diagonal(w_star, h_diag):
    w = _vector(w_star, "w_star")
    h = _vector(h_diag, "h_diag")
    if w.shape != h.shape:
        raise ValueError(f"shape mismatch: w_star has {w.shape[0]} entries but h_diag has {h.shape[0]}")
    if np.any(h <= 0):
        raise ValueError("h_diag must be > 0: the diagonal Hessian H must be positive definite")
    return w, h


def soft_threshold(w_star, h_diag, alpha) -> np.ndarray:
    """The minimiser of alpha ||w||_1 + J^(w) for diagonal H (Eq. 7.23).

    w_i = sign(w*_i) max(|w*_i| - alpha / H_ii, 0): coordinates with |w*_i| <= alpha / H_ii are
    exactly 0.0 (not merely small); the others move toward 0 by alpha / H_ii.

    Parameters
    ----------
    w_star : (n,) array, the unregularised minimum.
    h_diag : (n,) array > 0, the diagonal of H.
    alpha : float >= 0, the weight of the L1 penalty.
    """
    w, h = _diagonal(w_star, h_diag)
    a = _alpha(alpha)
    out = np.sign(w) * np.maximum(np.abs(w) - a / h, 0.0)
    out[np.abs(w) <= a / h] = 0.0  # exact zeros, without the -0.0 of sign * 0
    return out


def l2_shrink_diagonal(w_star, h_diag, alpha) -> np.ndarray:
    """Eq. 7.10 for diagonal H: w_i = H_ii / (H_ii + alpha) w*_i, zero only where w*_i is."""
    w, h = _diagonal(w_star, h_diag)
    a = _alpha(alpha)
    return h / (h + a) * w
