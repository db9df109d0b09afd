"""Problem 2: backpropagation through time (BPTT) for the assignment's RNN.

The network (assignment Eq. 4), one sequence x^(1..tau) with one-hot targets t^(1..tau):

    z^(t) = W x^(t) + U h^(t-1) + b,   h^(t) = tanh(z^(t)),   h^(0) = 0,
    o^(t) = V h^(t) + c,               y^(t) = softmax(o^(t)),

and the loss (Eq. 5) J = -sum_t t^(t)T ln y^(t).  W multiplies the input and U the previous
state (the Deep Learning book swaps the two names).  The gradients are derived with Problem 1's
general rules and checked twice: exactly, against SymEngine differentiating J of a tiny unrolled RNN
with symbolic entries, and numerically, against central finite differences on random sizes.

Public numeric API (NumPy, float64): :func:`forward`, :func:`loss`, :func:`gradients`,
:func:`step_jacobians`, :func:`hidden_jacobians`.
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
]

PARAM_SHAPES = "W (H, D), U (H, H), V (K, H), b (H,), c (K,)"
RANDOM_SCALE = 0.5  # standard deviation of the entries of random parameters (checks, tests)
FD_SEED = 0  # seed of the finite-difference check's random sizes and networks


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


# =========================================================================== derivation
# The notation of the report: per-step quantities v^(t) and fixed matrices, as SymPy objects
# that print in the assignment's notation and evaluate on a concrete unrolled RNN.

import sympy as sp  # noqa: E402

from derivations import exact  # noqa: E402
from derivations.ledger import Derivation, Figure, numeric_claim, relative_error, symbolic_claim  # noqa: E402
from derivations.numerics import central_differences  # noqa: E402
from derivations.seqnotation import Env, Had, Plus, Step, const, evaluate  # noqa: E402

__all__ += ["derive", "verify", "unrolled_rnn", "central_differences"]


class x(Step):
    key, latex_name = "x", r"\mathbf{x}"


class xT(Step):
    key, latex_name, transposed = "x", r"\mathbf{x}", True


class h(Step):
    key, latex_name = "h", r"\mathbf{h}"


class hT(Step):
    key, latex_name, transposed = "h", r"\mathbf{h}", True


class y(Step):
    key, latex_name = "y", r"\mathbf{y}"


class target(Step):
    key, latex_name = "t", r"\mathbf{t}"


class delta_o(Step):
    key, latex_name = "delta_o", r"\boldsymbol{\delta}_{o}"


class delta_h(Step):
    key, latex_name = "delta_h", r"\boldsymbol{\delta}_{h}"


class delta_z(Step):
    key, latex_name = "delta_z", r"\boldsymbol{\delta}_{z}"


SYMBOLIC_SIZES = {"D": 2, "H": 2, "K": 2, "steps": 3}  # the tiny unrolled RNN of the exact check
FD_TRIALS = 8  # random (D, H, K, tau) of the finite-difference check

t = sp.Symbol("t", integer=True, positive=True)
tau = sp.Symbol("tau", integer=True, positive=True)
U_T, V_T = const(r"\mathbf{U}^{\top}"), const(r"\mathbf{V}^{\top}")
ONES = const(r"\mathbf{1}")
GRAD = {k: const(r"\frac{\partial J}{\partial %s}" % n) for k, n in
        (("W", r"\mathbf{W}"), ("U", r"\mathbf{U}"), ("V", r"\mathbf{V}"), ("b", r"\mathbf{b}"), ("c", r"\mathbf{c}"))}


def derive() -> Derivation:
    """The BPTT equations, each one application of a rule of Problem 1.

    * rule (iv), softmax + cross-entropy at the output ``o^(t)``:  delta_o^(t) = y^(t) - t^(t);
    * rule (ii), h^(t) feeds o^(t) (through V) and z^(t+1) (through U): the two contributions add;
    * rule (i), h^(t) = tanh(z^(t)) with tanh' = 1 - tanh^2;
    * rule (iii), each weight's gradient is delta (of the layer it feeds) times its input^T,
      summed over the steps that share the weight.
    """
    eq = {
        "p2.delta_o": sp.Eq(delta_o(t), Plus(y(t), -target(t)), evaluate=False),
        "p2.delta_h": (
            sp.Eq(delta_h(tau), V_T * delta_o(tau), evaluate=False),
            sp.Eq(delta_h(t), Plus(V_T * delta_o(t), U_T * delta_z(t + 1)), evaluate=False),
        ),
        "p2.delta_z": sp.Eq(delta_z(t), Had(delta_h(t), ONES - Had(h(t), h(t))), evaluate=False),
        "p2.grad_W": sp.Eq(GRAD["W"], sp.Sum(delta_z(t) * xT(t), (t, 1, tau)), evaluate=False),
        "p2.grad_U": sp.Eq(GRAD["U"], sp.Sum(delta_z(t) * hT(t - 1), (t, 1, tau)), evaluate=False),
        "p2.grad_b": sp.Eq(GRAD["b"], sp.Sum(delta_z(t), (t, 1, tau)), evaluate=False),
        "p2.grad_V": sp.Eq(GRAD["V"], sp.Sum(delta_o(t) * hT(t), (t, 1, tau)), evaluate=False),
        "p2.grad_c": sp.Eq(GRAD["c"], sp.Sum(delta_o(t), (t, 1, tau)), evaluate=False),
    }
    figure = Figure("p02_unrolled", "figures.rnn:unrolled", {"steps": ["t-1", "t", "t+1"], "focus": 1}, kind="tikz")
    context = {"symbolic_sizes": dict(SYMBOLIC_SIZES), "fd_trials": FD_TRIALS}
    return Derivation(problem=2, equations=eq, context=context, figures=(figure,))


def bptt_from_statements(eq: dict, env: Env, steps: int) -> dict:
    """Evaluate the derived statements backwards in time on a concrete unrolled network.

    ``env`` holds x, h (with h^(0)), y, t and the constants U^T, V^T, 1; the deltas are added
    to it as they are computed (t = tau first).  Returns the five gradients.
    """
    for key in ("delta_o", "delta_h", "delta_z"):
        env.seqs[key] = {}
    env.scalars[tau] = sp.Integer(steps)
    last, general = eq["p2.delta_h"]
    for s in range(steps, 0, -1):
        env.seqs["delta_o"][s] = evaluate(eq["p2.delta_o"].rhs.subs(t, s), env)
        rule = last if s == steps else general
        env.seqs["delta_h"][s] = evaluate(rule.rhs.subs(t, s), env)
        env.seqs["delta_z"][s] = evaluate(eq["p2.delta_z"].rhs.subs(t, s), env)
    return {k: evaluate(eq[f"p2.grad_{k}"].rhs, env) for k in ("W", "U", "V", "b", "c")}


# =========================================================================== verification


def unrolled_rnn(D: int, H: int, K: int, steps: int, perturb: bool = True):
    """A tiny RNN with symbolic entries, unrolled over ``steps`` steps.

    Returns ``(J, params, xs, ts, hs, ys, eps)``: the loss as one SymPy scalar in log-sum-exp
    form, J = -sum_t sum_k t_k (o_k - ln sum_j e^{o_j}) (Eq. 5 with ln softmax written out);
    parameter matrices of symbols; inputs; targets (t_1, 1 - t_1) for K = 2 (they sum to 1, as
    one-hot vectors do); the hidden states, from a symbolic initial state h^(0) (the statements
    hold for any), and outputs; and zero-valued perturbations ``eps[(name, t)]`` added to o^(t),
    h^(t) and z^(t), so that dJ/d eps = dJ/d(that quantity).
    """
    Msym = lambda name, r, c: sp.Matrix(r, c, lambda i, j: sp.Symbol(f"{name}_{i + 1}{j + 1}", real=True))  # noqa: E731
    params = {"W": Msym("W", H, D), "U": Msym("U", H, H), "V": Msym("V", K, H),
              "b": Msym("b", H, 1), "c": Msym("c", K, 1)}
    xs = {s: Msym(f"x{s}", D, 1) for s in range(1, steps + 1)}
    ts = {}
    for s in range(1, steps + 1):
        p = [sp.Symbol(f"t{s}_{k + 1}", real=True) for k in range(K - 1)]
        ts[s] = sp.Matrix(p + [1 - sum(p)])
    eps = {}
    for s in range(1, steps + 1):
        for name, n in (("z", H), ("h", H), ("o", K)):
            eps[(name, s)] = Msym(f"e{name}{s}", n, 1) if perturb else sp.zeros(n, 1)
    hs, ys, losses = {0: Msym("h0", H, 1)}, {}, []  # any initial state (the report uses h^(0) = 0)
    for s in range(1, steps + 1):
        z = params["W"] * xs[s] + params["U"] * hs[s - 1] + params["b"] + eps[("z", s)]
        hs[s] = z.applyfunc(sp.tanh) + eps[("h", s)]
        o = params["V"] * hs[s] + params["c"] + eps[("o", s)]
        lse = sp.log(sum(sp.exp(o[k]) for k in range(K)))
        losses.append(-sum(ts[s][k] * (o[k] - lse) for k in range(K)))  # J^(s)
        ys[s] = o.applyfunc(sp.exp) / sum(sp.exp(o[k]) for k in range(K))
    return sum(losses), params, xs, ts, hs, ys, eps


def symbolic_check(eq: dict, D: int, H: int, K: int, steps: int) -> dict:
    """Residuals (claim id -> matrix) of the derived statements against SymEngine's own dJ/d(.).

    The statements are evaluated (in SymPy) on the symbolic RNN; SymEngine differentiates the
    scalar J by every entry of the parameters and perturbations and expands the differences
    (see :mod:`derivations.exact` for why an expanded 0 proves the identity).
    """
    J, params, xs, ts, hs, ys, eps = unrolled_rnn(D, H, K, steps)
    zero = {e: 0 for M in eps.values() for e in M}
    hs0 = {s: hs[s].xreplace(zero) for s in hs}
    ys0 = {s: ys[s].xreplace(zero) for s in ys}
    env = Env(
        seqs={"x": xs, "h": hs0, "y": ys0, "t": ts},
        consts={U_T: params["U"].T, V_T: params["V"].T, ONES: sp.ones(H, 1)},
    )
    derived = bptt_from_statements(eq, env, steps)
    J = exact.engine(J)

    def direct(var):  # SymEngine differentiates the scalar J, then sets the perturbations to 0
        return exact.derivatives(J, var, zero)

    res = {}
    for key, name in (("delta_o", "o"), ("delta_h", "h"), ("delta_z", "z")):
        res[f"p2.{key}"] = sp.Matrix.vstack(
            *[exact.residual(env.seqs[key][s], direct(eps[(name, s)])) for s in range(1, steps + 1)]
        )
    for k in ("W", "U", "V", "b", "c"):
        res[f"p2.grad_{k}"] = exact.residual(derived[k], direct(params[k]))
    return res


def random_problem(rng, D: int, H: int, K: int, steps: int, scale: float = RANDOM_SCALE):
    """Seeded parameters, inputs and one-hot targets of the given sizes."""
    params = init_params(D, H, K, rng, scale)
    X = rng.normal(size=(steps, D))
    T = np.eye(K)[rng.integers(0, K, size=steps)]
    return params, X, T


def finite_difference_check(trials: int = FD_TRIALS, seed: int = FD_SEED):
    """Worst relative error of :func:`gradients` against central differences of :func:`loss`."""
    rng = np.random.default_rng(seed)
    worst, sizes = 0.0, []
    for _ in range(trials):
        D, H, K = (int(v) for v in rng.integers(1, 6, size=3))
        steps = int(rng.integers(1, 9))
        params, X, T = random_problem(rng, D, H, K, steps)
        analytic = gradients(params, X, T)
        numeric = central_differences(lambda: loss(params, X, T), params)
        flat = lambda g: np.concatenate([g[k].ravel() for k in ("W", "U", "V", "b", "c")])  # noqa: E731
        worst = max(worst, relative_error(flat(analytic), flat(numeric)))
        sizes.append((D, H, K, steps))
    return worst, sizes



def verify(derivation: Derivation):
    eq = derivation.equations
    sizes = derivation.context["symbolic_sizes"]
    residuals = symbolic_check(eq, **sizes)
    shape = "D = {D}, H = {H}, K = {K}, tau = {steps}".format(**sizes)
    method = "SymEngine differentiates J of a symbolic RNN, D={D}, H={H}, K={K}, tau={steps}".format(**sizes)
    claims = []
    for cid in ("p2.delta_o", "p2.delta_h", "p2.delta_z",
                "p2.grad_W", "p2.grad_U", "p2.grad_b", "p2.grad_V", "p2.grad_c"):
        claims.append(symbolic_claim(
            cid, eq[cid], residuals[cid], method=method, where="derivations.rnn:symbolic_check",
            reproduce=f"derivations.rnn.symbolic_check(derive().equations, **{sizes})",
        ))
    worst, tried = finite_difference_check(trials=derivation.context["fd_trials"], seed=FD_SEED)
    # The text states the bound that was checked; the measured value is round-off-sized and differs
    # in its digits from one processor to another, so it is given in the appendix only.
    measured = sp.Symbol(r"\varepsilon_{\mathrm{rel}}")
    claims.append(
        numeric_claim(
            "p2.bptt_fd",
            sp.Le(measured, sp.Symbol(r"10^{-6}"), evaluate=False),
            worst,
            1e-6,
            method=f"central differences of J (step 1e-6), {len(tried)} random sizes and lengths",
            where="derivations.rnn:finite_difference_check",
            reproduce=f"derivations.rnn.finite_difference_check(trials={len(tried)}, seed={FD_SEED})",
        )
    )
    return claims
