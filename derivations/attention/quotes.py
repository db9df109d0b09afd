"""Problem 9, the quoted results: what Luong, Pham and Manning (2015) report for input feeding.

Table 1 (WMT'14 English-German, newstest2014) adds one technique per row, so the row
"+ feed input" on top of "global attention (location)" isolates input feeding: perplexity 7.3 -> 6.4,
BLEU 16.8 -> 18.1 (+1.3).  The abstract's +5.0 BLEU is the last single model of that table
(local-p attention, general score, *with* input feeding: 19.0) over the non-attentional model with
source reversal and dropout (14.0): attention and input feeding together, not input feeding alone
(Section 4.2 says so in words).  German-English (Section 4.3, Table 3): input feeding adds up to
+1.0 BLEU on top of attention.
"""

from __future__ import annotations

from derivations.quotes import Quote

__all__ = ["QUOTES"]

_LUONG = "luong2015effective"

QUOTES = (
    Quote("p9.ppl_global", "7.3", _LUONG, "Table 1",
          "test perplexity, global attention (location), WMT'14 En-De, without input feeding"),
    Quote("p9.ppl_feed", "6.4", _LUONG, "Table 1", "test perplexity, the same model with input feeding"),
    Quote("p9.bleu_global", "16.8", _LUONG, "Table 1",
          "BLEU, global attention (location), WMT'14 En-De newstest2014, without input feeding"),
    Quote("p9.bleu_feed", "18.1", _LUONG, "Table 1", "BLEU, the same model with input feeding"),
    Quote("p9.feed_gain", "$+1.3$", _LUONG, "Table 1", "BLEU gain of adding input feeding (En-De)"),
    Quote("p9.feed_gain_de_en", "$+1.0$", _LUONG, "Section 4.3",
          "BLEU gain of input feeding on top of attention, WMT'15 De-En (up to; rows in Table 3)"),
    Quote("p9.bleu_dropout", "14.0", _LUONG, "Table 1",
          "BLEU, non-attentional model with source reversal and dropout"),
    Quote("p9.bleu_localp", "19.0", _LUONG, "Table 1",
          "BLEU, local-p attention (general score) with input feeding"),
    Quote("p9.total_gain", "$+5.0$", _LUONG, "Section 4.2",
          "BLEU gain of the attentional (local-p, input-feeding) model over the non-attentional one"),
)
