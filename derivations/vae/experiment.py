"""Problem 7's seeded runs: the measured variance of both gradient estimators against the number
of samples (the variance figure), and the bound L(q) against log p(x) as q's mean slides through
the posterior (the bound's figure)."""

from __future__ import annotations

import numpy as np

from derivations.vae.method import linear_gaussian_terms, reparameterized_gradient, score_function_gradient

__all__ = ["VARIANCE_SETTING", "BOUND_MODEL", "variance_study", "bound_curve"]

# The variance study (parts iv-vi): 1-D Gaussian q = N(mu, sigma^2) and f(z) = log N(x; w z, s^2).
VARIANCE_SETTING = {"x": 1.0, "w": 1.0, "s": 1.0, "mu": 0.0, "sigma": 0.5}
VARIANCE_SAMPLES = (1, 2, 4, 8, 16, 32, 64, 128)
VARIANCE_REPEATS = 4000  # repetitions per M in the variance figure
VARIANCE_SEED = 7  # seed of the variance figure's runs

# The bound's figure.
BOUND_MODEL = {"W": [[1.5]], "b": [0.2], "s": 0.8, "x": [1.3]}  # the figure's 1-D linear-Gaussian model
BOUND_SCALES = (1.0, 0.3)  # q's variance as a multiple of the posterior's, one curve each


def variance_study(var_num, repeats=VARIANCE_REPEATS, seed=VARIANCE_SEED):
    """Measured variance of both estimators for each number of samples M (seeded)."""
    rng = np.random.default_rng(seed)
    p = VARIANCE_SETTING
    rows = []
    for M in VARIANCE_SAMPLES:
        eps = rng.standard_normal((repeats, M))
        sf = score_function_gradient(p["mu"], p["sigma"], p["x"], p["w"], p["s"], eps)
        rp = reparameterized_gradient(p["mu"], p["sigma"], p["x"], p["w"], p["s"], eps)
        rows.append(
            {"M": M, "sf_var": [float(np.var(a, ddof=1)) for a in sf], "rp_var": [float(np.var(a, ddof=1)) for a in rp]}
        )
    return {
        "samples": list(VARIANCE_SAMPLES),
        "rows": rows,
        "exact_sf": var_num["sf_var"],
        "exact_rp": var_num["rp_var"],
        "repeats": repeats,
        "seed": seed,
    }


def bound_curve():
    """L(q) and log p(x) as q's mean slides through the posterior mean (1-D linear-Gaussian)."""
    W, b, s, x = (np.array(BOUND_MODEL[k], dtype=float) for k in ("W", "b", "s", "x"))
    base = linear_gaussian_terms(W, b, s, x, np.zeros(1), np.eye(1))
    pm, pc = base["post_mean"][0], base["post_cov"][0, 0]
    means = np.linspace(pm - 2.0, pm + 2.0, 81)
    elbo = []
    for mval in means:
        elbo.append([linear_gaussian_terms(W, b, s, x, np.array([mval]), np.array([[pc * sc]]))["elbo"] for sc in BOUND_SCALES])
    return {
        "means": means.tolist(),
        "elbo": np.array(elbo).T.tolist(),
        "scales": list(BOUND_SCALES),
        "log_px": float(base["log_px"]),
        "post_mean": float(pm),
        "post_var": float(pc),
    }
