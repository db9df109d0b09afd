"""Problem 11, the independent routes that :func:`derivations.knn_lm.verify` checks against.

Each function recomputes a result of the report without the code that produced it: Eq. 2 by a
loop in high-precision arithmetic, nearest neighbours by NumPy brute force, the codes an IVF
search scans from the sizes of its inverted lists, and the normalisation of Eq. 3 by SymPy.
The ``_printed_*`` helpers turn the statements the report prints into functions on concrete
numbers, so that the checks exercise the printed formulas themselves.
"""

from __future__ import annotations

import json
import math

import numpy as np
import sympy as sp

from derivations.knn_lm import (
    COST_SYMBOLS, INDICATOR, P_KNN, P_LM, P_MIX, _J, _V, _gamma, _int_tex, _k, _lam, _scale, _t, _y,
)
from derivations.knn_lm_corpus import KEY_SEED, WORLD
from derivations.numerics import one_blas_thread

__all__ = ["_check_knn_loop", "_check_random_cases", "_check_brute_force",
           "_check_sum_linearity", "_check_text_numbers", "_check_fact_words", "_printed_eq2", "_printed_eq3", "_printed_vocab_sum", "_check_datastore",
           "_check_probed_sizes", "_check_recall"]


def _printed_eq2(statement):
    """The printed Eq. 2 as a function (distances, targets, V) -> p over word ids 0..V-1.

    The indicator becomes a Piecewise and the sums Python loops (SymPy's lambdify), evaluated in
    40-digit mpmath; the IndexedBases ``d`` and ``v`` are read 1-based, as printed.  The loops
    evaluate the same exponentials for every word y; each distinct argument is computed once
    (per call) and reused.
    """
    import mpmath

    rhs = statement.rhs.replace(lambda e: getattr(e, "func", None) == INDICATOR,
                                lambda e: sp.Piecewise((1, e.args[0]), (0, True)))
    d, v = sp.IndexedBase("d"), sp.IndexedBase("v")
    known = {}  # argument -> mpmath.exp(argument), at the working precision of one call

    def exp(x):
        if x not in known:
            known[x] = mpmath.exp(x)
        return known[x]

    f = sp.lambdify((_y, _k, d, v), rhs, modules=[{"exp": exp}, "mpmath"])

    def p(distances, targets, vocab_size):
        dist = [None] + [mpmath.mpf(float(x)) for x in distances]
        vals = [None] + [int(t) for t in targets]
        known.clear()
        with mpmath.workdps(40):
            return np.array([float(f(y, len(distances), dist, vals)) for y in range(vocab_size)])

    return p


def _printed_eq3(statement):
    """The printed Eq. 3 as a NumPy function (lam, p_kNN, p_LM) -> p."""
    a, b = sp.Dummy("a"), sp.Dummy("b")
    return sp.lambdify((_lam, a, b), statement.rhs.subs({P_KNN: a, P_LM: b}), modules="numpy")


def _printed_vocab_sum(statement, summand, p, vocab_size):
    """The printed sum over y = lo..hi (with |V| = vocab_size) of rows of ``p``, word y in column y - 1.

    Returns NaN when the printed summand is not ``summand``.
    """
    total = statement.lhs
    if not isinstance(total, sp.Sum) or total.function != summand:
        return np.full(len(p), np.nan)
    (_, lo, hi), = total.limits
    lo, hi = int(lo), int(sp.sympify(hi).subs(_V, vocab_size))
    return np.asarray(p)[:, lo - 1 : hi].sum(axis=1) if lo >= 1 else np.full(len(p), np.nan)


def _check_knn_loop(distances, targets, vocab_size, digits: int = 40):
    """Eq. 2 by a loop over the neighbours in mpmath arithmetic (no vectorisation, no shift)."""
    import mpmath

    with mpmath.workdps(digits):
        weights = [mpmath.exp(-mpmath.mpf(float(x))) for x in distances]
        total = mpmath.fsum(weights)
        mass = {}  # word -> summed weight; a word no neighbour carries has probability 0
        for w, v in zip(weights, targets):
            mass[int(v)] = mass.get(int(v), mpmath.mpf(0)) + w
        p = np.zeros(vocab_size)
        for v, w in mass.items():
            p[v] = float(w / total)
        return p


def _check_random_cases(seed: int = 0, cases: int = 200):
    """Random neighbour sets with repeated targets, distances spread from 0 to 60."""
    rng = np.random.default_rng(seed)
    for _ in range(cases):
        k = int(rng.integers(1, 20))
        V = int(rng.integers(1, 12))
        yield rng.uniform(0, 1, k) * rng.choice([0.1, 5.0, 60.0]), rng.integers(0, V, k), V


def _check_brute_force(keys, queries, k, chunk: int = 64):
    """The k-th smallest squared L2 distance per query: NumPy float64 over all pairs.

    |q|^2 + |k|^2 - 2 q.k, a block of ``chunk`` queries at a time in two reused buffers, with
    NumPy's BLAS on one thread (the build runs problems in parallel, one per core).
    """
    with one_blas_thread():
        return _brute_force_kth(keys, queries, k, chunk)


def _brute_force_kth(keys, queries, k, chunk):
    keys = keys.astype(np.float64)
    key_norms = (keys**2).sum(axis=1)
    keys_t = np.ascontiguousarray(keys.T)
    queries = queries.astype(np.float64)
    query_norms = (queries**2).sum(axis=1)
    kth = np.empty(len(queries))
    cross, dist = np.empty((2, min(chunk, len(queries)), len(keys)))
    for start in range(0, len(queries), chunk):
        q = queries[start : start + chunk]
        n = len(q)
        two_qk = np.matmul(q, keys_t, out=cross[:n])
        two_qk *= 2.0
        block = np.add.outer(query_norms[start : start + n], key_norms, out=dist[:n])
        block -= two_qk
        block.partition(k - 1, axis=1)
        kth[start : start + n] = block[:, k - 1]
    return kth


def _check_recall(keys, queries, ids, kth) -> float:
    """Recall@k of returned ``ids`` (Q, k), recomputed apart from the experiment's code: a returned
    key counts when its float64 squared distance exceeds the true k-th distance ``kth`` (from
    :func:`_check_brute_force`) by no more than the stated tie slack; an id of -1 never counts."""
    from derivations.knn_lm_experiment import TIE_SLACK, TIE_SLACK_FLOOR

    ids = np.asarray(ids)
    vectors = keys.astype(np.float64)[np.maximum(ids, 0)]  # (Q, k, d)
    dist = np.square(vectors - queries.astype(np.float64)[:, None, :]).sum(axis=2)
    excess = dist - kth[:, None]
    return float(np.count_nonzero((ids >= 0) & (excess <= TIE_SLACK * (TIE_SLACK_FLOOR + kth[:, None]))) / ids.size)


def _check_probed_sizes(index, queries, nprobes) -> list:
    """For each nprobe, the summed sizes of the nprobe inverted lists nearest to each query: the
    first nprobe lists of the coarse quantizer's ranking of all lists."""
    _, ranked = index.quantizer.search(queries, index.nlist)
    sizes = np.array([index.invlists.list_size(l) for l in range(index.nlist)])
    return [int(sizes[ranked[:, :nprobe]].sum()) for nprobe in nprobes]


def _check_sum_linearity(eqs: dict):
    """The printed sum of the printed mixture minus the printed right side, by SymPy (0 if it holds).

    Eq. 3 is substituted into the printed normalisation, the sums are split by linearity, and the
    sums of p_kNN and p_LM are replaced by 1: p_kNN's by its printed normalisation, p_LM's because
    the LM is a distribution over the same range.
    """
    a, b = sp.IndexedBase(r"p_{\mathrm{kNN}}"), sp.IndexedBase(r"p_{\mathrm{LM}}")
    st = eqs["p11.interp_normalised"]
    total = st.lhs.xreplace({P_MIX: eqs["p11.interp_eq3"].rhs}).xreplace({P_KNN: a[_y], P_LM: b[_y]})
    total = sp.expand(total.func(sp.expand(total.function), *total.limits))

    def split(e):
        terms = sp.Add.make_args(e.function)
        return sp.Add(*[c * sp.Sum(r, *e.limits) for c, r in (t.as_independent(_y, as_Add=False) for t in terms)])

    total = sp.expand(total.replace(lambda e: isinstance(e, sp.Sum), split))
    knn_norm = eqs["p11.knn_normalised"]
    facts = {knn_norm.lhs.xreplace({P_KNN: a[_y]}): knn_norm.rhs, sp.Sum(b[_y], (_y, 1, _V)): 1}
    return sp.simplify(total.subs(facts) - st.rhs)


def _check_text_numbers(ctx: dict, eq: dict) -> dict:
    """Claim id -> the numbers of the text that differ from the printed formulas at their settings.

    Each formula is the printed statement's right side with the settings substituted (not the
    derivation's own helper), so a slip between the formulas and the text is caught.
    """
    def at(statement, settings):
        return statement.rhs.subs({sym: settings[name] for name, sym in COST_SYMBOLS.items()})

    ours, paper = ctx["ours"], ctx["paper"]
    flat, ivf = eq["p11.work_per_query"]
    speedup = float(at(flat, paper) / at(ivf, paper))
    bad = {"p11.mem_flat": [], "p11.mem_ivfpq": [], "p11.work_per_query": []}
    for key, shown, want in (
        ("p11.mem_flat", ctx["mem_flat"], int(at(eq["p11.mem_flat"], ours))),
        ("p11.mem_flat", ctx["ints"]["mem_flat"], _int_tex(at(eq["p11.mem_flat"], ours))),
        ("p11.mem_flat", ctx["paper_gb"]["mem_flat"], float(at(eq["p11.mem_flat"], paper)) / 1e9),
        ("p11.mem_ivfpq", ctx["ints"]["mem_formula"], _int_tex(at(eq["p11.mem_ivfpq"], ours))),
        ("p11.mem_ivfpq", ctx["paper_gb"]["mem_ivfpq"], float(at(eq["p11.mem_ivfpq"], paper)) / 1e9),
        ("p11.work_per_query", ctx["paper_speedup"], speedup),
        ("p11.work_per_query", ctx["ints"]["paper_speedup"], _int_tex(round(speedup, -1))),
    ):
        same = shown == want if isinstance(want, str) else math.isclose(shown, want, rel_tol=1e-15)
        if not same or ours["N"] != ctx["N"]:
            bad[key].append(f"the text shows {shown}, the printed formula gives {want}")
    return bad


def _check_fact_words() -> set:
    """The attribute words (cities, trades, foods, instruments) of the invented world, read afresh."""
    world = json.loads(WORLD.read_text())
    return {w for key in ("city", "job", "food", "instrument") for w in world[key]}


def _check_datastore(statement, store, settings) -> tuple[float, bool]:
    """Keys and queries against the printed f; values against the next word of the training text.

    Position t of a text of T words (t = 1..T-2, 0-based, every word with a word before and after
    it) gives the context ending at word t; words before the start contribute nothing.  Returns the
    worst key error in units of float32 rounding and whether every value is the next word.
    """
    index = {w: i for i, w in enumerate(store.vocab)}
    window, dim = settings["window"], settings["dim"]
    tables = np.random.default_rng(KEY_SEED).standard_normal((window, len(store.vocab), dim)) / np.sqrt(dim)
    ids = np.zeros(0, dtype=np.int64)  # the word ids of the text being checked

    def row(j, t):
        """R_j[w_{t-j}] for every position t (an array): zero before the start of the text."""
        if np.ndim(j) != 0 or not 0 <= j < window:  # a table the representation does not have
            return np.full((len(t), dim), np.nan)
        back = np.asarray(t) - j
        out = tables[j, ids[np.maximum(back, 0)]]
        out[back < 0] = 0.0
        return out

    # one function for all texts; each position's key is computed with the same float operations
    # as a position-by-position evaluation (the sum runs over j, element-wise over t)
    f = sp.lambdify((_t, _scale, _gamma, _J), statement.rhs, modules=[{"KeyTable": row}, "numpy"])
    worst, values_ok = 0.0, False
    for split, keys in (("train", store.keys), ("valid", store.queries["valid"]), ("test", store.queries["test"])):
        words = [index[w] for w in store.streams[split]]
        ids = np.array(words, dtype=np.int64)
        positions = np.arange(1, len(ids) - 1)
        if len(keys) != len(positions):
            return np.inf, False
        want = np.broadcast_to(f(positions, settings["scale"], settings["decay"], window), keys.shape)
        # one float32 rounding of each entry, plus the float64 error of a J-term sum (both routes)
        bound = np.finfo(np.float32).eps / 2 * np.abs(want) + 2 * window * np.finfo(float).eps * np.abs(want).max()
        err = float(np.max(np.abs(keys - want) / bound))
        worst = max(worst, err) if np.isfinite(err) else np.inf
        if split == "train":
            values_ok = store.values.tolist() == words[2:]
    return worst, values_ok
