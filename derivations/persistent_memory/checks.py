"""Problem 10, the checks: the printed statements evaluated against the models and independent routes.

:func:`verify` expands both printed forms of FF exactly on symbolic matrices, evaluates the printed
sum form by loops against :func:`derivations.persistent_memory.method.feedforward`, interprets the
printed all-attention equations per head and position against the vectorised layer, evaluates the
printed split-softmax mixture on :func:`all_attention_loops` (explicit loops with separate context
and memory softmaxes), and compares the parameter counts with the arrays the models allocate.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations.display import IndexedSum, checked_shape, evaluate, sized
from derivations.ledger import Derivation, numeric_claim, symbolic_claim
from derivations.persistent_memory.derivation import (
    FF_EXAMPLE, RELU, H, N, attention_symbols, d, d_f, d_h, ff_symbols, tau,
)
from derivations.persistent_memory.method import all_attention, feedforward, init_all_attention, init_ff

__all__ = ["gamma", "all_attention_loops", "verify"]

U_ROUND = float(np.finfo(float).eps) / 2  # unit round-off of float64


def gamma(k: int) -> float:
    """Higham's gamma_k = k u / (1 - k u): the relative error bound of a k-term inner product."""
    return k * U_ROUND / (1 - k * U_ROUND)


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
    "p10.ff_softmax",
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
    for key in ("p10.ff_as_memory", "p10.ff_softmax", "p10.keys_values", "p10.projections", "p10.all_attention",
                "p10.split_softmax"):
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
        method="both sides expanded on symbolic U, V, b, c, x, undefined nonlinearity; 3 sizes",
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
        method="sum form by loops from these k_i, v_i, b_i vs vectorised FF, 12 sizes; text's weights",
        reproduce="seed 0, d in 1..16, d_f in 1..64",
        detail=detail,
    ))

    # (2b) the softmax step: the printed U softmax(V x) and M^v softmax(M^kT x), with M^k and M^v
    # from their printed definitions, against attention by explicit loops over the d_f pairs
    # (key i = row i of V, value i = column i of U, weights exp(x.k_i) / sum_j exp(x.k_j)).
    st = eqs["p10.ff_softmax"]
    rng = np.random.default_rng(2)
    worst_sm = 0.0
    for trial in range(12):
        dd, df = int(rng.integers(1, 17)), int(rng.integers(1, 65))
        if trial == 0:
            df = dd  # square: a transposed V or U would still run
        p = init_ff(dd, df, rng)
        x = rng.normal(size=dd)
        env = {s["x"].name: x[:, None], s["U"].name: p["U"], s["V"].name: p["V"]}
        env[st[1].lhs.name] = evaluate(st[1].rhs, env)
        env[st[2].lhs.name] = evaluate(st[2].rhs, env)
        logits = [sum(x[j] * p["V"][i, j] for j in range(dd)) for i in range(df)]
        top = max(logits)
        weights = [np.exp(v - top) for v in logits]
        total = sum(weights)
        want = np.array([sum(weights[i] / total * p["U"][r, i] for i in range(df)) for r in range(dd)])
        # rounding: the logits (d-term products), the exponentials and the d_f-term sums, relative to
        # the sum of |U| weighted by the softmax weights
        scale = np.abs(p["U"]) @ (np.array(weights) / total) * (np.max(np.abs(logits)) + 1)
        for side in (st[0].lhs, st[0].rhs):
            got = evaluate(side, env)[:, 0]
            worst_sm = max(worst_sm, float(np.max(np.abs(got - want) / (gamma(dd + df + 8) * scale))))
    claims.append(numeric_claim(
        "p10.ff_softmax", st, worst_sm, 2.0,
        method="both sides, M^k and M^v as printed, vs attention by loops over d_f pairs, 12 sizes",
        reproduce="seed 2, d in 1..16, d_f in 1..64",
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
        method="printed projections per head and position vs the loop model's products",
        reproduce=repro,
    ))
    # values are convex combinations of value vectors, so |y| <= max|value|: bound relative to it
    vmax = max(float(np.abs(np.einsum("hed,td->hte", params["W_v"], X)).max()), float(np.abs(params["M_v"]).max()))
    claims.append(numeric_claim(
        "p10.all_attention", eqs["p10.all_attention"], (printed_err / (4 * bound * vmax)) if shapes_ok else np.inf,
        1.0,
        method="printed equations per head and position vs the vectorised masked layer",
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
        method="printed mixture on loops with two separate softmaxes vs the single softmax",
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
        method="formulas vs entries of the arrays the NumPy models allocate, three sizes",
        reproduce="(d, d_f, H, N) = (8, 32, 2, 5), (12, 48, 3, 7), (16, 64, 4, 16)",
    ))
    return sorted(claims, key=lambda c: REPORT_ORDER.index(c.id))
