"""Problem 3: vanishing and exploding gradients, read off the BPTT of Problem 2.

Unrolling Problem 2's recurrence for delta_h shows that the error reaching step k from the loss
at a later step t is multiplied by the Jacobian dh^(t)/dh^(k), a product of t - k factors
diag(1 - h^(j) (.) h^(j)) U.  Its spectral norm is at most (gamma sigma_max(U))^(t-k) with
gamma = max |tanh'| = 1: sigma_max(U) < 1/gamma makes the long-range terms vanish
geometrically, and sigma_max(U) > 1/gamma is necessary for them to explode
(Pascanu et al., ICML 2013, Section 2.1, who state both with the largest singular value; the spectral
radius, which their linear case uses, decides only the limit t - k -> infinity).

Checks: the Jacobian formulas exactly (SymPy's ``jacobian`` of the unrolled map), the unrolled
gradients by central finite differences, the bound on seeded runs of the implemented RNN with
sigma_max(U) below, at and above 1, and a non-normal U with spectral radius < 1 whose
Jacobians grow, measured by finite differences.  The remedy the text states as a result, Pascanu et
al.'s gradient clipping, is a claim too: the printed rule and ``clip_gradient`` against what clipping
means (norm min(||g||, theta), direction of g).

Rooms (Problem 2's RNN and notation come from :mod:`derivations.rnn`):

* :mod:`derivations.vanishing.method` -- Jacobian norms of the implemented RNN, gradient clipping;
* :mod:`derivations.vanishing.experiment` -- the seeded runs: sigma_max(U) below, at and above 1,
  and the non-normal counterexample;
* :mod:`derivations.vanishing.derivation` -- the statements and :func:`derive`;
* :mod:`derivations.vanishing.checks` -- :func:`verify` and its independent routes (the
  state-injected loop, central differences, SymPy's ``jacobian``, the meaning of clipping).
"""

from derivations.rnn import t
from derivations.vanishing.checks import CLIP_RUN, SYMBOLIC_RUN, jacobian_by_differences, states_from, verify
from derivations.vanishing.derivation import CLIPPED, GAMMA, GHAT, GNORM, SIGMA, THETA, U, derive, j, k
from derivations.vanishing.method import clip_gradient, jacobian_norms

__all__ = [
    "derive",
    "verify",
    "states_from",
    "jacobian_by_differences",
    "jacobian_norms",
    "clip_gradient",
    "SYMBOLIC_RUN",
    "CLIP_RUN",
    # the notation of the statements (t from Problem 2)
    "t",
    "k",
    "j",
    "U",
    "GAMMA",
    "SIGMA",
    "GHAT",
    "THETA",
    "GNORM",
    "CLIPPED",
]
