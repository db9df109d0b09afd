"""The problems of the report, in report order.  Adding a problem is one line.

This module imports nothing heavy (no SymPy, no NumPy): ``build.py`` reads it to parse
``--problems`` and to decide what is cached before it loads any derivation.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Problem", "PROBLEMS", "by_number", "parse_selection", "SelectionError", "describe", "consecutive_runs", "owner_of_label"]


@dataclass(frozen=True)
class Problem:
    """One problem of the assignment and the code that answers it.

    ``module`` provides ``derive() -> Derivation`` and ``verify(derivation) -> list[Claim]``
    (other names when one module serves two problems); ``template`` is the section body under
    ``templates/``.
    """

    number: int
    title: str
    module: str
    derive: str = "derive"
    verify: str = "verify"

    @property
    def template(self) -> str:
        return f"problems/p{self.number:02d}.tex.j2"

    @property
    def evidence(self) -> str:
        """The appendix paragraph on how this problem's claims were checked (optional)."""
        return f"evidence/p{self.number:02d}.tex.j2"

    @property
    def tag(self) -> str:
        return f"p{self.number:02d}"


PROBLEMS: tuple[Problem, ...] = (
    Problem(1, "Backpropagation for an L-layer MLP", "derivations.mlp"),
    Problem(2, "Backpropagation through time for the RNN", "derivations.rnn"),
    Problem(3, "Vanishing and exploding gradients", "derivations.vanishing"),
    Problem(4, "Long short-term memory", "derivations.lstm"),
    Problem(5, "L2 regularization", "derivations.regularization", "derive_l2", "verify_l2"),
    Problem(6, "L1 regularization", "derivations.regularization", "derive_l1", "verify_l1"),
    Problem(7, "The variational auto-encoder", "derivations.vae"),
    Problem(8, "Generative adversarial networks", "derivations.gan"),
    Problem(9, "Input feeding in attention-based translation", "derivations.attention"),
    Problem(10, "Persistent memory: the feedforward sublayer as attention", "derivations.persistent_memory"),
    Problem(11, "Nearest-neighbour language models", "derivations.knn_lm"),
    Problem(12, "LIME: explaining any classifier", "derivations.lime"),
    Problem(14, "Logical neural networks", "derivations.lnn"),
)


class SelectionError(ValueError):
    """A ``--problems`` value that names no problem or is malformed."""


def by_number(number: int) -> Problem:
    for p in PROBLEMS:
        if p.number == number:
            return p
    known = ", ".join(str(p.number) for p in PROBLEMS)
    raise SelectionError(f"there is no Problem {number}; the assignment has Problems {known}")


def parse_selection(text: str | None) -> tuple[Problem, ...]:
    """``"1,5"`` -> those problems in report order; ``None`` or ``"all"`` -> every problem."""
    if text is None or text.strip().lower() == "all":
        return PROBLEMS
    numbers = set()
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit():
            raise SelectionError(
                f"--problems takes comma-separated problem numbers such as 1,5; {part!r} is not a number"
            )
        numbers.add(by_number(int(part)).number)
    return tuple(p for p in PROBLEMS if p.number in numbers)


def consecutive_runs(numbers) -> list[list[int]]:
    """[1, 2, 3, 5] -> [[1, 2, 3], [5]]: the numbers, in their order, cut where one is not the last plus 1."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return runs


def describe(numbers) -> str:
    """Problem numbers as the text names them: runs of three or more joined by an en dash.

    >>> describe([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14])
    '1--12 and 14'
    >>> describe([5, 6])
    '5 and 6'
    """
    parts = []
    for run in consecutive_runs(sorted(set(numbers))):
        if len(run) >= 3:
            parts.append(f"{run[0]}--{run[-1]}")
        else:
            parts.extend(str(n) for n in run)
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def owner_of_label(label: str) -> int | None:
    """The problem a LaTeX label belongs to, from the report's label scheme: ``eq:p5.x`` (claims),
    ``sec:p5``, ``fig:p05-x``, ``tab:p06-x``; None for a label of no problem."""
    import re

    m = re.match(r"(?:eq|sec|fig|tab):p(\d+)(?:[.-]|$)", label)
    return int(m.group(1)) if m else None
