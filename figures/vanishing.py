"""Problem 3 figures: Jacobian norms across time, measured on the implemented RNN, against the bound."""

from __future__ import annotations

import numpy as np

__all__ = ["jacobian_norms", "eigen_counterexample"]

COLORS = ("#1f77b4", "#2ca02c", "#ff7f0e", "#d62728", "#9467bd")


def jacobian_norms(data, axes) -> None:
    """(a) ||dh^(tau)/dh^(tau-n)||_2 against n with the bound sigma^n dashed; (b) measured / bound."""
    ax_a, ax_b = axes
    for color, run in zip(COLORS, data["runs"]):
        norms = np.asarray(run["norms"])
        n = np.arange(norms.shape[1])
        sigma = run["sigma"]
        label = r"$\sigma_{\max}(\mathbf{U}) = %g$" % sigma
        geo = np.exp(np.mean(np.log(norms), axis=0))
        ax_a.fill_between(n, norms.min(axis=0), norms.max(axis=0), color=color, alpha=0.18, lw=0)
        ax_a.plot(n, geo, color=color, label=label)
        ax_a.plot(n, sigma ** n.astype(float), color=color, ls="--", lw=0.9)
        ratio = norms / sigma ** n.astype(float)
        ax_b.plot(n, ratio.max(axis=0), color=color, label=label)
    ax_a.set_yscale("log")
    ax_a.set_ylim(1e-18, 1e6)
    ax_a.set_xlabel(r"distance $\tau - k$ (steps)")
    ax_a.set_ylabel(r"$\Vert \partial \mathbf{h}^{(\tau)} / \partial \mathbf{h}^{(k)} \Vert_2$")
    ax_a.set_title("(a) measured norms and bounds", fontsize=9)
    ax_b.axhline(1.0, color="black", lw=0.8)
    ax_b.text(0.98, 1.6, "bound", ha="right", va="bottom", fontsize=8, transform=ax_b.get_yaxis_transform())
    ax_b.set_yscale("log")
    ax_b.set_xlabel(r"distance $\tau - k$ (steps)")
    ax_b.set_ylabel("measured / bound")
    ax_b.set_title("(b) largest ratio over the sequences", fontsize=9)
    ax_b.legend(loc="lower left", fontsize=7.5, handlelength=1.5)


def eigen_counterexample(data, ax) -> None:
    """Measured norms for a U with spectral radius < 1 but sigma_max > 1, with both candidate bounds."""
    norms = np.asarray(data["norms"])
    n = np.arange(norms.size).astype(float)
    ax.plot(n, norms, color=COLORS[3], label="measured")
    ax.plot(n, data["sigma_max"] ** n, color="black", ls="--", lw=0.9,
            label=r"$\sigma_{\max}(\mathbf{U})^{\tau-k}$ (bound)")
    ax.plot(n, data["rho"] ** n, color=COLORS[0], ls=":", lw=1.2,
            label=r"$\rho(\mathbf{U})^{\tau-k}$ (not a bound)")
    ax.plot([data["n_star"]], [norms[data["n_star"]]], "o", color=COLORS[3], ms=3)
    ax.set_yscale("log")
    ax.set_ylim(1e-3, 1e7)
    ax.set_xlabel(r"distance $\tau - k$ (steps)")
    ax.set_ylabel(r"$\Vert \partial \mathbf{h}^{(\tau)} / \partial \mathbf{h}^{(k)} \Vert_2$")
    ax.legend(loc="upper right", fontsize=7, handlelength=1.8)
