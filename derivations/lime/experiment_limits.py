"""Problem 12's limitations, measured on the explained sentence of the text experiment.

- The kernel width: the same N samples re-weighted for a range of widths sigma
  (:func:`width_sweep`).  As sigma -> 0 only the instance and the samples that delete one word keep
  weight, d' + 1 points for d' + 1 unknowns, so the fit interpolates them and each weight becomes
  the exact leave-one-word-out effect f(x) - f(x without word j) (:func:`leave_one_out`); as
  sigma grows every sample counts alike, most of them sentences with half their words gone.
- The number of samples and the seed: LIME rerun with SPREAD_SEEDS seeds for each N of SPREAD_NS;
  the spread of each weight across seeds (:func:`seed_spread`).
- Off the data: how many of the perturbed sentences are the word set of any sentence of the corpus
  (:func:`samples_in_corpus`).
"""

from __future__ import annotations

import numpy as np

from derivations.lime.experiment import explain_many
from derivations.lime.method import cosine_distance, kernel, weighted_least_squares

WIDTHS = tuple(float(s) for s in np.geomspace(0.02, 8.0, 14))  # the kernel widths of the sweep
LIMIT_WIDTH = WIDTHS[0]  # the smallest: there the weights are the leave-one-out effects
SPREAD_NS = (100, 300, 1000, 3000)  # numbers of samples of the seed study ...
SPREAD_SEEDS = 20  # ... each run with this many seeds ...
SPREAD_SEED = 500  # ... seeds SPREAD_SEED, SPREAD_SEED + 1, ...


def leave_one_out(model, n_features: int) -> np.ndarray:
    """f(x) - f(x without word j) for each word j: the exact effect of deleting one word."""
    y = model(np.vstack([np.ones((1, n_features)), 1.0 - np.eye(n_features)]))
    return y[0] - y[1:]


def width_sweep(fit, widths=WIDTHS) -> np.ndarray:
    """(len(widths), d') LIME weights of the same samples ``fit.Z, fit.y`` re-weighted for each
    kernel width on the cosine distance."""
    D = cosine_distance(fit.Z)
    return np.array([weighted_least_squares(fit.Z, fit.y, kernel(D, s))[1] for s in widths])


def seed_spread(model, kernel_width: float, ns=SPREAD_NS, seeds: int = SPREAD_SEEDS):
    """(len(ns), seeds, d') weights of LIME rerun with seeds SPREAD_SEED + s for each N."""
    seed_list = [SPREAD_SEED + s for s in range(seeds)]
    return np.array([[fit.coef for fit in explain_many([model] * seeds, N, kernel_width, seed_list)] for N in ns])


def rms_spread(weights: np.ndarray) -> np.ndarray:
    """sqrt(mean over words of the variance across seeds), one value per N: (len(ns),)."""
    return np.sqrt(np.mean(np.var(weights, axis=1, ddof=1), axis=-1))


def samples_in_corpus(Z, words, texts, analyzer) -> int:
    """How many rows of Z (kept words) are the word set of some sentence of ``texts``."""
    corpus = {frozenset(analyzer(t)) for t in texts}
    return sum(frozenset(w for w, keep in zip(words, z) if keep) in corpus for z in np.asarray(Z))


def limits_experiment(text, texts, analyzer):
    """The three studies on the explained sentence of :func:`derivations.lime.experiment.text_experiment`."""
    fit, model = text["fit"], text["model"]
    d = len(model.words)
    spread = seed_spread(model, text["kernel_width"])
    return {
        "widths": WIDTHS,
        "limit_width": LIMIT_WIDTH,
        "width_coef": width_sweep(fit),
        "loo": leave_one_out(model, d),
        "spread_ns": SPREAD_NS,
        "spread_seeds": SPREAD_SEEDS,
        "spread_weights": spread,
        "rms_spread": rms_spread(spread),
        "in_corpus_perturbed": samples_in_corpus(fit.Z[1:], model.words, texts, analyzer),
    }
