"""Figures of Problem 8 (GAN): the paper's Figure 1 redrawn from an explicit model, and four moments of
a real training run drawn the same way."""

from __future__ import annotations

import numpy as np

__all__ = ["figure_one", "training_stages"]

DATA, GEN, DISC = "black", "#2e8b57", "#1f5fa8"
DSTAR_SHOWN_ABOVE = 1e-3  # D* is left out where p_data + p_g is below this fraction of its peak (0/0 at the ends)


def figure_one(data, axes):
    """The paper's Figure 1 redrawn from the explicit model of :mod:`derivations.gan.panels`:
    p_data black dotted, p_g green solid, D blue dashed; below, the z-line mapped up by x = G(z)."""
    x = np.array(data["x"])
    lo, hi = x[0], x[-1]
    zy, xy = -0.42, -0.08  # heights of the z-line and the x-line
    captions = {"a": "(a)", "b": "(b) $D$ trained", "c": "(c) $G$ updated", "d": "(d) $p_g=p_{\\mathrm{data}}$"}
    for ax, (tag, panel) in zip(np.ravel(axes), data["panels"].items()):
        ax.plot(x, data["p_data"], ":", color=DATA, lw=1.5, label=r"$p_{\mathrm{data}}$")
        ax.plot(x, panel["p_g"], "-", color=GEN, lw=1.3, label=r"$p_g$")
        ax.plot(x, panel["D"], "--", color=DISC, lw=1.3, label=r"$D$")
        ax.plot([lo, hi], [zy, zy], "-", color="0.3", lw=0.6, clip_on=False)
        ax.plot([lo, hi], [xy, xy], "-", color="0.3", lw=0.6, clip_on=False)
        for z, g in zip(panel["z"], panel["Gz"]):  # z in (0, 1) drawn along the line's length
            ax.annotate("", xy=(g, xy), xytext=(lo + z * (hi - lo), zy),
                        arrowprops=dict(arrowstyle="-|>", lw=0.5, color="0.4", shrinkA=0, shrinkB=0, mutation_scale=5))
        ax.set_xlim(lo, hi)
        ax.set_ylim(zy - 0.04, 1.05)
        ax.set_xticks([])
        ax.set_yticks([0, 0.5, 1])
        ax.spines["bottom"].set_visible(False)
        ax.spines["left"].set_bounds(0, 1)
        ax.set_title(captions[tag])
    first = np.ravel(axes)[0]
    last = np.ravel(axes)[-1]
    last.text(hi + 0.03 * (hi - lo), zy, r"$z$", va="center", ha="left")
    last.text(hi + 0.03 * (hi - lo), xy, r"$x$", va="center", ha="left")
    first.set_yticklabels(["0", "0.5", "1"])
    for ax in np.ravel(axes)[1:]:
        ax.set_yticklabels([])
    np.ravel(axes)[3].legend(loc="upper right", handlelength=1.6, borderaxespad=0.0)


def training_stages(data, axes):
    """The paper's Figure 1 layout from a run, in one row: p_data dotted, p_g solid, D dashed, D*_G thin,
    z mapped up by G (the caption gives the styles; a density clipped at the top is marked by its peak)."""
    x = np.array(data["grid"])
    zy, xy = -0.36, -0.05  # heights of the z-line and the x-line
    for i, (ax, snap, tag) in enumerate(zip(np.ravel(axes), data["snapshots"], "abcd")):
        ax.plot(x, snap["p_data"], ":", color=DATA, lw=1.4)
        ax.plot(x, snap["p_g"], "-", color=GEN, lw=1.3)
        ax.plot(x, snap["D"], "--", color=DISC, lw=1.3)
        total = np.array(snap["p_data"]) + np.array(snap["p_g"])
        shown = np.where(total > DSTAR_SHOWN_ABOVE * total.max(), np.array(snap["D_star"], dtype=float), np.nan)
        ax.plot(x, shown, "-", color=DISC, lw=0.5, alpha=0.6)
        ax.plot([x[0], x[-1]], [zy, zy], "-", color="0.35", lw=0.6, clip_on=False)
        ax.plot([x[0], x[-1]], [xy, xy], "-", color="0.35", lw=0.6, clip_on=False)
        for z, g in zip(snap["z"], snap["Gz"]):
            ax.annotate("", xy=(g, xy), xytext=(z, zy),
                        arrowprops=dict(arrowstyle="-|>", lw=0.5, color="0.45", shrinkA=0, shrinkB=0,
                                        mutation_scale=5))
        ax.set_ylim(zy - 0.04, 1.12)
        peak = int(np.argmax(snap["p_g"]))
        if snap["p_g"][peak] > 1.12:  # clipped: say how high the density goes
            ax.text(x[peak], 1.1, r"$\uparrow$%.1f" % snap["p_g"][peak], color=GEN, ha="left", va="top")
        ax.set_xlim(x[0], x[-1])
        ax.set_xticks([])
        ax.set_yticks([0, 0.5, 1])
        ax.spines["bottom"].set_visible(False)
        ax.spines["left"].set_bounds(0, 1)
        if i:
            ax.set_yticklabels([])
        else:
            ax.set_yticklabels(["0", "0.5", "1"])
        ax.set_title(r"(%s) iteration %d" % (tag, snap["iteration"]))
