"""Problem 12's quoted results: what the text repeats from Ribeiro et al. (2016), with the place in
the paper where it stands (printed with ``quote`` and listed in the appendix)."""

from __future__ import annotations

from derivations.quotes import Quote

__all__ = ["QUOTES"]

_PAPER = "ribeiro2016why"

QUOTES = (
    Quote("p12.newsgroups_word", "Posting", _PAPER, "Figure 2",
          "an e-mail header word the Christianity-versus-Atheism classifier relies on"),
    Quote("p12.inception_electric", "$0.32$", _PAPER, "Figure 4",
          "Inception's probability of its top class, electric guitar"),
    Quote("p12.inception_acoustic", "$0.24$", _PAPER, "Figure 4", "Inception's second class, acoustic guitar"),
    Quote("p12.inception_labrador", "$0.21$", _PAPER, "Figure 4", "Inception's third class, Labrador"),
    Quote("p12.husky_subjects", "27", _PAPER, "Table 2", "subjects of the husky-versus-wolf study"),
    Quote("p12.husky_trust_before", "10", _PAPER, "Table 2",
          "subjects who trusted the snow-detecting model before seeing explanations"),
    Quote("p12.husky_trust_after", "3", _PAPER, "Table 2", "subjects who trusted it after seeing explanations"),
    Quote("p12.husky_snow_before", "12", _PAPER, "Table 2",
          "subjects who named snow as a potential feature before explanations"),
    Quote("p12.husky_snow_after", "25", _PAPER, "Table 2", "subjects who named snow after explanations"),
)
