"""Problem 4's figures: the LSTM cell as TikZ, and how far back a gradient reaches.

``cell_diagram`` turns the cell's description (nodes with positions in cm, edges as paths; the
data of figure p04_lstm_cell, made by ``derivations.lstm.cell_diagram_data``) into TikZ source.
``gradient_reach`` draws the measured norms of d l^(tau) / d x^(tau - d) against the distance d
for the RNN and the LSTM.
"""

from __future__ import annotations

__all__ = ["cell_diagram", "gradient_reach"]

# --------------------------------------------------------------------------- the LSTM cell

_NODE_STYLE = {
    "port": "inner sep=2pt",
    "op": "circle, draw, fill=white, inner sep=0.5pt, minimum size=5.5mm",
    "fun": "ellipse, draw, fill=yellow!15, inner sep=1pt, minimum height=5.5mm",
    "gate": "rectangle, rounded corners=1pt, draw, fill=orange!20, minimum width=9mm, minimum height=6mm",
    "note": "font=\\scriptsize, inner sep=1pt, anchor=west, fill=blue!4",
    "dot": "circle, fill, inner sep=0pt, minimum size=1.6mm",
}
_EDGE_STYLE = {
    "cell": "-{Stealth[length=2.2mm]}, line width=1.1pt",
    "bus": "-{Stealth[length=1.8mm]}, line width=0.5pt, gray!70!black",
    "flow": "-{Stealth[length=1.8mm]}, line width=0.6pt",
}


def _point(p) -> str:
    return f"({p[0]:.2f},{p[1]:.2f})" if isinstance(p, tuple) else f"({p})"


def cell_diagram(data: dict) -> str:
    """TikZ source of the cell from its description (``derivations.lstm.cell_diagram_data``)."""
    lines = [r"\begin{tikzpicture}[font=\small, >=Stealth]"]
    x0, y0, x1, y1 = data["box"]
    lines.append(
        rf"\draw[rounded corners=6pt, fill=blue!4, draw=blue!40!black] ({x0},{y0}) rectangle ({x1},{y1});"
    )
    lines.append(rf"\node[anchor=south east, font=\scriptsize, blue!40!black] at ({x1},{y0}) {{LSTM cell}};")
    for name, kind, x, y, text in data["nodes"]:
        if kind in ("gate", "op", "fun", "note", "dot"):
            continue
        lines.append(rf"\node[{_NODE_STYLE[kind]}] ({name}) at ({x:.2f},{y:.2f}) {{{text}}};")
    # inner nodes are drawn after the box, before the edges (so arrows stop at their borders)
    for name, kind, x, y, text in data["nodes"]:
        if kind in ("gate", "op", "fun", "note", "dot"):
            lines.append(rf"\node[{_NODE_STYLE[kind]}] ({name}) at ({x:.2f},{y:.2f}) {{{text}}};")
    for points, label, side, style in data["edges"]:
        path = " -- ".join(_point(p) for p in points)
        if label:
            # the label sits on the last segment
            head, last = points[:-1], points[-1]
            path = " -- ".join(_point(p) for p in head) + rf" -- node[{side}, font=\footnotesize] {{{label}}} " + _point(last)
        lines.append(rf"\draw[{_EDGE_STYLE[style]}] {path};")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- gradient reach


def gradient_reach(data: dict, ax) -> None:
    """Median ||d l^(tau)/d x^(tau-d)|| against d (log scale) for the RNN and the LSTM."""
    d = data["distance"]
    ax.semilogy(d, data["rnn"], color="black", label="RNN (tanh)")
    colors = {0.0: "tab:red", 1.0: "tab:blue", 3.0: "tab:green"}
    for b, curve in data["lstm"].items():
        f = data["mean_f"][b]
        ax.semilogy(d, curve, color=colors.get(b, None), linestyle="--",
                    label=rf"LSTM, $b_f = {b:g}$ (mean $f = {f:.2f}$)")
    ax.set_xlabel(r"distance in time $d = \tau - k$")
    ax.set_ylabel(r"$\|\partial \ell^{(\tau)} / \partial \mathbf{x}^{(k)}\|$ (median)")
    ax.set_xlim(0, d[-1])
    ax.legend(loc="lower left", ncol=1)
    ax.grid(True, which="major", linewidth=0.3, alpha=0.5)
