"""Problem 2: backpropagation through time (BPTT) for the assignment's RNN.

The network (assignment Eq. 4), one sequence x^(1..tau) with one-hot targets t^(1..tau):

    z^(t) = W x^(t) + U h^(t-1) + b,   h^(t) = tanh(z^(t)),   h^(0) = 0,
    o^(t) = V h^(t) + c,               y^(t) = softmax(o^(t)),

and the loss (Eq. 5) J = -sum_t t^(t)T ln y^(t).  W multiplies the input and U the previous
state (the Deep Learning book swaps the two names).  The gradients are derived with Problem 1's
general rules and checked twice: exactly, against SymEngine differentiating J of a tiny unrolled RNN
with symbolic entries, and numerically, against central finite differences on random sizes.

Public numeric API (NumPy, float64): :func:`forward`, :func:`loss`, :func:`gradients`,
:func:`step_jacobians`, :func:`hidden_jacobians`.  Problems 3 and 4 use the RNN and its notation
through this package only.

Rooms:

* :mod:`derivations.rnn.method` -- the numeric RNN: forward pass, loss, BPTT gradients, Jacobians,
  random parameters and problems;
* :mod:`derivations.rnn.derivation` -- the notation (t, tau, h^(t), delta^(t), ...) and
  :func:`derive`, the BPTT statements;
* :mod:`derivations.rnn.checks` -- :func:`verify`: the statements against SymEngine on a symbolic
  unrolled RNN, the gradients against central differences;
* :mod:`derivations.rnn.quotes` -- what the text quotes from the Deep Learning book (Eq. 10.21).
"""

from derivations.numerics import central_differences
from derivations.rnn.checks import finite_difference_check, symbolic_check, unrolled_rnn, verify
from derivations.rnn.derivation import (
    FD_TRIALS,
    GRAD,
    ONES,
    U_T,
    V_T,
    delta_h,
    delta_o,
    delta_z,
    derive,
    h,
    hT,
    t,
    tau,
    x,
    xT,
    y,
)
from derivations.rnn.method import (
    bptt_gradients,
    forward,
    gradients,
    hidden_jacobians,
    init_params,
    loss,
    random_problem,
    step_jacobians,
)

__all__ = [
    "forward",
    "loss",
    "gradients",
    "bptt_gradients",
    "step_jacobians",
    "hidden_jacobians",
    "init_params",
    "random_problem",
    "derive",
    "verify",
    "unrolled_rnn",
    "symbolic_check",
    "finite_difference_check",
    "central_differences",
    "FD_TRIALS",
    # the notation, shared with Problems 3 and 4
    "t",
    "tau",
    "x",
    "xT",
    "h",
    "hT",
    "y",
    "delta_o",
    "delta_h",
    "delta_z",
    "U_T",
    "V_T",
    "ONES",
    "GRAD",
]
