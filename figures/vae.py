"""Figures of Problem 7 (VAE): estimator variance against samples, and the bound's gap."""

from __future__ import annotations

import numpy as np

__all__ = ["estimator_variance", "bound_gap"]

SF_COLOR, RP_COLOR = "#c0392b", "#1f5fa8"


def estimator_variance(data, ax):
    """Two panels (d/dmu, d/dsigma): measured variance of both estimators against L, log-log."""
    L = np.array(data["samples"], dtype=float)
    for i, (a, name) in enumerate(zip(ax, (r"\mu", r"\sigma"))):
        sf = [r["sf_var"][i] for r in data["rows"]]
        rp = [r["rp_var"][i] for r in data["rows"]]
        a.loglog(L, sf, "o", color=SF_COLOR, ms=4, label="score function (measured)")
        a.loglog(L, data["exact_sf"][i] / L, "-", color=SF_COLOR, lw=0.9, label="score function (exact)")
        a.loglog(L, rp, "s", color=RP_COLOR, ms=4, label="reparameterized (measured)")
        a.loglog(L, data["exact_rp"][i] / L, "-", color=RP_COLOR, lw=0.9, label="reparameterized (exact)")
        a.set_xlabel("samples $L$")
        a.set_ylabel(r"variance of $\hat g_{%s}$" % name)
        a.set_title(r"gradient with respect to $%s$" % name)
        a.set_ylim(min(rp) / 60, max(sf) * 2)  # room below the lines for the legend
    ax[0].legend(loc="lower left", fontsize=7)


def bound_gap(data, ax):
    """log p(x) and L(q) as q's mean moves; the gap is KL(q || p(z|x)), zero at the posterior."""
    m = np.array(data["means"])
    ax.axhline(data["log_px"], color="black", lw=1.0, ls=":", label=r"$\log p_\theta(\mathbf{x})$")
    styles = ("-", "--")
    for elbo, scale, ls in zip(data["elbo"], data["scales"], styles):
        lab = r"$\mathcal{L}$, $q$ variance = posterior's" if scale == 1.0 else (
            r"$\mathcal{L}$, $q$ variance = %.1f $\times$ posterior's" % scale)
        ax.plot(m, elbo, ls, color=RP_COLOR, label=lab)
    ax.axvline(data["post_mean"], color="0.6", lw=0.6)
    ax.set_xlabel(r"mean of $q_\phi(z|x)$")
    ax.set_ylabel("nats")
    lo = min(min(e) for e in data["elbo"])
    ax.set_ylim(max(lo, data["log_px"] - 4.0), data["log_px"] + 0.6)
    ax.legend(loc="lower center", fontsize=7)
