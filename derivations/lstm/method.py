"""Problem 4's numeric LSTM (NumPy, float64): parameters, forward pass, loss and BPTT.

The forward core works on float arrays and on object arrays of symbolic (SymEngine) expressions
alike: the numeric API and the tiny symbolic LSTM of the checks run the very same lines.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "GATES",
    "PARAM_SHAPES",
    "init_params",
    "forward",
    "loss",
    "gradients",
    "bptt",
    "parameter_count",
]

GATES = ("f", "i", "o", "g")  # forget, input, output gate; g the tanh candidate
PARAM_SHAPES = {
    **{f"{kind}_{gate}": shape for gate in GATES for kind, shape in
       (("W", ("H", "D")), ("U", ("H", "H")), ("b", ("H",)))},
    "V": ("K", "H"),
    "c": ("K",),
}


# --------------------------------------------------------------------------- input checks


def _fail(message: str):
    raise ValueError(f"Problem 4 (derivations.lstm): {message}")


def _check(params, X, T=None):
    """Validate names, shapes and values; return float64 copies (P, X, T) and sizes (D, H, K)."""
    if not isinstance(params, dict):
        _fail(f"params must be a dict with keys {', '.join(PARAM_SHAPES)}; got {type(params).__name__}")
    missing = [k for k in PARAM_SHAPES if k not in params]
    if missing:
        _fail(f"params lacks {', '.join(missing)}")
    extra = [k for k in params if k not in PARAM_SHAPES]
    if extra:
        _fail(f"params has unknown keys {', '.join(map(str, extra))}")
    P = {k: np.asarray(params[k], dtype=float) for k in PARAM_SHAPES}
    if P["W_f"].ndim != 2:
        _fail(f"W_f must be a matrix (H, D); got shape {P['W_f'].shape}")
    if P["V"].ndim != 2:
        _fail(f"V must be a matrix (K, H); got shape {P['V'].shape}")
    H, D = P["W_f"].shape
    K = P["V"].shape[0]
    sizes = {"D": D, "H": H, "K": K}
    for k, shape in PARAM_SHAPES.items():
        want = tuple(sizes[s] for s in shape)
        if P[k].shape != want:
            _fail(f"{k} must have shape ({', '.join(shape)}) = {want}; got {P[k].shape}")
        if not np.all(np.isfinite(P[k])):
            _fail(f"{k} contains NaN or infinity")
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] != D:
        _fail(f"X must be (tau, D) with tau >= 1 and D = {D}, one time step per row; got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        _fail("X contains NaN or infinity")
    if T is not None:
        T = np.asarray(T, dtype=float)
        if T.shape != (X.shape[0], K):
            _fail(f"T must be (tau, K) = ({X.shape[0]}, {K}), one one-hot target per row; got shape {T.shape}")
        if not (np.all((T == 0) | (T == 1)) and np.all(T.sum(axis=1) == 1)):
            _fail("T must be one-hot: entries 0 or 1 and exactly one 1 in each row")
    return P, X, T, (D, H, K)


def init_params(D: int, H: int, K: int, rng, scale: float | None = None, forget_bias: float = 0.0) -> dict:
    """Random parameters with the API's shapes: normal entries with std 1/sqrt(fan-in) (or ``scale``),
    biases zero except b_f = ``forget_bias`` (Gers et al. 2000 recommend 1)."""
    fan = {"W": D, "U": H, "V": H}
    params = {}
    for k, shape in PARAM_SHAPES.items():
        size = tuple({"D": D, "H": H, "K": K}[s] for s in shape)
        if k[0] in fan:
            std = scale if scale is not None else 1.0 / np.sqrt(fan[k[0]])
            params[k] = std * rng.normal(size=size)
        else:
            params[k] = np.zeros(size)
    params["b_f"] = np.full(H, float(forget_bias))
    return params


def parameter_count(params: dict) -> int:
    """The number of scalar parameters, counted from the arrays themselves."""
    return int(sum(np.asarray(v).size for v in params.values()))


# --------------------------------------------------------------------------- forward pass
# The core works on float arrays and on object arrays of symbolic (SymEngine) expressions alike: the numeric
# API and the tiny symbolic LSTM of the checks run the very same lines.


def _sigmoid_np(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + e^{-z}), without overflow


def _softmax_np(logits):
    e = np.exp(logits - logits.max())
    return e / e.sum()


def _forward_core(P, X, sigmoid, tanh, softmax, perturb=None):
    """Run the cell over the sequence; lists indexed by t (entry 0 unused except h, c).

    ``perturb`` maps (quantity, t) to a vector added to that quantity right after it is
    computed (quantities ``z_f z_i z_o z_g c h logits``, and ``carry``: added to c^(t-1) in
    the f * c^(t-1) term of step t only).  The checks differentiate with respect to it.
    """
    perturb = perturb or {}
    tau = len(X)
    zero = P["b_f"] * 0
    rec = {k: [None] for k in ("z_f", "z_i", "z_o", "z_g", "f", "i", "o", "g", "tanh_c", "logits", "y")}
    rec["h"], rec["c"] = [zero], [zero]
    for t in range(1, tau + 1):
        x, h_prev, c_prev = X[t - 1], rec["h"][t - 1], rec["c"][t - 1]
        for gate in GATES:
            z = P[f"W_{gate}"] @ x + P[f"U_{gate}"] @ h_prev + P[f"b_{gate}"]
            z = z + perturb.get((f"z_{gate}", t), 0)
            rec[f"z_{gate}"].append(z)
            rec[gate].append(tanh(z) if gate == "g" else sigmoid(z))
        f, i, o, g = (rec[k][t] for k in GATES)
        c = f * (c_prev + perturb.get(("carry", t), 0)) + i * g + perturb.get(("c", t), 0)
        tanh_c = tanh(c)
        h = o * tanh_c + perturb.get(("h", t), 0)
        logits = P["V"] @ h + P["c"] + perturb.get(("logits", t), 0)
        for k, v in (("c", c), ("tanh_c", tanh_c), ("h", h), ("logits", logits), ("y", softmax(logits))):
            rec[k].append(v)
    return rec


def forward(params: dict, X) -> dict:
    """The forward pass: a dict of float arrays, row t - 1 is step t, except ``h`` and ``c``
    (tau + 1 rows, row 0 = h^(0) = c^(0) = 0).  Keys: ``z_f z_i z_o z_g f i o g c tanh_c h
    logits y``; ``logits`` is V h^(t) + c (the ``o`` of Eq. 4; ``o`` here is the output gate)."""
    P, X, _, _ = _check(params, X)
    rec = _forward_core(P, X, _sigmoid_np, np.tanh, _softmax_np)
    return {k: np.array(v if k in ("h", "c") else v[1:]) for k, v in rec.items()}


def loss(params: dict, X, T) -> float:
    """J of Eq. 5: -sum_t t^(t)T ln y^(t)."""
    P, X, T, _ = _check(params, X, T)
    rec = _forward_core(P, X, _sigmoid_np, np.tanh, _softmax_np)
    total = 0.0
    for t in range(1, X.shape[0] + 1):
        a = rec["logits"][t]
        log_y = a - a.max() - np.log(np.exp(a - a.max()).sum())
        total -= float(T[t - 1] @ log_y)
    return total


# --------------------------------------------------------------------------- backward pass


def _cell_delta(delta_h, o, tanh_c, f_next, delta_c_next):
    """delta_c^(t): through h^(t) = o * tanh(c^(t)), plus the carry into c^(t+1) = f^(t+1) * c^(t) + ..."""
    return delta_h * o * (1 - tanh_c**2) + f_next * delta_c_next


def _backward_core(P, X, rec, delta_out):
    """BPTT from the errors at the logits ``delta_out[t]`` (t = 1..tau; entry 0 unused).

    Returns (grads, deltas): grads has the parameters' keys plus ``x`` (the list of dJ/dx^(t));
    deltas holds the lists of delta_h, delta_c and, under the gate's letter, the errors of the gates'
    pre-activations delta_{z_f}, delta_{z_i}, delta_{z_o}, delta_{z_g} (index t).
    """
    tau = len(X)
    zero = P["b_f"] * 0
    G = {k: P[k] * 0 for k in PARAM_SHAPES}
    deltas = {k: [None] * (tau + 2) for k in ("h", "c", *GATES)}
    for k in deltas:
        deltas[k][tau + 1] = zero  # nothing after the last step
    dx = [None] * (tau + 1)
    f_next = zero
    for t in range(tau, 0, -1):
        d_out = delta_out[t]
        G["V"] += np.outer(d_out, rec["h"][t])  # logits = V h + c
        G["c"] += d_out
        # h^(t) feeds the logits at t and the four gates at t + 1
        d_h = P["V"].T @ d_out
        for gate in GATES:
            d_h = d_h + P[f"U_{gate}"].T @ deltas[gate][t + 1]
        # c^(t) feeds h^(t) and c^(t+1)
        d_c = _cell_delta(d_h, rec["o"][t], rec["tanh_c"][t], f_next, deltas["c"][t + 1])
        f, i, o, g = (rec[k][t] for k in GATES)
        d_gate = {
            "f": d_c * rec["c"][t - 1] * f * (1 - f),
            "i": d_c * g * i * (1 - i),
            "o": d_h * rec["tanh_c"][t] * o * (1 - o),
            "g": d_c * i * (1 - g**2),
        }
        x_t = X[t - 1]
        dx[t] = sum(P[f"W_{gate}"].T @ d_gate[gate] for gate in GATES)
        for gate in GATES:
            G[f"W_{gate}"] += np.outer(d_gate[gate], x_t)
            G[f"U_{gate}"] += np.outer(d_gate[gate], rec["h"][t - 1])
            G[f"b_{gate}"] += d_gate[gate]
            deltas[gate][t] = d_gate[gate]
        deltas["h"][t], deltas["c"][t] = d_h, d_c
        f_next = f
    G["x"] = dx
    return G, deltas


def bptt(params: dict, X, T, steps=None):
    """dJ/d(parameters) and dJ/dx^(t) by BPTT (float arrays; ``x`` is (tau, D)).

    ``steps`` (optional, 1-based) keeps only those steps' terms of J, e.g. ``[tau]`` for the
    gradient of the last step's loss alone (Problem 4 (iii)).
    """
    P, X, T, _ = _check(params, X, T)
    rec = _forward_core(P, X, _sigmoid_np, np.tanh, _softmax_np)
    tau = X.shape[0]
    keep = set(range(1, tau + 1)) if steps is None else {int(t) for t in steps}
    if not keep <= set(range(1, tau + 1)):
        _fail(f"steps must lie in 1..tau = 1..{tau}; got {sorted(keep)}")
    # error at the logits: y - t (Problem 1 (iv)); zero for steps whose loss is not kept
    delta_out = [None] + [(rec["y"][t] - T[t - 1]) if t in keep else 0 * T[t - 1] for t in range(1, tau + 1)]
    G, _ = _backward_core(P, X, rec, delta_out)
    G["x"] = np.array(G["x"][1:])
    return G


def gradients(params: dict, X, T) -> dict:
    """The gradient of :func:`loss`, same keys and shapes as ``params`` (BPTT)."""
    G = bptt(params, X, T)
    return {k: G[k] for k in PARAM_SHAPES}
