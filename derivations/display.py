"""How printed statements look, and what they mean: every display wrapper, and the one evaluator.

SymPy's LaTeX printer sorts the terms of a sum, prints ``c * Sum`` as a fraction, orders the
arguments of ``Max`` and has no notation for a sum over a minibatch or over the LSTM's gates.
The report prints the papers' and the book's forms instead, through the small SymPy classes
below.  Each one prints (``_latex``) *and* means something: :func:`plain` turns a statement into
the plain SymPy it prints, and :func:`evaluate` computes a printed statement on concrete values,
so a check always exercises the object the reader sees.  ``tests/test_display.py`` holds every
wrapper to that promise: SymPy's LaTeX parser reads the printed text back and finds the value,
where the notation allows; elsewhere an exact-LaTeX test and an evaluation on random inputs.

Printing in the order written
    :class:`InOrder` (a scalar sum), :class:`MatInOrder` (a matrix sum), :class:`Product`
    (factors in order), :class:`Paren`, :class:`Bracket`, :class:`Scaled` (``\\frac{n}{d} x``),
    :class:`MaxOf`, :class:`Sign`, :class:`Gap` (``a - b`` for two step indices), :class:`AsWritten`
    (an equation that stays as written, also after pickling).
Notation SymPy lacks
    :class:`MinibatchSum`, :class:`GateSum`, :class:`Diag`, :class:`Elementwise`,
    :class:`ScalarTimes`, :class:`IndexedSum`, :class:`KeyTable`.
Meaning
    :func:`plain`, :func:`evaluate`, :func:`checked_shape`, :func:`sized`.

Everything is defined at module level so that statements pickle.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from sympy.matrices.expressions import MatrixExpr
from sympy.printing.precedence import PRECEDENCE

__all__ = [
    "InOrder", "MatInOrder", "Product", "Paren", "Bracket", "Scaled", "MaxOf", "Sign", "Gap", "AsWritten",
    "MinibatchSum", "GateSum", "Diag", "Elementwise", "ScalarTimes", "IndexedSum", "KeyTable",
    "plain", "evaluate", "checked_shape", "sized", "ShapeMismatch", "FUNCTIONS", "reference_to",
]


def reference_to(claim_id: str):
    """The statement of a claim that re-checks another claim's formula by a second route: the text
    shows it as a reference to that formula, "(7.1)", which is displayed once; its check evaluates
    the referenced formula itself."""
    return sp.Symbol(r"\eqref{eq:%s}" % claim_id)


# --------------------------------------------------------------------------- printing in the order written


def _signed_terms(printer, args, is_negative, negate) -> str:
    """``a + b - c``: each later term after `` + ``, or after `` - `` with its sign taken off and
    parenthesised when it is itself a sum (``a - (b + c)``, never ``a - b + c``).  A term that
    prints with its own leading minus but has no sign SymPy can take off (``Scaled(-1, 2, x)``,
    ``-\\frac{1}{2} x``) follows after a space, never as ``+ -``."""
    out = printer._print(args[0])
    for a in args[1:]:
        if is_negative(a):
            # strict=False: a negated sum has the precedence of Add itself and needs the parentheses
            out += " - " + printer.parenthesize(negate(a), PRECEDENCE["Add"], strict=False)
        else:
            s = printer._print(a)
            out += (" " + s) if s.startswith("-") else (" + " + s)
    return out


def _doit(a, hints):
    return a.doit(**hints) if isinstance(a, sp.Basic) else a


class InOrder(sp.Add):
    """A scalar sum printed with its terms in the order given: ``InOrder(1, log(s**2), -mu**2)``.

    It is an ``Add`` (unevaluated), so SymPy computes with it as with any sum; ``doit()`` and
    :func:`plain` give the evaluated ``Add``.
    """

    def __new__(cls, *args, evaluate=False, **kwargs):
        return super().__new__(cls, *(sp.sympify(a) for a in args), evaluate=evaluate, **kwargs)

    def doit(self, **hints):
        return sp.Add(*[_doit(a, hints) for a in self.args])

    def _latex(self, printer):
        return _signed_terms(printer, self.args, lambda a: a.could_extract_minus_sign(), lambda a: -a)


class MatInOrder(sp.MatAdd):
    """A matrix sum printed in the order given: ``MatInOrder(H, alpha*I)`` -> ``H + alpha I``.

    ``doit()`` is ``MatAdd``'s: with explicit matrices substituted it adds them.
    """

    def __new__(cls, *args, evaluate=False, **kwargs):
        return super().__new__(cls, *args, evaluate=evaluate, **kwargs)

    def _latex(self, printer):
        return _signed_terms(
            printer, self.args,
            lambda a: isinstance(a, sp.MatMul) and a.args[0] == -1,
            lambda a: sp.MatMul(*a.args[1:], evaluate=False) if len(a.args) > 2 else a.args[1],
        )


class Product(sp.Mul):
    """A scalar product printed factor by factor in the order given (an unevaluated ``Mul``)."""

    def __new__(cls, *args, evaluate=False, **kwargs):
        return super().__new__(cls, *(sp.sympify(a) for a in args), evaluate=evaluate, **kwargs)

    def doit(self, **hints):
        return sp.Mul(*[_doit(a, hints) for a in self.args])

    def _latex(self, printer):
        return " ".join(printer.parenthesize(a, PRECEDENCE["Mul"], strict=False) for a in self.args)


class _Display(sp.Expr):
    """A scalar wrapper that only changes printing; ``value()`` is the SymPy expression it prints."""

    def __new__(cls, *args):
        return super().__new__(cls, *(sp.sympify(a) for a in args))

    def doit(self, **hints):
        return _doit(self.value(), hints)


class Paren(_Display):
    """An expression printed inside big parentheses."""

    def _latex(self, printer):
        return r"\left(%s\right)" % printer._print(self.args[0])

    def value(self):
        return plain(self.args[0])


class Bracket(_Display):
    """An expression printed inside square brackets, e.g. the summand of a sum."""

    def _latex(self, printer):
        return r"\left[%s\right]" % printer._print(self.args[0])

    def value(self):
        return plain(self.args[0])


class Scaled(_Display):
    r"""``Scaled(n, d, body)`` prints ``\frac{n}{d} body`` (SymPy would print ``n body / d``).

    A numerator that carries a minus sign prints it in front: ``Scaled(-1, 2, x)`` is
    ``-\frac{1}{2} x``; any other numerator, a symbol of unknown sign included, prints as it is.
    """

    def _latex(self, printer):
        n, d, body = self.args
        sign, n = ("-", -n) if n.could_extract_minus_sign() else ("", n)
        return r"%s\frac{%s}{%s} %s" % (sign, printer._print(n), printer._print(d), printer._print(body))

    def value(self):
        n, d, body = self.args
        return n / d * plain(body)


class MaxOf(_Display):
    """``max(a, b)`` printed with its arguments in the order given (SymPy sorts them)."""

    def _latex(self, printer):
        return r"\max\left(%s, %s\right)" % (printer._print(self.args[0]), printer._print(self.args[1]))

    def value(self):
        return sp.Max(*(plain(a) for a in self.args))


class Sign(_Display):
    """``sign(x)`` printed as the book prints it."""

    def _latex(self, printer):
        return r"\operatorname{sign}\left(%s\right)" % printer._print(self.args[0])

    def value(self):
        return sp.sign(plain(self.args[0]))


class Gap(sp.Function):
    """The distance ``a - b`` between two step indices, printed in that order (``Add`` prints
    ``-b + a``); integers evaluate at once."""

    nargs = 2
    is_integer = True

    @classmethod
    def eval(cls, a, b):
        if a.is_Integer and b.is_Integer:
            return a - b

    def doit(self, **hints):
        a, b = (_doit(x, hints) for x in self.args)
        return a - b

    def _latex(self, printer, exp=None):
        return "%s - %s" % tuple(printer._print(x) for x in self.args)


class AsWritten(sp.Equality):
    """An equation that stays as written, also when rebuilt from a pickle (SymPy re-creates objects
    with their constructor's defaults, and ``Eq`` would evaluate a matrix equation to False)."""

    def __new__(cls, lhs, rhs, evaluate=False, **kwargs):
        return super().__new__(cls, lhs, rhs, evaluate=evaluate, **kwargs)


# --------------------------------------------------------------------------- notation SymPy lacks


def _sum_over(ev, term, envs):
    """The term evaluated in each environment, added left to right (the order of the sum as written)."""
    out = None
    for env in envs:
        value = ev(term, env)
        out = value if out is None else out + value
    return out


class MinibatchSum(MatrixExpr):
    r"""``\sum_{(x, t) \in D}`` of a per-example matrix expression; :func:`evaluate` sums the term
    over ``env["examples"]``, each a mapping of the per-example values."""

    def __new__(cls, arg):
        return super().__new__(cls, arg)

    @property
    def shape(self):
        return self.args[0].shape

    def _latex(self, printer):
        return r"\sum_{(\mathbf{x},\mathbf{t})\in\mathcal{D}} " + printer._print(self.args[0])

    def _interpret(self, env, ev):
        return _sum_over(ev, self.args[0], ({**env, **example} for example in env["examples"]))


class GateSum(MatrixExpr):
    r"""``\sum_{\star\in\{f,i,g,o\}}`` of an expression in the generic gate ``\star``; :func:`evaluate`
    sums the term with ``env["gate"]`` set to each of ``env["gates"]`` in turn."""

    def __new__(cls, expr):
        return sp.Basic.__new__(cls, expr)

    @property
    def shape(self):
        return self.args[0].shape

    def _latex(self, printer):
        return r"\sum_{\star\in\{f,i,g,o\}} " + printer._print(self.args[0])

    def _interpret(self, env, ev):
        return _sum_over(ev, self.args[0], ({**env, "gate": g} for g in env["gates"]))


class Diag(MatrixExpr):
    """``diag(v)``: the square matrix with the vector expression ``v`` on its diagonal."""

    def __new__(cls, vector):
        return sp.Basic.__new__(cls, vector)

    @property
    def shape(self):
        return (self.args[0].shape[0], self.args[0].shape[0])

    def _latex(self, printer):
        return r"\diag\!\left(%s\right)" % printer._print(self.args[0])

    def _interpret(self, env, ev):
        v = ev(self.args[0])
        if isinstance(v, np.ndarray):
            return np.diag(np.ravel(v))
        return env.get("diag", sp.diag)(*list(v))


class Elementwise(MatrixExpr):
    r"""A named elementwise (or column-wise, for softmax) function of a matrix expression.

    ``Elementwise(r"\tanh", A)`` has ``A``'s shape and prints as ``\tanh\left(A\right)``; its value
    is ``FUNCTIONS[name]`` applied to ``A``'s (or the table :func:`evaluate` is given).
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


class ScalarTimes(MatrixExpr):
    """A 1x1 expression times a matrix, printed as ``s v`` (the paper's order)."""

    def __new__(cls, scalar, matrix):
        return MatrixExpr.__new__(cls, scalar, matrix)

    @property
    def shape(self):
        return self.args[1].shape

    def _latex(self, printer):
        return "%s %s" % (printer._print(self.args[0]), printer._print(self.args[1]))

    def _conform(self, check):
        r, c = check(self.args[0])
        if not (sp.simplify(r - 1) == 0 and sp.simplify(c - 1) == 0):
            raise ShapeMismatch(f"{sp.latex(self)}: the factor must be 1 x 1, not {r} x {c}")
        return check(self.args[1])

    def _interpret(self, env, ev):
        return ev(self.args[0])[0, 0] * ev(self.args[1])


class IndexedSum(MatrixExpr):
    r"""``\sum_{i=lo}^{hi} term``; :func:`evaluate` binds every name in ``env`` that is a function
    of ``i`` (an indexed family such as the keys ``k_i``) before evaluating the term."""

    def __new__(cls, term, index, lo, hi):
        return MatrixExpr.__new__(cls, term, index, sp.sympify(lo), sp.sympify(hi))

    @property
    def shape(self):
        return self.args[0].shape

    def _latex(self, printer):
        term, i, lo, hi = self.args
        parts = (printer._print(x) for x in (i, lo, hi, term))
        return r"\sum_{%s=%s}^{%s} %s" % tuple(parts)

    def _conform(self, check):
        return check(self.args[0])

    def _interpret(self, env, ev):
        term, i, lo, hi = self.args
        lo_, hi_ = (int(sp.sympify(x).subs({s: env[s.name] for s in x.free_symbols})) for x in (lo, hi))
        total = None
        for k in range(lo_, hi_ + 1):
            local = {name: (f(k) if callable(f) else f) for name, f in env.items()}
            v = ev(term, local)
            total = v if total is None else total + v
        return total


class KeyTable(sp.Function):
    """``KeyTable(j, t)``: the row of the random table R_j for the word j places before position t."""

    def _latex(self, printer):
        j, t = self.args
        return r"\mathbf{R}_{%s}[w_{%s-%s}]" % (printer._print(j), printer._print(t), printer._print(j))


# --------------------------------------------------------------------------- meaning


def plain(expr):
    """``expr`` with every display wrapper replaced by the SymPy expression it prints."""
    if isinstance(expr, tuple):
        return tuple(plain(e) for e in expr)
    if isinstance(expr, _Display):
        return expr.value()
    if isinstance(expr, InOrder):  # the sum of the plain terms; a Sum inside stays a Sum
        return sp.Add(*(plain(a) for a in expr.args))
    if isinstance(expr, Product):
        return sp.Mul(*(plain(a) for a in expr.args))
    if isinstance(expr, Gap):
        return plain(expr.args[0]) - plain(expr.args[1])
    if isinstance(expr, sp.Basic) and expr.args and not isinstance(expr, (sp.Indexed, sp.Symbol)):
        return expr.func(*(plain(a) for a in expr.args))
    return expr


class ShapeMismatch(ValueError):
    """Two operands whose symbolic shapes do not conform."""


def _same(a, b) -> bool:
    return sp.simplify(sp.sympify(a) - sp.sympify(b)) == 0


def checked_shape(expr):
    """The shape of a matrix expression, proving conformability for all symbolic sizes.

    SymPy's own check skips symbolic dimensions; this one simplifies ``cols(A) - rows(B)`` for
    every product and raises :class:`ShapeMismatch` naming the offending subexpression.
    """
    from derivations.tex import tex

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


def sized(shape, sizes: dict) -> tuple:
    """A symbolic shape with the sizes substituted: ``(n, d + n)`` -> ``(4, 9)``."""
    return tuple(int(sp.sympify(s).subs(sizes)) for s in shape)


def _column_softmax(z):
    z = z - z.max(axis=0, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=0, keepdims=True)


FUNCTIONS = {  # the numeric meaning of each Elementwise name
    r"\tanh": np.tanh,
    r"\sigma": lambda z: 1.0 / (1.0 + np.exp(-z)),
    r"\operatorname{ReLU}": lambda z: np.maximum(z, 0.0),
    r"\exp": np.exp,
    r"\softmax": _column_softmax,
}


def evaluate(expr, env: dict, functions: dict | None = None, *, samples: dict | None = None):
    """The value of a printed statement (or one side of it) on concrete values.

    Matrix statements go through a small interpreter.  ``env`` maps the names of matrix symbols
    and scalar symbols (or the symbols themselves) to values: NumPy arrays, or explicit SymPy
    matrices when ``functions`` maps the :class:`Elementwise` names to SymPy callables (exact
    mode, ``functions={}`` when there are none).  A wrapper defines ``_interpret(env, ev)`` to
    say what it means (:class:`MinibatchSum` sums over ``env["examples"]``, :class:`GateSum` over
    ``env["gates"]``, :class:`IndexedSum` over its index).

    Scalar statements (with display wrappers and finite sums ``Sum(body, (i, lo, n))``) are
    written out and lambdified once per shape of their sums: ``env`` maps symbols to numbers or
    arrays (broadcast) and must give every sum's upper limit; ``samples`` maps per-sample symbols
    (or ``IndexedBase``) to arrays whose last axis runs over a sum's index (position 0 is the
    sum's lower limit).

    >>> m, i, t = sp.Symbol("m"), sp.Symbol("i"), sp.Symbol("t_i")
    >>> float(evaluate(Scaled(1, m, sp.Sum(t, (i, 1, m))), {m: 4}, samples={t: np.array([1.0, 2, 3, 6])}))
    3.0
    """
    if isinstance(expr, (MatrixExpr, sp.MatrixBase)) or hasattr(expr, "_interpret"):
        return _interpret(expr, env, functions)
    if samples is not None or (isinstance(expr, sp.Basic) and expr.atoms(sp.Sum)) or any(
            isinstance(k, sp.Basic) for k in env):
        return _evaluate_scalar(expr, env, samples)
    return _interpret(expr, env, functions)


def _interpret(expr, env: dict, functions: dict | None):
    exact = functions is not None
    table = functions if exact else FUNCTIONS

    def ev(e, en=env):
        return _interpret(e, en, functions)

    if hasattr(expr, "_interpret"):
        return expr._interpret(env, ev)
    if isinstance(expr, sp.MatrixSymbol):
        v = env[expr.name] if expr.name in env else env[expr]
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
        value = expr.subs({s: env[s.name] if s.name in env else env[s] for s in expr.free_symbols})
        return value if exact else float(value)
    raise TypeError(f"evaluate: unsupported {type(expr).__name__}")


def _evaluate_scalar(expr, values, samples):
    values, samples = dict(values or {}), dict(samples or {})
    expr = plain(expr)
    bound = {b for total in expr.atoms(sp.Sum) for b in sp.Tuple(*total.limits[0][1:]).free_symbols}
    limits = tuple((b, np.asarray(values[b]).item()) for b in sorted(bound, key=str) if b in values and np.ndim(values[b]) == 0)
    f, leaves = _compiled(expr, tuple(values), tuple(samples), limits)
    feed = [np.asarray(samples[key], dtype=float)[..., pos] for key, pos in leaves]
    return f(*feed, *values.values())


@functools.lru_cache(maxsize=None)
def _compiled(expr, names, sample_keys, limits):
    """The function of a plain scalar ``expr``: every finite sum written out (its limits from
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
