"""The one place where SymPy objects become LaTeX.

Templates never retype a verified formula: they receive strings made here.  The printer
follows the assignment's notation:

* a symbol or matrix symbol whose name already is LaTeX (it contains a backslash or a brace,
  e.g. ``MatrixSymbol(r"\\boldsymbol{\\delta}_z^{(l)}", n, 1)``) is printed verbatim;
* the Hadamard product prints as ``\\odot`` and the transpose as ``^{\\top}``;
* matrix symbols with single-letter names print bold (``W`` -> ``\\mathbf{W}``).
"""

from __future__ import annotations

import re

import sympy
from sympy.printing.latex import LatexPrinter

__all__ = ["tex", "bold", "vec", "mat", "TexPrinter", "common_decade", "power_of_ten_above", "PrintDecisionError"]

_RAW = re.compile(r"[\\{}]")


class TexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the report's conventions."""

    def __init__(self, settings=None):
        settings = dict(settings or {})
        settings.setdefault("mul_symbol", None)
        settings.setdefault("fold_short_frac", False)
        super().__init__(settings)

    def _print_Symbol(self, expr, style="plain"):
        if _RAW.search(expr.name):
            return expr.name
        return super()._print_Symbol(expr, style=style)

    def _print_MatrixSymbol(self, expr):
        name = expr.name
        if _RAW.search(name):
            return name
        if len(name) == 1:
            return r"\mathbf{%s}" % name
        return super()._print_MatrixSymbol(expr)

    def _print_HadamardProduct(self, expr):
        return r" \odot ".join(self.parenthesize(a, 60) for a in expr.args)

    def _print_Transpose(self, expr):
        arg = expr.arg
        s = self._print(arg)
        if not isinstance(arg, (sympy.MatrixSymbol, sympy.Symbol)):
            s = r"\left(%s\right)" % s
        elif "^" in s:  # a name with its own superscript, e.g. W^{(l)}: avoid a double superscript
            s = "{%s}" % s
        return r"%s^{\top}" % s

    def _print_Function(self, expr, exp=None):
        name = expr.func.__name__
        if _RAW.search(name):
            args = ", ".join(self._print(a) for a in expr.args)
            s = r"%s\left(%s\right)" % (name, args)
            return s if exp is None else r"%s^{%s}" % (s, exp)
        return super()._print_Function(expr, exp=exp)


def tex(expr, **settings) -> str:
    """LaTeX for a SymPy object (or a string, returned as it is)."""
    if isinstance(expr, str):
        return expr
    return TexPrinter(settings).doprint(expr)


def bold(name: str) -> str:
    r"""``"W"`` -> ``"\mathbf{W}"``; Greek names get ``\boldsymbol``."""
    if name.startswith("\\"):
        return r"\boldsymbol{%s}" % name
    return r"\mathbf{%s}" % name


def vec(name: str, rows, sup: str = "", sub: str = "") -> sympy.MatrixSymbol:
    """A column-vector symbol printed in bold with an optional superscript/subscript."""
    s = bold(name)
    if sub:
        s += "_{%s}" % sub
    if sup:
        s += "^{%s}" % sup
    return sympy.MatrixSymbol(s, rows, 1)


def mat(name: str, rows, cols, sup: str = "", sub: str = "") -> sympy.MatrixSymbol:
    """A matrix symbol printed in bold with an optional superscript/subscript."""
    s = bold(name)
    if sub:
        s += "_{%s}" % sub
    if sup:
        s += "^{%s}" % sup
    return sympy.MatrixSymbol(s, rows, cols)


# --------------------------------------------------------------------------- printing decisions
# A number printed as an order of magnitude is a decision on a float: it must not flip between
# processors.  These helpers make it with a margin and refuse when the margin is not there.


class PrintDecisionError(ValueError):
    """A printed order of magnitude or bound would depend on the last bits of a computation."""


def common_decade(values, margin: float = 0.1) -> int:
    """The power of ten n with every value within a half decade of 10^n, each at least ``margin``
    decades inside that half decade; else :class:`PrintDecisionError`.

    Pass every value that the decision could go to (for an argmin over round-off-dominated
    errors: every point whose error is within a small factor of the smallest).
    """
    import math

    logs = [math.log10(float(v)) for v in values]
    decades = {round(x) for x in logs}
    if len(decades) != 1 or any(abs(abs(x - round(x)) - 0.5) < margin for x in logs):
        raise PrintDecisionError(
            f"the values {[float(v) for v in values]} do not share one decade with a margin of {margin} "
            "decades, so the printed order of magnitude could differ between processors; print a range "
            "or choose other settings"
        )
    return decades.pop()


def power_of_ten_above(value, factor: float = 2.0) -> int:
    """The smallest n with 10^n >= factor * value: a bound that stays true while round-off moves
    ``value`` by less than ``factor``."""
    import math

    value = float(value)
    if not (value > 0 and math.isfinite(value)):
        raise PrintDecisionError(f"a bound needs a positive finite value, not {value!r}")
    return math.ceil(math.log10(factor * value))
