"""Problem 11: nearest-neighbour language models (Khandelwal et al. 2020, kNN-LM).

A kNN-LM stores every training context c_i as a key k_i = f(c_i) (the vector the LM feeds its
output layer) with the next word v_i = w_i as its value (Eq. 1).  At test time the k keys nearest
to f(x) give p_kNN(y | x), a softmax over negative squared L2 distances in which neighbours with
the same value add up (Eq. 2), and the model interpolates p = lambda p_kNN + (1 - lambda) p_LM
(Eq. 3).  We state Eqs. 2 and 3, check the implementation against a high-precision loop over
the neighbours, check FAISS's exact search against NumPy, the memory of a FAISS IVF-PQ index
against the formula, the number of codes it scans against its inverted lists, and the
perplexity at lambda = 0 against an independent count-based evaluation of the LM.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from derivations.ledger import Derivation, Figure, numeric_claim, symbolic_claim

__all__ = ["knn_distribution", "interpolate", "derive", "verify"]

MARGIN = 1e-9  # relative margin of a decision on floats (an argmin or argmax the text reports) over round-off


# --------------------------------------------------------------------------- public numeric API


def knn_distribution(distances, targets, vocab_size):
    """p_kNN of Eq. 2 from the k retrieved neighbours.

    Parameters
    ----------
    distances:
        Squared L2 distances d(k_i, f(x)) of the k neighbours, shape (k,) or (batch, k).
    targets:
        Their values v_i (word ids in ``range(vocab_size)``), same shape.
    vocab_size:
        Size of the vocabulary.

    Returns
    -------
    Probabilities of shape (vocab_size,) or (batch, vocab_size):
    p_kNN(y | x) = sum_i 1[y = v_i] exp(-d_i) / sum_i exp(-d_i).  Words no neighbour carries get 0.

    Example
    -------
    >>> knn_distribution([0.0, 0.0, np.log(2.0)], [1, 1, 0], 3).round(3).tolist()
    [0.2, 0.8, 0.0]
    """
    d = np.asarray(distances, dtype=np.float64)
    v = np.asarray(targets)
    if not isinstance(vocab_size, (int, np.integer)) or vocab_size < 1:
        raise ValueError(f"Problem 11 knn_distribution: vocab_size must be a positive integer, not {vocab_size!r}")
    if d.shape != v.shape or d.ndim not in (1, 2) or d.shape[-1] == 0:
        raise ValueError(
            f"Problem 11 knn_distribution: distances {d.shape} and targets {v.shape} must have the same "
            "shape (k,) or (batch, k) with k >= 1"
        )
    if not np.all(np.isfinite(d)) or np.any(d < 0):
        raise ValueError("Problem 11 knn_distribution: distances must be finite squared L2 distances (>= 0)")
    if not np.issubdtype(v.dtype, np.integer) or np.any(v < 0) or np.any(v >= vocab_size):
        raise ValueError(f"Problem 11 knn_distribution: targets must be integer word ids in [0, {vocab_size})")
    single = d.ndim == 1
    d, v = np.atleast_2d(d), np.atleast_2d(v)
    weights = np.exp(-(d - d.min(axis=1, keepdims=True)))  # the common factor cancels in the ratio
    rows = np.arange(d.shape[0])[:, None]
    p = np.bincount((rows * vocab_size + v).ravel(), weights=weights.ravel(), minlength=d.shape[0] * vocab_size)
    p = p.reshape(d.shape[0], vocab_size) / weights.sum(axis=1, keepdims=True)
    return p[0] if single else p


def interpolate(p_knn, p_lm, lam):
    """Eq. 3: p(y | x) = lam p_kNN(y | x) + (1 - lam) p_LM(y | x), for lam in [0, 1].

    ``p_knn`` and ``p_lm`` are distributions over the last axis (same shape).

    >>> interpolate(np.array([1.0, 0.0]), np.array([0.5, 0.5]), 0.25).tolist()
    [0.625, 0.375]
    """
    a = np.asarray(p_knn, dtype=np.float64)
    b = np.asarray(p_lm, dtype=np.float64)
    if a.shape != b.shape or a.ndim == 0:
        raise ValueError(f"Problem 11 interpolate: p_knn {a.shape} and p_lm {b.shape} must have the same shape")
    if np.ndim(lam) != 0 or not 0.0 <= float(lam) <= 1.0:
        raise ValueError(f"Problem 11 interpolate: lam must be a number in [0, 1], not {lam!r}")
    for name, p in (("p_knn", a), ("p_lm", b)):
        if not np.all(np.isfinite(p)) or np.any(p < 0) or np.any(np.abs(p.sum(axis=-1) - 1.0) > 1e-9):
            raise ValueError(f"Problem 11 interpolate: {name} must be probability distributions over the last axis")
    lam = float(lam)
    return lam * a + (1.0 - lam) * b


# --------------------------------------------------------------------------- statements

_y = sp.Symbol("y", integer=True)
_i, _j = sp.symbols("i j", integer=True, positive=True)
_k = sp.Symbol("k", integer=True, positive=True)
_lam = sp.Symbol(r"\lambda")
_V = sp.Symbol(r"|\mathcal{V}|", integer=True, positive=True)
_N, _d, _m, _b = sp.symbols("N d m b", integer=True, positive=True)
_nlist = sp.Symbol(r"n_{\mathrm{list}}", integer=True, positive=True)
_nprobe = sp.Symbol(r"n_{\mathrm{probe}}", integer=True, positive=True)
_y_given_x = sp.Symbol(r"y \mid x")
# Function applications, not symbols: SymPy then prints (1 - lambda) before p_LM, also after pickling.
P_KNN = sp.Function(r"p_{\mathrm{kNN}}")(_y_given_x)
P_LM = sp.Function(r"p_{\mathrm{LM}}")(_y_given_x)
P_MIX = sp.Function(r"\mathit{p}")(_y_given_x)
INDICATOR = sp.Function(r"\mathbf{1}")
_t, _J, _jj = sp.symbols("t J j", integer=True)
_scale, _gamma = sp.Symbol("s", positive=True), sp.Symbol(r"\gamma", positive=True)


class KeyTable(sp.Function):
    """``KeyTable(j, t)``: the row of the random table R_j for the word j places before position t."""

    def _latex(self, printer):
        j, t = self.args
        return r"\mathbf{R}_{%s}[w_{%s-%s}]" % (printer._print(j), printer._print(t), printer._print(j))


COST_SYMBOLS = {"N": _N, "d": _d, "m": _m, "b": _b, "nlist": _nlist, "nprobe": _nprobe}


def statements() -> dict:
    """The results Problem 11 states, as SymPy objects (claim id -> statement)."""
    d, v = sp.IndexedBase("d"), sp.IndexedBase("v")
    eq2 = sp.Sum(INDICATOR(sp.Eq(_y, v[_i])) * sp.exp(-d[_i]), (_i, 1, _k)) / sp.Sum(sp.exp(-d[_j]), (_j, 1, _k))
    mem_ivfpq_per_key = _m * _b / 8 + 8
    return {
        "p11.knn_eq2": sp.Eq(P_KNN, eq2),
        "p11.knn_normalised": sp.Eq(sp.Sum(P_KNN, (_y, 1, _V)), 1),
        "p11.interp_eq3": sp.Eq(P_MIX, _lam * P_KNN + (1 - _lam) * P_LM),
        "p11.interp_normalised": sp.Eq(sp.Sum(P_MIX, (_y, 1, _V)), 1),
        "p11.context_key": sp.Eq(
            sp.Function("f")(sp.Symbol("c_t")),
            _scale * sp.Sum(_gamma**_jj * KeyTable(_jj, _t), (_jj, 0, _J - 1)),
        ),
        "p11.flat_exact": sp.Eq(sp.Symbol(r"\mathrm{recall@}k(\texttt{IndexFlatL2})"), 1),
        "p11.ivf_scan": sp.Eq(
            sp.Symbol(r"n_{\mathrm{codes}}"),
            sp.Symbol(r"\sum_{q} \sum_{l \in \mathcal{P}(q)} |L_l|"),
        ),
        "p11.mem_flat": sp.Eq(sp.Symbol(r"M_{\mathrm{Flat}}"), 4 * _N * _d),
        "p11.mem_ivfpq_per_key": sp.Eq(sp.Symbol(r"\Delta M_{\mathrm{IVFPQ}} / \Delta N"), mem_ivfpq_per_key),
        "p11.mem_ivfpq": sp.Eq(
            sp.Symbol(r"M_{\mathrm{IVFPQ}}"), _N * mem_ivfpq_per_key + 4 * _d * (_nlist + 2**_b)
        ),
        "p11.work_per_query": (
            sp.Eq(sp.Symbol(r"T_{\mathrm{Flat}}"), _N * _d),
            sp.Eq(sp.Symbol(r"T_{\mathrm{IVFPQ}}"), _nlist * _d + 2**_b * _d + _nprobe * _N / _nlist * _m),
        ),
        "p11.ppl_lambda0": sp.Eq(
            sp.Symbol(r"\mathrm{PPL}(\lambda = 0)"), sp.Symbol(r"\mathrm{PPL}_{\mathrm{LM}}")
        ),
    }


def cost_at(eqs: dict, settings: dict) -> dict:
    """Memory (bytes) and per-query work of exact and IVF-PQ search: the printed formulas at ``settings``
    (keys ``N, d, m, b, nlist, nprobe``), and the speed-up T_Flat / T_IVFPQ."""
    subs = {sym: settings[name] for name, sym in COST_SYMBOLS.items()}
    work_flat, work_ivfpq = (st.rhs.subs(subs) for st in eqs["p11.work_per_query"])
    return {
        "mem_flat": int(eqs["p11.mem_flat"].rhs.subs(subs)),
        "mem_ivfpq": int(eqs["p11.mem_ivfpq"].rhs.subs(subs)),
        "work_flat": int(work_flat),
        "work_ivfpq": float(work_ivfpq),
        "speedup": float(work_flat / work_ivfpq),
    }


def _int_tex(n) -> str:
    r"""14256 -> ``14\,256`` (for math mode)."""
    return f"{int(n):,}".replace(",", r"\,")


# --------------------------------------------------------------------------- derivation


PAPER = {"N": 103_000_000, "d": 1024, "m": 64, "b": 8, "nlist": 4096, "nprobe": 32, "k": 1024, "lam": 0.25}


def derive() -> Derivation:
    from derivations.knn_lm_experiment import SETTINGS, knn_target_probs, run, where_it_helps

    res = run(SETTINGS)
    s = res["settings"]
    store = res["store"]
    lambdas = list(s["lambdas"])
    ppl = res["ppl"]
    best = int(np.argmin(ppl[("exact", "valid")]))
    m_ppl = s["ppl_code_bytes"]
    sweep = res["sweeps"][m_ppl]
    probe_at = list(s["nprobes"]).index(s["ppl_nprobe"])
    rows = res["split_rows"]["test"]
    test_targets = store.targets["test"]
    p_target = knn_target_probs(*res["exact"], store.values, res["V"])[rows][np.arange(len(test_targets)), test_targets]
    mem_ivfpq = {m: len(b) for m, b in res["index_bytes"].items()}
    breakdown, example = where_it_helps(res, lambdas[best])
    eqs = statements()
    ours = {"N": res["N"], "d": res["d"], "m": m_ppl, "b": s["nbits"], "nlist": s["nlist"], "nprobe": s["ppl_nprobe"]}
    ours_cost, paper_cost = cost_at(eqs, ours), cost_at(eqs, PAPER)
    context = {
        "ints": {  # integers for the text, thousands separated by a thin space
            "N": _int_tex(res["N"]),
            "train": _int_tex(len(store.streams["train"])),
            "mem_flat": _int_tex(ours_cost["mem_flat"]),
            "mem_ivfpq": _int_tex(mem_ivfpq[m_ppl]),
            "mem_formula": _int_tex(ours_cost["mem_ivfpq"]),
            "scanned_at": _int_tex(round(sweep["scanned"][probe_at])),
            "paper_N": _int_tex(PAPER["N"]),
            "paper_speedup": _int_tex(round(paper_cost["speedup"], -1)),
            "sweep_queries": _int_tex(s["sweep_queries"]),
            "pq_train_points": _int_tex(s["pq_train_points"]),
        },
        "N": res["N"],
        "dim": res["d"],
        "V": res["V"],
        "k": s["k"],
        "window": s["window"],
        "decay": s["decay"],
        "scale": s["scale"],
        "nlist": s["nlist"],
        "nbits": s["nbits"],
        "code_bytes": list(s["code_bytes"]),
        "nprobes": list(s["nprobes"]),
        "ppl_code_bytes": m_ppl,
        "ppl_nprobe": s["ppl_nprobe"],
        "pq_train_points": s["pq_train_points"],
        "pq_iterations": s["pq_iterations"],
        "sweep_queries": s["sweep_queries"],
        "tokens": {x: len(store.streams[x]) for x in ("train", "valid", "test")},
        "queries": {x: len(store.targets[x]) for x in ("valid", "test")},
        "lam_best": lambdas[best],
        "lam_best_text": f"{lambdas[best]:.2f}",
        "miss_percent": 100.0 * float(np.mean(p_target == 0.0)),
        "ppl_base": ppl[("exact", "test")][0],
        "ppl_best": {name: ppl[(name, "test")][best] for name in ("exact", "ivfpq", "ivfpq_rerank")},
        "recall_at": {m: res["sweeps"][m]["recall"][probe_at] for m in s["code_bytes"]},
        "recall_full": {m: res["sweeps"][m]["recall"][list(s["nprobes"]).index(s["nlist"])] for m in s["code_bytes"]},
        "scanned_at": sweep["scanned"][probe_at],
        "mem_flat": ours_cost["mem_flat"],
        "mem_ivfpq": mem_ivfpq,
        "ours": ours,
        "ours_cost": ours_cost,
        "paper": PAPER,
        "paper_cost": paper_cost,
        "paper_gb": {x: paper_cost[x] / 1e9 for x in ("mem_flat", "mem_ivfpq")},
        "paper_speedup": paper_cost["speedup"],
        "breakdown": breakdown,
        "example": example,
        "_run": res,
    }
    figures = (
        Figure(
            "p11_retrieval",
            "figures.knn_lm:retrieval",
            {
                "nprobes": list(s["nprobes"]),
                "nlist": s["nlist"],
                "N": res["N"],
                "k": s["k"],
                "recall": {m: res["sweeps"][m]["recall"] for m in s["code_bytes"]},
                "scanned": sweep["scanned"],
            },
            width=6.2,
            height=2.4,
            ncols=2,
        ),
        Figure(
            "p11_perplexity",
            "figures.knn_lm:perplexity",
            {
                "lambdas": lambdas,
                "curves": {name: ppl[(name, "test")] for name in ("exact", "ivfpq", "ivfpq_rerank")},
                "valid": ppl[("exact", "valid")],
                "lam_best": lambdas[best],
                "labels": {
                    "exact": "exact search (IndexFlatL2)",
                    "ivfpq": f"IVF-PQ, {m_ppl} B codes, nprobe {s['ppl_nprobe']}",
                    "ivfpq_rerank": "IVF-PQ, distances recomputed",
                },
            },
            width=6.2,
            height=2.5,
        ),
    )
    return Derivation(problem=11, equations=eqs, context=context, figures=figures)


# --------------------------------------------------------------------------- verification

def verify(derivation: Derivation):
    import faiss

    from derivations.knn_lm_checks import (
        _check_brute_force,
        _check_datastore,
        _check_knn_loop,
        _check_probed_sizes,
        _check_recall,
        _check_random_cases,
        _check_fact_words,
        _check_sum_linearity,
        _check_text_numbers,
        _printed_eq2,
        _printed_eq3,
        _printed_vocab_sum,
    )
    from derivations.knn_lm_corpus import CheckCounterLM
    from derivations.knn_lm_experiment import EXAMPLE_WORDS, held_out_queries, knn_probs

    faiss.omp_set_num_threads(1)
    eq = derivation.equations
    ctx = derivation.context
    res = ctx["_run"]
    s, store = res["settings"], res["store"]
    V, k, N, d = res["V"], s["k"], res["N"], res["d"]
    queries = held_out_queries(store)
    p_knn_all = knn_probs(res, queries)  # the three searches' p_kNN, from their stored neighbours
    claims = []

    # Eq. 2 against a high-precision loop: the printed statement and the implementation on random
    # cases, the implementation on every 7th held-out query and on the text's example.
    worst_eq2, worst_sum = 0.0, 0.0
    exact_d, exact_i = res["exact"]
    printed_eq2 = _printed_eq2(eq["p11.knn_eq2"])
    cases = list(_check_random_cases())
    for dist, targets, vocab in cases:
        want = _check_knn_loop(dist, targets, vocab)
        for p in (knn_distribution(dist, targets, vocab), printed_eq2(dist, targets, vocab)):
            worst_eq2 = max(worst_eq2, float(np.max(np.abs(p - want))))
    test_rows = np.arange(len(exact_d))[res["split_rows"]["test"]]
    ex = ctx["example"]
    queries_eq2 = list(range(0, len(exact_d), 7)) + [int(test_rows[ex["query"]])]
    for q in queries_eq2:
        want = _check_knn_loop(exact_d[q], store.values[exact_i[q]], V)
        worst_eq2 = max(worst_eq2, float(np.max(np.abs(knn_distribution(exact_d[q], store.values[exact_i[q]], V) - want))))
    test_targets = store.targets["test"]
    t_ex = ex["query"]
    want_ex = _check_knn_loop(exact_d[test_rows[t_ex]], store.values[exact_i[test_rows[t_ex]]], V)[test_targets[t_ex]]
    worst_eq2 = max(worst_eq2, abs(ex["p_knn"] - want_ex), 0.0 if store.vocab[test_targets[t_ex]] == ex["target"] else np.inf)
    # the share of test words that no neighbour carries (the text's reason for keeping the LM)
    carried = [int(test_targets[t]) in set(store.values[exact_i[r]].tolist()) for t, r in enumerate(test_rows)]
    miss_err = abs(ctx["miss_percent"] - 100.0 * carried.count(False) / len(carried))
    claims.append(numeric_claim(
        "p11.knn_eq2", eq["p11.knn_eq2"], max(worst_eq2, miss_err), 1e-12,
        method="printed statement (lambdified) and implementation vs a loop over neighbours in 40-digit "
        "mpmath: 200 random cases; implementation also on every 7th held-out query and the text's example; "
        "share of test words carried by no neighbour counted by set membership",
        reproduce="seed 0, k in [1, 20), V in [1, 12)",
    ))
    for p in p_knn_all.values():
        total = _printed_vocab_sum(eq["p11.knn_normalised"], P_KNN, p, V)
        worst_sum = max(worst_sum, float(np.max(np.abs(total - float(eq["p11.knn_normalised"].rhs)))))
    for dist, targets, vocab in cases:
        total = _printed_vocab_sum(eq["p11.knn_normalised"], P_KNN, knn_distribution(dist, targets, vocab)[None], vocab)
        worst_sum = max(worst_sum, float(np.max(np.abs(total - float(eq["p11.knn_normalised"].rhs)))))
    claims.append(numeric_claim(
        "p11.knn_normalised", eq["p11.knn_normalised"], worst_sum, 1e-12,
        method="the printed sum over the vocabulary of p_kNN, for every held-out query (3 searches) and "
        "the 200 random cases",
    ))

    # Eq. 3 against the same mixture evaluated in log space: the implementation and the printed
    # statement; the text's example and the fact-word perplexities recombine to the overall one.
    worst_eq3 = 0.0
    printed_eq3 = _printed_eq3(eq["p11.interp_eq3"])
    p_knn_exact = p_knn_all["exact"]
    p_lm = np.concatenate([store.p_lm["valid"], store.p_lm["test"]])
    with np.errstate(divide="ignore"):
        log_knn, log_lm = np.log(p_knn_exact), np.log(p_lm)
        for lam in s["lambdas"]:
            ref = np.exp(np.logaddexp(np.log(lam) + log_knn, np.log1p(-lam) + log_lm))
            for got in (interpolate(p_knn_exact, p_lm, lam), printed_eq3(lam, p_knn_exact, p_lm)):
                worst_eq3 = max(worst_eq3, float(np.max(np.abs(got - ref))))
    lam_best = ctx["lam_best"]
    worst_eq3 = max(worst_eq3, abs(ex["p_mix"] - printed_eq3(lam_best, ex["p_knn"], ex["p_lm"])))
    br = ctx["breakdown"]
    n_ex = br["attribute"]["count"] + br["other"]["count"]
    ppl_best = res["ppl"][("exact", "test")][list(s["lambdas"]).index(lam_best)]
    log_mix = (br["attribute"]["count"] * math.log(br["attribute"]["mix"]) + br["other"]["count"] * math.log(br["other"]["mix"])) / n_ex
    worst_eq3 = max(worst_eq3, abs(log_mix - math.log(ppl_best)), 0.0 if n_ex == len(test_targets) else np.inf)
    # the example is the fact word whose probability the mixture raises most
    fact_words = _check_fact_words()
    rows = np.arange(len(test_targets))
    lm_t = store.p_lm["test"][rows, test_targets]
    with np.errstate(invalid="ignore", divide="ignore"):  # a wrong mixture may leave [0, 1]
        gain = np.log(printed_eq3(lam_best, p_knn_exact[res["split_rows"]["test"]][rows, test_targets], lm_t) / lm_t)
    is_fact = np.array([store.vocab[w] in fact_words for w in test_targets])
    # Decisions on floats, each with a margin far above round-off (1e-9 relative): the example's
    # gain beats every fact word's with another value (equal values come from the same context and
    # word, and np.argmax takes the first), and lambda's validation perplexity beats the next best.
    g = gain[ex["query"]]
    rivals = gain[is_fact & (gain != g)]
    decided = is_fact[ex["query"]] and g == gain[is_fact].max() and (not len(rivals) or g - rivals.max() >= MARGIN * abs(g))
    valid = np.array(res["ppl"][("exact", "valid")])
    chosen = list(s["lambdas"]).index(lam_best)
    decided = decided and chosen == int(np.argmin(valid)) and np.delete(valid, chosen).min() - valid[chosen] >= MARGIN * valid[chosen]
    if not decided:
        worst_eq3 = np.inf
    claims.append(numeric_claim(
        "p11.interp_eq3", eq["p11.interp_eq3"], worst_eq3, 1e-12,
        method="implementation and printed statement vs logaddexp(log lam + log p_kNN, log(1 - lam) + log p_LM), "
        "all held-out queries, 21 values of lam; the text's example (and that it is the fact word with the "
        "largest gain, and lam the validation optimum, each by a relative margin of 1e-9); fact-word and other-word perplexities recombined (count-weighted log mean) to the "
        "test perplexity",
    ))
    claims.append(symbolic_claim(
        "p11.interp_normalised", eq["p11.interp_normalised"], _check_sum_linearity(eq),
        method="SymPy: printed Eq. 3 summed over the printed range, split by linearity, the printed "
        "normalisation of p_kNN and that of p_LM substituted",
    ))

    # Every key is the printed f of its context (evaluated by lambdify on the seeded tables), every
    # value the word that followed it (Eq. 1); the held-out queries are f of their contexts too.
    key_err, values_ok = _check_datastore(eq["p11.context_key"], store, s)
    claims.append(numeric_claim(
        "p11.context_key", eq["p11.context_key"], key_err if values_ok else np.inf, 1.0,
        method="printed f evaluated on the seeded tables at every training and held-out position vs the "
        "float32 keys and queries, error in units of float32 rounding; values against the next word of "
        "the training text",
    ))

    # FAISS exact search against NumPy brute force (ties resolved by distance).
    kth = _check_brute_force(store.keys, queries, k)
    recall = _check_recall(store.keys, queries, exact_i, kth)
    # Each index, deserialised: the recall and codes scanned of the figure and the text (every
    # search of the sweep) re-measured from the ids it returned against this brute force, and from
    # the sizes of the lists the coarse quantizer ranks nearest; memory against the formulas; the
    # work formula term by term against the arrays of the built index.
    sample, sweep_err, worst_scan = res["sweep_sample"], 0.0, 0.0
    probes = (s["nprobes"][0], s["ppl_nprobe"], s["nlist"])  # 1, the text's value, all lists
    worst_slope, worst_mem, worst_work = 0.0, 0.0, 0.0
    work_flat, work_ivfpq = eq["p11.work_per_query"]
    for m, blob in res["index_bytes"].items():
        index = faiss.deserialize_index(blob)
        sizes = np.array([index.invlists.list_size(l) for l in range(index.nlist)])
        expected = _check_probed_sizes(index, queries[sample], s["nprobes"])
        for j, ids in enumerate(res["sweep_ids"][m]):
            found = ids.shape == (len(sample), k)  # a search of k neighbours for every query
            again = _check_recall(store.keys, queries[sample], ids, kth[sample]) if found else np.inf
            codes = abs(expected[j] / len(sample) - res["sweeps"][m]["scanned"][j])
            sweep_err = max(sweep_err, abs(again - res["sweeps"][m]["recall"][j]), codes)
            worst_scan = max(worst_scan, codes)
        for nprobe in probes:
            at = {_N: N, _d: d, _m: m, _b: s["nbits"], _nlist: s["nlist"], _nprobe: nprobe}
            # coarse centroids x d, the PQ tables (every sub-centroid coordinate once), m look-ups
            # per code in nprobe lists of the mean size
            counted = (index.quantizer.ntotal * index.quantizer.d + faiss.vector_to_array(index.pq.centroids).size
                       + nprobe * sizes.mean() * index.pq.M)
            worst_work = max(worst_work, abs(float(work_ivfpq.rhs.subs(at)) - counted) / counted)
        half = faiss.deserialize_index(blob)
        half.reset()
        half.add(store.keys[: N // 2])
        slope = (len(blob) - len(faiss.serialize_index(half))) / (N - N // 2)
        subs = {_N: N, _d: d, _m: m, _b: s["nbits"], _nlist: s["nlist"]}
        worst_slope = max(worst_slope, abs(slope - float(eq["p11.mem_ivfpq_per_key"].rhs.subs(subs))))
        metadata_bound = 8 * s["nlist"] + 1024  # list sizes and the scalar fields of the header
        worst_mem = max(worst_mem, abs(len(blob) - int(eq["p11.mem_ivfpq"].rhs.subs(subs))) / metadata_bound)
    claims.append(numeric_claim(
        "p11.flat_exact", eq["p11.flat_exact"], max(abs(float(eq["p11.flat_exact"].rhs) - recall), sweep_err), 0.0,
        method=f"NumPy float64 brute force over all N = {N} keys, {len(queries)} queries, k = {k}; the "
        "IVF-PQ recall and codes scanned of the sweep (every code size and nprobe) re-measured from the "
        "returned ids against it and from the list sizes",
    ))
    claims.append(numeric_claim(
        "p11.ivf_scan", eq["p11.ivf_scan"], worst_scan, 0,
        method="FAISS indexIVF_stats.ndis of every search of the sweep against the sizes of the nprobe "
        "lists the coarse quantizer ranks nearest",
        reproduce=f"the sweep's {len(sample)} queries, nprobe {', '.join(map(str, s['nprobes']))}, all code sizes",
    ))
    mismatch = _check_text_numbers(ctx, eq)
    flat = faiss.IndexFlatL2(d)
    empty = len(faiss.serialize_index(flat))
    flat.add(store.keys)
    mem_flat_err = abs(len(faiss.serialize_index(flat)) - empty - int(eq["p11.mem_flat"].rhs.subs({_N: N, _d: d})))
    claims.append(numeric_claim(
        "p11.mem_flat", eq["p11.mem_flat"], mem_flat_err if not mismatch["p11.mem_flat"] else np.inf, 0,
        method="serialised IndexFlatL2 with N keys minus the empty index; the text's byte counts are the formula's",
        detail="; ".join(mismatch["p11.mem_flat"]),
    ))
    claims.append(numeric_claim(
        "p11.mem_ivfpq_per_key", eq["p11.mem_ivfpq_per_key"], worst_slope, 0,
        method="serialised IndexIVFPQ with N and N/2 keys, all code sizes",
    ))
    claims.append(numeric_claim(
        "p11.mem_ivfpq", eq["p11.mem_ivfpq"], worst_mem if not mismatch["p11.mem_ivfpq"] else np.inf, 1.0,
        method="serialised IndexIVFPQ size minus formula, over the metadata bound 8 n_list + 1024 bytes; "
        "the text's byte counts are the formula's",
        detail="; ".join(mismatch["p11.mem_ivfpq"]),
    ))
    worst_work = max(worst_work, abs(float(work_flat.rhs.subs({_N: N, _d: d})) - flat.ntotal * flat.d) / (flat.ntotal * flat.d))
    claims.append(numeric_claim(
        "p11.work_per_query", eq["p11.work_per_query"], worst_work if not mismatch["p11.work_per_query"] else np.inf, 1e-12,
        method="each term counted from the built indexes (keys x d; coarse centroids x d, PQ centroid "
        "coordinates, nprobe x mean list size x m look-ups), all code sizes, nprobe 1, 8, n_list; "
        "the text's speed-up is the formulas' ratio",
        detail="; ".join(mismatch["p11.work_per_query"]),
    ))

    # Perplexity at lambda = 0 against the LM evaluated word by word from Counters; the same LM gives
    # the text's example probability and the LM-alone perplexities of fact words and other words.
    lm = CheckCounterLM(store.streams["train"], V)
    test = store.streams["test"]
    logp = [math.log(lm.prob(test[t - 1], test[t], test[t + 1])) for t in range(1, len(test) - 1)]
    ppl_lm = math.exp(-math.fsum(logp) / len(logp))
    ppl0 = res["ppl"][("exact", "test")][0]
    words = ex["context"].split()
    # the context shown is the EXAMPLE_WORDS words of the test text right before the target
    end = ex["query"] + 2  # query t predicts word t + 2 of the test text from words up to t + 1
    shown_ok = len(words) == EXAMPLE_WORDS and list(test[end - len(words) : end]) == words and test[end] == ex["target"]
    err = max(abs(ppl0 - ppl_lm) / ppl_lm, abs(ctx["ppl_base"] - ppl_lm) / ppl_lm,
              abs(ex["p_lm"] - lm.prob(words[-2], words[-1], ex["target"])) / ex["p_lm"], 0.0 if shown_ok else np.inf)
    for name, keep in (("attribute", lambda w: w in fact_words), ("other", lambda w: w not in fact_words)):
        group = [lp for t, lp in zip(range(2, len(test)), logp) if keep(test[t])]
        ppl_group = math.exp(-math.fsum(group) / len(group))
        err = max(err, abs(br[name]["lm"] - ppl_group) / ppl_group, 0.0 if br[name]["count"] == len(group) else np.inf)
    claims.append(numeric_claim(
        "p11.ppl_lambda0", eq["p11.ppl_lambda0"], err, 1e-12,
        method="trigram LM re-evaluated word by word from Python Counters on the test text; also the "
        "text's example probability and the LM-alone perplexities of fact words and of the other words",
    ))
    return claims

