"""Problem 11, the data and the language model: a small corpus, a trigram LM and its context keys.

The corpus is generated with a fixed seed from the invented world in ``data/knn_lm/world.json``
(people with a birthplace, a trade, a favourite food and an instrument, stated in a few
templates, mixed with filler sentences).  A fact such as "ada was born in lisbon" is decided
by a word four or more tokens back, out of reach of a trigram model: exactly the kind of rare,
memorisable pattern a datastore of training contexts can recall.

* :class:`TrigramLM` -- interpolated absolute discounting (D = 0.75) over trigram, bigram and an
  add-one unigram; every conditional distribution sums to one.
* :func:`context_keys` -- the fixed-dimensional context representation f(c_t): a seeded random
  projection of the last ``J`` words, position j weighted by gamma^j (an n-gram-hashing
  embedding).  It plays the role of the paper's final-layer input.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["WORLD", "Corpus", "make_corpus", "TrigramLM", "context_keys"]

WORLD = Path(__file__).resolve().parents[2] / "data" / "knn_lm" / "world.json"  # the repository's data/
ATTRIBUTES = ("city", "job", "food", "instrument")

# Settings of the generated text and of the context keys.
MENTIONS = (3, 6)  # each person's fact is stated 3 to 5 times in the training text
N_FILLER = 1200  # filler sentences in the training text
N_HELDOUT_FACTS = 100  # fact sentences in each of the validation and test texts
N_HELDOUT_FILLER = 80  # filler sentences in each of the validation and test texts
KEY_SEED = 1  # seed of the random tables R_j of the context keys


@dataclass(frozen=True)
class Corpus:
    """Token streams (lists of words) and the vocabulary (sorted, index = word id)."""

    train: tuple
    valid: tuple
    test: tuple
    vocab: tuple

    def ids(self, tokens) -> np.ndarray:
        index = {w: i for i, w in enumerate(self.vocab)}
        return np.array([index[w] for w in tokens], dtype=np.int64)


def _fill(template: str, values: dict) -> list[str]:
    return template.format(**values).split()


def make_corpus(seed: int, mentions=MENTIONS, n_filler: int = N_FILLER, n_heldout_facts: int = N_HELDOUT_FACTS,
                n_heldout_filler: int = N_HELDOUT_FILLER, path: Path = WORLD) -> Corpus:
    """Training text states each person's four facts 3-5 times; held-out text restates facts.

    Validation and test each hold ``n_heldout_facts`` fact sentences (random person, attribute and
    template, so some pairings are new) and ``n_heldout_filler`` filler sentences.
    """
    world = json.loads(path.read_text())
    rng = np.random.default_rng(seed)
    facts = {p: {a: world[a][rng.integers(len(world[a]))] for a in ATTRIBUTES} for p in world["people"]}
    filler = world["filler"]

    def fact_sentence(person, attribute):
        templates = world["templates"][attribute]
        template = templates[rng.integers(len(templates))]
        return _fill(template, {"p": person, **facts[person]})

    def filler_sentence():
        template = filler["templates"][rng.integers(len(filler["templates"]))]
        values = {k: v[rng.integers(len(v))] for k, v in filler.items() if k != "templates"}
        values["job"] = world["job"][rng.integers(len(world["job"]))]
        values["city"] = world["city"][rng.integers(len(world["city"]))]
        return _fill(template, values)

    sentences = []
    for person in world["people"]:
        for attribute in ATTRIBUTES:
            for _ in range(int(rng.integers(*mentions))):
                sentences.append(fact_sentence(person, attribute))
    sentences += [filler_sentence() for _ in range(n_filler)]
    order = rng.permutation(len(sentences))
    train = [w for i in order for w in sentences[i]]

    def heldout():
        sents = []
        for _ in range(n_heldout_facts):
            person = world["people"][rng.integers(len(world["people"]))]
            sents.append(fact_sentence(person, ATTRIBUTES[rng.integers(len(ATTRIBUTES))]))
        sents += [filler_sentence() for _ in range(n_heldout_filler)]
        return [w for i in rng.permutation(len(sents)) for w in sents[i]]

    valid, test = heldout(), heldout()
    vocab = tuple(sorted(set(train) | set(valid) | set(test)))
    return Corpus(tuple(train), tuple(valid), tuple(test), vocab)


class TrigramLM:
    """Interpolated absolute discounting, trigram -> bigram -> add-one unigram.

    p(w | u, v) = max(c(uvw) - D, 0)/c(uv.) + D n(uv.)/c(uv.) p(w | v), and the same one order
    down; a context never seen falls back to the lower order.  ``n(uv.)`` is the number of distinct
    words seen after ``uv``.  Trained on a stream of word ids.
    """

    def __init__(self, ids: np.ndarray, vocab_size: int, discount: float = 0.75):
        self.V, self.D = int(vocab_size), float(discount)
        ids = np.asarray(ids, dtype=np.int64)
        V = self.V
        self.uni = np.bincount(ids, minlength=V).astype(float)
        self.bi = np.zeros((V, V))
        np.add.at(self.bi, (ids[:-1], ids[1:]), 1.0)
        self.tri: dict = {}
        for u, v, w in zip(ids[:-2].tolist(), ids[1:-1].tolist(), ids[2:].tolist()):
            row = self.tri.setdefault((u, v), np.zeros(V))
            row[w] += 1.0

    def unigram(self) -> np.ndarray:
        return (self.uni + 1.0) / (self.uni.sum() + self.V)

    def distribution(self, u: int, v: int) -> np.ndarray:
        """p(. | u, v) over the vocabulary, shape (V,): :meth:`distributions` for one context."""
        return self.distributions(np.array([u, v]), np.array([1]))[0]

    def distributions(self, ids: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """p(. | w_{t-1}, w_t) for each position t of ``ids``, shape (len(positions), V)."""
        positions = np.asarray(positions, dtype=np.int64)
        u, v = np.asarray(ids)[positions - 1], np.asarray(ids)[positions]
        unseen = np.zeros(self.V)
        p_bi = self._smooth_rows(self.bi[v], self.unigram()[None, :])
        tri = np.array([self.tri.get(c, unseen) for c in zip(u.tolist(), v.tolist())]).reshape(len(positions), self.V)
        return self._smooth_rows(tri, p_bi)

    def _smooth_rows(self, counts: np.ndarray, lower: np.ndarray) -> np.ndarray:
        """Each row of ``counts`` discounted and interpolated with ``lower`` (the class docstring's
        formula); rows never seen keep ``lower``."""
        total = counts.sum(axis=1, keepdims=True)
        seen = np.count_nonzero(counts, axis=1)[:, None]
        safe = np.where(total == 0, 1.0, total)
        smoothed = np.maximum(counts - self.D, 0.0) / safe + self.D * seen / safe * lower
        return np.where(total == 0, lower, smoothed)


def context_keys(ids: np.ndarray, positions: np.ndarray, vocab_size: int, dim: int, window: int,
                 decay: float, scale: float, seed: int = KEY_SEED) -> np.ndarray:
    """f(c_t) = scale * sum_{j<window} decay^j R_j[w_{t-j}], R_j seeded N(0, 1/dim) tables; float32.

    Positions before the start of the stream contribute nothing.  Returns (len(positions), dim).
    """
    rng = np.random.default_rng(seed)
    tables = rng.standard_normal((window, vocab_size, dim)) / np.sqrt(dim)
    positions = np.asarray(positions, dtype=np.int64)
    keys = np.zeros((len(positions), dim))
    for j in range(window):
        back = positions - j
        ok = back >= 0
        keys[ok] += decay**j * tables[j, ids[back[ok]]]
    return (scale * keys).astype(np.float32)
