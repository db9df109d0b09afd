"""Problem 9, the numeric decoder: a batched NumPy input-feeding decoder (rows, einsum).

:func:`decode` runs teacher-forced decoding of a batch of sentences through :func:`lstm_step`
(one LSTM layer) and :func:`attention_step` (global attention with the general score); the
checks compare every intermediate quantity with the printed equations, interpreted one sentence
and one step at a time.
"""

from __future__ import annotations

import numpy as np

__all__ = ["GATES", "softmax", "sigmoid", "init_params", "lstm_step", "attention_step", "decode"]

# Settings of the random test decoder (the checks hold for any values; part (ii) quotes a number
# that depends on them).
WEIGHT_INIT_STD = 0.4  # std of every random weight matrix except the embeddings
BIAS_INIT_STD = 0.1  # std of the random gate biases

GATES = ("i", "f", "o", "g")

# --------------------------------------------------------------------------- numeric decoder


def softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def init_params(sizes: dict, rng, input_feeding: bool = True) -> dict:
    """Random decoder parameters; ``W[l][g]`` is [W_g U_g] (input and recurrent weights side by side),
    shape (n, d_l + n), d_1 = d + n with feeding."""
    dd, nn, VV, LL = sizes["d"], sizes["n"], sizes["V"], sizes["L"]
    p = {"E": rng.normal(size=(dd, VV)), "W": [], "b": []}
    for l in range(LL):
        d_in = (dd + nn if input_feeding else dd) if l == 0 else nn
        p["W"].append({g: rng.normal(scale=WEIGHT_INIT_STD, size=(nn, d_in + nn)) for g in GATES})
        p["b"].append({g: rng.normal(scale=BIAS_INIT_STD, size=nn) for g in GATES})
    p["W_a"] = rng.normal(scale=WEIGHT_INIT_STD, size=(nn, nn))
    p["W_c"] = rng.normal(scale=WEIGHT_INIT_STD, size=(nn, 2 * nn))
    p["W_s"] = rng.normal(scale=WEIGHT_INIT_STD, size=(VV, nn))
    return p


def lstm_step(W, b, x, h, m):
    """One LSTM layer on a batch: rows are sentences.  Returns (h_t, m_t)."""
    xh = np.concatenate([x, h], axis=1)
    i = sigmoid(xh @ W["i"].T + b["i"])
    f = sigmoid(xh @ W["f"].T + b["f"])
    o = sigmoid(xh @ W["o"].T + b["o"])
    g = np.tanh(xh @ W["g"].T + b["g"])
    m_new = f * m + i * g
    return o * np.tanh(m_new), m_new


def attention_step(params, h, Hbar):
    """Global attention with the general score on a batch: h (B, n), Hbar (B, S, n)."""
    scores = np.einsum("bi,ij,bsj->bs", h, params["W_a"], Hbar)
    a = softmax(scores, axis=-1)
    c = np.einsum("bs,bsn->bn", a, Hbar)
    htilde = np.tanh(np.concatenate([c, h], axis=1) @ params["W_c"].T)
    p = softmax(htilde @ params["W_s"].T, axis=-1)
    return {"score": scores, "a": a, "c": c, "htilde": htilde, "p": p}


def decode(params, Hbar, y_prev, h0, m0, input_feeding: bool = True) -> dict:
    """Teacher-forced decoding of B sentences for T steps.

    ``Hbar`` (B, S, n) source states; ``y_prev`` (B, T) previous-word ids (y_0 = <s>);
    ``h0, m0`` lists of (B, n) initial states per layer.  Returns arrays (B, T, ...) of every
    quantity, and the per-layer states under ``"h_layers"`` / ``"m_layers"`` (L, B, T, n).
    """
    B, T = y_prev.shape
    n_ = Hbar.shape[2]
    hs, ms = [h.copy() for h in h0], [m.copy() for m in m0]
    htilde = np.zeros((B, n_))
    out = {k: [] for k in ("score", "a", "c", "htilde", "p", "h", "x1")}
    layers_h, layers_m = [[] for _ in hs], [[] for _ in ms]
    for t in range(T):
        emb = params["E"][:, y_prev[:, t]].T
        x = np.concatenate([emb, htilde], axis=1) if input_feeding else emb
        out["x1"].append(x)
        for l in range(len(hs)):
            hs[l], ms[l] = lstm_step(params["W"][l], params["b"][l], x, hs[l], ms[l])
            layers_h[l].append(hs[l])
            layers_m[l].append(ms[l])
            x = hs[l]
        step = attention_step(params, hs[-1], Hbar)
        htilde = step["htilde"]
        out["h"].append(hs[-1])
        for k, v in step.items():
            out[k].append(v)
    res = {k: np.stack(v, axis=1) for k, v in out.items()}
    res["h_layers"] = np.stack([np.stack(v, axis=1) for v in layers_h])
    res["m_layers"] = np.stack([np.stack(v, axis=1) for v in layers_m])
    return res
