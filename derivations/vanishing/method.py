"""Problem 3's numeric tools: the Jacobian norms of the implemented RNN, and gradient clipping."""

from __future__ import annotations

import numpy as np

from derivations import rnn

__all__ = ["jacobian_norms", "clip_gradient"]


def jacobian_norms(params, X) -> np.ndarray:
    """||dh^(tau)/dh^(tau-n)||_2 for n = 0, ..., tau, from the product of step Jacobians."""
    jac = rnn.hidden_jacobians(params, X)
    steps = X.shape[0]
    return np.array([np.linalg.norm(jac[steps - n], 2) for n in range(steps + 1)])


def clip_gradient(g, threshold: float):
    """Pascanu et al.'s clipping: g <- threshold g / ||g|| when ||g|| >= threshold."""
    norm = float(np.linalg.norm(g))
    return g * (threshold / norm) if norm >= threshold else g
