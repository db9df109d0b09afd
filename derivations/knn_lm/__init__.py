"""Problem 11: nearest-neighbour language models (Khandelwal et al. 2020, kNN-LM).

A kNN-LM stores every training context c_i as a key k_i = f(c_i) (the vector the LM feeds its
output layer) with the next word v_i = w_i as its value (Eq. 1).  At test time the k keys nearest
to f(x) give p_kNN(y | x), a softmax over negative squared L2 distances in which neighbours with
the same value add up (Eq. 2), and the model interpolates p = lambda p_kNN + (1 - lambda) p_LM
(Eq. 3).  We train a small neural LM on the docstrings of the Python standard library, compare
its learned keys with the keys of the same network untrained, and measure exact and IVF-PQ search
on a million synthetic keys of the paper's dimension.

Rooms:

* ``method``       -- the public numeric API: :func:`knn_distribution` (Eq. 2) and
  :func:`interpolate` (Eq. 3);
* ``text``         -- the corpus (``data/knn_lm/docstrings.txt.gz``) as word ids;
* ``model``        -- the feed-forward neural LM in NumPy, its keys, its gradient and training;
* ``experiment``   -- the docstring datastore, its exact search (ties broken by id) and the
  perplexity sweeps against lambda and k, for learned and untrained keys;
* ``scale``        -- a million integer keys of dimension 1024: exact search and FAISS IVF-PQ;
* ``quotes``       -- the numbers the text quotes from the paper;
* ``derivation``   -- the printed statements (:func:`statements`), the cost formulas and :func:`derive`;
* ``checks``       -- :func:`verify` and the routes for the LM and Eqs. 2-3; ``checks_scale`` for the
  million-key sweep and the cost formulas; ``checks_ties`` for the tie rule of the searches.
"""

from __future__ import annotations

from derivations.knn_lm.checks import verify
from derivations.knn_lm.derivation import P_KNN, P_LM, P_MIX, derive, statements
from derivations.knn_lm.method import interpolate, knn_distribution

__all__ = ["knn_distribution", "interpolate", "statements", "P_KNN", "P_LM", "P_MIX", "derive", "verify"]
