"""The claim ledger: every result the report states, with the check that can fail.

A *claim* is one formula the report presents as a result.  It carries the statement as a
SymPy object (the report prints its LaTeX from that object, never from a retyped string),
how it was verified, the measured error, the tolerance, and the place in the code that
measured it.  A problem module returns its claims from ``verify``; ``build.py`` stops the
build when any of them fails and lists all of them in the report's Verification appendix.

Two constructors cover the cases:

* :func:`symbolic_claim` -- the derived formula minus an independent SymPy computation
  (for example direct differentiation of the scalar loss) must simplify to exactly zero;
* :func:`numeric_claim` -- a measured error (finite differences, brute-force minimisation,
  Monte Carlo, exact enumeration, an independent library) must not exceed a tolerance.

``where`` defaults to the calling function (``module:function``), so a failed check always
names the code that measured it.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import sympy

__all__ = [
    "Claim",
    "Figure",
    "Derivation",
    "symbolic_claim",
    "numeric_claim",
    "relative_error",
    "is_zero",
]


@dataclass(frozen=True)
class Claim:
    """One verified statement of the report.

    Attributes
    ----------
    id:
        Unique, dotted, problem first: ``"p1.delta_z_output"``.  The template shows the claim
        with ``\\VAR{claim("p1.delta_z_output")}`` and the appendix row is labelled from it.
    statement:
        The result as a SymPy object, normally an ``Eq``.  Printed by :func:`derivations.tex.tex`.
    method:
        How it was checked, in a few words ("symbolic identity", "central finite differences").
    error, tolerance:
        The measured error and the largest error accepted.  Exact symbolic checks use 0 and 0.
    where:
        ``module:function`` that measured the error.
    reproduce:
        What reproduces the measurement (seed, sizes); printed when the check fails.
    detail:
        Extra text shown on failure (for a symbolic check, the non-zero residual).
    """

    id: str
    statement: Any
    method: str
    error: float
    tolerance: float
    where: str
    reproduce: str = ""
    detail: str = ""
    display: str = ""  # LaTeX of the statement, filled by the build right after verify
    inline: str = ""

    @property
    def passed(self) -> bool:
        return math.isfinite(self.error) and self.error <= self.tolerance

    @property
    def problem(self) -> str:
        """The problem the claim belongs to, from the id's prefix (``p12.x`` -> ``"12"``)."""
        head = self.id.split(".", 1)[0]
        return head[1:] if head.startswith("p") else head


@dataclass(frozen=True)
class Figure:
    """Data for one figure; ``build.py`` draws it in the draw stage.

    ``draw`` names a function ``"figures.mlp:training_loss"``.  For ``kind="matplotlib"`` it is
    called as ``draw(data, ax)`` (``ax`` an array of Axes when ``ncols`` or ``nrows`` > 1) and the
    figure is saved as ``figures/<name>.pdf``; for ``kind="tikz"`` it is called as ``draw(data)``
    and returns TikZ source, written to ``figures/<name>.tex`` (include it with ``\\input``).
    ``width`` and ``height`` are in inches (the text block is 6.3 in wide).
    """

    name: str
    draw: str
    data: Any
    kind: str = "matplotlib"
    width: float = 5.0
    height: float = 3.0
    nrows: int = 1
    ncols: int = 1


@dataclass(frozen=True)
class Derivation:
    """What a problem's ``derive()`` returns and its template renders.

    ``equations`` maps claim ids to the derived SymPy statements (the claims of ``verify`` use
    these very objects); ``context`` holds anything else the template shows (LaTeX strings made
    by :func:`derivations.tex.tex`, numbers measured by runs, prose values); ``figures`` the data
    of the problem's figures; ``quotes`` the results the text quotes from papers
    (:class:`derivations.quotes.Quote`).  Everything must pickle: problems derive in worker processes.
    """

    problem: int
    equations: dict = field(default_factory=dict)
    context: dict = field(default_factory=dict)
    figures: tuple = ()
    quotes: tuple = ()


def _caller(depth: int = 2) -> str:
    frame = sys._getframe(depth)
    return f"{frame.f_globals.get('__name__', '?')}:{frame.f_code.co_name}"


def is_zero(expr) -> bool:
    """True when a SymPy scalar or matrix simplifies to exactly zero."""
    if isinstance(expr, (sympy.MatrixBase, sympy.NDimArray)):
        return all(is_zero(e) for e in expr)
    if hasattr(expr, "as_explicit") and not isinstance(expr, sympy.Expr):
        return is_zero(expr.as_explicit())
    expr = sympy.sympify(expr)
    if expr == 0:
        return True
    if isinstance(expr, sympy.Expr) and expr.is_polynomial():  # expanded: 0 iff the zero polynomial
        return sympy.expand(expr) == 0
    return sympy.simplify(expr) == 0


def _shown(residual, limit: int = 400) -> str:
    """A nonzero residual for a failure message: simplified unless it is a polynomial (whose
    expanded form is already the plainest), and cut to ``limit`` characters."""
    def plain(e):
        e = sympy.sympify(e)
        return sympy.expand(e) if isinstance(e, sympy.Expr) and e.is_polynomial() else sympy.simplify(e)

    if isinstance(residual, (sympy.MatrixBase, sympy.NDimArray)):
        text = str([plain(e) for e in residual if not is_zero(e)])
    else:
        text = str(plain(residual))
    return text if len(text) <= limit else text[:limit] + " ..."


def symbolic_claim(
    id: str,
    statement,
    residual,
    *,
    method: str = "symbolic identity",
    where: str | None = None,
    reproduce: str = "",
) -> Claim:
    """A claim that holds when ``residual`` (formula minus independent route) is exactly zero."""
    ok = is_zero(residual)
    return Claim(
        id=id,
        statement=statement,
        method=method,
        error=0.0 if ok else math.inf,
        tolerance=0.0,
        where=where or _caller(),
        reproduce=reproduce,
        detail="" if ok else f"residual does not simplify to 0: {_shown(residual)}",
    )


def numeric_claim(
    id: str,
    statement,
    error: float,
    tolerance: float,
    *,
    method: str,
    where: str | None = None,
    reproduce: str = "",
    detail: str = "",
) -> Claim:
    """A claim that holds when the measured ``error`` is at most ``tolerance``."""
    error = float(error)
    return Claim(
        id=id,
        statement=statement,
        method=method,
        error=error if not math.isnan(error) else math.inf,
        tolerance=float(tolerance),
        where=where or _caller(),
        reproduce=reproduce,
        detail=detail,
    )


def relative_error(a, b, floor: float = 1e-300) -> float:
    """max |a - b| / max(max |a|, max |b|): a scale-free error between two arrays.

    A NaN or infinity in either array gives an infinite error: Python's ``max(worst, nan)`` keeps
    ``worst``, so a NaN error would otherwise vanish from a running maximum and pass the check.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return math.inf
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)), floor)
    return float(np.max(np.abs(a - b), initial=0.0)) / scale


def check_unique_ids(claims: Iterable[Claim]) -> None:
    seen: set[str] = set()
    for c in claims:
        if c.id in seen:
            raise ValueError(f"claim id {c.id!r} is used twice; ids must be unique")
        seen.add(c.id)
