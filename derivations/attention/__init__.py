"""Problem 9: the input-feeding decoder of Luong, Pham and Manning (2015).

The question: what is input feeding, with the decoder's full formal equations in Luong et al.'s
notation and the general score h_t^T W_a hbar_s, and what does it buy?  The decoder is a stack of
L LSTM layers; its first layer reads [E y_{t-1}; htilde_{t-1}], the embedding of the previous
target word *and the previous attentional hidden state*.  The top state h_t scores every source
state, the alignment a_t is a softmax of the scores, the context is c_t = Hbar a_t, the
attentional hidden state is htilde_t = tanh(W_c [c_t; h_t]) and p(y_t | y_<t, x) =
softmax(W_s htilde_t).

The equations are SymPy matrix expressions with symbolic shapes, printed and interpreted through
the matrix toolkit of :mod:`derivations.display` (:class:`Elementwise`, :func:`checked_shape`,
:func:`evaluate`, :func:`sized`, re-exported here).  SymPy checks only integer shapes, so :func:`checked_shape`
walks every expression and proves that each product, sum, concatenation and equation is
conformable for all sizes.  :func:`evaluate` interprets the very expressions the report prints
on NumPy arrays; :func:`verify` runs that interpreter through T
decoding steps and compares every intermediate quantity with :func:`decode`, a batched NumPy
decoder written independently (rows, einsum, another memory layout).

References: Luong et al. 2015, Eqs. 5-7 and Section 3.3; Bahdanau et al. 2014.

Rooms:

* ``derivation``  -- the symbols, the printed equations, the shape table and parameter count,
  :func:`derive`;
* ``method``      -- the batched NumPy decoder: :func:`lstm_step`, :func:`attention_step`,
  :func:`decode`;
* ``experiment``  -- the seeded decoders and part (ii)'s measured dependence on the source;
* ``checks``      -- :func:`verify`: the printed equations interpreted against the decoder.
"""

from __future__ import annotations

from derivations.attention.checks import verify
from derivations.attention.derivation import L, S, V, d, decoder_equations, decoder_symbols, derive, n
from derivations.attention.method import attention_step, decode, init_params, lstm_step, sigmoid, softmax
from derivations.display import Elementwise, ShapeMismatch, checked_shape, evaluate, sized

__all__ = [
    "Elementwise",
    "ShapeMismatch",
    "checked_shape",
    "evaluate",
    "sized",
    "softmax",
    "sigmoid",
    "init_params",
    "lstm_step",
    "attention_step",
    "decode",
    "decoder_symbols",
    "decoder_equations",
    "d",
    "n",
    "S",
    "V",
    "L",
    "derive",
    "verify",
]
