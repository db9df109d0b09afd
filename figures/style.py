"""The one place that owns figure size, fonts, saving and metadata.

Figure functions elsewhere in :mod:`figures` take data and an Axes and draw; they never
create figures, set fonts or save.  Fonts are Computer Modern (the report's Latin Modern is
its close relative) at sizes legible when the figure is printed at its natural width.
"""

from __future__ import annotations

import contextlib
import io
import importlib
import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
# fontTools warns that the bundled Computer Modern fonts carry very old 'created' dates: harmless.
logging.getLogger("fontTools").setLevel(logging.ERROR)
from matplotlib.backends.backend_pdf import FigureCanvasPdf  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

__all__ = ["RC", "render_figure", "resolve", "FigureTextError", "check_text_sizes", "MIN_GLYPH_PT", "MIN_LABEL_PT"]

RC = {
    "font.family": "serif",
    "font.serif": ["cmr10"],
    "mathtext.fontset": "cm",
    "axes.formatter.use_mathtext": True,
    "axes.unicode_minus": False,
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "lines.linewidth": 1.3,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "pdf.fonttype": 42,
    "svg.hashsalt": "adl-report",
    "path.simplify": True,
}

# No dates, no versions: two builds of one commit give byte-identical PDFs.
_METADATA = {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None}


# Parsed mathtext, shared by every figure this process draws.  Matplotlib keeps the last 50
# parses per renderer, and a figure uses two (the layout's and the saved PDF's), so the tick
# labels the figures share ($\mathdefault{10^{-3}}$, ...) were parsed by pyparsing again and
# again: that parsing was half of the draw stage's CPU time.  The result of a parse is the one
# matplotlib's own cache would return; the key adds the font and mathtext settings it depends on.
_MATHTEXT: dict = {}


_MATHTEXT_RC = sorted(k for k in matplotlib.rcParams if k.startswith(("mathtext.", "font.")))


def _mathtext_state() -> tuple:
    """The settings a parse depends on besides its arguments (fonts and mathtext rcParams)."""
    rc = matplotlib.rcParams
    return tuple((k, str(rc[k])) for k in _MATHTEXT_RC)


@contextlib.contextmanager
def _shared_mathtext():
    """Within the block, equal mathtext parses (same text, dpi, font, output) are made once.

    Swaps matplotlib's cached parse method for one keyed without the parser instance; not
    thread-safe (the build draws in worker processes, one figure at a time).
    """
    from matplotlib.mathtext import MathTextParser

    own = MathTextParser.__dict__.get("_parse_cached")
    parse = getattr(own, "__wrapped__", None)  # the uncached parse under matplotlib's lru_cache
    if parse is None:  # another matplotlib: keep its own cache
        yield
        return
    state = _mathtext_state()

    def parse_cached(self, s, dpi, prop, *flags):
        key = (self._output_type, s, dpi, prop, flags, state)
        hit = _MATHTEXT.get(key)
        if hit is None:
            hit = _MATHTEXT[key] = parse(self, s, dpi, prop, *flags)
        return hit

    MathTextParser._parse_cached = parse_cached
    try:
        yield
    finally:
        MathTextParser._parse_cached = own


# Legibility as printed: figures are included at their natural size (no scaling), so a font size in
# the PDF is the size on paper.  Every glyph (mathtext sub- and superscripts included, at 70% of
# their base size) must be at least MIN_GLYPH_PT, and tick labels and axis labels at least
# MIN_LABEL_PT; the report's body text is 11 pt.
MIN_GLYPH_PT = 6.0
MIN_LABEL_PT = 8.0


class FigureTextError(ValueError):
    """A figure whose text would be too small to read at its printed size."""


def pdf_font_sizes(pdf: bytes) -> list[float]:
    """The size of every run of text in a PDF written by matplotlib: the operand of each ``Tf``
    (matplotlib sets the size there and draws glyphs with an unscaled text matrix)."""
    import re
    import zlib

    sizes = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        body = m.group(1)
        try:
            body = zlib.decompress(body)
        except zlib.error:
            pass  # an uncompressed stream, or one that is not content (fonts, images)
        sizes += [float(t) for t in re.findall(rb"/[^\s/]+\s+([0-9.]+)\s+Tf", body)]
    return sizes


def check_text_sizes(fig, pdf: bytes, name: str) -> None:
    """Refuse a figure with a glyph under MIN_GLYPH_PT or a tick or axis label under MIN_LABEL_PT."""
    small = sorted({s for s in pdf_font_sizes(pdf) if s < MIN_GLYPH_PT})
    if small:
        raise FigureTextError(
            f"figure {name!r} prints text at {', '.join(f'{s:g}' for s in small)} pt, below the "
            f"{MIN_GLYPH_PT:g} pt a printed figure needs (a sub- or superscript is 70% of its base "
            f"size): use at least 9 pt text in its draw function"
        )
    for ax in fig.axes:
        texts = [ax.xaxis.label, ax.yaxis.label, *ax.get_xticklabels(), *ax.get_yticklabels()]
        for t in texts:
            if t.get_text() and t.get_visible() and t.get_fontsize() < MIN_LABEL_PT:
                raise FigureTextError(
                    f"figure {name!r}: the label or tick label {t.get_text()!r} is set at "
                    f"{t.get_fontsize():g} pt, below {MIN_LABEL_PT:g} pt; leave it at the style's 9 pt"
                )


def resolve(dotted: str):
    """``"figures.mlp:training_loss"`` -> the function."""
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)


def render_figure(spec, out_dir: Path) -> Path:
    """Draw one :class:`derivations.ledger.Figure` into ``out_dir``; returns the file written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    func = resolve(spec.draw)
    if spec.kind == "tikz":
        path = out_dir / f"{spec.name}.tex"
        body = func(spec.data)
        path.write_text(f"% Generated by build.py from {spec.draw}. Do not edit.\n{body.rstrip()}\n")
        return path
    if spec.kind != "matplotlib":
        raise ValueError(f"figure {spec.name!r}: kind must be 'matplotlib' or 'tikz', not {spec.kind!r}")
    path = out_dir / f"{spec.name}.pdf"
    with matplotlib.rc_context(RC), _shared_mathtext():
        # A figure on a PDF canvas (not pyplot's Agg one): tight_layout then measures the text
        # with the very metrics the PDF is drawn with, and the parsed mathtext is reused when
        # saving.  The engine is removed after the layout so that savefig does not lay out and
        # draw the figure a second time.
        fig = Figure(figsize=(spec.width, spec.height))
        FigureCanvasPdf(fig)
        ax = fig.subplots(spec.nrows, spec.ncols, squeeze=True)
        func(spec.data, ax)
        fig.tight_layout(pad=0.3)
        fig.set_layout_engine(None)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="pdf", metadata=_METADATA)
        check_text_sizes(fig, buffer.getvalue(), spec.name)
    path.write_bytes(buffer.getvalue())
    return path
