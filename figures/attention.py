"""Problem 9 figure: the input-feeding decoder (the assignment's Figure 5), as TikZ."""

from __future__ import annotations

__all__ = ["input_feeding_decoder"]

_STYLES = r"""
  cell/.style={draw, rounded corners=2pt, fill=blue!8, minimum width=11mm, minimum height=5.5mm, font=\footnotesize},
  attn/.style={draw, rounded corners=2pt, fill=orange!18, minimum width=8mm, minimum height=5.5mm, font=\footnotesize},
  catnode/.style={draw, circle, inner sep=1.2pt, fill=white, font=\scriptsize},
  word/.style={font=\footnotesize, inner sep=1pt},
  flow/.style={-{Stealth[length=1.6mm]}, semithick},
  feed/.style={-{Stealth[length=1.8mm]}, very thick, red!75!black},
  alignarrow/.style={-{Stealth[length=1.4mm]}, densely dashed, gray!70!black},
"""


def _step(offset: int) -> str:
    return "t" if offset == 0 else f"t{offset:+d}"


def input_feeding_decoder(data: dict) -> str:
    """TikZ source: encoder, ``steps`` decoder steps of ``layers`` LSTM layers, feedback in red.

    ``data``: ``steps`` (odd: columns t-1, t, t+1, ...), ``layers``, ``source`` (source words).
    """
    steps, layers, source = data["steps"], data["layers"], data["source"]
    dy, enc_dx, dec_dx = 1.0, 1.3, 3.3
    x0 = (source - 1) * enc_dx + 1.8
    top = layers * dy
    att_y, out_y = top + 1.0, top + 1.9
    bus_y = out_y + 0.45
    lines = [r"\begin{tikzpicture}[>=Stealth," + _STYLES + "]"]
    # encoder
    for j in range(source):
        x = j * enc_dx
        lines.append(rf"\node[word] (src{j}) at ({x:.2f},0) {{$x_{{{j + 1}}}$}};")
        for l in range(1, layers + 1):
            lines.append(rf"\node[cell, fill=gray!12] (e{l}_{j}) at ({x:.2f},{l * dy:.2f}) {{LSTM}};")
            below = f"src{j}" if l == 1 else f"e{l - 1}_{j}"
            lines.append(rf"\draw[flow] ({below}) -- (e{l}_{j});")
            if j:
                lines.append(rf"\draw[flow] (e{l}_{j - 1}) -- (e{l}_{j});")
    lines.append(
        rf"\node[draw, dashed, gray, rounded corners=3pt, inner sep=2pt, fit=(e{layers}_0) (e{layers}_{source - 1}),"
        r" label={[font=\footnotesize, anchor=south west, inner sep=1pt]"
        r"north west:source states $\bar{\mathbf{h}}_s$}]"
        r" (enc) {};"
    )
    # decoder columns
    first = -(steps // 2)
    feedback = []
    for k in range(steps):
        off = first + k
        t, tp = _step(off), _step(off - 1)
        x = x0 + k * dec_dx
        lines.append(rf"\node[word] (y{k}) at ({x:.2f},-0.55) {{$y_{{{tp}}}$}};")
        lines.append(rf"\node[catnode] (cat{k}) at ({x:.2f},0.35) {{$;$}};")
        lines.append(rf"\draw[flow] (y{k}) -- node[right, font=\footnotesize] {{$\mathbf{{E}}$}} (cat{k});")
        for l in range(1, layers + 1):
            lines.append(rf"\node[cell] (d{l}_{k}) at ({x:.2f},{l * dy:.2f}) {{$\mathbf{{h}}^{{({l})}}_{{{t}}}$}};")
            below = f"cat{k}" if l == 1 else f"d{l - 1}_{k}"
            lines.append(rf"\draw[flow] ({below}) -- (d{l}_{k});")
            left = f"d{l}_{k - 1}" if k else f"e{l}_{source - 1}"
            lines.append(rf"\draw[flow] ({left}) -- (d{l}_{k});")
        lines.append(rf"\node[attn] (c{k}) at ({x - 1.05:.2f},{att_y:.2f}) {{$\mathbf{{c}}_{{{t}}}$}};")
        lines.append(rf"\node[attn] (ht{k}) at ({x:.2f},{att_y:.2f}) {{$\tilde{{\mathbf{{h}}}}_{{{t}}}$}};")
        lines.append(rf"\node[word] (out{k}) at ({x:.2f},{out_y:.2f}) {{$y_{{{t}}}$}};")
        lines.append(rf"\draw[flow] (d{layers}_{k}) -- (ht{k});")
        lines.append(rf"\draw[flow] (c{k}) -- (ht{k});")
        lines.append(
            rf"\draw[alignarrow] (d{layers}_{k}.north west) -- node[pos=0.3, anchor=north east, font=\footnotesize,"
            rf" inner sep=1pt] {{$\mathbf{{a}}_{{{t}}}$}} (c{k}.south);"
        )
        # the output layer, labelled once, where the label has room (right of the last column)
        label = r"node[right, font=\footnotesize] {$\softmax(\mathbf{W}_s\,\cdot)$}" if k == steps - 1 else ""
        lines.append(rf"\draw[flow] (ht{k}) -- {label} (out{k});")
        # the source states reach every context vector along a bus
        lines.append(rf"\draw[alignarrow] (c{k}.north |- 0,{bus_y:.2f}) -- (c{k}.north);")
        # input feeding: htilde_t enters the first layer at the next step
        xr = x + 1.3
        if k < steps - 1:
            feedback.append(rf"\draw[feed] (ht{k}.east) -- ({xr:.2f},{att_y:.2f}) |- (cat{k + 1}.west);")
        else:
            lines.append(rf"\draw[feed] (ht{k}.east) -- ({xr:.2f},{att_y:.2f}) -- ({xr:.2f},0.35) -- ++(0.35,0);")
        if k == 0:
            lines.append(rf"\draw[feed] ({x - 1.3:.2f},0.35) -- (cat0.west);")
    lines += feedback
    last = x0 + (steps - 1) * dec_dx
    lines.append(rf"\draw[alignarrow, -] ($(enc.north east)+(-0.5,0)$) |- ({last - 1.05:.2f},{bus_y:.2f});")
    lines.append(
        rf"\node[font=\scriptsize, red!75!black, anchor=north] at ({x0 + dec_dx / 2 + 0.65:.2f},0.3)"
        r" {input feeding};"
    )
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)
