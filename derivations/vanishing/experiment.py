"""Problem 3's seeded experiments (all numbers in the text and figures come from these): Jacobian
norms of RNNs with sigma_max(U) below, at and above 1, and a non-normal U whose Jacobians grow
although its spectral radius is below 1."""

from __future__ import annotations

import numpy as np

from derivations import rnn
from derivations.vanishing.method import jacobian_norms

__all__ = ["NORM_RUN", "COUNTER_RUN"]

# Seeded experiments (all numbers in the text and figures come from these).
NORM_RUN = {"H": 16, "D": 4, "K": 3, "tau": 60, "sigmas": (0.8, 1.0, 1.25, 2.0), "sequences": 8,
            "init_scale": 1.0, "w_scale": 0.5, "b_scale": 0.1, "seed": 3}
COUNTER_RUN = {"H": 4, "D": 2, "K": 2, "tau": 60, "rho": 0.9, "init_scale": 1.0, "w_scale": 1e-6, "seed": 4}


def _orthogonal(rng, n):
    Q, R = np.linalg.qr(rng.normal(size=(n, n)))
    return Q * np.sign(np.diag(R))


def _norm_experiment(cfg=NORM_RUN) -> list:
    """Jacobian norms on seeded runs with U = sigma * (random orthogonal): sigma_max(U) = sigma."""
    rng = np.random.default_rng(cfg["seed"])
    H, D, K, steps = cfg["H"], cfg["D"], cfg["K"], cfg["tau"]
    base = rnn.init_params(D, H, K, rng, scale=cfg["init_scale"])
    base["W"] *= cfg["w_scale"]
    base["b"] *= cfg["b_scale"]
    Q = _orthogonal(rng, H)
    seqs = [rng.normal(size=(steps, D)) for _ in range(cfg["sequences"])]
    runs = []
    for sigma in cfg["sigmas"]:
        params = dict(base, U=sigma * Q)
        runs.append({
            "sigma": float(sigma),
            "sigma_max": float(np.linalg.svd(params["U"], compute_uv=False)[0]),
            "params": params,
            "X": seqs,
            "norms": np.array([jacobian_norms(params, X) for X in seqs]),
        })
    return runs


def _counterexample(cfg=COUNTER_RUN) -> dict:
    """A non-normal U = rho I + (ones on the superdiagonal): spectral radius rho < 1, sigma_max > 1."""
    rng = np.random.default_rng(cfg["seed"])
    H, D, K, steps = cfg["H"], cfg["D"], cfg["K"], cfg["tau"]
    params = rnn.init_params(D, H, K, rng, scale=cfg["init_scale"])
    params["W"] *= cfg["w_scale"]
    params["b"][:] = 0.0  # with tiny inputs the states stay near 0, where tanh' is close to gamma = 1
    params["U"] = cfg["rho"] * np.eye(H) + np.eye(H, k=1)
    X = rng.normal(size=(steps, D))
    norms = jacobian_norms(params, X)
    n_star = int(np.argmax(norms))
    return {
        "params": params, "X": X, "norms": norms, "n_star": n_star,
        "rho": float(np.max(np.abs(np.linalg.eigvals(params["U"])))),
        "sigma_max": float(np.linalg.svd(params["U"], compute_uv=False)[0]),
        "max_h": float(np.abs(rnn.forward(params, X)["h"]).max()),
    }
