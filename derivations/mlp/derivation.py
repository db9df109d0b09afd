"""Problem 1's derivation: the statements (i)-(v) over layer-l symbols, delta_z^(L) = y - t derived
for a symbolic number of classes, and :func:`derive`."""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations.display import InOrder, MatInOrder, MinibatchSum, Product, plain
from derivations.ledger import Derivation, Figure
from derivations.mlp.experiment import LAYER_SIZES, _experiments
from derivations.numerics import FD_STEP
from derivations.tex import tex, vec

__all__ = ["derive", "output_delta", "FD_TOLERANCE", "REPLAY_TOLERANCE"]

FD_TOLERANCE = 1e-6  # relative error accepted (float64 central differences)
FD_DEPTHS = range(1, 6)  # numbers of layers L of the random networks checked
SYMBOLIC_SIZES, SYMBOLIC_M = (2, 3, 2), 2  # the network of the exact checks: widths, examples
# The epoch check of Algorithm 1: a random depth-2 network of the finite-difference check (seed),
# minibatches of 3 (the last one shorter) and the step in eta of the central differences.
SGD_CHECK = {"depth": 2, "seed": 7, "batch_size": 3, "eta_step": 1e-5}
REPLAY_TOLERANCE = 1e-10  # float64 rounding of the same numbers reached in another evaluation order


def _layer_symbols():
    """Vectors and matrices of layer l, named as in the assignment.

    Names with a superscript are wrapped in braces so that a transpose prints as
    ``{\\mathbf{W}^{(l)}}^{\\top}`` rather than a double superscript.
    """
    n, p = sp.symbols("d_l d_{l-1}", integer=True, positive=True)
    K = sp.Symbol("K", integer=True, positive=True)
    return {
        "dz": vec(r"\delta", n, sup="(l)", sub="z"),
        "dh": vec(r"\delta", n, sup="(l)", sub="h"),
        "dh_prev": vec(r"\delta", p, sup="(l-1)", sub="h"),
        "fprime": sp.MatrixSymbol(r"f^{(l)\prime}\!\left(\mathbf{z}^{(l)}\right)", n, 1),
        "relu_mask": sp.MatrixSymbol(r"\mathbf{1}\!\left[\mathbf{z}^{(l)} > \mathbf{0}\right]", n, 1),
        "W": sp.MatrixSymbol(r"{\mathbf{W}^{(l)}}", n, p),
        "h_prev": sp.MatrixSymbol(r"{\mathbf{h}^{(l-1)}}", p, 1),
        "dW": sp.MatrixSymbol(r"\Delta\mathbf{W}^{(l)}", n, p),
        "db": sp.MatrixSymbol(r"\Delta\mathbf{b}^{(l)}", n, 1),
        "lam": sp.Symbol(r"\lambda", positive=True),
        "y": vec("y", K),
        "t": vec("t", K),
    }


# --------------------------------------------------------------------------- derivation


def output_delta():
    """delta_z^(L) of softmax + cross-entropy for one example, derived for a symbolic K.

    Returns ``(component, steps)``: the j-th component of dJ/dz^(L) after using
    sum_k t_k = 1 (an expression in indexed ``y[j]``, ``t[j]``), and the intermediate SymPy
    expressions of the derivation (for the report).

    Example
    -------
    >>> component, _ = output_delta()
    >>> component
    -t[j] + y[j]
    """
    K = sp.Symbol("K", integer=True, positive=True)
    k, j, i = sp.symbols("k j i", integer=True, positive=True)
    z, t, y = sp.IndexedBase("z"), sp.IndexedBase("t"), sp.IndexedBase("y")
    normaliser = sp.Sum(sp.exp(z[i]), (i, 1, K))
    # ln y_k = z_k - ln sum_i e^{z_i}, printed in that order; SymPy's own expansion must agree.
    log_y = InOrder(z[k], -sp.log(normaliser))
    if plain(log_y) != sp.expand_log(sp.log(sp.exp(z[k]) / normaliser), force=True):
        raise AssertionError(f"ln softmax printed as {log_y} is not SymPy's expansion")
    # J = -sum_k t_k ln y_k, with the k-free factor ln sum_i e^{z_i} taken out of the sum; printed as
    # written and differentiated as printed.
    J = InOrder(-sp.Sum(t[k] * z[k], (k, 1, K)), Product(sp.Sum(t[k], (k, 1, K)), sp.log(normaliser)))
    terms = 4  # the printed J is -sum_k t_k ln y_k: compared term by term for K = 4
    written = -sum(t[n] * plain(log_y).subs(k, n) for n in range(1, terms + 1))
    if sp.expand((plain(J).subs(K, terms).doit() - written.subs(K, terms).doit())) != 0:
        raise AssertionError(f"J printed as {J} is not -sum_k t_k ln y_k")
    dJ = sp.diff(plain(J), z[j]).doit()
    dJ = sp.refine(dJ, sp.Q.ge(j, 1) & sp.Q.le(j, K))  # j is one of the K classes
    one_hot = dJ.subs(sp.Sum(t[k], (k, 1, K)), 1)  # sum_k t_k = 1
    component = one_hot.subs(sp.exp(z[j]) / normaliser, y[j])
    steps = {"log_y": (sp.log(y[k]), log_y), "J": J, "dJ": dJ, "one_hot": one_hot}
    return component, steps


def derive() -> Derivation:
    s = _layer_symbols()
    K = sp.Symbol("K", integer=True, positive=True)
    equations = {
        "p1.delta_z": sp.Eq(s["dz"], sp.HadamardProduct(s["dh"], s["fprime"]), evaluate=False),
        "p1.delta_z_relu": sp.Eq(s["dz"], sp.HadamardProduct(s["dh"], s["relu_mask"]), evaluate=False),
        "p1.delta_h": sp.Eq(s["dh_prev"], s["W"].T * s["dz"], evaluate=False),
        "p1.grad_W": sp.Eq(
            s["dW"], MatInOrder(MinibatchSum(s["dz"] * s["h_prev"].T), 2 * s["lam"] * s["W"], evaluate=False)
        ),
        "p1.grad_b": sp.Eq(s["db"], MinibatchSum(s["dz"]), evaluate=False),
        "p1.delta_output": sp.Eq(
            vec(r"\delta", K, sup="(L)", sub="z"), MatInOrder(s["y"], -s["t"], evaluate=False)
        ),
        "p1.sgd_epoch": sp.Eq(
            sp.Symbol(r"\left.\frac{\mathrm{d}\Theta_{\mathrm{epoch}}(\eta)}{\mathrm{d}\eta}\right|_{\eta=0}"),
            -sp.Symbol(r"\frac{\partial J_{\mathcal{X}}}{\partial\Theta}"),
            evaluate=False,
        ),
        "p1.training_replay": sp.Le(
            sp.Symbol(r"\varepsilon_{\mathrm{rel}}"),
            sp.Symbol("10^{%d}" % round(np.log10(REPLAY_TOLERANCE))),
            evaluate=False,
        ),
        "p1.backprop_fd": sp.Le(
            sp.Symbol(r"\max_{L \le %d}\,\varepsilon_{\mathrm{rel}}" % max(FD_DEPTHS)),
            sp.Symbol("10^{%d}" % round(np.log10(FD_TOLERANCE))),
            evaluate=False,
        ),
    }
    _, steps = output_delta()
    ln = {"ln_notation": True}
    context = {
        "layer_sizes": LAYER_SIZES,
        "log_y": tex(sp.Eq(*steps["log_y"], evaluate=False), **ln),
        "J_one": tex(steps["J"], **ln),
        "dJ": tex(steps["dJ"], **ln),
        "dJ_one_hot": tex(steps["one_hot"], **ln),
        "fd_step_exponent": round(np.log10(FD_STEP)),
        "fd_tolerance": FD_TOLERANCE,
        "fd_depth_max": max(FD_DEPTHS),
        "symbolic_sizes": SYMBOLIC_SIZES,
        "symbolic_m": SYMBOLIC_M,
        "sgd_check": SGD_CHECK,
    }
    context.update(_experiments())
    figures = (
        Figure("p01_mlp", "figures.mlp:network_tikz", {"sizes": LAYER_SIZES}, kind="tikz"),
        Figure("p01_training", "figures.mlp:training", context["training"], width=6.0, height=2.05, ncols=2),
    )
    return Derivation(problem=1, equations=equations, context=context, figures=figures)

