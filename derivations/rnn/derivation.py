"""Problem 2's derivation: the BPTT equations in the report's notation, each one rule of Problem 1.

The notation: per-step quantities v^(t) and fixed matrices, as SymPy objects (see
:mod:`derivations.seqnotation`) that print in the assignment's notation and evaluate on a
concrete unrolled RNN.  Problems 3 and 4 reuse it through :mod:`derivations.rnn`.
"""

from __future__ import annotations

import sympy as sp

from derivations.ledger import Derivation, Figure
from derivations.rnn.quotes import QUOTES
from derivations.seqnotation import Diag, Had, Plus, Step, const

__all__ = ["derive", "x", "xT", "h", "hT", "y", "target", "delta_o", "delta_h", "delta_z",
           "t", "tau", "U_T", "V_T", "ONES", "GRAD", "SYMBOLIC_SIZES", "FD_TRIALS"]


class x(Step):
    key, latex_name = "x", r"\mathbf{x}"


class xT(Step):
    key, latex_name, transposed = "x", r"\mathbf{x}", True


class h(Step):
    key, latex_name = "h", r"\mathbf{h}"


class hT(Step):
    key, latex_name, transposed = "h", r"\mathbf{h}", True


class y(Step):
    key, latex_name = "y", r"\mathbf{y}"


class target(Step):
    key, latex_name = "t", r"\mathbf{t}"


class delta_o(Step):
    key, latex_name = "delta_o", r"\boldsymbol{\delta}_{o}"


class delta_h(Step):
    key, latex_name = "delta_h", r"\boldsymbol{\delta}_{h}"


class delta_z(Step):
    key, latex_name = "delta_z", r"\boldsymbol{\delta}_{z}"


SYMBOLIC_SIZES = {"D": 2, "H": 2, "K": 2, "steps": 3}  # the tiny unrolled RNN of the exact check
FD_TRIALS = 8  # random (D, H, K, tau) of the finite-difference check

t = sp.Symbol("t", integer=True, positive=True)
tau = sp.Symbol("tau", integer=True, positive=True)
U_T, V_T = const(r"\mathbf{U}^{\top}"), const(r"\mathbf{V}^{\top}")
ONES = const(r"\mathbf{1}")
GRAD = {k: const(r"\frac{\partial J}{\partial %s}" % n) for k, n in
        (("W", r"\mathbf{W}"), ("U", r"\mathbf{U}"), ("V", r"\mathbf{V}"), ("b", r"\mathbf{b}"), ("c", r"\mathbf{c}"))}


def derive() -> Derivation:
    """The BPTT equations, each one application of a rule of Problem 1.

    * rule (iv), softmax + cross-entropy at the output ``o^(t)``:  delta_o^(t) = y^(t) - t^(t);
    * rule (ii), h^(t) feeds o^(t) (through V) and z^(t+1) (through U): the two contributions add;
    * rule (i), h^(t) = tanh(z^(t)) with tanh' = 1 - tanh^2;
    * rule (iii), each weight's gradient is delta (of the layer it feeds) times its input^T,
      summed over the steps that share the weight.
    """
    eq = {
        "p2.delta_o": sp.Eq(delta_o(t), Plus(y(t), -target(t)), evaluate=False),
        "p2.delta_h": (
            sp.Eq(delta_h(tau), V_T * delta_o(tau), evaluate=False),
            sp.Eq(delta_h(t), Plus(V_T * delta_o(t), U_T * delta_z(t + 1)), evaluate=False),
        ),
        "p2.delta_z": sp.Eq(delta_z(t), Had(delta_h(t), ONES - Had(h(t), h(t))), evaluate=False),
        # Step 3 substituted into Step 2: the book's Eq. 10.21 in the assignment's names, for t < tau
        "p2.delta_h_recurrence": sp.Eq(
            delta_h(t),
            Plus(V_T * delta_o(t), U_T * Diag(ONES - Had(h(t + 1), h(t + 1))) * delta_h(t + 1)),
            evaluate=False,
        ),
        "p2.grad_W": sp.Eq(GRAD["W"], sp.Sum(delta_z(t) * xT(t), (t, 1, tau)), evaluate=False),
        "p2.grad_U": sp.Eq(GRAD["U"], sp.Sum(delta_z(t) * hT(t - 1), (t, 1, tau)), evaluate=False),
        "p2.grad_b": sp.Eq(GRAD["b"], sp.Sum(delta_z(t), (t, 1, tau)), evaluate=False),
        "p2.grad_V": sp.Eq(GRAD["V"], sp.Sum(delta_o(t) * hT(t), (t, 1, tau)), evaluate=False),
        "p2.grad_c": sp.Eq(GRAD["c"], sp.Sum(delta_o(t), (t, 1, tau)), evaluate=False),
    }
    figure = Figure("p02_unrolled", "figures.rnn:unrolled", {"steps": ["t-1", "t", "t+1"], "focus": 1}, kind="tikz")
    context = {"symbolic_sizes": dict(SYMBOLIC_SIZES), "fd_trials": FD_TRIALS}
    return Derivation(problem=2, equations=eq, context=context, figures=(figure,), quotes=QUOTES)
