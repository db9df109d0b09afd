"""Problem 8's numeric implementation: Proposition 1's discriminator, the virtual training criterion,
the Jensen-Shannon divergence and V(D, G) on finite sets, and a one-dimensional GAN in NumPy
(networks, hand-written gradients of both minibatch objectives, Adam).

Example
-------
>>> optimal_discriminator([0.5, 0.5], [0.25, 0.75]).round(3).tolist()
[0.667, 0.4]
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import special

__all__ = [
    "optimal_discriminator",
    "virtual_training_criterion",
    "jensen_shannon",
    "value_function",
    "GanConfig",
    "init_gan",
    "generator",
    "discriminator_logit",
    "samples",
    "discriminator",
    "gan_losses",
    "discriminator_gradients",
    "generator_gradients",
    "gan_gradients",
    "D_KEYS",
    "G_KEYS",
    "GAN_SETTINGS",
    "ADAM_BETAS",
    "ADAM_EPS",
]


def _check_pair(p_data, p_g, tol=1e-9):
    p_data = np.asarray(p_data, dtype=float)
    p_g = np.asarray(p_g, dtype=float)
    if p_data.shape != p_g.shape:
        raise ValueError(f"p_data and p_g must have the same shape; got {p_data.shape} and {p_g.shape}")
    for name, p in (("p_data", p_data), ("p_g", p_g)):
        if p.size == 0:
            raise ValueError(f"{name} is empty")
        if not np.all(np.isfinite(p)):
            raise ValueError(f"{name} has non-finite entries")
        if np.any(p < 0):
            raise ValueError(f"{name} has negative entries (min {p.min():.3g}); probabilities are >= 0")
        if abs(p.sum() - 1.0) > tol:
            raise ValueError(f"{name} sums to {p.sum():.12g}, not 1; pass a normalised distribution")
    return p_data, p_g


def optimal_discriminator(p_data, p_g):
    """Proposition 1: D*_G = p_data / (p_data + p_g), elementwise.

    Parameters
    ----------
    p_data, p_g : array_like of the same shape, non-negative, each summing to one
        The two distributions on a finite set.

    Returns
    -------
    ndarray of that shape.  Where both probabilities are 0 every D is optimal (the point does not
    enter V); we return 1/2 there.

    Example
    -------
    >>> optimal_discriminator([0.5, 0.5], [0.25, 0.75]).round(3).tolist()
    [0.667, 0.4]
    """
    p_data, p_g = _check_pair(p_data, p_g)
    total = p_data + p_g
    return np.divide(p_data, total, out=np.full_like(total, 0.5), where=total > 0)


def virtual_training_criterion(p_data, p_g):
    """C(G) = E_data[log D*_G] + E_g[log(1 - D*_G)] with 0 log 0 = 0 (Goodfellow et al., Eq. 4).

    ``1 - D*`` is computed as ``p_g / (p_data + p_g)`` so that no precision is lost near D* = 1.
    """
    p_data, p_g = _check_pair(p_data, p_g)
    total = p_data + p_g
    safe = np.where(total > 0, total, 1.0)
    return float(np.sum(special.xlogy(p_data, p_data / safe) + special.xlogy(p_g, p_g / safe)))


def jensen_shannon(p, q):
    """JSD(p || q) = KL(p || m)/2 + KL(q || m)/2, m = (p + q)/2, in nats (0 log 0 = 0)."""
    p, q = _check_pair(p, q)
    m = (p + q) / 2
    safe = np.where(m > 0, m, 1.0)
    return float(0.5 * np.sum(special.xlogy(p, p / safe)) + 0.5 * np.sum(special.xlogy(q, q / safe)))


def value_function(D, p_data, p_g):
    """V(D, G) of Eq. 15 for discrete distributions and a discriminator D in (0, 1)."""
    D = np.asarray(D, dtype=float)
    return float(np.sum(special.xlogy(p_data, D) + special.xlogy(p_g, 1.0 - D)))


# A one-dimensional GAN in NumPy.  D(x) = sigmoid(v . tanh(W x + b) + c);
# G(z) = w2 . tanh(w1 z + b1) + b2 with z ~ N(0, 1).


D_KEYS, G_KEYS = ("W", "b", "v", "c"), ("w1", "b1", "w2", "b2")
GAN_SETTINGS = {  # the seeded training run
    "seed": 0,
    "data_mean": 2.0, "data_std": 0.5,  # p_data = N(mean, std^2)
    "hidden_d": 16, "hidden_g": 8,  # tanh units of D and G
    "iterations": 5000,
    "k": 1,  # discriminator steps per generator step (the paper used k = 1)
    "m": 128,  # minibatch size
    "lr_d": 5e-3, "lr_g": 5e-4,  # Adam step sizes
    "loss": "saturating",  # Algorithm 1 as printed: descend log(1 - D(G(z)))
    "snapshots": (0, 200, 1000, 4999),  # iterations drawn in the figure
}
INIT_SD = {"W": 1.0, "b": 1.0, "v": 0.1, "w1": 1.0, "b1": 0.5, "w2": 0.1}  # initial weights ~ N(0, sd^2); c, b2 = 0
ADAM_BETAS, ADAM_EPS = (0.5, 0.999), 1e-8  # Adam's decay rates (beta1 = 0.5, as is common for GANs) and epsilon


class GanConfig:
    """Settings of the seeded training run (plain attributes, so the class pickles)."""

    def __init__(self, **kw):
        self.__dict__.update(GAN_SETTINGS)
        self.__dict__.update(kw)


def init_gan(rng, cfg):
    """Parameters as a dict of views into two flat vectors, ``P["theta_d"]`` and ``P["theta_g"]``."""
    size = {"W": cfg.hidden_d, "b": cfg.hidden_d, "v": cfg.hidden_d, "w1": cfg.hidden_g, "b1": cfg.hidden_g, "w2": cfg.hidden_g}
    init = {k: rng.normal(scale=INIT_SD[k], size=size[k]) for k in ("W", "b", "v", "w1", "b1", "w2")}
    init_d = {**{k: init[k] for k in ("W", "b", "v")}, "c": np.zeros(1)}
    init_g = {**{k: init[k] for k in ("w1", "b1", "w2")}, "b2": np.zeros(1)}
    P = {}
    for name, init, keys in (("theta_d", init_d, D_KEYS), ("theta_g", init_g, G_KEYS)):
        P[name] = np.concatenate([init[k] for k in keys])
        P.update(_views(P[name], keys, [len(init[k]) for k in keys]))
    return P


def _views(theta, keys, sizes):
    """Views into a flat parameter vector (or into each row of a stack of them, one per run)."""
    out, start = {}, 0
    for k, n in zip(keys, sizes):
        out[k] = theta[..., start:start + n]
        start += n
    return out


# The networks work on a leading axis of independent runs: each parameter has shape (S, size) and
# each batch of points (S, n).  The single-run functions below add that axis to P's arrays (views,
# so the finite differences of the checks, which perturb P in place, are seen) and drop it again;
# train_gan runs the seeds of the study side by side through the same functions.


def _one_run(P):
    """P's parameters with a leading axis of one run (views), and each tanh layer's weights and
    biases as one (1, 2, H) array (a copy of their current values), see :func:`_tanh_layer`."""
    Q = {k: P[k][None] for k in D_KEYS + G_KEYS}
    Q["Wb"], Q["w1b1"] = np.stack([P["W"], P["b"]])[None], np.stack([P["w1"], P["b1"]])[None]
    return Q


def _stacked_runs(theta_d, theta_g, sizes_d, sizes_g):
    """Views into stacked parameter vectors, one row per run; "Wb" and "w1b1" are views too (W, b
    lead theta_d and w1, b1 lead theta_g), so that the optimiser's in-place steps move them."""
    Q = {**_views(theta_d, D_KEYS, sizes_d), **_views(theta_g, G_KEYS, sizes_g)}
    for name, theta, H in (("Wb", theta_d, sizes_d[0]), ("w1b1", theta_g, sizes_g[0])):
        Q[name] = theta[:, :2 * H].reshape(len(theta), 2, H)
        if not np.shares_memory(Q[name], theta):
            raise ValueError(f"{name} must be a view of the stacked parameters")
    return Q


def _unflatten(grad, keys, P):
    return dict(zip(keys, np.split(grad, np.cumsum([P[k].size for k in keys])[:-1])))


def _scratch(work, name, shape, fill=None):
    """An array to write into: reused from ``work`` (a dict kept across training steps), or new
    (filled with ``fill`` when made).  Reuse matters: the stacked runs' largest temporaries are
    128 KiB, which malloc maps and unmaps afresh at every step."""
    key = (name, shape)
    if work is None or key not in work:
        made = np.empty(shape) if fill is None else np.full(shape, fill)
        if work is None:
            return made
        work[key] = made
    return work[key]


def _tanh_layer(x, wb, out, work=None):
    """tanh(x w + b) for every point of x (S, n) and unit of the layer, wb = [[w], [b]] (S, 2, H):
    shape (S, n, H).  The pre-activations are [x, 1] @ wb, one matrix product per run instead of two
    broadcasting passes (NumPy's OpenBLAS rounds x * w, then adds b: bit for bit x * w + b)."""
    x1 = _scratch(work, "x1", x.shape + (2,), fill=1.0)  # the ones stay, x is written over
    x1[..., 0] = x
    return np.tanh(np.matmul(x1, wb, out=out), out=out)


def _sum_points(t):
    """t.sum(1) for t of shape (S, n, H), summed in the same order, but faster than NumPy's reduction
    along a middle axis."""
    return np.einsum("snh->sh", t)


def _tanh_layer_backward(d_y, w, h, out, work=None):
    """(d_y w) * (1 - h^2): the gradient of sum(d_y * (h @ w)) w.r.t. the layer's pre-activations."""
    slope = _scratch(work, "slope", h.shape)
    np.multiply(h, h, out=slope)
    np.subtract(1, slope, out=slope)
    np.multiply(d_y[..., None], w[:, None], out=out)
    return np.multiply(out, slope, out=out)


def _generator(Q, z, work=None):
    u = _tanh_layer(z, Q["w1b1"], _scratch(work, "u", z.shape + Q["w1"].shape[-1:]), work)
    return (u @ Q["w2"][..., None])[..., 0] + Q["b2"], u


def _discriminator_logit(Q, x, work=None):
    h = _tanh_layer(x, Q["Wb"], _scratch(work, "h", x.shape + Q["W"].shape[-1:]), work)
    return (h @ Q["v"][..., None])[..., 0] + Q["c"], h


def _disc_backward(Q, x, h, d_a, params=True, inputs=True, work=None):
    """Gradients of sum(d_a * a(x)) w.r.t. D's parameters (flat, in D_KEYS order) and w.r.t. x;
    each is None when not asked for."""
    d_pre = _tanh_layer_backward(d_a, Q["v"], h, _scratch(work, "d_pre", h.shape), work)
    grad = np.concatenate([(x[:, None] @ d_pre)[:, 0], _sum_points(d_pre), (d_a[:, None] @ h)[:, 0],
                           d_a.sum(-1, keepdims=True)], axis=-1) if params else None
    return grad, (d_pre @ Q["W"][..., None])[..., 0] if inputs else None


@functools.lru_cache(maxsize=None)
def _real_and_fake(n, m):
    """d_a of J_D is d/da log D = 1 - D = sigmoid(-a) / n on the n data points, d/da log(1 - D) = -D
    = -sigmoid(a) / m on the m generated ones: sigmoid(-sign a) / (sign count), sign = +1 then -1.
    Returns (-sign, sign count), read-only."""
    sign = np.repeat([1.0, -1.0], [n, m])
    out = -sign, sign * np.repeat([float(n), float(m)], [n, m])
    for a in out:
        a.flags.writeable = False
    return out


def _discriminator_gradients(Q, x_real, z, work=None):
    x_both = np.concatenate([x_real, _generator(Q, z, work)[0]], axis=-1)  # one pass over real and generated
    a, h = _discriminator_logit(Q, x_both, work)
    minus_sign, signed_count = _real_and_fake(x_real.shape[-1], z.shape[-1])
    d_a = special.expit(minus_sign * a) / signed_count
    return _disc_backward(Q, x_both, h, d_a, inputs=False, work=work)[0]


def _generator_gradients(Q, z, loss, work=None):
    x_fake, u = _generator(Q, z, work)
    a_fake, h_fake = _discriminator_logit(Q, x_fake, work)
    if loss == "saturating":  # d/da log(1 - sigmoid(a)) = -D
        d_a = -special.expit(a_fake) / z.shape[-1]
    else:  # d/da -log sigmoid(a) = -(1 - D)
        d_a = -special.expit(-a_fake) / z.shape[-1]
    _, d_x = _disc_backward(Q, x_fake, h_fake, d_a, params=False, work=work)
    d_pre = _tanh_layer_backward(d_x, Q["w2"], u, _scratch(work, "d_pre", u.shape), work)
    return np.concatenate([(z[:, None] @ d_pre)[:, 0], _sum_points(d_pre), (d_x[:, None] @ u)[:, 0],
                           d_x.sum(-1, keepdims=True)], axis=-1)


def generator(P, z):
    x, u = _generator(_one_run(P), np.asarray(z, dtype=float)[None])
    return x[0], u[0]


def discriminator_logit(P, x):
    a, h = _discriminator_logit(_one_run(P), np.asarray(x, dtype=float)[None])
    return a[0], h[0]


def samples(P, z):
    """x = G(z) for an array of noise values."""
    return generator(P, z)[0]


def discriminator(P, x):
    """D(x) = sigmoid(logit), for an array of points."""
    return special.expit(discriminator_logit(P, x)[0])


def gan_losses(P, x_real, z, loss="saturating"):
    """(J_D, J_G): the discriminator's objective (to ascend) and the generator's (to descend)."""
    a_real, _ = discriminator_logit(P, x_real)
    a_fake, _ = discriminator_logit(P, generator(P, z)[0])
    log_d_real = -np.logaddexp(0.0, -a_real)  # log sigmoid
    log_1m_d_fake = -np.logaddexp(0.0, a_fake)  # log(1 - sigmoid)
    J_D = np.mean(log_d_real) + np.mean(log_1m_d_fake)
    J_G = np.mean(log_1m_d_fake) if loss == "saturating" else -np.mean(-np.logaddexp(0.0, -a_fake))
    return float(J_D), float(J_G)


def discriminator_gradients(P, x_real, z):
    """dJ_D/d theta_d by back-propagation (J_D is ascended)."""
    Q = _one_run(P)
    grad = _discriminator_gradients(Q, np.asarray(x_real, dtype=float)[None], np.asarray(z, dtype=float)[None])
    return _unflatten(grad[0], D_KEYS, P)


def generator_gradients(P, z, loss="saturating"):
    """dJ_G/d theta_g by back-propagation through D into G (J_G is descended)."""
    grad = _generator_gradients(_one_run(P), np.asarray(z, dtype=float)[None], loss)
    return _unflatten(grad[0], G_KEYS, P)


def gan_gradients(P, x_real, z, loss="saturating"):
    """Hand-written gradients: (dJ_D/d theta_d, dJ_G/d theta_g)."""
    return discriminator_gradients(P, x_real, z), generator_gradients(P, z, loss)


class _Adam:
    """Adam on a flat parameter vector."""

    def __init__(self, size, lr, b1=ADAM_BETAS[0], b2=ADAM_BETAS[1], eps=ADAM_EPS):
        self.lr, self.b1, self.b2, self.eps, self.t = lr, b1, b2, eps, 0
        self.m, self.v = np.zeros(size), np.zeros(size)

    def step(self, theta, grad, ascend):
        self.t += 1
        self.m = self.b1 * self.m + (1 - self.b1) * grad
        self.v = self.b2 * self.v + (1 - self.b2) * grad**2
        mh = self.m / (1 - self.b1**self.t)
        vh = self.v / (1 - self.b2**self.t)
        move = self.lr * mh / (np.sqrt(vh) + self.eps)
        theta += move if ascend else -move  # in place: P's arrays are views
