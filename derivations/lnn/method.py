"""Problem 14's method: an executable core of logical neural networks (Riegel et al., 2020).

The weighted Lukasiewicz activations (the official IBM/LNN code), the upward and downward bound
rules, and a small propositional :class:`LNN` graph with ``infer`` (upward and downward passes
until nothing changes), the contradiction loss and the classical reading at a threshold alpha.
The checks of :mod:`derivations.lnn.checks` test these functions by enumeration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "weighted_and",
    "weighted_or",
    "weighted_implies",
    "and_upward",
    "or_upward",
    "and_downward",
    "or_downward",
    "LNN",
]

_WHO = "Problem 14 (LNN)"
UNKNOWN_L, UNKNOWN_U = 0.0, 1.0  # open world: the bounds of a neuron nobody gave bounds to
UNIT = 1.0  # plain Lukasiewicz logic: the default weight of every operand and bias of every connective
MAX_ITERATIONS = 50  # cap on the inference passes
DEFAULT_ALPHA = 0.75  # threshold of the classical reading, when the caller gives none


# --------------------------------------------------------------------------- activations


def _inputs(x, w, beta, name):
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    if x.ndim == 0 or w.ndim != 1 or x.shape[-1] != w.shape[0]:
        raise ValueError(f"{_WHO}: {name} needs inputs (..., n) and n weights; got shapes {x.shape} and {w.shape}")
    if not np.all(np.isfinite(x)) or np.any(x < 0) or np.any(x > 1):
        raise ValueError(f"{_WHO}: {name} truth values must lie in [0, 1]")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"{_WHO}: {name} weights must be finite and non-negative")
    if not (isinstance(beta, (int, float, np.floating)) and math.isfinite(beta)):
        raise ValueError(f"{_WHO}: {name} bias beta must be a finite number, got {beta!r}")
    return x, w, float(beta)


def weighted_and(x, w, beta=UNIT):
    """Weighted Lukasiewicz conjunction max(0, min(1, beta - sum_i w_i (1 - x_i))), over the last axis.

    >>> float(weighted_and([1.0, 0.75], [1.0, 1.0], 1.0))
    0.75
    """
    x, w, beta = _inputs(x, w, beta, "weighted_and")
    return np.clip(beta - (1.0 - x) @ w, 0.0, 1.0)


def weighted_or(x, w, beta=UNIT):
    """Weighted Lukasiewicz disjunction max(0, min(1, 1 - beta + sum_i w_i x_i)), over the last axis.

    >>> float(weighted_or([0.25, 0.5], [1.0, 1.0], 1.0))
    0.75
    """
    x, w, beta = _inputs(x, w, beta, "weighted_or")
    return np.clip(1.0 - beta + x @ w, 0.0, 1.0)


def weighted_implies(x, y, wx=UNIT, wy=UNIT, beta=UNIT):
    """x -> y = max(0, min(1, 1 - beta + w_x (1 - x) + w_y y)), elementwise."""
    x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return weighted_or(np.stack([1.0 - x, y], axis=-1), [wx, wy], beta)


# --------------------------------------------------------------------------- bound rules


def and_upward(L, U, w, beta):
    """Bounds of AND from its operands' bounds: the activation is non-decreasing in every x_i."""
    return float(weighted_and(L, w, beta)), float(weighted_and(U, w, beta))


def or_upward(L, U, w, beta):
    return float(weighted_or(L, w, beta)), float(weighted_or(U, w, beta))


def and_downward(L, U, Lf, Uf, w, beta):
    """Operand bounds implied by AND in [Lf, Uf] and the other operands in [L_j, U_j].

    If Lf > 0 the pre-activation is >= Lf, so
        x_i >= 1 - (beta - Lf - sum_{j != i} w_j (1 - U_j)) / w_i;
    if Uf < 1 it is <= Uf, so
        x_i <= 1 - (beta - Uf - sum_{j != i} w_j (1 - L_j)) / w_i.
    Returns the operands' new (L, U), intersected with the old ones (L > U means contradiction).
    """
    L, U, w = (np.asarray(a, dtype=float) for a in (L, U, w))
    newL, newU = L.copy(), U.copy()
    slack_hi = w * (1.0 - U)  # each operand's smallest possible loss w_j (1 - x_j)
    slack_lo = w * (1.0 - L)  # ... and largest
    for i in range(len(w)):
        if w[i] <= 0:
            continue
        if Lf > 0:
            newL[i] = max(newL[i], 1.0 - (beta - Lf - (slack_hi.sum() - slack_hi[i])) / w[i])
        if Uf < 1:
            newU[i] = min(newU[i], 1.0 - (beta - Uf - (slack_lo.sum() - slack_lo[i])) / w[i])
    return newL, newU


def or_downward(L, U, Lf, Uf, w, beta):
    """Operand bounds implied by OR in [Lf, Uf], by De Morgan: OR(x) = 1 - AND(1 - x), same w, beta."""
    L, U = np.asarray(L, dtype=float), np.asarray(U, dtype=float)
    nL, nU = and_downward(1.0 - U, 1.0 - L, 1.0 - Uf, 1.0 - Lf, w, beta)
    return 1.0 - nU, 1.0 - nL


# --------------------------------------------------------------------------- the graph


@dataclass
class Node:
    name: str
    kind: str  # "atom", "and", "or", "not", "implies"
    operands: tuple = ()
    weights: tuple = ()
    beta: float = UNIT
    L: float = UNKNOWN_L
    U: float = UNKNOWN_U


@dataclass
class LNN:
    """A propositional LNN: atoms and formulas over them, each with truth bounds [L, U].

    Formulas are added after their operands, so the list order is a topological order: the
    upward pass runs forwards, the downward pass backwards.  ``implies(a, b)`` is stored as
    OR(NOT a, b), exactly the weighted implication of the paper.
    """

    nodes: list = field(default_factory=list)
    index: dict = field(default_factory=dict)

    def _add(self, node: Node) -> str:
        if node.name in self.index:
            raise ValueError(f"{_WHO}: the name {node.name!r} is used twice")
        if not (0.0 <= node.L <= node.U <= 1.0):
            raise ValueError(f"{_WHO}: given bounds of {node.name!r} must satisfy 0 <= L <= U <= 1, "
                             f"got [{node.L}, {node.U}]")
        for op in node.operands:
            if op not in self.index:
                raise ValueError(f"{_WHO}: {node.name!r} refers to {op!r}, which is not defined yet")
        self.index[node.name] = len(self.nodes)
        self.nodes.append(node)
        return node.name

    def atom(self, name, L=UNKNOWN_L, U=UNKNOWN_U):
        if not (0.0 <= L <= 1.0 and 0.0 <= U <= 1.0):
            raise ValueError(f"{_WHO}: bounds of {name!r} must lie in [0, 1], got [{L}, {U}]")
        return self._add(Node(name, "atom", L=float(L), U=float(U)))

    def neg(self, a):
        """NOT a (one neuron per negated operand, shared by the formulas that use it)."""
        return f"~{a}" if f"~{a}" in self.index else self._add(Node(f"~{a}", "not", (a,)))

    def conj(self, *ops, weights=None, beta=UNIT, name=None, L=UNKNOWN_L, U=UNKNOWN_U):
        w = tuple(weights or (UNIT,) * len(ops))
        return self._add(Node(name or "(" + " & ".join(ops) + ")", "and", ops, w, beta, L, U))

    def disj(self, *ops, weights=None, beta=UNIT, name=None, L=UNKNOWN_L, U=UNKNOWN_U):
        w = tuple(weights or (UNIT,) * len(ops))
        return self._add(Node(name or "(" + " | ".join(ops) + ")", "or", ops, w, beta, L, U))

    def implies(self, a, b, weights=(UNIT, UNIT), beta=UNIT, name=None, L=UNKNOWN_L, U=UNKNOWN_U):
        return self.disj(self.neg(a), b, weights=weights, beta=beta, name=name or f"({a} -> {b})", L=L, U=U)

    # ------------------------------------------------------------------ inference

    def bounds(self):
        return {n.name: (n.L, n.U) for n in self.nodes}

    def _ops(self, n):
        ops = [self.nodes[self.index[o]] for o in n.operands]
        return ops, np.array([o.L for o in ops]), np.array([o.U for o in ops])

    def upward(self):
        for n in self.nodes:
            if n.kind == "atom":
                continue
            ops, L, U = self._ops(n)
            if n.kind == "not":
                lo, hi = 1.0 - U[0], 1.0 - L[0]
            elif n.kind == "and":
                lo, hi = and_upward(L, U, n.weights, n.beta)
            else:
                lo, hi = or_upward(L, U, n.weights, n.beta)
            n.L, n.U = max(n.L, float(lo)), min(n.U, float(hi))

    def downward(self):
        for n in reversed(self.nodes):
            if n.kind == "atom":
                continue
            ops, L, U = self._ops(n)
            if n.kind == "not":
                newL, newU = np.array([1.0 - n.U]), np.array([1.0 - n.L])
            elif n.kind == "and":
                newL, newU = and_downward(L, U, n.L, n.U, n.weights, n.beta)
            else:
                newL, newU = or_downward(L, U, n.L, n.U, n.weights, n.beta)
            for o, lo, hi in zip(ops, newL, newU):
                # a bound beyond [0, 1] means the formula's bounds cannot be met; the upward
                # pass then shows the contradiction at the formula, so clipping loses nothing
                o.L, o.U = max(o.L, min(float(lo), 1.0)), min(o.U, max(float(hi), 0.0))

    def infer(self, max_iterations: int = MAX_ITERATIONS, tol: float = 0.0):
        """Upward then downward passes until no bound moves by more than ``tol``.

        Inference stops at the first pass that creates a contradiction (L > U somewhere): past
        it, crossed bounds would propagate everywhere, and what matters is where they arose.
        Returns the history: a list of ``bounds()`` dicts, the initial state first.
        """
        history = [self.bounds()]
        for _ in range(max_iterations):
            self.upward()
            if self.contradiction_loss() == 0:
                self.downward()
            history.append(self.bounds())
            if self.contradiction_loss() > 0:
                break
            before, after = history[-2], history[-1]
            moved = max(abs(a - b) for k in after for a, b in zip(after[k], before[k]))
            if moved <= tol:  # tol = 0 is exact on dyadic theories, whose bounds are computed exactly
                break
        return history

    def contradictions(self) -> list:
        return [n.name for n in self.nodes if n.L > n.U]

    def contradiction_loss(self) -> float:
        """sum over neurons of max(0, L - U): zero exactly when no bounds cross."""
        return float(sum(max(0.0, n.L - n.U) for n in self.nodes))

    def state(self, name: str, alpha: float = DEFAULT_ALPHA) -> str:
        """Classical reading with threshold alpha in (1/2, 1]: true, false, unknown or contradiction."""
        n = self.nodes[self.index[name]]
        # exact decisions on the report's theories (bounds and alpha dyadic); other values within
        # rounding of alpha or 1 - alpha could read either way
        if n.L > n.U:
            return "contradiction"
        if n.L >= alpha:
            return "true"
        if n.U <= 1 - alpha:
            return "false"
        return "unknown"
