"""What Problem 4 quotes from the LSTM papers: the self-weight of the constant error carousel
(Hochreiter and Schmidhuber 1997)."""

from __future__ import annotations

from derivations.quotes import Quote

__all__ = ["QUOTES"]

QUOTES = (
    Quote("p4.cec_weight", "$1.0$", "hochreiter1997long", "Section 3",
          "self-connection weight of the constant error carousel (identity activation)"),
)
