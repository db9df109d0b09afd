"""Problem 12's derivation: the statements the report makes about LIME, and their context.

``statements`` gives the results as SymPy objects (the mask distances, the ``lime`` package's
kernel, the weighted least-squares solution, exact recovery of a linear model, K-Lasso's subset,
the text explanation against the classifier, SP-LIME's coverage guarantee, the deletion test);
``derive`` runs the two experiments (:mod:`derivations.lime.experiment`) and assembles the
LaTeX context and the figures.  :func:`digit_phrase` words each explained digit for the text.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations.ledger import Derivation, Figure
from derivations.lime.experiment import digit_experiment, text_experiment
from derivations.numerics import one_blas_thread
from derivations.tex import tex

__all__ = ["derive", "statements", "paper_kernel", "digit_phrase", "N_TOP_WORDS", "PROBLEM"]

PROBLEM = 12  # this problem's number in the registry
N_TOP_WORDS = 3  # how many of the largest text weights the prose names


def paper_kernel(D, sigma):
    """The paper's exponential kernel exp(-D^2 / sigma^2) as a SymPy expression."""
    return sp.exp(-(D**2) / sigma**2)


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
    j = sp.Symbol("j", integer=True)
    w_j, theta_j = sp.IndexedBase("w")[j], sp.IndexedBase(r"\theta")[j]
    top = rf"\operatorname{{top}}_{{{N_TOP_WORDS}}}"
    abs_w, abs_theta = r"(|\mathbf{w}|)", r"(|\boldsymbol{\theta}|)"
    return {
        "p12.mask_distances": (
            sp.Eq(sp.Symbol(r"D_{\cos}(\mathbf{x}', \mathbf{z}')"), 1 - sp.sqrt(k / d)),
            sp.Eq(sp.Symbol(r"D_{L_2}(\mathbf{x}', \mathbf{z}')"), sp.sqrt(d - k)),
        ),
        "p12.lime_kernel": sp.Eq(
            sp.Pow(sp.exp(-(D**2) / w**2, evaluate=False), sp.Rational(1, 2), evaluate=False),
            paper_kernel(D, sp.sqrt(2) * w),
            evaluate=False,
        ),
        "p12.wls": sp.Eq(beta, sp.Inverse(Zt.T * Pi * Zt) * Zt.T * Pi * f, evaluate=False),
        "p12.linear_recovery": sp.Eq(c_hat, w_vec, evaluate=False),
        "p12.klasso_subset": sp.Eq(
            sp.Symbol(r"\mathcal{L}(S_{\text{K-Lasso}})"),
            sp.Symbol(r"\min_{|S| = K} \mathcal{L}(S)"),
            evaluate=False,
        ),
        "p12.text_follows_classifier": (
            sp.Eq(sp.sign(w_j), sp.sign(theta_j), evaluate=False),
            sp.Eq(sp.Symbol(top + abs_w), sp.Symbol(top + abs_theta), evaluate=False),
            sp.Eq(sp.Symbol(r"\operatorname{rank}_{|w|}(\text{regards})"),
                  sp.Symbol(r"\operatorname{rank}_{|\theta|}(\text{regards})"), evaluate=False),
        ),
        "p12.sp_coverage": sp.Ge(
            sp.Symbol(r"c(V_{\text{greedy}}, \mathbf{W}, I)")
            / sp.Symbol(r"\max_{|V| \le B} c(V, \mathbf{W}, I)"),
            1 - sp.exp(-1),
            evaluate=False,
        ),
        "p12.deletion": sp.Gt(
            sp.Symbol(r"\Delta p(\text{top-weight blocks})"),
            sp.Symbol(r"\mathbb{E}\, \Delta p(\text{random blocks})"),
            evaluate=False,
        ),
    }


# --------------------------------------------------------------------------- derive


def derive() -> Derivation:
    with one_blas_thread():  # many small least-squares solves
        return _derive()


def _derive() -> Derivation:
    text = text_experiment()
    digits = digit_experiment()
    # paper notation for the summary, made from SymPy objects
    Dxz, sigma = sp.Symbol(r"D(\mathbf{x}, \mathbf{z})"), sp.Symbol(r"\sigma", positive=True)
    kernel_tex = tex(sp.Eq(sp.Symbol(r"\pi_{\mathbf{x}}(\mathbf{z})"), paper_kernel(Dxz, sigma)))
    words = text["words"]
    order = text["order"]
    sp_rows = [
        {"text": text["sp_texts"][i], "words": ", ".join(text["sp_vocab"][j] for j in np.flatnonzero(text["sp_W"][i]))}
        for i in text["sp_picked"]
    ]
    ex = digits["explanations"]
    explained = list(dict.fromkeys(e.index for e in ex))  # the explained images, in the figure's order
    context = {
        "kernel_tex": kernel_tex,
        "text": {k: text[k] for k in ("accuracy", "n_train", "n_test", "text", "label", "probability",
                                      "score", "rank_regards", "coef_regards", "num_samples", "kernel_width",
                                      "words", "coef", "sp_sentences", "sp_k", "sp_budget")},
        "top_words": [{"word": words[i], "weight": float(text["coef"][i])} for i in order[:N_TOP_WORDS]],
        "sp_rows": sp_rows,
        "digits": {
            "accuracy": digits["accuracy"],
            "kernel_width": digits["kernel_width"],
            "num_samples": digits["num_samples"],
            "n_train": digits["n_train"],
            "n_test": digits["n_test"],
            "n_segments": digits["n_segments"],
            "hidden": digits["hidden"],
            "n_drop": digits["n_drop"],
            "n_random": digits["n_random"],
            "explained": explained,
            "phrases": [digit_phrase(next(e.true for e in ex if e.index == i),
                                     [e.label for e in ex if e.index == i]) for i in explained],
            "rows": [
                {"index": e.index, "true": e.true, "label": e.label, "probability": e.probability,
                 "score": e.score, "drop_top": e.drop_top, "drop_random": e.drop_random, "coef": e.coef}
                for e in ex
            ],
        },
        # the two classifiers, for the checks of the printed rankings and probability drops
        "text_classifier": (text["vectorizer"], text["classifier"]),
        "digit_classifier": digits["classifier"],
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
    return Derivation(problem=PROBLEM, equations=statements(), context=context, figures=figures)


_DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def digit_phrase(true: int, ranked) -> str:
    """How the text names an explained digit, from its true class and the classifier's two most
    probable classes: "a three that the network hesitates to call an eight" when it is right, "a
    zero that it misclassifies as a six" when it is wrong."""
    def article(n):
        return ("an " if _DIGIT_WORDS[n][0] in "aeio" else "a ") + _DIGIT_WORDS[n]

    first, second = int(ranked[0]), int(ranked[1])
    if first == true:
        return f"{article(true)} that the network hesitates to call {article(second)}"
    return f"{article(true)} that it misclassifies as {article(first)}"
