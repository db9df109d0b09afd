"""Problem 2's numeric RNN (NumPy, float64): the network of Eq. 4, its loss and its BPTT gradients.

:func:`forward`, :func:`loss`, :func:`gradients` (by :func:`bptt_gradients`), the Jacobians
:func:`step_jacobians` and :func:`hidden_jacobians` that Problem 3 studies, and the random
parameters and problems the checks and tests use (:func:`init_params`, :func:`random_problem`).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "forward",
    "loss",
    "gradients",
    "bptt_gradients",
    "step_jacobians",
    "hidden_jacobians",
    "init_params",
    "random_problem",
]

PARAM_SHAPES = "W (H, D), U (H, H), V (K, H), b (H,), c (K,)"
RANDOM_SCALE = 0.5  # standard deviation of the entries of random parameters (checks, tests)


# --------------------------------------------------------------------------- input checks


def _fail(message: str):
    raise ValueError(f"Problem 2 (derivations.rnn): {message}")


def _check(params, X, T=None):
    """Validate shapes; return float64 copies (W, U, V, b, c, X, T) and sizes (H, D, K)."""
    if not isinstance(params, dict):
        _fail(f"params must be a dict with keys {PARAM_SHAPES}; got {type(params).__name__}")
    missing = [k for k in ("W", "U", "V", "b", "c") if k not in params]
    if missing:
        _fail(f"params lacks {', '.join(missing)}; expected {PARAM_SHAPES}")
    W, U, V, b, c = (np.asarray(params[k], dtype=float) for k in ("W", "U", "V", "b", "c"))
    if W.ndim != 2:
        _fail(f"W must be a matrix (H, D); got shape {W.shape}")
    H, D = W.shape
    if U.shape != (H, H):
        _fail(f"U must be (H, H) = ({H}, {H}) to match W {W.shape}; got {U.shape}")
    if V.ndim != 2 or V.shape[1] != H:
        _fail(f"V must be (K, H) with H = {H}; got {V.shape}")
    K = V.shape[0]
    if b.shape != (H,):
        _fail(f"b must be (H,) = ({H},); got {b.shape}")
    if c.shape != (K,):
        _fail(f"c must be (K,) = ({K},); got {c.shape}")
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != D or X.shape[0] < 1:
        _fail(f"X must be (tau, D) with tau >= 1 and D = {D}, one time step per row; got {X.shape}")
    if T is not None:
        T = np.asarray(T, dtype=float)
        if T.shape != (X.shape[0], K):
            _fail(f"T must be (tau, K) = ({X.shape[0]}, {K}), one one-hot target per row; got {T.shape}")
        # delta_o = y - t uses sum_k t_k = 1: reject rows that are not probability vectors
        if not np.all(np.isfinite(T)) or np.any(T < 0) or not np.allclose(T.sum(axis=1), 1.0, rtol=0, atol=1e-12):
            _fail("T must be one-hot per row (non-negative entries summing to 1); the gradient y - t assumes it")
    for name, A in (("W", W), ("U", U), ("V", V), ("b", b), ("c", c), ("X", X)):
        if not np.all(np.isfinite(A)):
            _fail(f"{name} contains NaN or infinity")
    return (W, U, V, b, c, X, T), (H, D, K)


def init_params(D: int, H: int, K: int, rng, scale: float = RANDOM_SCALE) -> dict:
    """Random parameters of the shapes the API expects (normal entries times ``scale``)."""
    shapes = {"W": (H, D), "U": (H, H), "V": (K, H), "b": (H,), "c": (K,)}
    return {name: rng.normal(scale=scale, size=shape) for name, shape in shapes.items()}


# --------------------------------------------------------------------------- forward pass


def forward(params: dict, X) -> dict:
    """Run Eq. 4 over the sequence.

    Returns a dict of arrays: ``z`` (tau, H); ``h`` (tau + 1, H) with ``h[0] = 0`` so that
    ``h[t]`` is h^(t); ``o`` (tau, K); ``y`` (tau, K); row ``t - 1`` of z, o, y is step t.
    """
    (W, U, V, b, c, X, _), (H, _, K) = _check(params, X)
    tau = X.shape[0]
    z = np.zeros((tau, H))
    h = np.zeros((tau + 1, H))
    for t in range(1, tau + 1):
        z[t - 1] = W @ X[t - 1] + U @ h[t - 1] + b
        h[t] = np.tanh(z[t - 1])
    o = h[1:] @ V.T + c
    shifted = o - o.max(axis=1, keepdims=True)
    y = np.exp(shifted)
    y /= y.sum(axis=1, keepdims=True)
    return {"z": z, "h": h, "o": o, "y": y}


def _log_softmax(o):
    shifted = o - o.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def loss(params: dict, X, T) -> float:
    """J of Eq. 5: -sum_t t^(t)T ln y^(t)."""
    (_, _, _, _, _, X, T), _ = _check(params, X, T)
    o = forward(params, X)["o"]
    return float(-(T * _log_softmax(o)).sum())


# --------------------------------------------------------------------------- backward pass


def bptt_gradients(params: dict, X, T) -> dict:
    """dJ/dW, dJ/dU, dJ/dV, dJ/db, dJ/dc by backpropagation through time.

    Each line names the rule of Problem 1 it applies:

    * output layer:      delta_o^(t) = y^(t) - t^(t)                  (rule iv)
    * through V:         delta_h^(t) = V^T delta_o^(t) + U^T delta_z^(t+1)   (rule ii, twice)
    * through tanh:      delta_z^(t) = delta_h^(t) * (1 - h^(t)^2)     (rule i)
    * weight gradients:  sum_t delta_z^(t) (input of the layer)^T      (rule iii)
    """
    (W, U, V, b, c, X, T), (H, _, _) = _check(params, X, T)
    fw = forward(params, X)
    h, y = fw["h"], fw["y"]
    tau = X.shape[0]
    dW, dU, dV = np.zeros_like(W), np.zeros_like(U), np.zeros_like(V)
    db, dc = np.zeros_like(b), np.zeros_like(c)
    delta_z_next = np.zeros(H)  # delta_z^(tau+1) = 0: nothing after the last step
    for t in range(tau, 0, -1):
        delta_o = y[t - 1] - T[t - 1]  # rule (iv)
        dV += np.outer(delta_o, h[t])  # rule (iii) for o = V h + c
        dc += delta_o
        delta_h = V.T @ delta_o + U.T @ delta_z_next  # rule (ii), two children of h^(t)
        delta_z = delta_h * (1.0 - h[t] ** 2)  # rule (i), tanh' = 1 - tanh^2
        dW += np.outer(delta_z, X[t - 1])  # rule (iii), input x^(t)
        dU += np.outer(delta_z, h[t - 1])  # rule (iii), input h^(t-1)
        db += delta_z
        delta_z_next = delta_z
    return {"W": dW, "U": dU, "V": dV, "b": db, "c": dc}


def gradients(params: dict, X, T) -> dict:
    """The gradient of :func:`loss`: same keys and shapes as ``params`` (BPTT)."""
    return bptt_gradients(params, X, T)


# --------------------------------------------------------------------------- Jacobians (Problem 3)


def step_jacobians(params: dict, X) -> np.ndarray:
    """(tau, H, H): entry t - 1 is dh^(t)/dh^(t-1) = diag(1 - h^(t)^2) U."""
    (_, U, _, _, _, X, _), _ = _check(params, X)
    h = forward(params, X)["h"]
    return (1.0 - h[1:] ** 2)[:, :, None] * U[None, :, :]


def hidden_jacobians(params: dict, X) -> list:
    """[dh^(tau)/dh^(k) for k = 0, ..., tau]: products of tau - k step Jacobians.

    Entry ``k`` is the (H, H) matrix prod_{t = k+1}^{tau} diag(1 - h^(t)^2) U (the identity for
    k = tau), so ``hidden_jacobians(p, X)[tau - d]`` is the Jacobian across d steps.
    """
    _, (H, _, _) = _check(params, X)
    M = np.eye(H)  # dh^(tau)/dh^(tau)
    out = [M]
    steps = step_jacobians(params, X)
    for step in steps[::-1]:  # k = tau - 1, ..., 0
        M = M @ step  # dh^(tau)/dh^(k) = dh^(tau)/dh^(k+1) . dh^(k+1)/dh^(k)
        out.append(M)
    return out[::-1]


def random_problem(rng, D: int, H: int, K: int, steps: int, scale: float = RANDOM_SCALE):
    """Seeded parameters, inputs and one-hot targets of the given sizes."""
    params = init_params(D, H, K, rng, scale)
    X = rng.normal(size=(steps, D))
    T = np.eye(K)[rng.integers(0, K, size=steps)]
    return params, X, T
