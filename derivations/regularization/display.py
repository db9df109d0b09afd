"""Printing rules for Problems 5 and 6 that the shared printer does not have.

SymPy sorts the terms of a sum and the arguments of ``Max`` when it prints them, which turns
the book's ``H + alpha I`` into ``alpha I + H`` and ``max(|w*| - alpha/H, 0)`` into
``max(0, -alpha/H + |w*|)``.  These display-only classes keep the order they were given; each
prints through the shared :class:`derivations.tex.TexPrinter` (their ``_latex`` hook) and
pickles like any SymPy object.  ``doit()`` turns each into the plain SymPy it displays
(``Plus`` -> ``Add``, ``MaxOf`` -> ``Max``, ...), so the checks evaluate the printed statement
itself: substitute numbers or explicit matrices, call ``doit()``, compare with another route.
"""

from __future__ import annotations

import sympy as sp

__all__ = ["MatSum", "Plus", "MaxOf", "Sign", "Seq", "Bracket"]


def _join(printer, terms) -> str:
    out = printer._print(terms[0])
    for t in terms[1:]:
        if t.could_extract_minus_sign():
            out += " - " + printer._print(-t)
        else:
            out += " + " + printer._print(t)
    return out


def _plain(args, hints):
    return [a.doit(**hints) if isinstance(a, sp.Basic) else a for a in args]


class MatSum(sp.MatAdd):
    """A matrix sum printed in the order written: ``MatSum(H, alpha*I)`` -> H + alpha I.

    ``doit()`` is ``MatAdd``'s: with explicit matrices substituted it adds them.
    """

    def _latex(self, printer):
        return _join(printer, self.args)


class Plus(sp.Function):
    """A scalar sum printed in the order written (display only; ``doit()`` is the ``Add``)."""

    def doit(self, **hints):
        return sp.Add(*_plain(self.args, hints))

    def _latex(self, printer, exp=None):
        s = _join(printer, self.args)
        return s if exp is None else r"\left(%s\right)^{%s}" % (s, exp)


class MaxOf(sp.Function):
    """``max(a, b)`` printed with its arguments in the order written (display only)."""

    nargs = 2

    def doit(self, **hints):
        return sp.Max(*_plain(self.args, hints))

    def _latex(self, printer, exp=None):
        s = r"\max\left(%s, %s\right)" % (printer._print(self.args[0]), printer._print(self.args[1]))
        return s if exp is None else r"%s^{%s}" % (s, exp)


class Sign(sp.Function):
    """``sign(x)`` printed as the book prints it, without extra braces (display only)."""

    nargs = 1

    def doit(self, **hints):
        return sp.sign(*_plain(self.args, hints))

    def _latex(self, printer, exp=None):
        return r"\operatorname{sign}\left(%s\right)" % printer._print(self.args[0])


class Seq(sp.Function):
    """A product printed factor by factor in the order written (display only; ``doit()`` is the ``Mul``)."""

    def doit(self, **hints):
        return sp.Mul(*_plain(self.args, hints))

    def _latex(self, printer, exp=None):
        s = " ".join(printer._print(a) for a in self.args)
        return s if exp is None else r"\left(%s\right)^{%s}" % (s, exp)


class Bracket(sp.Function):
    """An expression in square brackets, e.g. the summand of a sum (display only)."""

    nargs = 1

    def doit(self, **hints):
        return _plain(self.args, hints)[0]

    def _latex(self, printer, exp=None):
        return r"\left[%s\right]" % printer._print(self.args[0])
