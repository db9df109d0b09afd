"""Problem 4's figures: the LSTM cell as TikZ, and how far back a gradient reaches.

``cell_diagram`` draws the cell from its layout (:func:`cell_layout`: nodes with positions in cm,
edges as paths) as TikZ source; the schematic needs no data from the derivation.
``gradient_reach`` draws the measured norms of d l^(tau) / d x^(tau - d) against the distance d
for the RNN and the LSTM.
"""

from __future__ import annotations

__all__ = ["cell_diagram", "cell_layout", "gradient_reach"]

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


_BUS_Y = 0.5  # the line carrying x^(t) and h^(t-1) to the gates
_CELL_Y = 3.7  # the cell-state line
_GATE_Y = 1.6
_Y_Y = 2.25  # the output y^(t), to the right of the cell (between h^(t) and c^(t))


def cell_layout() -> dict:
    """Nodes (name, kind, x, y, text) and edges (points, label, label side, style) of one cell."""
    gates = {"f": (1.8, r"\sigma"), "i": (3.6, r"\sigma"), "g": (5.4, r"\tanh"), "o": (7.4, r"\sigma")}
    x_tanh, x_out, x_right = 8.9, 9.9, 11.4
    nodes = [
        ("c_prev", "port", -0.9, _CELL_Y, r"$\mathbf{c}^{(t-1)}$"),
        ("h_prev", "port", -0.9, _BUS_Y, r"$\mathbf{h}^{(t-1)}$"),
        ("x", "port", 0.8, -0.8, r"$\mathbf{x}^{(t)}$"),
        ("c_next", "port", x_right, _CELL_Y, r"$\mathbf{c}^{(t)}$"),
        ("h_next", "port", x_right, _BUS_Y, r"$\mathbf{h}^{(t)}$"),
        ("y", "port", x_right, _Y_Y, r"$\mathbf{y}^{(t)}$"),
        ("mul_f", "op", gates["f"][0], _CELL_Y, r"$\odot$"),
        ("add", "op", gates["g"][0], _CELL_Y, r"$+$"),
        ("mul_i", "op", gates["g"][0], 2.7, r"$\odot$"),
        ("tanh_c", "fun", x_tanh, 2.75, r"$\tanh$"),
        ("mul_o", "op", x_tanh, _GATE_Y, r"$\odot$"),
        ("join", "dot", 0.8, _BUS_Y, ""),
        ("split_c", "dot", x_tanh, _CELL_Y, ""),
        ("split_h", "dot", x_out, _GATE_Y, ""),
    ]
    edges = [
        (["c_prev", "mul_f", "add", "c_next"], "", "", "cell"),
        (["h_prev", "join"], "", "", "bus"),
        (["x", "join"], "", "", "bus"),
        (["join", (gates["o"][0], _BUS_Y)], "", "", "bus"),
        (["split_c", "tanh_c", "mul_o"], "", "", "flow"),
        (["mul_o", "split_h", (x_out, _BUS_Y), "h_next"], "", "", "flow"),
        (["split_h", (x_out, _Y_Y), "y"], "", "", "flow"),
        (["mul_i", "add"], "", "", "flow"),
    ]
    for gate, (gx, act) in gates.items():
        nodes.append((f"gate_{gate}", "gate", gx, _GATE_Y, f"${act}$"))
        nodes.append((f"par_{gate}", "note", gx + 0.08, _GATE_Y - 0.62,
                      r"$\mathbf{W}_{%s},\mathbf{U}_{%s},\mathbf{b}_{%s}$" % (gate, gate, gate)))
        edges.append(([(gx, _BUS_Y), f"gate_{gate}"], "", "", "bus"))
    edges += [
        (["gate_f", "mul_f"], r"$\mathbf{f}^{(t)}$", "left", "flow"),
        (["gate_i", (gates["i"][0], 2.7), "mul_i"], r"$\mathbf{i}^{(t)}$", "above", "flow"),
        (["gate_g", "mul_i"], r"$\mathbf{g}^{(t)}$", "right", "flow"),
        (["gate_o", "mul_o"], r"$\mathbf{o}^{(t)}$", "above", "flow"),
    ]
    return {"nodes": nodes, "edges": edges, "box": (0.25, -0.05, 10.45, 4.25)}


def _point(p) -> str:
    return f"({p[0]:.2f},{p[1]:.2f})" if isinstance(p, tuple) else f"({p})"


def cell_diagram(data: dict) -> str:
    """TikZ source of the cell (``data`` is empty: the layout is :func:`cell_layout`'s)."""
    data = {**cell_layout(), **data}
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
