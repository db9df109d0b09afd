"""Problem 10 figure: a Transformer layer next to an all-attention layer, as TikZ."""

from __future__ import annotations

__all__ = ["transformer_vs_all_attention"]

_STYLES = r"""
  sub/.style={draw, rounded corners=2pt, text width=44mm, minimum height=5mm, inner sep=1.5pt, font=\footnotesize,
              align=center},
  attn/.style={sub, fill=blue!8},
  norm/.style={sub, fill=gray!12, minimum height=4mm},
  ffn/.style={sub, fill=green!12},
  mem/.style={draw, rounded corners=2pt, fill=orange!18, font=\footnotesize, align=center, text width=36mm},
  flow/.style={-{Stealth[length=1.6mm]}, semithick},
  skip/.style={-{Stealth[length=1.6mm]}, gray!70!black},
"""

def _kind(label: str) -> str:
    low = label.lower()
    if "attention" in low:
        return "attn"
    if "norm" in low:
        return "norm"
    return "ffn"


def _column(lines, prefix, x, blocks, title, detail):
    """A stack of blocks at abscissa x with a residual connection around each sublayer."""
    lines.append(rf"\node[font=\footnotesize] ({prefix}in) at ({x:.2f},0) {{$\mathbf{{x}}_t$}};")
    prev = f"{prefix}in"
    branch = None  # where the residual path of the current sublayer leaves the main path
    for k, label in enumerate(blocks):
        kind = _kind(label)
        text = label + (r"\\" + detail[label] if label in detail else "")
        lines.append(rf"\node[{kind}, above=2.5mm of {prev}] ({prefix}{k}) {{{text}}};")
        lines.append(rf"\draw[flow] ({prev}) -- ({prefix}{k});")
        if branch is None:
            branch = f"{prefix}b{k}"
            lines.append(rf"\coordinate ({branch}) at ($({prev}.north)!0.5!({prefix}{k}.south)$);")
        if kind == "norm":  # the residual path joins here
            corner = rf"($({branch}-|{prefix}{k}.west)+(-0.35,0)$)"
            lines.append(rf"\draw[skip] ({branch}) -- {corner} |- ({prefix}{k}.west);")
            branch = None
        prev = f"{prefix}{k}"
    lines.append(rf"\node[font=\footnotesize, above=3.5mm of {prev}] ({prefix}out) {{$\mathbf{{y}}_t$}};")
    lines.append(rf"\draw[flow] ({prev}) -- ({prefix}out);")
    lines.append(rf"\node[font=\footnotesize\bfseries, above=0.5mm of {prefix}out] {{{title}}};")


def transformer_vs_all_attention(data: dict) -> str:
    """TikZ source: ``data["standard"]`` and ``data["all"]`` list the blocks from bottom to top."""
    lines = [r"\begin{tikzpicture}[" + _STYLES + "]"]
    detail = {
        "Feedforward": r"$\mathbf{U}\operatorname{ReLU}(\mathbf{V}\mathbf{x}_t + \mathbf{b}) + \mathbf{c}$",
        "Multi-head self-attention": r"keys, values from the context",
        "Multi-head all-attention": r"keys $[\mathbf{K}_t + \mathbf{P}_t,\ \mathbf{M}^k]$,"
        r" values $[\mathbf{V}_t,\ \mathbf{M}^v]$\\ one softmax over both",
    }
    # side by side: the Transformer layer, the persistent vectors that replace its FF sublayer, the
    # all-attention layer that reads them
    _column(lines, "s", 0.0, data["standard"], "Transformer layer", detail)
    _column(lines, "a", 10.0, data["all"], "All-attention layer", detail)
    lines.append(
        r"\node[mem] (mem) at (5.1,1.1) {persistent vectors $\mathbf{M}^k, \mathbf{M}^v$:"
        r" $N$ learned keys and values per head, the same at all positions, no position term};"
    )
    lines.append(r"\draw[flow, orange!60!black] (mem.east) -- (a0.west);")
    # the feedforward sublayer is what the persistent vectors replace
    ff = [k for k, b in enumerate(data["standard"]) if _kind(b) == "ffn"]
    if ff:
        lines.append(
            rf"\draw[-{{Stealth[length=1.6mm]}}, densely dashed, orange!60!black] (s{ff[0]}.east)"
            r" -| node[pos=0.25, above, font=\scriptsize] {replaced by} (mem.north);"
        )
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)
