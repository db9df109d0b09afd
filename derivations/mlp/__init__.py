"""Problem 1: backpropagation for an L-layer MLP.

The network (assignment Eq. 1): h^(0) = x, z^(l) = W^(l) h^(l-1) + b^(l), h^(l) = f^(l)(z^(l)),
y = softmax(z^(L)).  The loss (Eq. 2) is J = -sum_{(x,t) in D} t^T ln y + lambda ||Theta||^2,
summed over the minibatch D, with Theta the weights only (no biases, no factor 1/2).  We state
(i) delta_z = delta_h (.) f'(z), for ReLU delta_h (.) 1[z > 0]; (ii) delta_h^(l-1) = W^(l)T delta_z^(l);
(iii) Delta W^(l) = sum_D delta_z^(l) h^(l-1)T + 2 lambda W^(l), Delta b^(l) = sum_D delta_z^(l);
(iv) delta_z^(L) = y - t, derived by SymPy for a symbolic number of classes K; and (v) the
minibatch-SGD algorithm, implemented by :func:`gradients` and :func:`sgd`.

Rooms:

* :mod:`derivations.mlp.method` -- the numeric MLP: :func:`loss`, :func:`gradients` and
  :func:`sgd` (Algorithm 1, its lines cited in comments), random networks;
* :mod:`derivations.mlp.derivation` -- the printed statements (i)-(v), :func:`output_delta`
  (with the steps of (iv) as printed), :func:`derive`;
* :mod:`derivations.mlp.experiment` -- the seeded runs: SGD on spiral data (the figure), the
  error of central differences against their step (the appendix's note on the checks' step);
* :mod:`derivations.mlp.checks` -- :func:`verify`: the statements against SymEngine's and SymPy's
  derivatives of J on a symbolic network (exact), the gradients against central differences,
  an SGD epoch against a full-batch step, the training run against an independent replay.
"""

from derivations.mlp.checks import verify
from derivations.mlp.derivation import FD_TOLERANCE, REPLAY_TOLERANCE, derive, output_delta
from derivations.mlp.experiment import LAYER_SIZES
from derivations.mlp.method import gradients, loss, random_network, sgd

__all__ = [
    "loss",
    "gradients",
    "sgd",
    "random_network",
    "derive",
    "verify",
    "output_delta",
    "LAYER_SIZES",
    "FD_TOLERANCE",
    "REPLAY_TOLERANCE",
]
