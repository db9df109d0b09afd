"""Problem 11, the experiment: a real datastore searched exactly and with FAISS IVF-PQ.

Recipe (one function per stage, each stage's output the next one's input):

1. :func:`build_datastore` -- the corpus, the trigram LM, the keys f(c_t) and values w_{t+1} of
   every training position, the held-out queries (validation and test) and their LM distributions;
2. :func:`exact_neighbours` -- ``faiss.IndexFlatL2``, the exact k nearest keys;
3. :func:`train_ivfpq` -- ``faiss.IndexIVFPQ`` (inverted lists from k-means, product-quantised
   residuals), one per code size;
4. :func:`probe_sweep` -- recall@k against the exact neighbours and the number of codes scanned
   per query, against ``nprobe``;
5. :func:`perplexity_sweep` -- perplexity of p = lambda p_kNN + (1 - lambda) p_LM against lambda.

FAISS runs on one thread and every random choice is seeded, so the numbers reproduce exactly.
Wall-clock times are not part of the result: the cost is reported by counting distance
evaluations, which is deterministic.

What :func:`run` returns is kept small (it is cached with the derivation): the p_kNN arrays are
recomputed from the stored neighbours by :func:`knn_probs`, and a :class:`Datastore` drops its
keys, queries and LM distributions when pickled and rebuilds them from its text on first use.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field

import faiss
import numpy as np

from derivations.knn_lm.corpus import ATTRIBUTES, WORLD, TrigramLM, context_keys, make_corpus
from derivations.knn_lm.method import interpolate, knn_distribution

__all__ = ["SETTINGS", "Datastore", "build_datastore", "exact_neighbours", "train_ivfpq", "probe_sweep",
           "sort_by_distance_then_id", "search_ties_by_id", "exact_sq_distances",
           "tie_aware_recall", "knn_target_probs", "perplexity_sweep", "run", "where_it_helps",
           "held_out_queries", "knn_variants", "knn_probs"]

SETTINGS = {
    "seed": 0,
    "dim": 32,
    "window": 6,
    "decay": 0.7,
    "scale": 3.0,
    "k": 16,
    "nlist": 64,
    "nbits": 8,
    "code_bytes": (4, 8, 16),
    "nprobes": (1, 2, 4, 8, 16, 32, 64),
    "sweep_queries": 1000,
    "pq_train_points": 4096,
    "pq_iterations": 10,
    "ppl_code_bytes": 8,
    "ppl_nprobe": 8,
    "lambdas": tuple(np.round(np.linspace(0.0, 1.0, 21), 2)),
}
FAISS_THREADS = 1  # FAISS runs on one thread, so every search is reproducible
PQ_MIN_POINTS_PER_CENTROID = 1  # FAISS only warns below this many training points per centroid
# FAISS computes k-means assignments directly (one float32 loop per pair) for fewer than
# distance_compute_blas_threshold points (128000 in FAISS 1.15), by BLAS (||x||^2 + ||c||^2 - 2 x.c)
# from this many on.  Training on the 4096-point sample by BLAS is ten times cheaper, and it gives
# the same assignments wherever two centroids are farther apart than float32 rounding (a test
# holds it); searches keep FAISS's default.
TRAIN_BLAS_THRESHOLD = 20
TIE_SLACK = 1e-5  # relative slack of a tie with the k-th distance (FAISS rounds distances to float32)
TIE_SLACK_FLOOR = 1.0  # squared distance below which the slack stops shrinking (TIE_SLACK * this)
EXAMPLE_WORDS = 6  # words of context shown for the text's example
EXACT_CANDIDATES = 4  # FAISS proposes this many times k candidates for the exact k nearest


_ENCODING = ("dim", "window", "decay", "scale")  # the settings of the keys f(c_t)
_FROM_TEXT = ("keys", "queries", "p_lm")  # Datastore fields rebuilt from the text after unpickling


@dataclass
class Datastore:
    """Keys (N, d) float32 and values (N,) of the training text; queries of the held-out text.

    ``keys``, ``queries`` and ``p_lm`` are functions of ``streams``, ``vocab`` and ``encoding``
    (:func:`_text_arrays`); a pickled Datastore leaves them out (they are most of its size) and
    rebuilds them, by the same function, the first time one of them is read.
    """

    keys: np.ndarray
    values: np.ndarray
    vocab: tuple
    queries: dict = field(default_factory=dict)  # split -> (Q, d) float32
    targets: dict = field(default_factory=dict)  # split -> (Q,) next-word ids
    p_lm: dict = field(default_factory=dict)  # split -> (Q, V) trigram distributions
    streams: dict = field(default_factory=dict)  # split -> word tokens (for the independent check)
    encoding: dict = field(default_factory=dict)  # the settings of context_keys: dim, window, decay, scale

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k not in _FROM_TEXT}

    def __getattr__(self, name):  # only reached when the attribute is missing: after unpickling
        if name in _FROM_TEXT and "streams" in self.__dict__ and "encoding" in self.__dict__:
            keys, queries, p_lm = _text_arrays(self.streams, self.vocab, self.encoding)
            self.__dict__.update(keys=keys, queries=queries, p_lm=p_lm)
            return self.__dict__[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def _text_arrays(streams: dict, vocab: tuple, encoding: dict):
    """The keys of the training text, and the queries and LM distributions of the held-out texts."""
    index = {w: i for i, w in enumerate(vocab)}
    V = len(vocab)
    train = np.array([index[w] for w in streams["train"]], dtype=np.int64)
    lm = TrigramLM(train, V)
    keys = context_keys(train, np.arange(1, len(train) - 1), V, **encoding)
    queries, p_lm = {}, {}
    for split in ("valid", "test"):
        ids = np.array([index[w] for w in streams[split]], dtype=np.int64)
        pos = np.arange(1, len(ids) - 1)
        queries[split] = context_keys(ids, pos, V, **encoding)
        p_lm[split] = lm.distributions(ids, pos)
    return keys, queries, p_lm


def build_datastore(settings=SETTINGS) -> Datastore:
    """Stage 1: keys f(c_t) and values w_{t+1} for t = 1..T-2 of the training stream."""
    corpus = make_corpus(seed=settings["seed"])
    streams = {split: getattr(corpus, split) for split in ("train", "valid", "test")}
    encoding = {k: settings[k] for k in _ENCODING}
    keys, queries, p_lm = _text_arrays(streams, corpus.vocab, encoding)
    train = corpus.ids(corpus.train)
    positions = np.arange(1, len(train) - 1)
    store = Datastore(keys, train[positions + 1], corpus.vocab, queries, p_lm=p_lm, streams=streams, encoding=encoding)
    for split in ("valid", "test"):
        ids = corpus.ids(streams[split])
        store.targets[split] = ids[np.arange(1, len(ids) - 1) + 1]
    return store


def held_out_queries(store: Datastore) -> np.ndarray:
    """The validation queries followed by the test queries (the rows of the searches)."""
    return np.concatenate([store.queries["valid"], store.queries["test"]])


def exact_neighbours(keys: np.ndarray, queries: np.ndarray, k: int):
    """Stage 2: the exact k nearest keys by squared L2, ties broken by the smaller id; (distances, ids).

    Keys repeat (a context can occur twice), so many queries have several keys at exactly the k-th
    distance, and FAISS's float32 distances and its order among equal ones depend on its SIMD level
    and the BLAS kernel.  So ``faiss.IndexFlatL2`` only proposes candidates (more than k); their
    distances are recomputed by :func:`exact_sq_distances` (the same bits on every processor) and
    sorted by (distance, id).  No key that belongs among the k may have been left out: the last
    candidate must lie farther than the k-th distance by more than twice the float32 error of
    FAISS's distances (``_float32_distance_error``); queries where it does not are searched again
    with twice as many candidates.  Distances are float64 (Q, k), ids int64 (Q, k).
    """
    index = faiss.IndexFlatL2(keys.shape[1])
    index.add(keys)
    out_d = np.empty((len(queries), k))
    out_i = np.empty((len(queries), k), dtype=np.int64)
    todo, width = np.arange(len(queries)), min(len(keys), EXACT_CANDIDATES * k)
    while len(todo):
        _, ids = index.search(queries[todo], width)
        dist, ids = sort_by_distance_then_id(exact_sq_distances(keys, queries[todo], ids), ids)
        complete = (dist[:, -1] - dist[:, k - 1] > 2 * _float32_distance_error(keys, queries[todo])) | (width == len(keys))
        out_d[todo[complete]], out_i[todo[complete]] = dist[complete, :k], ids[complete, :k]
        todo, width = todo[~complete], min(len(keys), 2 * width)
    return out_d, out_i


def sort_by_distance_then_id(dist: np.ndarray, ids: np.ndarray):
    """Each row's (distance, id) pairs in increasing order: equal distances by the smaller id
    (the documented tie rule of this experiment; -1, FAISS's "no result", goes last)."""
    ids = np.asarray(ids, dtype=np.int64)
    key_ids = np.where(ids >= 0, ids, np.iinfo(np.int64).max)
    order = np.lexsort((key_ids, dist), axis=-1)
    return np.take_along_axis(dist, order, axis=-1), np.take_along_axis(ids, order, axis=-1)


def _float32_distance_error(keys: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """A bound on |FAISS's float32 squared distance - the exact one| per query: FAISS forms
    |q|^2 + |k|^2 - 2 q.k in float32, d-term sums each off by at most d eps32 of their magnitude."""
    eps32 = float(np.finfo(np.float32).eps)
    q2 = np.square(queries.astype(np.float64)).sum(axis=1)
    k2 = float(np.square(keys.astype(np.float64)).sum(axis=1).max())
    return 4 * keys.shape[1] * eps32 * (q2 + k2 + 2 * np.sqrt(q2 * k2))


def search_ties_by_id(index, queries: np.ndarray, k: int):
    """``index.search`` for k neighbours with exact ties at the k-th distance broken by the smaller
    id, instead of by FAISS's scan order: search more than k, sort by (distance, id), keep k.  A
    query whose wider search still ends on the k-th distance is searched wider again."""
    out_d = np.empty((len(queries), k), dtype=np.float32)
    out_i = np.empty((len(queries), k), dtype=np.int64)
    todo, width = np.arange(len(queries)), 2 * k
    while len(todo):
        dist, ids = index.search(queries[todo], width)
        dist, ids = sort_by_distance_then_id(dist, ids)
        complete = (dist[:, -1] > dist[:, k - 1]) | (ids[:, -1] < 0) | (width >= index.ntotal)
        out_d[todo[complete]], out_i[todo[complete]] = dist[complete, :k], ids[complete, :k]
        todo, width = todo[~complete], 2 * width
    return out_d, out_i


def train_ivfpq(keys: np.ndarray, nlist: int, code_bytes: int, nbits: int, train_points: int,
                iterations: int, seed: int):
    """Stage 3: IVF (k-means with ``nlist`` lists) + PQ (``code_bytes`` sub-quantisers of ``nbits``)."""
    d = keys.shape[1]
    index = faiss.IndexIVFPQ(faiss.IndexFlatL2(d), d, nlist, code_bytes, nbits)
    index.cp.seed = seed
    index.pq.cp.seed = seed
    index.pq.cp.niter = iterations
    index.pq.cp.min_points_per_centroid = PQ_MIN_POINTS_PER_CENTROID
    sample = np.random.default_rng(seed).choice(len(keys), size=min(train_points, len(keys)), replace=False)
    with _blas_threshold(TRAIN_BLAS_THRESHOLD):
        index.train(keys[np.sort(sample)])
    index.add(keys)
    return index


@contextlib.contextmanager
def _blas_threshold(points: int):
    """FAISS computes distances of batches of at least ``points`` queries by BLAS (restored after)."""
    before = faiss.cvar.distance_compute_blas_threshold
    faiss.cvar.distance_compute_blas_threshold = points
    try:
        yield
    finally:
        faiss.cvar.distance_compute_blas_threshold = before


def exact_sq_distances(keys: np.ndarray, queries: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """||q - k_id||^2 in float64 for the given ids (-1 -> inf), the same bits on every processor.

    The differences of float32 coordinates and their squares are single IEEE operations; the d
    squares are added one coordinate at a time, in a fixed order (a library reduction may sum in
    an order that depends on the processor's SIMD width).
    """
    safe = np.where(ids >= 0, ids, 0)
    diff = keys[safe].astype(np.float64) - queries[:, None, :].astype(np.float64)
    sq = diff * diff
    total = sq[..., 0].copy()
    for j in range(1, sq.shape[-1]):
        total += sq[..., j]
    return np.where(ids >= 0, total, np.inf)


def tie_aware_recall(keys, queries, ids, kth_exact) -> float:
    """Fraction of returned ids whose exact distance is within the true k-th distance.

    Keys repeat (a context can occur twice), so the k nearest are not always unique; a returned
    key counts as correct when it is no farther than the k-th nearest key, up to float32 rounding.
    """
    dist = exact_sq_distances(keys, queries, ids)
    slack = TIE_SLACK * (TIE_SLACK_FLOOR + kth_exact[:, None])
    return float(np.mean(dist <= kth_exact[:, None] + slack))


def probe_sweep(index, keys, queries, exact_ids, k, nprobes):
    """Stage 4: recall@k and codes scanned per query for each nprobe (FAISS's own counter), and
    the ids each search returned, (len(nprobes), Q, k) in the smallest integer type that holds them."""
    kth = exact_sq_distances(keys, queries, exact_ids[:, -1:])[:, 0]
    recall, scanned, found = [], [], []
    for nprobe in nprobes:
        index.nprobe = int(nprobe)
        faiss.cvar.indexIVF_stats.reset()
        index.search(queries, k)  # one plain pass, for FAISS's count of the codes it scans
        scanned.append(faiss.cvar.indexIVF_stats.ndis / len(queries))
        _, ids = search_ties_by_id(index, queries, k)
        recall.append(tie_aware_recall(keys, queries, ids, kth))
        found.append(ids)
    return recall, scanned, np.array(found, dtype=np.min_scalar_type(-len(keys)))  # ids -1..N-1


def knn_target_probs(distances, ids, values, vocab_size):
    """p_kNN(. | x) for every query, from Eq. 2 (:func:`derivations.knn_lm.knn_distribution`)."""
    return knn_distribution(np.asarray(distances, dtype=np.float64), values[ids], vocab_size)


def perplexity_sweep(p_knn, p_lm, targets, lambdas):
    """Stage 5: perplexity exp(-mean log p(w_{t+1})) of Eq. 3 for each lambda."""
    rows = np.arange(len(targets))
    out = []
    for lam in lambdas:
        p = interpolate(p_knn, p_lm, float(lam))[rows, targets]
        out.append(float(np.exp(-np.mean(np.log(p)))) if np.all(p > 0) else float("inf"))
    return out


def run(settings=SETTINGS) -> dict:
    """The whole experiment; returns plain numbers and arrays (picklable).

    The three searches of the perplexity sweep are kept as neighbours (``exact``, ``approx``);
    :func:`knn_variants` and :func:`knn_probs` turn them into distances and p_kNN again.  The ids
    each search of the probe sweep returned are kept too, for the checks to re-measure recall.
    """
    faiss.omp_set_num_threads(FAISS_THREADS)
    s = settings
    store = build_datastore(s)
    V, k = len(store.vocab), s["k"]
    N, d = store.keys.shape
    queries = held_out_queries(store)
    exact_d, exact_i = exact_neighbours(store.keys, queries, k)

    sample = np.sort(np.random.default_rng(s["seed"]).choice(len(queries), s["sweep_queries"], replace=False))
    sweeps, sweep_ids, indexes = {}, {}, {}
    for m in s["code_bytes"]:
        index = train_ivfpq(store.keys, s["nlist"], m, s["nbits"], s["pq_train_points"], s["pq_iterations"], s["seed"])
        recall, scanned, sweep_ids[m] = probe_sweep(index, store.keys, queries[sample], exact_i[sample], k,
                                                    s["nprobes"])
        sweeps[m] = {"recall": recall, "scanned": scanned}
        indexes[m] = index

    nv = len(store.queries["valid"])
    split_rows = {"valid": slice(0, nv), "test": slice(nv, None)}
    index = indexes[s["ppl_code_bytes"]]
    index.nprobe = s["ppl_nprobe"]
    res = {
        "settings": dict(settings),
        "store": store,
        "N": N,
        "d": d,
        "V": V,
        "exact": (exact_d, exact_i),
        "approx": search_ties_by_id(index, queries, k),
        "sweeps": sweeps,
        "sweep_sample": sample,
        "sweep_ids": sweep_ids,  # code size -> the ids of each search of the sweep (for the checks)
        "index_bytes": {m: faiss.serialize_index(ix) for m, ix in indexes.items()},
        "split_rows": split_rows,
    }
    ppl = {}
    for name, p_knn in knn_probs(res, queries).items():
        for split, rows in split_rows.items():
            ppl[(name, split)] = perplexity_sweep(p_knn[rows], store.p_lm[split], store.targets[split], s["lambdas"])
    res["ppl"] = ppl
    return res


def knn_variants(res: dict, queries=None) -> dict:
    """The neighbours of every held-out query in the three searches, as (distances, ids): exact
    search, IVF-PQ (its approximate distances), and IVF-PQ with exact distances recomputed."""
    store = res["store"]
    queries = held_out_queries(store) if queries is None else queries
    approx_d, approx_i = res["approx"]
    return {
        "exact": res["exact"],
        "ivfpq": (approx_d, approx_i),
        "ivfpq_rerank": (exact_sq_distances(store.keys, queries, approx_i), approx_i),
    }


def knn_probs(res: dict, queries=None) -> dict:
    """p_kNN(. | x) of every held-out query (rows: validation, then test) for each search."""
    store = res["store"]
    return {name: knn_target_probs(dist, ids, store.values, res["V"])
            for name, (dist, ids) in knn_variants(res, queries).items()}


def where_it_helps(res: dict, lam: float):
    """Test perplexity on attribute words (cities, trades, foods, instruments) and on the rest,
    LM alone and interpolated; and the attribute word whose probability interpolation raises most."""
    world = json.loads(WORLD.read_text())
    store = res["store"]
    vocab = store.vocab
    attribute_words = {w for a in ATTRIBUTES for w in world[a]}
    targets = store.targets["test"]
    rows = np.arange(len(targets))
    p_lm = store.p_lm["test"][rows, targets]
    p_knn = knn_target_probs(*res["exact"], store.values, len(vocab))[res["split_rows"]["test"]]
    p_mix = interpolate(p_knn, store.p_lm["test"], lam)[rows, targets]
    is_attr = np.array([vocab[t] in attribute_words for t in targets])
    breakdown = {}
    for name, mask in (("attribute", is_attr), ("other", ~is_attr)):
        breakdown[name] = {
            "count": int(mask.sum()),
            "lm": float(np.exp(-np.mean(np.log(p_lm[mask])))),
            "mix": float(np.exp(-np.mean(np.log(p_mix[mask])))),
        }
    gain = np.where(is_attr, np.log(p_mix) - np.log(p_lm), -np.inf)
    t = int(np.argmax(gain))
    tokens = store.streams["test"]
    pos = t + 1  # query t predicts tokens[pos + 1] from the context ending at tokens[pos]
    example = {
        "query": t,
        "context": " ".join(tokens[pos + 1 - EXAMPLE_WORDS : pos + 1]),  # the check requires all of them
        "target": tokens[pos + 1],
        "lm_top": vocab[int(np.argmax(store.p_lm["test"][t]))],
        "p_lm": float(p_lm[t]),
        "p_knn": float(p_knn[t, targets[t]]),
        "p_mix": float(p_mix[t]),
    }
    return breakdown, example
