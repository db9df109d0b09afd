"""Problem 11, the derivation: the statements of the kNN-LM (Khandelwal et al. 2020) and the report's numbers.

Eqs. 2 and 3 and their normalisation, the context key f(c_t) of the experiment, the exactness of
``IndexFlatL2``, the codes an IVF search scans, the memory and per-query work of exact and IVF-PQ
search, and the perplexity at lambda = 0, as SymPy statements keyed by claim id
(:func:`statements`); :func:`derive` runs the experiment and fills the template's context and
figures from it.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations.display import KeyTable
from derivations.knn_lm.experiment import SETTINGS, knn_target_probs, run, where_it_helps
from derivations.ledger import Derivation, Figure

__all__ = ["P_KNN", "P_LM", "P_MIX", "INDICATOR", "COST_SYMBOLS", "PAPER", "statements", "cost_at",
           "derive"]

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

