"""Problem 11, retrieval at the paper's scale: a million keys of dimension 1024, exact vs IVF-PQ.

Our docstring datastore holds a quarter of a million 64-dimensional keys; the paper's holds 103M
keys of dimension 1024.  To measure search where its cost matters, this room builds a synthetic
datastore of ``N = 2^20`` keys of dimension ``d = 1024`` with cluster structure (so that inverted
lists are meaningful), searches it exactly (``faiss.IndexFlatL2``) and with ``faiss.IndexIVFPQ``,
and counts recall@k, the codes scanned and the bytes of each index.

**The keys.**  Key i belongs to cluster g_i (of ``clusters``) and has a latent vector z_i of
``rank`` integers in [-3, 3]: k_i = C[g_i] + S[g_i] * (A z_i), with integer centres C in [-2, 2]^d,
signs S in {-1, 1}^d (so each cluster spans its own ``rank``-dimensional subspace) and a shared
matrix A in {-1, 0, 1}^(d x rank).  Every key is a vector of small integers, so are the trained
centroids (:func:`integer_kmeans`), and every squared distance, inner product and partial sum a
search forms is an integer below 2^24: exact in float32 whatever the order of summation, the
SIMD level or the BLAS kernel.  Recall and codes scanned therefore do not depend on the
processor; exact ties (integers tie often) are broken by the smaller id.  Keys are never held all
at once (4 GB as float32): each pass regenerates blocks of ``block`` keys from (g_i, z_i).

**The index.**  The coarse quantizer (``nlist`` centroids) and the product quantizer (``m``
sub-quantizers of ``nbits`` bits on sub-vectors of d/m coordinates) are trained by k-means on a
sample with centroids rounded to integers; keys are assigned to their nearest centroid and coded
by their nearest sub-centroids (ties to the smaller index), and the codes are written into the
FAISS index's inverted lists, which FAISS then searches.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SCALE", "generator", "latents", "keys_of", "integer_kmeans", "nearest", "pq_codes", "one_pass",
           "pack_codes", "empty_ivfpq", "add_block", "block_knn", "train_quantizers", "run_scale"]

SCALE = {
    "seed": 0,
    "N": 2**20,
    "d": 1024,
    "clusters": 256,
    "rank": 16,
    "nlist": 32,
    "nbits": 4,
    "subquantizers": (8, 16),  # 4- and 8-byte codes
    "nprobes": (1, 2, 4, 8),
    "queries": 16,
    "k": 64,
    "train_sample": 8192,
    "kmeans_iterations": 8,
    "block": 16384,
}
LATENT, CENTRE, CENTRE_RANK = 1, 2, 8  # z in [-1, 1]^rank; C = B u, u in [-2, 2]^8, B in {-1, 0, 1}^(8 x d)


def generator(s: dict) -> dict:
    """Cluster centres C, sign patterns S and the shared basis A (small integers, seeded)."""
    rng = np.random.default_rng([s["seed"], 0])
    return {
        "B": rng.integers(-1, 2, (CENTRE_RANK, s["d"])).astype(np.float32),
        "U": rng.integers(-CENTRE, CENTRE + 1, (s["clusters"], CENTRE_RANK)).astype(np.float32),
        "S": rng.choice(np.array([-1.0, 1.0], dtype=np.float32), (s["clusters"], s["d"])),
        "A": rng.integers(-1, 2, (s["d"], s["rank"])).astype(np.float32),
    }


def latents(s: dict, n: int, stream: int):
    """Cluster ids (n,) int16 and latent vectors (n, rank) int8 of ``n`` points (stream 1: keys, 2: queries)."""
    rng = np.random.default_rng([s["seed"], stream])
    if stream == 1:  # keys: cluster by cluster, the same number in each (id order = cluster order)
        g = (np.arange(n) * s["clusters"] // n).astype(np.int16)
    else:
        g = rng.integers(0, s["clusters"], n).astype(np.int16)
    z = rng.integers(-LATENT, LATENT + 1, (n, CENTRE_RANK + s["rank"])).astype(np.int8)
    return g, z


def keys_of(gen: dict, g, z, out=None) -> np.ndarray:
    """The points (u_g + w) B + S_g * (A z) as float32 rows (small integers, exact), written into
    ``out`` (rows, d) when given (a block buffer reused: fresh memory for every block costs more)."""
    g = np.asarray(g)
    out = np.empty((len(g), gen["A"].shape[0]), dtype=np.float32) if out is None else out[: len(g)]
    cut = np.flatnonzero(np.diff(g)) + 1  # runs of one cluster (keys come cluster by cluster)
    for lo, hi in zip(np.r_[0, cut], np.r_[cut, len(g)]):
        c = int(g[lo])
        basis = np.concatenate([gen["B"], gen["A"].T * gen["S"][c]])  # (8 + rank, d)
        coords = z[lo:hi].astype(np.float32)
        coords[:, :CENTRE_RANK] += gen["U"][c]  # (u_g + w) B + z (A^T S_g)
        np.matmul(coords, basis, out=out[lo:hi])
    return out


def nearest(x: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Index of the nearest centroid of each row (squared L2; integers, so exact; ties: smaller index)."""
    dist = (centroids * centroids).sum(axis=1)[None, :] - 2.0 * (x @ centroids.T)
    return np.argmin(dist, axis=1)  # |x|^2 is common to a row and left out


def integer_kmeans(x: np.ndarray, k: int, iterations: int, seed: int) -> np.ndarray:
    """Lloyd's k-means from a seeded k-means++ start (each next centre drawn with probability
    proportional to the squared distance to the nearest centre so far), each centroid rounded to
    integers after every update (an empty cluster keeps its centroid); float32 rows of integers.
    Every distance is an integer, summed exactly in float64, so the draws are the same everywhere."""
    rng = np.random.default_rng(seed)
    norms = (x.astype(np.float64) ** 2).sum(axis=1)
    chosen = [int(rng.integers(len(x)))]
    closest = norms + norms[chosen[0]] - 2.0 * (x @ x[chosen[0]]).astype(np.float64)
    for _ in range(1, k):
        total = np.cumsum(closest)
        pick = int(np.searchsorted(total, rng.random() * total[-1], side="right"))
        chosen.append(min(pick, len(x) - 1))
        closest = np.minimum(closest, norms + norms[chosen[-1]] - 2.0 * (x @ x[chosen[-1]]).astype(np.float64))
    centroids = x[chosen].copy()
    for _ in range(iterations):
        assign = nearest(x, centroids)
        counts = np.bincount(assign, minlength=k)
        onehot = np.zeros((len(x), k), dtype=np.float32)
        onehot[np.arange(len(x)), assign] = 1.0
        sums = onehot.T @ x  # integer sums below 2^24: exact
        filled = counts > 0
        centroids[filled] = np.rint(sums[filled] / counts[filled, None])
    return centroids


def pq_codes(x: np.ndarray, lists: np.ndarray, coarse: np.ndarray, sub_centroids: np.ndarray) -> np.ndarray:
    """PQ codes of the residuals x - coarse[lists]: the nearest sub-centroid of each sub-vector (ties:
    the smaller index); sub_centroids (m, 2^b, d/m) -> codes (n, m) uint8.  Integers: exact.

    |r - c|^2 - |r|^2 = |c|^2 - 2 x.c + 2 y.c for r = x - y, y the key's coarse centroid; the last
    term is tabulated once per list, so the residuals are never formed."""
    m, ksub, dsub = sub_centroids.shape
    norms = (sub_centroids * sub_centroids).sum(axis=2)
    codes = np.empty((len(x), m), dtype=np.uint8)
    for j in range(m):
        cols = slice(j * dsub, (j + 1) * dsub)
        offset = norms[j] + 2.0 * (coarse[:, cols] @ sub_centroids[j].T)  # (nlist, 2^b)
        dist = offset[lists]
        dist -= 2.0 * (x[:, cols] @ sub_centroids[j].T)
        codes[:, j] = np.argmin(dist, axis=1)
    return codes


def pack_codes(codes: np.ndarray, nbits: int) -> np.ndarray:
    """FAISS's byte layout of ``nbits``-bit codes, the first sub-quantizer in the lowest bits."""
    if nbits == 8:
        return codes.astype(np.uint8)
    assert nbits == 4 and codes.shape[1] % 2 == 0
    return (codes[:, 0::2] | (codes[:, 1::2] << 4)).astype(np.uint8)


def _train_sample(s, gen, g, z):
    rows = np.sort(np.random.default_rng([s["seed"], 3]).choice(s["N"], s["train_sample"], replace=False))
    return keys_of(gen, g[rows], z[rows])


def train_quantizers(s: dict, gen: dict, g, z) -> dict:
    """Coarse centroids (nlist, d) and, per code size m, sub-centroids (m, 2^b, d/m), all integers."""
    sample = _train_sample(s, gen, g, z)
    coarse = integer_kmeans(sample, s["nlist"], s["kmeans_iterations"], s["seed"])
    residual = sample - coarse[nearest(sample, coarse)]
    pq = {}
    for m in s["subquantizers"]:
        dsub = s["d"] // m
        sub = residual.reshape(len(residual), m, dsub)
        pq[m] = np.stack([integer_kmeans(np.ascontiguousarray(sub[:, j]), 2 ** s["nbits"],
                                         s["kmeans_iterations"], s["seed"] + j) for j in range(m)])
    return {"coarse": coarse, "pq": pq}


def empty_ivfpq(s: dict, quantizers: dict, m: int):
    """A ``faiss.IndexIVFPQ`` with our trained (integer) centroids and no entries."""
    import faiss

    index = faiss.IndexIVFPQ(faiss.IndexFlatL2(s["d"]), s["d"], s["nlist"], m, s["nbits"])
    index.quantizer.add(quantizers["coarse"])
    faiss.copy_array_to_vector(quantizers["pq"][m].ravel(), index.pq.centroids)
    index.is_trained = True
    index.precompute_table()
    return index


def add_block(index, ids: np.ndarray, lists: np.ndarray, packed: np.ndarray) -> None:
    """Write keys' codes into the inverted lists they were assigned to."""
    import faiss

    for l in np.unique(lists):
        rows = np.flatnonzero(lists == l)
        sel_ids, sel_codes = np.ascontiguousarray(ids[rows]), np.ascontiguousarray(packed[rows])
        index.invlists.add_entries(int(l), len(rows), faiss.swig_ptr(sel_ids), faiss.swig_ptr(sel_codes))
    index.ntotal += len(ids)


def block_knn(queries: np.ndarray, block: np.ndarray, k: int):
    """FAISS's exact search (the kernel of ``IndexFlatL2``) on one block: the k nearest and every key
    tied with the k-th (searched wider until the last candidate lies beyond it); -1/inf elsewhere."""
    import faiss

    from derivations.knn_lm.experiment import _blas_threshold

    width = min(2 * k, len(block))
    while True:
        with _blas_threshold(1):  # FAISS's BLAS route for any number of queries (exact on integers)
            dist, ids = faiss.knn(queries, block, width)
        if width == len(block) or np.all(dist[:, -1] > dist[:, k - 1]):
            break
        width = min(2 * width, len(block))
    keep = dist <= dist[:, k - 1 : k]
    return np.where(keep, dist, np.inf), np.where(keep, ids, -1)


def one_pass(s: dict, gen: dict, g, z, quantizers: dict, queries: np.ndarray):
    """One pass over the keys, block by block: exact k nearest of the queries (merged by
    (distance, id)), each key's list and codes written into one IVF-PQ index per code size."""
    from derivations.knn_lm.experiment import sort_by_distance_then_id

    coarse, k = quantizers["coarse"], s["k"]
    indexes = {m: empty_ivfpq(s, quantizers, m) for m in s["subquantizers"]}
    best_d = np.full((len(queries), 0), np.inf)
    best_i = np.zeros((len(queries), 0), dtype=np.int64)
    buffer = np.empty((s["block"], s["d"]), dtype=np.float32)
    for start in range(0, s["N"], s["block"]):
        x = keys_of(gen, g[start : start + s["block"]], z[start : start + s["block"]], out=buffer)
        dist, ids = block_knn(queries, x, k)
        cand_d, cand_i = sort_by_distance_then_id(np.concatenate([best_d, dist], axis=1),
                                                  np.concatenate([best_i, np.where(ids >= 0, ids + start, -1)], axis=1))
        best_d, best_i = cand_d[:, :k], cand_i[:, :k]
        lists = nearest(x, coarse)
        key_ids = np.arange(start, start + len(x), dtype=np.int64)
        for m, index in indexes.items():
            add_block(index, key_ids, lists, pack_codes(pq_codes(x, lists, coarse, quantizers["pq"][m]), s["nbits"]))
    return (best_d.astype(np.int64), best_i), indexes


def run_scale(s: dict = SCALE) -> dict:
    """Recall@k and codes scanned per query against nprobe for each code size, and index bytes."""
    import faiss

    from derivations.knn_lm.experiment import search_ties_by_id

    faiss.omp_set_num_threads(1)
    gen = generator(s)
    g, z = latents(s, s["N"], 1)
    queries = keys_of(gen, *latents(s, s["queries"], 2))
    quantizers = train_quantizers(s, gen, g, z)
    (exact_d, exact_i), indexes = one_pass(s, gen, g, z, quantizers, queries)
    k, sweep = s["k"], {}
    for m, index in indexes.items():
        found, scanned = [], []
        for nprobe in s["nprobes"]:
            index.nprobe = int(nprobe)
            faiss.cvar.indexIVF_stats.reset()
            index.search(queries, k)  # one plain pass, for FAISS's count of the codes it scans
            scanned.append(int(faiss.cvar.indexIVF_stats.ndis))
            found.append(search_ties_by_id(index, queries, k)[1])
        sweep[m] = {"ids": np.array(found), "ndis": scanned}
    kth = exact_d[:, -1]
    for m in sweep:
        sweep[m]["hits"] = [_hits(gen, g, z, queries, ids, kth) for ids in sweep[m]["ids"]]
    # the lists of the true neighbours, and each query's lists ranked by centroid distance
    true_lists = nearest(keys_of(gen, g[exact_i.ravel()], z[exact_i.ravel()]), quantizers["coarse"]).reshape(exact_i.shape)
    coarse_d = (quantizers["coarse"] ** 2).sum(axis=1)[None, :] - 2.0 * (queries @ quantizers["coarse"].T)
    ranked = np.argsort(coarse_d, axis=1, kind="stable")
    in_probed = [int(sum(np.isin(true_lists[q], ranked[q, :p]).sum() for q in range(len(queries)))) for p in s["nprobes"]]
    return {
        "settings": dict(s),
        "queries": queries,
        "exact": (exact_d, exact_i),
        "quantizers": quantizers,
        "sweep": sweep,
        "in_probed": in_probed,  # true neighbours that lie in the nprobe lists probed, per nprobe
        "list_sizes": np.array([indexes[s["subquantizers"][0]].invlists.list_size(l) for l in range(s["nlist"])]),
        "index_blobs": {m: faiss.serialize_index(ix) for m, ix in indexes.items()},
    }


def _hits(gen, g, z, queries, ids, kth):
    """Returned keys no farther than the true k-th neighbour (ties count), -1 never."""
    safe = np.maximum(ids, 0)
    keys = keys_of(gen, g[safe.ravel()], z[safe.ravel()]).reshape(*ids.shape, -1)
    dist = np.square(keys - queries[:, None, :]).sum(axis=2)  # integers below 2^24: exact
    return int(np.count_nonzero((ids >= 0) & (dist <= kth[:, None])))
