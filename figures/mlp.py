"""Figures of Problem 1 (data from :mod:`derivations.mlp`; sizes and fonts from :mod:`figures.style`)."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap

__all__ = ["network_tikz", "training"]

CLASS_COLOURS = ("#0072B2", "#D55E00", "#009E73")  # Okabe-Ito: distinguishable in grey and by the colour-blind
REGION_COLOURS = ("#cfe3f1", "#f6dccb", "#cdebe0")


def _column(n: int, spacing: float):
    """Vertical positions of n units centred on 0."""
    return [spacing * ((n - 1) / 2 - i) for i in range(n)]


def network_tikz(data) -> str:
    """TikZ source of the three-layer MLP of the assignment's Figure 1, from ``data["sizes"]``.

    About 6.5 cm wide, to stand beside the text; the caption says what the columns compute."""
    d0, d1, K = data["sizes"]
    gap = 0.62  # cm between units
    lines = [
        r"\begin{tikzpicture}[x=1cm, y=1cm, >={Stealth[length=3pt]}, font=\small,",
        r"  unit/.style={circle, draw=black!70, line width=0.5pt, minimum size=5.6mm, inner sep=0pt},",
        r"  wire/.style={->, black!35, line width=0.35pt},",
        r"  note/.style={align=center}]",
    ]
    columns = {"x": 0.0, "h": 2.2, "o": 4.4, "y": 5.7}
    for name, n, fill, label in (
        ("x", d0, "blue!6", "x_{%d}"),
        ("h", d1, "orange!10", "h_{%d}"),
        ("o", K, "green!8", "o_{%d}"),
        ("y", K, "green!8", "y_{%d}"),
    ):
        for i, yy in enumerate(_column(n, gap), start=1):
            lines.append(
                r"\node[unit, fill=%s] (%s%d) at (%.2f, %.3f) {$%s$};" % (fill, name, i, columns[name], yy, label % i)
            )
    for src, n_src, dst, n_dst in (("x", d0, "h", d1), ("h", d1, "o", K)):
        for i in range(1, n_src + 1):
            for j in range(1, n_dst + 1):
                lines.append(r"\draw[wire] (%s%d) -- (%s%d);" % (src, i, dst, j))
    for k in range(1, K + 1):
        lines.append(r"\draw[->, black!70] (o%d) -- (y%d);" % (k, k))
    top = gap * (max(d0, d1, K) - 1) / 2 + 0.45
    lines += [
        r"\begin{scope}[on background layer]",
        r"\node[draw=black!40, dashed, rounded corners=3pt, fit=(o1) (y%d), inner sep=3pt,"
        r" label={[font=\small]below:softmax}] {};" % K,
        r"\end{scope}",
        r"\node[note] at (%.2f, %.3f) {$\mathbf{W}, \mathbf{b}$};" % ((columns["x"] + columns["h"]) / 2, top),
        r"\node[note] at (%.2f, %.3f) {$\mathbf{U}, \mathbf{d}$};" % ((columns["h"] + columns["o"]) / 2, top),
        r"\node[note] at (%.2f, %.3f) {ReLU};" % (columns["h"], -top),
        r"\end{tikzpicture}",
    ]
    return "\n".join(lines)


def training(data, ax) -> None:
    """Left: the data set and the classes the trained MLP assigns; right: the loss per epoch."""
    left, right = ax
    g = data["grid"]
    left.pcolormesh(g, g, data["regions"], cmap=ListedColormap(REGION_COLOURS), shading="nearest", rasterized=True)
    for k, colour in enumerate(CLASS_COLOURS):
        pts = data["X"][data["labels"] == k]
        left.scatter(pts[:, 0], pts[:, 1], s=7, color=colour, linewidths=0, label=f"class {k + 1}")
    left.set_aspect("equal")
    left.set_xlim(g[0], g[-1])
    left.set_ylim(g[0], g[-1])
    left.set_xlabel(r"$x_1$")
    left.set_ylabel(r"$x_2$")
    left.set_title("data and learned decision regions")

    history = data["history"]
    epochs = np.arange(len(history))
    right.semilogy(epochs, history, color="black")
    right.set_xlabel("epoch")
    right.set_ylabel("mean cross-entropy")
    right.set_title("training loss (minibatch SGD, Algorithm 1)")
    right.set_xlim(0, epochs[-1])
    right.grid(True, which="major", linewidth=0.3, color="0.85")
