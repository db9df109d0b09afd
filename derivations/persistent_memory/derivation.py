"""Problem 10, the derivation: the feedforward sublayer as attention (Sukhbaatar et al. 2019, Section 4).

The FF sublayer in matrix form and as a sum over d_f fixed key-value pairs, the keys and values
read off V and U, the all-attention layer's per-position equations with persistent memory, the
split-softmax identity and the parameter counts, as SymPy statements keyed by claim id (the
paper's sum form printed, and interpreted, through :class:`derivations.display.ScalarTimes` and
:class:`derivations.display.IndexedSum`); :func:`derive`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations.display import Elementwise, IndexedSum, ScalarTimes
from derivations.ledger import Derivation, Figure
from derivations.persistent_memory.method import init_ff
from derivations.persistent_memory.quotes import QUOTES
from derivations.tex import mat, vec

__all__ = [
    "ff_symbols",
    "ff_equations",
    "attention_symbols",
    "all_attention_equations",
    "parameter_counts",
    "derive",
]

# Settings of the text's example and of the checked layer (the checks hold for any values).
FF_EXAMPLE = {"d": 64, "d_f": 256, "seed": 3}  # the random FF whose key weights the text counts
ATTENTION_SIZES = {"T": 7, "d": 8, "H": 2, "N": 3, "window": 4}  # the checked all-attention layer


# --------------------------------------------------------------------------- symbols

d = sp.Symbol("d", integer=True, positive=True)
d_f = sp.Symbol("d_f", integer=True, positive=True)
d_h = sp.Symbol("d_h", integer=True, positive=True)
H = sp.Symbol("H", integer=True, positive=True)
N = sp.Symbol("N", integer=True, positive=True)
tau = sp.Symbol(r"\tau", integer=True, positive=True)
i_ = sp.Symbol("i", integer=True, positive=True)
RELU = r"\operatorname{ReLU}"


def ff_symbols() -> dict:
    return {
        "x": vec("x", d),
        "U": mat("U", d, d_f),
        "V": mat("V", d_f, d),
        "b": vec("b", d_f),
        "c": vec("c", d),
        "k": vec("k", d, sub="i"),
        "v": vec("v", d, sub="i"),
        "b_i": sp.MatrixSymbol("b_{i}", 1, 1),
        "e_f": sp.MatrixSymbol(r"\mathbf{e}_{i}", d_f, 1),
        "M_k": mat("M", d, d_f, sup="k"),
        "M_v": mat("M", d, d_f, sup="v"),
    }


def ff_equations(s: dict) -> dict:
    """The FF sublayer in matrix form and as a sum over key-value pairs; keys and values."""
    matrix_form = s["U"] * Elementwise(RELU, s["V"] * s["x"] + s["b"]) + s["c"]
    weight = Elementwise(RELU, sp.MatAdd(sp.MatMul(s["x"].T, s["k"]), s["b_i"]))
    memory_form = IndexedSum(ScalarTimes(weight, s["v"]), i_, 1, d_f) + s["c"]
    # The step to persistent memory: ReLU replaced by a softmax over the d_f keys and the biases
    # dropped, FF is attention of the query x over keys M^k = V^T and values M^v = U (columns).
    Mk, Mv = s["M_k"], s["M_v"]
    soft = lambda arg: Elementwise(r"\softmax", arg)  # noqa: E731
    return {
        "p10.ff_softmax": (
            sp.Eq(s["U"] * soft(s["V"] * s["x"]), Mv * soft(Mk.T * s["x"]), evaluate=False),
            sp.Eq(Mk, s["V"].T, evaluate=False),
            sp.Eq(Mv, s["U"], evaluate=False),
        ),
        "p10.ff_as_memory": sp.Eq(matrix_form, memory_form, evaluate=False),
        "p10.keys_values": (
            sp.Eq(s["k"], sp.MatMul(s["V"].T, s["e_f"]), evaluate=False),
            sp.Eq(s["v"], sp.MatMul(s["U"], s["e_f"]), evaluate=False),
            sp.Eq(s["b_i"], sp.MatMul(s["e_f"].T, s["b"]), evaluate=False),
        ),
    }


def attention_symbols() -> dict:
    return {
        "x_t": vec("x", d, sub="t"),
        "X_t": mat("X", d, tau, sub="t"),
        "W_q": mat("W", d_h, d, sub="q"),
        "W_k": mat("W", d_h, d, sub="k"),
        "W_v": mat("W", d_h, d, sub="v"),
        "q_t": vec("q", d_h, sub="t"),
        "K_t": mat("K", d_h, tau, sub="t"),
        "V_t": mat("V", d_h, tau, sub="t"),
        "P_t": mat("P", d_h, tau, sub="t"),
        "M_k": mat("M", d_h, N, sup="k"),
        "M_v": mat("M", d_h, N, sup="v"),
        "K_plus": sp.MatrixSymbol(r"{\mathbf{K}_{t}^{+}}", d_h, tau + N),
        "V_plus": sp.MatrixSymbol(r"{\mathbf{V}_{t}^{+}}", d_h, tau + N),
        "a_t": vec("a", tau + N, sub="t"),
        "y_t": vec("y", d_h, sub="t"),
        "y_ctx": vec("y", d_h, sub="t", sup=r"\mathrm{ctx}"),
        "y_mem": vec("y", d_h, sub="t", sup=r"\mathrm{mem}"),
        "lam": sp.Symbol(r"\lambda_{t}"),
        "Z_ctx": sp.Symbol(r"Z_{t}^{\mathrm{ctx}}"),
        "Z_mem": sp.Symbol(r"Z_{t}^{\mathrm{mem}}"),
    }


def all_attention_equations(s: dict) -> dict:
    lam = s["lam"]
    return {
        "p10.projections": (
            sp.Eq(s["q_t"], s["W_q"] * s["x_t"], evaluate=False),
            sp.Eq(s["K_t"], s["W_k"] * s["X_t"], evaluate=False),
            sp.Eq(s["V_t"], s["W_v"] * s["X_t"], evaluate=False),
        ),
        "p10.all_attention": (
            sp.Eq(s["K_plus"], sp.BlockMatrix([[s["K_t"] + s["P_t"], s["M_k"]]]), evaluate=False),
            sp.Eq(s["V_plus"], sp.BlockMatrix([[s["V_t"], s["M_v"]]]), evaluate=False),
            sp.Eq(
                s["a_t"],
                Elementwise(r"\softmax", sp.MatMul(1 / sp.sqrt(d_h), s["K_plus"].T, s["q_t"])),
                evaluate=False,
            ),
            sp.Eq(s["y_t"], sp.MatMul(s["V_plus"], s["a_t"]), evaluate=False),
        ),
        "p10.split_softmax": (
            sp.Eq(s["y_t"], sp.MatAdd(sp.MatMul(lam, s["y_ctx"]), sp.MatMul(1 - lam, s["y_mem"])), evaluate=False),
            sp.Eq(lam, s["Z_ctx"] / (s["Z_ctx"] + s["Z_mem"]), evaluate=False),
        ),
    }


def parameter_counts():
    """(P_FF, P_mem) from the symbolic shapes: the FF sublayer, and N persistent pairs per head."""
    s = ff_symbols()
    p_ff = sum(m.shape[0] * m.shape[1] for m in (s["U"], s["V"], s["b"], s["c"]))
    a = attention_symbols()
    per_head = sum(m.shape[0] * m.shape[1] for m in (a["M_k"], a["M_v"]))
    p_mem = sp.expand((H * per_head).subs(d_h, d / H))
    return sp.expand(p_ff), p_mem


# --------------------------------------------------------------------------- derivation


def derive() -> Derivation:
    fs, as_ = ff_symbols(), attention_symbols()
    eqs = {**ff_equations(fs), **all_attention_equations(as_)}
    p_ff, p_mem = parameter_counts()
    P_ff, P_mem = sp.Symbol(r"P_{\mathrm{FF}}"), sp.Symbol(r"P_{\mathrm{mem}}")
    eqs["p10.parameter_count"] = (
        sp.Eq(P_ff, p_ff, evaluate=False),
        sp.Eq(P_mem, p_mem, evaluate=False),
        sp.Eq(sp.Subs(P_ff - P_mem, N, d_f), sp.expand(p_ff - p_mem.subs(N, d_f)), evaluate=False),
    )
    # the weights an FF "attention" puts on its keys: unnormalised and often exactly zero
    ex = FF_EXAMPLE
    rng = np.random.default_rng(ex["seed"])
    ff = init_ff(ex["d"], ex["d_f"], rng)
    x = rng.normal(size=ex["d"])
    w = np.maximum(ff["V"] @ x + ff["b"], 0.0)
    sizes = dict(ATTENTION_SIZES)
    ctx = {
        "ff_weights": {"d": ex["d"], "d_f": ex["d_f"], "zero": int((w == 0).sum()), "sum": float(w.sum())},
        "sizes": sizes,
        "ReLU": RELU,
    }
    fig = Figure(
        "p10_blocks",
        "figures.persistent_memory:transformer_vs_all_attention",
        {
            "standard": ["Multi-head self-attention", "Add \\& LayerNorm", "Feedforward", "Add \\& LayerNorm"],
            "all": ["Multi-head all-attention", "Add \\& LayerNorm"],
        },
        kind="tikz",
    )
    return Derivation(problem=10, equations=eqs, context=ctx, figures=(fig,), quotes=QUOTES)
