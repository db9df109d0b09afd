"""figures.style: the saved PDF is reproducible and the shared mathtext cache changes no byte."""

from __future__ import annotations

import numpy as np

from derivations.ledger import Figure
from figures import style


def _spec(name: str) -> Figure:
    # Real figure code (Problem 5's factor plot) on small synthetic data: mathtext tick labels
    # on a log axis, mathtext axis labels and annotations.
    ratio = np.logspace(-2, 2, 41)
    data = {"ratio": ratio, "factor": ratio / (1 + ratio), "points": [(0.5, 1 / 3), (4.0, 0.8)]}
    return Figure(name, "figures.regularization:l2_factor", data, width=3.0, height=2.0)


def test_pdf_is_reproducible_and_parser_restored(tmp_path):
    from matplotlib.mathtext import MathTextParser

    own = MathTextParser.__dict__["_parse_cached"]
    first = style.render_figure(_spec("a"), tmp_path / "one").read_bytes()
    second = style.render_figure(_spec("a"), tmp_path / "two").read_bytes()
    assert first.startswith(b"%PDF") and first == second
    assert MathTextParser.__dict__["_parse_cached"] is own  # matplotlib's own cache is back


def test_shared_cache_gives_the_same_pdf(tmp_path, monkeypatch):
    shared = style.render_figure(_spec("a"), tmp_path / "shared").read_bytes()
    assert style._MATHTEXT  # the parses were kept for the next figure
    monkeypatch.setattr(style, "_shared_mathtext", lambda: __import__("contextlib").nullcontext())
    plain = style.render_figure(_spec("a"), tmp_path / "plain").read_bytes()
    assert shared == plain


def test_cache_key_follows_the_settings():
    import matplotlib

    before = style._mathtext_state()
    with matplotlib.rc_context({"mathtext.fontset": "stix"}):
        assert style._mathtext_state() != before
