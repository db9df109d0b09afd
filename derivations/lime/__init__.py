"""Problem 12: LIME, local interpretable model-agnostic explanations (Ribeiro et al., 2016).

The question: summarise the paper and show how LIME explains a text classifier and an image
classifier.  LIME explains one prediction f(x) by a linear model g over d' interpretable binary
features (word present, super-pixel kept), fitted to f on perturbed samples z' around x' = 1
(paper Eq. 1: xi(x) = argmin_g L(f, g, pi_x) + Omega(g)) with the locally weighted square loss
(Eq. 2: L = sum_z pi_x(z) (f(z) - g(z'))^2) and the kernel pi_x(z) = exp(-D(x, z)^2 / sigma^2).
Omega limits g to K features: K-Lasso (Algorithm 1) picks them on the Lasso path, then fits
least squares.  SP-LIME (Algorithm 2) picks B instances to show by greedy submodular coverage.

The rooms:

- :mod:`derivations.lime.method`: the project's own implementation of those algorithms (NumPy;
  scikit-learn's ``lars_path`` supplies the Lasso path): perturbation, distances, kernel,
  weighted least squares, K-Lasso, ``explain``, coverage and ``submodular_pick``.
- :mod:`derivations.lime.experiment`: the seeded runs: LIME on a random forest over TF-IDF
  features of the shipped corpus ``data/lime/corpus.tsv`` (with SP-LIME, and a word-deletion test
  of faithfulness against the forest) and on a digit classifier (deletion curves over ink blocks).
- :mod:`derivations.lime.experiment_limits`: the limitations, measured on the explained sentence:
  the kernel width, the number of samples and the seed, samples off the corpus.
- :mod:`derivations.lime.quotes`: the results the text quotes from the paper.
- :mod:`derivations.lime.derivation`: the printed statements (SymPy), ``derive`` and the LaTeX
  context and figures.
- :mod:`derivations.lime.checks` and :mod:`derivations.lime.checks_faithfulness`: ``verify``, each
  statement by another route (SciPy, scikit-learn, brute force, exact enumeration, the black boxes
  asked again through other inputs).
"""

from derivations.lime.checks import verify
from derivations.lime.derivation import derive
from derivations.lime.method import (
    LocalExplanation,
    cosine_distance,
    coverage,
    explain,
    explain_full,
    k_lasso,
    kernel,
    l2_distance,
    perturb,
    submodular_pick,
    weighted_least_squares,
)

__all__ = [
    "LocalExplanation",
    "perturb",
    "cosine_distance",
    "l2_distance",
    "kernel",
    "weighted_least_squares",
    "k_lasso",
    "explain_full",
    "explain",
    "submodular_pick",
    "coverage",
    "derive",
    "verify",
]
