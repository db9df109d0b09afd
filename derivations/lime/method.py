"""Problem 12's method: the project's own implementation of LIME (Ribeiro et al., 2016).

LIME with K-Lasso (Algorithm 1): perturbed binary masks around x' = 1, the cosine and L2 mask
distances, the exponential kernel, the weighted least-squares fit and K-Lasso's feature choice
(scikit-learn's ``lars_path`` supplies the Lasso path, as in the paper's K-Lasso), and SP-LIME
(Algorithm 2): coverage and the greedy submodular pick.  NumPy throughout; the checks of
:mod:`derivations.lime.checks` test these functions by other routes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "LocalExplanation",
    "perturb",
    "cosine_distance",
    "l2_distance",
    "kernel",
    "weighted_least_squares",
    "k_lasso",
    "explain_full",
    "explain",
    "submodular_pick",
    "coverage",
]

_WHO = "Problem 12 (LIME)"
DEFAULT_NUM_SAMPLES = 1000  # N, perturbed samples per explanation, when the caller gives none
DEFAULT_KERNEL_WIDTH = 0.25  # sigma on the cosine distance, when the caller gives none
DEFAULT_SEED = 0  # seed of the sampling, when the caller gives none
DEFAULT_RIDGE = 0.0  # L2 penalty of the local fit, when the caller gives none (0: the paper's least squares)


# --------------------------------------------------------------------------- algorithm


def perturb(n_features: int, num_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Binary masks z' around x' = 1 (paper Sec. 3.3): the first row is x' itself; each other
    row switches off a number of features drawn uniformly from 1..d' (as the ``lime`` package
    does), the switched-off ones uniformly at random."""
    Z = np.ones((num_samples, n_features), dtype=float)
    for row in Z[1:]:
        n_off = rng.integers(1, n_features + 1)
        row[rng.permutation(n_features)[:n_off]] = 0.0
    return Z


def cosine_distance(Z: np.ndarray) -> np.ndarray:
    """Cosine distance between each binary row z' and x' = 1: 1 - sqrt(|z'| / d').

    The empty mask gets distance 1 (similarity 0), the convention of scikit-learn's
    ``pairwise_distances`` that the ``lime`` package uses."""
    Z = np.asarray(Z, dtype=float)
    return 1.0 - np.sqrt(Z.sum(axis=1) / Z.shape[1])


def l2_distance(Z: np.ndarray) -> np.ndarray:
    """Euclidean distance between each binary row z' and x' = 1: sqrt(d' - |z'|)."""
    Z = np.asarray(Z, dtype=float)
    return np.sqrt(Z.shape[1] - Z.sum(axis=1))


_DISTANCES = {"cosine": cosine_distance, "l2": l2_distance}


def kernel(distances: np.ndarray, width: float) -> np.ndarray:
    """The paper's exponential kernel pi_x(z) = exp(-D(x, z)^2 / sigma^2)."""
    return np.exp(-np.asarray(distances, dtype=float) ** 2 / width**2)


def weighted_least_squares(Z, y, weights, ridge: float = 0.0):
    """argmin over (b, c) of sum_i weights_i (y_i - b - c.z_i)^2 + ridge |c|^2.

    Solved as ordinary least squares on rows scaled by sqrt(weights) (the intercept is not
    penalised).  Returns ``(intercept, coef)``.
    """
    Z = np.asarray(Z, dtype=float)
    sw = np.sqrt(np.asarray(weights, dtype=float))
    A = np.hstack([np.ones((Z.shape[0], 1)), Z]) * sw[:, None]
    b = np.asarray(y, dtype=float) * sw
    if ridge > 0:
        d = Z.shape[1]
        A = np.vstack([A, np.hstack([np.zeros((d, 1)), math.sqrt(ridge) * np.eye(d)])])
        b = np.concatenate([b, np.zeros(d)])
    sol, *_ = np.linalg.lstsq(A, b, rcond=None)
    return float(sol[0]), sol[1:]


def k_lasso(Z, y, weights, K: int) -> np.ndarray:
    """Algorithm 1's feature choice: the first K features to enter the weighted Lasso path.

    The data are centred with the kernel weights and scaled by sqrt(weights), so the Lasso
    path is that of the weighted loss of Eq. 2; the returned indices are the non-zero
    coefficients at the last point of the path with at most K of them.
    """
    from sklearn.linear_model import lars_path

    Z = np.asarray(Z, dtype=float)
    w = np.asarray(weights, dtype=float)
    sw = np.sqrt(w)
    Zc = (Z - np.average(Z, axis=0, weights=w)) * sw[:, None]
    yc = (np.asarray(y, dtype=float) - np.average(y, weights=w)) * sw
    _, _, coefs = lars_path(Zc, yc, method="lasso")
    for i in range(coefs.shape[1] - 1, -1, -1):
        nonzero = np.flatnonzero(coefs[:, i])
        if len(nonzero) <= K:
            return np.sort(nonzero)
    return np.array([], dtype=int)


@dataclass(frozen=True)
class LocalExplanation:
    """One explanation: g(z') = intercept + coef . z', fitted on (Z, y) with kernel weights."""

    intercept: float
    coef: np.ndarray  # (d',), zero outside `selected`
    selected: np.ndarray  # indices used by g
    score: float  # weighted R^2 of g on the samples (local fidelity)
    Z: np.ndarray
    y: np.ndarray
    weights: np.ndarray


def _check(predict, n_features, num_samples, kernel_width, distance, n_select):
    if not callable(predict):
        raise ValueError(f"{_WHO}: predict must be callable, got {type(predict).__name__}")
    if not isinstance(n_features, (int, np.integer)) or n_features < 1:
        raise ValueError(f"{_WHO}: n_features must be a positive integer, got {n_features!r}")
    if not isinstance(num_samples, (int, np.integer)) or num_samples < 2:
        raise ValueError(f"{_WHO}: num_samples must be an integer >= 2, got {num_samples!r}")
    if not (isinstance(kernel_width, (int, float)) and math.isfinite(kernel_width) and kernel_width > 0):
        raise ValueError(f"{_WHO}: kernel_width must be a positive number, got {kernel_width!r}")
    if distance not in _DISTANCES:
        raise ValueError(f"{_WHO}: distance must be one of {sorted(_DISTANCES)}, got {distance!r}")
    if n_select is not None and not (isinstance(n_select, (int, np.integer)) and 1 <= n_select <= n_features):
        raise ValueError(f"{_WHO}: n_select must be an integer in 1..n_features, got {n_select!r}")


def explain_full(predict, n_features, num_samples=DEFAULT_NUM_SAMPLES, kernel_width=DEFAULT_KERNEL_WIDTH,
                 seed=DEFAULT_SEED, *,
                 distance="cosine", n_select=None, ridge=DEFAULT_RIDGE) -> LocalExplanation:
    """LIME for one instance (Algorithm 1), returning the whole local fit; see :func:`explain`."""
    _check(predict, n_features, num_samples, kernel_width, distance, n_select)
    rng = np.random.default_rng(seed)
    Z = perturb(int(n_features), int(num_samples), rng)
    y = np.asarray(predict(Z.copy()), dtype=float)
    if y.shape != (num_samples,) or not np.all(np.isfinite(y)):
        raise ValueError(
            f"{_WHO}: predict must return {num_samples} finite probabilities, one per mask row; "
            f"got shape {y.shape}"
        )
    weights = kernel(_DISTANCES[distance](Z), kernel_width)
    selected = np.arange(n_features) if n_select is None else k_lasso(Z, y, weights, n_select)
    intercept, c = weighted_least_squares(Z[:, selected], y, weights, ridge)
    coef = np.zeros(n_features)
    coef[selected] = c
    resid = y - intercept - Z @ coef
    ybar = np.average(y, weights=weights)
    total = float(np.sum(weights * (y - ybar) ** 2))
    score = 1.0 - float(np.sum(weights * resid**2)) / total if total > 0 else 1.0
    return LocalExplanation(intercept, coef, selected, score, Z, y, weights)


def explain(predict, n_features, num_samples=DEFAULT_NUM_SAMPLES, kernel_width=DEFAULT_KERNEL_WIDTH,
            seed=DEFAULT_SEED, *,
            distance="cosine", n_select=None, ridge=DEFAULT_RIDGE) -> np.ndarray:
    """The coefficients of LIME's local linear model for one prediction.

    Parameters
    ----------
    predict:
        Maps a binary array (n, n_features) of interpretable masks (1 = feature kept; the
        explained instance is the all-ones row) to the probability of the explained class, (n,).
    n_features:
        d', the number of interpretable features (distinct words, super-pixels).
    num_samples, kernel_width, seed:
        N perturbed samples (the first is the instance), the kernel width sigma, the RNG seed.
    distance:
        ``"cosine"`` (the paper's choice for text) or ``"l2"`` (images), on the binary masks.
    n_select:
        K of K-Lasso; ``None`` keeps every feature (plain weighted least squares).
    ridge:
        An optional L2 penalty on the coefficients (0 = the paper's least squares).

    Returns
    -------
    numpy.ndarray, (n_features,): the weight of each interpretable feature (0 if not selected).

    Example
    -------
    A model that is exactly linear in the features is recovered exactly:

    >>> w = np.array([0.3, -0.2, 0.05])
    >>> np.allclose(explain(lambda Z: 0.4 + Z @ w, 3, num_samples=50), w)
    True
    """
    return explain_full(predict, n_features, num_samples, kernel_width, seed,
                        distance=distance, n_select=n_select, ridge=ridge).coef


# --------------------------------------------------------------------------- SP-LIME


def coverage(W: np.ndarray, chosen, importance: np.ndarray) -> float:
    """c(V, W, I) = sum_j 1[exists i in V: |W_ij| > 0] I_j (paper Eq. 3)."""
    chosen = list(chosen)
    if not chosen:
        return 0.0
    covered = np.any(np.abs(W[chosen]) > 0, axis=0)
    return float(np.sum(importance[covered]))


def submodular_pick(W: np.ndarray, budget: int):
    """Algorithm 2 (SP-LIME): greedily add the instance with the largest coverage gain.

    ``W`` is the (n, d') explanation matrix; the global importance is I_j = sqrt(sum_i |W_ij|).
    Candidates with equal coverage (they cover the same words, so their sums are the same
    computation) are broken by the smaller index.  Returns ``(picked indices, importance)``.
    """
    W = np.asarray(W, dtype=float)
    importance = np.sqrt(np.abs(W).sum(axis=0))
    picked: list[int] = []
    for _ in range(min(budget, W.shape[0])):
        gains = [(coverage(W, picked + [i], importance), -i) for i in range(W.shape[0]) if i not in picked]
        picked.append(-max(gains)[1])
    return picked, importance
