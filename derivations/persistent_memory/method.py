"""Problem 10, the numeric models: the FF sublayer and the all-attention layer in NumPy.

:func:`feedforward` is the FF sublayer in matrix form, vectorised over positions;
:func:`all_attention` is the all-attention layer over a sequence: causal window, relative
position embeddings, N persistent key-value pairs per head, one softmax over context and memory.
"""

from __future__ import annotations

import numpy as np

__all__ = ["init_ff", "feedforward", "init_all_attention", "all_attention"]

# Settings of the random test models (the checks hold for any values; the text quotes the FF example).
FF_WEIGHT_STD = 0.125  # std of the random FF matrices U and V
FF_BIAS_STD = 0.5  # std of the random FF biases b and c
ATTENTION_WEIGHT_STD = 0.35  # std of the random projections W_q, W_k, W_v, W_o
POSITION_STD = 0.3  # std of the random relative position embeddings


def init_ff(dd: int, df: int, rng) -> dict:
    return {
        "U": rng.normal(scale=FF_WEIGHT_STD, size=(dd, df)),
        "V": rng.normal(scale=FF_WEIGHT_STD, size=(df, dd)),
        "b": rng.normal(scale=FF_BIAS_STD, size=df),
        "c": rng.normal(scale=FF_BIAS_STD, size=dd),
    }


def feedforward(p: dict, X):
    """FF on a batch of rows: X (T, d) -> (T, d), the matrix form vectorised."""
    return np.maximum(X @ p["V"].T + p["b"], 0.0) @ p["U"].T + p["c"]


def init_all_attention(dd: int, heads: int, n_mem: int, window: int, rng) -> dict:
    dh = dd // heads
    return {
        "W_q": rng.normal(scale=ATTENTION_WEIGHT_STD, size=(heads, dh, dd)),
        "W_k": rng.normal(scale=ATTENTION_WEIGHT_STD, size=(heads, dh, dd)),
        "W_v": rng.normal(scale=ATTENTION_WEIGHT_STD, size=(heads, dh, dd)),
        "W_o": rng.normal(scale=ATTENTION_WEIGHT_STD, size=(dd, dd)),
        "P": rng.normal(scale=POSITION_STD, size=(heads, window, dh)),  # P[h, r]: offset r - (window - 1)
        "M_k": rng.normal(size=(heads, n_mem, dh)),
        "M_v": rng.normal(size=(heads, n_mem, dh)),
    }


def _softmax_rows(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def all_attention(p: dict, X) -> dict:
    """Vectorised all-attention over a sequence X (T, d): causal window, persistent memory.

    Position t attends to positions max(0, t - window + 1) .. t (keys plus relative position
    embeddings) and to the N persistent keys (no position term), one softmax over both.
    Returns per-head outputs ``y`` (H, T, d_h), weights ``a`` (H, T, T + N) and ``out`` (T, d).
    """
    T = X.shape[0]
    heads, window, dh = p["P"].shape
    Q = np.einsum("hed,td->hte", p["W_q"], X)
    K = np.einsum("hed,td->hte", p["W_k"], X)
    Vv = np.einsum("hed,td->hte", p["W_v"], X)
    offset = np.arange(T)[None, :] - np.arange(T)[:, None]  # j - t
    visible = (offset <= 0) & (offset > -window)
    pos = p["P"][:, np.clip(offset + window - 1, 0, window - 1)]  # (H, T, T, dh)
    ctx = (np.einsum("hte,hje->htj", Q, K) + np.einsum("hte,htje->htj", Q, pos)) / np.sqrt(dh)
    ctx = np.where(visible[None], ctx, -np.inf)
    mem = np.einsum("hte,hne->htn", Q, p["M_k"]) / np.sqrt(dh)
    a = _softmax_rows(np.concatenate([ctx, mem], axis=-1))
    values = np.concatenate([np.broadcast_to(Vv[:, None], (heads, T, T, dh)),
                             np.broadcast_to(p["M_v"][:, None], (heads, T) + p["M_v"].shape[1:])], axis=2)
    y = np.einsum("htj,htje->hte", a, values)
    out = np.concatenate(list(y), axis=1) @ p["W_o"].T
    return {"y": y, "a": a, "out": out}
