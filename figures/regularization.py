"""Figures of Problems 5 and 6 (L2 and L1 regularization); data come from the derivations.

Each function draws on the Axes it is given; :mod:`figures.style` owns size, fonts and saving.
"""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Circle, Polygon

__all__ = ["l2_contours", "l2_factor", "l1_maps", "l1_geometry", "l1_shrinkage", "l1_paths"]

COLORS = ["#1f5fa8", "#c8553d", "#2a9d5c", "#8a4fb5", "#d89c1a"]
GREY = "0.35"
LABEL_BOX = {"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85}


def _point(ax, p, label, offset, color="k", marker="o"):
    ax.plot(*p, marker=marker, color=color, ms=4.5, zorder=5)
    ax.annotate(label, p, xytext=offset, textcoords="offset points", fontsize=9, color=color, bbox=LABEL_BOX)


def l2_contours(data, ax):
    """Figure 7.1 regenerated: contours of J^ (solid), of the L2 term (dotted), the path of w~(alpha)."""
    X, Y, w_star, w_tilde = data["X"], data["Y"], data["w_star"], data["w_tilde"]
    P = w_tilde - w_star
    H_level = 0.5 * float(P @ _hessian(data) @ P)
    pen_level = 0.5 * data["alpha"] * float(w_tilde @ w_tilde)
    levels = sorted({0.08, 0.3, H_level, 1.4, 2.4})
    ax.contour(X, Y, data["J_hat"], levels=levels, colors=COLORS[0], linewidths=0.9)
    ax.contour(X, Y, data["penalty"], levels=sorted({0.08, pen_level, 1.0, 1.8}), colors=GREY,
               linestyles=":", linewidths=1.0)
    for k, lam in enumerate(data["lambdas"]):
        q = data["Q"][:, k]
        t = np.array([-1.6, 0.95]) if k == 0 else np.array([-0.8, 0.8])
        ax.plot(w_star[0] + t * q[0], w_star[1] + t * q[1], "--", color=COLORS[2], lw=0.8)
        end = w_star + (t[1] if k == 0 else t[0]) * q
        ax.annotate(rf"$\mathbf{{q}}_{k + 1}$ ($\lambda_{k + 1}={lam:g}$)", end, xytext=(-44, 8) if k == 0 else (4, -4),
                    textcoords="offset points", color=COLORS[2], bbox=LABEL_BOX)
    path = data["path"]
    ax.plot(path[:, 0], path[:, 1], "-", color=COLORS[1], lw=1.1)
    for a, p in data["path_marks"].items():
        if a != data["alpha"]:
            ax.plot(*p, "o", color=COLORS[1], ms=2.5)
            ax.annotate(rf"$\alpha={a:g}$", p, xytext=(4, -9), textcoords="offset points", color=COLORS[1], bbox=LABEL_BOX)
    _point(ax, w_star, r"$\mathbf{w}^*$", (4, 4))
    _point(ax, w_tilde, rf"$\tilde{{\mathbf{{w}}}}$ ($\alpha={data['alpha']:g}$)", (5, -11), color=COLORS[1])
    ax.plot(0, 0, "+", color="k", ms=6)
    ax.set_aspect("equal")
    ax.set_xlim(X.min(), X.max())
    ax.set_ylim(Y.min(), Y.max())
    ax.set_xlabel(r"$w_1$")
    ax.set_ylabel(r"$w_2$")


def _hessian(data):
    Q, lam = data["Q"], np.asarray(data["lambdas"])
    return Q @ np.diag(lam) @ Q.T


def l2_factor(data, ax):
    """The L2 factor lambda/(lambda + alpha) on each eigen-direction, against lambda/alpha."""
    ax.semilogx(data["ratio"], data["factor"], color=COLORS[0])
    ax.axhline(0.5, color=GREY, lw=0.6, ls=":")
    ax.axvline(1.0, color=GREY, lw=0.6, ls=":")
    for k, (r, f) in enumerate(data["points"]):
        ax.plot(r, f, "o", color=COLORS[2], ms=4)
        ax.annotate(rf"$\lambda_{k + 1}$: {f:.3g}", (r, f), xytext=(5, -9), textcoords="offset points", color=COLORS[2])
    ax.set_xlabel(r"$\lambda_i/\alpha$")
    ax.set_ylabel(r"$\lambda_i/(\lambda_i+\alpha)$")
    ax.set_ylim(0, 1.02)


def l1_maps(data, ax):
    """w_i against w*_i (H_ii = alpha = 1): soft threshold (L1) and proportional shrink (L2)."""
    t = data["threshold"]
    ax.axvspan(-t, t, color="0.9", lw=0)
    ax.plot(data["w_star"], data["w_star"], ":", color=GREY, lw=0.8, label="none")
    ax.plot(data["w_star"], data["l2"], "--", color=COLORS[0], label="L2")
    ax.plot(data["w_star"], data["l1"], "-", color=COLORS[1], label="L1")
    ax.text(0, 2.3, r"$|w_i^*|\leq\alpha/H_{ii}$", ha="center")
    ax.set_xlabel(r"$w_i^*$")
    ax.set_ylabel(r"$w_i$")
    ax.set_ylim(-3, 3)
    ax.set_title(r"$H_{ii}=\alpha=1$")
    ax.legend(loc="lower right", handlelength=1.6)


def l1_geometry(data, axes):
    """Contours of J^ against the L1 ball (diamond) and the L2 ball (circle) through the solution."""
    X, Y, J, w_star = data["X"], data["Y"], data["J_hat"], data["w_star"]
    for ax, name in zip(axes, ("l1", "l2")):
        sol = data[name]
        r = sol["radius"]
        if name == "l1":
            region = Polygon([(r, 0), (0, r), (-r, 0), (0, -r)], closed=True)
            title = rf"L1: $\|\mathbf{{w}}\|_1\leq{r:.3g}$"
        else:
            region = Circle((0, 0), r)
            title = rf"L2: $\|\mathbf{{w}}\|_2\leq{r:.3g}$"
        region.set(facecolor="#dfe8f5", edgecolor=COLORS[0], lw=1.0)
        ax.add_patch(region)
        ax.contour(X, Y, J, levels=[0.05, 0.2], colors=GREY, linewidths=0.7)
        ax.contour(X, Y, J, levels=[sol["level"]], colors=COLORS[1], linewidths=1.1)
        ax.axhline(0, color="0.6", lw=0.5)
        ax.axvline(0, color="0.6", lw=0.5)
        _point(ax, w_star, r"$\mathbf{w}^*$", (4, 3))
        w = sol["w"]
        _point(ax, w, rf"$({w[0]:.3g},\,{w[1]:.3g})$", (-44, 6) if name == "l1" else (-50, -13), color=COLORS[1])
        ax.set_aspect("equal")
        ax.set_xlim(X.min(), X.max())
        ax.set_ylim(Y.min(), Y.max())
        ax.set_xlabel(r"$w_1$")
        ax.set_ylabel(r"$w_2$")
        ax.set_title(title)


def l1_shrinkage(data, axes):
    """One row: the two maps w*_i -> w_i (a), then the L1 and L2 balls against the contours of J^ (b, c)."""
    l1_maps(data["maps"], axes[0])
    l1_geometry(data["geometry"], axes[1:])
    for ax, letter in zip(axes, "abc"):
        ax.set_title(f"({letter}) {ax.get_title()}")


def l1_paths(data, axes):
    """Each w_i against alpha for the L1 (soft threshold) and L2 solutions on the same H and w*."""
    a = data["alphas"]
    for ax, name, title in zip(axes, ("l1", "l2"), ("L1: exact zeros at $\\alpha=H_{ii}|w_i^*|$", "L2: never zero")):
        for k in range(data[name].shape[1]):
            ax.plot(a, data[name][:, k], color=COLORS[k % len(COLORS)], label=rf"$w_{k + 1}$")
            if name == "l1":
                ax.plot(data["zero_at"][k], 0, "o", color=COLORS[k % len(COLORS)], ms=3.5)
        ax.axhline(0, color="0.6", lw=0.5)
        ax.set_xlabel(r"$\alpha$")
        ax.set_title(title)
        ax.set_xlim(0, a.max())
    axes[0].set_ylabel(r"$w_i$")
    axes[0].legend(loc="upper right", ncol=2, handlelength=1.2, columnspacing=0.8)
    lo = min(data["l1"].min(), data["l2"].min()) - 0.1
    hi = max(data["l1"].max(), data["l2"].max()) + 0.1
    for ax in axes:
        ax.set_ylim(lo, hi)
