"""Problem 8's notation, as LaTeX-named symbols, and Proposition 1's printed statement.

The derivation prints the statement; the training run (:mod:`derivations.gan.experiment`)
computes the D*_G it draws from this very object.  Both use it, so it lives below both and the
imports run one way (notation <- experiment <- derivation).
"""

from __future__ import annotations

import sympy as sp

__all__ = ["P_DATA", "P_G", "D_STAR", "C_G", "JSD", "LOG4", "M_BATCH", "LOG_D_X", "LOG_1M_D_GZ", "SIGMA_A",
           "optimal_discriminator_statement"]

P_DATA = sp.Symbol(r"p_{\mathrm{data}}(\mathbf{x})")
P_G = sp.Symbol(r"p_{g}(\mathbf{x})")
D_STAR = sp.Symbol(r"D^{*}_{G}(\mathbf{x})")
C_G = sp.Symbol(r"C(G)")
JSD = sp.Symbol(r"\operatorname{JSD}\bigl(p_{\mathrm{data}}\,\|\,p_{g}\bigr)")
LOG4 = sp.Symbol(r"\log 4")  # printed as in the paper (SymPy would print \log{\left(4 \right)})
M_BATCH = sp.Symbol("m", integer=True, positive=True)  # minibatch size
LOG_D_X = sp.Symbol(r"\log D(\mathbf{x}^{(i)})")  # per-sample terms of the minibatch objectives
LOG_1M_D_GZ = sp.Symbol(r"\log\bigl(1-D(G(\mathbf{z}^{(i)}))\bigr)")
SIGMA_A = sp.Symbol(r"\sigma(a)")  # D as the sigmoid of its logit a


def optimal_discriminator_statement():
    """Proposition 1 as printed; the training run's D*_G is computed from this very object."""
    return sp.Eq(D_STAR, P_DATA / (P_DATA + P_G))
