"""Problem 12's experiments: LIME on a text classifier and on an image classifier.

Text: a random forest on TF-IDF features (a genuine black box: it has no coefficients LIME could
merely recover), trained on the shipped corpus ``data/lime/corpus.tsv`` (astronomy versus
medicine, with a planted sign-off artifact).  The interpretable features of a sentence are its
distinct words (present / removed, every occurrence).  Faithfulness is measured against the forest
itself: the drop in its probability when the K words LIME ranks first are deleted, against the
mean drop over every set of K of the sentence's words (:func:`text_deletion`).
Images: a one-hidden-layer perceptron (32 ReLU units) on scikit-learn's bundled 8x8 digits; the
interpretable features are the sixteen 2x2 blocks of the image (kept / set to background 0).
Faithfulness: the deletion curve (the class probability as the blocks that contain ink are removed
one at a time) and its area, in LIME's order against random orders of the same ink blocks.
Both models are wrapped as ``predict(masks) -> probability`` and explained by
:func:`derivations.lime.method.explain_full`; the seeded runs' numbers and figures are what the
report shows.
"""

from __future__ import annotations

import csv
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from derivations.lime.method import explain_full, perturb, submodular_pick

CORPUS = Path(__file__).resolve().parents[2] / "data" / "lime" / "corpus.tsv"  # the repository's data/
TOKEN_PATTERN = r"(?u)\b\w+\b"
N_TRAIN = 300
TEXT_CLASSES = ("astronomy", "medicine")
TEXT_NUM_SAMPLES = 2000  # N of the explained sentence
KERNEL_WIDTH = 0.25  # sigma of the text kernel, on the cosine distance
SEED = 12  # seed of LIME's sampling in both experiments
CLASSIFIER_SEED = 0  # seed of both classifiers' training
N_TREES = 100  # trees of the text random forest
MAX_ITER = 1000  # iteration cap of the perceptron's solver
SP_SENTENCES = 20  # SP-LIME explains this many held-out sentences ...
SP_NUM_SAMPLES = 500  # ... with this many samples each ...
SP_K = 4  # ... and K = SP_K words (K-Lasso) ...
SP_BUDGET = 3  # ... and picks B = SP_BUDGET of them
DELETION_NUM_SAMPLES = 500  # N of each explanation in the text deletion test ...
DELETION_K = (1, 2, 3)  # ... which deletes this many words ...
DELETION_SEED = 1000  # ... with sentence r explained at seed DELETION_SEED + r


# --------------------------------------------------------------------------- text


def load_corpus(path: Path = CORPUS):
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [r["text"] for r in rows], np.array([int(r["label"]) for r in rows])


def train_text_classifier(seed: int = CLASSIFIER_SEED):
    """(vectorizer, classifier, texts, labels, test accuracy): a random forest on TF-IDF features,
    vectorizer and forest fitted on the first N_TRAIN rows only."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts, labels = load_corpus()
    vec = TfidfVectorizer(token_pattern=TOKEN_PATTERN).fit(texts[:N_TRAIN])
    X = vec.transform(texts)
    clf = RandomForestClassifier(n_estimators=N_TREES, random_state=seed, n_jobs=1)
    clf.fit(X[:N_TRAIN], labels[:N_TRAIN])
    acc = float(clf.score(X[N_TRAIN:], labels[N_TRAIN:]))
    return vec, clf, texts, labels, acc


class TextMaskModel:
    """predict(masks) for one sentence: a masked-out word is removed everywhere it occurs, and the
    shortened sentence's TF-IDF vector (counts times idf, unit length) goes to the classifier."""

    def __init__(self, vectorizer, classifier, text: str, label: int):
        tokens = vectorizer.build_analyzer()(text)
        self.words = list(dict.fromkeys(tokens))
        vocab = vectorizer.vocabulary_
        self.M = np.zeros((len(self.words), len(vocab)))  # row j: word j's counts times idf
        for t in tokens:
            if t in vocab:
                self.M[self.words.index(t), vocab[t]] += vectorizer.idf_[vocab[t]]
        self.classifier, self.label = classifier, label

    def features(self, Z) -> np.ndarray:
        """The TF-IDF rows of the shortened sentences, one per mask row."""
        A = np.asarray(Z, dtype=float) @ self.M  # one word per column of M: each entry is one product, exact
        norm = np.sqrt(np.sum(A * A, axis=1))
        return A / np.where(norm > 0, norm, 1.0)[:, None]

    def __call__(self, Z):
        return self.classifier.predict_proba(self.features(Z))[:, self.label]


def batch_predict(models, masks) -> list:
    """``[model(Z) for model, Z in zip(models, masks)]`` with one call of the shared classifier.

    A forest's probability of a row depends on that row alone, so the rows come out bit for bit as
    in separate calls; one call saves the classifier's per-call overhead (a hundred trees each)."""
    P = models[0].classifier.predict_proba(np.vstack([m.features(Z) for m, Z in zip(models, masks)]))
    ends = np.cumsum([len(Z) for Z in masks])
    return [P[end - len(Z) : end, m.label] for m, Z, end in zip(models, masks, ends)]


class Replay:
    """A ``predict`` for :func:`explain_full` that returns probabilities computed beforehand for
    the very masks that its seed draws (refusing any other masks)."""

    def __init__(self, masks: np.ndarray, y: np.ndarray):
        self.masks, self.y = masks, y

    def __call__(self, Z):
        if not np.array_equal(Z, self.masks):  # 0/1 arrays: exact
            raise ValueError("Problem 12 (LIME): Replay was asked for masks it was not computed on")
        return self.y


def explain_many(models, num_samples: int, kernel_width: float, seeds, **kwargs) -> list:
    """:func:`explain_full` for each model at its seed, the classifier called once for all."""
    masks = [perturb(len(m.words), num_samples, np.random.default_rng(s)) for m, s in zip(models, seeds)]
    ys = batch_predict(models, masks)
    return [explain_full(Replay(Z, y), len(m.words), num_samples, kernel_width, s, **kwargs)
            for m, Z, y, s in zip(models, masks, ys, seeds)]


def subsets_masks(d: int, K: int) -> np.ndarray:
    """Every mask of d features with exactly K switched off, in itertools' order, (C(d, K), d)."""
    combos = list(itertools.combinations(range(d), K))
    Z = np.ones((len(combos), d))
    for row, S in zip(Z, combos):
        row[list(S)] = 0.0
    return Z


def text_deletion(vec, clf, texts, labels, num_samples: int = DELETION_NUM_SAMPLES):
    """For each held-out sentence: LIME (K-Lasso off) explains the forest's probability of its
    predicted class; the K words with the largest weights are deleted, K in DELETION_K, and the drop
    in that probability is set against the mean drop over every set of K of its words."""
    test = range(N_TRAIN, len(texts))
    predicted = np.argmax(clf.predict_proba(vec.transform([texts[i] for i in test])), axis=1)
    models = [TextMaskModel(vec, clf, texts[i], int(c)) for i, c in zip(test, predicted)]
    fits = explain_many(models, num_samples, KERNEL_WIDTH, [DELETION_SEED + r for r in range(len(models))])
    masks = []
    for m, fit in zip(models, fits):
        d, order = len(m.words), np.argsort(-fit.coef)
        tops = np.ones((len(DELETION_K), d))
        for row, K in zip(tops, DELETION_K):
            row[order[:K]] = 0.0
        masks.append(np.vstack([np.ones((1, d)), tops, *(subsets_masks(d, K) for K in DELETION_K)]))
    rows = []
    for i, m, fit, y in zip(test, models, fits, batch_predict(models, masks)):
        p, y_top, y_rand = y[0], y[1 : 1 + len(DELETION_K)], y[1 + len(DELETION_K) :]
        sizes = [len(subsets_masks(len(m.words), K)) for K in DELETION_K]
        rows.append({
            "index": i, "label": m.label, "p": float(p), "coef": fit.coef, "words": m.words,
            "drop_top": p - y_top,
            "drop_random": np.array([p - part.mean() for part in np.split(y_rand, np.cumsum(sizes)[:-1])]),
        })
    return rows


def text_experiment(num_samples: int = TEXT_NUM_SAMPLES, kernel_width: float = KERNEL_WIDTH, seed: int = SEED):
    vec, clf, texts, labels, acc = train_text_classifier()
    test = range(N_TRAIN, len(texts))
    # the explained sentence: the longest test sentence of class "medicine" that has the sign-off
    idx = max((i for i in test if labels[i] == 1 and "regards" in texts[i]), key=lambda i: (len(texts[i]), -i))
    model = TextMaskModel(vec, clf, texts[idx], 1)
    fit = explain_full(model, len(model.words), num_samples, kernel_width, seed)
    order = np.argsort(-np.abs(fit.coef))
    rank_regards = int(np.flatnonzero(np.array(model.words)[order] == "regards")[0]) + 1
    # SP-LIME over the first test sentences, K = 4 words each, explaining P(medicine)
    sp_texts = [texts[i] for i in list(test)[:SP_SENTENCES]]
    vocab_words = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
    W = np.zeros((len(sp_texts), len(vocab_words)))
    sp_models = [TextMaskModel(vec, clf, t, 1) for t in sp_texts]
    sp_fits = explain_many(sp_models, SP_NUM_SAMPLES, kernel_width, [seed + r for r in range(len(sp_texts))],
                           n_select=SP_K)
    for r, (m, e) in enumerate(zip(sp_models, sp_fits)):
        for j in e.selected:
            W[r, vec.vocabulary_[m.words[j]]] = e.coef[j]
    picked, importance = submodular_pick(W, SP_BUDGET)
    return {
        "accuracy": acc,
        "n_train": N_TRAIN,
        "n_test": len(texts[N_TRAIN:]),
        "n_trees": N_TREES,
        "text": texts[idx],
        "label": TEXT_CLASSES[1],
        "probability": float(model(np.ones((1, len(model.words))))[0]),
        "words": model.words,
        "coef": fit.coef,
        "intercept": fit.intercept,
        "score": fit.score,
        "order": order,
        "rank_regards": rank_regards,
        "fit": fit,
        "model": model,
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
        "deletion": text_deletion(vec, clf, texts, labels),
        "deletion_k": DELETION_K,
        "deletion_num_samples": DELETION_NUM_SAMPLES,
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
N_RANDOM_ORDERS = 200  # random orders of the ink blocks averaged for the baseline deletion curve
N_AUC_DIGITS = 40  # the deletion curves are also compared on this many held-out digits (top class)


def block_segments(side: int = 8, block: int = BLOCK) -> np.ndarray:
    """(side, side) map of super-pixel ids: square blocks in row-major order."""
    r, c = np.indices((side, side)) // block
    return r * (side // block) + c


def ink_blocks(image: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """The super-pixels that contain ink: at least one pixel above the background value 0."""
    return np.flatnonzero(np.bincount(segments.ravel(), weights=(np.asarray(image).ravel() > 0)) > 0)


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


def deletion_masks(order, n_features: int) -> np.ndarray:
    """Row k switches off the first k features of ``order``, k = 0..len(order)."""
    Z = np.ones((len(order) + 1, n_features))
    for k in range(1, len(order) + 1):
        Z[k, np.asarray(order)[:k]] = 0.0
    return Z


def deletion_curves(model, coef, ink, n_features: int, rng):
    """(area in LIME's order, mean area over N_RANDOM_ORDERS random orders, LIME's curve): the
    area is the mean class probability over the deletion curve's len(ink) + 1 points."""
    ink = np.asarray(ink)
    order = ink[np.argsort(-np.asarray(coef)[ink], kind="stable")]
    lime_curve = model(deletion_masks(order, n_features))
    Zr = np.vstack([deletion_masks(rng.permutation(ink), n_features) for _ in range(N_RANDOM_ORDERS)])
    return float(lime_curve.mean()), float(model(Zr).mean()), lime_curve


@dataclass(frozen=True)
class DigitExplanation:
    index: int
    image: np.ndarray
    true: int
    label: int
    probability: float
    weight_map: np.ndarray  # (8, 8): each pixel carries its block's LIME weight
    score: float
    auc_lime: float  # mean probability over the deletion curve, ink blocks in LIME's order
    auc_random: float  # the same, averaged over random orders of the ink blocks
    n_ink: int  # blocks that contain ink
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
        ink = ink_blocks(X[idx], seg)
        for label in np.argsort(-proba)[:N_CLASSES_EXPLAINED]:
            model = ImageMaskModel(clf, X[idx], seg, int(label))
            fit = explain_full(model, n_seg, num_samples, float(width), seed, distance="l2")
            auc_lime, auc_random, _ = deletion_curves(model, fit.coef, ink, n_seg, rng)
            out.append(
                DigitExplanation(idx, X[idx].reshape(8, 8), int(y[idx]), int(label), float(proba[label]),
                                 fit.coef[seg], fit.score, auc_lime, auc_random, len(ink), fit.coef)
            )
    # the same comparison on the first held-out digits, each for its most probable class
    many = []
    for r, idx in enumerate(range(N_DIGIT_TRAIN, N_DIGIT_TRAIN + N_AUC_DIGITS)):
        label = int(np.argmax(clf.predict_proba(X[idx : idx + 1])[0]))
        model = ImageMaskModel(clf, X[idx], seg, label)
        fit = explain_full(model, n_seg, num_samples, float(width), seed + r, distance="l2")
        auc_lime, auc_random, _ = deletion_curves(model, fit.coef, ink_blocks(X[idx], seg), n_seg, rng)
        many.append({"index": idx, "label": label, "coef": fit.coef, "auc_lime": auc_lime, "auc_random": auc_random})
    return {"accuracy": acc, "explanations": out, "kernel_width": float(width), "num_samples": num_samples,
            "n_segments": n_seg, "hidden": MLP_HIDDEN, "n_random": N_RANDOM_ORDERS, "classifier": clf,
            "n_train": N_DIGIT_TRAIN, "n_test": len(y[N_DIGIT_TRAIN:]), "many": many}
