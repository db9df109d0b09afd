"""Problem 11, the language model: a feed-forward neural LM in NumPy, and its keys f(c_t).

The model (Bengio et al.'s n-gram network, the smallest neural LM with a learned context
representation) reads the last ``n`` words of the context c_t = (..., w_{t-1}, w_t):

    x_t = [E w_{t-n+1}; ...; E w_t],   h_t = tanh(W x_t + b),   p_LM(. | c_t) = softmax(U h_t + c).

``h_t`` is the input to the final softmax layer, the vector the paper stores as the key f(c_t).
Positions before the start of the text read ``<s>`` (word id 0).  Training minimises the mean
cross-entropy of the next word with Adam on minibatches of shuffled positions, in float64, one
pass over the training text, everything seeded: the same seed gives the same weights, and the
rounding of another BLAS kernel moves the trained weights by far less than the report prints.
Training may see only part of the text; the datastore still holds all of it (the paper's
Section 4.2 builds a datastore larger than the LM's training set in the same way).

* :func:`init_params` -- seeded initial weights (also the *untrained* network of the control);
* :func:`contexts` -- the (positions, n) word-id windows;
* :func:`hidden` -- the keys h_t; :func:`log_probs` -- log p_LM for every word;
* :func:`loss_and_grads` -- the mean cross-entropy and its gradient (backpropagation);
* :func:`train` -- Adam over one pass.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PARAM_NAMES", "init_params", "contexts", "hidden", "log_probs", "loss_and_grads", "train"]

PARAM_NAMES = ("E", "W", "b", "U", "c")


def init_params(vocab_size: int, n: int, emb: int, width: int, seed: int) -> dict:
    """E ~ N(0, 1), W ~ N(0, 1/(n emb)), U ~ N(0, 1/width), biases 0; float64."""
    rng = np.random.default_rng(seed)
    return {
        "E": rng.standard_normal((vocab_size, emb)),
        "W": rng.standard_normal((width, n * emb)) / np.sqrt(n * emb),
        "b": np.zeros(width),
        "U": rng.standard_normal((vocab_size, width)) / np.sqrt(width),
        "c": np.zeros(vocab_size),
    }


def contexts(ids: np.ndarray, positions: np.ndarray, n: int) -> np.ndarray:
    """Row t: the word ids w_{t-n+1}, ..., w_t (id 0, ``<s>``, before the start of the text)."""
    positions = np.asarray(positions, dtype=np.int64)
    back = positions[:, None] + np.arange(-n + 1, 1)[None, :]
    return np.where(back >= 0, np.asarray(ids)[np.maximum(back, 0)], 0)


def hidden(params: dict, ctx: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """h = tanh(W x + b) for each row of word-id windows ``ctx`` (rows, n) -> (rows, width), a chunk
    of rows at a time (each row's arithmetic is the same whatever the chunk)."""
    out = np.empty((len(ctx), params["W"].shape[0]))
    for start in range(0, len(ctx), chunk):
        x = params["E"][ctx[start : start + chunk]].reshape(-1, params["W"].shape[1])
        out[start : start + chunk] = np.tanh(x @ params["W"].T + params["b"])
    return out


def log_probs(params: dict, h: np.ndarray) -> np.ndarray:
    """log softmax(U h + c) over the vocabulary, (rows, V)."""
    z = h @ params["U"].T + params["c"]
    z -= z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def loss_and_grads(params: dict, ctx: np.ndarray, targets: np.ndarray):
    """Mean cross-entropy -1/B sum log p_LM(w_{t+1} | c_t) of a batch, and its gradient per parameter."""
    B, n = ctx.shape
    x = params["E"][ctx].reshape(B, -1)
    h = np.tanh(x @ params["W"].T + params["b"])
    logp = log_probs(params, h)
    rows = np.arange(B)
    loss = -float(logp[rows, targets].mean())
    dz = np.exp(logp)  # softmax minus one-hot, over B
    dz[rows, targets] -= 1.0
    dz /= B
    dh = dz @ params["U"]
    da = dh * (1.0 - h * h)
    dx = (da @ params["W"]).reshape(B, n, -1)
    dE = np.zeros_like(params["E"])
    np.add.at(dE, ctx, dx)
    return loss, {"E": dE, "W": da.T @ x, "b": da.sum(axis=0), "U": dz.T @ h, "c": dz.sum(axis=0)}


def train(ids: np.ndarray, params: dict, n: int, batch: int, lr: float, seed: int, positions: int | None = None,
          betas=(0.9, 0.999), eps: float = 1e-8):
    """One pass of Adam over ``positions`` of the positions 0..T-2 of ``ids`` (all by default),
    drawn without replacement in a seeded random order.

    Returns the trained parameters (new arrays) and the mean loss of each minibatch.
    """
    params = {k: v.copy() for k, v in params.items()}
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v2 = {k: np.zeros_like(v) for k, v in params.items()}
    order = np.random.default_rng(seed).permutation(len(ids) - 1)[:positions]
    losses = []
    for step, start in enumerate(range(0, len(order), batch), start=1):
        pos = order[start : start + batch]
        loss, grads = loss_and_grads(params, contexts(ids, pos, n), ids[pos + 1])
        losses.append(loss)
        for k in PARAM_NAMES:
            m[k] = betas[0] * m[k] + (1 - betas[0]) * grads[k]
            v2[k] = betas[1] * v2[k] + (1 - betas[1]) * grads[k] ** 2
            m_hat = m[k] / (1 - betas[0] ** step)
            v_hat = v2[k] / (1 - betas[1] ** step)
            params[k] -= lr * m_hat / (np.sqrt(v_hat) + eps)
    return params, losses
