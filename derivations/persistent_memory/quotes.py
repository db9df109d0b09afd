"""Problem 10, the quoted results: the two model sizes of Sukhbaatar et al. (2019), each with its own numbers.

Small models: 18 all-attention layers, N = 1024 persistent vectors per head; large models: 36 layers,
N = 2048 (their Section 5.1; the official scripts, facebookresearch/adaptive-span
``experiments/enwik8_pers_small.sh`` and ``enwik8_pers.sh``, set the same).  Test results:
enwik8 in Table 1, text8 in Table 2, WikiText-103 (a 36-layer model) in Table 3.
"""

from __future__ import annotations

from derivations.quotes import Quote

__all__ = ["QUOTES"]

_PAPER = "sukhbaatar2019augmenting"

QUOTES = (
    Quote("p10.layers_small", "18", _PAPER, "Table 1", "layers of the small all-attention models"),
    Quote("p10.n_small", "1024", _PAPER, "Section 5.1", "persistent vectors per head, small models"),
    Quote("p10.enwik8_small", "1.01", _PAPER, "Table 1", "enwik8 test bits per character, small model"),
    Quote("p10.enwik8_small_params", "39M", _PAPER, "Table 1", "parameters, small enwik8 model"),
    Quote("p10.text8_small", "1.11", _PAPER, "Table 2", "text8 test bits per character, small model"),
    Quote("p10.text8_small_params", "38M", _PAPER, "Table 2", "parameters, small text8 model"),
    Quote("p10.layers_large", "36", _PAPER, "Table 1", "layers of the large all-attention models"),
    Quote("p10.n_large", "2048", _PAPER, "Section 5.1", "persistent vectors per head, large models"),
    Quote("p10.enwik8_large", "0.98", _PAPER, "Table 1", "enwik8 test bits per character, large model"),
    Quote("p10.text8_large", "1.08", _PAPER, "Table 2", "text8 test bits per character, large model"),
    Quote("p10.large_params", "114M", _PAPER, "Table 1", "parameters, large enwik8 model (text8: the same, Table 2)"),
    Quote("p10.wt103_layers", "36", _PAPER, "Table 3", "layers of the WikiText-103 model"),
    Quote("p10.wt103_ppl", "20.6", _PAPER, "Table 3", "WikiText-103 test perplexity, 36 layers"),
    Quote("p10.wt103_params", "133M", _PAPER, "Table 3", "parameters, WikiText-103 model"),
)
