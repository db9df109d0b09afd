"""What one problem's derive, verify and draw stages produced (pickled into the cache)."""

from __future__ import annotations

from dataclasses import dataclass, field

from derivations.registry import Problem


@dataclass
class Outcome:
    problem: Problem
    derivation: object = None
    claims: list = field(default_factory=list)
    figures: list = field(default_factory=list)
    seconds: dict = field(default_factory=dict)
    crash: str | None = None
    cached: bool = False
