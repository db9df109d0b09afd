"""Problems 5 and 6: what L2 and L1 penalties do to the minimum of a quadratic loss.

Deep Learning book Sec. 7.1 approximates the unregularised loss J near its minimum w* by
J^(w) = J(w*) + 1/2 (w - w*)^T H (w - w*) and asks where the penalised minimum moves:

* Problem 5 (L2, alpha/2 ||w||^2): w~ = (H + alpha I)^-1 H w* = Q (Lambda + alpha I)^-1 Lambda Q^T w*,
  each eigen-direction of H scaled by lambda_i / (lambda_i + alpha)
  (:mod:`derivations.regularization.derivation`);
* Problem 6 (L1, alpha ||w||_1, diagonal H): w_i = sign(w*_i) max(|w*_i| - alpha/H_ii, 0),
  exactly zero when |w*_i| <= alpha/H_ii (:mod:`derivations.regularization.derivation_l1`).

This package is the registry's entry point (``derive_l2``/``verify_l2``, ``derive_l1``/``verify_l1``)
and the public numeric API (``ridge_solution``, ``soft_threshold``, ``l2_shrink_diagonal``).

Rooms (the two problems share one package; each room that would pass 600 lines with both is
split into its L2 part, Problem 5, and an ``_l1`` part, Problem 6):

* ``method.py``: the numeric closed forms ``ridge_solution``, ``soft_threshold``, ``l2_shrink_diagonal``;
* ``derivation.py``: Problem 5's SymPy derivation and ``derive_l2`` (also ``ALPHA``, shared with Problem 6);
* ``derivation_l1.py``: Problem 6's SymPy derivation and ``derive_l1``;
* ``checks.py``: ``verify_l2`` and its independent routes, and the exact evaluation of a printed
  statement on explicit matrices that Problem 6's checks use too;
* ``checks_l1.py``: ``verify_l1`` and its independent routes (golden-section search, scikit-learn's Lasso).

The book's order of terms (``H + alpha I``, ``max(., 0)``) is printed by the wrappers of
:mod:`derivations.display` (``MatInOrder``, ``InOrder``, ``Product``, ``MaxOf``, ``Sign``, ``Bracket``).

Example
-------
>>> import numpy as np
>>> soft_threshold(np.array([0.4, -2.0]), np.array([2.0, 1.0]), 1.0)
array([ 0., -1.])

References
----------
Goodfellow, Bengio, Courville, *Deep Learning*, MIT Press 2016, Eqs. 7.2-7.13 and 7.19-7.23.
"""

from derivations.regularization.checks import verify_l2
from derivations.regularization.checks_l1 import verify_l1
from derivations.regularization.derivation import derive_l2
from derivations.regularization.derivation_l1 import derive_l1
from derivations.regularization.method import l2_shrink_diagonal, ridge_solution, soft_threshold

__all__ = [
    "derive_l2",
    "verify_l2",
    "derive_l1",
    "verify_l1",
    "ridge_solution",
    "soft_threshold",
    "l2_shrink_diagonal",
]
