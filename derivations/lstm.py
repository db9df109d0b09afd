"""Problem 4: the LSTM with a forget gate, its BPTT gradients, and why its gradients last.

The cell (Gers et al. 2000; Hochreiter & Schmidhuber 1997 had no forget gate), one sequence
x^(1..tau) with one-hot targets t^(1..tau), h^(0) = c^(0) = 0, for each gate * in {f, i, o}:

    z_*^(t) = W_* x^(t) + U_* h^(t-1) + b_*,   *^(t) = sigmoid(z_*^(t)),
    z_g^(t) = W_g x^(t) + U_g h^(t-1) + b_g,   g^(t) = tanh(z_g^(t)),
    c^(t) = f^(t) * c^(t-1) + i^(t) * g^(t),   h^(t) = o^(t) * tanh(c^(t)),
    y^(t) = softmax(V h^(t) + c),

and the loss (assignment Eq. 5) J = -sum_t t^(t)T ln y^(t).  Two name clashes with Eq. 4: the
output bias keeps its name ``c`` (no time index) while the cell state c^(t) always has one; the
output gate is o^(t), so the output layer's pre-activation (``o`` in Eq. 4) is written out as
V h^(t) + c and called the *logits* in code.

What the module does, top to bottom: the numeric API (:func:`forward`, :func:`loss`,
:func:`gradients`); the derived statements (:func:`derive`), each printed in the report from
the SymPy object built here; the checks (:func:`verify`):

* every BPTT statement is evaluated, leaf by leaf, on a tiny unrolled LSTM with symbolic
  entries, and must equal exactly what SymEngine (a second computer-algebra system) gets by
  differentiating J directly (the deltas by differentiating J after perturbing that one
  intermediate quantity);
* the implemented gradients agree with central finite differences of the implemented loss on
  random sizes (relative error <= 1e-6, float64);
* the parameter count formula agrees with counting the implementation's arrays;
* the cell-state Jacobians are checked against SymEngine's Jacobian of one unrolled step.
"""

from __future__ import annotations

import numpy as np
import symengine as se
import sympy as sp

from sympy.printing.precedence import PRECEDENCE

from derivations import exact
from derivations.numerics import central_differences as _central_differences
from derivations.ledger import Derivation, Figure, numeric_claim, relative_error, symbolic_claim

__all__ = [
    "GATES",
    "PARAM_SHAPES",
    "init_params",
    "forward",
    "loss",
    "gradients",
    "bptt",
    "parameter_count",
    "derive",
    "verify",
]

GATES = ("f", "i", "o", "g")  # forget, input, output gate; g the tanh candidate
PARAM_SHAPES = {
    **{f"{kind}_{gate}": shape for gate in GATES for kind, shape in
       (("W", ("H", "D")), ("U", ("H", "H")), ("b", ("H",)))},
    "V": ("K", "H"),
    "c": ("K",),
}


# --------------------------------------------------------------------------- input checks


def _fail(message: str):
    raise ValueError(f"Problem 4 (derivations.lstm): {message}")


def _check(params, X, T=None):
    """Validate names, shapes and values; return float64 copies (P, X, T) and sizes (D, H, K)."""
    if not isinstance(params, dict):
        _fail(f"params must be a dict with keys {', '.join(PARAM_SHAPES)}; got {type(params).__name__}")
    missing = [k for k in PARAM_SHAPES if k not in params]
    if missing:
        _fail(f"params lacks {', '.join(missing)}")
    extra = [k for k in params if k not in PARAM_SHAPES]
    if extra:
        _fail(f"params has unknown keys {', '.join(map(str, extra))}")
    P = {k: np.asarray(params[k], dtype=float) for k in PARAM_SHAPES}
    if P["W_f"].ndim != 2:
        _fail(f"W_f must be a matrix (H, D); got shape {P['W_f'].shape}")
    if P["V"].ndim != 2:
        _fail(f"V must be a matrix (K, H); got shape {P['V'].shape}")
    H, D = P["W_f"].shape
    K = P["V"].shape[0]
    sizes = {"D": D, "H": H, "K": K}
    for k, shape in PARAM_SHAPES.items():
        want = tuple(sizes[s] for s in shape)
        if P[k].shape != want:
            _fail(f"{k} must have shape ({', '.join(shape)}) = {want}; got {P[k].shape}")
        if not np.all(np.isfinite(P[k])):
            _fail(f"{k} contains NaN or infinity")
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] != D:
        _fail(f"X must be (tau, D) with tau >= 1 and D = {D}, one time step per row; got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        _fail("X contains NaN or infinity")
    if T is not None:
        T = np.asarray(T, dtype=float)
        if T.shape != (X.shape[0], K):
            _fail(f"T must be (tau, K) = ({X.shape[0]}, {K}), one one-hot target per row; got shape {T.shape}")
        if not (np.all((T == 0) | (T == 1)) and np.all(T.sum(axis=1) == 1)):
            _fail("T must be one-hot: entries 0 or 1 and exactly one 1 in each row")
    return P, X, T, (D, H, K)


def init_params(D: int, H: int, K: int, rng, scale: float | None = None, forget_bias: float = 0.0) -> dict:
    """Random parameters with the API's shapes: normal entries with std 1/sqrt(fan-in) (or ``scale``),
    biases zero except b_f = ``forget_bias`` (Gers et al. 2000 recommend 1)."""
    fan = {"W": D, "U": H, "V": H}
    params = {}
    for k, shape in PARAM_SHAPES.items():
        size = tuple({"D": D, "H": H, "K": K}[s] for s in shape)
        if k[0] in fan:
            std = scale if scale is not None else 1.0 / np.sqrt(fan[k[0]])
            params[k] = std * rng.normal(size=size)
        else:
            params[k] = np.zeros(size)
    params["b_f"] = np.full(H, float(forget_bias))
    return params


def parameter_count(params: dict) -> int:
    """The number of scalar parameters, counted from the arrays themselves."""
    return int(sum(np.asarray(v).size for v in params.values()))


# --------------------------------------------------------------------------- forward pass
# The core works on float arrays and on object arrays of symbolic (SymEngine) expressions alike: the numeric
# API and the tiny symbolic LSTM of the checks run the very same lines.


def _sigmoid_np(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + e^{-z}), without overflow


def _softmax_np(logits):
    e = np.exp(logits - logits.max())
    return e / e.sum()


def _forward_core(P, X, sigmoid, tanh, softmax, perturb=None):
    """Run the cell over the sequence; lists indexed by t (entry 0 unused except h, c).

    ``perturb`` maps (quantity, t) to a vector added to that quantity right after it is
    computed (quantities ``z_f z_i z_o z_g c h logits``, and ``carry``: added to c^(t-1) in
    the f * c^(t-1) term of step t only).  The checks differentiate with respect to it.
    """
    perturb = perturb or {}
    tau = len(X)
    zero = P["b_f"] * 0
    rec = {k: [None] for k in ("z_f", "z_i", "z_o", "z_g", "f", "i", "o", "g", "tanh_c", "logits", "y")}
    rec["h"], rec["c"] = [zero], [zero]
    for t in range(1, tau + 1):
        x, h_prev, c_prev = X[t - 1], rec["h"][t - 1], rec["c"][t - 1]
        for gate in GATES:
            z = P[f"W_{gate}"] @ x + P[f"U_{gate}"] @ h_prev + P[f"b_{gate}"]
            z = z + perturb.get((f"z_{gate}", t), 0)
            rec[f"z_{gate}"].append(z)
            rec[gate].append(tanh(z) if gate == "g" else sigmoid(z))
        f, i, o, g = (rec[k][t] for k in GATES)
        c = f * (c_prev + perturb.get(("carry", t), 0)) + i * g + perturb.get(("c", t), 0)
        tanh_c = tanh(c)
        h = o * tanh_c + perturb.get(("h", t), 0)
        logits = P["V"] @ h + P["c"] + perturb.get(("logits", t), 0)
        for k, v in (("c", c), ("tanh_c", tanh_c), ("h", h), ("logits", logits), ("y", softmax(logits))):
            rec[k].append(v)
    return rec


def forward(params: dict, X) -> dict:
    """The forward pass: a dict of float arrays, row t - 1 is step t, except ``h`` and ``c``
    (tau + 1 rows, row 0 = h^(0) = c^(0) = 0).  Keys: ``z_f z_i z_o z_g f i o g c tanh_c h
    logits y``; ``logits`` is V h^(t) + c (the ``o`` of Eq. 4; ``o`` here is the output gate)."""
    P, X, _, _ = _check(params, X)
    rec = _forward_core(P, X, _sigmoid_np, np.tanh, _softmax_np)
    return {k: np.array(v if k in ("h", "c") else v[1:]) for k, v in rec.items()}


def loss(params: dict, X, T) -> float:
    """J of Eq. 5: -sum_t t^(t)T ln y^(t)."""
    P, X, T, _ = _check(params, X, T)
    rec = _forward_core(P, X, _sigmoid_np, np.tanh, _softmax_np)
    total = 0.0
    for t in range(1, X.shape[0] + 1):
        a = rec["logits"][t]
        log_y = a - a.max() - np.log(np.exp(a - a.max()).sum())
        total -= float(T[t - 1] @ log_y)
    return total


# --------------------------------------------------------------------------- backward pass


def _cell_delta(delta_h, o, tanh_c, f_next, delta_c_next):
    """delta_c^(t): through h^(t) = o * tanh(c^(t)), plus the carry into c^(t+1) = f^(t+1) * c^(t) + ..."""
    return delta_h * o * (1 - tanh_c**2) + f_next * delta_c_next


def _backward_core(P, X, rec, delta_out):
    """BPTT from the errors at the logits ``delta_out[t]`` (t = 1..tau; entry 0 unused).

    Returns (grads, deltas): grads has the parameters' keys plus ``x`` (the list of dJ/dx^(t));
    deltas holds the lists delta_h, delta_c, delta_f, delta_i, delta_o, delta_g (index t).
    """
    tau = len(X)
    zero = P["b_f"] * 0
    G = {k: P[k] * 0 for k in PARAM_SHAPES}
    deltas = {k: [None] * (tau + 2) for k in ("h", "c", *GATES)}
    for k in deltas:
        deltas[k][tau + 1] = zero  # nothing after the last step
    dx = [None] * (tau + 1)
    f_next = zero
    for t in range(tau, 0, -1):
        d_out = delta_out[t]
        G["V"] += np.outer(d_out, rec["h"][t])  # logits = V h + c
        G["c"] += d_out
        # h^(t) feeds the logits at t and the four gates at t + 1
        d_h = P["V"].T @ d_out
        for gate in GATES:
            d_h = d_h + P[f"U_{gate}"].T @ deltas[gate][t + 1]
        # c^(t) feeds h^(t) and c^(t+1)
        d_c = _cell_delta(d_h, rec["o"][t], rec["tanh_c"][t], f_next, deltas["c"][t + 1])
        f, i, o, g = (rec[k][t] for k in GATES)
        d_gate = {
            "f": d_c * rec["c"][t - 1] * f * (1 - f),
            "i": d_c * g * i * (1 - i),
            "o": d_h * rec["tanh_c"][t] * o * (1 - o),
            "g": d_c * i * (1 - g**2),
        }
        x_t = X[t - 1]
        dx[t] = sum(P[f"W_{gate}"].T @ d_gate[gate] for gate in GATES)
        for gate in GATES:
            G[f"W_{gate}"] += np.outer(d_gate[gate], x_t)
            G[f"U_{gate}"] += np.outer(d_gate[gate], rec["h"][t - 1])
            G[f"b_{gate}"] += d_gate[gate]
            deltas[gate][t] = d_gate[gate]
        deltas["h"][t], deltas["c"][t] = d_h, d_c
        f_next = f
    G["x"] = dx
    return G, deltas


def bptt(params: dict, X, T, steps=None):
    """dJ/d(parameters) and dJ/dx^(t) by BPTT (float arrays; ``x`` is (tau, D)).

    ``steps`` (optional, 1-based) keeps only those steps' terms of J, e.g. ``[tau]`` for the
    gradient of the last step's loss alone (Problem 4 (iii)).
    """
    P, X, T, _ = _check(params, X, T)
    rec = _forward_core(P, X, _sigmoid_np, np.tanh, _softmax_np)
    tau = X.shape[0]
    keep = set(range(1, tau + 1)) if steps is None else {int(t) for t in steps}
    if not keep <= set(range(1, tau + 1)):
        _fail(f"steps must lie in 1..tau = 1..{tau}; got {sorted(keep)}")
    # error at the logits: y - t (Problem 1 (iv)); zero for steps whose loss is not kept
    delta_out = [None] + [(rec["y"][t] - T[t - 1]) if t in keep else 0 * T[t - 1] for t in range(1, tau + 1)]
    G, _ = _backward_core(P, X, rec, delta_out)
    G["x"] = np.array(G["x"][1:])
    return G


def gradients(params: dict, X, T) -> dict:
    """The gradient of :func:`loss`, same keys and shapes as ``params`` (BPTT)."""
    G = bptt(params, X, T)
    return {k: G[k] for k in PARAM_SHAPES}


# --------------------------------------------------------------------------- statements
# Each statement is a SymPy expression over named leaves (printed verbatim by derivations.tex).
# The checks evaluate the very same objects: every leaf knows which quantity it stands for
# and at which time offset, and is replaced by that quantity's true value in a tiny LSTM.

D_, H_, K_ = sp.symbols("D H K", integer=True, positive=True)
TAU = sp.Symbol(r"\tau", integer=True, positive=True)
T_SYM = sp.Symbol("t", integer=True, positive=True)
STAR = r"\star"  # a generic gate: one of f, i, o, g
_LEAVES: dict[str, tuple] = {}  # name -> (quantity, time offset)
_SIZES = {"D": D_, "H": H_, "K": K_, 1: 1}


def _sup(shift) -> str:
    return {None: "", 0: "^{(t)}", -1: "^{(t-1)}", 1: "^{(t+1)}"}[shift]


def _leaf(tex_name: str, quantity: str, rows, cols=1, shift=None) -> sp.MatrixSymbol:
    """A named matrix leaf; ``shift`` is the time offset (None: not time-indexed)."""
    name = "{" + tex_name + _sup(shift) + "}" if shift is not None else tex_name
    _LEAVES[name] = (quantity, shift)
    return sp.MatrixSymbol(name, _SIZES[rows], _SIZES[cols])


def _gate_vec(gate, shift=0):
    return _leaf(r"\mathbf{%s}" % gate, f"fw:{gate}", "H", shift=shift)


def _delta(which, shift=0, rows="H"):
    return _leaf(r"\boldsymbol{\delta}_{%s}" % which, f"delta:{which}", rows, shift=shift)


_DIMS = {"W": ("H", "D"), "U": ("H", "H"), "b": ("H", 1), "V": ("K", "H"), "c": ("K", 1)}


def _param(kind, gate=None):
    tex_name = r"\mathbf{%s}" % kind + (f"_{{{gate}}}" if gate else "")
    return _leaf(tex_name, f"param:{kind}_{gate}" if gate else f"param:{kind}", *_DIMS[kind])


def _grad(kind, gate=None):
    sub = f"_{{{gate}}}" if gate else ""
    return _leaf(r"\frac{\partial J}{\partial \mathbf{%s}%s}" % (kind, sub),
                 f"grad:{kind}_{gate}" if gate else f"grad:{kind}", *_DIMS[kind])


# Printing in the order written.  SymPy's printer sorts the terms of a sum; these subclasses
# print their arguments in the order given (a rule of this module, not of derivations.tex).


def _print_signed_terms(printer, args, is_negative, negate):
    out = printer._print(args[0])
    for a in args[1:]:
        if is_negative(a):
            out += " - " + printer.parenthesize(negate(a), PRECEDENCE["Add"], strict=True)
        else:
            out += " + " + printer._print(a)
    return out


class _MatSum(sp.MatAdd):
    """A matrix sum printed term by term in the given order."""

    def _latex(self, printer):
        return _print_signed_terms(
            printer, self.args,
            lambda a: isinstance(a, sp.MatMul) and a.args[0] == -1,
            lambda a: sp.MatMul(*a.args[1:], evaluate=False) if len(a.args) > 2 else a.args[1],
        )


class _ScalarSum(sp.Add):
    """A scalar sum printed term by term in the given order."""

    def __new__(cls, *args, evaluate=False, **kwargs):
        return super().__new__(cls, *args, evaluate=evaluate, **kwargs)

    def doit(self, **hints):
        return sp.Add(*[sp.sympify(a).doit(**hints) for a in self.args])

    def _latex(self, printer):
        return _print_signed_terms(printer, self.args, lambda a: a.could_extract_minus_sign(), lambda a: -a)


class _ScalarProduct(sp.Mul):
    """A scalar product printed factor by factor in the given order."""

    def __new__(cls, *args, evaluate=False, **kwargs):
        return super().__new__(cls, *args, evaluate=evaluate, **kwargs)

    def doit(self, **hints):
        return sp.Mul(*[sp.sympify(a).doit(**hints) for a in self.args])

    def _latex(self, printer):
        return " ".join(printer.parenthesize(a, PRECEDENCE["Mul"], strict=False) for a in self.args)


class _Eq(sp.Equality):
    """An equation that stays as written, also when rebuilt from a pickle (SymPy re-creates objects
    with their constructor's defaults, and ``Eq`` would evaluate a matrix equation to False)."""

    def __new__(cls, lhs, rhs, evaluate=False, **kwargs):
        return super().__new__(cls, lhs, rhs, evaluate=evaluate, **kwargs)


class _GateSum(sp.MatrixExpr):
    """sum over the four gates of an expression in the generic gate \\star."""

    def __new__(cls, expr):
        return sp.Basic.__new__(cls, expr)

    @property
    def shape(self):
        return self.args[0].shape

    def _latex(self, printer):
        return r"\sum_{\star\in\{f,i,g,o\}} " + printer._print(self.args[0])


class _Diag(sp.MatrixExpr):
    """diag(v): the square matrix with the vector expression v on its diagonal."""

    def __new__(cls, vector):
        return sp.Basic.__new__(cls, vector)

    @property
    def shape(self):
        return (self.args[0].shape[0], self.args[0].shape[0])

    def _latex(self, printer):
        return r"\diag\!\left(%s\right)" % printer._print(self.args[0])


def _had(*args):
    return sp.HadamardProduct(*args, evaluate=False)


def _add(*args):
    return _MatSum(*args, evaluate=False)


def _mul(*args):
    return sp.MatMul(*args, evaluate=False)


def _sum_t(expr):
    return sp.Sum(expr, (T_SYM, 1, TAU))


ONE = _leaf(r"\mathbf{1}", "one", "H")


def _one_minus(v):
    return _add(ONE, _mul(-1, v))


def statements() -> dict:
    """The derived results of parts (ii) and (iii), as SymPy objects over named leaves."""
    x_t = _leaf(r"\mathbf{x}", "input:x", "D", shift=0)
    h_t, h_prev = _leaf(r"\mathbf{h}", "fw:h", "H", shift=0), _leaf(r"\mathbf{h}", "fw:h", "H", shift=-1)
    c_prev = _leaf(r"\mathbf{c}", "fw:c", "H", shift=-1)
    tanh_c = _leaf(r"\tanh\mathbf{c}", "fw:tanh_c", "H", shift=0)
    tanh2_c = _leaf(r"\tanh^{2}\mathbf{c}", "sq:tanh_c", "H", shift=0)
    y_t = _leaf(r"\mathbf{y}", "fw:y", "K", shift=0)
    target = _leaf(r"\mathbf{t}", "input:t", "K", shift=0)
    f, i, o, g = (_gate_vec(k) for k in GATES)
    f_next = _gate_vec("f", 1)
    d_out = _delta(r"\mathrm{out}", rows="K")
    d_h, d_c, d_c_next = _delta("h"), _delta("c"), _delta("c", 1)
    d_star, d_star_next = _delta(STAR), _delta(STAR, 1)
    V = _param("V")

    eq = {}
    eq["p4.delta_out"] = _Eq(d_out, _add(y_t, -target), evaluate=False)
    eq["p4.grad_output"] = (
        _Eq(_grad("V"), _sum_t(_mul(d_out, h_t.T)), evaluate=False),
        _Eq(_grad("c"), _sum_t(d_out), evaluate=False),
    )
    eq["p4.delta_h"] = _Eq(
        d_h,
        _add(_mul(V.T, d_out), _GateSum(_mul(_param("U", STAR).T, d_star_next))),
        evaluate=False,
    )
    eq["p4.delta_c"] = _Eq(
        d_c,
        _add(_had(d_h, o, _one_minus(tanh2_c)), _had(f_next, d_c_next)),
        evaluate=False,
    )
    eq["p4.delta_gates"] = (
        _Eq(_delta("f"), _had(d_c, c_prev, f, _one_minus(f)), evaluate=False),
        _Eq(_delta("i"), _had(d_c, g, i, _one_minus(i)), evaluate=False),
        _Eq(_delta("g"), _had(d_c, i, _one_minus(_had(g, g))), evaluate=False),
        _Eq(_delta("o"), _had(d_h, tanh_c, o, _one_minus(o)), evaluate=False),
    )
    eq["p4.grad_params"] = (
        _Eq(_grad("W", STAR), _sum_t(_mul(d_star, x_t.T)), evaluate=False),
        _Eq(_grad("U", STAR), _sum_t(_mul(d_star, h_prev.T)), evaluate=False),
        _Eq(_grad("b", STAR), _sum_t(d_star), evaluate=False),
    )
    # part (iii): the cell-state Jacobians
    dc_dc = _leaf(r"\frac{\partial \mathbf{c}^{(t)}}{\partial \mathbf{c}^{(t-1)}}", "jac_c_full", "H", "H")
    dc_dc_direct = _leaf(r"\frac{\partial \mathbf{c}^{(t)}}{\partial \mathbf{c}^{(t-1)}}\Big|_{\mathbf{h}^{(t-1)}}",
                         "jac_c_direct", "H", "H")
    eq["p4.cell_direct"] = _Eq(dc_dc_direct, _Diag(f), evaluate=False)
    # abbreviations: matrix leaves whose values the check takes from their defining rows below
    A = {k: _leaf(r"\mathbf{A}_{%s}^{(t)}" % k, f"abbrev:A_{k}", "H", "H") for k in ("f", "i", "g")}
    B = _leaf(r"\mathbf{B}^{(t-1)}", "abbrev:B", "H", "H")
    o_prev = _gate_vec("o", -1)
    tanh2_c_prev = _leaf(r"\tanh^{2}\mathbf{c}", "sq:tanh_c", "H", shift=-1)
    eq["p4.cell_jacobian"] = (
        _Eq(dc_dc, _add(_Diag(f), _mul(_add(*[_mul(A[k], _param("U", k)) for k in A]), B)), evaluate=False),
        # the row above is the result; the rows below define its abbreviations
        _Eq(A["f"], _Diag(_had(c_prev, f, _one_minus(f))), evaluate=False),
        _Eq(A["i"], _Diag(_had(g, i, _one_minus(i))), evaluate=False),
        _Eq(A["g"], _Diag(_had(i, _one_minus(_had(g, g)))), evaluate=False),
        _Eq(B, _Diag(_had(o_prev, _one_minus(tanh2_c_prev))), evaluate=False),
    )
    return eq


# --------------------------------------------------------------------------- symbolic model (SymEngine)


class _Sigmoid(sp.Function):
    r"""sigma(x) = 1 / (1 + e^{-x}); SymPy differentiates it as sigma (1 - sigma) (claim p4.sigmoid)."""

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _latex(self, printer, exp=None):
        s = r"\sigma\left(%s\right)" % printer._print(self.args[0])
        return s if exp is None else r"%s^{%s}" % (s, exp)


def _engine_sigmoid(z):
    """sigma(x) = (1 + tanh(x/2)) / 2, an exact identity: SymEngine then differentiates it as
    (1 - tanh(x/2)^2) / 4 = sigma (1 - sigma), a polynomial in the same atom tanh(x/2)."""
    return np.array([(1 + se.tanh(e / 2)) / 2 for e in z], dtype=object)


def _engine_tanh(z):
    return np.array([se.tanh(e) for e in z], dtype=object)


def _engine_softmax(a):
    total = sum(se.exp(e) for e in a)
    return np.array([se.exp(e) / total for e in a], dtype=object)


def tiny_model(*, D: int, H: int, K: int, tau: int):
    """An unrolled LSTM with SymEngine symbols for parameters and inputs (object arrays); targets one-hot."""
    P = {}
    for k, shape in PARAM_SHAPES.items():
        size = tuple({"D": D, "H": H, "K": K}[s] for s in shape)
        P[k] = _engine_vector(k, int(np.prod(size))).reshape(size)
    X = _engine_vector("x", tau * D).reshape(tau, D)
    T = np.zeros((tau, K), dtype=int)
    T[np.arange(tau), np.arange(tau) % K] = 1
    return P, X, T


def _engine_forward(P, X, perturb=None):
    """The forward pass on SymEngine symbols (sigma, tanh and softmax written out)."""
    return _forward_core(P, X, _engine_sigmoid, _engine_tanh, _engine_softmax, perturb)


def _engine_loss(T, rec):
    """J = -sum_t sum_k t_k (a_k - ln sum_j e^{a_j}), a = the logits: SymEngine differentiates this."""
    J = se.Integer(0)
    for t in range(1, len(T) + 1):
        a = rec["logits"][t]
        lse = se.log(sum(se.exp(e) for e in a))
        J -= sum(int(T[t - 1, k]) * (a[k] - lse) for k in range(len(a)))
    return J


def _engine_vector(name, n):
    return np.array(se.symbols(f"{name}_0:{n}"), dtype=object)


def _direct_delta(P, X, T, quantity, t, n) -> se.DenseMatrix:
    """dJ/d(quantity at step t) by SymEngine: perturb it by eps, differentiate J, set eps = 0."""
    eps = _engine_vector("eps", n)
    J = _engine_loss(T, _engine_forward(P, X, {(quantity, t): eps}))
    return se.DenseMatrix(n, 1, exact.derivatives(J, eps, eps))


TINY_SIZES = {"D": 2, "H": 2, "K": 2, "tau": 2}  # sizes of the symbolic LSTM the statements are evaluated on


class _Truth:
    """True values of every leaf in the tiny symbolic LSTM (SymEngine matrices), computed lazily."""

    SIZES = TINY_SIZES

    def __init__(self, **sizes):
        sizes = {**self.SIZES, **sizes}
        self.tau = sizes.pop("tau")
        self.sizes = sizes  # D, H, K
        self.dims = {D_: sizes["D"], H_: sizes["H"], K_: sizes["K"]}
        self.P, self.X, self.T = tiny_model(**sizes, tau=self.tau)
        self.rec = _engine_forward(self.P, self.X)
        self.J = _engine_loss(self.T, self.rec)
        self._cache = {}
        self.extra = {}  # further named values at a time step, (name, t) -> matrix (the Jacobians of part (iii))

    def delta(self, which, t):
        """dJ/d(quantity)^(t); zero past the last step."""
        n = self.sizes["K"] if which == r"\mathrm{out}" else self.sizes["H"]
        if t > self.tau:
            return se.zeros(n, 1)
        key = (which, t)
        if key not in self._cache:
            quantity = {r"\mathrm{out}": "logits", "h": "h", "c": "c"}.get(which, f"z_{which}")
            self._cache[key] = _direct_delta(self.P, self.X, self.T, quantity, t, n)
        return self._cache[key]

    def value(self, quantity, t, gate):
        """The explicit matrix a leaf stands for at time t (``gate`` replaces the generic star)."""
        kind, _, name = quantity.partition(":")
        name = name.replace(STAR, gate)
        H = self.sizes["H"]
        if kind == "one":
            return se.ones(H, 1)
        if kind == "param":
            A = np.atleast_2d(self.P[name].T).T
            return se.DenseMatrix(A.shape[0], A.shape[1], list(A.ravel()))
        if kind == "grad":  # dJ/d(parameter) by SymEngine, entry by entry
            A = np.atleast_2d(self.P[name].T).T
            return se.DenseMatrix(A.shape[0], A.shape[1], exact.derivatives(self.J, A.ravel()))
        if kind == "delta":
            return self.delta(name, t)
        if kind == "input":
            return _column((self.X if name == "x" else self.T)[t - 1])
        if kind == "sq":
            return self.value(f"fw:{name}", t, gate).applyfunc(lambda e: e**2)
        if kind == "fw":
            if t > self.tau:  # past the last step: only ever multiplies a zero delta
                return se.zeros(H, 1)
            return _column(self.rec[name][t])
        if (quantity, t) in self.extra:
            return self.extra[(quantity, t)]
        raise KeyError(f"no value for leaf quantity {quantity!r}")


def _column(values) -> se.DenseMatrix:
    return se.DenseMatrix(len(values), 1, [exact.engine(int(v) if isinstance(v, np.integer) else v) for v in values])


def _evaluate(expr, truth: _Truth, t: int, gate: str):
    """Replace every leaf by its true value at time t (sums over t expanded) and compute; every matrix
    node's value must have the shape the statement gives it (D, H, K taken at the tiny sizes)."""
    value = _evaluate_node(expr, truth, t, gate)
    if isinstance(expr, sp.MatrixExpr):
        want = tuple(int(sp.sympify(n).subs(truth.dims)) for n in expr.shape)
        if value.shape != want:
            raise ValueError(f"{expr} has shape {expr.shape} = {want} but evaluates to {value.shape}")
    return value


def _evaluate_node(expr, truth: _Truth, t: int, gate: str):
    if isinstance(expr, sp.Sum):  # the summand at each t between the printed limits (tau -> truth.tau)
        (var, lower, upper), = expr.limits
        if var != T_SYM:
            raise TypeError(f"a statement's sum must run over t; got {var}")
        lower, upper = (int(sp.sympify(v).subs(TAU, truth.tau)) for v in (lower, upper))
        terms = [_evaluate(expr.function, truth, s, gate) for s in range(lower, upper + 1)]
        if not terms:
            raise ValueError(f"empty sum in a statement: {expr}")
        out = terms[0]
        for term in terms[1:]:
            out = out + term
        return out
    if isinstance(expr, _GateSum):
        out = _evaluate(expr.args[0], truth, t, GATES[0])
        for other in GATES[1:]:
            out = out + _evaluate(expr.args[0], truth, t, other)
        return out
    if isinstance(expr, _Diag):
        return se.diag(*_evaluate(expr.args[0], truth, t, gate).ravel())
    if isinstance(expr, sp.MatrixSymbol):
        quantity, shift = _LEAVES[expr.name]
        return truth.value(quantity, t + (shift or 0), gate)
    if isinstance(expr, sp.Transpose):
        return _evaluate(expr.arg, truth, t, gate).T
    if isinstance(expr, sp.MatAdd):
        out = _evaluate(expr.args[0], truth, t, gate)
        for a in expr.args[1:]:
            out = out + _evaluate(a, truth, t, gate)
        return out
    if isinstance(expr, sp.MatMul):
        scalar, out = sp.Integer(1), None
        for a in expr.args:
            if isinstance(a, (sp.MatrixExpr, sp.Sum)):
                v = _evaluate(a, truth, t, gate)
                out = v if out is None else out * v
            else:
                scalar *= a
        return exact.engine(scalar) * out
    if isinstance(expr, sp.HadamardProduct):
        out = _evaluate(expr.args[0], truth, t, gate)
        for a in expr.args[1:]:
            out = out.multiply_elementwise(_evaluate(a, truth, t, gate))
        return out
    raise TypeError(f"cannot evaluate {type(expr).__name__} in a statement: {expr}")


def _statement_residual(statement, truth: _Truth, times, gates) -> sp.Matrix:
    """lhs - rhs of an equation, evaluated at every time and gate and expanded by SymEngine (see
    :mod:`derivations.exact`): all entries in one column, exactly 0 when the statement holds."""
    entries = []
    for gate in gates:
        for t in times:
            entries += list(exact.residual(_evaluate(statement.lhs, truth, t, gate),
                                           _evaluate(statement.rhs, truth, t, gate)))
    return sp.Matrix(entries)


# --------------------------------------------------------------------------- derivation


def derive() -> Derivation:
    """The statements of parts (i)-(iii), the parameter table, the measured gradient reach, the figures."""
    from derivations import tex as _tex

    eq = statements()
    # part (i): the parameters and their count
    N = sp.Symbol("N_{\\mathrm{LSTM}}")
    count = _ScalarSum(_ScalarProduct(4, _ScalarSum(H_ * D_, H_**2, H_)), K_ * H_, K_)
    eq["p4.param_count"] = _Eq(N, count, evaluate=False)
    x = sp.Symbol("x")
    eq["p4.sigmoid"] = _Eq(
        sp.Derivative(_Sigmoid(x), x),
        _ScalarProduct(_Sigmoid(x), _ScalarSum(1, -_Sigmoid(x), evaluate=False), evaluate=False),
        evaluate=False,
    )

    # the parameter table, from the shapes the implementation uses (one row per kind of array)
    table = []
    for kind, what in (("W", "input weights"), ("U", "recurrent weights"), ("b", "biases"),
                       ("V", "output weights"), ("c", "output bias")):
        keys = [k for k in PARAM_SHAPES if k.partition("_")[0] == kind]
        shape = PARAM_SHAPES[keys[0]]
        per_array = sp.Mul(*[_SIZES[s] for s in shape])
        gated = len(keys) > 1
        table.append({
            "name": r"\mathbf{%s}" % kind + (r"_{\star},\ \star \in \{f, i, g, o\}" if gated else ""),
            "shape": r" \times ".join(shape),
            "size": (rf"{len(keys)} \times " if gated else "") + _tex.tex(per_array),
            "role": what + (" of the four gates" if gated else ""),
            # the entries the row states, as printed (the check adds them up against the count)
            "entries": (len(keys) if gated else 1, per_array),
        })
    from figures.lstm import cell_diagram_data

    experiment = gradient_reach()
    return Derivation(
        problem=4,
        equations=eq,
        context={"params": table, "reach": experiment["summary"], "tiny": dict(_Truth.SIZES),
                 "reach_check": {"distances": list(REACH_CHECK_DISTANCES), "step": "10^{%d}" % round(np.log10(CS_STEP)),
                                 "init_z": f"{REACH_INIT_Z:g}",
                                 "smallest": float(np.min([experiment["curves"]["rnn"], *experiment["curves"]["lstm"].values()]))}},
        figures=(
            Figure("p04_lstm_cell", "figures.lstm:cell_diagram", cell_diagram_data(), kind="tikz"),
            Figure("p04_gradient_reach", "figures.lstm:gradient_reach", experiment["curves"],
                   width=5.6, height=2.9),
        ),
    )


# --------------------------------------------------------------------------- part (iii) experiment

REACH_LSTM_SEED_OFFSET = 1000  # the LSTM's weights of seed s come from seed s + this (not the RNN's stream)
REACH = {"D": 4, "H": 16, "K": 5, "tau": 60, "seeds": 20, "forget_biases": (0.0, 1.0, 3.0), "report_distance": 20}


def _rnn_input_gradients(rnn_params, X, T):
    """d l^(tau) / d x^(k) for k = 1..tau, shape (tau, D), l^(tau) the last step's loss, for the RNN of
    Problem 2: its forward pass from derivations.rnn.forward, the backward steps of Eq. 4 written out."""
    from derivations.rnn import forward as rnn_forward

    fw = rnn_forward(rnn_params, X)
    h, y = fw["h"], fw["y"]
    tau = X.shape[0]
    W, U, V = rnn_params["W"], rnn_params["U"], rnn_params["V"]
    d_h = V.T @ (y[tau - 1] - T[tau - 1])  # only the last step's loss
    out = np.zeros((tau, X.shape[1]))
    for t in range(tau, 0, -1):
        d_z = d_h * (1.0 - h[t] ** 2)
        out[t - 1] = W.T @ d_z
        d_h = U.T @ d_z
    return out


def reach_data(seed: int, config=REACH):
    """One sequence of the experiment: inputs X (tau, D) standard normal, one-hot targets T, the RNN's
    parameters and the LSTM's for each forget bias; weights normal with variance 1/fan-in, biases 0."""
    D, H, K, tau = config["D"], config["H"], config["K"], config["tau"]
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(tau, D))
    T = np.eye(K)[rng.integers(0, K, size=tau)]
    rnn = {"W": rng.normal(size=(H, D)) / np.sqrt(D), "U": rng.normal(size=(H, H)) / np.sqrt(H),
           "V": rng.normal(size=(K, H)) / np.sqrt(H), "b": np.zeros(H), "c": np.zeros(K)}
    base = init_params(D, H, K, np.random.default_rng(REACH_LSTM_SEED_OFFSET + seed))
    return X, T, rnn, {b: dict(base, b_f=np.full(H, b)) for b in config["forget_biases"]}


def gradient_reach(config=REACH) -> dict:
    """Median over seeds of ||d l^(tau)/d x^(tau-d)|| against d, RNN and LSTM on the same data."""
    D, H, K, tau = config["D"], config["H"], config["K"], config["tau"]
    curves = {"distance": np.arange(tau), "rnn": [], "lstm": {b: [] for b in config["forget_biases"]}}
    mean_f = {b: [] for b in config["forget_biases"]}
    for seed in range(config["seeds"]):
        X, T, rnn, lstm_params = reach_data(seed, config)
        g = _rnn_input_gradients(rnn, X, T)
        curves["rnn"].append(np.linalg.norm(g, axis=1)[::-1])
        for b in config["forget_biases"]:
            p = lstm_params[b]
            G = bptt(p, X, T, steps=[tau])
            curves["lstm"][b].append(np.linalg.norm(G["x"], axis=1)[::-1])
            mean_f[b].append(forward(p, X)["f"].mean())
    med = {"distance": curves["distance"], "rnn": np.median(curves["rnn"], axis=0),
           "lstm": {b: np.median(v, axis=0) for b, v in curves["lstm"].items()},
           "mean_f": {b: float(np.mean(v)) for b, v in mean_f.items()}}
    d = config["report_distance"]
    summary = {k: v for k, v in config.items() if k != "forget_biases"}
    summary["rnn_ratio"] = float(med["rnn"][d] / med["rnn"][0])
    summary["lstm"] = [
        {"b": f"{b:g}", "mean_f": med["mean_f"][b], "ratio": float(c[d] / c[0]), "mean_f_power": med["mean_f"][b] ** d}
        for b, c in med["lstm"].items()
    ]
    return {"curves": med, "summary": summary}


# --------------------------------------------------------------------------- verification


FD_SEED = 0  # seed of the random sizes, parameters and data of the finite-difference check
FD_TRIALS = 6  # how many random (D, H, K, tau) the finite-difference check draws
FD_WEIGHT_STD = 0.8  # std of the random weights there (large enough for saturating gates)
FD_BIAS_STD = 0.5  # std of the random biases there (nonzero, so no term vanishes by symmetry)


def finite_difference_error(seed=FD_SEED, trials=FD_TRIALS):
    """Worst relative error between BPTT and central differences of J, over random sizes."""
    rng = np.random.default_rng(seed)
    errors = []
    cases = []
    for _ in range(trials):
        D, H, K = (int(s) for s in rng.integers(1, 5, size=3))
        tau = int(rng.integers(1, 6))
        p = init_params(D, H, K, rng, scale=FD_WEIGHT_STD)
        for k in p:
            if k.startswith("b_"):
                p[k] = FD_BIAS_STD * rng.normal(size=p[k].shape)
        p["c"] = FD_BIAS_STD * rng.normal(size=K)
        X = rng.normal(size=(tau, D))
        T = np.eye(K)[rng.integers(0, K, size=tau)]
        G = bptt(p, X, T)
        keys = list(PARAM_SHAPES)
        arrays = [p[k] for k in keys] + [X]
        num = _central_differences(lambda: loss(p, X, T), arrays)
        ana = [G[k] for k in keys] + [G["x"]]
        err = relative_error(np.concatenate([a.ravel() for a in ana]), np.concatenate([n.ravel() for n in num]))
        errors.append(err)
        cases.append((D, H, K, tau))
    return float(np.max(errors)), cases  # np.max, unlike max(), keeps a NaN: a NaN must fail


# Complex step: f'(x) = Im f(x + i h) / h for a real-analytic f, with no difference taken, so neither
# truncation (O(h^2)) nor cancellation limits it: it resolves gradients of size 1e-14 as well as 1.
CS_STEP = 1e-20  # the imaginary step of the complex-step derivative
# Two exact routes (BPTT, complex step), each tau = 60 steps of H = 16-term inner products: without
# cancellation they round to ~2 tau H eps = 4e-13 relative apart; 1e-10 allows cancellation by a
# factor 250 in the matrix-vector products (measured 6e-15 to 9e-15 across BLAS kernels), and a
# misprinted or wrongly computed number is off by 1e-3 (relative) or more.
REACH_TOL = 1e-10
REACH_CHECK_DISTANCES = (0, REACH["report_distance"], REACH["tau"] - 1)  # where the curves are recomputed
REACH_INIT_Z = 5.0  # standard errors allowed for a weight matrix's sample variance x fan-in against 1
# The text prints the experiment's numbers to 3 significant digits (|num); they move by ~1e-13
# (relative) from one BLAS kernel to another, so each must sit this far (relative) from the point
# where its last printed digit changes (the closest is 2e-4 away).
PRINTED_DIGITS, PRINTED_MARGIN = 3, 1e-9


def _rounding_clearance(value, digits=PRINTED_DIGITS):
    """Distance (relative to |value|) from ``value`` to the nearest point where its rounding to
    ``digits`` significant digits changes, in exact decimal arithmetic (inf for 0 or exact digits)."""
    from decimal import Decimal

    exact, shown = Decimal(float(value)), Decimal(f"{float(value):.{digits - 1}e}")
    if value == 0 or shown == exact:
        return np.inf
    return float((Decimal(1).scaleb(shown.adjusted() - (digits - 1)) / 2 - abs(exact - shown)) / abs(exact))


def _identity(a):
    return a


def _complex_step_columns(X, rows):
    """X (tau, D) -> (tau, D, len(rows) * D): column (j, e) is X with i * CS_STEP added to X[rows[j], e]."""
    D = X.shape[1]
    n = len(rows) * D
    Xc = np.repeat(X.astype(complex)[:, :, None], n, axis=2)
    j, e = np.divmod(np.arange(n), D)
    Xc[np.asarray(rows)[j], e, np.arange(n)] += 1j * CS_STEP
    return Xc


def _last_step_loss(logits, target):
    """l = -ln softmax(logits)_k = ln sum_j e^{a_j} - a_k, columnwise, k the target class; complex-safe.
    No max-shift: the logits V h + c are bounded (|h| <= 1), and a real shift would not touch Im l."""
    return np.log(np.exp(logits).sum(axis=0)) - logits[int(np.argmax(target))]  # target one-hot: exact 0/1


def _complex_step_norms_lstm(params, X, T, distances):
    """||d l^(tau) / d x^(tau-d)|| at the given distances d by the complex step through the LSTM's
    forward pass, all directions at once (the forward core runs on (size, columns) arrays); and f."""
    tau, D = X.shape
    P = {k: (np.asarray(v)[:, None] if np.ndim(v) == 1 else np.asarray(v)) for k, v in params.items()}
    rec = _forward_core(P, _complex_step_columns(X, [tau - 1 - d for d in distances]), _sigmoid_np, np.tanh, _identity)
    grad = (_last_step_loss(rec["logits"][tau], T[tau - 1]).imag / CS_STEP).reshape(len(distances), D)
    f = np.array([v.real for v in rec["f"][1:]])  # (tau, H, columns): the real part is the forward pass
    return np.linalg.norm(grad, axis=1), f


def _complex_step_norms_rnn(params, X, T, distances):
    """The same for the RNN of Problem 2, h^(t) = tanh(W x^(t) + U h^(t-1) + b), logits V h^(t) + c."""
    tau, D = X.shape
    W, U, V, b, c = (np.asarray(params[k]) for k in ("W", "U", "V", "b", "c"))
    Xc = _complex_step_columns(X, [tau - 1 - d for d in distances])
    h = np.zeros((len(b), Xc.shape[2]), dtype=complex)
    for t in range(tau):
        h = np.tanh(W @ Xc[t] + U @ h + b[:, None])
    grad = (_last_step_loss(V @ h + c[:, None], T[tau - 1]).imag / CS_STEP).reshape(len(distances), D)
    return np.linalg.norm(grad, axis=1)


TINY = "symbolic LSTM, tau = 2"


def _check_parameter_count(eq, table):
    """Part (i): the count formula against the implementation's arrays and the printed table, D, H, K = 1..4."""
    worst = 0
    for D in range(1, 5):
        for H in range(1, 5):
            for K in range(1, 5):
                p = init_params(D, H, K, np.random.default_rng(0))
                sizes = {D_: D, H_: H, K_: K}
                formula = int(eq["p4.param_count"].rhs.doit().subs(sizes))
                n_grads = parameter_count(gradients(p, np.zeros((2, D)), np.eye(K)[[0, K - 1]]))
                # the table's rows, as printed (number of arrays times entries per array), added up
                n_table = sum(int(n * per_array.subs(sizes)) for n, per_array in (r["entries"] for r in table))
                worst = max(worst, abs(formula - parameter_count(p)), abs(formula - n_grads), abs(formula - n_table))
    return numeric_claim(  # tolerance 0: every count is a Python int
        "p4.param_count", eq["p4.param_count"], worst, 0,
        method="counting the implementation's arrays and the table's rows, D, H, K = 1..4",
        reproduce="init_params(D, H, K), gradients(...) for D, H, K in 1..4",
    )


def _check_bptt_statements(eq, truth: _Truth):
    """Part (ii): each statement, evaluated on the tiny LSTM, against SymEngine's derivative of J."""
    all_t = list(range(1, truth.tau + 1))
    checks = {  # claim id: (what SymEngine differentiates, times, gates to check)
        "p4.delta_out": ("dJ/d(logits)", all_t, ("f",)),
        "p4.grad_output": ("dJ/dV, dJ/dc", [1], ("f",)),  # sums over t: t is not free
        "p4.delta_h": ("dJ/dh(t)", all_t, ("f",)),
        "p4.delta_c": ("dJ/dc(t)", all_t, ("f",)),
        "p4.delta_gates": ("dJ/dz(t) of each gate", all_t, ("f",)),
        "p4.grad_params": ("dJ/dW, dJ/dU, dJ/db of each gate", [1], GATES),
    }
    claims = []
    for cid, (what, times, gates) in checks.items():
        statement = eq[cid]
        residual = sp.Integer(0)
        for part in statement if isinstance(statement, tuple) else (statement,):
            residual = _statement_residual(part, truth, times, gates)
            if any(r != 0 for r in residual):
                break
        claims.append(symbolic_claim(
            cid, statement, residual,
            method=f"exact: equals SymEngine's {what} on the {TINY}",
            reproduce=f"derivations.lstm._Truth() with sizes {_Truth.SIZES}, t = 1..{truth.tau}",
        ))
    return claims


def _check_cell_jacobians(eq, truth: _Truth):
    """Part (iii): the cell-to-cell Jacobians against SymEngine's Jacobian of step 2 of the tiny LSTM."""
    P, X = truth.P, truth.X
    H, t = truth.sizes["H"], 2
    eps = _engine_vector("eps", H)

    def jacobian(perturb):
        c_t = _engine_forward(P, X, {perturb: eps})["c"][t]
        return se.DenseMatrix(H, H, [d for r in range(H) for d in exact.derivatives(c_t[r], eps, eps)])

    # c^(t-1) perturbed: h^(t-1) = o^(t-1) tanh(c^(t-1)) follows it; "carry": only the f * c^(t-1) term
    truth.extra[("jac_c_full", t)] = jacobian(("c", t - 1))
    truth.extra[("jac_c_direct", t)] = jacobian(("carry", t))
    # the abbreviations of p4.cell_jacobian take the values of their defining rows, as printed
    for row in eq["p4.cell_jacobian"][1:]:
        truth.extra[(_LEAVES[row.lhs.name][0], t)] = _evaluate(row.rhs, truth, t, "f")
    claims = []
    for cid in ("p4.cell_direct", "p4.cell_jacobian"):
        result = eq[cid][0] if isinstance(eq[cid], tuple) else eq[cid]  # row 0; the rest define abbreviations
        claims.append(symbolic_claim(
            cid, eq[cid], _statement_residual(result, truth, [t], ("f",)),
            method=f"exact: SymEngine Jacobian of one step of the {TINY}",
            reproduce="derivations.lstm._Truth(), t = 2",
        ))
    return claims


def _check_gradient_reach(derivation: Derivation, config=REACH):
    """Part (iii): the drawn and printed numbers of the experiment, recomputed by the complex step.

    Each curve of the figure at d = 0, report_distance, tau - 1, each fall over d steps, mean f and
    (mean f)^d in the table are recomputed from complex-step derivatives of the two models' last-step loss on the same
    data; the largest relative difference is the error.  The stated set-up is checked too: each
    weight matrix's sample second moment x fan-in, pooled over seeds, within REACH_INIT_Z standard
    errors of 1 (std of w^2 for a standard normal w: sqrt 2), and the biases as stated.
    """
    D, H, K, tau, d = (config[k] for k in ("D", "H", "K", "tau", "report_distance"))
    biases = config["forget_biases"]
    dist = list(REACH_CHECK_DISTANCES)  # the curves' first point, the table's distance, the last point
    assert dist[1] == d, "REACH_CHECK_DISTANCES[1] must be the table's distance"
    norms = {"rnn": [], **{b: [] for b in biases}}
    fs = {b: [] for b in biases}
    moments = {}  # weight name -> (sum of w^2 * fan-in, count)
    setup_ok = True
    fan = {"W": D, "U": H, "V": H}
    for seed in range(config["seeds"]):
        X, T, rnn, lstm_params = reach_data(seed, config)
        norms["rnn"].append(_complex_step_norms_rnn(rnn, X, T, dist))
        for name, params in [("rnn", rnn)] + [(b, lstm_params[b]) for b in biases]:
            for k, v in params.items():
                if k[0] in fan:
                    # exact comparisons: the same drawn weights, and biases set by assignment
                    setup_ok &= name == "rnn" or bool(np.array_equal(v, lstm_params[biases[0]][k]))
                    if name in ("rnn", biases[0]):  # the LSTMs share their weights: count them once
                        s2, n = moments.get((name, k), (0.0, 0))
                        moments[(name, k)] = (s2 + float(np.sum(v**2)) * fan[k[0]], n + v.size)
                elif k != "b_f" or name == "rnn":
                    setup_ok &= bool(np.all(v == 0))
                else:
                    setup_ok &= bool(np.all(v == name))
        for b in biases:
            n_b, f = _complex_step_norms_lstm(lstm_params[b], X, T, dist)
            norms[b].append(n_b)
            fs[b].append(f)
    z = float(np.max([abs(s2 / n - 1) / np.sqrt(2 / n) for s2, n in moments.values()]))

    curves = derivation.figures[1].data
    summary = derivation.context["reach"]
    pairs = []  # (printed or drawn, recomputed)
    med_rnn = np.median(norms["rnn"], axis=0)  # at the distances dist
    pairs += [(curves["rnn"][dist], med_rnn), (summary["rnn_ratio"], med_rnn[1] / med_rnn[0])]
    for row, b in zip(summary["lstm"], biases):
        med = np.median(norms[b], axis=0)
        mean_f = float(np.mean(fs[b]))
        pairs += [(curves["lstm"][b][dist], med), (row["ratio"], med[1] / med[0]), (row["mean_f"], mean_f),
                  (row["mean_f_power"], np.exp(d * np.log(mean_f)))]
    setup_ok &= bool(np.array_equal(curves["distance"][dist], dist))  # the figure's x-axis (integers: exact)
    # np.max over one array, unlike max(), keeps a NaN (which must fail)
    error = float(np.max(np.concatenate([np.ravel(np.abs(np.asarray(a) - r) / np.abs(r)) for a, r in pairs])))
    err_sym = sp.Symbol(r"\max \lvert v - v_{\mathrm{CS}} \rvert / \lvert v_{\mathrm{CS}} \rvert")
    detail = "" if setup_ok and z <= REACH_INIT_Z else (
        f"set-up not as stated: biases and distances as stated {setup_ok}; "
        f"largest |variance x fan-in - 1| = {z:.1f} standard errors")
    # every number the text prints from the experiment clear of its rounding boundary
    shown = [summary["rnn_ratio"], derivation.context["reach_check"]["smallest"]]
    shown += [row[k] for row in summary["lstm"] for k in ("mean_f", "ratio", "mean_f_power")]
    clearance = min(_rounding_clearance(v) for v in shown)
    if not clearance >= PRINTED_MARGIN:
        detail += (f"; a printed number lies within a relative {clearance:.1e} of its rounding boundary at "
                   f"{PRINTED_DIGITS} digits (needed {PRINTED_MARGIN:g})")
    return numeric_claim(
        "p4.reach_complex_step", sp.Le(err_sym, sp.Symbol(f"10^{{{round(np.log10(REACH_TOL))}}}"), evaluate=False),
        error if not detail else np.inf, REACH_TOL,
        method=f"complex-step derivatives (step {CS_STEP:g}) of the last-step loss, every seed, d = {dist}; the "
               f"printed numbers at least {PRINTED_MARGIN:g} (relative) from a rounding boundary",
        reproduce=f"reach_data(seed, REACH) for seed in 0..{config['seeds'] - 1}",
        detail=detail,
    )


def verify(derivation: Derivation):
    """The claims of Problem 4, each checked by a route that does not reuse its formula."""
    eq = derivation.equations
    truth = _Truth()
    claims = [_check_parameter_count(eq, derivation.context["params"])]

    # the printed statement with sigma written out as 1/(1+exp(-x)), differentiated by SymPy
    def explicit(side):
        return side.replace(_Sigmoid, lambda a: 1 / (1 + sp.exp(-a))).doit()

    claims.append(symbolic_claim(
        "p4.sigmoid", eq["p4.sigmoid"], explicit(eq["p4.sigmoid"].lhs) - explicit(eq["p4.sigmoid"].rhs),
        method="SymPy differentiation of 1/(1+exp(-x))",
    ))

    claims += _check_bptt_statements(eq, truth)

    worst, cases = finite_difference_error()
    err_sym = sp.Symbol(r"\max|\nabla_{\mathrm{BPTT}} J - \nabla_{\mathrm{FD}} J| / \max|\nabla_{\mathrm{FD}} J|")
    claims.append(numeric_claim(
        "p4.bptt_fd", sp.Le(err_sym, sp.Symbol("10^{-6}"), evaluate=False), worst, 1e-6,
        method="central differences of J, all parameters and inputs, 6 random sizes",
        reproduce=f"finite_difference_error(seed={FD_SEED}): (D, H, K, tau) = {cases}",
    ))

    claims += _check_cell_jacobians(eq, truth)
    claims.append(_check_gradient_reach(derivation))
    return claims
