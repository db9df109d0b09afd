"""Problem 12's derivation and checks: the statements the report makes about LIME.

``derive`` runs the two experiments (:mod:`derivations.lime_experiments`) and states the
results as SymPy objects; ``verify`` checks each by another route: SciPy's cosine distance
over every mask, SymPy for the kernel of the ``lime`` package, scikit-learn's weighted linear
regression on the very samples of the text explanation, exact recovery of a linear model,
brute-force subset search for K-Lasso, and brute-force search for SP-LIME's coverage.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import sympy as sp

from derivations.ledger import Derivation, Figure, numeric_claim, relative_error, symbolic_claim
from derivations.tex import tex

__all__ = ["derive", "verify", "statements"]

EPS = np.finfo(float).eps


def statements():
    """The results of Problem 12 as SymPy objects, keyed by claim id."""
    k = sp.Symbol(r"|\mathbf{z}'|", positive=True)
    d = sp.Symbol(r"d'", positive=True)
    D = sp.Symbol(r"D", positive=True)
    w = sp.Symbol(r"w", positive=True)
    N = sp.Symbol("N", integer=True, positive=True)
    Zt = sp.MatrixSymbol(r"\tilde{\mathbf{Z}}", N, d + 1)
    Pi = sp.MatrixSymbol(r"\boldsymbol{\Pi}", N, N)
    f = sp.MatrixSymbol(r"\mathbf{f}", N, 1)
    beta = sp.MatrixSymbol(r"\hat{\boldsymbol{\beta}}", d + 1, 1)
    c_hat = sp.MatrixSymbol(r"\hat{\mathbf{c}}", d, 1)
    w_vec = sp.MatrixSymbol(r"\mathbf{w}", d, 1)
    return {
        "p12.cosine_distance": sp.Eq(sp.Symbol(r"D_{\cos}(\mathbf{x}', \mathbf{z}')"), 1 - sp.sqrt(k / d)),
        "p12.lime_kernel": sp.Eq(
            sp.Pow(sp.exp(-(D**2) / w**2, evaluate=False), sp.Rational(1, 2), evaluate=False),
            sp.exp(-(D**2) / sp.Pow(sp.sqrt(2) * w, 2, evaluate=False), evaluate=False),
            evaluate=False,
        ),
        "p12.wls": sp.Eq(beta, sp.Inverse(Zt.T * Pi * Zt) * Zt.T * Pi * f, evaluate=False),
        "p12.linear_recovery": sp.Eq(c_hat, w_vec, evaluate=False),
        "p12.klasso_subset": sp.Eq(
            sp.Symbol(r"\mathcal{L}(S_{\text{K-Lasso}})"),
            sp.Symbol(r"\min_{|S| = K} \mathcal{L}(S)"),
            evaluate=False,
        ),
        "p12.sp_coverage": sp.Ge(
            sp.Symbol(r"c(V_{\text{greedy}}, \mathbf{W}, I)")
            / sp.Symbol(r"\max_{|V| \le B} c(V, \mathbf{W}, I)"),
            1 - sp.exp(-1),
            evaluate=False,
        ),
    }


# --------------------------------------------------------------------------- derive


def derive() -> Derivation:
    from derivations.lime_experiments import digit_experiment, text_experiment

    text = text_experiment()
    digits = digit_experiment()
    # paper notation for the summary, made from SymPy objects
    Dxz, sigma = sp.Symbol(r"D(\mathbf{x}, \mathbf{z})"), sp.Symbol(r"\sigma", positive=True)
    kernel_tex = tex(sp.Eq(sp.Symbol(r"\pi_{\mathbf{x}}(\mathbf{z})"), sp.exp(-(Dxz**2) / sigma**2)))
    words = text["words"]
    order = text["order"]
    sp_rows = [
        {"text": text["sp_texts"][i], "words": ", ".join(text["sp_vocab"][j] for j in np.flatnonzero(text["sp_W"][i]))}
        for i in text["sp_picked"]
    ]
    ex = digits["explanations"]
    context = {
        "kernel_tex": kernel_tex,
        "text": {k: text[k] for k in ("accuracy", "n_train", "n_test", "text", "label", "probability",
                                      "score", "rank_regards", "coef_regards", "num_samples", "kernel_width")},
        "top_words": [{"word": words[i], "weight": float(text["coef"][i])} for i in order[:3]],
        "sp_rows": sp_rows,
        "digits": {
            "accuracy": digits["accuracy"],
            "kernel_width": digits["kernel_width"],
            "num_samples": digits["num_samples"],
            "rows": [
                {"index": e.index, "true": e.true, "label": e.label, "probability": e.probability,
                 "score": e.score, "drop_top": e.drop_top, "drop_random": e.drop_random}
                for e in ex
            ],
        },
        # the samples of the text explanation, re-solved by another route in verify()
        "text_fit": text["fit"],
        "sp_W": text["sp_W"],
        "sp_picked": text["sp_picked"],
    }
    figures = (
        Figure("p12_text_weights", "figures.lime:word_weights",
               {"words": [words[i] for i in order], "weights": [float(text["coef"][i]) for i in order],
                "classes": ("astronomy", "medicine")},
               width=4.6, height=2.3),
        Figure("p12_digits", "figures.lime:digit_explanations",
               {"rows": [(e.image, e.weight_map, e.label, e.probability, e.true) for e in ex]},
               width=5.6, height=3.6, nrows=2, ncols=3),
    )
    return Derivation(problem=12, equations=statements(), context=context, figures=figures)


# --------------------------------------------------------------------------- verify


def _check_cosine(statement):
    from scipy.spatial.distance import cosine

    from derivations.lime import cosine_distance

    worst = 0.0
    for d in range(1, 11):
        masks = np.array(list(itertools.product((0.0, 1.0), repeat=d)))[1:]  # every non-empty mask
        ref = np.array([cosine(np.ones(d), m) for m in masks])
        worst = max(worst, float(np.max(np.abs(cosine_distance(masks) - ref))))
    return numeric_claim("p12.cosine_distance", statement, worst, 8 * EPS,
                         method="every non-empty mask, d' = 1..10, against SciPy's cosine distance",
                         reproduce="exhaustive, d' <= 10")


def _check_lime_kernel(statement):
    D, w = sp.symbols("D w", positive=True)
    residual = sp.sqrt(sp.exp(-(D**2) / w**2)) - sp.exp(-(D**2) / (2 * w**2))
    return symbolic_claim("p12.lime_kernel", statement, residual,
                          method="SymPy simplification, D, w > 0")


def _design_condition(Z, weights):
    A = np.hstack([np.ones((Z.shape[0], 1)), Z]) * np.sqrt(weights)[:, None]
    return float(np.linalg.cond(A))


def _check_wls(statement, fit):
    from sklearn.linear_model import LinearRegression

    from derivations.lime import weighted_least_squares

    b, c = weighted_least_squares(fit.Z, fit.y, fit.weights)
    ref = LinearRegression().fit(fit.Z, fit.y, sample_weight=fit.weights)
    err = relative_error(np.r_[b, c], np.r_[ref.intercept_, ref.coef_])
    kappa = _design_condition(fit.Z, fit.weights)
    return numeric_claim("p12.wls", statement, err, 10 * kappa * EPS,
                         method="sklearn LinearRegression with sample_weight on the same samples; "
                                "tolerance 10 cond(A) eps",
                         reproduce=f"text explanation, N = {fit.Z.shape[0]}, seed 12")


def _check_linear_recovery(statement):
    from derivations.lime import explain_full

    rng = np.random.default_rng(3)
    worst, tol = 0.0, 0.0
    for d in (2, 5, 12):
        w = rng.normal(size=d)
        w0 = float(rng.normal())
        fit = explain_full(lambda Z, w=w, w0=w0: w0 + Z @ w, d, 400, 0.25, seed=d)
        worst = max(worst, relative_error(fit.coef, w))
        tol = max(tol, 10 * _design_condition(fit.Z, fit.weights) * EPS)
    return numeric_claim("p12.linear_recovery", statement, worst, tol,
                         method="LIME on f(z') = w0 + w.z' with random w, d' = 2, 5, 12; "
                                "tolerance 10 cond(A) eps",
                         reproduce="seed 3, N = 400")


def _check_klasso(statement, fit):
    from derivations.lime import best_subset, k_lasso, weighted_least_squares

    worst, tol = 0.0, 0.0
    kappa = _design_condition(fit.Z, fit.weights)
    for K in range(1, 6):
        S = tuple(k_lasso(fit.Z, fit.y, fit.weights, K))
        b, c = weighted_least_squares(fit.Z[:, S], fit.y, fit.weights)
        loss = float(np.sum(fit.weights * (fit.y - b - fit.Z[:, S] @ c) ** 2))
        best, _ = best_subset(fit.Z, fit.y, fit.weights, K)
        worst = max(worst, (loss - best) / best)
        # the brute force goes through the normal equations: loss = b.b - r.G^-1 r cancels
        tol = max(tol, 10 * kappa**2 * EPS * float(np.sum(fit.weights * fit.y**2)) / best)
    return numeric_claim("p12.klasso_subset", statement, worst, tol,
                         method="brute force over all K-subsets, K = 1..5, of the text explanation "
                                "(Gram-matrix solves); tolerance 10 eps cond(A) squared times |b| squared / loss",
                         reproduce=f"text explanation, d' = {fit.Z.shape[1]}")


def _check_sp(statement, W, picked):
    from derivations.lime import coverage

    importance = np.sqrt(np.abs(W).sum(axis=0))
    B = len(picked)
    best = max(coverage(W, V, importance) for V in itertools.combinations(range(W.shape[0]), B))
    greedy = coverage(W, picked, importance)
    shortfall = max(0.0, (1 - math.exp(-1)) * best - greedy) / best
    return numeric_claim("p12.sp_coverage", statement, shortfall, 0.0,
                         method=f"brute force over all {math.comb(W.shape[0], B)} sets of B = {B} "
                                f"explanations; greedy/optimum = {greedy / best:.3f}",
                         reproduce=f"SP-LIME on {W.shape[0]} test sentences, K = 4, seed 12")


def verify(derivation: Derivation):
    eq = derivation.equations
    ctx = derivation.context
    return [
        _check_cosine(eq["p12.cosine_distance"]),
        _check_lime_kernel(eq["p12.lime_kernel"]),
        _check_wls(eq["p12.wls"], ctx["text_fit"]),
        _check_linear_recovery(eq["p12.linear_recovery"]),
        _check_klasso(eq["p12.klasso_subset"], ctx["text_fit"]),
        _check_sp(eq["p12.sp_coverage"], ctx["sp_W"], ctx["sp_picked"]),
    ]
