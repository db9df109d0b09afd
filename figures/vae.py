"""Figures of Problem 7 (VAE): the bound's gap, and the variance of both gradient estimators
against the number of samples, side by side in one figure."""

from __future__ import annotations

import numpy as np

__all__ = ["bound_and_variance", "estimator_variance", "bound_gap"]

SF_COLOR, RP_COLOR = "#c0392b", "#1f5fa8"


def bound_and_variance(data, axes):
    """Left: the bound's gap (:func:`bound_gap`); middle and right: the estimators' variances
    (:func:`estimator_variance`)."""
    bound_gap(data["bound"], axes[0])
    estimator_variance(data["study"], axes[1:])
    for ax, title in zip(axes, ("(a) the bound", r"(b) gradient in $\mu$", r"(c) gradient in $\sigma$")):
        ax.set_title(title)


def estimator_variance(data, ax):
    """Two panels (d/dmu, d/dsigma): measured variance (markers) of both estimators against the
    number of samples M, and the exact variance divided by M (lines), log-log."""
    M = np.array(data["samples"], dtype=float)
    for i, (a, name) in enumerate(zip(ax, (r"\mu", r"\sigma"))):
        sf = [r["sf_var"][i] for r in data["rows"]]
        rp = [r["rp_var"][i] for r in data["rows"]]
        a.loglog(M, data["exact_sf"][i] / M, "-", color=SF_COLOR, lw=0.9)
        a.loglog(M, sf, "o", color=SF_COLOR, ms=3.5, label="score function")
        a.loglog(M, data["exact_rp"][i] / M, "-", color=RP_COLOR, lw=0.9)
        a.loglog(M, rp, "s", color=RP_COLOR, ms=3.5, label="reparameterized")
        a.set_xlabel("samples $M$")
        a.set_ylabel(r"variance of $\hat g_{%s}$" % name)
        a.set_ylim(min(rp) / 40, max(sf) * 2)  # room below the lines for the legend
    ax[0].legend(loc="lower left", handletextpad=0.2, borderaxespad=0.1)


def bound_gap(data, ax):
    """log p(x) and L(q) as q's mean moves; the gap is KL(q || p(z|x)), zero at the posterior."""
    m = np.array(data["means"])
    ax.axhline(data["log_px"], color="black", lw=1.0, ls=":")
    ax.text(m[0], data["log_px"] + 0.12, r"$\log p_{\theta}(x)$", va="bottom", ha="left")
    styles = ("-", "--")  # q with the posterior's variance, and with a multiple of it (the caption says which)
    for elbo, ls in zip(data["elbo"], styles):
        ax.plot(m, elbo, ls, color=RP_COLOR)
    ax.axvline(data["post_mean"], color="0.6", lw=0.6)
    ax.set_xlabel(r"mean of $q_{\phi}(z|x)$")
    ax.set_ylabel("nats")
    lo = min(min(e) for e in data["elbo"])
    ax.set_ylim(max(lo, data["log_px"] - 4.0), data["log_px"] + 0.8)
