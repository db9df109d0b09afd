"""Problem 3 figures: Jacobian norms across time, measured on the implemented RNN, against the bound.

``norms_and_counterexample`` is the figure the report prints: (a) the norms for sigma_max(U) below,
at and above 1 with their bounds, (b) the non-normal U whose spectral radius is below 1 but whose
Jacobians grow.  ``jacobian_norms`` and ``eigen_counterexample`` draw one panel each.
"""

from __future__ import annotations

import numpy as np

__all__ = ["norms_and_counterexample", "jacobian_norms", "eigen_counterexample"]

COLORS = ("#1f77b4", "#2ca02c", "#ff7f0e", "#d62728", "#9467bd")
_YLABEL = r"$\Vert \partial \mathbf{h}^{(\tau)} / \partial \mathbf{h}^{(k)} \Vert_2$"


def _norm_axes(ax, last, ylim, title) -> None:
    """A panel of Jacobian norms: log scale, distances 0..last, the shared labels."""
    ax.set_yscale("log")
    ax.set_ylim(*ylim)
    ax.set_xlim(0, last)
    ax.set_xlabel(r"distance $\tau - k$ (steps)")
    ax.set_ylabel(_YLABEL)
    ax.set_title(title)


def jacobian_norms(data, ax) -> None:
    """||dh^(tau)/dh^(tau-n)||_2 against n (geometric mean over the sequences, their range as a band)
    with the bound sigma^n dashed in the same colour."""
    for color, run in zip(COLORS, data["runs"]):
        norms = np.asarray(run["norms"])
        n = np.arange(norms.shape[1])
        sigma = run["sigma"]
        geo = np.exp(np.mean(np.log(norms), axis=0))
        ax.fill_between(n, norms.min(axis=0), norms.max(axis=0), color=color, alpha=0.18, lw=0)
        ax.plot(n, geo, color=color, label=r"$\sigma_{\max} = %g$" % sigma)
        ax.plot(n, sigma ** n.astype(float), color=color, ls="--", lw=0.9)
    _norm_axes(ax, n[-1], (1e-18, 1e6), r"(a) $\mathbf{U} = \sigma_{\max}\mathbf{Q}$; dashed: bound")
    ax.legend(loc="lower left", handlelength=1.3, labelspacing=0.25, borderaxespad=0.3, frameon=False)


def eigen_counterexample(data, ax) -> None:
    """Measured norms for a U with spectral radius < 1 but sigma_max > 1, with both candidate bounds."""
    norms = np.asarray(data["norms"])
    n = np.arange(norms.size).astype(float)
    ax.plot(n, norms, color=COLORS[3], label="measured")
    ax.plot(n, data["sigma_max"] ** n, color="black", ls="--", lw=0.9,
            label=r"$\sigma_{\max}(\mathbf{U})^{\tau-k}$")
    ax.plot(n, data["rho"] ** n, color=COLORS[0], ls=":", lw=1.2,
            label=r"$\rho(\mathbf{U})^{\tau-k}$")
    ax.plot([data["n_star"]], [norms[data["n_star"]]], "o", color=COLORS[3], ms=3)
    _norm_axes(ax, n[-1], (1e-3, 1e7), r"(b) $\rho(\mathbf{U}) < 1 < \sigma_{\max}(\mathbf{U})$")
    ax.legend(loc="upper right", handlelength=1.6, labelspacing=0.25, borderaxespad=0.3, frameon=False)


def norms_and_counterexample(data, axes) -> None:
    """Panel (a): :func:`jacobian_norms` of ``data["runs"]``; panel (b): :func:`eigen_counterexample`
    of ``data["counter"]``."""
    ax_a, ax_b = axes
    jacobian_norms(data, ax_a)
    eigen_counterexample(data["counter"], ax_b)
