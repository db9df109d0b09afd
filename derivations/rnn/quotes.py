"""What Problem 2 quotes from its sources: the Deep Learning book's recurrent term of Eq. 10.21, whose
operands stand in an order whose dimensions do not match (the report's Step 3 puts them right)."""

from __future__ import annotations

from derivations.quotes import Quote

__all__ = ["QUOTES"]

QUOTES = (
    Quote(
        "p2.book_eq_10_21",
        r"$\mathbf{W}^{\top}(\nabla L)\,\diag(\cdot)$",
        "goodfellow2016deep",
        "Eq. 10.21",
        "order of the factors of the BPTT recurrent term (book's W is our U); sizes do not match",
    ),
)
