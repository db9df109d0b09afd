"""Quoted results: every number or finding the report takes from a paper, with its source.

A claim is something the project derived and checked; a *quote* is something a paper reports
(a BLEU score, a perplexity, the size of a user study) that the report repeats.  A quote cannot be
checked by running code, but it can be traced: each one is recorded once, here in a problem's
``quotes.py``, with the paper (its BibTeX key) and the place in the paper (table, section, figure,
equation, page).  The template prints the value from the record with ``\\VAR{quote("id")}``, and
the appendix lists every quote in one table, so a reader can check each against its source.

A quote without a source location is refused when the record is made, and the build refuses a
quote whose key is not in the bibliography, a template that asks for an unknown quote, and a
recorded quote the text never uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Quote", "QuoteError", "LOCATION", "check_quotes"]

# Where in the paper: "Table 1", "Section 4.2", "Figure 3", "Eq. 2", "Algorithm 1", "Appendix B",
# "p. 7", optionally several joined by ", " or " and ".
_ONE = r"(?:Table|Section|Figure|Eq\.|Algorithm|Appendix|p\.)\s?[A-Z0-9][A-Za-z0-9.\-]*"
LOCATION = re.compile(rf"{_ONE}(?:(?:, | and ){_ONE})*")


class QuoteError(ValueError):
    """A quote with no traceable source, or a template's use of quotes that does not add up."""


@dataclass(frozen=True)
class Quote:
    """One result quoted from a paper.

    Attributes
    ----------
    id:
        Dotted, problem first: ``"p9.feed_gain_global"``.
    value:
        The text as printed (LaTeX allowed): ``"$+1.3$"``, ``"18.65"``, ``"3 of 27"``.
    key:
        The paper's BibTeX key in ``templates/bib/*.bib``.
    location:
        Where in the paper the value stands: ``"Table 1"``, ``"Section 5.1"``, ``"Figure 4"``,
        ``"Eq. 3"``, ``"Algorithm 1"``, ``"Appendix B"`` or ``"p. 7"`` (see :data:`LOCATION`).
    finding:
        A few words for the appendix table: what the value measures, on what.
    """

    id: str
    value: str
    key: str
    location: str
    finding: str

    def __post_init__(self):
        if not re.fullmatch(r"p\d+\.[A-Za-z0-9_.]+", self.id):
            raise QuoteError(f"quote id {self.id!r} must be 'p<problem>.<name>', such as 'p9.feed_gain'")
        for name in ("value", "key", "finding"):
            if not str(getattr(self, name)).strip():
                raise QuoteError(f"quote {self.id!r} has an empty {name}")
        if not LOCATION.fullmatch(self.location.strip()):
            raise QuoteError(
                f"quote {self.id!r} has no usable source location ({self.location!r}): give the table, "
                "section, figure, equation, algorithm, appendix or page of the paper where the value "
                "stands, such as 'Table 1' or 'Section 4.2'"
            )

    @property
    def problem(self) -> int:
        return int(self.id.split(".", 1)[0][1:])


def check_quotes(quotes, bib_keys) -> dict[str, Quote]:
    """The quotes by id, after checking ids are unique and every key is in the bibliography."""
    by_id: dict[str, Quote] = {}
    for q in quotes:
        if not isinstance(q, Quote):
            raise QuoteError(f"{q!r} is not a Quote: record quoted results with derivations.quotes.Quote")
        if q.id in by_id:
            raise QuoteError(f"quote id {q.id!r} is recorded twice")
        if q.key not in bib_keys:
            raise QuoteError(
                f"quote {q.id!r} cites {q.key!r}, which no templates/bib/*.bib entry defines; add the "
                "paper's entry there"
            )
        by_id[q.id] = q
    return by_id
