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

__all__ = ["_check_knn_loop", "_check_random_cases", "_check_brute_force", "_check_scan_counts",
           "_check_sum_linearity", "_check_text_numbers", "_check_fact_words", "_printed_eq2", "_printed_eq3", "_printed_vocab_sum", "_check_datastore",
           "_check_probed_sizes"]


def _printed_eq2(statement):
    """The printed Eq. 2 as a function (distances, targets, V) -> p over word ids 0..V-1.

    The indicator becomes a Piecewise and the sums Python loops (SymPy's lambdify), evaluated in
    40-digit mpmath; the IndexedBases ``d`` and ``v`` are read 1-based, as printed.
    """
    import mpmath

    rhs = statement.rhs.replace(lambda e: getattr(e, "func", None) == INDICATOR,
                                lambda e: sp.Piecewise((1, e.args[0]), (0, True)))
    d, v = sp.IndexedBase("d"), sp.IndexedBase("v")
    f = sp.lambdify((_y, _k, d, v), rhs, modules="mpmath")

    def p(distances, targets, vocab_size):
        dist = [None] + [mpmath.mpf(float(x)) for x in distances]
        vals = [None] + [int(t) for t in targets]
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

    index.nprobe = nprobe
    faiss.cvar.indexIVF_stats.reset()
    index.search(queries, 1)
    measured = faiss.cvar.indexIVF_stats.ndis
    return _check_probed_sizes(index, queries, nprobe), int(measured)


def _check_probed_sizes(index, queries, nprobe) -> int:
    """The summed sizes of the nprobe inverted lists nearest to each query (the coarse quantizer's)."""
    _, lists = index.quantizer.search(queries, nprobe)
    sizes = np.array([index.invlists.list_size(l) for l in range(index.nlist)])
    return int(sizes[lists[lists >= 0]].sum())


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
    worst = 0.0
    for split, keys in (("train", store.keys), ("valid", store.queries["valid"]), ("test", store.queries["test"])):
        ids = [index[w] for w in store.streams[split]]

        def row(j, t):
            if not 0 <= j < window:  # a table the representation does not have
                return np.full(dim, np.nan)
            return tables[j, ids[t - j]] if t - j >= 0 else np.zeros(dim)

        f = sp.lambdify((_t, _scale, _gamma, _J), statement.rhs, modules=[{"KeyTable": row}, "numpy"])
        positions = range(1, len(ids) - 1)
        if len(keys) != len(positions):
            return np.inf, False
        want = np.array([f(t, settings["scale"], settings["decay"], window) for t in positions])
        # one float32 rounding of each entry, plus the float64 error of a J-term sum (both routes)
        bound = np.finfo(np.float32).eps / 2 * np.abs(want) + 2 * window * np.finfo(float).eps * np.abs(want).max()
        err = float(np.max(np.abs(keys - want) / bound))
        worst = max(worst, err) if np.isfinite(err) else np.inf
        if split == "train":
            values_ok = store.values.tolist() == ids[2:]
    return worst, values_ok
