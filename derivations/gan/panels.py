"""The paper's Figure 1 (the assignment's Figure 4), redrawn from an explicit one-dimensional model.

p_data = N(0, (1/2)^2).  The noise z is uniform on (0, 1) and the generator is the monotone map
G(z) = m + s Phi^{-1}(z) (Phi the standard normal distribution function), so p_g = N(m, s^2)
exactly.  The four panels:

* (a) G_(a) = G_(b) with (m, s) = (3/2, 1/2); D_(a) a partially trained logistic curve;
* (b) the same G; D trained to the optimum D*_(b) = p_data / (p_data + p_g) (Proposition 1);
* (c) one gradient-descent step of G's parameters theta = (m, log s) on J_G = E_z log(1 - D_(b)(G(z)))
  with D_(b) held fixed, step size ETA, the gradient by Gauss-Hermite quadrature; D = D*_(c) for the new p_g;
* (d) p_g = p_data, where D* = 1/2.

Everything the figure draws and the text states comes from here (the checks in
:mod:`derivations.gan.checks` re-measure it by other routes).
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from scipy import special

from derivations.gan.notation import P_DATA, P_G, optimal_discriminator_statement

__all__ = [
    "DATA", "G_START", "D_A", "ETA", "X", "normal_density", "logit_b", "generator_objective",
    "generator_step", "panel_model", "GRID", "Z_SHOWN", "HERMITE_NODES",
]

DATA = (sp.Integer(0), sp.Rational(1, 2))  # p_data = N(mean, sd^2)
G_START = (sp.Rational(3, 2), sp.Rational(1, 2))  # (m, s) of G in panels (a) and (b)
D_A = (sp.Integer(-2), sp.Rational(1, 2))  # panel (a): D = sigmoid(w x + c), (w, c)
ETA = sp.Integer(1)  # step size of the one update of G between panels (b) and (c)
X = sp.Symbol("x", real=True)
GRID = (-2.0, 3.5, 441)  # the x-range drawn
Z_SHOWN = 13  # noise values z = (k - 1/2) / Z_SHOWN drawn with their arrows to G(z)
HERMITE_NODES = 80  # Gauss-Hermite nodes for the expectations over z in the update of G


def normal_density(mean, sd, x=X):
    """The N(mean, sd^2) density as an exact SymPy expression in x."""
    return sp.exp(-((x - mean) ** 2) / (2 * sd**2)) / (sd * sp.sqrt(2 * sp.pi))


def logit_b():
    """log p_data - log p_g of panel (b): the logit of D*_(b), exact (linear in x here)."""
    return sp.expand(sp.expand_log(sp.log(normal_density(*DATA)) - sp.log(normal_density(*G_START)), force=True))


@functools.lru_cache(maxsize=None)
def _logit_b_numeric():
    ell = logit_b()
    return sp.lambdify(X, ell, "numpy"), sp.lambdify(X, sp.diff(ell, X), "numpy")


def generator_objective(m, s, nodes=HERMITE_NODES):
    """J_G = E_z log(1 - D_(b)(G(z))) at G's (m, s) and its gradient in G's parameters
    theta = (m, log s), by Gauss-Hermite quadrature.

    With u = Phi^{-1}(z) ~ N(0, 1), G(z) = m + s u and log(1 - sigmoid(l)) = -softplus(l), l the
    logit of D_(b): dJ/dm = -E[sigmoid(l) l'], dJ/d(log s) = -s E[sigmoid(l) l' u]."""
    u, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / np.sqrt(2 * np.pi)
    ell, dell = _logit_b_numeric()
    x = m + s * u
    lx = np.broadcast_to(ell(x), x.shape)
    dl = np.broadcast_to(dell(x), x.shape)
    J = float(w @ -np.logaddexp(0.0, lx))
    sig = special.expit(lx)
    return J, np.array([float(w @ (-sig * dl)), s * float(w @ (-sig * dl * u))])


def generator_step():
    """(m, s) of panel (c): one step of gradient descent on J_G in theta = (m, log s) from panel
    (b)'s G, with D_(b) held fixed."""
    m, s = (float(v) for v in G_START)
    theta_c = np.array([m, np.log(s)]) - float(ETA) * generator_objective(m, s)[1]
    return float(theta_c[0]), float(np.exp(theta_c[1]))


@functools.lru_cache(maxsize=None)
def _d_star():
    return sp.lambdify((P_DATA, P_G), optimal_discriminator_statement().rhs, "numpy")


def _density(mean, sd, x):
    return np.exp(-0.5 * ((x - mean) / sd) ** 2) / (sd * np.sqrt(2 * np.pi))


def panel_model():
    """The four panels' data: for each, G's (m, s), p_data, p_g and D on the grid, and the arrows
    z -> G(z) for the drawn z; plus D_(a)'s (w, c) and the step."""
    x = np.linspace(*GRID)
    mu, sd = (float(v) for v in DATA)
    p_data = _density(mu, sd, x)
    m_c, s_c = generator_step()
    gens = {"a": tuple(float(v) for v in G_START), "b": tuple(float(v) for v in G_START), "c": (m_c, s_c), "d": (mu, sd)}
    z = (np.arange(Z_SHOWN) + 0.5) / Z_SHOWN
    w_a, c_a = (float(v) for v in D_A)
    panels = {}
    for tag, (m, s) in gens.items():
        # panel (d): the very p_data array, so that D* = p / (p + p) is 1/2 exactly in floating point
        p_g = p_data if tag == "d" else _density(m, s, x)
        D = special.expit(w_a * x + c_a) if tag == "a" else _d_star()(p_data, p_g)
        panels[tag] = {"m": m, "s": s, "p_g": p_g.tolist(), "D": np.asarray(D, dtype=float).tolist(),
                       "z": z.tolist(), "Gz": (m + s * special.ndtri(z)).tolist()}
    return {"x": x.tolist(), "p_data": p_data.tolist(), "panels": panels, "data": (mu, sd), "D_a": (w_a, c_a),
            "eta": float(ETA)}
