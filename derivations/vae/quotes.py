"""Problem 7's quoted results: what the text repeats from Kingma and Welling (2014), with the place
in the paper where it stands (printed with ``quote`` and listed in the appendix)."""

from __future__ import annotations

from derivations.quotes import Quote

__all__ = ["QUOTES"]

QUOTES = (
    Quote("p7.sf_variance", "very high", "kingma2014auto", "Section 2.2",
          "variance of the naive score-function gradient estimator"),
    Quote("p7.samples_per_point", "$L=1$", "kingma2014auto", "Algorithm 1",
          "samples per data point used in the experiments"),
    Quote("p7.minibatch", "$M=100$", "kingma2014auto", "Algorithm 1",
          "minibatch size used in the experiments"),
)
