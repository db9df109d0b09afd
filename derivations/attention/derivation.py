"""Problem 9, the derivation: the input-feeding decoder of Luong, Pham and Manning (2015).

The decoder's equations as SymPy matrix expressions with symbolic shapes (keyed by claim id), the
shapes of the trained parameters, the parameter count summed from those shapes (printed grouped as a
person writes it), and :func:`derive`.
"""

from __future__ import annotations

import sympy as sp

from derivations.attention.experiment import CHECK_SIZES, FEEDBACK_SEED, feedback_dependence
from derivations.attention.method import GATES
from derivations.attention.quotes import QUOTES
from derivations.display import Elementwise, InOrder, MatInOrder, Product
from derivations.ledger import Derivation, Figure
from derivations.tex import mat, tex, vec

__all__ = ["d", "n", "S", "V", "L", "d_l", "SIZE_SYMBOLS", "decoder_symbols", "decoder_equations",
           "parameter_shapes", "parameter_spaces", "parameter_count", "count_as_written",
           "derive"]

# --------------------------------------------------------------------------- symbols

d = sp.Symbol("d", integer=True, positive=True)  # embedding size
n = sp.Symbol("n", integer=True, positive=True)  # hidden size
S = sp.Symbol("S", integer=True, positive=True)  # source length
V = sp.Symbol(r"|\mathcal{V}|", integer=True, positive=True)  # target vocabulary
L = sp.Symbol("L", integer=True, positive=True)  # decoder layers
d_l = sp.Symbol("d_l", integer=True, positive=True)  # input size of layer l
SIZE_SYMBOLS = {"d": d, "n": n, "S": S, "V": V, "L": L}
LAYER_PARAMETERS = tuple(f"{m}_{g}" for m in ("W", "U", "b") for g in GATES)  # one set per LSTM layer


def decoder_symbols() -> dict:
    """Every vector and matrix of the decoder, with its shape."""
    sym = {
        "x": vec("x", d_l, sub="t", sup="(l)"),
        "h_prev": vec("h", n, sub="t-1", sup="(l)"),
        "m_prev": vec("m", n, sub="t-1", sup="(l)"),
        "h_l": vec("h", n, sub="t", sup="(l)"),
        "m_l": vec("m", n, sub="t", sup="(l)"),
        "x1": vec("x", d + n, sub="t", sup="(1)"),
        "E": mat("E", d, V),
        "y_prev": vec("y", V, sub="t-1"),
        "htilde_prev": sp.MatrixSymbol(r"\tilde{\mathbf{h}}_{t-1}", n, 1),
        "htilde": sp.MatrixSymbol(r"\tilde{\mathbf{h}}_{t}", n, 1),
        "h": vec("h", n, sub="t"),
        "hbar_s": sp.MatrixSymbol(r"\bar{\mathbf{h}}_{s}", n, 1),
        "Hbar": sp.MatrixSymbol(r"\bar{\mathbf{H}}", n, S),
        "W_a": mat("W", n, n, sub="a"),
        "W_c": mat("W", n, 2 * n, sub="c"),
        "W_s": mat("W", V, n, sub="s"),
        "score": sp.MatrixSymbol(r"\operatorname{score}(\mathbf{h}_{t}, \bar{\mathbf{h}}_{s})", 1, 1),
        "a": vec("a", S, sub="t"),
        "c": vec("c", n, sub="t"),
        "p": sp.MatrixSymbol(r"\mathbf{p}(y_{t} \mid y_{<t}, x)", V, 1),
    }
    for g in GATES:
        sym[f"gate_{g}"] = vec(g, n, sub="t", sup="(l)")
        sym[f"W_{g}"] = mat("W", n, d_l, sub=g, sup="(l)")  # input weights
        sym[f"U_{g}"] = mat("U", n, n, sub=g, sup="(l)")  # recurrent weights
        sym[f"b_{g}"] = vec("b", n, sub=g, sup="(l)")
    return sym


def decoder_equations(sym: dict | None = None) -> dict:
    """The decoder's equations as SymPy statements, keyed by claim id."""
    s = sym or decoder_symbols()
    act = {"i": r"\sigma", "f": r"\sigma", "o": r"\sigma", "g": r"\tanh"}
    gates = tuple(
        sp.Eq(s[f"gate_{g}"], Elementwise(act[g], MatInOrder(s[f"W_{g}"] * s["x"], s[f"U_{g}"] * s["h_prev"],
                                                            s[f"b_{g}"])), evaluate=False)
        for g in GATES
    )
    lstm = gates + (
        sp.Eq(  # f * m + i * g, in the order the paper writes it (SymPy would sort the factors)
            s["m_l"],
            MatInOrder(sp.HadamardProduct(s["gate_f"], s["m_prev"], evaluate=False),
                       sp.HadamardProduct(s["gate_i"], s["gate_g"], evaluate=False)),
            evaluate=False,
        ),
        sp.Eq(s["h_l"], sp.HadamardProduct(s["gate_o"], Elementwise(r"\tanh", s["m_l"])), evaluate=False),
    )
    return {
        "p9.input_feeding": sp.Eq(
            s["x1"], sp.BlockMatrix([[sp.MatMul(s["E"], s["y_prev"])], [s["htilde_prev"]]]), evaluate=False
        ),
        "p9.lstm_layer": lstm,
        "p9.score_general": sp.Eq(s["score"], sp.MatMul(s["h"].T, s["W_a"], s["hbar_s"]), evaluate=False),
        "p9.alignment": sp.Eq(
            s["a"], Elementwise(r"\softmax", sp.MatMul(s["Hbar"].T, s["W_a"].T, s["h"])), evaluate=False
        ),
        "p9.context": sp.Eq(s["c"], sp.MatMul(s["Hbar"], s["a"]), evaluate=False),
        "p9.attentional_hidden": sp.Eq(
            s["htilde"], Elementwise(r"\tanh", s["W_c"] * sp.BlockMatrix([[s["c"]], [s["h"]]])), evaluate=False
        ),
        "p9.output": sp.Eq(s["p"], Elementwise(r"\softmax", s["W_s"] * s["htilde"]), evaluate=False),
    }


def parameter_shapes(sym: dict) -> list:
    """(symbol, shape) of every trained matrix; layer-l shapes keep d_l (d_1 = d + n, else n)."""
    return [(sym[k], sym[k].shape) for k in ["E", *LAYER_PARAMETERS, "W_a", "W_c", "W_s"]]


def _dim(x) -> str:
    x = sp.sympify(x)
    return r"(%s)" % tex(x) if isinstance(x, sp.Add) else tex(x)


_TRAINED = (("E",), ("W_i", "W_f", "W_o", "W_g"), ("U_i", "U_f", "U_o", "U_g"), ("b_i", "b_f", "b_o", "b_g"),
            ("W_a",), ("W_c",), ("W_s",))


def parameter_spaces(sym: dict) -> list:
    """LaTeX ``symbols \\in R^{rows x cols}`` of every trained matrix, from the symbols' own shapes."""
    out = []
    for keys in _TRAINED:
        r, c = sym[keys[0]].shape
        space = tex(r) if c == 1 else r"%s \times %s" % (_dim(r), _dim(c))
        out.append(r"%s \in \mathbb{R}^{%s}" % (", ".join(tex(sym[k]) for k in keys), space))
    return out


def count_as_written(count):
    """The count as a person groups it: per layer, the rest, per target word.

    ``4 L n (2n + 1) + 4 d n + 3 n^2 + (d + n)|V|``: the L-terms and |V|-terms of the expanded
    count, factored; an unevaluated sum (``plain`` or ``doit`` gives the polynomial back).
    """
    count = sp.expand(count)
    per_layer = sp.factor(count.coeff(L))  # 4 n (2 n + 1)
    per_word = sp.factor(count.coeff(V))  # d + n
    rest = sp.expand(count - L * per_layer - V * per_word)
    number, factors = per_layer.as_coeff_mul()
    return InOrder(Product(number, L, *factors), *rest.as_ordered_terms(), Product(per_word, V))


def parameter_count(sym: dict):
    """Number of decoder parameters, summed from the symbolic shapes (layer 1, layers 2..L)."""
    total = 0
    for key in ["E", *LAYER_PARAMETERS, "W_a", "W_c", "W_s"]:
        r, c = sym[key].shape
        size = r * c
        if key in LAYER_PARAMETERS:  # one layer with d_1 = d + n, L - 1 layers with d_l = n
            total += size.subs(d_l, d + n) + (L - 1) * size.subs(d_l, n)
        else:
            total += size
    return sp.expand(total)


# --------------------------------------------------------------------------- derivation


def derive() -> Derivation:
    sym = decoder_symbols()
    eqs = decoder_equations(sym)
    count = parameter_count(sym)
    eqs["p9.parameter_count"] = sp.Eq(sp.Symbol(r"|\theta_{\mathrm{dec}}|"), count_as_written(count), evaluate=False)
    s, y = sp.symbols("s y")
    eqs["p9.normalised"] = (
        sp.Eq(sp.Sum(sp.Symbol(r"a_{t}(s)"), (s, 1, S)), 1, evaluate=False),
        sp.Eq(sp.Sum(sp.Symbol(r"p(y \mid y_{<t}, x)"), (y, 1, V)), 1, evaluate=False),
    )
    sizes = dict(CHECK_SIZES)
    ctx = {
        "params": parameter_spaces(sym),
        "sizes": sizes,
        "feedback": feedback_dependence(sizes, seed=FEEDBACK_SEED),
    }
    fig = Figure(
        "p09_input_feeding",
        "figures.attention:input_feeding_decoder",
        {"steps": 3, "layers": 2, "source": 3},
        kind="tikz",
    )
    return Derivation(problem=9, equations=eqs, context=ctx, figures=(fig,), quotes=QUOTES)
