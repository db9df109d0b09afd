"""Problem 11, the text: the docstrings of the Python standard library, as word ids.

The corpus file ``data/knn_lm/docstrings.txt.gz`` (one docstring per line, lower-cased) was
written once by ``scripts/extract_docstrings.py`` and ships with the repository, so the text does
not depend on the Python that runs the build.  :func:`load_corpus` splits it into words and
punctuation marks (:data:`TOKEN`), caps the vocabulary at the ``vocab_size - 2`` most frequent
training words (the rest become ``<unk>``; ``<s>`` marks the start of each docstring), and
splits docstrings, not words, into training, validation and test text: docstring i goes to
validation when i mod 10 = 8, to test when i mod 10 = 9, and to training otherwise.
"""

from __future__ import annotations

import gzip
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["TEXT", "TOKEN", "BOS", "UNK", "Corpus", "load_corpus", "tokenize"]

TEXT = Path(__file__).resolve().parents[2] / "data" / "knn_lm" / "docstrings.txt.gz"  # the repository's data/
TOKEN = re.compile(r"[a-z_]+|[0-9]+|[.,:;()=]")  # words, numbers and a few punctuation marks
BOS, UNK = "<s>", "<unk>"
SPLIT_EVERY, VALID_AT, TEST_AT = 10, 8, 9  # docstring i: validation if i % 10 == 8, test if 9


def tokenize(line: str) -> list[str]:
    """``"Return the value (a str)."`` -> ``['return', 'the', 'value', '(', 'a', 'str', ')', '.']``."""
    return TOKEN.findall(line.lower())


@dataclass(frozen=True)
class Corpus:
    """Word-id streams of the three texts (each docstring preceded by ``<s>``) and the vocabulary
    (index = word id: ``<s>``, ``<unk>``, then training words by falling frequency, ties
    alphabetically)."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    vocab: tuple

    def words(self, ids) -> list[str]:
        return [self.vocab[int(i)] for i in ids]


def load_corpus(vocab_size: int, path: Path = TEXT) -> Corpus:
    """The three texts as int64 word-id arrays with a vocabulary of ``vocab_size`` entries."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        docs = [tokenize(line) for line in fh.read().splitlines()]
    parts = {"train": [], "valid": [], "test": []}
    for i, doc in enumerate(docs):
        split = {VALID_AT: "valid", TEST_AT: "test"}.get(i % SPLIT_EVERY, "train")
        parts[split].append(doc)
    counts = Counter(w for doc in parts["train"] for w in doc)
    ranked = sorted(counts, key=lambda w: (-counts[w], w))[: vocab_size - 2]
    vocab = (BOS, UNK, *ranked)
    index = {w: i for i, w in enumerate(vocab)}
    unk = index[UNK]

    def stream(docs_):
        return np.array([i for doc in docs_ for i in (index[BOS], *(index.get(w, unk) for w in doc))], dtype=np.int64)

    return Corpus(stream(parts["train"]), stream(parts["valid"]), stream(parts["test"]), vocab)
