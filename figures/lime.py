"""Figures of Problem 12: LIME's word weights for one sentence, how they change with the kernel
width and the number of samples, and super-pixel weights on digits."""

from __future__ import annotations

import numpy as np

__all__ = ["text_explanation", "digit_explanations"]

# colours of the two text classes: a positive weight is evidence for the explained class
_FOR, _AGAINST = "#b2182b", "#2166ac"


def text_explanation(data, ax):
    """Three panels on the explained sentence: LIME's weight of each word; the weights of the top
    words against the kernel width (leave-one-word-out effects as circles at the smallest width);
    the spread of the weights across seeds against the number of samples."""
    bars, width, spread = ax
    words, weights = data["words"][::-1], np.asarray(data["weights"][::-1])
    bars.barh(np.arange(len(words)), weights, color=[_FOR if w > 0 else _AGAINST for w in weights], height=0.7)
    bars.set_yticks(np.arange(len(words)), words)
    bars.axvline(0, color="0.3", lw=0.6)
    bars.set_xlabel("LIME weight")
    bars.tick_params(axis="y", length=0)
    bars.set_title("(a) the explanation")
    widths, coef = np.asarray(data["widths"]), np.asarray(data["coef"])
    for j, word in enumerate(data["tracked"]):
        (line,) = width.plot(widths, coef[:, j], label=word)
        width.plot([widths[0]], [data["loo"][j]], "o", color=line.get_color(), ms=4, mfc="none")
    width.axvline(data["kernel_width"], color="0.6", lw=0.6, ls=":")
    width.set_xscale("log")
    width.set_xlabel(r"kernel width $\sigma$")
    width.set_ylabel("LIME weight")
    width.set_ylim(0, 1.5 * float(np.max(coef)))
    width.legend(loc="upper left", ncol=2, handlelength=1.0, columnspacing=0.6, borderaxespad=0.1, handletextpad=0.4)
    width.set_title(r"(b) against $\sigma$")
    ns, rms = np.asarray(data["ns"], dtype=float), np.asarray(data["rms"])
    spread.loglog(ns, rms, "o", color="k", ms=4)
    spread.loglog(ns, rms[-1] * np.sqrt(ns[-1] / ns), "--", color="0.5", lw=1.0, label=r"$\propto N^{-1/2}$")
    spread.set_xlabel("samples $N$")
    spread.set_ylabel("spread across seeds")
    spread.legend(loc="lower left")
    spread.set_title(f"(c) {data['seeds']} seeds")


def digit_explanations(data, ax):
    """One row of panels, three per digit: the image; block weights for the top class and for the
    runner-up, with the digit's outline drawn over them."""
    rows = data["rows"]
    ax = np.asarray(ax).reshape(-1, 3)
    for r in range(ax.shape[0]):
        first = rows[2 * r]
        image = first[0]
        ax[r, 0].imshow(image, cmap="gray_r", vmin=0, vmax=1)
        ax[r, 0].set_title(f"image\n(a {first[4]})")
        for c in (1, 2):
            _, wmap, label, prob, _ = rows[2 * r + c - 1]
            a = ax[r, c]
            v = float(np.max(np.abs(wmap))) or 1.0
            a.imshow(wmap, cmap="RdBu_r", vmin=-v, vmax=v)
            for k in (1.5, 3.5, 5.5):
                a.axhline(k, color="0.6", lw=0.4)
                a.axvline(k, color="0.6", lw=0.4)
            # the digit's ink as an outline over the block weights
            a.contour(image, levels=[data["level"]], colors="k", linewidths=1.0)
            a.set_title(f"class {label}\n$p = {prob:.2f}$")
        for a in ax[r]:
            a.set_xticks([])
            a.set_yticks([])
            for s in a.spines.values():
                s.set_visible(True)
                s.set_linewidth(0.4)
