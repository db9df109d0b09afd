"""Figures of Problem 12: LIME's word weights for one sentence, and super-pixel weights on digits."""

from __future__ import annotations

import numpy as np

__all__ = ["word_weights", "digit_explanations"]

# colours of the two text classes: a positive weight is evidence for the explained class
_FOR, _AGAINST = "#b2182b", "#2166ac"


def word_weights(data, ax):
    """Horizontal bars: LIME weight of each word of the explained sentence, largest |weight| on top."""
    words, weights = data["words"][::-1], np.asarray(data["weights"][::-1])
    colours = [_FOR if w > 0 else _AGAINST for w in weights]
    ax.barh(np.arange(len(words)), weights, color=colours, height=0.7)
    ax.set_yticks(np.arange(len(words)), words)
    ax.axvline(0, color="0.3", lw=0.6)
    neg, pos = data["classes"]
    ax.set_xlabel(f"LIME weight (right: evidence for {pos}, left: for {neg})")
    ax.tick_params(axis="y", length=0)


def digit_explanations(data, ax):
    """Rows: one digit each.  Columns: the image; block weights for the top class and the runner-up,
    with the digit's outline drawn over them."""
    rows = data["rows"]
    for r in range(ax.shape[0]):
        first = rows[2 * r]
        image = first[0]
        ax[r, 0].imshow(image, cmap="gray_r", vmin=0, vmax=1)
        ax[r, 0].set_title(f"image (true digit {first[4]})")
        for c in (1, 2):
            _, wmap, label, prob, _ = rows[2 * r + c - 1]
            a = ax[r, c]
            v = float(np.max(np.abs(wmap))) or 1.0
            a.imshow(wmap, cmap="RdBu_r", vmin=-v, vmax=v)
            for k in (1.5, 3.5, 5.5):
                a.axhline(k, color="0.6", lw=0.4)
                a.axvline(k, color="0.6", lw=0.4)
            # the digit's ink as an outline over the block weights
            a.contour(image, levels=[0.35], colors="k", linewidths=1.0)
            a.set_title(f"class {label}: p = {prob:.2f}")
        for a in ax[r]:
            a.set_xticks([])
            a.set_yticks([])
            for s in a.spines.values():
                s.set_visible(True)
                s.set_linewidth(0.4)
