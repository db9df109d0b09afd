"""Problem 12's checks of the faithfulness and limitation results, each by another route.

- ``p12.text_deletion``: every printed drop of the random forest's probability recomputed by
  deleting the words from the sentence's text and vectorising it again (the experiment goes through
  masks on TF-IDF rows); the random baseline by every K-subset of the words; each decision (the
  predicted class, LIME's top K, top against random) clear of round-off.
- ``p12.width_limit``: the weighted least-squares fit at the smallest width, solved by
  scikit-learn, against leave-one-word-out effects computed from shortened texts, within a
  perturbation bound derived from the kernel weights.
- ``p12.seed_spread``: the asymptotic variance of LIME's weights (the sandwich formula of weighted
  least squares) computed exactly, summing over all 2^d' masks with their sampling probabilities,
  against N times the measured spread across seeds, within four standard errors of that spread.
- ``p12.off_data``: the count of perturbed sentences found in the corpus, by comparing binary
  count vectors.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import sympy as sp

from derivations.ledger import numeric_claim
from derivations.lime.experiment import load_corpus

__all__ = ["check_text_deletion", "check_width_limit", "check_seed_spread", "check_off_data", "sampling_law"]

EPS = np.finfo(float).eps
MARGIN = 1e-9  # relative gap every decision on floats must clear (argmax, top K, a comparison)


def _shortened(tokens, removed) -> str:
    return " ".join(t for t in tokens if t not in removed)


def _proba(vec, clf, strings, label) -> np.ndarray:
    return clf.predict_proba(vec.transform(list(strings)))[:, label]


def _top_k_clear(coef, K) -> bool:
    """The K largest values of ``coef`` are separated from the rest by a relative MARGIN."""
    s = np.sort(np.asarray(coef))[::-1]
    return K >= len(s) or s[K - 1] - s[K] >= MARGIN * float(np.max(np.abs(s)))


def check_text_deletion(statement, deletion, text, top_words, vectorizer_classifier):
    vec, clf = vectorizer_classifier
    texts, labels = load_corpus()
    analyzer = vec.build_analyzer()
    faults = []
    ks = deletion["k"]
    strings, spans = [], []  # every shortened sentence, one classifier call for all
    for r in deletion["rows"]:
        proba = clf.predict_proba(vec.transform([texts[r["index"]]]))[0]
        if int(np.argmax(proba)) != r["label"] or abs(proba[0] - proba[1]) < MARGIN:
            faults.append(f"sentence {r['index']}: predicted class {r['label']} not clear")
        tokens = analyzer(texts[r["index"]])
        words = list(dict.fromkeys(tokens))
        if words != list(r["words"]):
            faults.append(f"sentence {r['index']}: words differ")
            continue
        order = np.argsort(-np.asarray(r["coef"]))
        block = [texts[r["index"]]]
        for K in ks:
            if not _top_k_clear(r["coef"], K):
                faults.append(f"sentence {r['index']}: LIME's top {K} within round-off of the next word")
            block.append(_shortened(tokens, {words[j] for j in order[:K]}))
        for K in ks:
            block += [_shortened(tokens, set(S)) for S in itertools.combinations(words, K)]
        spans.append((len(strings), len(block)))
        strings += block
    P = clf.predict_proba(vec.transform(strings))
    worst, tops, randoms, wins = 0.0, [], [], [0] * len(ks)
    for r, (start, n) in zip(deletion["rows"], spans):
        y = P[start : start + n, r["label"]]
        top = y[0] - y[1 : 1 + len(ks)]
        sizes = [math.comb(len(r["words"]), K) for K in ks]
        rand = np.array([y[0] - np.mean(part) for part in np.split(y[1 + len(ks) :], np.cumsum(sizes)[:-1])])
        # the same forest on the same float32 inputs (TF-IDF by two routes rounds alike to float32):
        # drops agree up to the two means' summation order, a few eps
        worst = max(worst, float(np.max(np.abs(top - r["drop_top"]))) / (16 * EPS),
                    float(np.max(np.abs(rand - r["drop_random"]))) / (16 * EPS))
        for k in range(len(ks)):
            if abs(top[k] - rand[k]) < MARGIN:
                faults.append(f"sentence {r['index']}, K = {ks[k]}: top and random drops within round-off")
            wins[k] += bool(top[k] > rand[k])
        tops.append(top)
        randoms.append(rand)
    tops, randoms = np.mean(tops, axis=0), np.mean(randoms, axis=0)
    # means over the sentences of numbers that agree to 16 eps: they agree to 16 eps
    worst = max(worst, float(np.max(np.abs(tops - deletion["top"]))) / (16 * EPS),
                float(np.max(np.abs(randoms - deletion["random"]))) / (16 * EPS))
    if list(wins) != list(deletion["wins"]):
        faults.append(f"sentences where LIME's words win: {wins}, printed {deletion['wins']}")
    for k in range(len(ks)):
        if not bool(statement.func(tops[k], randoms[k])) or tops[k] - randoms[k] < MARGIN:
            faults.append(f"K = {ks[k]}: the printed relation fails ({tops[k]} vs {randoms[k]})")
    # the explained sentence: its printed probability, top words and the sign-off's rank
    words, coef = list(text["words"]), np.abs(np.asarray(text["coef"]))
    ranked = np.sort(coef)[::-1]
    n_top = len(top_words)
    if np.any(ranked[: n_top] - ranked[1 : n_top + 1] < MARGIN * ranked[0]):
        faults.append("the printed top words are not clear of round-off")
    if [w["word"] for w in top_words] != [words[i] for i in np.argsort(-coef)[:n_top]]:
        faults.append("the printed top words are not LIME's largest weights")
    reg = coef[words.index("regards")]
    if text["rank_regards"] != 1 + int(np.sum(coef > reg)) or np.any(np.abs(coef[coef != reg] - reg) < MARGIN * reg):
        faults.append("the sign-off's printed rank")
    # the printed accuracy (a count over a count: exact) and size of the forest
    held_out = range(text["n_train"], len(texts))
    correct = sum(int(np.argmax(row)) == lab for row, lab in
                  zip(clf.predict_proba(vec.transform([texts[i] for i in held_out])), labels[text["n_train"]:]))
    if text["accuracy"] != correct / len(held_out) or text["n_test"] != len(held_out) or text["n_trees"] != len(clf.estimators_):
        faults.append("the printed accuracy, test size or number of trees")
    p = _proba(vec, clf, [text["text"]], 1)[0]
    worst = max(worst, abs(p - text["probability"]) / (16 * EPS))
    return numeric_claim("p12.text_deletion", statement, math.inf if faults else worst, 1.0,
                         method=f"shortened texts re-vectorised, all K-subsets, K = {ks[0]}..{ks[-1]}; "
                                "decisions with margins; error in units of 16 eps",
                         reproduce=f"{deletion['n']} held-out sentences, N = {deletion['num_samples']}, "
                                   "seeds 1000 + r", detail="; ".join(faults[:5]))


def check_width_limit(statement, fit, text, limits, vectorizer_classifier):
    """The printed limit, evaluated with leave-one-word-out effects from shortened texts, against
    the fit at the smallest width solved by scikit-learn."""
    from sklearn.linear_model import LinearRegression

    vec, clf = vectorizer_classifier
    words = list(text["words"])
    tokens = vec.build_analyzer()(text["text"])
    y = _proba(vec, clf, [text["text"]] + [_shortened(tokens, {w}) for w in words], 1)
    lhs = statement.lhs
    sym = {s.name: s for s in statement.rhs.free_symbols}
    rhs = sp.lambdify((sym[r"f(\mathbf{x})"], sym[r"f(\mathbf{x}_{\setminus j})"]), statement.rhs, "numpy")
    limit = rhs(np.full(len(words), y[0]), y[1:])
    sigma = limits["limit_width"]
    Z, f = fit.Z, fit.y
    d = Z.shape[1]
    D = 1.0 - np.sqrt(Z.sum(axis=1) / d)  # cosine distance of a mask to x' = 1
    w = np.exp(-(D**2) / sigma**2)
    ours = LinearRegression().fit(Z, f, sample_weight=w).coef_
    # First-order perturbation bound.  The instance and the d' one-word deletions (weights 1 and w1,
    # counts n_j) determine the fit by interpolation, through the design P of these d' + 1 distinct
    # points; every other sample has weight <= w2 and residual <= 1 + |beta0|_1, so it moves the
    # coefficients by at most N_far w2 sqrt(d' + 1) (1 + |beta0|_1) / (min(1, w1 min n_j) s_min(P)^2).
    off = d - Z.sum(axis=1)
    counts = np.array([np.sum((off == 1) & (Z[:, j] == 0)) for j in range(d)])
    P = np.hstack([np.ones((d + 1, 1)), np.vstack([np.ones((1, d)), 1.0 - np.eye(d)])])
    s_min = float(np.linalg.svd(P, compute_uv=False)[-1])
    w1 = math.exp(-((1 - math.sqrt((d - 1) / d)) ** 2) / sigma**2)
    w2 = math.exp(-((1 - math.sqrt((d - 2) / d)) ** 2) / sigma**2)
    beta0 = np.r_[y[0] - np.sum(y[0] - y[1:]), y[0] - y[1:]]
    n_far = int(np.sum(off >= 2))
    bound = 2 * n_far * w2 * math.sqrt(d + 1) * (1 + np.sum(np.abs(beta0))) / (min(1.0, w1 * counts.min()) * s_min**2)
    A = np.hstack([np.ones((len(f), 1)), Z]) * np.sqrt(w)[:, None]
    tol = bound + (len(f) + d + 1) * EPS * float(np.linalg.cond(A)) ** 2  # plus the solve's round-off
    faults = []
    if counts.min() < 1:
        faults.append("a one-word deletion was never sampled: the limit is not identified")
    if not (isinstance(lhs, sp.Limit) and lhs.args[1].name == r"\sigma" and lhs.args[2] == 0 and str(lhs.args[3]) == "+"):
        faults.append(f"the printed limit is not sigma -> 0+: {lhs}")
    err = max(float(np.max(np.abs(ours - limit))),
              float(np.max(np.abs(limits["width_coef"][0] - ours))),  # the figure's leftmost weights
              float(np.max(np.abs(np.asarray(limits["loo"]) - (y[0] - y[1:])))))  # the figure's markers
    return numeric_claim("p12.width_limit", statement, math.inf if faults else err, tol,
                         method=f"sklearn's fit at sigma = {sigma:g} against the limit from shortened texts; "
                                "tolerance: perturbation bound of the far samples",
                         reproduce=f"explained sentence, N = {len(f)}, seed 12", detail="; ".join(faults))


def sampling_law(d: int):
    """Every mask of d features and its probability under LIME's sampling (a number of removed
    features uniform on 1..d, the removed set uniform among those of that size)."""
    Z = np.array(list(itertools.product((0.0, 1.0), repeat=d)))
    off = (d - Z.sum(axis=1)).astype(int)
    prob = np.array([1.0 / (d * math.comb(d, k)) if k > 0 else 0.0 for k in off])
    return Z, prob


def check_seed_spread(statement, text, limits, vectorizer_classifier):
    vec, clf = vectorizer_classifier
    words = list(text["words"])
    d = len(words)
    tokens = vec.build_analyzer()(text["text"])
    Z, prob = sampling_law(d)
    f = _proba(vec, clf, [_shortened(tokens, {w for w, keep in zip(words, z) if not keep}) for z in Z], 1)
    D = 1.0 - np.sqrt(Z.sum(axis=1) / d)
    pi = np.exp(-(D**2) / text["kernel_width"] ** 2)
    Zt = np.hstack([np.ones((len(Z), 1)), Z])
    A = (Zt * (prob * pi)[:, None]).T @ Zt
    beta = np.linalg.solve(A, Zt.T @ (prob * pi * f))  # the population fit
    r = f - Zt @ beta
    B = (Zt * (prob * pi**2 * r**2)[:, None]).T @ Zt
    Ainv = np.linalg.inv(A)
    C = (Ainv @ B @ Ainv)[1:, 1:]  # N Cov(c-hat) as N grows, the weights only
    v_bar = float(np.mean(np.diag(C)))
    S = limits["seeds"]
    # Gaussian sample variances over S seeds: Cov(s_j^2, s_k^2) = 2 C_jk^2 / (N^2 (S - 1))
    se = math.sqrt(2 * np.sum(C**2) / (S - 1)) / d
    inner, (N_sym,) = statement.lhs.args[0], statement.lhs.args[1:2]
    s_fun = next(iter(inner.atoms(sp.core.function.AppliedUndef)))
    v_sym = next(iter(statement.rhs.free_symbols))
    worst, faults = 0.0, []
    weights = np.asarray(limits["spread_weights"])
    for n, rms, runs in zip(limits["ns"], limits["rms_spread"], weights):
        centred = runs - runs.mean(axis=0)
        direct = math.sqrt(float(np.mean(np.sum(centred**2, axis=0) / (S - 1))))
        if abs(direct - rms) > 64 * EPS * rms:  # two summation orders of S d' squares
            faults.append(f"N = {n}: printed spread {rms} vs {direct}")
        value = float(inner.subs(s_fun, sp.Float(direct)).subs(N_sym, n))
        worst = max(worst, abs(value - float(statement.rhs.subs(v_sym, v_bar))) / (4 * se))
    if not (isinstance(statement.lhs, sp.Limit) and statement.lhs.args[2] == sp.oo):
        faults.append("the printed limit is not N -> infinity")
    return numeric_claim("p12.seed_spread", statement, math.inf if faults else worst, 1.0,
                         method=f"sandwich variance summed exactly over all 2^{d} masks; N spread^2 within "
                                "4 standard errors, each N",
                         reproduce=f"explained sentence, {S} seeds from 500, N = {limits['ns']}",
                         detail="; ".join(faults))


def check_off_data(statement, fit, text, limits, vectorizer_classifier):
    from sklearn.feature_extraction.text import CountVectorizer

    vec, _ = vectorizer_classifier
    texts, _ = load_corpus()
    words = list(text["words"])
    counter = CountVectorizer(binary=True, token_pattern=vec.token_pattern).fit(texts + [text["text"]])
    corpus = {tuple(row.indices.tolist()) for row in counter.transform(texts).sorted_indices()}
    samples = [" ".join(w for w, keep in zip(words, z) if keep) for z in fit.Z[1:]]
    found = sum(tuple(row.indices.tolist()) in corpus for row in counter.transform(samples).sorted_indices())
    # the printed example: a sample that deletes at least half of the words
    kept = [" ".join(w for w, keep in zip(words, z) if keep) for z in fit.Z[1:] if 2 * z.sum() <= len(words)]
    # integers and strings: compared exactly
    ok = sp.Integer(found) == statement.rhs and limits["example"] in kept and limits["n_perturbed"] == len(samples)
    err = 0.0 if ok else math.inf
    return numeric_claim("p12.off_data", statement, err, 0.0,
                         method="binary count vectors of the perturbed sentences against the corpus's",
                         reproduce=f"explained sentence, N = {len(fit.Z)}, seed 12")
