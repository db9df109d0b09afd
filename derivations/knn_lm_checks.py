"""Problem 11, the independent routes that :func:`derivations.knn_lm.verify` checks against.

Each function recomputes a result of the report without the code that produced it: Eq. 2 by a
loop in high-precision arithmetic, nearest neighbours by NumPy brute force, the codes an IVF
search scans from the sizes of its inverted lists, and the normalisation of Eq. 3 by SymPy.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations.knn_lm import _V, _lam, _y

__all__ = ["_check_knn_loop", "_check_random_cases", "_check_brute_force", "_check_scan_counts",
           "_check_sum_linearity"]


def _check_knn_loop(distances, targets, vocab_size, digits: int = 40):
    """Eq. 2 by a loop over the neighbours in mpmath arithmetic (no vectorisation, no shift)."""
    import mpmath

    with mpmath.workdps(digits):
        weights = [mpmath.exp(-mpmath.mpf(float(x))) for x in distances]
        total = mpmath.fsum(weights)
        p = [mpmath.mpf(0)] * vocab_size
        for w, v in zip(weights, targets):
            p[int(v)] += w
        return np.array([float(x / total) for x in p])


def _check_random_cases(seed: int = 0, cases: int = 200):
    """Random neighbour sets with repeated targets, distances spread from 0 to 60."""
    rng = np.random.default_rng(seed)
    for _ in range(cases):
        k = int(rng.integers(1, 20))
        V = int(rng.integers(1, 12))
        yield rng.uniform(0, 1, k) * rng.choice([0.1, 5.0, 60.0]), rng.integers(0, V, k), V


def _check_brute_force(keys, queries, k, chunk: int = 512):
    """The k-th smallest squared L2 distance per query: NumPy float64 over all pairs."""
    keys = keys.astype(np.float64)
    key_norms = (keys**2).sum(axis=1)
    kth = np.empty(len(queries))
    for start in range(0, len(queries), chunk):
        q = queries[start : start + chunk].astype(np.float64)
        dist = (q**2).sum(axis=1)[:, None] + key_norms[None, :] - 2.0 * q @ keys.T
        kth[start : start + chunk] = np.partition(dist, k - 1, axis=1)[:, k - 1]
    return kth


def _check_scan_counts(index, queries, nprobe):
    """Codes an IVF search must scan: the sizes of the nprobe lists nearest to each query."""
    import faiss

    _, lists = index.quantizer.search(queries, nprobe)
    invlists = index.invlists
    sizes = np.array([invlists.list_size(l) for l in range(index.nlist)])
    index.nprobe = nprobe
    faiss.cvar.indexIVF_stats.reset()
    index.search(queries, 1)
    measured = faiss.cvar.indexIVF_stats.ndis
    return int(sizes[lists[lists >= 0]].sum()), int(measured)


def _check_sum_linearity():
    """sum_y (lam a_y + (1 - lam) b_y) with sum_y a_y = sum_y b_y = 1, by SymPy; returns it minus 1."""
    a, b = sp.IndexedBase(r"p_{\mathrm{kNN}}"), sp.IndexedBase(r"p_{\mathrm{LM}}")
    total = sp.expand(sp.Sum(_lam * a[_y] + (1 - _lam) * b[_y], (_y, 1, _V)))

    def pull(e):
        const, rest = e.function.as_independent(_y, as_Add=False)
        return const * sp.Sum(rest, *e.limits)

    total = total.replace(lambda e: isinstance(e, sp.Sum), pull)
    return sp.expand(total.subs({sp.Sum(a[_y], (_y, 1, _V)): 1, sp.Sum(b[_y], (_y, 1, _V)): 1})) - 1
