"""What Problem 8 repeats from Goodfellow et al. (2014): the settings of their experiments and their
reason for the non-saturating generator loss, each with the place in the paper where it stands."""

from __future__ import annotations

from derivations.quotes import Quote

__all__ = ["QUOTES"]

_PAPER = "goodfellow2014generative"

QUOTES = (
    Quote(id="p8.k", value="$k=1$", key=_PAPER, location="Algorithm 1",
          finding="discriminator steps per generator step in the experiments"),
    Quote(id="p8.momentum", value="momentum", key=_PAPER, location="Algorithm 1",
          finding="the gradient-based learning rule used in the experiments"),
    Quote(id="p8.nonsaturating", value="stronger", key=_PAPER,
          location="Section 3",
          finding="gradients early in learning when G maximises log D(G(z)) (same fixed point)"),
)
