"""Problem 9, the checks: the printed equations interpreted against the batched NumPy decoder.

:func:`verify` proves every statement conformable for all sizes, runs the printed equations one
sentence and one step at a time (:func:`_interpret_decoder`) and compares every intermediate
quantity with :func:`derivations.attention.method.decode`, reruns part (ii)'s perturbation
through the printed equations, walks the printed sums over their printed ranges, and counts the
entries of the arrays the decoder allocates.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations.attention.derivation import SIZE_SYMBOLS, d, d_l, decoder_symbols, n
from derivations.attention.experiment import FEEDBACK_DELTA, FEEDBACK_SEED, FEEDBACK_STEP, _random_problem
from derivations.attention.method import GATES, decode, init_params
from derivations.display import checked_shape, evaluate, plain, sized
from derivations.ledger import Derivation, numeric_claim, relative_error
from derivations.tex import tex

__all__ = ["verify"]

EPS = float(np.finfo(float).eps)


def _interpret_decoder(eqs: dict, sym: dict, params, Hbar, y_prev, h0, m0, sizes: dict) -> dict:
    """Run the printed equations, one sentence and one step at a time, as column vectors."""
    B, T = y_prev.shape
    L_ = len(params["W"])
    out = {k: np.zeros((B, T) + s) for k, s in (
        ("score", (sizes["S"],)), ("a", (sizes["S"],)), ("c", (sizes["n"],)),
        ("htilde", (sizes["n"],)), ("p", (sizes["V"],)), ("x1", (sizes["d"] + sizes["n"],)),
    )}
    out["h_layers"] = np.zeros((L_, B, T, sizes["n"]))
    out["m_layers"] = np.zeros((L_, B, T, sizes["n"]))
    shapes_ok = True

    def run(key, env, expected_shape):
        nonlocal shapes_ok
        st = eqs[key]
        v = evaluate(st.rhs, env)
        want = sized(st.lhs.shape, expected_shape)
        shapes_ok &= v.shape == want
        return v

    for b in range(B):
        hs = [h0[l][b][:, None] for l in range(L_)]
        ms = [m0[l][b][:, None] for l in range(L_)]
        htilde = np.zeros((sizes["n"], 1))
        for t in range(T):
            env = {
                sym["E"].name: params["E"],
                sym["y_prev"].name: np.eye(sizes["V"])[:, [y_prev[b, t]]],
                sym["htilde_prev"].name: htilde,
            }
            x = run("p9.input_feeding", env, _subs(sizes))
            out["x1"][b, t] = x[:, 0]
            for l in range(L_):
                d_in = sizes["d"] + sizes["n"] if l == 0 else sizes["n"]
                sz = dict(sizes, **{"d_l": d_in})
                env = {sym["x"].name: x, sym["h_prev"].name: hs[l], sym["m_prev"].name: ms[l]}
                for g in GATES:  # the decoder keeps [W U] as one matrix: split it at the input size
                    env[sym[f"W_{g}"].name] = params["W"][l][g][:, :d_in]
                    env[sym[f"U_{g}"].name] = params["W"][l][g][:, d_in:]
                    env[sym[f"b_{g}"].name] = params["b"][l][g][:, None]
                for st in eqs["p9.lstm_layer"]:
                    v = evaluate(st.rhs, env)
                    shapes_ok &= v.shape == sized(st.lhs.shape, _subs(sz))
                    env[st.lhs.name] = v
                hs[l], ms[l] = env[sym["h_l"].name], env[sym["m_l"].name]
                out["h_layers"][l, b, t], out["m_layers"][l, b, t] = hs[l][:, 0], ms[l][:, 0]
                x = hs[l]
            env = {
                sym["h"].name: hs[-1],
                sym["W_a"].name: params["W_a"],
                sym["W_c"].name: params["W_c"],
                sym["W_s"].name: params["W_s"],
                sym["Hbar"].name: Hbar[b].T,
            }
            for s_ in range(sizes["S"]):
                env[sym["hbar_s"].name] = Hbar[b, s_][:, None]
                out["score"][b, t, s_] = run("p9.score_general", env, _subs(sizes))[0, 0]
            for key, name, field in (
                ("p9.alignment", "a", "a"),
                ("p9.context", "c", "c"),
                ("p9.attentional_hidden", "htilde", "htilde"),
                ("p9.output", "p", "p"),
            ):
                v = run(key, env, _subs(sizes))
                env[sym[name].name] = v
                out[field][b, t] = v[:, 0]
            htilde = env[sym["htilde"].name]
    out["shapes_ok"] = shapes_ok
    return out


def _subs(sizes: dict) -> dict:
    """Concrete sizes keyed by the SymPy size symbols."""
    m = {SIZE_SYMBOLS[k]: v for k, v in sizes.items() if k in SIZE_SYMBOLS}
    if "d_l" in sizes:
        m[d_l] = sizes["d_l"]
    return m


def _check_printed_sum(statement, values, sizes: dict) -> float:
    """max |sum_{k=lo}^{hi} values[..., k - 1] - rhs| for a printed ``Sum(x, (k, lo, hi)) = rhs``."""
    (_, lo, hi), = statement.lhs.limits
    lo, hi = int(lo), int(sp.sympify(hi).subs(_subs(sizes)))
    if lo < 1 or hi > values.shape[-1]:
        return np.inf
    return float(np.abs(values[..., lo - 1 : hi].sum(axis=-1) - float(statement.rhs)).max())


def _check_feedback(eqs: dict, sym: dict, sizes: dict) -> dict:
    """feedback_dependence by the printed equations: the decoder without feeding is the printed one
    with the columns of layer 1 that read the fed-back state set to zero."""
    out = {}
    for feed in (True, False):
        params, Hbar, y_prev, h0, m0 = _random_problem(sizes, FEEDBACK_SEED, feed)
        if not feed:
            dd, nn = sizes["d"], sizes["n"]
            params["W"][0] = {g: np.concatenate([W[:, :dd], np.zeros((nn, nn)), W[:, dd:]], axis=1)
                              for g, W in params["W"][0].items()}
        delta = np.random.default_rng(FEEDBACK_SEED + 1).normal(scale=FEEDBACK_DELTA, size=Hbar.shape)
        a = _interpret_decoder(eqs, sym, params, Hbar, y_prev, h0, m0, sizes)["h_layers"]
        b = _interpret_decoder(eqs, sym, params, Hbar + delta, y_prev, h0, m0, sizes)["h_layers"]
        out["with" if feed else "without"] = float(np.abs(a[0, :, FEEDBACK_STEP] - b[0, :, FEEDBACK_STEP]).max())
    return out


def _array_shapes(params, sym: dict, sizes: dict) -> dict:
    """The shapes of the arrays the NumPy decoder allocates, keyed by the LaTeX of the printed names
    (layer 1, whose input has d_1 = d + n entries; its [W U] split at that width)."""
    d_in = sizes["d"] + sizes["n"]
    shapes = {tex(sym[k]): params[k].shape for k in ("E", "W_a", "W_c", "W_s")}
    for g in GATES:
        shapes[tex(sym[f"W_{g}"])] = params["W"][0][g][:, :d_in].shape
        shapes[tex(sym[f"U_{g}"])] = params["W"][0][g][:, d_in:].shape
        shapes[tex(sym[f"b_{g}"])] = params["b"][0][g].shape
    return shapes


def _printed_space_errors(spaces, sym: dict, sizes: dict, params) -> int:
    """How many names in the text's ``names \\in R^{rows \\times cols}`` (or ``R^{rows}``) have a
    printed shape other than the allocated array's, read back from the LaTeX at layer 1."""
    from sympy.parsing.sympy_parser import implicit_multiplication_application, parse_expr, standard_transformations

    names = {"d": sizes["d"], "n": sizes["n"], "V": sizes["V"], "dl": sizes["d"] + sizes["n"]}
    arrays = _array_shapes(params, sym, sizes)
    wrong = 0
    for text in spaces:
        lhs, space = text.split(r" \in \mathbb{R}^{", 1)
        plain_text = space[:-1].replace(r"|\mathcal{V}|", "V").replace("d_{l}", "dl")
        dims = tuple(int(parse_expr(part, local_dict=names,
                                    transformations=standard_transformations + (implicit_multiplication_application,)))
                     for part in plain_text.split(r"\times"))
        for name in lhs.split(", "):
            wrong += arrays.get(name) != dims
    return wrong


def _count_arrays(params) -> int:
    total = params["E"].size + params["W_a"].size + params["W_c"].size + params["W_s"].size
    for Wl, bl in zip(params["W"], params["b"]):
        total += sum(w.size for w in Wl.values()) + sum(v.size for v in bl.values())
    return total


# the order in which the template shows the claims (and the appendix lists them)
REPORT_ORDER = (
    "p9.input_feeding",
    "p9.lstm_layer",
    "p9.score_general",
    "p9.alignment",
    "p9.context",
    "p9.attentional_hidden",
    "p9.output",
    "p9.normalised",
    "p9.parameter_count",
)


def verify(derivation: Derivation):
    eqs = derivation.equations
    sym = decoder_symbols()
    sizes = derivation.context["sizes"]
    repro = "seed 0, B = {B}, T = {T}, S = {S}, d = {d}, n = {n}, |V| = {V}, L = {L}".format(**sizes)
    claims = []

    # every statement conforms for all sizes (raises ShapeMismatch otherwise)
    for key in ("p9.input_feeding", "p9.lstm_layer", "p9.score_general", "p9.alignment", "p9.context",
                "p9.attentional_hidden", "p9.output"):
        checked_shape(eqs[key])
    # the layer-1 input is what the generic layer expects with d_1 = d + n
    x1_rows = checked_shape(eqs["p9.input_feeding"])[0]

    params, Hbar, y_prev, h0, m0 = _random_problem(sizes, 0)
    ref = decode(params, Hbar, y_prev, h0, m0)
    got = _interpret_decoder(eqs, sym, params, Hbar, y_prev, h0, m0, sizes)
    shape_penalty = 0.0 if got["shapes_ok"] and sp.simplify(x1_rows - (d + n)) == 0 else np.inf
    # Both routes evaluate the same arithmetic in another order. Along the longest dependent chain,
    # T steps x L layers, each step rounds at most once per term of its sums: the gates' [x; h]
    # (d + 2n with the fed-back htilde), the score and context (S each), htilde's [c; h] (2n) and
    # the output (|V|); each rounding is u = eps/2 relative to values of O(1) (tanh, sigmoid and
    # softmax outputs), so each route is within chain u and the two within chain eps (measured: a few
    # eps). A wrong printed equation (a transposed W, a missing term) is off by O(0.1).
    chain = sizes["T"] * sizes["L"] * (sizes["d"] + 2 * sizes["n"] + 2 * sizes["S"] + 2 * sizes["n"] + sizes["V"])
    tol = chain * EPS
    pairs = {
        "p9.input_feeding": ("x1", "x1"),
        "p9.score_general": ("score", "score"),
        "p9.alignment": ("a", "a"),
        "p9.context": ("c", "c"),
        "p9.attentional_hidden": ("htilde", "htilde"),
        "p9.output": ("p", "p"),
    }
    lstm_err = max(relative_error(ref["h_layers"], got["h_layers"]), relative_error(ref["m_layers"], got["m_layers"]),
                   relative_error(ref["h"], got["h_layers"][-1]))  # the decoder's top state is h^(L)
    claims.append(numeric_claim(
        "p9.lstm_layer", eqs["p9.lstm_layer"], lstm_err + shape_penalty, tol,
        method="printed LSTM run per sentence vs batched NumPy decoder; shapes proved",
        reproduce=repro,
    ))
    # part (ii)'s numbers: the printed equations rerun on perturbed source states
    feedback = _check_feedback(eqs, sym, sizes)
    feedback_err = max(abs(feedback[k] - derivation.context["feedback"][k]) for k in ("with", "without"))
    for key, (a_key, b_key) in pairs.items():
        err = relative_error(ref[a_key], got[b_key]) + shape_penalty
        if key == "p9.input_feeding":  # states are at most 1 in size: the absolute error is relative
            # "without" == 0.0 exactly: without feeding, layer 1 never reads the source states, so both
            # runs are the same computation on the same inputs
            err = max(err, feedback_err) if feedback["without"] == 0.0 else np.inf
        claims.append(numeric_claim(
            key, eqs[key], err, tol,
            method="printed equation run per sentence vs batched NumPy decoder; shapes proved"
            + ("; part (ii) rerun" if key == "p9.input_feeding" else ""),
            reproduce=repro,
        ))

    # alignment weights and output probabilities are distributions: the printed sums, walked over
    # the printed ranges on the decoder's arrays
    norm = eqs["p9.normalised"]
    K = max(sizes["S"], sizes["V"])
    sum_err = max(_check_printed_sum(st, values, sizes) for st, values in zip(norm, (ref["a"], ref["p"])))
    # K eps bounds the sum's round-off: with e_i the exponentials, sum_i fl(e_i / fl(sum e)) is 1 up
    # to (K - 1) u for the denominator, u per division and (K - 1) u for the outer sum, (K - 1/2) eps.
    # Non-negativity is exact: exp >= 0 and a quotient of non-negatives is non-negative.
    nonneg = bool((ref["a"] >= 0).all() and (ref["p"] >= 0).all())
    claims.append(numeric_claim(
        "p9.normalised", norm, sum_err if nonneg else np.inf, K * EPS,
        method="printed sums over their ranges on the decoder's alignments and outputs; K eps",
        reproduce=repro,
    ))

    # the parameter count: formula from the symbolic shapes vs arrays allocated by init_params
    count = plain(eqs["p9.parameter_count"].rhs)  # the printed grouping, as the polynomial it means
    worst = 0
    for cfg_seed, cfg in enumerate(({"d": 5, "n": 4, "V": 7, "L": 1}, {"d": 3, "n": 6, "V": 11, "L": 2},
                                    {"d": 8, "n": 2, "V": 5, "L": 4})):
        arrays = init_params(cfg, np.random.default_rng(cfg_seed))
        formula = int(count.subs({SIZE_SYMBOLS[k]: v for k, v in cfg.items()}))
        worst = max(worst, abs(formula - _count_arrays(arrays)))
        # the shapes the text lists, read back from their LaTeX, are those of the same arrays
        worst += _printed_space_errors(derivation.context["params"], sym, cfg, arrays)
    claims.append(numeric_claim(  # tolerance 0: integer counts
        "p9.parameter_count", eqs["p9.parameter_count"], worst, 0,
        method="formula and printed shapes vs the arrays the NumPy decoder allocates, three sizes",
        reproduce="(d, n, |V|, L) = (5, 4, 7, 1), (3, 6, 11, 2), (8, 2, 5, 4)",
    ))
    return sorted(claims, key=lambda c: REPORT_ORDER.index(c.id))
