"""Problem 11 figures: perplexity against lambda and k; retrieval accuracy and cost against nprobe."""

from __future__ import annotations

import numpy as np

__all__ = ["perplexity", "retrieval"]

_STYLE = {"learned": dict(color="C0", marker="o"), "untrained": dict(color="C1", marker="s", ls="--")}


def perplexity(data, ax):
    """Left: test perplexity against lambda (k fixed); right: against k, each key at its lambda-hat."""
    left, right = ax
    lam = np.asarray(data["lambdas"])
    finite = lam < 1.0  # at lambda = 1 a word no neighbour carries has probability 0
    for kind, curve in data["curves"].items():
        style = dict(_STYLE[kind], marker=None)
        left.plot(lam[finite], np.asarray(curve)[finite], label=data["labels"][kind], **style)
        left.plot([data["lam_hat"][kind]], [curve[list(lam).index(data["lam_hat"][kind])]],
                  marker=_STYLE[kind]["marker"], color=_STYLE[kind]["color"], ms=4)
    base = data["curves"]["learned"][0]
    left.axhline(base, color="0.5", lw=0.8, ls=":", label=r"LM alone ($\lambda = 0$)")
    left.set_xlabel(r"interpolation weight $\lambda$")
    left.set_ylabel("test perplexity")
    left.set_xlim(0, 1)
    left.set_title(rf"(a) $k = {data['k']}$")
    left.legend(loc="upper left")
    ks = np.asarray(data["ks"])
    for kind, curve in data["by_k"].items():
        right.plot(ks, curve, ms=3.5, **_STYLE[kind])
    right.axhline(base, color="0.5", lw=0.8, ls=":")
    right.set_xscale("log", base=2)
    right.set_xticks(ks)
    right.set_xticklabels([str(k) for k in ks])
    right.minorticks_off()
    right.set_xlabel(r"neighbours $k$")
    right.set_ylabel("test perplexity")
    right.set_title(r"(b) each at its $\hat{\lambda}$")


def retrieval(data, ax):
    """Left: recall@k of IVF-PQ per code size and the share of true neighbours in the probed lists;
    right: codes scanned per query (FAISS's counter) against the balanced-list estimate."""
    left, right = ax
    nprobes = np.asarray(data["nprobes"])
    left.plot(nprobes, data["ceiling"], "k^-", ms=3.5, lw=0.9, label="in the probed lists")
    for (nbytes, recall), marker in zip(sorted(data["recall"].items()), "os"):
        left.plot(nprobes, recall, marker=marker, ms=3.5, label=f"IVF-PQ, {nbytes}-byte codes")
    _probe_axis(left, nprobes)
    left.set_ylim(0, 1.05)
    left.set_xlabel(r"lists probed, $n_{\mathrm{probe}}$")
    left.set_ylabel(rf"recall@{data['k']}")
    left.set_title("(a) accuracy")
    left.legend(loc="center right")
    right.plot(nprobes, data["scanned"], "o-", ms=3.5, color="C2", label="IVF, measured")
    right.plot(nprobes, nprobes * data["N"] / data["nlist"], color="0.3", ls="--", lw=0.9,
               label=r"$n_{\mathrm{probe}} N / n_{\mathrm{list}}$")
    right.axhline(data["N"], color="0.4", lw=0.8, ls=":", label="exact search ($N$)")
    _probe_axis(right, nprobes)
    right.set_yscale("log")
    right.set_xlabel(r"lists probed, $n_{\mathrm{probe}}$")
    right.set_ylabel("codes scanned per query")
    right.set_title("(b) work")
    right.legend(loc="center left")


def _probe_axis(ax, nprobes):
    ax.set_xscale("log", base=2)
    ax.set_xticks(nprobes)
    ax.set_xticklabels([str(n) for n in nprobes])
    ax.minorticks_off()
