"""Problem 9: the input-feeding decoder of Luong, Pham and Manning (2015).

The question: what is input feeding, with the decoder's full formal equations in Luong et al.'s
notation and the general score h_t^T W_a hbar_s, and what does it buy?  The decoder is a stack of
L LSTM layers; its first layer reads [E y_{t-1}; htilde_{t-1}], the embedding of the previous
target word *and the previous attentional hidden state*.  The top state h_t scores every source
state, the alignment a_t is a softmax of the scores, the context is c_t = Hbar a_t, the
attentional hidden state is htilde_t = tanh(W_c [c_t; h_t]) and p(y_t | y_<t, x) =
softmax(W_s htilde_t).

The equations are SymPy matrix expressions with symbolic shapes.  SymPy checks only integer
shapes, so :func:`checked_shape` walks every expression and proves that each product, sum,
concatenation and equation is conformable for all sizes.  :func:`evaluate` interprets the very
expressions the report prints on NumPy arrays; :func:`verify` runs that interpreter through T
decoding steps and compares every intermediate quantity with :func:`decode`, a batched NumPy
decoder written independently (rows, einsum, another memory layout).

References: Luong et al. 2015, Eqs. 5-7 and Section 3.3; Bahdanau et al. 2014.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from derivations.ledger import Derivation, Figure, numeric_claim, relative_error
from derivations.tex import mat, tex, vec

__all__ = [
    "Elementwise",
    "ShapeMismatch",
    "checked_shape",
    "evaluate",
    "softmax",
    "sigmoid",
    "init_params",
    "lstm_step",
    "attention_step",
    "decode",
    "decoder_equations",
    "derive",
    "verify",
]

EPS = float(np.finfo(float).eps)

# Settings of the random test decoder (the checks hold for any values; part (ii) quotes a number
# that depends on them).
WEIGHT_INIT_STD = 0.4  # std of every random weight matrix except the embeddings
BIAS_INIT_STD = 0.1  # std of the random gate biases
CHECK_SIZES = {"d": 5, "n": 4, "S": 6, "V": 7, "L": 3, "B": 3, "T": 5}  # sizes of the checked decoder
FEEDBACK_SEED = 1  # seed of the decoder whose source states part (ii) perturbs
FEEDBACK_DELTA = 1e-3  # std of that perturbation of the source states
FEEDBACK_STEP = 1  # the 0-based decoding step at which the first layer's state is compared (step 2)

# --------------------------------------------------------------------------- matrix toolkit


class Elementwise(MatrixExpr):
    r"""A named elementwise (or column-wise, for softmax) function of a matrix expression.

    ``Elementwise(r"\tanh", A)`` has ``A``'s shape and prints as ``\tanh\left(A\right)``.
    """

    def __new__(cls, name, arg):
        name = name if isinstance(name, sp.Symbol) else sp.Symbol(name)
        return MatrixExpr.__new__(cls, name, arg)

    @property
    def fname(self) -> str:
        return self.args[0].name

    @property
    def arg(self):
        return self.args[1]

    @property
    def shape(self):
        return self.arg.shape

    def _latex(self, printer):
        arg = self.arg
        if isinstance(arg, sp.MatAdd):  # keep the order the equation was written in
            body = " + ".join(printer._print(a) for a in arg.args)
        else:
            body = printer._print(arg)
        return r"%s\left(%s\right)" % (self.fname, body)


class ShapeMismatch(ValueError):
    """Two operands whose symbolic shapes do not conform."""


def _same(a, b) -> bool:
    return sp.simplify(sp.sympify(a) - sp.sympify(b)) == 0


def checked_shape(expr):
    """The shape of a matrix expression, proving conformability for all symbolic sizes.

    SymPy's own check skips symbolic dimensions; this one simplifies ``cols(A) - rows(B)`` for
    every product and raises :class:`ShapeMismatch` naming the offending subexpression.
    """
    if isinstance(expr, (tuple, list)):
        return [checked_shape(e) for e in expr]
    if isinstance(expr, sp.Equality):
        lhs, rhs = checked_shape(expr.lhs), checked_shape(expr.rhs)
        if lhs is not None and rhs is not None and not all(_same(x, y) for x, y in zip(lhs, rhs)):
            raise ShapeMismatch(f"{tex(expr)}: left side {lhs}, right side {rhs}")
        return lhs
    if hasattr(expr, "_conform"):
        return expr._conform(checked_shape)
    if isinstance(expr, sp.MatrixSymbol) or isinstance(expr, (sp.OneMatrix, sp.ZeroMatrix, sp.Identity)):
        return expr.shape
    if isinstance(expr, Elementwise):
        return checked_shape(expr.arg)
    if isinstance(expr, sp.Transpose):
        r, c = checked_shape(expr.arg)
        return (c, r)
    if isinstance(expr, sp.MatMul):
        shapes = [checked_shape(a) for a in expr.args if isinstance(a, MatrixExpr)]
        for (r1, c1), (r2, c2) in zip(shapes, shapes[1:]):
            if not _same(c1, r2):
                raise ShapeMismatch(f"{tex(expr)}: a factor with {c1} columns times one with {r2} rows")
        return (shapes[0][0], shapes[-1][1])
    if isinstance(expr, (sp.MatAdd, sp.HadamardProduct)):
        shapes = [checked_shape(a) for a in expr.args]
        for s in shapes[1:]:
            if not (_same(s[0], shapes[0][0]) and _same(s[1], shapes[0][1])):
                raise ShapeMismatch(f"{tex(expr)}: terms of shapes {shapes}")
        return shapes[0]
    if isinstance(expr, sp.BlockMatrix):
        blocks = expr.blocks
        rows = []
        for i in range(blocks.rows):
            row_shapes = [checked_shape(blocks[i, j]) for j in range(blocks.cols)]
            if not all(_same(s[0], row_shapes[0][0]) for s in row_shapes):
                raise ShapeMismatch(f"{tex(expr)}: block row {i} has blocks of heights {row_shapes}")
            rows.append(row_shapes)
        for j in range(blocks.cols):
            if not all(_same(rows[i][j][1], rows[0][j][1]) for i in range(blocks.rows)):
                raise ShapeMismatch(f"{tex(expr)}: block column {j} has blocks of different widths")
        return (sum(r[0][0] for r in rows), sum(s[1] for s in rows[0]))
    if isinstance(expr, sp.Expr):
        return None  # a scalar
    raise TypeError(f"checked_shape: unsupported {type(expr).__name__}")


_FUNCTIONS = {
    r"\tanh": np.tanh,
    r"\sigma": lambda z: 1.0 / (1.0 + np.exp(-z)),
    r"\operatorname{ReLU}": lambda z: np.maximum(z, 0.0),
    r"\exp": np.exp,
}


def _column_softmax(z):
    z = z - z.max(axis=0, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=0, keepdims=True)


_FUNCTIONS[r"\softmax"] = _column_softmax


def evaluate(expr, env: dict, functions: dict | None = None):
    """Evaluate a printed matrix expression (a small interpreter).

    ``env`` maps matrix-symbol and scalar-symbol names to values: NumPy arrays by default, or
    explicit SymPy matrices when ``functions`` maps the function names to SymPy callables (exact
    mode).  Objects may define ``_interpret(env, evaluate)`` to extend the interpreter.
    """
    exact = functions is not None
    table = functions if exact else _FUNCTIONS

    def ev(e, en=env):
        return evaluate(e, en, functions)

    if hasattr(expr, "_interpret"):
        return expr._interpret(env, ev)
    if isinstance(expr, sp.MatrixSymbol):
        v = env[expr.name]
        return v if exact else np.asarray(v, dtype=float)
    if isinstance(expr, Elementwise):
        return table[expr.fname](ev(expr.arg))
    if isinstance(expr, sp.Transpose):
        return ev(expr.arg).T
    if isinstance(expr, sp.MatMul):
        out = None
        for a in expr.args:
            v = ev(a)
            scalar = not isinstance(a, MatrixExpr)
            if out is None:
                out, out_scalar = v, scalar
            elif scalar or out_scalar:
                out, out_scalar = out * v, scalar and out_scalar
            else:
                out = out @ v
        return out
    if isinstance(expr, sp.MatAdd):
        terms = [ev(a) for a in expr.args]
        out = terms[0]
        for t in terms[1:]:
            out = out + t
        return out
    if isinstance(expr, sp.HadamardProduct):
        out = ev(expr.args[0])
        for a in expr.args[1:]:
            out = out.multiply_elementwise(ev(a)) if exact else out * ev(a)
        return out
    if isinstance(expr, sp.BlockMatrix):
        b = expr.blocks
        rows = [[ev(b[i, j]) for j in range(b.cols)] for i in range(b.rows)]
        if exact:
            return sp.Matrix(sp.BlockMatrix([[sp.ImmutableMatrix(x) for x in r] for r in rows]).as_explicit())
        return np.block(rows)
    if isinstance(expr, sp.Expr):
        value = expr.subs({s: env[s.name] for s in expr.free_symbols})
        return value if exact else float(value)
    raise TypeError(f"evaluate: unsupported {type(expr).__name__}")


def sized(shape, sizes: dict) -> tuple:
    """A symbolic shape with the sizes substituted: ``(n, d + n)`` -> ``(4, 9)``."""
    return tuple(int(sp.sympify(s).subs(sizes)) for s in shape)


# --------------------------------------------------------------------------- symbols

d = sp.Symbol("d", integer=True, positive=True)  # embedding size
n = sp.Symbol("n", integer=True, positive=True)  # hidden size
S = sp.Symbol("S", integer=True, positive=True)  # source length
V = sp.Symbol(r"|\mathcal{V}|", integer=True, positive=True)  # target vocabulary
L = sp.Symbol("L", integer=True, positive=True)  # decoder layers
d_l = sp.Symbol("d_l", integer=True, positive=True)  # input size of layer l
SIZE_SYMBOLS = {"d": d, "n": n, "S": S, "V": V, "L": L}

GATES = ("i", "f", "o", "g")


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
        sym[f"W_{g}"] = mat("W", n, d_l + n, sub=g, sup="(l)")
        sym[f"b_{g}"] = vec("b", n, sub=g, sup="(l)")
    return sym


def decoder_equations(sym: dict | None = None) -> dict:
    """The decoder's equations as SymPy statements, keyed by claim id."""
    s = sym or decoder_symbols()
    act = {"i": r"\sigma", "f": r"\sigma", "o": r"\sigma", "g": r"\tanh"}
    xh = sp.BlockMatrix([[s["x"]], [s["h_prev"]]])
    gates = tuple(
        sp.Eq(s[f"gate_{g}"], Elementwise(act[g], s[f"W_{g}"] * xh + s[f"b_{g}"]), evaluate=False) for g in GATES
    )
    lstm = gates + (
        sp.Eq(
            s["m_l"],
            sp.HadamardProduct(s["gate_f"], s["m_prev"]) + sp.HadamardProduct(s["gate_i"], s["gate_g"]),
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
    names = ["E"] + [f"W_{g}" for g in GATES] + [f"b_{g}" for g in GATES] + ["W_a", "W_c", "W_s"]
    return [(sym[k], sym[k].shape) for k in names]


def _dim(x) -> str:
    x = sp.sympify(x)
    return r"(%s)" % tex(x) if isinstance(x, sp.Add) else tex(x)


_ROLES = (
    (("y_prev",), "previous target word, one-hot"),
    (("E",), "target embeddings (a column per word)"),
    (("x1",), "input of layer 1: embedding and fed-back state"),
    (("x",), r"input of layer $l$ ($d_1 = d + n$, else $d_l = n$)"),
    (("W_i", "W_f", "W_o", "W_g"), r"gate weights of layer $l$"),
    (("b_i", "b_f", "b_o", "b_g"), r"gate biases of layer $l$"),
    (("h_l", "m_l"), r"hidden state and memory cell of layer $l$"),
    (("h",), r"top decoder state, $\mathbf{h}_t = \mathbf{h}_t^{(L)}$"),
    (("hbar_s", "Hbar"), "a source state; all $S$ of them as columns"),
    (("W_a",), "general score"),
    (("a",), "alignment weights over the source"),
    (("c", "W_c"), "context vector; combination weights"),
    (("htilde",), "attentional hidden state (fed back)"),
    (("W_s", "p"), "output weights; next-word distribution"),
)


def shape_table(sym: dict) -> list:
    """Rows (symbols, shape, role) of the template's table, from the symbols' own shapes."""
    rows = []
    for keys, role in _ROLES:
        names = ", ".join(tex(sym[k]) for k in keys)
        shape = "; ".join(r"%s \times %s" % (_dim(r), _dim(c)) for r, c in
                          dict.fromkeys(tuple(sym[k].shape) for k in keys))
        rows.append({"symbols": names, "shape": shape, "role": role})
    return rows


def parameter_count(sym: dict):
    """Number of decoder parameters, summed from the symbolic shapes (layers 1 and 2..L)."""
    total = 0
    for m_, (r, c) in parameter_shapes(sym):
        size = r * c
        if d_l in size.free_symbols:  # one layer with d_1 = d + n, L - 1 layers with d_l = n
            total += size.subs(d_l, d + n) + (L - 1) * size.subs(d_l, n)
        elif m_.name.startswith(r"\mathbf{b}"):
            total += L * size
        else:
            total += size
    return sp.expand(total)


# --------------------------------------------------------------------------- numeric decoder


def softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def init_params(sizes: dict, rng, input_feeding: bool = True) -> dict:
    """Random decoder parameters; ``W[l][g]`` has shape (n, d_l + n), d_1 = d + n with feeding."""
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


# --------------------------------------------------------------------------- derivation


def derive() -> Derivation:
    sym = decoder_symbols()
    eqs = decoder_equations(sym)
    count = parameter_count(sym)
    eqs["p9.parameter_count"] = sp.Eq(sp.Symbol(r"|\theta_{\mathrm{dec}}|"), count, evaluate=False)
    s, y = sp.symbols("s y")
    eqs["p9.normalised"] = (
        sp.Eq(sp.Sum(sp.Symbol(r"a_{t}(s)"), (s, 1, S)), 1, evaluate=False),
        sp.Eq(sp.Sum(sp.Symbol(r"p(y \mid y_{<t}, x)"), (y, 1, V)), 1, evaluate=False),
    )
    shapes = shape_table(sym)
    sizes = dict(CHECK_SIZES)
    ctx = {
        "shapes": shapes,
        "sizes": sizes,
        "feedback": feedback_dependence(sizes, seed=FEEDBACK_SEED),
        "d_l": tex(d_l),
    }
    fig = Figure(
        "p09_input_feeding",
        "figures.attention:input_feeding_decoder",
        {"steps": 3, "layers": 2, "source": 3},
        kind="tikz",
    )
    return Derivation(problem=9, equations=eqs, context=ctx, figures=(fig,))


def _random_problem(sizes: dict, seed: int, input_feeding: bool = True):
    rng = np.random.default_rng(seed)
    params = init_params(sizes, rng, input_feeding)
    B, T, S_, n_, L_ = sizes["B"], sizes["T"], sizes["S"], sizes["n"], sizes["L"]
    Hbar = rng.normal(size=(B, S_, n_))
    y_prev = rng.integers(0, sizes["V"], size=(B, T))
    h0 = [np.tanh(rng.normal(size=(B, n_))) for _ in range(L_)]
    m0 = [rng.normal(size=(B, n_)) for _ in range(L_)]
    return params, Hbar, y_prev, h0, m0


def feedback_dependence(sizes: dict, seed: int) -> dict:
    """How much the first layer's state at step 2 moves when the source states are perturbed.

    With input feeding h_2^(1) depends on the source through htilde_1 (the previous alignment);
    without it the dependence is exactly zero.
    """
    res = {}
    for feed in (True, False):
        params, Hbar, y_prev, h0, m0 = _random_problem(sizes, seed, feed)
        delta = np.random.default_rng(seed + 1).normal(scale=FEEDBACK_DELTA, size=Hbar.shape)
        a = decode(params, Hbar, y_prev, h0, m0, feed)
        b = decode(params, Hbar + delta, y_prev, h0, m0, feed)
        moved = a["h_layers"][0, :, FEEDBACK_STEP] - b["h_layers"][0, :, FEEDBACK_STEP]
        res["with" if feed else "without"] = float(np.abs(moved).max())
    return res


# --------------------------------------------------------------------------- verification


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
                for g in GATES:
                    env[sym[f"W_{g}"].name] = params["W"][l][g]
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
    shape_penalty = 0.0 if got["shapes_ok"] and _same(x1_rows, d + n) else np.inf
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
        method="printed LSTM equations interpreted per sentence vs batched NumPy decoder; "
        "shapes proved for all sizes",
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
            method="printed equation interpreted per sentence vs batched NumPy decoder; "
            "shapes proved for all sizes"
            + ("; part (ii)'s state changes rerun through the printed equations (feedback columns "
               "zeroed for the decoder without feeding)" if key == "p9.input_feeding" else ""),
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
        method="the printed sums over the printed ranges of the decoder's alignment weights and output "
        "probabilities, all sentences and steps; tolerance K eps for K terms",
        reproduce=repro,
    ))

    # the parameter count: formula from the symbolic shapes vs arrays allocated by init_params
    count = eqs["p9.parameter_count"].rhs
    worst = 0
    for cfg_seed, cfg in enumerate(({"d": 5, "n": 4, "V": 7, "L": 1}, {"d": 3, "n": 6, "V": 11, "L": 2},
                                    {"d": 8, "n": 2, "V": 5, "L": 4})):
        arrays = init_params(cfg, np.random.default_rng(cfg_seed))
        formula = int(count.subs({SIZE_SYMBOLS[k]: v for k, v in cfg.items()}))
        worst = max(worst, abs(formula - _count_arrays(arrays)))
    claims.append(numeric_claim(  # tolerance 0: integer counts
        "p9.parameter_count", eqs["p9.parameter_count"], worst, 0,
        method="formula vs number of entries of the arrays the NumPy decoder allocates, three sizes",
        reproduce="(d, n, |V|, L) = (5, 4, 7, 1), (3, 6, 11, 2), (8, 2, 5, 4)",
    ))
    return sorted(claims, key=lambda c: REPORT_ORDER.index(c.id))
