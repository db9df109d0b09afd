"""What Problem 3 quotes from Pascanu, Mikolov and Bengio, "On the difficulty of training recurrent
neural networks" (ICML 2013): how their conditions are stated.

The ICML version states the sufficient condition for vanishing gradients in a nonlinear network as
lambda_1 < 1/gamma with lambda_1 the largest *singular value* of W_rec (the arXiv preprint 1211.5063
worded the same sentence with the largest eigenvalue); for a linear network it uses the spectral
radius, rho < 1, as a statement about the limit t -> infinity.
"""

from __future__ import annotations

from derivations.quotes import Quote

__all__ = ["QUOTES"]

QUOTES = (
    Quote("p3.nonlinear_condition", r"$\lambda_1 < 1/\gamma$", "pascanu2013difficulty", "Section 2.1",
          "sufficient for vanishing gradients; the left side is the largest singular value of the "
          "recurrent matrix (nonlinear network)"),
    Quote("p3.linear_condition", r"$\rho < 1$", "pascanu2013difficulty", "Section 2.1",
          "sufficient for long-term components to vanish as t grows; the left side is the spectral radius (linear network)"),
)
