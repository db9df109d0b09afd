"""Problem 2 figures: the RNN of Eq. 4 unrolled in time, with the two paths BPTT adds at h^(t)."""

from __future__ import annotations

__all__ = ["unrolled"]


def unrolled(data) -> str:
    """TikZ source: three columns (steps ``data["steps"]``), forward arrows black, the two
    backward contributions to delta_h at the middle step dashed red."""
    steps = data["steps"]
    dx = data.get("dx", 3.6)
    lines = [
        r"\begin{tikzpicture}[>=Stealth, font=\small,",
        r"  var/.style={draw, rounded corners=2pt, minimum width=11mm, minimum height=6mm, inner sep=2pt},",
        r"  fwd/.style={->, thick}, bwd/.style={->, thick, dashed, red!70!black},",
        r"  lab/.style={font=\footnotesize, inner sep=1pt}]",
    ]
    for i, s in enumerate(steps):
        x = i * dx
        lines += [
            r"\node[var] (x%d) at (%.2f, 0) {$\mathbf{x}^{(%s)}$};" % (i, x, s),
            r"\node[var] (z%d) at (%.2f, 1.3) {$\mathbf{z}^{(%s)}$};" % (i, x, s),
            r"\node[var] (h%d) at (%.2f, 2.5) {$\mathbf{h}^{(%s)}$};" % (i, x, s),
            r"\node[var] (o%d) at (%.2f, 3.7) {$\mathbf{o}^{(%s)}$};" % (i, x, s),
            r"\node[var] (J%d) at (%.2f, 4.9) {$J^{(%s)}$};" % (i, x, s),
            r"\draw[fwd] (x%d) -- node[lab, left] {$\mathbf{W}$} (z%d);" % (i, i),
            r"\draw[fwd] (z%d) -- node[lab, left] {$\tanh$} (h%d);" % (i, i),
            r"\draw[fwd] (h%d) -- node[lab, left] {$\mathbf{V}$} (o%d);" % (i, i),
            r"\draw[fwd] (o%d) -- node[lab, left] {$\mathbf{t}^{(%s)}$} (J%d);" % (i, s, i),
        ]
        if i > 0:
            lines.append(r"\draw[fwd] (h%d.east) -- node[lab, above, pos=0.35] {$\mathbf{U}$} (z%d.west);" % (i - 1, i))
    last = len(steps) - 1
    lines += [
        r"\node (hin) at (%.2f, 2.5) {$\cdots$};" % (-0.5 * dx),
        r"\draw[fwd] (hin) -- node[lab, above, pos=0.35] {$\mathbf{U}$} (z0.west);",
        r"\node (hout) at (%.2f, 1.3) {$\cdots$};" % ((last + 0.5) * dx),
        r"\draw[fwd] (h%d.east) -- node[lab, above, pos=0.35] {$\mathbf{U}$} (hout);" % last,
    ]
    m = data["focus"]
    lines += [
        r"\draw[bwd] (o%d.east) to[bend left=40] node[lab, right] {$\mathbf{V}^{\top}\boldsymbol{\delta}_{o}^{(%s)}$} (h%d.east);"
        % (m, steps[m], m),
        r"\draw[bwd] (z%d.south west) to[bend left=25] node[lab, below=7pt, pos=0.45] {$\mathbf{U}^{\top}\boldsymbol{\delta}_{z}^{(%s)}$} (h%d.south east);"
        % (m + 1, steps[m + 1], m),
        r"\end{tikzpicture}",
    ]
    return "\n".join(lines)
