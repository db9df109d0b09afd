"""Problem 12's experiments: LIME on a text classifier and on an image classifier.

Text: logistic regression on binary bag-of-words, trained on the shipped corpus
``data/lime/corpus.tsv`` (astronomy versus medicine, with a planted sign-off artifact); the
interpretable features of a sentence are its distinct words (present / removed).
Images: a one-hidden-layer perceptron (32 ReLU units) on scikit-learn's bundled 8x8 digits; the
interpretable features are the sixteen 2x2 blocks of the image (kept / set to background 0).
Both models are wrapped as ``predict(masks) -> probability`` and explained by
:func:`derivations.lime.method.explain_full`; the seeded runs' numbers and figures are what the
report shows.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from derivations.lime.method import explain_full, submodular_pick

CORPUS = Path(__file__).resolve().parents[2] / "data" / "lime" / "corpus.tsv"  # the repository's data/
TOKEN_PATTERN = r"(?u)\b\w+\b"
N_TRAIN = 300
TEXT_CLASSES = ("astronomy", "medicine")
TEXT_NUM_SAMPLES = 2000  # N of the explained sentence
KERNEL_WIDTH = 0.25  # sigma of the text kernel, on the cosine distance
SEED = 12  # seed of LIME's sampling in both experiments
CLASSIFIER_SEED = 0  # seed of both classifiers' training
TEXT_C = 1.0  # inverse L2 penalty of the logistic regression
MAX_ITER = 1000  # iteration cap of both classifiers' solvers
SP_SENTENCES = 20  # SP-LIME explains this many held-out sentences ...
SP_NUM_SAMPLES = 500  # ... with this many samples each ...
SP_K = 4  # ... and K = SP_K words (K-Lasso) ...
SP_BUDGET = 3  # ... and picks B = SP_BUDGET of them


# --------------------------------------------------------------------------- text


def load_corpus(path: Path = CORPUS):
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [r["text"] for r in rows], np.array([int(r["label"]) for r in rows])


def train_text_classifier(seed: int = CLASSIFIER_SEED):
    """(vectorizer, classifier, texts, labels, test accuracy); the first N_TRAIN rows train."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    texts, labels = load_corpus()
    vec = CountVectorizer(binary=True, token_pattern=TOKEN_PATTERN)
    X = vec.fit_transform(texts)
    clf = LogisticRegression(C=TEXT_C, max_iter=MAX_ITER, random_state=seed)
    clf.fit(X[:N_TRAIN], labels[:N_TRAIN])
    acc = float(clf.score(X[N_TRAIN:], labels[N_TRAIN:]))
    return vec, clf, texts, labels, acc


class TextMaskModel:
    """predict(masks) for one sentence: a masked-out word is removed everywhere it occurs."""

    def __init__(self, vectorizer, classifier, text: str, label: int):
        self.words = list(dict.fromkeys(vectorizer.build_analyzer()(text)))
        vocab = vectorizer.vocabulary_
        self.M = np.zeros((len(self.words), len(vocab)))
        for j, w in enumerate(self.words):
            if w in vocab:
                self.M[j, vocab[w]] = 1.0
        self.classifier, self.label = classifier, label

    def __call__(self, Z):
        return self.classifier.predict_proba(np.asarray(Z) @ self.M)[:, self.label]


def text_experiment(num_samples: int = TEXT_NUM_SAMPLES, kernel_width: float = KERNEL_WIDTH, seed: int = SEED):
    vec, clf, texts, labels, acc = train_text_classifier()
    test = range(N_TRAIN, len(texts))
    # the explained sentence: the longest test sentence of class "medicine" that has the sign-off
    idx = max((i for i in test if labels[i] == 1 and "regards" in texts[i]), key=lambda i: (len(texts[i]), -i))
    model = TextMaskModel(vec, clf, texts[idx], 1)
    fit = explain_full(model, len(model.words), num_samples, kernel_width, seed)
    order = np.argsort(-np.abs(fit.coef))
    # the classifier's own weight for the sign-off (a linear model: the LIME weight should follow it)
    coef_regards = float(clf.coef_[0, vec.vocabulary_["regards"]])
    rank_regards = int(np.flatnonzero(np.array(model.words)[order] == "regards")[0]) + 1
    # SP-LIME over the first test sentences, K = 4 words each
    sp_texts = [texts[i] for i in list(test)[:SP_SENTENCES]]
    vocab_words = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
    W = np.zeros((len(sp_texts), len(vocab_words)))
    for r, t in enumerate(sp_texts):
        m = TextMaskModel(vec, clf, t, 1)
        e = explain_full(m, len(m.words), SP_NUM_SAMPLES, kernel_width, seed + r, n_select=SP_K)
        for j in e.selected:
            W[r, vec.vocabulary_[m.words[j]]] = e.coef[j]
    picked, importance = submodular_pick(W, SP_BUDGET)
    return {
        "accuracy": acc,
        "n_train": N_TRAIN,
        "n_test": len(texts[N_TRAIN:]),
        "text": texts[idx],
        "label": TEXT_CLASSES[1],
        "probability": float(model(np.ones((1, len(model.words))))[0]),
        "words": model.words,
        "coef": fit.coef,
        "intercept": fit.intercept,
        "score": fit.score,
        "order": order,
        "rank_regards": rank_regards,
        "coef_regards": coef_regards,
        "fit": fit,
        "sp_W": W,
        "sp_texts": sp_texts,
        "sp_picked": picked,
        "sp_importance": importance,
        "sp_vocab": vocab_words,
        "num_samples": num_samples,
        "kernel_width": kernel_width,
        "sp_sentences": SP_SENTENCES,
        "sp_k": SP_K,
        "sp_budget": SP_BUDGET,
        "classifier": clf,
        "vectorizer": vec,
    }


# --------------------------------------------------------------------------- images

BLOCK = 2  # super-pixels: BLOCK x BLOCK squares of the 8x8 image
DIGIT_INDICES = (1606, 1615)  # the explained held-out digits: a hesitant three, a zero taken for a six
N_DIGIT_TRAIN = 1300  # the first images train the perceptron, the rest test it
MLP_ALPHA = 1e-3  # L2 penalty of the perceptron
MLP_HIDDEN = 32  # ReLU units of the perceptron's hidden layer
N_CLASSES_EXPLAINED = 2  # each digit is explained for its most probable classes
DIGIT_NUM_SAMPLES = 1000  # N of each digit explanation
DIGIT_KERNEL_WIDTH = 3.0  # sigma on the L2 mask distance, which ranges over [0, sqrt(16)] = [0, 4]
N_DROP = 3  # blocks removed in the deletion test (top-weight ones, or random ones)
N_RANDOM_DRAWS = 200  # random block sets averaged for the baseline drop


def block_segments(side: int = 8, block: int = BLOCK) -> np.ndarray:
    """(side, side) map of super-pixel ids: square blocks in row-major order."""
    r, c = np.indices((side, side)) // block
    return r * (side // block) + c


def train_digit_classifier(seed: int = CLASSIFIER_SEED):
    from sklearn.datasets import load_digits
    from sklearn.neural_network import MLPClassifier

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    clf = MLPClassifier(hidden_layer_sizes=(MLP_HIDDEN,), alpha=MLP_ALPHA, max_iter=MAX_ITER, random_state=seed)
    clf.fit(X[:N_DIGIT_TRAIN], y[:N_DIGIT_TRAIN])
    return clf, X, y, float(clf.score(X[N_DIGIT_TRAIN:], y[N_DIGIT_TRAIN:]))


class ImageMaskModel:
    """predict(masks) for one image: a removed super-pixel is set to the background value 0."""

    def __init__(self, classifier, image: np.ndarray, segments: np.ndarray, label: int):
        self.classifier, self.image, self.label = classifier, image.ravel(), label
        self.onehot = (segments.ravel()[None, :] == np.arange(segments.max() + 1)[:, None]).astype(float)

    def __call__(self, Z):
        keep = np.asarray(Z) @ self.onehot  # (n, 64): 1 where the pixel's block is kept
        return self.classifier.predict_proba(keep * self.image)[:, self.label]


@dataclass(frozen=True)
class DigitExplanation:
    index: int
    image: np.ndarray
    true: int
    label: int
    probability: float
    weight_map: np.ndarray  # (8, 8): each pixel carries its block's LIME weight
    score: float
    drop_top: float  # probability drop when the N_DROP most positive blocks are removed
    drop_random: float  # mean drop when N_DROP random blocks are removed
    coef: np.ndarray  # (blocks,): the LIME weight of each block


def digit_experiment(indices=DIGIT_INDICES, num_samples: int = DIGIT_NUM_SAMPLES, seed: int = SEED):
    clf, X, y, acc = train_digit_classifier()
    seg = block_segments()
    n_seg = int(seg.max()) + 1
    width = DIGIT_KERNEL_WIDTH
    rng = np.random.default_rng(seed)
    out = []
    for idx in indices:
        proba = clf.predict_proba(X[idx : idx + 1])[0]
        for label in np.argsort(-proba)[:N_CLASSES_EXPLAINED]:
            model = ImageMaskModel(clf, X[idx], seg, int(label))
            fit = explain_full(model, n_seg, num_samples, float(width), seed, distance="l2")
            top = np.argsort(-fit.coef)[:N_DROP]
            z = np.ones((1, n_seg))
            z[0, top] = 0
            drop_top = float(proba[label] - model(z)[0])
            Zr = np.ones((N_RANDOM_DRAWS, n_seg))
            for row in Zr:
                row[rng.choice(n_seg, N_DROP, replace=False)] = 0
            drop_random = float(proba[label] - model(Zr).mean())
            out.append(
                DigitExplanation(idx, X[idx].reshape(8, 8), int(y[idx]), int(label), float(proba[label]),
                                 fit.coef[seg], fit.score, drop_top, drop_random, fit.coef)
            )
    return {"accuracy": acc, "explanations": out, "kernel_width": float(width), "num_samples": num_samples,
            "n_segments": n_seg, "hidden": MLP_HIDDEN, "n_drop": N_DROP, "n_random": N_RANDOM_DRAWS, "classifier": clf,
            "n_train": N_DIGIT_TRAIN, "n_test": len(y[N_DIGIT_TRAIN:])}
