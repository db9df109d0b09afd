"""Problem 12's derivation: the statements the report makes about LIME, and their context.

``statements`` gives the results as SymPy objects (the mask distances, the ``lime`` package's
kernel, the weighted least-squares solution, exact recovery of a linear model, K-Lasso's subset,
SP-LIME's coverage guarantee, the deletion tests against the random forest and the digit network,
the small-width limit, the seed spread and the perturbed samples off the corpus); ``derive`` runs
the experiments (:mod:`derivations.lime.experiment`, :mod:`derivations.lime.experiment_limits`)
and assembles the LaTeX context and the figures.  :func:`digit_phrase` words each explained digit for the text.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations.ledger import Derivation, Figure
from derivations.lime.experiment import digit_experiment, load_corpus, text_experiment
from derivations.lime.experiment_limits import limits_experiment
from derivations.lime.quotes import QUOTES
from derivations.numerics import one_blas_thread
from derivations.tex import tex

__all__ = ["derive", "statements", "paper_kernel", "digit_phrase", "N_TOP_WORDS", "PROBLEM"]

PROBLEM = 12  # this problem's number in the registry
N_TOP_WORDS = 3  # how many of the largest text weights the prose names
N_TRACKED = 4  # the figure follows the weights of this many top words across kernel widths
CONTOUR_LEVEL = 0.35  # the pixel intensity (0..1) whose level line outlines a digit's ink in the figure


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
    sigma = sp.Symbol(r"\sigma", positive=True)
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
        "p12.sp_coverage": sp.Ge(
            sp.Symbol(r"c(V_{\text{greedy}}, \mathbf{W}, I)")
            / sp.Symbol(r"\max_{|V| \le B} c(V, \mathbf{W}, I)"),
            1 - sp.exp(-1),
            evaluate=False,
        ),
        "p12.text_deletion": sp.Gt(
            sp.Symbol(r"\overline{\Delta p}(\text{top } K \text{ words})"),
            sp.Symbol(r"\overline{\Delta p}(K \text{ random words})"),
            evaluate=False,
        ),
        "p12.deletion": sp.Lt(
            sp.Symbol(r"A(\text{LIME's order})"),
            sp.Symbol(r"\mathbb{E}\, A(\text{random order of the ink blocks})"),
            evaluate=False,
        ),
        "p12.width_limit": sp.Eq(
            sp.Limit(sp.Function(r"\hat{c}_j")(sigma), sigma, 0, "+"),
            sp.Symbol(r"f(\mathbf{x})") - sp.Symbol(r"f(\mathbf{x}_{\setminus j})"),
            evaluate=False,
        ),
        "p12.seed_spread": sp.Eq(
            sp.Limit(N * sp.Function(r"\bar{s}")(N) ** 2, N, sp.oo),
            sp.Symbol(r"\bar{v}", positive=True),
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
    texts, _ = load_corpus()
    limits = limits_experiment(text, texts, text["vectorizer"].build_analyzer())
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
    deletion = text["deletion"]
    many = digits["many"]
    fit = text["fit"]
    example = next(i for i in range(1, len(fit.Z)) if 2 * fit.Z[i].sum() <= len(words))  # a sample keeping half
    equations = statements() | {
        # the perturbed samples of the explained sentence that are a sentence of the corpus (the first,
        # the sentence itself, excluded)
        "p12.off_data": sp.Eq(sp.Symbol(r"\#\{i > 1 : \mathbf{z}_i \in \text{corpus}\}"),
                              sp.Integer(limits["in_corpus_perturbed"]), evaluate=False),
    }
    context = {
        "kernel_tex": kernel_tex,
        "text": {k: text[k] for k in ("accuracy", "n_train", "n_test", "n_trees", "text", "label", "probability",
                                      "score", "rank_regards", "num_samples", "kernel_width",
                                      "words", "coef", "sp_sentences", "sp_k", "sp_budget")},
        "top_words": [{"word": words[i], "weight": float(text["coef"][i])} for i in order[:N_TOP_WORDS]],
        "sp_rows": sp_rows,
        "text_deletion": {
            "k": list(text["deletion_k"]),
            "num_samples": text["deletion_num_samples"],
            "n": len(deletion),
            "top": [float(np.mean([r["drop_top"][k] for r in deletion])) for k in range(len(text["deletion_k"]))],
            "random": [float(np.mean([r["drop_random"][k] for r in deletion])) for k in range(len(text["deletion_k"]))],
            "wins": [sum(bool(r["drop_top"][k] > r["drop_random"][k]) for r in deletion)
                     for k in range(len(text["deletion_k"]))],
            "rows": deletion,
        },
        "limits": {
            "limit_width": limits["limit_width"],
            "max_width": limits["widths"][-1],
            "ns": list(limits["spread_ns"]),
            "seeds": limits["spread_seeds"],
            "rms_spread": [float(v) for v in limits["rms_spread"]],
            "spread_weights": limits["spread_weights"],
            "width_coef": limits["width_coef"],
            "loo": limits["loo"],
            "in_corpus_perturbed": limits["in_corpus_perturbed"],
            "n_perturbed": len(fit.Z) - 1,
            "example": " ".join(w for w, keep in zip(words, fit.Z[example]) if keep),
        },
        "digits": {
            "accuracy": digits["accuracy"],
            "kernel_width": digits["kernel_width"],
            "num_samples": digits["num_samples"],
            "n_train": digits["n_train"],
            "n_test": digits["n_test"],
            "n_segments": digits["n_segments"],
            "hidden": digits["hidden"],
            "n_random": digits["n_random"],
            "explained": explained,
            "contour_level": CONTOUR_LEVEL,
            "phrases": [digit_phrase(next(e.true for e in ex if e.index == i),
                                     [e.label for e in ex if e.index == i]) for i in explained],
            "rows": [
                {"index": e.index, "true": e.true, "label": e.label, "probability": e.probability,
                 "score": e.score, "auc_lime": e.auc_lime, "auc_random": e.auc_random, "n_ink": e.n_ink,
                 "coef": e.coef}
                for e in ex
            ],
            "many": many,
            "many_n": len(many),
            "many_wins": sum(bool(m["auc_lime"] < m["auc_random"]) for m in many),
            "many_lime": float(np.mean([m["auc_lime"] for m in many])),
            "many_random": float(np.mean([m["auc_random"] for m in many])),
        },
        # the two classifiers, for the checks of the printed rankings and probability drops
        "text_classifier": (text["vectorizer"], text["classifier"]),
        "digit_classifier": digits["classifier"],
        # the samples of the text explanation, re-solved by another route in verify()
        "text_fit": fit,
        "sp_W": text["sp_W"],
        "sp_picked": text["sp_picked"],
    }
    tracked = order[:N_TRACKED]  # the words whose weights panel (b) follows
    figures = (
        Figure("p12_text", "figures.lime:text_explanation",
               {"words": [words[i] for i in order], "weights": [float(text["coef"][i]) for i in order],
                "widths": list(limits["widths"]), "coef": limits["width_coef"][:, tracked],
                "loo": limits["loo"][tracked], "tracked": [words[i] for i in tracked],
                "ns": list(limits["spread_ns"]), "rms": [float(v) for v in limits["rms_spread"]],
                "seeds": limits["spread_seeds"], "kernel_width": text["kernel_width"]},
               width=6.2, height=2.05, nrows=1, ncols=3),
        Figure("p12_digits", "figures.lime:digit_explanations",
               {"rows": [(e.image, e.weight_map, e.label, e.probability, e.true) for e in ex], "level": CONTOUR_LEVEL},
               width=6.2, height=1.45, nrows=1, ncols=6),
    )
    return Derivation(problem=PROBLEM, equations=equations, context=context, figures=figures, quotes=QUOTES)


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
