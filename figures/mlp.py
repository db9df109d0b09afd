"""Figures of Problem 1 (data from :mod:`derivations.mlp`; sizes and fonts from :mod:`figures.style`)."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap

__all__ = ["network_tikz", "training", "fd_steps"]

CLASS_COLOURS = ("#0072B2", "#D55E00", "#009E73")  # Okabe-Ito: distinguishable in grey and by the colour-blind
REGION_COLOURS = ("#cfe3f1", "#f6dccb", "#cdebe0")


def _column(n: int, spacing: float):
    """Vertical positions of n units centred on 0."""
    return [spacing * ((n - 1) / 2 - i) for i in range(n)]


def network_tikz(data) -> str:
    """TikZ source of the three-layer MLP of the assignment's Figure 1, from ``data["sizes"]``."""
    d0, d1, K = data["sizes"]
    gap = 0.95  # cm between units
    lines = [
        r"\begin{tikzpicture}[x=1cm, y=1cm, >={Stealth[length=4pt]},",
        r"  unit/.style={circle, draw=black!70, line width=0.5pt, minimum size=8mm, inner sep=0pt},",
        r"  wire/.style={->, black!35, line width=0.4pt},",
        r"  note/.style={font=\small, align=center}]",
    ]
    columns = {"x": 0.0, "h": 3.6, "o": 7.2, "y": 9.2}
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
    top = gap * (max(d0, d1, K) - 1) / 2 + 0.75
    bottom = -top
    lines += [
        r"\begin{scope}[on background layer]",
        r"\node[draw=black!40, dashed, rounded corners=3pt, fit=(o1) (y%d), inner sep=4pt,"
        r" label={[note]above:softmax}] {};" % K,
        r"\end{scope}",
        r"\node[note] at (1.8, %.3f) {$\mathbf{W}^{(1)} = \mathbf{W}$, $\mathbf{b}^{(1)} = \mathbf{b}$};" % top,
        r"\node[note] at (5.4, %.3f) {$\mathbf{W}^{(2)} = \mathbf{U}$, $\mathbf{b}^{(2)} = \mathbf{d}$};" % top,
        r"\node[note, anchor=north] at (%.2f, %.3f) {input\\ $\mathbf{x} = \mathbf{h}^{(0)}$\\ $d_0 = %d$};"
        % (columns["x"], bottom, d0),
        r"\node[note, anchor=north] at (%.2f, %.3f) {hidden layer, ReLU\\"
        r" $\mathbf{z} = \mathbf{W}\mathbf{x} + \mathbf{b}$\\"
        r" $\mathbf{h} = \max(\mathbf{z}, \mathbf{0})$\\ $d_1 = %d$};" % (columns["h"], bottom, d1),
        r"\node[note, anchor=north] at (%.2f, %.3f) {output layer\\"
        r" $\mathbf{o} = \mathbf{U}\mathbf{h} + \mathbf{d}$\\"
        r" $\mathbf{y} = \softmax(\mathbf{o})$\\ $K = %d$ classes};" % ((columns["o"] + columns["y"]) / 2, bottom, K),
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


def fd_steps(data, ax) -> None:
    """Relative error of central differences against the step, with the two error terms' slopes."""
    steps, errors = data["steps"], data["errors"]
    ax.loglog(steps, errors, "o-", color="black", markersize=3, linewidth=1.0, label="measured")
    eps = np.finfo(float).eps
    # Reference slopes through the measured ends: truncation ~ step^2, round-off ~ eps / step.
    big, small = steps[-4:], steps[:4]
    c_trunc = np.median(errors[-4:] / big**2)
    c_round = np.median(errors[:4] / (eps / small))
    ax.loglog(steps, c_trunc * steps**2, "--", color=CLASS_COLOURS[0], linewidth=1.0,
              label=r"truncation $\propto s^2$")
    ax.loglog(steps, c_round * eps / steps, ":", color=CLASS_COLOURS[1], linewidth=1.4,
              label=r"round-off $\propto \epsilon/s$")
    ax.axvline(data["check_step"], color="0.5", linewidth=0.6)
    ax.annotate("step of the check", (data["check_step"], errors.max()), xytext=(-4, 0), textcoords="offset points",
                fontsize=8, color="0.35", va="top", ha="right")
    ax.set_ylim(errors.min() / 5, errors.max() * 5)
    ax.set_xlabel(r"step $s$")
    ax.set_ylabel("relative error of the gradient")
    ax.legend(loc="lower left")
