"""Problem 11, the checks of the million-key retrieval sweep and of the cost formulas.

Each route recomputes a number of the report without the code that produced it: the keys are
rebuilt from their latent integers in exact float32 integer arithmetic (not by ``scale.keys_of``), the exact k-th
distances by a NumPy brute force over all N keys, the recall by counting returned keys within the
k-th distance, the codes FAISS scans from the sizes of the lists the coarse centroids rank nearest,
and the memory from serialised FAISS indexes.  A checks room: the mutation run plants no faults here.
"""

from __future__ import annotations

import faiss
import numpy as np

from derivations.knn_lm.derivation import COST_SYMBOLS, _b, _d, _int_tex, _m, _N, _nlist, _nprobe
from derivations.knn_lm.scale import CENTRE, CENTRE_RANK, LATENT, generator, keys_of, latents
from derivations.ledger import numeric_claim

__all__ = ["check_scale_claims"]

def _check_keys_exact(gen: dict, g: np.ndarray, z: np.ndarray) -> np.ndarray:
    """k = B^T (u_g + w) + S_g * (A z) from the generator's integer tables, in float32, cluster run
    by cluster run: every product and partial sum is an integer below 2^24 (the bound of claim
    p11.integer_exact), so the arithmetic is exact."""
    z = z.astype(np.float32)
    u = gen["U"][g] + z[:, :CENTRE_RANK]
    out = u @ gen["B"]
    az = z[:, CENTRE_RANK:] @ gen["A"].T
    cut = np.flatnonzero(np.diff(g)) + 1
    for lo, hi in zip(np.r_[0, cut], np.r_[cut, len(g)]):
        az[lo:hi] *= gen["S"][g[lo]]
    out += az
    return out


def _check_kth_brute_force(gen, g, z, queries, k, block=1 << 14) -> np.ndarray:
    """The exact k-th smallest squared distance of each query over all keys (float32 blocks of
    integers below 2^24: exact)."""
    q = queries.astype(np.float32)
    kth = None
    buffer = np.empty((block, queries.shape[1]), dtype=np.float32)
    for start in range(0, len(g), block):  # the same keys as the search (the route is the search)
        keys = keys_of(gen, g[start : start + block], z[start : start + block], out=buffer)
        dist = (keys * keys).sum(axis=1)[None, :] - 2 * (q @ keys.T) + (q * q).sum(axis=1)[:, None]
        part = np.partition(dist, k - 1, axis=1)[:, :k]
        kth = part if kth is None else np.partition(np.concatenate([kth, part], axis=1), k - 1, axis=1)[:, :k]
    return np.sort(kth, axis=1)[:, k - 1]


def _check_value_bound(gen) -> int:
    """An a-priori bound on |coordinate| of any key, query or trained centroid (means of keys
    rounded to integers: at most the keys' bound + 1)."""
    per_coord = np.abs(gen["B"]).sum(axis=0) * (CENTRE + LATENT) + np.abs(gen["A"]).sum(axis=1) * LATENT
    return int(per_coord.max()) + 1


def check_scale_claims(eq: dict, ctx: dict) -> list:
    big = ctx["_scale"]
    s = big["settings"]
    gen = generator(s)
    g, z = latents(s, s["N"], 1)
    queries = big["queries"]
    k, nq = s["k"], s["queries"]
    claims = []

    # Exactness: every coordinate is an integer with |x| <= X, so any squared distance, norm or
    # inner product a search forms over d coordinates is at most 4 d X^2 in magnitude.
    X = _check_value_bound(gen)
    worst_int = 4 * s["d"] * X * X
    qi = queries.astype(np.float32)
    rebuilt_q = _check_keys_exact(gen, *latents(s, nq, 2))
    ok_q = np.array_equal(rebuilt_q, qi) and np.array_equal(qi, queries)  # integers: exact comparison
    claims.append(numeric_claim(
        "p11.integer_exact", eq["p11.integer_exact"], worst_int if ok_q else np.inf,
        int(eq["p11.integer_exact"].rhs) - 1,
        method=f"a-priori bound 4 d X^2 = {worst_int}, X = {X} the largest |coordinate| used",
    ))

    # Exact search: the k-th distance of every query by a float32 (exact on these integers) brute force over all N keys;
    # the stored neighbours must all lie within it and be k distinct ids; recall recounted.
    exact_d, exact_i = big["exact"]
    kth = _check_kth_brute_force(gen, g, z, queries, k)
    stored = _check_keys_exact(gen, g[exact_i.ravel()], z[exact_i.ravel()]).reshape(nq, k, -1)
    stored_d = np.square(stored - qi[:, None, :]).sum(axis=2)
    flat_ok = (np.array_equal(stored_d, exact_d) and np.all(stored_d <= kth[:, None])
               and all(len(set(row)) == k for row in exact_i.tolist()))
    err = 0.0 if flat_ok else 1.0
    sweep_err = 0.0
    for m, sw in big["sweep"].items():
        for ids, hits in zip(sw["ids"], sw["hits"]):
            found = _check_keys_exact(gen, g[np.maximum(ids, 0).ravel()], z[np.maximum(ids, 0).ravel()])
            dist = np.square(found.reshape(nq, k, -1) - qi[:, None, :]).sum(axis=2)
            sweep_err = max(sweep_err, abs(int(np.count_nonzero((ids >= 0) & (dist <= kth[:, None]))) - hits))
    shown = {m: [r * nq * k for r in ctx["recall"][m]] for m in ctx["recall"]}
    sweep_err = max(sweep_err, max(abs(a - b) for m in shown for a, b in zip(shown[m], big["sweep"][m]["hits"])))
    # the true neighbours inside the probed lists: lists by the nearest integer centroid (ties to
    # the smaller index), lists ranked per query by exact integer distance (a tie at the edge of
    # the probed set would make the count depend on FAISS's order: it must not occur)
    coarse = big["quantizers"]["coarse"].astype(np.float32)
    cd = (coarse * coarse).sum(axis=1)[None, :] - 2 * (stored.reshape(-1, s["d"]) @ coarse.T)
    lists = np.argmin(cd, axis=1).reshape(nq, k)
    qd = np.square(qi[:, None, :] - coarse[None, :, :]).sum(axis=2)
    order = np.argsort(qd, axis=1, kind="stable")
    ranked_d = np.take_along_axis(qd, order, axis=1)
    edge_ties = sum(int(np.count_nonzero(ranked_d[:, p - 1] == ranked_d[:, p])) for p in s["nprobes"] if p < s["nlist"])
    inside = [int(sum(np.isin(lists[q], order[q, :p]).sum() for q in range(nq))) for p in s["nprobes"]]
    ceiling_err = max(abs(a - b) for a, b in zip(inside, big["in_probed"]))
    ceiling_err = max(ceiling_err, max(abs(a * nq * k - b) for a, b in zip(ctx["ceiling"], inside)), edge_ties)
    # FAISS's count of the codes it scanned against the sizes of the probed lists
    scan_err = 0.0
    for m, blob in big["index_blobs"].items():
        index = faiss.deserialize_index(blob)
        sizes = np.array([index.invlists.list_size(l) for l in range(index.nlist)])
        want = [int(sizes[order[:, :p]].sum()) for p in s["nprobes"]]
        scan_err = max(scan_err, max(abs(a - b) for a, b in zip(want, big["sweep"][m]["ndis"])))
        scan_err = max(scan_err, 0 if np.array_equal(sizes, big["list_sizes"]) else np.inf)
    scan_err = max(scan_err, max(abs(a * nq - b) for a, b in zip(ctx["scanned"], want)), edge_ties)
    return claims, {
        "flat": err, "sweep": max(sweep_err, ceiling_err), "scan": scan_err, "edge_ties": edge_ties,
        "N": s["N"], "nq": nq, "k": k,
    }


def check_cost_claims(eq: dict, ctx: dict, lm_keys: np.ndarray) -> list:
    """Memory of the exact and IVF-PQ indexes and the per-query work, against the printed formulas."""
    big = ctx["_scale"]
    s = big["settings"]
    claims = []
    mismatch = _check_text_numbers(ctx, eq)
    flat = faiss.IndexFlatL2(lm_keys.shape[1])
    empty = len(faiss.serialize_index(flat))
    flat.add(lm_keys)
    N_lm, d_lm = lm_keys.shape
    mem_flat_err = abs(len(faiss.serialize_index(flat)) - empty - int(eq["p11.mem_flat"].rhs.subs({_N: N_lm, _d: d_lm})))
    claims.append(numeric_claim(
        "p11.mem_flat", eq["p11.mem_flat"], mem_flat_err if not mismatch["p11.mem_flat"] else np.inf, 0,
        method="serialised IndexFlatL2 of the docstring keys minus the empty index; the text's bytes",
        detail="; ".join(mismatch["p11.mem_flat"]),
    ))
    worst_slope, worst_mem, worst_work = 0.0, 0.0, 0.0
    work_flat, work_ivfpq = eq["p11.work_per_query"]
    for m, blob in big["index_blobs"].items():
        index = faiss.deserialize_index(blob)
        sizes = np.array([index.invlists.list_size(l) for l in range(index.nlist)])
        subs = {_N: s["N"], _d: s["d"], _m: m, _b: s["nbits"], _nlist: s["nlist"]}
        removed = 0
        for l in range(index.nlist):  # drop the second half of every list
            keep = int(sizes[l]) // 2
            removed += int(sizes[l]) - keep
            index.invlists.resize(l, keep)
        slope = (len(blob) - len(faiss.serialize_index(index))) / removed
        worst_slope = max(worst_slope, abs(slope - float(eq["p11.mem_ivfpq_per_key"].rhs.subs(subs))))
        metadata_bound = 8 * s["nlist"] + 1024  # list sizes and the scalar fields of the header
        worst_mem = max(worst_mem, abs(len(blob) - int(eq["p11.mem_ivfpq"].rhs.subs(subs))) / metadata_bound)
        index = faiss.deserialize_index(blob)
        for nprobe in (1, max(s["nprobes"]), s["nlist"]):
            at = {**subs, _nprobe: nprobe}
            counted = (index.quantizer.ntotal * index.quantizer.d + faiss.vector_to_array(index.pq.centroids).size
                       + nprobe * sizes.mean() * index.pq.M)
            worst_work = max(worst_work, abs(float(work_ivfpq.rhs.subs(at)) - counted) / counted)
    claims.append(numeric_claim(
        "p11.mem_ivfpq_per_key", eq["p11.mem_ivfpq_per_key"], worst_slope, 0,
        method="serialised million-key IndexIVFPQ before and after halving every list, both code sizes",
    ))
    claims.append(numeric_claim(
        "p11.mem_ivfpq", eq["p11.mem_ivfpq"], worst_mem if not mismatch["p11.mem_ivfpq"] else np.inf, 1.0,
        method="serialised size minus formula vs the metadata bound 8 n_list + 1024 bytes",
        detail="; ".join(mismatch["p11.mem_ivfpq"]),
    ))
    flat_terms = flat.ntotal * flat.d
    worst_work = max(worst_work, abs(float(work_flat.rhs.subs({_N: N_lm, _d: d_lm})) - flat_terms) / flat_terms)
    claims.append(numeric_claim(
        "p11.work_per_query", eq["p11.work_per_query"], worst_work if not mismatch["p11.work_per_query"] else np.inf,
        1e-12,
        method="each term counted from the built indexes; the speed-up is the formulas' ratio",
        detail="; ".join(mismatch["p11.work_per_query"]),
    ))
    return claims


def _check_text_numbers(ctx: dict, eq: dict) -> dict:
    """Claim id -> the numbers of the text that differ from the printed formulas at their settings."""
    def at(statement, settings):
        return statement.rhs.subs({sym: settings[name] for name, sym in COST_SYMBOLS.items()})

    ours, paper = ctx["ours"], ctx["paper"]
    flat, ivf = eq["p11.work_per_query"]
    speedup = float(at(flat, paper) / at(ivf, paper))
    bad = {"p11.mem_flat": [], "p11.mem_ivfpq": [], "p11.work_per_query": []}
    for key, shown, want in (
        ("p11.mem_flat", ctx["ints"]["mem_flat"], _int_tex(at(eq["p11.mem_flat"], ours))),
        ("p11.mem_flat", ctx["paper_gb"]["mem_flat"], float(at(eq["p11.mem_flat"], paper)) / 1e9),
        ("p11.mem_ivfpq", ctx["ints"]["mem_formula"], _int_tex(at(eq["p11.mem_ivfpq"], ours))),
        ("p11.mem_ivfpq", ctx["paper_gb"]["mem_ivfpq"], float(at(eq["p11.mem_ivfpq"], paper)) / 1e9),
        ("p11.work_per_query", ctx["paper_speedup"], speedup),
        ("p11.work_per_query", ctx["ints"]["paper_speedup"], _int_tex(round(speedup, -1))),
    ):
        same = shown == want if isinstance(want, str) else abs(shown - want) <= 1e-15 * abs(want)
        if not same:
            bad[key].append(f"the text shows {shown}, the printed formula gives {want}")
    return bad
