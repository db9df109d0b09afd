"""Problem 10: the feedforward sublayer as attention (Sukhbaatar et al. 2019, Section 4).

The question: what is the key idea of "Augmenting self-attention with persistent memory", and how
does Section 4 turn the feedforward sublayer into an attention layer?  Writing the matrix-vector
products of FF(x) = U ReLU(V x + b) + c column by column gives
FF(x) = sum_i ReLU(x^T k_i + b_i) v_i + c with the keys k_i the rows of V and the values v_i the
columns of U: attention over d_f fixed key-value pairs, with ReLU in place of softmax and no
context.  The all-attention layer therefore drops the FF sublayer and concatenates N learned
*persistent* key and value vectors per head to the keys and values computed from the context,
with one softmax over both.

Checks: the two forms of FF agree exactly for small symbolic sizes (any elementwise nonlinearity)
and to round-off for random sizes, the sum form being evaluated from the printed expression; the
vectorised all-attention layer agrees with the printed per-position equations and with an
independent loop implementation that uses separate softmaxes for context and memory (the
split-softmax identity); the parameter counts are compared with the arrays the models allocate.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from derivations.attention import Elementwise, checked_shape, evaluate, sized
from derivations.ledger import Derivation, Figure, numeric_claim, symbolic_claim
from derivations.tex import mat, tex, vec

__all__ = [
    "IndexedSum",
    "ScalarTimes",
    "feedforward",
    "init_ff",
    "init_all_attention",
    "all_attention",
    "all_attention_loops",
    "derive",
    "verify",
]

U_ROUND = float(np.finfo(float).eps) / 2  # unit round-off of float64

# Settings of the random test models (the checks hold for any values; the text quotes the FF example).
FF_WEIGHT_STD = 0.125  # std of the random FF matrices U and V
FF_BIAS_STD = 0.5  # std of the random FF biases b and c
ATTENTION_WEIGHT_STD = 0.35  # std of the random projections W_q, W_k, W_v, W_o
POSITION_STD = 0.3  # std of the random relative position embeddings
FF_EXAMPLE = {"d": 64, "d_f": 256, "seed": 3}  # the random FF whose key weights the text counts
ATTENTION_SIZES = {"T": 7, "d": 8, "H": 2, "N": 3, "window": 4}  # the checked all-attention layer


def gamma(k: int) -> float:
    """Higham's gamma_k = k u / (1 - k u): the relative error bound of a k-term inner product."""
    return k * U_ROUND / (1 - k * U_ROUND)


# --------------------------------------------------------------------------- expression pieces


class ScalarTimes(MatrixExpr):
    """A 1x1 expression times a matrix, printed as ``s v`` (the paper's order)."""

    def __new__(cls, scalar, matrix):
        return MatrixExpr.__new__(cls, scalar, matrix)

    @property
    def shape(self):
        return self.args[1].shape

    def _latex(self, printer):
        return "%s %s" % (printer._print(self.args[0]), printer._print(self.args[1]))

    def _conform(self, check):
        r, c = check(self.args[0])
        if not (sp.simplify(r - 1) == 0 and sp.simplify(c - 1) == 0):
            raise ValueError(f"{tex(self)}: the factor must be 1 x 1, not {r} x {c}")
        return check(self.args[1])

    def _interpret(self, env, ev):
        return ev(self.args[0])[0, 0] * ev(self.args[1])


class IndexedSum(MatrixExpr):
    r"""``\sum_{i=lo}^{hi} term``; the interpreter binds every name in ``env`` that is a function
    of ``i`` (an indexed family such as the keys ``k_i``) before evaluating the term."""

    def __new__(cls, term, index, lo, hi):
        return MatrixExpr.__new__(cls, term, index, sp.sympify(lo), sp.sympify(hi))

    @property
    def shape(self):
        return self.args[0].shape

    def _latex(self, printer):
        term, i, lo, hi = self.args
        parts = (printer._print(x) for x in (i, lo, hi, term))
        return r"\sum_{%s=%s}^{%s} %s" % tuple(parts)

    def _conform(self, check):
        return check(self.args[0])

    def _interpret(self, env, ev):
        term, i, lo, hi = self.args
        lo_, hi_ = (int(sp.sympify(x).subs({s: env[s.name] for s in x.free_symbols})) for x in (lo, hi))
        total = None
        for k in range(lo_, hi_ + 1):
            local = {name: (f(k) if callable(f) else f) for name, f in env.items()}
            v = ev(term, local)
            total = v if total is None else total + v
        return total


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
    }


def ff_equations(s: dict) -> dict:
    """The FF sublayer in matrix form and as a sum over key-value pairs; keys and values."""
    matrix_form = s["U"] * Elementwise(RELU, s["V"] * s["x"] + s["b"]) + s["c"]
    weight = Elementwise(RELU, sp.MatAdd(sp.MatMul(s["x"].T, s["k"]), s["b_i"]))
    memory_form = IndexedSum(ScalarTimes(weight, s["v"]), i_, 1, d_f) + s["c"]
    return {
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


# --------------------------------------------------------------------------- numeric models


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


def all_attention_loops(p: dict, X) -> dict:
    """The same layer by explicit loops and two separate softmaxes (split-softmax identity).

    For each head and position, the context part and the memory part are normalised on their
    own, y_ctx and y_mem, and mixed with lambda = Z_ctx / (Z_ctx + Z_mem).
    """
    T, dd = X.shape
    heads, window, dh = p["P"].shape
    y, y_ctx_all, y_mem_all = (np.zeros((heads, T, dh)) for _ in range(3))
    lam, z_ctx_all, z_mem_all = (np.zeros((heads, T)) for _ in range(3))
    for h in range(heads):
        for t in range(T):
            q = p["W_q"][h] @ X[t]
            ctx_logits, ctx_values = [], []
            for j in range(max(0, t - window + 1), t + 1):
                key = p["W_k"][h] @ X[j] + p["P"][h, j - t + window - 1]
                ctx_logits.append(float(q @ key) / np.sqrt(dh))
                ctx_values.append(p["W_v"][h] @ X[j])
            mem_logits = [float(q @ p["M_k"][h, i]) / np.sqrt(dh) for i in range(p["M_k"].shape[1])]
            shift = max(max(ctx_logits), max(mem_logits))
            w_ctx = [np.exp(z - shift) for z in ctx_logits]
            w_mem = [np.exp(z - shift) for z in mem_logits]
            z_ctx, z_mem = sum(w_ctx), sum(w_mem)
            y_ctx = sum(w * v for w, v in zip(w_ctx, ctx_values)) / z_ctx
            y_mem = sum(w * v for w, v in zip(w_mem, p["M_v"][h])) / z_mem
            lam[h, t] = z_ctx / (z_ctx + z_mem)
            y[h, t] = lam[h, t] * y_ctx + (1 - lam[h, t]) * y_mem
            y_ctx_all[h, t], y_mem_all[h, t], z_ctx_all[h, t], z_mem_all[h, t] = y_ctx, y_mem, z_ctx, z_mem
    out = np.zeros((T, dd))
    for t in range(T):
        out[t] = p["W_o"] @ np.concatenate([y[h, t] for h in range(heads)])
    # the parts, with Z_ctx and Z_mem both scaled by exp(-max logit) (lambda is unchanged)
    return {"y": y, "lam": lam, "out": out, "y_ctx": y_ctx_all, "y_mem": y_mem_all, "Z_ctx": z_ctx_all,
            "Z_mem": z_mem_all}


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
    return Derivation(problem=10, equations=eqs, context=ctx, figures=(fig,))


# --------------------------------------------------------------------------- verification


def _ff_env(s: dict, p: dict, x, df: int) -> dict:
    """Bind the printed names; the keys, values and key biases come from the printed definitions."""
    env = {s["x"].name: x[:, None], s["U"].name: p["U"], s["V"].name: p["V"],
           s["b"].name: p["b"][:, None], s["c"].name: p["c"][:, None], d_f.name: df}
    return env


def _bind_keys_values(eqs: dict, env: dict, df: int, exact_functions=None) -> dict:
    """Indexed families k_i, v_i, b_i, evaluated from the printed definitions with e_i."""
    e_name = ff_symbols()["e_f"].name

    def family(st):
        def at(i):
            e = sp.zeros(df, 1) if exact_functions is not None else np.zeros((df, 1))
            e[i - 1, 0] = 1
            return evaluate(st.rhs, {**env, e_name: e}, exact_functions)

        return at

    return {**env, **{st.lhs.name: family(st) for st in eqs["p10.keys_values"]}}


def _check_split_softmax(statements, sym: dict, parts: dict):
    """The printed y_t and lambda_t at every head and position, from the separate softmaxes' parts."""
    mix, lam_eq = statements
    heads, T, dh = parts["y_ctx"].shape
    y, lam = np.zeros((heads, T, dh)), np.zeros((heads, T))
    for h in range(heads):
        for t in range(T):
            env = {sym["Z_ctx"].name: parts["Z_ctx"][h, t], sym["Z_mem"].name: parts["Z_mem"][h, t],
                   sym["y_ctx"].name: parts["y_ctx"][h, t][:, None], sym["y_mem"].name: parts["y_mem"][h, t][:, None]}
            lam[h, t] = env[lam_eq.lhs.name] = evaluate(lam_eq.rhs, env)
            y[h, t] = evaluate(mix.rhs, env)[:, 0]
    return y, lam


def _check_key_weights(eqs: dict, env: dict, df: int) -> np.ndarray:
    """The printed weights ReLU(x^T k_i + b_i), i = 1..d_f, read off the sum form of FF."""
    total = next(a for a in eqs["p10.ff_as_memory"].rhs.args if isinstance(a, IndexedSum))
    weight = total.args[0].args[0]
    return np.array([
        evaluate(weight, {name: (f(i) if callable(f) else f) for name, f in env.items()})[0, 0]
        for i in range(1, df + 1)
    ])


# the order in which the template shows the claims (and the appendix lists them)
REPORT_ORDER = (
    "p10.keys_values",
    "p10.ff_as_memory",
    "p10.projections",
    "p10.all_attention",
    "p10.split_softmax",
    "p10.parameter_count",
)


def verify(derivation: Derivation):
    eqs = derivation.equations
    s = ff_symbols()
    a = attention_symbols()
    claims = []
    for key in ("p10.ff_as_memory", "p10.keys_values", "p10.projections", "p10.all_attention", "p10.split_softmax"):
        checked_shape(eqs[key])

    # (1) the two forms of FF, exactly, for small symbolic sizes and an arbitrary nonlinearity
    sigma = sp.Function("sigma")
    exact = {RELU: lambda M: M.applyfunc(sigma)}
    residuals = []
    for dd, df in ((1, 1), (2, 3), (3, 2)):
        p = {
            "U": sp.Matrix(dd, df, lambda r, c: sp.Symbol(f"U_{r}{c}")),
            "V": sp.Matrix(df, dd, lambda r, c: sp.Symbol(f"V_{r}{c}")),
            "b": sp.Matrix(df, 1, lambda r, c: sp.Symbol(f"b_{r}")),
            "c": sp.Matrix(dd, 1, lambda r, c: sp.Symbol(f"c_{r}")),
        }
        x = sp.Matrix(dd, 1, lambda r, c: sp.Symbol(f"x_{r}"))
        env = {s["x"].name: x, s["U"].name: p["U"], s["V"].name: p["V"], s["b"].name: p["b"],
               s["c"].name: p["c"], d_f.name: df}
        env = _bind_keys_values(eqs, env, df, exact)
        st = eqs["p10.ff_as_memory"]
        residuals.append(evaluate(st.lhs, env, exact) - evaluate(st.rhs, env, exact))
    claims.append(symbolic_claim(
        "p10.ff_as_memory", eqs["p10.ff_as_memory"], sp.Matrix.vstack(*residuals),
        method="both printed sides expanded on symbolic U, V, b, c, x with an undefined nonlinearity; "
        "(d, d_f) = (1, 1), (2, 3), (3, 2)",
    ))

    # (2) numerically: the printed sum form (loops, keys from the printed definitions) vs FF
    rng = np.random.default_rng(0)
    worst, detail = 0.0, ""
    for trial in range(12):
        dd, df = int(rng.integers(1, 17)), int(rng.integers(1, 65))
        if trial == 0:
            df = dd  # a square case, where a transposed V or U would still run
        p = init_ff(dd, df, rng)
        x = rng.normal(size=dd) * rng.choice([0.1, 1.0, 10.0])
        env = _bind_keys_values(eqs, _ff_env(s, p, x, df), df)
        got = evaluate(eqs["p10.ff_as_memory"].rhs, env)[:, 0]
        if trial < 3:  # the i-th key, value and bias are the i-th row of V, column of U, entry of b
            for i in range(1, df + 1):
                named = (env[s["k"].name](i)[:, 0], env[s["v"].name](i)[:, 0], env[s["b_i"].name](i)[0, 0])
                # exact: k_i, v_i, b_i are read off the arrays, no arithmetic
                if not all(np.array_equal(a, b) for a, b in zip(named, (p["V"][i - 1], p["U"][:, i - 1], p["b"][i - 1]))):
                    worst, detail = np.inf, f"k_i, v_i or b_i is not row/column/entry i for i = {i}"
        try:
            want = feedforward(p, x[None])[0]
        except ValueError as exc:  # a transposed matrix in the model
            worst, detail = np.inf, f"feedforward failed for d = {dd}, d_f = {df}: {exc}"
            break
        scale = np.abs(p["U"]) @ np.maximum(p["V"] @ x + p["b"], 0) + np.abs(p["c"])
        scale = scale + np.abs(p["U"]) @ (np.abs(p["V"]) @ np.abs(x) + np.abs(p["b"]))
        worst = max(worst, float(np.max(np.abs(got - want) / (gamma(dd + df + 2) * scale))))
    # the text's example: the printed weights ReLU(x^T k_i + b_i) of a random FF, zeros and sum
    ex, shown = FF_EXAMPLE, derivation.context["ff_weights"]
    rng = np.random.default_rng(ex["seed"])
    p = init_ff(ex["d"], ex["d_f"], rng)
    x = rng.normal(size=ex["d"])
    w = _check_key_weights(eqs, _bind_keys_values(eqs, _ff_env(s, p, x, ex["d_f"]), ex["d_f"]), ex["d_f"])
    scale = gamma(ex["d"] + 1) * float(np.sum(np.abs(p["V"]) @ np.abs(x) + np.abs(p["b"])))
    if int((w == 0).sum()) != shown["zero"] or (shown["d"], shown["d_f"]) != (ex["d"], ex["d_f"]):
        worst, detail = np.inf, f"the text counts {shown['zero']} zero weights, the printed weights have {int((w == 0).sum())}"
    # The zero count decides ReLU(x^T k_i + b_i) = 0 on floats: each pre-activation must be more than
    # 100 times its rounding bound gamma_(d+1) (|k_i|.|x| + |b_i|) away from 0 (measured: 1e11 times)
    pre = p["V"] @ x + p["b"]
    if not np.all(np.abs(pre) > 100 * gamma(ex["d"] + 1) * (np.abs(p["V"]) @ np.abs(x) + np.abs(p["b"]))):
        worst, detail = np.inf, "a key weight's pre-activation is within rounding of 0: the zero count could flip"
    worst = max(worst, abs(float(w.sum()) - shown["sum"]) / scale)
    claims.append(numeric_claim(
        "p10.keys_values", eqs["p10.keys_values"], worst, 2.0,
        method="printed sum form by loops, keys and values from these definitions, vs vectorised FF, "
        "12 random sizes; error in units of the float64 inner-product bound; k_i, v_i, b_i against "
        "row, column and entry i; the text's zero count and sum of the weights from the printed form",
        reproduce="seed 0, d in 1..16, d_f in 1..64",
        detail=detail,
    ))

    # (3) all-attention: printed per-position equations, vectorised model, loops with two softmaxes
    sz = derivation.context["sizes"]
    rng = np.random.default_rng(1)
    params = init_all_attention(sz["d"], sz["H"], sz["N"], sz["window"], rng)
    X = rng.normal(size=(sz["T"], sz["d"]))
    vec_out = all_attention(params, X)
    loop_out = all_attention_loops(params, X)
    dh = sz["d"] // sz["H"]
    bound = gamma(sz["d"] + sz["window"] + sz["N"] + dh)
    printed_err, shapes_ok, proj_err = 0.0, True, 0.0
    for h in range(sz["H"]):
        for t in range(sz["T"]):
            lo = max(0, t - sz["window"] + 1)
            ctx_pos = list(range(lo, t + 1))
            env = {
                a["x_t"].name: X[t][:, None], a["X_t"].name: X[ctx_pos].T,
                a["W_q"].name: params["W_q"][h], a["W_k"].name: params["W_k"][h], a["W_v"].name: params["W_v"][h],
                a["P_t"].name: params["P"][h, [j - t + sz["window"] - 1 for j in ctx_pos]].T,
                a["M_k"].name: params["M_k"][h].T, a["M_v"].name: params["M_v"][h].T, d_h.name: dh,
            }
            sizes = {d: sz["d"], d_h: dh, tau: len(ctx_pos), N: sz["N"]}
            for st in eqs["p10.projections"] + eqs["p10.all_attention"]:
                v = evaluate(st.rhs, env)
                shapes_ok &= v.shape == sized(st.lhs.shape, sizes)
                env[st.lhs.name] = v
            y = env[a["y_t"].name][:, 0]
            printed_err = max(printed_err, float(np.abs(y - vec_out["y"][h, t]).max()))
            # the printed projections agree with the loop model's own W x, in units of the bound
            for name, W, cols in (("q_t", "W_q", [t]), ("K_t", "W_k", ctx_pos), ("V_t", "W_v", ctx_pos)):
                want = params[W][h] @ X[cols].T
                bound_q = gamma(sz["d"]) * (np.abs(params[W][h]) @ np.abs(X[cols]).T)
                proj_err = max(proj_err, float(np.max(np.abs(env[a[name].name] - want) / bound_q)))
    repro = f"seed 1, T = {sz['T']}, d = {sz['d']}, H = {sz['H']}, N = {sz['N']}, window {sz['window']}"
    claims.append(numeric_claim(
        "p10.projections", eqs["p10.projections"], proj_err if shapes_ok else np.inf, 1.0,
        method="printed projections per head and position vs the loop model's products; "
        "error in units of the float64 inner-product bound",
        reproduce=repro,
    ))
    # values are convex combinations of value vectors, so |y| <= max|value|: bound relative to it
    vmax = max(float(np.abs(np.einsum("hed,td->hte", params["W_v"], X)).max()), float(np.abs(params["M_v"]).max()))
    claims.append(numeric_claim(
        "p10.all_attention", eqs["p10.all_attention"], (printed_err / (4 * bound * vmax)) if shapes_ok else np.inf,
        1.0,
        method="printed equations (one softmax) interpreted per head and position vs the vectorised "
        "masked layer; error in units of the round-off bound",
        reproduce=repro,
    ))
    out_scale = max(float(np.abs(vec_out["out"]).max()), 1e-300)
    # the printed mixture and lambda, evaluated on the loops' two separate softmaxes
    y_printed, lam_printed = _check_split_softmax(eqs["p10.split_softmax"], a, loop_out)
    split_err = max(float(np.abs(loop_out["y"] - vec_out["y"]).max()) / vmax,
                    float(np.abs(y_printed - vec_out["y"]).max()) / vmax,
                    float(np.abs(lam_printed - vec_out["a"][..., : sz["T"]].sum(axis=-1)).max()),
                    float(np.abs(loop_out["out"] - vec_out["out"]).max()) / out_scale)
    claims.append(numeric_claim(
        "p10.split_softmax", eqs["p10.split_softmax"], split_err / (4 * bound), 1.0,
        method="printed mixture and lambda evaluated on explicit loops with separate context and memory "
        "softmaxes, vs the vectorised single softmax (its output and its context share); error in units "
        "of the round-off bound",
        reproduce=repro,
    ))

    # (4) parameter counts vs the arrays the models allocate
    (P_ff, p_ff), (P_mem, p_mem), (diff_lhs, diff_rhs) = ((st.lhs, st.rhs) for st in eqs["p10.parameter_count"])
    # the printed left side P_FF - P_mem at N = d_f, with the printed counts put in, against its right side
    diff_ok = sp.simplify(diff_lhs.subs({P_ff: p_ff, P_mem: p_mem}).doit() - diff_rhs) == 0
    worst = 0
    for k, (dd, df, heads, n_mem) in enumerate(((8, 32, 2, 5), (12, 48, 3, 7), (16, 64, 4, 16))):
        r = np.random.default_rng(k)
        ff = init_ff(dd, df, r)
        att = init_all_attention(dd, heads, n_mem, 3, r)
        worst = max(
            worst,
            abs(int(p_ff.subs({d: dd, d_f: df})) - sum(v.size for v in ff.values())),
            abs(int(p_mem.subs({d: dd, N: n_mem, H: heads})) - att["M_k"].size - att["M_v"].size),
        )
    claims.append(numeric_claim(  # tolerance 0: integer counts, and SymPy's exact difference
        "p10.parameter_count", eqs["p10.parameter_count"], worst if diff_ok else np.inf, 0,
        method="formulas from the symbolic shapes vs entries of the arrays the NumPy models allocate, three sizes",
        reproduce="(d, d_f, H, N) = (8, 32, 2, 5), (12, 48, 3, 7), (16, 64, 4, 16)",
    ))
    return sorted(claims, key=lambda c: REPORT_ORDER.index(c.id))
