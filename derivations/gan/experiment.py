"""Problem 8's seeded runs: Algorithm 1 trains the one-dimensional GAN (the main run and the seed
study side by side), and each snapshot measures what the text and the figure show: p_g by a
kernel density estimate, D and D*_G on a grid and on the data's core interval, both generator
losses' gradient norms."""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from scipy import stats

from derivations.gan.method import (
    D_KEYS,
    G_KEYS,
    GanConfig,
    _Adam,
    _discriminator_gradients,
    _generator_gradients,
    _stacked_runs,
    discriminator,
    generator_gradients,
    init_gan,
    samples,
)
from derivations.gan.notation import P_DATA, P_G, optimal_discriminator_statement

__all__ = ["train_gan", "SEED_STUDY", "KDE_SAMPLES", "CORE_POINTS"]

KDE_SAMPLES = 5000  # generator samples behind each snapshot's density estimate
GRAD_NORM_SAMPLES = 2000  # noise samples behind each snapshot's gradient norms
CORE_POINTS = 401  # points of the interval [mean - 2 std, mean + 2 std] where D and D* are measured
SEED_STUDY = (0, 1, 2, 3)


@functools.lru_cache(maxsize=None)
def _d_star_of():
    """Proposition 1's printed statement as a function of (p_data, p_g) arrays."""
    return sp.lambdify((P_DATA, P_G), optimal_discriminator_statement().rhs, "numpy")


def _snapshot(P, cfg, rng, grid, summary=False):
    """The measurements of one moment of a run; ``summary``: only g_mean, g_std and D_core."""
    x = samples(P, rng.standard_normal(KDE_SAMPLES))
    core = np.linspace(cfg.data_mean - 2 * cfg.data_std, cfg.data_mean + 2 * cfg.data_std, CORE_POINTS)
    D_core = discriminator(P, core)
    stats_of_run = {"g_mean": float(x.mean()), "g_std": float(x.std()), "D_core": [float(D_core.min()), float(D_core.max())]}
    if summary:
        return stats_of_run
    kde = stats.gaussian_kde(x)
    p_data_of = stats.norm(cfg.data_mean, cfg.data_std).pdf
    p_g, pg_core = np.split(kde(np.concatenate([grid, core])), [len(grid)])  # one pass over the samples
    p_data = p_data_of(grid)
    z_line = stats.norm.ppf(np.linspace(0.03, 0.97, 15))
    Dstar_core = _d_star_of()(p_data_of(core), pg_core)
    with np.errstate(invalid="ignore"):  # 0/0 where both densities vanish: D* is undefined there
        d_star = _d_star_of()(p_data, p_g)
    # Both generator losses' gradient norms on the same noise: the saturation of log(1 - D).
    zb = rng.standard_normal(GRAD_NORM_SAMPLES)
    norms = {}
    for loss in ("saturating", "non-saturating"):
        gg = generator_gradients(P, zb, loss)
        norms[loss] = float(np.linalg.norm(np.concatenate([gg[k] for k in G_KEYS])))
    return {
        "D_fake_mean": float(discriminator(P, samples(P, zb)).mean()),
        "grad_norm": norms,
        "p_g": p_g.tolist(), "p_data": p_data.tolist(), "D": discriminator(P, grid).tolist(), "D_star": d_star.tolist(),
        "z": z_line.tolist(), "Gz": samples(P, z_line).tolist(),
        **stats_of_run,
        "Dstar_core": [float(Dstar_core.min()), float(Dstar_core.max())],
    }


NOISE_CHUNK = 500  # iterations whose minibatches are drawn at once (the same stream as drawing them one by one)


def train_gan(cfg: GanConfig):
    """Algorithm 1: k ascent steps for D, then one descent step for G, per iteration (seeded)."""
    return _train_runs([cfg])[0]


def _train_runs(cfgs, summary=()):
    """:func:`train_gan` for several configurations that differ only in seed and snapshots, side by
    side: each run draws from its own seeded streams exactly what it would draw alone, and its
    parameters are one row of the stacked arrays.  Snapshots of the runs in ``summary`` (indices)
    hold only g_mean, g_std and D_core."""
    cfg = cfgs[0]
    shared = {k: v for k, v in cfg.__dict__.items() if k not in ("seed", "snapshots")}
    for other in cfgs:
        if {k: v for k, v in other.__dict__.items() if k not in ("seed", "snapshots")} != shared:
            raise ValueError("runs trained side by side may differ only in seed and snapshots")
    rngs = [np.random.default_rng(c.seed) for c in cfgs]
    inits = [init_gan(rng, c) for rng, c in zip(rngs, cfgs)]
    theta_d = np.stack([P["theta_d"] for P in inits])
    theta_g = np.stack([P["theta_g"] for P in inits])
    Q = _stacked_runs(theta_d, theta_g, [inits[0][k].size for k in D_KEYS], [inits[0][k].size for k in G_KEYS])
    opt_d = _Adam(theta_d.shape, cfg.lr_d)
    opt_g = _Adam(theta_g.shape, cfg.lr_g)
    grid = np.linspace(cfg.data_mean - 4.5, cfg.data_mean + 2.5, 300)
    snap_rngs = [np.random.default_rng(c.seed + 1) for c in cfgs]
    snaps = [[] for _ in cfgs]
    params_at = [{} for _ in cfgs]  # iteration -> the parameters each snapshot measured

    def snapshot(it):
        for r, c in enumerate(cfgs):
            if it in c.snapshots:
                P = {k: Q[k][r] for k in Q}
                snaps[r].append({"iteration": it, **_snapshot(P, c, snap_rngs[r], grid, summary=r in summary)})
                params_at[r][it] = {k: Q[k][r].copy() for k in D_KEYS + G_KEYS}

    moments = set().union(*(c.snapshots for c in cfgs))
    work = {}  # scratch arrays of the steps
    draws = 2 * cfg.k + 1  # per iteration: k pairs (noise, data) for D, then noise for G
    for first in range(0, cfg.iterations, NOISE_CHUNK):
        n_it = min(NOISE_CHUNK, cfg.iterations - first)
        # (iteration, draw, run, sample): each run's stream in the order a step-by-step loop draws it
        eps = np.stack([rng.standard_normal((n_it, draws, cfg.m)) for rng in rngs], axis=2)
        eps[:, 1:-1:2] = cfg.data_mean + cfg.data_std * eps[:, 1:-1:2]  # rng.normal(mean, std) = mean + std N(0, 1)
        for it, e in enumerate(eps, start=first):
            if it in moments:
                snapshot(it)
            for j in range(cfg.k):  # k steps of ascent on J_D
                opt_d.step(theta_d, _discriminator_gradients(Q, e[2 * j + 1], e[2 * j], work), ascend=True)
            # one step of descent on J_G
            opt_g.step(theta_g, _generator_gradients(Q, e[-1], cfg.loss, work), ascend=False)
    if cfg.iterations in moments:
        snapshot(cfg.iterations)
    return [{"params": {k: Q[k][r].copy() for k in D_KEYS + G_KEYS}, "snapshots": snaps[r], "snapshot_params": params_at[r],
             "grid": grid.tolist(),
             "data_mean": c.data_mean, "data_std": c.data_std} for r, c in enumerate(cfgs)]
