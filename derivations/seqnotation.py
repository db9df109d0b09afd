"""Time-indexed SymPy notation for recurrent networks, printable *and* evaluable.

BPTT formulas are statements about a generic step t: ``delta_z^(t) = delta_h^(t) (.) (1 - h^(t) (.) h^(t))``
or ``dJ/dW = sum_t delta_z^(t) x^(t)T``.  The report prints them from SymPy objects, and the
checks must evaluate *those very objects* on a concrete unrolled network.  This module gives
the few pieces that make both possible:

* :class:`Step` subclasses are per-step quantities ``v^(t)``; they print as ``\\mathbf{v}^{(t)}``
  (``key`` names the sequence, ``transposed`` prints ``^{(t)\\top}``) and are non-commutative,
  so products keep their order;
* :func:`const` makes a non-commutative matrix symbol (``\\mathbf{U}``, ``\\mathbf{U}^{\\top}``);
* :class:`Had` (Hadamard product), :class:`Diag`, :class:`Jac` (dh^(a)/dh^(b)) and :class:`Norm2`;
* :func:`evaluate` turns such an expression into an explicit SymPy matrix, given the values of
  the sequences and constants, expanding ``Sum`` and ``Product`` (one limit each) over concrete
  ranges; ``Norm2`` evaluates to a float (NumPy's spectral norm).
  A ``Product`` of matrices is ordered with the *largest* index on the left (the order of the
  chain rule: dh^(t)/dh^(k) = dh^(t)/dh^(t-1) ... dh^(k+1)/dh^(k)).

Everything is defined at module level so that statements pickle.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

__all__ = ["Step", "Plus", "Had", "Diag", "Jac", "JacT", "Norm2", "const", "evaluate", "Env"]


class Step(sp.Function):
    """A per-step vector ``v^(t)``; subclasses set ``key``, ``latex_name``, ``transposed``."""

    is_commutative = False
    nargs = 1
    key = "v"
    latex_name = r"\mathbf{v}"
    transposed = False

    def _latex(self, printer, exp=None):
        top = r"\top" if self.transposed else ""
        return r"%s^{(%s)%s}" % (self.latex_name, printer._print(self.args[0]), top)


class Plus(sp.Function):
    """A sum printed in the order written (SymPy's ``Add`` reorders its terms)."""

    is_commutative = False

    def _latex(self, printer, exp=None):
        out = printer._print(self.args[0])
        for a in self.args[1:]:
            coeff, rest = a.as_coeff_Mul() if isinstance(a, sp.Mul) else (1, a)
            if coeff == -1:
                out += " - " + printer._print(rest)
            else:
                out += " + " + printer._print(a)
        return out


class Had(sp.Function):
    """Hadamard (element-wise) product of two vectors, printed with ``\\odot``."""

    is_commutative = False
    nargs = 2

    def _latex(self, printer, exp=None):
        parts = []
        for a in self.args:
            s = printer._print(a)
            parts.append(r"\left(%s\right)" % s if isinstance(a, sp.Add) else s)
        return r" \odot ".join(parts)


class Diag(sp.Function):
    """The diagonal matrix with a vector on its diagonal."""

    is_commutative = False
    nargs = 1

    def _latex(self, printer, exp=None):
        return r"\diag\left(%s\right)" % printer._print(self.args[0])


class Jac(sp.Function):
    """The Jacobian dh^(a)/dh^(b) of one hidden state with respect to an earlier one."""

    is_commutative = False
    nargs = 2

    def _latex(self, printer, exp=None):
        a, b = (printer._print(x) for x in self.args)
        return r"\frac{\partial \mathbf{h}^{(%s)}}{\partial \mathbf{h}^{(%s)}}" % (a, b)


class JacT(Jac):
    """The transposed Jacobian (dh^(a)/dh^(b))^T."""

    def _latex(self, printer, exp=None):
        return r"\left(%s\right)^{\top}" % Jac._latex(self, printer)


class Norm2(sp.Function):
    """The spectral norm (largest singular value) of a matrix expression."""

    nargs = 1
    is_extended_real = True
    is_real = True
    is_nonnegative = True

    def _latex(self, printer, exp=None):
        s = r"\left\lVert %s \right\rVert_{2}" % printer._print(self.args[0])
        return s if exp is None else r"%s^{%s}" % (s, exp)


def const(latex: str) -> sp.Symbol:
    """A non-commutative symbol for a fixed matrix or vector, printed verbatim."""
    return sp.Symbol(latex, commutative=False)


class Env:
    """Values for :func:`evaluate`: ``seqs[key][t]`` per-step matrices, ``consts[name]``, ``scalars``."""

    def __init__(self, seqs=None, consts=None, scalars=None):
        self.seqs = seqs if seqs is not None else {}
        self.consts = consts if consts is not None else {}
        self.scalars = scalars if scalars is not None else {}

    def step(self, key: str, t: int):
        try:
            return self.seqs[key][t]
        except KeyError:
            raise KeyError(f"no value for {key}^({t}) in the evaluation environment") from None


def _index(expr, env: Env) -> int:
    v = sp.sympify(expr).subs(env.scalars)
    if not v.is_Integer:
        raise ValueError(f"index {expr} does not evaluate to an integer (got {v})")
    return int(v)


def evaluate(expr, env: Env):
    """An explicit SymPy matrix (or scalar) for a notation expression, from ``env``'s values."""
    if isinstance(expr, Step):
        M = env.step(expr.key, _index(expr.args[0], env))
        return M.T if expr.transposed else M
    if isinstance(expr, Had):
        a, b = (evaluate(x, env) for x in expr.args)
        return a.multiply_elementwise(b)
    if isinstance(expr, Diag):
        v = evaluate(expr.args[0], env)
        return sp.diag(*list(v))
    if isinstance(expr, Jac):
        M = env.seqs["jac"][(_index(expr.args[0], env), _index(expr.args[1], env))]
        return M.T if isinstance(expr, JacT) else M
    if isinstance(expr, sp.Symbol):
        if expr in env.consts:
            return env.consts[expr]
        if expr in env.scalars:
            return env.scalars[expr]
        raise KeyError(f"no value for {expr} in the evaluation environment")
    if isinstance(expr, sp.Number):
        return expr
    if isinstance(expr, (sp.Add, Plus)):
        terms = [evaluate(a, env) for a in expr.args]
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total
    if isinstance(expr, sp.Mul):
        result = sp.Integer(1)
        for a in expr.args:  # non-commutative factors keep their order
            result = result * evaluate(a, env)
        return result
    if isinstance(expr, Norm2):
        return float(np.linalg.norm(np.array(evaluate(expr.args[0], env), dtype=float), 2))
    if isinstance(expr, (sp.Sum, sp.Product)):
        if len(expr.limits) != 1:  # a double sum is written Sum(Plus(Sum(...)), ...), one limit each
            raise TypeError(f"cannot evaluate {expr}: one limit per Sum or Product")
        (var, lo, hi), = expr.limits
        lo, hi = _index(lo, env), _index(hi, env)
        values = range(lo, hi + 1)
        if isinstance(expr, sp.Product):
            values = reversed(values)  # chain rule order: largest index on the left
        result = None
        for v in values:
            term = evaluate(expr.function.subs(var, v), env)
            if result is None:
                result = term
            elif isinstance(expr, sp.Sum):
                result = result + term
            else:
                result = result * term
        if result is None:
            raise ValueError(f"empty range in {expr}")
        return result
    raise TypeError(f"cannot evaluate {type(expr).__name__}: {expr}")
