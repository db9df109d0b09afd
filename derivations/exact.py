"""Exact checks by a second computer-algebra system: SymEngine differentiates and expands.

The statements of Problems 1-4 are SymPy objects.  Their exact checks evaluate a statement on a
tiny network with symbolic entries and compare it with the derivative of the scalar loss J,
taken by a computer-algebra system that knows nothing of the report's formulas.  That system is
SymEngine (a C++ library, independent of SymPy's code): it differentiates J and expands the
difference of the two sides tens of times faster than SymPy, which keeps these checks cheap
enough to run on every build.

Soundness.  ``expand`` only rewrites an expression by identities (distributing products,
collecting like terms), treating tanh(.), exp(.) and log(.) applications and negative powers
of sums as atoms.  When the expanded difference is the number 0, the two sides are therefore the
same function of the symbols.  The converse need not hold (a true identity that needs, say,
tanh^2 = 1 - sech^2 would not expand to 0), so the test can only ever fail a right formula,
never pass a wrong one; the tests plant wrong formulas to show it fails them.
"""

from __future__ import annotations

import symengine as se
import sympy as sp

__all__ = ["engine", "engine_matrix", "derivatives", "residual"]


def engine(expr):
    """A SymPy expression (or a number) as a SymEngine one: symbols keep their names."""
    return se.sympify(expr)


def engine_matrix(M) -> se.DenseMatrix:
    """A SymPy matrix as a SymEngine one of the same shape; a SymEngine matrix as it is (a round
    trip through SymPy could rewrite its entries)."""
    if isinstance(M, se.DenseMatrix):
        return M
    if isinstance(M, sp.MatrixBase):
        return se.DenseMatrix(M.rows, M.cols, [engine(e) for e in M])
    raise TypeError(f"expected a SymPy or SymEngine matrix, got {type(M).__name__}")


def derivatives(J, variables, zero=()) -> list:
    """SymEngine's dJ/dv for each symbol v, then every symbol in ``zero`` set to 0.

    ``J`` and the symbols may be SymPy or SymEngine objects; the results are SymEngine.
    Setting perturbation symbols to 0 after differentiating gives dJ/d(perturbed quantity).
    """
    J = engine(J)
    at = {engine(z): se.Integer(0) for z in zero}
    out = []
    for v in variables:
        d = se.diff(J, engine(v))
        out.append(d.subs(at) if at else d)
    return out


def residual(derived, direct) -> sp.Matrix:
    """``derived - direct`` entry by entry, expanded by SymEngine, as a SymPy matrix.

    ``derived`` is a matrix (SymPy or SymEngine), ``direct`` a matrix or a sequence with as many
    entries, in row-major order; the result has derived's shape and is exactly the zero matrix
    when the two sides are equal.
    """
    a = engine_matrix(derived)
    b = list(direct.ravel()) if isinstance(direct, se.DenseMatrix) else [engine(e) for e in direct]
    if len(b) != a.rows * a.cols:
        raise ValueError(f"residual of a {a.rows}x{a.cols} matrix against {len(b)} entries")
    diffs = [x - y for x, y in zip(a.ravel(), b)]
    names = {atom: se.Symbol(f"_atom{n}") for n, atom in enumerate(_outer_atoms(diffs))}
    entries = []
    for d in diffs:
        e = se.expand(d.subs(names))  # a polynomial in the symbols and the atoms
        entries.append(e if e == 0 else se.expand(d))  # not 0 that way: SymEngine expands d as a whole
    return sp.Matrix(a.rows, a.cols, [0 if e == 0 else _polynomial(e) for e in entries])


def _is_atom(e) -> bool:
    """tanh(.), log(.), any function application; exp(.) (a power of E); a negative power."""
    return isinstance(e, se.Function) or (isinstance(e, se.Pow) and (e.args[0] == se.E or e.args[1].is_negative))


def _outer_atoms(exprs) -> set:
    """The atoms of ``exprs`` not inside another atom, each shared subexpression visited once.

    Replacing each by its own symbol (equal atoms, one symbol) turns a residual into a polynomial
    whose expansion is cheap: the arguments of the atoms, large nested expressions of the unrolled
    network, are never expanded.  A polynomial that expands to 0 in independent symbols is 0 for
    any values of the atoms, so a 0 this way proves the identity; otherwise the residual is expanded
    as a whole, as without this shortcut, and only that decides that it is not 0.
    """
    atoms, seen, stack = set(), set(), list(exprs)
    while stack:
        e = stack.pop()
        if e in seen:
            continue
        seen.add(e)
        if _is_atom(e):
            atoms.add(e)
        else:
            stack.extend(e.args)
    return atoms


def _polynomial(expr) -> sp.Expr:
    """A nonzero residual as a SymPy polynomial: every tanh(.), exp(.), log(.) and negative power
    becomes a symbol ``_atom<n>``, so that printing it (or SymPy's simplify in the ledger) stays
    cheap however large the expression is inside those atoms."""
    names = {a: se.Symbol(f"_atom{n}") for n, a in enumerate(sorted(_outer_atoms([expr]), key=str))}
    poly = se.expand(expr.subs(names))
    return sp.sympify(poly if poly != 0 else expr)  # a nonzero residual must stay nonzero
