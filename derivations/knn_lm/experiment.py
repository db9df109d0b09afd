"""Problem 11, the experiment: kNN-LM on the docstring corpus with learned and with untrained keys.

Recipe (one function per stage, each stage's output the next one's input):

1. :func:`train_lm` -- the corpus and the feed-forward LM trained on its training text;
2. :func:`datastore` -- keys f(c_t) (the LM's hidden state) and values w_{t+1} of every training
   position, for the trained network and for the same network untrained (the control: keys that
   carry no learned similarity, only the identity of the last words);
3. :func:`exact_neighbours` -- ``faiss.IndexFlatL2``, the exact k nearest keys of sampled held-out
   positions, ties broken by id;
4. :func:`perplexities` -- held-out perplexity of p = lambda p_kNN + (1 - lambda) p_LM against
   lambda and against k, for each kind of key.

FAISS runs on one thread and every random choice is seeded.  What :func:`run` returns is small
(it is cached with the derivation): the weights, the sampled positions and the neighbours; the
keys are recomputed from the weights by :func:`keys_and_queries` when a check needs them.
"""

from __future__ import annotations

import contextlib

import faiss
import numpy as np

from derivations.knn_lm.method import interpolate, knn_distribution
from derivations.knn_lm.model import contexts, hidden, init_params, log_probs, train
from derivations.knn_lm.text import load_corpus

__all__ = ["SETTINGS", "KEY_KINDS", "train_lm", "keys_and_queries", "exact_neighbours", "sort_by_distance_then_id",
           "search_ties_by_id", "exact_sq_distances", "knn_target_probs", "lm_target_probs", "perplexity",
           "perplexity_sweep", "run", "knn_probs_of", "sample_positions"]

SETTINGS = {
    "seed": 0,
    "vocab": 1000,
    "n": 4,
    "emb": 32,
    "width": 64,
    "batch": 1024,
    "lr": 1e-2,
    "train_positions": 2**17,  # positions of the training text the LM sees (one pass, about half)
    "queries": 400,  # sampled held-out positions per split (validation, test)
    "k": 64,  # neighbours of the lambda sweep
    "ks": (1, 2, 4, 8, 16, 32, 64),
    "lambdas": tuple(np.round(np.linspace(0.0, 1.0, 21), 2)),
}
KEY_KINDS = ("learned", "untrained")
FAISS_THREADS = 1  # FAISS runs on one thread, so every search is reproducible
TIE_SLACK = 1e-5  # relative slack of a tie with the k-th distance (FAISS rounds distances to float32)
TIE_SLACK_FLOOR = 1.0  # squared distance below which the slack stops shrinking (TIE_SLACK * this)
EXACT_CANDIDATES = 2  # FAISS proposes this many times k candidates for the exact k nearest


def train_lm(s=SETTINGS):
    """Stage 1: the corpus, the initial weights (the untrained network) and the trained weights."""
    corpus = load_corpus(s["vocab"])
    initial = init_params(len(corpus.vocab), s["n"], s["emb"], s["width"], s["seed"])
    trained, losses = train(corpus.train, initial, s["n"], s["batch"], s["lr"], s["seed"], s["train_positions"])
    return corpus, initial, trained, losses


def sample_positions(corpus, s=SETTINGS) -> dict:
    """Seeded held-out positions t (sorted) of each split; query t predicts word t + 1."""
    rng = np.random.default_rng([s["seed"], 1])
    return {split: np.sort(rng.choice(len(getattr(corpus, split)) - 1, s["queries"], replace=False))
            for split in ("valid", "test")}


def keys_and_queries(corpus, params: dict, positions: dict, n: int):
    """Stage 2: keys f(c_t) of every training position t = 0..T-2 (value w_{t+1}) and the queries
    f(c_t) of the sampled held-out positions (validation rows, then test rows); float32."""
    keys = hidden(params, contexts(corpus.train, np.arange(len(corpus.train) - 1), n)).astype(np.float32)
    queries = np.concatenate([hidden(params, contexts(getattr(corpus, split), positions[split], n))
                              for split in ("valid", "test")]).astype(np.float32)
    return keys, queries


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


def knn_target_probs(distances, ids, values, vocab_size):
    """p_kNN(. | x) for every query, from Eq. 2 (:func:`derivations.knn_lm.knn_distribution`)."""
    return knn_distribution(np.asarray(distances, dtype=np.float64), values[ids], vocab_size)


def lm_target_probs(corpus, params: dict, positions: dict, n: int) -> np.ndarray:
    """p_LM(. | c_t) of the sampled held-out positions (validation rows, then test rows), (Q, V)."""
    return np.exp(np.concatenate([log_probs(params, hidden(params, contexts(getattr(corpus, split), positions[split], n)))
                                  for split in ("valid", "test")]))


def perplexity(p_target: np.ndarray) -> float:
    """exp(-mean log p) of the probabilities given to the words that came next."""
    return float(np.exp(-np.mean(np.log(p_target)))) if np.all(p_target > 0) else float("inf")


def perplexity_sweep(p_knn, p_lm, targets, lambdas):
    """Perplexity of Eq. 3 for each lambda.  Eq. 3 acts word by word, so it is applied to each
    query's two-outcome distribution (the word that came next, any other word)."""
    rows = np.arange(len(targets))
    a, b = p_knn[rows, targets], p_lm[rows, targets]
    two = lambda p: np.stack([p, np.maximum(1.0 - p, 0.0)], axis=1)  # noqa: E731
    return [perplexity(interpolate(two(a), two(b), float(lam))[:, 0]) for lam in lambdas]


def run(s=SETTINGS) -> dict:
    """The whole experiment; returns weights, positions, neighbours and perplexities (picklable)."""
    faiss.omp_set_num_threads(FAISS_THREADS)
    corpus, initial, trained, losses = train_lm(s)
    positions = sample_positions(corpus, s)
    V, nq = len(corpus.vocab), s["queries"]
    targets = np.concatenate([getattr(corpus, split)[positions[split] + 1] for split in ("valid", "test")])
    rows = {"valid": slice(0, nq), "test": slice(nq, 2 * nq)}
    p_lm = lm_target_probs(corpus, trained, positions, s["n"])
    values = corpus.train[1:]
    kmax = max(s["ks"])
    res = {"settings": dict(s), "V": V, "N": len(values), "positions": positions, "targets": targets,
           "rows": rows, "params": {"learned": trained, "untrained": initial}, "losses": losses,
           "tokens": {x: len(getattr(corpus, x)) for x in ("train", "valid", "test")},
           "neighbours": {}, "ppl": {}, "ppl_k": {}}
    for kind in KEY_KINDS:
        keys, queries = keys_and_queries(corpus, res["params"][kind], positions, s["n"])
        dist, ids = exact_neighbours(keys, queries, kmax)
        res["neighbours"][kind] = (dist, ids)
        for k in s["ks"]:
            p_knn = knn_target_probs(dist[:, :k], ids[:, :k], values, V)
            for split, r in rows.items():
                curve = perplexity_sweep(p_knn[r], p_lm[r], targets[r], s["lambdas"])
                if k == s["k"]:
                    res["ppl"][(kind, split)] = curve
                res["ppl_k"][(kind, split, k)] = curve
    return res


def knn_probs_of(res: dict, corpus, kind: str, k: int) -> np.ndarray:
    """p_kNN(. | x) of every sampled held-out query (validation, then test) from the stored k nearest."""
    dist, ids = res["neighbours"][kind]
    return knn_target_probs(dist[:, :k], ids[:, :k], corpus.train[1:], res["V"])
