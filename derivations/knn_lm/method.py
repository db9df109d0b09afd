"""Problem 11, the public numeric API: Eq. 2 (p_kNN from the retrieved neighbours) and Eq. 3
(the interpolation with the LM), checked against the printed statements and a high-precision loop.
"""

from __future__ import annotations

import numpy as np

__all__ = ["knn_distribution", "interpolate"]


def knn_distribution(distances, targets, vocab_size):
    """p_kNN of Eq. 2 from the k retrieved neighbours.

    Parameters
    ----------
    distances:
        Squared L2 distances d(k_i, f(x)) of the k neighbours, shape (k,) or (batch, k).
    targets:
        Their values v_i (word ids in ``range(vocab_size)``), same shape.
    vocab_size:
        Size of the vocabulary.

    Returns
    -------
    Probabilities of shape (vocab_size,) or (batch, vocab_size):
    p_kNN(y | x) = sum_i 1[y = v_i] exp(-d_i) / sum_i exp(-d_i).  Words no neighbour carries get 0.

    Example
    -------
    >>> knn_distribution([0.0, 0.0, np.log(2.0)], [1, 1, 0], 3).round(3).tolist()
    [0.2, 0.8, 0.0]
    """
    d = np.asarray(distances, dtype=np.float64)
    v = np.asarray(targets)
    if not isinstance(vocab_size, (int, np.integer)) or vocab_size < 1:
        raise ValueError(f"Problem 11 knn_distribution: vocab_size must be a positive integer, not {vocab_size!r}")
    if d.shape != v.shape or d.ndim not in (1, 2) or d.shape[-1] == 0:
        raise ValueError(
            f"Problem 11 knn_distribution: distances {d.shape} and targets {v.shape} must have the same "
            "shape (k,) or (batch, k) with k >= 1"
        )
    if not np.all(np.isfinite(d)) or np.any(d < 0):
        raise ValueError("Problem 11 knn_distribution: distances must be finite squared L2 distances (>= 0)")
    if not np.issubdtype(v.dtype, np.integer) or np.any(v < 0) or np.any(v >= vocab_size):
        raise ValueError(f"Problem 11 knn_distribution: targets must be integer word ids in [0, {vocab_size})")
    single = d.ndim == 1
    d, v = np.atleast_2d(d), np.atleast_2d(v)
    weights = np.exp(-(d - d.min(axis=1, keepdims=True)))  # the common factor cancels in the ratio
    rows = np.arange(d.shape[0])[:, None]
    p = np.bincount((rows * vocab_size + v).ravel(), weights=weights.ravel(), minlength=d.shape[0] * vocab_size)
    p = p.reshape(d.shape[0], vocab_size) / weights.sum(axis=1, keepdims=True)
    return p[0] if single else p


def interpolate(p_knn, p_lm, lam):
    """Eq. 3: p(y | x) = lam p_kNN(y | x) + (1 - lam) p_LM(y | x), for lam in [0, 1].

    ``p_knn`` and ``p_lm`` are distributions over the last axis (same shape).

    >>> interpolate(np.array([1.0, 0.0]), np.array([0.5, 0.5]), 0.25).tolist()
    [0.625, 0.375]
    """
    a = np.asarray(p_knn, dtype=np.float64)
    b = np.asarray(p_lm, dtype=np.float64)
    if a.shape != b.shape or a.ndim == 0:
        raise ValueError(f"Problem 11 interpolate: p_knn {a.shape} and p_lm {b.shape} must have the same shape")
    if np.ndim(lam) != 0 or not 0.0 <= float(lam) <= 1.0:
        raise ValueError(f"Problem 11 interpolate: lam must be a number in [0, 1], not {lam!r}")
    for name, p in (("p_knn", a), ("p_lm", b)):
        if not np.all(np.isfinite(p)) or np.any(p < 0) or np.any(np.abs(p.sum(axis=-1) - 1.0) > 1e-9):
            raise ValueError(f"Problem 11 interpolate: {name} must be probability distributions over the last axis")
    lam = float(lam)
    return lam * a + (1.0 - lam) * b
