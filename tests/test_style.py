"""figures.style: the saved PDF is reproducible and the shared mathtext cache changes no byte."""

from __future__ import annotations

import numpy as np
import pytest

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


def _small_annotation(data, ax):
    ax.plot([0, 1], [0, 1])
    ax.set_xlabel("$t$")
    ax.annotate("note", (0.5, 0.5), fontsize=data["size"])


def _small_ticks(data, ax):
    ax.plot([0, 1], [0, 1])
    ax.tick_params(labelsize=data["size"])


def test_text_too_small_to_read_in_print_is_refused(tmp_path, monkeypatch):
    import sys

    monkeypatch.setattr(sys.modules[__name__], "_small_annotation", _small_annotation, raising=False)
    ok = Figure("ok", f"{__name__}:_small_annotation", {"size": 9}, width=3.0, height=2.0)
    assert style.render_figure(ok, tmp_path).exists()
    small = Figure("small", f"{__name__}:_small_annotation", {"size": 5.5}, width=3.0, height=2.0)
    with pytest.raises(style.FigureTextError, match="'small' prints text at 5.5 pt"):
        style.render_figure(small, tmp_path)
    assert not (tmp_path / "small.pdf").exists()  # nothing half-made is left behind
    ticks = Figure("ticks", f"{__name__}:_small_ticks", {"size": 7}, width=3.0, height=2.0)
    with pytest.raises(style.FigureTextError, match="below 8 pt"):
        style.render_figure(ticks, tmp_path)


def test_sub_and_superscripts_of_the_style_s_tick_labels_are_measured_at_6_3_pt(tmp_path):
    sizes = style.pdf_font_sizes(style.render_figure(_spec("log"), tmp_path).read_bytes())
    assert min(sizes) == pytest.approx(6.3) and max(sizes) == 9.0  # 10^{-2}: exponents at 70 % of 9 pt


def test_templates_include_figures_at_their_natural_size():
    import re

    from tests.conftest import ROOT

    for t in sorted((ROOT / "templates").rglob("*.j2")):
        for opts in re.findall(r"\\includegraphics\[([^\]]*)\]", t.read_text()):
            assert not re.search(r"width|height|scale", opts), f"{t.name} scales a figure: {opts}"
