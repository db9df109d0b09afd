"""Problem 10: the feedforward sublayer as attention (Sukhbaatar et al. 2019, Section 4).

The question: what is the key idea of "Augmenting self-attention with persistent memory", and how
does Section 4 turn the feedforward sublayer into an attention layer?  Writing the matrix-vector
products of FF(x) = U ReLU(V x + b) + c column by column gives
FF(x) = sum_i ReLU(x^T k_i + b_i) v_i + c with the keys k_i the rows of V and the values v_i the
columns of U: attention over d_f fixed key-value pairs, with ReLU in place of softmax and no
context.  The all-attention layer therefore drops the FF sublayer and concatenates N learned
*persistent* key and value vectors per head to the keys and values computed from the context,
with one softmax over both.

Checks: the two forms of FF agree exactly for small symbolic sizes (any elementwise nonlinearity)
and to round-off for random sizes, the sum form being evaluated from the printed expression; the
vectorised all-attention layer agrees with the printed per-position equations and with an
independent loop implementation that uses separate softmaxes for context and memory (the
split-softmax identity); the parameter counts are compared with the arrays the models allocate.

Rooms:

* ``derivation`` -- the symbols, the printed statements and parameter counts, :func:`derive`;
  the matrix notation (:class:`ScalarTimes`, :class:`IndexedSum`, shapes, interpreter) comes
  from :mod:`derivations.display`;
* ``method``     -- the NumPy models: :func:`feedforward`, :func:`all_attention`;
* ``checks``     -- :func:`verify`, the round-off bound :func:`gamma` and the independent loop
  model :func:`all_attention_loops` (two separate softmaxes).
"""

from __future__ import annotations

from derivations.persistent_memory.checks import all_attention_loops, gamma, verify
from derivations.persistent_memory.derivation import H, N, attention_symbols, d, d_f, d_h, derive, ff_symbols
from derivations.persistent_memory.method import all_attention, feedforward, init_all_attention, init_ff

__all__ = [
    "feedforward",
    "init_ff",
    "init_all_attention",
    "all_attention",
    "all_attention_loops",
    "ff_symbols",
    "attention_symbols",
    "gamma",
    "d",
    "d_f",
    "d_h",
    "H",
    "N",
    "derive",
    "verify",
]
