"""Figures of Problem 14: truth bounds tightening during LNN inference."""

from __future__ import annotations

import numpy as np

__all__ = ["bounds_ladder"]


def bounds_ladder(data, ax):
    """One row per atom; at each pass its bounds [L, U] as a bar, later passes darker and lower."""
    atoms, history = data["atoms"], data["history"]
    T = len(history)
    colours = [str(0.75 - 0.65 * t / max(T - 1, 1)) for t in range(T)]
    gap = 0.8 / max(T - 1, 1)
    for k, atom in enumerate(atoms):
        for t in range(T):
            lo, hi = history[t][k]
            ypos = k - 0.4 + gap * t
            ax.plot([lo, hi], [ypos, ypos], color=colours[t], lw=2.2, solid_capstyle="butt")
    ax.set_yticks(np.arange(len(atoms)), atoms)
    ax.set_ylim(len(atoms) - 0.4, -0.6)
    ax.set_xlim(0, 1)
    ax.set_xlabel("truth bounds [L, U], passes 0 to %d" % (T - 1))
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
