"""Problem 11 figures: retrieval accuracy and cost against nprobe; perplexity against lambda."""

from __future__ import annotations

import numpy as np

__all__ = ["retrieval", "perplexity"]


def retrieval(data, ax):
    """Left: recall@k of IVF-PQ per code size; right: codes scanned per query (FAISS's counter)."""
    left, right = ax
    nprobes = np.asarray(data["nprobes"])
    for (m, recall), marker in zip(sorted(data["recall"].items()), "osD^"):
        left.plot(nprobes, recall, marker=marker, ms=3.5, label=f"{m}-byte PQ codes")
    left.axhline(1.0, color="0.4", lw=0.8, ls=":", label="exact search")
    _probe_axis(left, nprobes)
    left.set_xlabel(r"lists probed, $n_{\mathrm{probe}}$")
    left.set_ylabel(rf"recall@{data['k']}")
    left.set_ylim(0.3, 1.03)
    left.legend(loc="lower right")

    right.plot(nprobes, data["scanned"], "o-", ms=3.5, color="C1", label="IVF-PQ, measured")
    right.plot(nprobes, nprobes * data["N"] / data["nlist"], color="0.3", ls="--", lw=0.9,
               label=r"$n_{\mathrm{probe}} N / n_{\mathrm{list}}$")
    right.axhline(data["N"], color="0.4", lw=0.8, ls=":", label=f"exact search, $N$ = {data['N']}")
    _probe_axis(right, nprobes)
    right.set_yscale("log")
    right.set_xlabel(r"lists probed, $n_{\mathrm{probe}}$")
    right.set_ylabel("codes scanned per query")
    right.legend(loc="lower right")


def _probe_axis(ax, nprobes):
    ax.set_xscale("log", base=2)
    ax.set_xticks(nprobes)
    ax.set_xticklabels([str(n) for n in nprobes])
    ax.minorticks_off()


def perplexity(data, ax):
    """Test perplexity of lambda p_kNN + (1 - lambda) p_LM; the lambda chosen on validation text."""
    lam = np.asarray(data["lambdas"])
    finite = lam < 1.0  # at lambda = 1 a target missing from all k neighbours has probability 0
    styles = {"exact": dict(color="C0"), "ivfpq": dict(color="C1", ls="--"), "ivfpq_rerank": dict(color="C2", ls=":")}
    for name, curve in data["curves"].items():
        ax.plot(lam[finite], np.asarray(curve)[finite], label=data["labels"][name], **styles[name])
    base = data["curves"]["exact"][0]
    ax.axhline(base, color="0.5", lw=0.8, ls="-.", label=r"trigram LM alone ($\lambda = 0$)")
    ax.axvline(data["lam_best"], ymax=0.72, color="0.6", lw=0.8, ls=":")  # stops below the legend
    ax.annotate(r"$\lambda$ chosen on validation text", xy=(data["lam_best"], base), xytext=(4, -10),
                textcoords="offset points", fontsize=7, color="0.3")
    ax.set_xlabel(r"interpolation weight $\lambda$")
    ax.set_ylabel("test perplexity")
    ax.set_xlim(0, 1)
    ax.legend(loc="upper left", ncol=2)
