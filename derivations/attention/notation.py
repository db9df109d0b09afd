"""Problem 9, the matrix notation: printed matrix expressions, their shapes and their values.

:class:`Elementwise` prints a named elementwise function of a matrix expression;
:func:`checked_shape` proves that every product, sum, concatenation and equation of such an
expression conforms for all symbolic sizes (SymPy checks only integer shapes); :func:`evaluate`
interprets the very expressions the report prints on NumPy arrays (or exactly, on SymPy
matrices); :func:`sized` substitutes concrete sizes into a symbolic shape.  Problem 10 uses the
same toolkit through :mod:`derivations.attention`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from derivations.tex import tex

__all__ = ["Elementwise", "ShapeMismatch", "checked_shape", "evaluate", "sized"]

# --------------------------------------------------------------------------- matrix toolkit


class Elementwise(MatrixExpr):
    r"""A named elementwise (or column-wise, for softmax) function of a matrix expression.

    ``Elementwise(r"\tanh", A)`` has ``A``'s shape and prints as ``\tanh\left(A\right)``.
    """

    def __new__(cls, name, arg):
        name = name if isinstance(name, sp.Symbol) else sp.Symbol(name)
        return MatrixExpr.__new__(cls, name, arg)

    @property
    def fname(self) -> str:
        return self.args[0].name

    @property
    def arg(self):
        return self.args[1]

    @property
    def shape(self):
        return self.arg.shape

    def _latex(self, printer):
        arg = self.arg
        if isinstance(arg, sp.MatAdd):  # keep the order the equation was written in
            body = " + ".join(printer._print(a) for a in arg.args)
        else:
            body = printer._print(arg)
        return r"%s\left(%s\right)" % (self.fname, body)


class ShapeMismatch(ValueError):
    """Two operands whose symbolic shapes do not conform."""


def _same(a, b) -> bool:
    return sp.simplify(sp.sympify(a) - sp.sympify(b)) == 0


def checked_shape(expr):
    """The shape of a matrix expression, proving conformability for all symbolic sizes.

    SymPy's own check skips symbolic dimensions; this one simplifies ``cols(A) - rows(B)`` for
    every product and raises :class:`ShapeMismatch` naming the offending subexpression.
    """
    if isinstance(expr, (tuple, list)):
        return [checked_shape(e) for e in expr]
    if isinstance(expr, sp.Equality):
        lhs, rhs = checked_shape(expr.lhs), checked_shape(expr.rhs)
        if lhs is not None and rhs is not None and not all(_same(x, y) for x, y in zip(lhs, rhs)):
            raise ShapeMismatch(f"{tex(expr)}: left side {lhs}, right side {rhs}")
        return lhs
    if hasattr(expr, "_conform"):
        return expr._conform(checked_shape)
    if isinstance(expr, sp.MatrixSymbol) or isinstance(expr, (sp.OneMatrix, sp.ZeroMatrix, sp.Identity)):
        return expr.shape
    if isinstance(expr, Elementwise):
        return checked_shape(expr.arg)
    if isinstance(expr, sp.Transpose):
        r, c = checked_shape(expr.arg)
        return (c, r)
    if isinstance(expr, sp.MatMul):
        shapes = [checked_shape(a) for a in expr.args if isinstance(a, MatrixExpr)]
        for (r1, c1), (r2, c2) in zip(shapes, shapes[1:]):
            if not _same(c1, r2):
                raise ShapeMismatch(f"{tex(expr)}: a factor with {c1} columns times one with {r2} rows")
        return (shapes[0][0], shapes[-1][1])
    if isinstance(expr, (sp.MatAdd, sp.HadamardProduct)):
        shapes = [checked_shape(a) for a in expr.args]
        for s in shapes[1:]:
            if not (_same(s[0], shapes[0][0]) and _same(s[1], shapes[0][1])):
                raise ShapeMismatch(f"{tex(expr)}: terms of shapes {shapes}")
        return shapes[0]
    if isinstance(expr, sp.BlockMatrix):
        blocks = expr.blocks
        rows = []
        for i in range(blocks.rows):
            row_shapes = [checked_shape(blocks[i, j]) for j in range(blocks.cols)]
            if not all(_same(s[0], row_shapes[0][0]) for s in row_shapes):
                raise ShapeMismatch(f"{tex(expr)}: block row {i} has blocks of heights {row_shapes}")
            rows.append(row_shapes)
        for j in range(blocks.cols):
            if not all(_same(rows[i][j][1], rows[0][j][1]) for i in range(blocks.rows)):
                raise ShapeMismatch(f"{tex(expr)}: block column {j} has blocks of different widths")
        return (sum(r[0][0] for r in rows), sum(s[1] for s in rows[0]))
    if isinstance(expr, sp.Expr):
        return None  # a scalar
    raise TypeError(f"checked_shape: unsupported {type(expr).__name__}")


_FUNCTIONS = {
    r"\tanh": np.tanh,
    r"\sigma": lambda z: 1.0 / (1.0 + np.exp(-z)),
    r"\operatorname{ReLU}": lambda z: np.maximum(z, 0.0),
    r"\exp": np.exp,
}


def _column_softmax(z):
    z = z - z.max(axis=0, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=0, keepdims=True)


_FUNCTIONS[r"\softmax"] = _column_softmax


def evaluate(expr, env: dict, functions: dict | None = None):
    """Evaluate a printed matrix expression (a small interpreter).

    ``env`` maps matrix-symbol and scalar-symbol names to values: NumPy arrays by default, or
    explicit SymPy matrices when ``functions`` maps the function names to SymPy callables (exact
    mode).  Objects may define ``_interpret(env, evaluate)`` to extend the interpreter.
    """
    exact = functions is not None
    table = functions if exact else _FUNCTIONS

    def ev(e, en=env):
        return evaluate(e, en, functions)

    if hasattr(expr, "_interpret"):
        return expr._interpret(env, ev)
    if isinstance(expr, sp.MatrixSymbol):
        v = env[expr.name]
        return v if exact else np.asarray(v, dtype=float)
    if isinstance(expr, Elementwise):
        return table[expr.fname](ev(expr.arg))
    if isinstance(expr, sp.Transpose):
        return ev(expr.arg).T
    if isinstance(expr, sp.MatMul):
        out = None
        for a in expr.args:
            v = ev(a)
            scalar = not isinstance(a, MatrixExpr)
            if out is None:
                out, out_scalar = v, scalar
            elif scalar or out_scalar:
                out, out_scalar = out * v, scalar and out_scalar
            else:
                out = out @ v
        return out
    if isinstance(expr, sp.MatAdd):
        terms = [ev(a) for a in expr.args]
        out = terms[0]
        for t in terms[1:]:
            out = out + t
        return out
    if isinstance(expr, sp.HadamardProduct):
        out = ev(expr.args[0])
        for a in expr.args[1:]:
            out = out.multiply_elementwise(ev(a)) if exact else out * ev(a)
        return out
    if isinstance(expr, sp.BlockMatrix):
        b = expr.blocks
        rows = [[ev(b[i, j]) for j in range(b.cols)] for i in range(b.rows)]
        if exact:
            return sp.Matrix(sp.BlockMatrix([[sp.ImmutableMatrix(x) for x in r] for r in rows]).as_explicit())
        return np.block(rows)
    if isinstance(expr, sp.Expr):
        value = expr.subs({s: env[s.name] for s in expr.free_symbols})
        return value if exact else float(value)
    raise TypeError(f"evaluate: unsupported {type(expr).__name__}")


def sized(shape, sizes: dict) -> tuple:
    """A symbolic shape with the sizes substituted: ``(n, d + n)`` -> ``(4, 9)``."""
    return tuple(int(sp.sympify(s).subs(sizes)) for s in shape)

