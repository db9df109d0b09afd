"""Problem 4's derivation: the BPTT statements of parts (ii) and (iii) over named leaves, the
parameter count and table of part (i), the description of the cell's figure, and :func:`derive`."""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations import tex as _tex
from derivations.display import AsWritten, Diag, GateSum, InOrder, MatInOrder, Product
from derivations.ledger import Derivation, Figure
from derivations.lstm.experiment import CS_STEP, REACH_CHECK_DISTANCES, REACH_INIT_Z, gradient_reach
from derivations.lstm.method import GATES, PARAM_SHAPES
from derivations.lstm.quotes import QUOTES

__all__ = ["statements", "derive", "D_", "H_", "K_", "TAU", "T_SYM", "TINY_SIZES"]


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


def _gate_delta(gate, shift=0):
    """dJ/dz_gate^(t), named by the pre-activation (delta_{z_o}: the output gate's, never Problem 2's delta_o)."""
    return _leaf(r"\boldsymbol{\delta}_{z_{%s}}" % gate, f"delta:{gate}", "H", shift=shift)


_DIMS = {"W": ("H", "D"), "U": ("H", "H"), "b": ("H", 1), "V": ("K", "H"), "c": ("K", 1)}


def _param(kind, gate=None):
    tex_name = r"\mathbf{%s}" % kind + (f"_{{{gate}}}" if gate else "")
    return _leaf(tex_name, f"param:{kind}_{gate}" if gate else f"param:{kind}", *_DIMS[kind])


def _grad(kind, gate=None):
    sub = f"_{{{gate}}}" if gate else ""
    return _leaf(r"\frac{\partial J}{\partial \mathbf{%s}%s}" % (kind, sub),
                 f"grad:{kind}_{gate}" if gate else f"grad:{kind}", *_DIMS[kind])


def _had(*args):
    return sp.HadamardProduct(*args, evaluate=False)


def _add(*args):
    return MatInOrder(*args, evaluate=False)


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
    # the error at the logits a^(t) = V h^(t) + c (Problem 2's o^(t), renamed: here o^(t) is the output gate)
    d_a = _delta("a", rows="K")
    d_h, d_c, d_c_next = _delta("h"), _delta("c"), _delta("c", 1)
    d_star, d_star_next = _gate_delta(STAR), _gate_delta(STAR, 1)
    V = _param("V")

    eq = {}
    eq["p4.delta_out"] = AsWritten(d_a, _add(y_t, -target), evaluate=False)
    eq["p4.grad_output"] = (
        AsWritten(_grad("V"), _sum_t(_mul(d_a, h_t.T)), evaluate=False),
        AsWritten(_grad("c"), _sum_t(d_a), evaluate=False),
    )
    eq["p4.delta_h"] = AsWritten(
        d_h,
        _add(_mul(V.T, d_a), GateSum(_mul(_param("U", STAR).T, d_star_next))),
        evaluate=False,
    )
    eq["p4.delta_c"] = AsWritten(
        d_c,
        _add(_had(d_h, o, _one_minus(tanh2_c)), _had(f_next, d_c_next)),
        evaluate=False,
    )
    eq["p4.delta_gates"] = (
        AsWritten(_gate_delta("f"), _had(d_c, c_prev, f, _one_minus(f)), evaluate=False),
        AsWritten(_gate_delta("i"), _had(d_c, g, i, _one_minus(i)), evaluate=False),
        AsWritten(_gate_delta("g"), _had(d_c, i, _one_minus(_had(g, g))), evaluate=False),
        AsWritten(_gate_delta("o"), _had(d_h, tanh_c, o, _one_minus(o)), evaluate=False),
    )
    eq["p4.grad_params"] = (
        AsWritten(_grad("W", STAR), _sum_t(_mul(d_star, x_t.T)), evaluate=False),
        AsWritten(_grad("U", STAR), _sum_t(_mul(d_star, h_prev.T)), evaluate=False),
        AsWritten(_grad("b", STAR), _sum_t(d_star), evaluate=False),
    )
    # part (iii): the cell-state Jacobians
    dc_dc = _leaf(r"\frac{\partial \mathbf{c}^{(t)}}{\partial \mathbf{c}^{(t-1)}}", "jac_c_full", "H", "H")
    dc_dc_direct = _leaf(r"\frac{\partial \mathbf{c}^{(t)}}{\partial \mathbf{c}^{(t-1)}}\Big|_{\mathbf{h}^{(t-1)}}",
                         "jac_c_direct", "H", "H")
    eq["p4.cell_direct"] = AsWritten(dc_dc_direct, Diag(f), evaluate=False)
    # abbreviations: matrix leaves whose values the check takes from their defining rows below
    A = {k: _leaf(r"\mathbf{A}_{%s}^{(t)}" % k, f"abbrev:A_{k}", "H", "H") for k in ("f", "i", "g")}
    B = _leaf(r"\mathbf{B}^{(t-1)}", "abbrev:B", "H", "H")
    o_prev = _gate_vec("o", -1)
    tanh2_c_prev = _leaf(r"\tanh^{2}\mathbf{c}", "sq:tanh_c", "H", shift=-1)
    eq["p4.cell_jacobian"] = (
        AsWritten(dc_dc, _add(Diag(f), _mul(_add(*[_mul(A[k], _param("U", k)) for k in A]), B)), evaluate=False),
        # the row above is the result; the rows below define its abbreviations
        AsWritten(A["f"], Diag(_had(c_prev, f, _one_minus(f))), evaluate=False),
        AsWritten(A["i"], Diag(_had(g, i, _one_minus(i))), evaluate=False),
        AsWritten(A["g"], Diag(_had(i, _one_minus(_had(g, g)))), evaluate=False),
        AsWritten(B, Diag(_had(o_prev, _one_minus(tanh2_c_prev))), evaluate=False),
    )
    return eq


class _Sigmoid(sp.Function):
    r"""sigma(x) = 1 / (1 + e^{-x}); SymPy differentiates it as sigma (1 - sigma) (claim p4.sigmoid)."""

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _latex(self, printer, exp=None):
        s = r"\sigma\left(%s\right)" % printer._print(self.args[0])
        return s if exp is None else r"%s^{%s}" % (s, exp)


TINY_SIZES = {"D": 2, "H": 2, "K": 2, "tau": 2}  # sizes of the symbolic LSTM the statements are evaluated on


# --------------------------------------------------------------------------- derivation


def derive() -> Derivation:
    """The statements of parts (i)-(iii), the parameter table, the measured gradient reach, the figures."""
    eq = statements()
    # part (i): the parameters and their count
    N = sp.Symbol("N_{\\mathrm{LSTM}}")
    count = InOrder(Product(4, InOrder(H_ * D_, H_**2, H_)), K_ * H_, K_)
    eq["p4.param_count"] = AsWritten(N, count, evaluate=False)
    x = sp.Symbol("x")
    eq["p4.sigmoid"] = AsWritten(
        sp.Derivative(_Sigmoid(x), x),
        Product(_Sigmoid(x), InOrder(1, -_Sigmoid(x), evaluate=False), evaluate=False),
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
            "name": r"\mathbf{%s}" % kind + (r"_{\star}" if gated else ""),
            "shape": r" \times ".join(shape),
            "size": (rf"{len(keys)} \times " if gated else "") + _tex.tex(per_array),
            "role": what,
            "gated": gated,
            # the entries the row states, as printed (the check adds them up against the count)
            "entries": (len(keys) if gated else 1, per_array),
        })

    experiment = gradient_reach()
    return Derivation(
        problem=4,
        equations=eq,
        context={"params": table, "reach": experiment["summary"], "tiny": dict(TINY_SIZES),
                 "reach_check": {"distances": list(REACH_CHECK_DISTANCES), "step": "10^{%d}" % round(np.log10(CS_STEP)),
                                 "init_z": f"{REACH_INIT_Z:g}",
                                 "smallest": float(np.min([experiment["curves"]["rnn"], *experiment["curves"]["lstm"].values()]))}},
        quotes=QUOTES,
        figures=(
            Figure("p04_lstm_cell", "figures.lstm:cell_diagram", {}, kind="tikz"),  # a schematic: its layout is drawing
            Figure("p04_gradient_reach", "figures.lstm:gradient_reach", experiment["curves"],
                   width=6.2, height=2.2),
        ),
    )

