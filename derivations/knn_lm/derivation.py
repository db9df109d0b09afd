"""Problem 11, the derivation: the statements of the kNN-LM (Khandelwal et al. 2020) and the report's numbers.

Eqs. 2 and 3 and their normalisation, the LM whose hidden state is the key, the exactness of the
searches, the codes an IVF search scans, the memory and per-query work of exact and IVF-PQ
search, as SymPy statements keyed by claim id (:func:`statements`); :func:`derive` runs the two
experiments (the docstring kNN-LM, the million-key retrieval sweep) and fills the template's
context and figures from them.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations.knn_lm.experiment import KEY_KINDS, SETTINGS, run
from derivations.knn_lm.quotes import QUOTES
from derivations.knn_lm.scale import SCALE, run_scale
from derivations.ledger import Derivation, Figure

__all__ = ["P_KNN", "P_LM", "P_MIX", "INDICATOR", "COST_SYMBOLS", "PAPER", "statements", "cost_at",
           "best_lambda", "derive"]

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
# The LM: noncommutative symbols print W x_t in order; the checks evaluate them as matrices.
_W, _x, _U = sp.symbols(r"\mathbf{W} \mathbf{x}_{t} \mathbf{U}", commutative=False)
_bvec, _cvec = sp.symbols(r"\mathbf{b} \mathbf{c}", commutative=False)
_h = sp.Symbol(r"f(c_t)", commutative=False)
SOFTMAX = sp.Function(r"\operatorname{softmax}")
_e_y = sp.Symbol(r"\mathbf{e}_{y}", commutative=False)
_p_vec = sp.Symbol(r"\mathbf{p}_{\mathrm{LM}}", commutative=False)
_z = sp.Symbol(r"\mathbf{z}_{t}", commutative=False)
_J = sp.Symbol(r"\partial J / \partial \mathbf{z}_{t}")
_ppl = {kind: sp.Symbol(r"\mathrm{PPL}_{\mathrm{%s}}" % kind) for kind in KEY_KINDS}
_lam_hat = sp.Symbol(r"\hat{\lambda}")
_maxdist = sp.Symbol(r"\max \lVert \mathbf{q} - \mathbf{k} \rVert^2")

COST_SYMBOLS = {"N": _N, "d": _d, "m": _m, "b": _b, "nlist": _nlist, "nprobe": _nprobe}


def statements(lam_hat=0.4) -> dict:
    """The results Problem 11 states, as SymPy objects (claim id -> statement)."""
    d, v = sp.IndexedBase("d"), sp.IndexedBase("v")
    eq2 = sp.Sum(INDICATOR(sp.Eq(_y, v[_i])) * sp.exp(-d[_i]), (_i, 1, _k)) / sp.Sum(sp.exp(-d[_j]), (_j, 1, _k))
    mem_ivfpq_per_key = _m * _b / 8 + 8
    return {
        "p11.knn_eq2": sp.Eq(P_KNN, eq2),
        "p11.knn_normalised": sp.Eq(sp.Sum(P_KNN, (_y, 1, _V)), 1),
        "p11.interp_eq3": sp.Eq(P_MIX, _lam * P_KNN + (1 - _lam) * P_LM),
        "p11.interp_normalised": sp.Eq(sp.Sum(P_MIX, (_y, 1, _V)), 1),
        "p11.context_key": sp.Eq(_h, sp.tanh(_W * _x + _bvec)),
        "p11.lm_output": sp.Eq(_p_vec, SOFTMAX(_U * _h + _cvec)),
        "p11.lm_gradient": sp.Eq(_J, _p_vec - _e_y),
        "p11.ppl_lambda0": sp.Eq(sp.Symbol(r"\mathrm{PPL}(\lambda = 0)"), sp.Symbol(r"\mathrm{PPL}_{\mathrm{LM}}")),
        "p11.lambda_best": sp.Eq(_lam_hat, sp.Float(lam_hat, 3)),
        "p11.learned_keys": sp.Lt(_ppl["learned"], _ppl["untrained"]),
        "p11.flat_exact": sp.Eq(sp.Symbol(r"\mathrm{recall@}k(\texttt{IndexFlatL2})"), 1),
        "p11.integer_exact": sp.Lt(_maxdist, sp.Pow(2, 24, evaluate=False)),
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


def best_lambda(curve, lambdas) -> float:
    """The grid value of lambda with the lowest validation perplexity (the first on a tie)."""
    return float(lambdas[int(np.argmin(curve))])


def _int_tex(n) -> str:
    r"""14256 -> ``14\,256`` (for math mode)."""
    return f"{int(n):,}".replace(",", r"\,")


# --------------------------------------------------------------------------- derivation


PAPER = {"N": 103_000_000, "d": 1024, "m": 64, "b": 8, "nlist": 4096, "nprobe": 32, "k": 1024, "lam": 0.25}


def derive() -> Derivation:
    res, big = run(SETTINGS), run_scale(SCALE)
    s, sc = res["settings"], big["settings"]
    lambdas = list(s["lambdas"])
    lam_hat = {kind: best_lambda(res["ppl"][(kind, "valid")], lambdas) for kind in KEY_KINDS}
    at = {kind: lambdas.index(lam_hat[kind]) for kind in KEY_KINDS}
    ppl_test = {kind: res["ppl"][(kind, "test")][at[kind]] for kind in KEY_KINDS}
    eqs = statements(lambdas[at["learned"]])
    # perplexity against k, each kind of key at its own lambda-hat
    by_k = {kind: [res["ppl_k"][(kind, "test", k)][at[kind]] for k in s["ks"]] for kind in KEY_KINDS}
    qk = sc["queries"] * sc["k"]
    recall = {m: [h / qk for h in big["sweep"][m]["hits"]] for m in sc["subquantizers"]}
    ceiling = [n / qk for n in big["in_probed"]]
    scanned = [n / sc["queries"] for n in big["sweep"][sc["subquantizers"][0]]["ndis"]]
    code_bytes = {m: m * sc["nbits"] // 8 for m in sc["subquantizers"]}
    ours = {"N": sc["N"], "d": sc["d"], "m": max(sc["subquantizers"]), "b": sc["nbits"], "nlist": sc["nlist"],
            "nprobe": max(sc["nprobes"])}
    ours_cost, paper_cost = cost_at(eqs, ours), cost_at(eqs, PAPER)
    mem_ivfpq = {m: len(blob) for m, blob in big["index_blobs"].items()}
    context = {
        "ints": {
            "train": _int_tex(res["tokens"]["train"]),
            "valid": _int_tex(res["tokens"]["valid"]),
            "test": _int_tex(res["tokens"]["test"]),
            "N": _int_tex(res["N"]),
            "scale_N": _int_tex(sc["N"]),
            "queries": _int_tex(s["queries"]),
            "train_positions": _int_tex(s["train_positions"]),
            "mem_flat": _int_tex(ours_cost["mem_flat"]),
            "mem_ivfpq": {m: _int_tex(b) for m, b in mem_ivfpq.items()},
            "mem_formula": _int_tex(ours_cost["mem_ivfpq"]),
            "paper_N": _int_tex(PAPER["N"]),
            "paper_speedup": _int_tex(round(paper_cost["speedup"], -1)),
            "train_sample": _int_tex(sc["train_sample"]),
        },
        "V": res["V"],
        "n": s["n"],
        "emb": s["emb"],
        "width": s["width"],
        "k": s["k"],
        "ks": list(s["ks"]),
        "lam_hat": lam_hat,
        "lam_hat_text": {kind: f"{lam_hat[kind]:.2f}" for kind in KEY_KINDS},
        "ppl_lm": {split: res["ppl"][("learned", split)][0] for split in ("valid", "test")},
        "ppl_test": ppl_test,
        "ppl_k": by_k,
        "ppl_k1": {kind: by_k[kind][0] for kind in KEY_KINDS},
        "ppl_kmax": {kind: by_k[kind][-1] for kind in KEY_KINDS},
        "scale": {key: sc[key] for key in ("d", "clusters", "rank", "nlist", "nbits", "queries", "k", "kmeans_iterations")},
        "code_bytes": code_bytes,
        "subquantizers": list(sc["subquantizers"]),
        "nprobes": list(sc["nprobes"]),
        "recall": recall,
        "ceiling": ceiling,
        "scanned": scanned,
        "mem_ivfpq": mem_ivfpq,
        "ours": ours,
        "ours_cost": ours_cost,
        "paper": PAPER,
        "paper_cost": paper_cost,
        "paper_gb": {x: paper_cost[x] / 1e9 for x in ("mem_flat", "mem_ivfpq")},
        "paper_speedup": paper_cost["speedup"],
        "_run": res,
        "_scale": big,
    }
    labels = {"learned": "learned keys (trained LM)", "untrained": "untrained keys (same network)"}
    figures = (
        Figure(
            "p11_perplexity",
            "figures.knn_lm:perplexity",
            {
                "lambdas": lambdas,
                "curves": {kind: res["ppl"][(kind, "test")] for kind in KEY_KINDS},
                "lam_hat": lam_hat,
                "ks": list(s["ks"]),
                "by_k": by_k,
                "k": s["k"],
                "labels": labels,
            },
            width=6.2,
            height=2.3,
            ncols=2,
        ),
        Figure(
            "p11_retrieval",
            "figures.knn_lm:retrieval",
            {
                "nprobes": list(sc["nprobes"]),
                "nlist": sc["nlist"],
                "N": sc["N"],
                "k": sc["k"],
                "recall": {code_bytes[m]: r for m, r in recall.items()},
                "ceiling": ceiling,
                "scanned": scanned,
            },
            width=6.2,
            height=2.3,
            ncols=2,
        ),
    )
    return Derivation(problem=11, equations=eqs, context=context, figures=figures, quotes=QUOTES)
