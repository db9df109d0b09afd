"""Display wrappers for Problems 7-8, and the value of a printed formula on concrete numbers.

SymPy's LaTeX printer sorts the terms of a sum and prints ``c * Sum`` as a fraction; the report
follows the papers' order instead.  ``InOrder``, ``Paren`` and ``Scaled`` only change printing
(``_latex``); :func:`plain` turns them back into the SymPy expressions they print, and
:func:`evaluate` computes a printed formula (sums over samples included) on arrays, so that a
check exercises the very object the report shows.  A candidate for derivations/tex.py.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

__all__ = ["InOrder", "Paren", "Scaled", "plain", "evaluate"]


class _Display(sp.Expr):
    def __new__(cls, *args):
        return super().__new__(cls, *(sp.sympify(a) for a in args))


class InOrder(_Display):
    """A sum printed with its terms in the given order: ``InOrder(1, log(s**2), -mu**2)``."""

    def _latex(self, printer):
        out = printer._print(self.args[0])
        for a in self.args[1:]:
            s = printer._print(a)
            out += (" " + s) if s.startswith("-") else (" + " + s)
        return out

    def value(self):
        return sp.Add(*(plain(a) for a in self.args))


class Paren(_Display):
    """An expression printed inside big parentheses."""

    def _latex(self, printer):
        return r"\left(%s\right)" % printer._print(self.args[0])

    def value(self):
        return plain(self.args[0])


class Scaled(_Display):
    r"""``Scaled(1, M, body)`` prints ``\frac{1}{M} body`` (SymPy would print ``body / M``)."""

    def _latex(self, printer):
        n, d, body = self.args
        sign = "-" if n.is_negative else ""
        return r"%s\frac{%s}{%s} %s" % (sign, printer._print(abs(n)), printer._print(d), printer._print(body))

    def value(self):
        n, d, body = self.args
        return n / d * plain(body)


def plain(expr):
    """``expr`` with every display wrapper replaced by the SymPy expression it prints."""
    if isinstance(expr, tuple):
        return tuple(plain(e) for e in expr)
    if isinstance(expr, _Display):
        return expr.value()
    if isinstance(expr, sp.Basic) and expr.args and not isinstance(expr, (sp.Indexed, sp.Symbol)):
        return expr.func(*(plain(a) for a in expr.args))
    return expr


def evaluate(expr, values=None, samples=None):
    """The value of a printed formula on concrete numbers.

    Parameters
    ----------
    expr : SymPy expression, possibly with display wrappers and finite sums ``Sum(body, (i, lo, n))``
    values : dict symbol -> number or array (broadcast); must give every sum's upper limit
    samples : dict of per-sample symbols (or ``IndexedBase``) -> array whose last axis runs over a
        sum's index (position 0 is the sum's lower limit)

    Example
    -------
    >>> m, i, t = sp.Symbol("m"), sp.Symbol("i"), sp.Symbol("t_i")
    >>> float(evaluate(Scaled(1, m, sp.Sum(t, (i, 1, m))), {m: 4}, {t: np.array([1.0, 2, 3, 6])}))
    3.0
    """
    values, samples = dict(values or {}), dict(samples or {})
    expr = plain(expr)
    bound = {b for total in expr.atoms(sp.Sum) for b in sp.Tuple(*total.limits[0][1:]).free_symbols}
    limits = tuple((b, np.asarray(values[b]).item()) for b in sorted(bound, key=str) if b in values and np.ndim(values[b]) == 0)
    f, leaves = _compiled(expr, tuple(values), tuple(samples), limits)
    feed = [np.asarray(samples[key], dtype=float)[..., pos] for key, pos in leaves]
    return f(*feed, *values.values())


@functools.lru_cache(maxsize=None)
def _compiled(expr, names, sample_keys, limits):
    """:func:`evaluate`'s function of a plain ``expr``: every finite sum written out (its limits from
    ``limits``, pairs symbol -> number), each per-sample term a fresh argument, then lambdified with
    the arguments (one per leaf, in order) followed by ``names``.  Returns the function and, for
    each leaf, the key of ``samples`` and the position along its last axis that feeds it.  Cached:
    the checks evaluate the same formula on many draws of the same sizes."""
    scalars, samples, args, leaves = dict(limits), set(sample_keys), [], []

    def leaf(key, pos):
        d = sp.Dummy()
        args.append(d)
        leaves.append((key, pos))
        return d

    def expand_sum(s):
        body, (idx, lo, hi) = s.function, s.limits[0]
        lo, hi = int(sp.sympify(lo).subs(scalars)), int(sp.sympify(hi).subs(scalars))
        terms = []
        for pos, k in enumerate(range(lo, hi + 1)):
            t = body.subs(idx, k)
            t = t.replace(lambda e: isinstance(e, sp.Indexed) and e.base in samples,
                          lambda e: leaf(e.base, int(e.indices[0]) - lo))
            t = t.xreplace({sym: leaf(sym, pos) for sym in sample_keys if isinstance(sym, sp.Symbol) and t.has(sym)})
            terms.append(t)
        return sp.Add(*terms)

    expr = expr.replace(lambda e: isinstance(e, sp.Sum), expand_sum)
    return sp.lambdify(args + list(names), expr, "numpy"), tuple(leaves)
