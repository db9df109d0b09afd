"""Central finite differences: the independent numeric route for every gradient in the report.

    (f(a + h e_k) - f(a - h e_k)) / (2h)

for every entry k of every array, perturbed in place and restored.  Truncation error is
O(h^2) and round-off O(eps |f| / h); h = 1e-6 keeps both near 1e-10 relative in float64
(Problem 1 draws this trade-off).

Also :func:`one_blas_thread`, which the checks with many small linear-algebra calls run under.
"""

from __future__ import annotations

import contextlib

import numpy as np

__all__ = ["central_differences", "FD_STEP", "one_blas_thread"]

FD_STEP = 1e-6


def _one(f, A: np.ndarray, step: float) -> np.ndarray:
    G = np.zeros_like(A)
    for idx in np.ndindex(A.shape):
        old = A[idx]
        A[idx] = old + step
        f_plus = f()
        A[idx] = old - step
        f_minus = f()
        A[idx] = old
        G[idx] = (f_plus - f_minus) / (2 * step)
    return G


def central_differences(f, arrays, step: float = FD_STEP):
    """Gradient of the scalar ``f()`` with respect to each array, which ``f`` reads.

    ``arrays`` is a list of arrays (a list of gradients is returned) or a dict of arrays (a dict
    with the same keys is returned).  The arrays are perturbed in place and restored exactly.
    """
    if isinstance(arrays, dict):
        return {key: _one(f, A, step) for key, A in arrays.items()}
    return [_one(f, A, step) for A in arrays]


@contextlib.contextmanager
def one_blas_thread():
    """NumPy's and SciPy's BLAS on one thread inside the block (or the decorated function).

    ``build.py`` already starts its workers with one BLAS thread; this keeps the problems that make
    many small solves (L-BFGS-B, least squares, blocked distances) from oversubscribing the cores
    when they run elsewhere, e.g. under pytest: OpenBLAS threads waiting for work spin, and cost
    small solves up to ten times their CPU.  The results are the same; the limits are restored.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield
