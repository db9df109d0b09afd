"""Problem 3's derivation: the Jacobian dh^(t)/dh^(k) as a product of steps, the unrolled delta_h and
dJ/dU, the singular-value bound and the eigenvalue counterexample, in Problem 2's notation; and
Pascanu et al.'s gradient-clipping rule, the remedy the text states."""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations import rnn
from derivations.display import Gap, Scaled
from derivations.ledger import Derivation, Figure
from derivations.rnn import ONES, V_T, delta_h, delta_o, h, hT, t, tau
from derivations.seqnotation import Diag, Had, Jac, JacT, Norm2, Plus, const
from derivations.vanishing.experiment import COUNTER_RUN, NORM_RUN, _counterexample, _norm_experiment
from derivations.vanishing.quotes import QUOTES

__all__ = ["derive", "k", "j", "U", "GAMMA", "SIGMA", "STEP", "GHAT", "THETA", "GNORM", "CLIPPED", "clipping_rule"]

k, j = sp.symbols("k j", integer=True, positive=True)
U = const(r"\mathbf{U}")
GAMMA = sp.Symbol(r"\gamma")
SIGMA = sp.Symbol(r"\sigma_{\max}(\mathbf{U})")
STEP = Diag(Plus(ONES, -Had(h(j), h(j)))) * U  # dh^(j)/dh^(j-1)

# Gradient clipping (Pascanu et al. 2013, Algorithm 1), in the template's notation: the gradient of all
# parameters, the threshold, the gradient's Euclidean norm (a symbol of its own, as the rule prints it)
GHAT = sp.Symbol(r"\hat{\mathbf{g}}")
THETA = sp.Symbol(r"\theta", positive=True)
GNORM = sp.Symbol(r"\lVert\hat{\mathbf{g}}\rVert", nonnegative=True)
CLIPPED = sp.Symbol(r"\operatorname{clip}_{\theta}(\hat{\mathbf{g}})")


def clipping_rule():
    """clip(g) = theta/||g|| g if ||g|| >= theta, else g (Scaled prints theta/||g|| in front of g)."""
    return sp.Eq(CLIPPED, sp.Piecewise((Scaled(THETA, GNORM, GHAT), sp.Ge(GNORM, THETA)), (GHAT, True)),
                 evaluate=False)


def derive() -> Derivation:
    runs = _norm_experiment()
    counter = _counterexample()
    eq = {
        "p3.step_jacobian": sp.Eq(Jac(j, j - 1), STEP, evaluate=False),
        "p3.jacobian_product": sp.Eq(Jac(t, k), sp.Product(STEP, (j, k + 1, t)), evaluate=False),
        "p3.delta_unrolled": sp.Eq(delta_h(k), sp.Sum(JacT(t, k) * V_T * delta_o(t), (t, k, tau)), evaluate=False),
        "p3.gradU_terms": sp.Eq(
            rnn.GRAD["U"],
            # Plus(...) keeps SymPy from merging the two sums into one with a double index
            sp.Sum(Plus(sp.Sum(Diag(Plus(ONES, -Had(h(k), h(k)))) * JacT(t, k) * V_T * delta_o(t) * hT(k - 1),
                               (k, 1, t))), (t, 1, tau)),
            evaluate=False,
        ),
        "p3.norm_bound": sp.Le(Norm2(Jac(t, k)), sp.Pow(GAMMA * SIGMA, Gap(t, k)), evaluate=False),
        "p3.eigen_counterexample": sp.Gt(Norm2(Jac(tau, tau - counter["n_star"])), 100, evaluate=False),
        "p3.clipping": clipping_rule(),
    }
    sig_data = [{"sigma": r["sigma"], "norms": r["norms"]} for r in runs]
    counter_data = {k_: counter[k_] for k_ in ("norms", "rho", "sigma_max", "n_star")}
    figures = (
        Figure("p03_jacobian_norms", "figures.vanishing:norms_and_counterexample",
               {"runs": sig_data, "counter": counter_data}, width=6.2, height=2.45, ncols=2),
    )
    context = {
        "norm_run": NORM_RUN,
        "sigmas": [r["sigma"] for r in runs],
        "runs": runs,
        "counter": counter,
        "counter_run": COUNTER_RUN,
        "rho_pow_nstar": counter["rho"] ** counter["n_star"],
        "decay_rows": [{"sigma": f'{r["sigma"]:g}', "measured": float(np.exp(np.mean(np.log(r["norms"][:, -1])))),
                        "bound": r["sigma_max"] ** NORM_RUN["tau"]} for r in runs],
    }
    return Derivation(problem=3, equations=eq, context=context, figures=figures, quotes=QUOTES)
