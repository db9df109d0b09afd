"""Problem 7's numeric implementation: the closed-form KL, both exactly computable models of
Eqs. 12-13, the two gradient estimators of the variance study, and a tiny VAE with its
M-sample estimator and hand-written backpropagation.

Example
-------
>>> float(gaussian_kl([0.0, 0.0], [0.0, 0.0]))
0.0
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import special, stats

__all__ = [
    "gaussian_kl",
    "discrete_model_terms",
    "linear_gaussian_terms",
    "roundoff_bound",
    "score_function_gradient",
    "reparameterized_gradient",
    "vae_encoder",
    "decoder_backward",
    "vae_forward",
    "estimator_from_encoder",
    "vae_estimator",
    "vae_estimator_gradients",
    "HERMITE_NODES",
    "VAE_SIZES",
]

HERMITE_NODES = 6  # Gauss-Hermite nodes per dimension (exact for the quadratic integrands)
VAE_SIZES = (5, 4, 2)  # n_x, n_h, n_z of the tiny test VAE
VAE_INIT_SCALE = 0.5  # standard deviation of its random weights


def gaussian_kl(mu, log_var):
    """KL(N(mu, diag(exp(log_var))) || N(0, I)), summed over the last axis.

    Parameters
    ----------
    mu, log_var : array_like, broadcastable to a common shape ``(..., J)``
        Mean and log-variance of the diagonal Gaussian q.

    Returns
    -------
    ndarray of shape ``(...)``: ``-1/2 sum_j (1 + log_var_j - mu_j^2 - exp(log_var_j))``.

    Example
    -------
    >>> float(gaussian_kl([0.0, 0.0], [0.0, 0.0]))
    0.0

    References: Kingma & Welling (2014), Appendix B and Eq. 10.
    """
    mu = np.asarray(mu, dtype=float)
    log_var = np.asarray(log_var, dtype=float)
    mu, log_var = np.broadcast_arrays(mu, log_var)
    if mu.ndim == 0:
        raise ValueError("gaussian_kl: mu and log_var need a last axis (the latent dimension)")
    # The same sum as 1/2 sum_j (mu_j^2 + (e^v - 1 - v)) with e^v - 1 by expm1: near the prior
    # (v -> 0) 1 + v - e^v loses every digit, and a KL of 1e-16 came out as -0.
    return 0.5 * np.sum(mu**2 + (np.expm1(log_var) - log_var), axis=-1)


def discrete_model_terms(prior, lik, q):
    """Every term of Eqs. 12-13 for a latent with K values, by exact sums.

    ``prior[k] = p(z=k)``, ``lik[k] = p(x|z=k)``, ``q[k] = q(z=k|x)`` (positive).  KLs come from
    scipy.stats.entropy, the rest from the definitions.
    """
    prior, lik, q = (np.asarray(a, dtype=float) for a in (prior, lik, q))
    evidence = np.sum(prior * lik)
    posterior = prior * lik / evidence
    logs = np.abs(np.log(prior)) + np.abs(np.log(lik)) + np.abs(np.log(q)) + np.abs(np.log(posterior))
    return {
        "log_px": np.log(evidence),
        "kl_post": stats.entropy(q, posterior),
        "elbo": np.sum(q * (np.log(prior) + np.log(lik) - np.log(q))),
        "kl_prior": stats.entropy(q, prior),
        "rec": np.sum(q * np.log(lik)),
        "posterior": posterior,
        # For round-off bounds (see roundoff_bound): the magnitude of every term the sums add,
        # the longest chain of roundings (K summands, each q (log + log - log): 4 more), and the
        # conditioning of the (absent) linear algebra.
        "magnitude": float(abs(np.log(evidence)) + np.sum(q * logs)),
        "summands": len(q) + 4,
        "dim": 1,
        "cond": 1.0,
    }


def _gauss_kl_full(m0, S0, m1, S1):
    """KL(N(m0, S0) || N(m1, S1)) for full covariances, and the magnitude of the terms it adds
    (with the difference of the means bounded by |m0| + |m1|, before it cancels)."""
    d = len(m0)
    S1inv = np.linalg.inv(S1)
    diff = m1 - m0
    kl = 0.5 * (np.trace(S1inv @ S0) + diff @ S1inv @ diff - d + np.linalg.slogdet(S1)[1] - np.linalg.slogdet(S0)[1])
    size = np.abs(m0) + np.abs(m1)
    magnitude = 0.5 * (np.sum(np.abs(S1inv) * np.abs(S0).T) + size @ np.abs(S1inv) @ size + d
                       + abs(np.linalg.slogdet(S1)[1]) + abs(np.linalg.slogdet(S0)[1]))
    return kl, float(magnitude)


def _log_density_magnitude(size, cov):
    """The magnitude of the terms log N(v; 0, cov) adds, for |v| bounded by ``size`` (rows of nodes):
    1/2 size^T |cov^-1| size + 1/2 |log det(2 pi cov)|."""
    inv = np.abs(np.linalg.inv(cov))
    return 0.5 * np.einsum("...i,ij,...j->...", size, inv, size) + 0.5 * abs(np.linalg.slogdet(2 * np.pi * cov)[1])


@functools.lru_cache(maxsize=None)
def _hermite_grid(nodes, d):
    """Tensor Gauss-Hermite nodes (probabilists') in d dimensions and their normalised weights
    (cached: the same few grids serve every call; the arrays are read-only)."""
    t, wts = special.roots_hermitenorm(nodes)
    grid = np.stack(np.meshgrid(*([t] * d), indexing="ij"), -1).reshape(-1, d)
    weight = np.prod(np.stack(np.meshgrid(*([wts] * d), indexing="ij"), -1).reshape(-1, d), axis=1)
    weight = weight / weight.sum()
    grid.setflags(write=False)
    weight.setflags(write=False)
    return grid, weight


@functools.lru_cache(maxsize=None)
def _hermite_rule_error(nodes, d):
    """The rule's own error on the moments it must integrate exactly (degree <= 2: the integrands
    are quadratic), in units of eps: its rounded nodes and weights miss them by a few eps."""
    grid, weight = _hermite_grid(nodes, d)
    errors = [abs(weight.sum() - 1.0)] + [abs(weight @ grid[:, i]) for i in range(d)]
    errors += [abs(weight @ (grid[:, i] * grid[:, j]) - (i == j)) for i in range(d) for j in range(d)]
    return float(max(errors) / np.finfo(float).eps)


def linear_gaussian_terms(W, b, s, x, m, S, nodes=HERMITE_NODES):
    """Eqs. 12-13 on z ~ N(0, I), x|z ~ N(Wz + b, s^2 I), q = N(m, S).

    log p(x) from the marginal N(b, W W^T + s^2 I) (scipy); the posterior by Bayes' rule in
    closed form; L by tensor Gauss-Hermite quadrature of its definition E_q[log p(x,z) - log q]
    (exact for these quadratic integrands).
    """
    d = W.shape[1]
    # scipy's log-densities, called without freezing a distribution (same numbers, far less overhead)
    log_px = stats.multivariate_normal.logpdf(x, b, W @ W.T + s**2 * np.eye(len(x)))
    post_cov = np.linalg.inv(np.eye(d) + W.T @ W / s**2)
    post_mean = post_cov @ W.T @ (x - b) / s**2
    grid, weight = _hermite_grid(nodes, d)
    Z = m + grid @ np.linalg.cholesky(S).T
    log_lik = stats.multivariate_normal.logpdf(x - Z @ W.T - b, np.zeros(len(x)), s**2 * np.eye(len(x)))
    log_prior = stats.multivariate_normal.logpdf(Z, np.zeros(d), np.eye(d))
    log_q = stats.multivariate_normal.logpdf(Z, m, S)
    kl_post, kl_magnitude = _gauss_kl_full(m, S, post_mean, post_cov)
    # Magnitudes for the round-off bound: each log-density's quadratic form with its argument
    # bounded before the subtractions that form it (x - b, x - W z - b, z - m), which may cancel.
    marginal = W @ W.T + s**2 * np.eye(len(x))
    z_size = np.abs(m) + np.abs(grid) @ np.abs(np.linalg.cholesky(S)).T
    node_magnitude = (_log_density_magnitude(np.abs(x) + np.abs(b) + z_size @ np.abs(W).T, s**2 * np.eye(len(x)))
                      + _log_density_magnitude(z_size, np.eye(d)) + _log_density_magnitude(z_size + np.abs(m), S))
    magnitude = _log_density_magnitude(np.abs(x) + np.abs(b), marginal) + kl_magnitude + weight @ node_magnitude
    return {
        "log_px": log_px,
        "kl_post": kl_post,
        "elbo": float(weight @ (log_lik + log_prior - log_q)),
        "rec": float(weight @ log_lik),
        "post_mean": post_mean,
        "post_cov": post_cov,
        # For round-off bounds (see roundoff_bound): the magnitude of every term added on the way,
        # the longest chain of roundings (the quadrature's nodes, each weight (log + log - log):
        # 4 more, and the rule's own moment error in eps), the dimension and the worst condition
        # number of the matrices factored or inverted (q's covariance, the marginal's, the posterior's).
        "magnitude": float(magnitude),
        "summands": len(weight) + 4 + _hermite_rule_error(nodes, d),
        "dim": d + len(x),
        "cond": float(max(np.linalg.cond(S), np.linalg.cond(marginal), np.linalg.cond(np.eye(d) + W.T @ W / s**2))),
    }


def roundoff_bound(*terms):
    """An absolute bound on the float64 round-off of an identity evaluated from ``terms``.

    Each ``terms`` entry is a dict from :func:`discrete_model_terms` or :func:`linear_gaussian_terms`
    (or a dict with the same four keys for another term).  A sum of N terms of total magnitude M
    is off by at most N eps M (the classical recursive-summation bound, N counting the summands
    and the roundings inside one summand: the ``summands`` entry); a linear solve, inverse,
    Cholesky or log-determinant in dimension n with condition number kappa adds about n kappa eps
    relative to the magnitude of what it feeds.  So the bound is eps (1 + M) (N + n kappa) per
    term, summed; the 1 covers the absolute rounding of a logarithm near 0.  A real mistake in an
    identity (a dropped or doubled term) is of the size of a term, orders of magnitude above it.
    """
    eps = np.finfo(float).eps
    return float(sum(eps * (1.0 + t["magnitude"]) * (t["summands"] + t["dim"] * t["cond"]) for t in terms))


def _f_and_grad(z, x, w, s):
    """f(z) = log N(x; w z, s^2) and f'(z), elementwise."""
    r = x - w * z
    return -0.5 * r**2 / s**2 - 0.5 * np.log(2 * np.pi * s**2), w * r / s**2


def score_function_gradient(mu, sigma, x, w, s, eps, baseline=0.0):
    """(d/dmu, d/dsigma) of E_q f by REINFORCE: mean over the last axis of (f(z) - b) grad log q(z).

    A constant ``baseline`` b leaves the mean unchanged (the score has mean zero) and, well chosen,
    lowers the variance: the control variate of part (v).
    """
    z = mu + sigma * eps
    f, _ = _f_and_grad(z, x, w, s)
    f = f - baseline
    d_mu = (z - mu) / sigma**2
    d_sigma = ((z - mu) ** 2 - sigma**2) / sigma**3
    return np.mean(f * d_mu, axis=-1), np.mean(f * d_sigma, axis=-1)


def reparameterized_gradient(mu, sigma, x, w, s, eps):
    """(d/dmu, d/dsigma) of E_q f with z = mu + sigma eps: mean of f'(z) and f'(z) eps."""
    _, fz = _f_and_grad(mu + sigma * eps, x, w, s)
    return np.mean(fz, axis=-1), np.mean(fz * eps, axis=-1)


# A tiny VAE: MLP encoder x -> (mu, log sigma^2), MLP Bernoulli decoder z -> logits.


def _init_vae(rng, sizes=VAE_SIZES):
    n_x, n_h, n_z = sizes
    shapes = {
        "We": (n_h, n_x), "be": (n_h,), "Wmu": (n_z, n_h), "bmu": (n_z,), "Wlv": (n_z, n_h), "blv": (n_z,),
        "Wd": (n_h, n_z), "bd": (n_h,), "Wo": (n_x, n_h), "bo": (n_x,),
    }
    return {k: rng.normal(scale=VAE_INIT_SCALE, size=v) for k, v in shapes.items()}


def vae_encoder(params, x):
    """The encoder MLP: hidden layer h = tanh(W_e x + b_e), mu = W_mu h + b_mu, log sigma^2 = W_lv h + b_lv."""
    h = np.tanh(params["We"] @ x + params["be"])
    return h, params["Wmu"] @ h + params["bmu"], params["Wlv"] @ h + params["blv"]


def _decoder(params, z):
    """The decoder MLP on samples z (shape (M, J)): its hidden layer and the Bernoulli logits."""
    hd = np.tanh(z @ params["Wd"].T + params["bd"])
    return hd, hd @ params["Wo"].T + params["bo"]


def _bernoulli_log_lik(x, logits):
    """log p(x|z) = sum_i x_i log y_i + (1 - x_i) log(1 - y_i), y = sigmoid(logits), in the stable
    form x . logits - sum_i log(1 + e^logits_i), one value per row of ``logits``."""
    return np.sum(x * logits - np.logaddexp(0.0, logits), axis=-1)


def decoder_backward(params, x, z):
    """Per-sample Bernoulli log p(x|z^(m)) and its gradients by backpropagation, for z of shape (M, J).

    Returns ``log_lik`` (M,), ``d_z`` (M, J): grad_z log p(x|z) at each z^(m), and ``theta``: for each
    decoder weight (Wd, bd, Wo, bo) the M per-sample gradients (leading axis m).
    """
    hd, logits = _decoder(params, z)
    d_logits = x - special.expit(logits)  # d log p(x|z) / d logits = x - y
    d_ad = (d_logits @ params["Wo"]) * (1 - hd**2)
    theta = {"Wd": np.einsum("mh,mj->mhj", d_ad, z), "bd": d_ad,
             "Wo": np.einsum("mi,mh->mih", d_logits, hd), "bo": d_logits}
    return {"log_lik": _bernoulli_log_lik(x, logits), "d_z": d_ad @ params["Wd"], "theta": theta}


def vae_forward(params, x, eps):
    """Encoder outputs (mu, log sigma^2), samples z = mu + sigma * eps (shape (M, J)) and decoder logits."""
    _, mu, log_var = vae_encoder(params, x)
    z = mu + np.exp(0.5 * log_var) * eps  # (M, J)
    return {"mu": mu, "log_var": log_var, "z": z, "logits": _decoder(params, z)[1]}


def estimator_from_encoder(params, x, mu, log_var, eps):
    """The M-sample estimator for given encoder outputs mu and log sigma^2 (the decoder from ``params``)."""
    z = mu + np.exp(0.5 * log_var) * eps
    return float(-gaussian_kl(mu, log_var) + np.mean(_bernoulli_log_lik(x, _decoder(params, z)[1])))


def vae_estimator(params, x, eps):
    """The M-sample estimator of Eq. 14's bound for one binary x; ``eps`` has shape (M, J)."""
    _, mu, log_var = vae_encoder(params, x)
    return estimator_from_encoder(params, x, mu, log_var, eps)


def vae_estimator_gradients(params, x, eps):
    """Backpropagation through :func:`vae_estimator` (the reparameterized path), by hand."""
    h, mu, log_var = vae_encoder(params, x)
    sd = np.exp(0.5 * log_var)
    dec = decoder_backward(params, x, mu + sd * eps)
    g = {k: v.mean(0) for k, v in dec["theta"].items()}  # grad_theta of mean_m log p(x|z^(m))
    d_z = dec["d_z"] / eps.shape[0]
    # -KL = 1/2 sum (1 + lv - mu^2 - e^lv): d/dmu = -mu, d/dlv = (1 - e^lv)/2; plus the sampling path.
    d_mu = -mu + d_z.sum(0)
    d_lv = 0.5 * (1 - np.exp(log_var)) + (d_z * eps).sum(0) * 0.5 * sd
    g["Wmu"], g["bmu"] = np.outer(d_mu, h), d_mu
    g["Wlv"], g["blv"] = np.outer(d_lv, h), d_lv
    d_a = (params["Wmu"].T @ d_mu + params["Wlv"].T @ d_lv) * (1 - h**2)
    g["We"], g["be"] = np.outer(d_a, x), d_a
    return g
