"""Problem 1: backpropagation for an L-layer MLP.

The network (assignment Eq. 1): h^(0) = x, z^(l) = W^(l) h^(l-1) + b^(l), h^(l) = f^(l)(z^(l)),
y = softmax(z^(L)); the loss (Eq. 2) J = -sum_{(x,t)} t^T ln y + lambda ||Theta||^2 over the
minibatch, Theta the weights only.  We derive the output-layer error delta_z^(L) = y - t with
SymPy for a symbolic number of classes K, and verify the implemented gradients against
central finite differences of the implemented loss.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations.ledger import Derivation, numeric_claim, relative_error, symbolic_claim
from derivations.tex import vec

__all__ = ["loss", "gradients", "derive", "verify", "output_delta"]


# --------------------------------------------------------------------------- derivation


def output_delta():
    """delta_z^(L) for softmax + cross-entropy, derived for a symbolic number of classes K.

    Returns ``(component, K)``: the j-th component of dJ/dz^(L) for one example, simplified with
    sum_k t_k = 1, as a SymPy expression in indexed y_j, t_j.
    """
    K = sp.Symbol("K", integer=True, positive=True)
    k, j, i = sp.symbols("k j i", integer=True, positive=True)
    z = sp.IndexedBase("z")
    t = sp.IndexedBase("t")
    y = sp.IndexedBase("y")
    softmax_k = sp.exp(z[k]) / sp.Sum(sp.exp(z[i]), (i, 1, K))
    J = -sp.Sum(t[k] * sp.log(softmax_k), (k, 1, K))
    # d/dz_j of -sum_k t_k (z_k - log sum_i e^{z_i}) = -t_j + (sum_k t_k) e^{z_j} / sum_i e^{z_i}
    J_expanded = -sp.Sum(t[k] * z[k], (k, 1, K)) + sp.Sum(t[k], (k, 1, K)) * sp.log(sp.Sum(sp.exp(z[i]), (i, 1, K)))
    dJ = sp.diff(J_expanded, z[j])
    dJ = dJ.doit().subs(sp.Sum(t[k], (k, 1, K)), 1)
    dJ = sp.simplify(dJ.replace(lambda e: isinstance(e, sp.Sum), lambda e: e))
    dJ = dJ.subs(sp.exp(z[j]) / sp.Sum(sp.exp(z[i]), (i, 1, K)), y[j])
    dJ = sp.refine(sp.simplify(dJ), sp.Q.le(j, K))  # j is one of the K classes
    return dJ, (J, z, t, y, K, j)


def derive() -> Derivation:
    component, _ = output_delta()
    K = sp.Symbol("K", integer=True, positive=True)
    delta = vec(r"\delta", K, sup="(L)", sub="z")
    yv, tv = vec("y", K), vec("t", K)
    statement = sp.Eq(delta, sp.MatMul(1, yv) - tv, evaluate=False)
    return Derivation(
        problem=1,
        equations={"p1.delta_output": statement},
        context={"delta_component": component},
    )


# --------------------------------------------------------------------------- numeric API


def _forward(weights, biases, X):
    hs, zs = [X], []
    h = X
    for l, (W, b) in enumerate(zip(weights, biases)):
        z = h @ W.T + b
        zs.append(z)
        if l < len(weights) - 1:
            h = np.maximum(z, 0.0)
            hs.append(h)
    zL = zs[-1]
    zL = zL - zL.max(axis=1, keepdims=True)
    logy = zL - np.log(np.exp(zL).sum(axis=1, keepdims=True))
    return hs, zs, logy


def loss(weights, biases, X, T, lam):
    """J of Eq. 2: summed cross-entropy over the minibatch plus lam * sum of squared weights."""
    _, _, logy = _forward(weights, biases, X)
    return float(-(T * logy).sum() + lam * sum(float((W**2).sum()) for W in weights))


def gradients(weights, biases, X, T, lam):
    """(dweights, dbiases) of :func:`loss` by backpropagation; same shapes as the inputs."""
    hs, zs, logy = _forward(weights, biases, X)
    delta_z = np.exp(logy) - T  # (m, K): y - t per example
    dW, db = [None] * len(weights), [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        dW[l] = delta_z.T @ hs[l] + 2 * lam * weights[l]
        db[l] = delta_z.sum(axis=0)
        if l > 0:
            delta_h = delta_z @ weights[l]
            delta_z = delta_h * (zs[l - 1] > 0)
    return dW, db


# --------------------------------------------------------------------------- verification


def _central_differences(f, arrays, eps=1e-6):
    grads = []
    for A in arrays:
        G = np.zeros_like(A)
        for idx in np.ndindex(A.shape):
            old = A[idx]
            A[idx] = old + eps
            fp = f()
            A[idx] = old - eps
            fm = f()
            A[idx] = old
            G[idx] = (fp - fm) / (2 * eps)
        grads.append(G)
    return grads


def verify(derivation: Derivation):
    claims = []
    component = derivation.context["delta_component"]
    y, t = sp.IndexedBase("y"), sp.IndexedBase("t")
    j = sp.Symbol("j", integer=True, positive=True)
    claims.append(
        symbolic_claim(
            "p1.delta_output",
            derivation.equations["p1.delta_output"],
            component - (y[j] - t[j]),
            method="SymPy differentiation of softmax cross-entropy, symbolic K",
        )
    )
    rng = np.random.default_rng(0)
    worst = 0.0
    for L in range(1, 5):
        sizes = [int(s) for s in rng.integers(2, 5, size=L + 1)]
        weights = [rng.normal(size=(sizes[l + 1], sizes[l])) for l in range(L)]
        biases = [rng.normal(size=sizes[l + 1]) for l in range(L)]
        m = 5
        X = rng.normal(size=(m, sizes[0]))
        T = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=m)]
        lam = 0.1
        dW, db = gradients(weights, biases, X, T, lam)
        num = _central_differences(lambda: loss(weights, biases, X, T, lam), weights + biases)
        worst = max(worst, relative_error(np.concatenate([g.ravel() for g in dW + db]), np.concatenate([g.ravel() for g in num])))
    claims.append(
        numeric_claim(
            "p1.backprop_fd",
            derivation.equations["p1.delta_output"],
            worst,
            1e-6,
            method="central finite differences of J, L = 1..4",
            reproduce="seed 0, m = 5, lambda = 0.1",
        )
    )
    return claims
