"""Problem 1's numeric MLP (NumPy, float64): ReLU hidden layers, softmax output, the loss of Eq. 2,
its gradients by backpropagation and minibatch SGD (Algorithm 1 of the report; comments cite its
lines), and random networks for the checks and tests."""

from __future__ import annotations

import numpy as np

__all__ = ["loss", "gradients", "sgd", "random_network"]

RANDOM_BIAS_STD = 0.5  # standard deviation of the biases of random test networks


def _as_network(weights, biases, X, T, lam):
    """Float arrays of the inputs, after checking every shape; ValueError says what is wrong."""
    if len(weights) == 0:
        raise ValueError("weights is empty: an MLP needs at least one layer (the output layer)")
    if len(weights) != len(biases):
        raise ValueError(f"{len(weights)} weight matrices but {len(biases)} bias vectors; one of each per layer")
    Ws = [np.asarray(W, dtype=float) for W in weights]
    bs = [np.asarray(b, dtype=float) for b in biases]
    X = np.asarray(X, dtype=float)
    T = np.asarray(T, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be (m, d_0) with one example per row; got shape {X.shape}")
    width = X.shape[1]
    for l, (W, b) in enumerate(zip(Ws, bs), start=1):
        if W.ndim != 2:
            raise ValueError(f"weights[{l - 1}] (W^({l})) must be a matrix (d_{l}, d_{l - 1}); got shape {W.shape}")
        if W.shape[1] != width:
            raise ValueError(
                f"weights[{l - 1}] (W^({l})) has shape {W.shape}, but its input has {width} units: "
                f"expected ({W.shape[0]}, {width})"
            )
        if b.shape != (W.shape[0],):
            raise ValueError(
                f"biases[{l - 1}] (b^({l})) has shape {b.shape}; expected ({W.shape[0]},) to match W^({l})"
            )
        width = W.shape[0]
    if T.shape != (X.shape[0], width):
        raise ValueError(
            f"T has shape {T.shape}; expected (m, K) = ({X.shape[0]}, {width}): one row per example of X and "
            f"one column per output unit"
        )
    # np.allclose(T.sum(axis=1), 1.0) (rtol 1e-5, atol 1e-8; NaN fails) written out: sgd checks every minibatch
    if T.size and not (np.abs(T.sum(axis=1) - 1.0) <= 1e-5 + 1e-8).all():
        raise ValueError("each row of T must sum to 1 (one-hot targets); delta_z^(L) = y - t uses it")
    if not np.isfinite(lam):
        raise ValueError(f"lam must be a finite number; got {lam!r}")
    return Ws, bs, X, T, float(lam)


def _forward(Ws, bs, X):
    """Algorithm 1, lines 7-8, for all m rows of X at once: the h^(l), z^(l) and ln y."""
    hs, zs = [X], []  # line 7: h^(0) = x; hs[l] = h^(l), zs[l - 1] = z^(l), one example per row
    for l, (W, b) in enumerate(zip(Ws, bs), start=1):  # line 7: for l = 1, ..., L
        z = hs[-1] @ W.T + b  # line 7: z^(l) = W^(l) h^(l-1) + b^(l)
        zs.append(z)
        if l < len(Ws):
            hs.append(np.maximum(z, 0.0))  # line 7: h^(l) = max(z^(l), 0) if l < L
    z_L = zs[-1] - zs[-1].max(axis=1, keepdims=True)  # line 8: ln softmax(z^(L)), computed stably
    log_y = z_L - np.log(np.exp(z_L).sum(axis=1, keepdims=True))
    return hs, zs, log_y


def loss(weights, biases, X, T, lam):
    """J of Eq. 2: the cross-entropy summed over the minibatch plus lam * sum of squared weights.

    Parameters
    ----------
    weights, biases:
        ``weights[l]`` is W^(l+1) of shape (d_{l+1}, d_l), as in z = W x + b; ``biases[l]`` is
        b^(l+1) of shape (d_{l+1},).  Hidden layers use ReLU, the output layer softmax.
    X, T:
        Inputs (m, d_0), one example per row, and one-hot targets (m, K).
    lam:
        The weight of lambda ||Theta||^2 (weights only, no factor 1/2).

    Raises
    ------
    ValueError
        When the shapes do not fit together (the message names the array and the shapes).
    """
    Ws, bs, X, T, lam = _as_network(weights, biases, X, T, lam)
    _, _, log_y = _forward(Ws, bs, X)
    return float(-(T * log_y).sum() + lam * sum(float((W**2).sum()) for W in Ws))


def gradients(weights, biases, X, T, lam):
    """(dweights, dbiases) of :func:`loss` by backpropagation: Algorithm 1, lines 5-13.

    Takes the arguments of :func:`loss` and returns lists with the shapes of ``weights`` and
    ``biases``.  Line 6's loop over the examples is vectorised: every line acts on all m rows
    at once, so the sum over the minibatch of delta_z^(l) h^(l-1)T is ``delta_z.T @ h``.

    Example
    -------
    >>> W, b = [np.zeros((3, 2))], [np.zeros(3)]
    >>> dW, db = gradients(W, b, np.ones((1, 2)), np.eye(3)[:1], lam=0.1)
    >>> db[0]  # y - t with y uniform
    array([-0.66666667,  0.33333333,  0.33333333])
    """
    Ws, bs, X, T, lam = _as_network(weights, biases, X, T, lam)
    L = len(Ws)
    dW = [2 * lam * W for W in Ws]  # line 5: Delta W^(l) = 2 lambda W^(l)
    db = [np.zeros_like(b) for b in bs]  # line 5: Delta b^(l) = 0
    hs, zs, log_y = _forward(Ws, bs, X)  # lines 6-8: every example (row) of the minibatch
    delta_z = np.exp(log_y) - T  # line 8: delta_z^(L) = y - t
    for l in range(L, 0, -1):  # line 9
        dW[l - 1] += delta_z.T @ hs[l - 1]  # line 10: += delta_z^(l) h^(l-1)T, summed over rows
        db[l - 1] += delta_z.sum(axis=0)  # line 10: += delta_z^(l), summed over rows
        if l > 1:  # line 11
            delta_h = delta_z @ Ws[l - 1]  # line 12: delta_h^(l-1) = W^(l)T delta_z^(l)
            delta_z = delta_h * (zs[l - 2] > 0)  # line 13: delta_z^(l-1) = delta_h (.) 1[z^(l-1) > 0]
    return dW, db


def sgd(weights, biases, X, T, lam, *, learning_rate, batch_size, epochs, seed):
    """Algorithm 1: minibatch SGD with :func:`gradients`; returns (weights, biases, history).

    ``weights``, ``biases`` are the initial parameters (line 1; not modified).  ``history``
    holds the mean cross-entropy -t^T ln y over the whole data set before training and after
    every epoch.
    """
    Ws, bs, X, T, lam = _as_network(weights, biases, X, T, lam)
    Ws, bs = [W.copy() for W in Ws], [b.copy() for b in bs]  # line 1
    rng = np.random.default_rng(seed)
    m = len(X)
    history = [loss(Ws, bs, X, T, 0.0) / m]
    for _ in range(epochs):  # line 2
        order = rng.permutation(m)  # line 3: shuffle D, cut it into minibatches
        for start in range(0, m, batch_size):  # line 4
            rows = order[start : start + batch_size]
            dW, db = gradients(Ws, bs, X[rows], T[rows], lam)  # lines 5-13
            for l in range(len(Ws)):  # line 14
                Ws[l] -= learning_rate * dW[l]
                bs[l] -= learning_rate * db[l]
        history.append(loss(Ws, bs, X, T, 0.0) / m)
    return Ws, bs, history


def random_network(rng, sizes, m):
    """Random weights, biases, inputs and one-hot targets for layer widths ``sizes``."""
    L = len(sizes) - 1
    Ws = [rng.normal(size=(sizes[l + 1], sizes[l])) / np.sqrt(sizes[l]) for l in range(L)]
    bs = [rng.normal(scale=RANDOM_BIAS_STD, size=sizes[l + 1]) for l in range(L)]
    X = rng.normal(size=(m, sizes[0]))
    T = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=m)]
    return Ws, bs, X, T
