"""Problem 14: logical neural networks (Riegel et al., 2020).

The question: summarise the paper and propose LNN applications in NLP and computer vision.  An
LNN is a graph of neurons, one per formula and per atom of a logical theory; each carries truth
bounds [L, U] within [0, 1].  Connectives are weighted Lukasiewicz activations (the official
IBM/LNN code):

    AND(x; w, beta) = max(0, min(1, beta - sum_i w_i (1 - x_i)))
    OR(x; w, beta)  = max(0, min(1, 1 - beta + sum_i w_i x_i))
    x -> y          = OR((1 - x, y); (w_x, w_y), beta),      NOT x = 1 - x.

Inference alternates an *upward* pass (a formula's bounds from its operands' bounds, using
monotonicity) and a *downward* pass (an operand's bounds from the formula's and the other
operands' bounds: modus ponens and tollens generalised), intersecting bounds, until nothing
changes.  Unknown atoms start at [0, 1] (open world); L > U signals a contradiction, whose sum
of excesses is the contradiction loss.

The rooms:

- :mod:`derivations.lnn.method`: an executable LNN core, the activations, the upward and
  downward bound rules, and a small :class:`LNN` graph with ``infer``.
- :mod:`derivations.lnn.experiment`: the worked examples, the Smokers-and-Friends knowledge
  base and the NLP and vision theories (dyadic, every connective the alpha-admissible neuron
  w = (2, 2), beta = 7/4) and ``run``, which gives the rows of the printed tables.
- :mod:`derivations.lnn.learning`: grounded rules with learned neurons: closed-form inference on
  query atoms, the task and contradiction losses, their gradient, and projected gradient descent
  onto the alpha constraints.
- :mod:`derivations.lnn.proposals`: the two proposals, executable: generated data (seeded),
  training, and the misread counts against the neural model alone.
- :mod:`derivations.lnn.derivation`: the printed statements (SymPy), ``derive`` and the LaTeX
  context and figure.
- :mod:`derivations.lnn.checks`: ``verify``, each statement by enumeration and brute force
  over every consistent grid assignment; :mod:`derivations.lnn.checks_learning`: the
  constraints in rational arithmetic, the gradient by finite differences, and the proposals'
  counts recounted by grounded LNNs.
"""

from derivations.lnn.checks import verify
from derivations.lnn.derivation import derive
from derivations.lnn.learning import project_neuron, train
from derivations.lnn.method import (
    LNN,
    and_downward,
    and_upward,
    or_downward,
    or_upward,
    weighted_and,
    weighted_implies,
    weighted_or,
)

__all__ = [
    "weighted_and",
    "weighted_or",
    "weighted_implies",
    "and_upward",
    "or_upward",
    "and_downward",
    "or_downward",
    "LNN",
    "derive",
    "verify",
    "project_neuron",
    "train",
]
