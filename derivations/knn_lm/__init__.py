"""Problem 11: nearest-neighbour language models (Khandelwal et al. 2020, kNN-LM).

A kNN-LM stores every training context c_i as a key k_i = f(c_i) (the vector the LM feeds its
output layer) with the next word v_i = w_i as its value (Eq. 1).  At test time the k keys nearest
to f(x) give p_kNN(y | x), a softmax over negative squared L2 distances in which neighbours with
the same value add up (Eq. 2), and the model interpolates p = lambda p_kNN + (1 - lambda) p_LM
(Eq. 3).  We state Eqs. 2 and 3, check the implementation against a high-precision loop over
the neighbours, check FAISS's exact search against NumPy, the memory of a FAISS IVF-PQ index
against the formula, the number of codes it scans against its inverted lists, and the
perplexity at lambda = 0 against an independent count-based evaluation of the LM.

Rooms:

* ``method``     -- the public numeric API: :func:`knn_distribution` (Eq. 2) and
  :func:`interpolate` (Eq. 3);
* ``corpus``     -- the seeded corpus from ``data/knn_lm/world.json``, the trigram LM and the
  context keys f(c_t) (a room of its own: the experiment would pass 600 lines with it);
* ``experiment`` -- the datastore searched exactly (``IndexFlatL2``, ties broken by id) and with
  FAISS IVF-PQ: the probe and perplexity sweeps the report shows;
* ``derivation`` -- the printed statements (:func:`statements`), the cost formulas and
  :func:`derive`;
* ``checks``     -- :func:`verify` and the independent routes (high-precision loops, NumPy brute
  force, inverted-list sizes, SymPy, a Counter-based LM).
"""

from __future__ import annotations

from derivations.knn_lm.checks import verify
from derivations.knn_lm.derivation import P_KNN, P_LM, P_MIX, derive, statements
from derivations.knn_lm.method import interpolate, knn_distribution

__all__ = ["knn_distribution", "interpolate", "statements", "P_KNN", "P_LM", "P_MIX", "derive", "verify"]
