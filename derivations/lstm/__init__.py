"""Problem 4: the LSTM with a forget gate, its BPTT gradients, and why its gradients last.

The cell (Gers et al. 2000; Hochreiter & Schmidhuber 1997 had no forget gate), one sequence
x^(1..tau) with one-hot targets t^(1..tau), h^(0) = c^(0) = 0, for each gate * in {f, i, o}:

    z_*^(t) = W_* x^(t) + U_* h^(t-1) + b_*,   *^(t) = sigmoid(z_*^(t)),
    z_g^(t) = W_g x^(t) + U_g h^(t-1) + b_g,   g^(t) = tanh(z_g^(t)),
    c^(t) = f^(t) * c^(t-1) + i^(t) * g^(t),   h^(t) = o^(t) * tanh(c^(t)),
    y^(t) = softmax(V h^(t) + c),

and the loss (assignment Eq. 5) J = -sum_t t^(t)T ln y^(t).  Two name clashes with Eq. 4: the
output bias keeps its name ``c`` (no time index) while the cell state c^(t) always has one; the
output gate is o^(t), so the output layer's pre-activation (``o`` in Eq. 4, Problem 2's o^(t)) is
renamed a^(t) = V h^(t) + c (the *logits* in code), with error delta_a = y^(t) - t^(t); the gates'
errors are named by their pre-activations, delta_{z_f}, ..., delta_{z_o}, so that no delta means
two things across Problems 2 and 4.

Rooms (Problem 2's RNN comes from :mod:`derivations.rnn`):

* :mod:`derivations.lstm.method` -- the numeric API (:func:`forward`, :func:`loss`,
  :func:`gradients`, :func:`bptt`), whose forward core also runs on symbolic entries;
* :mod:`derivations.lstm.derivation` -- the derived statements, each printed in the report from
  the SymPy object built there, the parameter table, the cell's figure data, :func:`derive`;
* :mod:`derivations.lstm.experiment` -- part (iii)'s seeded runs: how far back the last step's
  gradient reaches in the RNN and the LSTM;
* :mod:`derivations.lstm.checks` -- :func:`verify`: every statement against SymEngine on a tiny
  symbolic LSTM, the gradients against central differences, the parameter count against the
  arrays, the cell Jacobians, the experiment's numbers by complex-step derivatives.
"""

from derivations.lstm.checks import finite_difference_error, verify
from derivations.lstm.derivation import D_, H_, K_, TAU, T_SYM, derive, statements
from derivations.lstm.experiment import REACH, gradient_reach, reach_data
from derivations.lstm.method import GATES, PARAM_SHAPES, bptt, forward, gradients, init_params, loss, parameter_count

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
    "statements",
    "REACH",
    "reach_data",
    "gradient_reach",
    "finite_difference_error",
    "D_",
    "H_",
    "K_",
    "TAU",
    "T_SYM",
]
