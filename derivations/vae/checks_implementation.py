"""Problem 7, part (vii) as a student implements it: checks of the printed encoder and decoder MLPs,
the Bernoulli likelihood and its logit gradient, and the M-sample estimator's gradients.

Routes: the printed MLPs evaluated on the tiny VAE's weights against the implementation (within
derived round-off bounds); the printed log-likelihood against scipy.stats.bernoulli; the printed
gradients against central finite differences (of scipy's log-pmf in the logits, of the estimator in
its encoder outputs mu and log sigma^2, of the estimator in the decoder's weights), and SymPy's
derivatives of the printed estimator.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import special, stats

from derivations.display import evaluate, plain
from derivations.ledger import numeric_claim, relative_error
from derivations.numerics import central_differences  # step 1e-6: truncation ~1e-12, rounding ~1e-9 relative
from derivations.vae.derivation import bernoulli_logit_derivative, estimator_derivatives
from derivations.vae.method import (
    VAE_SIZES,
    _init_vae,
    decoder_backward,
    estimator_from_encoder,
    vae_encoder,
    vae_estimator,
    vae_forward,
)

__all__ = ["check_implementation", "verify_implementation"]

# the printed weight symbols (notation keys) and the tiny VAE's parameters they name
_WEIGHTS = {"W_e": "We", "b_e": "be", "W_mu": "Wmu", "b_mu": "bmu", "W_lv": "Wlv", "b_lv": "blv",
            "W_d": "Wd", "b_d": "bd", "W_o": "Wo", "b_o": "bo"}

# Part (vii) as implemented: the tiny VAEs the printed MLPs, likelihood and gradients are evaluated on.
IMPL_SEED, IMPL_NETWORKS, IMPL_SAMPLES = 10, 3, 4
FD_TOL = 1e-6  # float64 central differences: 1e-6 relative, as p7.estimator; a wrong factor is off by > 1e-2


def _affine_roundoff(W, v, b, dv):
    """Absolute round-off bound of W v + b in float64 when v carries the absolute error dv:
    (n + 1) eps (|W| |v| + |b|) for the n products and sums (recursive summation), plus |W| dv."""
    eps = np.finfo(float).eps
    return (W.shape[1] + 1) * eps * (np.abs(W) @ np.abs(v) + np.abs(b)) + np.abs(W) @ dv


def _against_bound(pairs):
    """The worst |printed - reference| in units of its own round-off bound (two routes, each within
    its bound: the bound of the difference is twice one route's), over (printed, reference, bound)."""
    ratios = np.concatenate([np.abs(np.ravel(p) - np.ravel(r)) / (2 * np.ravel(b)) for p, r, b in pairs])
    # a NaN (a printed log of a negative number) would vanish from a running max: it is an infinite error
    return float(np.max(ratios)) if np.isfinite(ratios).all() else np.inf


def check_implementation(eqs, nt, nt_impl, seed=IMPL_SEED, networks=IMPL_NETWORKS, M=IMPL_SAMPLES):
    """Errors of part (vii)'s implemented formulas on tiny VAEs (seeded): the printed MLPs against
    the implementation and the printed Bernoulli likelihood against scipy, in units of their round-off
    bounds; the printed gradients against central finite differences, relative.  Returns
    ({claim id: error}, {claim id: symbolic residual})."""
    eps_ = np.finfo(float).eps
    n = nt_impl
    enc, dec, bern = eqs["p7.encoder"], eqs["p7.decoder"], eqs["p7.bernoulli"]
    grad_mu, grad_lv = eqs["p7.grad_mu_logvar"]
    rng = np.random.default_rng(seed)
    worst = {"p7.encoder": 0.0, "p7.decoder": 0.0, "p7.bernoulli": 0.0, "p7.bernoulli_grad": 0.0,
             "p7.grad_mu_logvar": 0.0, "p7.grad_theta": 0.0}

    def col(v):  # a vector as the printed column
        return np.asarray(v, dtype=float)[:, None]

    for _ in range(networks):
        P = _init_vae(rng)
        x = (rng.uniform(size=VAE_SIZES[0]) < 0.5).astype(float)
        e = rng.standard_normal((M, VAE_SIZES[2]))
        fw = vae_forward(P, x, e)
        h, mu, lv = vae_encoder(P, x)

        # The encoder as printed, against the implementation; sigma against sqrt(exp(log sigma^2)),
        # and the samples mu + sigma eps with the printed sigma against vae_forward's.
        # every weight in every evaluation, so that a printed formula with the wrong weight evaluates (and fails)
        env = {n[k].name: (P[w] if P[w].ndim == 2 else col(P[w])) for k, w in _WEIGHTS.items()} | {n["x"].name: col(x)}
        h_p = evaluate(enc[0].rhs, env)
        dh = _affine_roundoff(P["We"], col(x), col(P["be"]), np.zeros((len(x), 1))) + eps_  # tanh' <= 1, its rounding
        mu_p = evaluate(enc[1].rhs, env | {n["h_e"].name: h_p})
        lv_p = evaluate(enc[2].rhs, env | {n["h_e"].name: h_p})
        d_mu = _affine_roundoff(P["Wmu"], col(h), col(P["bmu"]), dh)
        d_lv = _affine_roundoff(P["Wlv"], col(h), col(P["blv"]), dh)
        sd = np.asarray(evaluate(enc[3].rhs, {n["log_var_j"]: np.ravel(lv_p)}), dtype=float)
        sd_ref = np.sqrt(np.exp(lv))
        # half the log-variance's error (two routes: 2 d_lv) and a few eps for exp, sqrt and the halving
        d_sd = sd_ref * (np.ravel(d_lv) + 4 * eps_)
        z_p = mu + sd * e
        d_z = np.abs(e) * d_sd + 2 * eps_ * (np.abs(mu) + sd_ref * np.abs(e))
        worst["p7.encoder"] = max(worst["p7.encoder"], _against_bound(
            [(h_p, h, dh), (mu_p, mu, d_mu), (lv_p, lv, d_lv), (sd, sd_ref, d_sd), (z_p, fw["z"], d_z)]))

        # The decoder as printed, per sample, against vae_forward's logits.
        pairs = []
        for zm, logits in zip(fw["z"], fw["logits"]):
            hd = evaluate(dec[0].rhs, env | {n["z"].name: col(zm)})
            a_p = evaluate(dec[1].rhs, env | {n["z"].name: col(zm), n["h_d"].name: hd})
            d_hd = _affine_roundoff(P["Wd"], col(zm), col(P["bd"]), np.zeros((len(zm), 1))) + eps_
            pairs.append((a_p, logits, _affine_roundoff(P["Wo"], np.abs(hd), col(P["bo"]), d_hd)))
        worst["p7.decoder"] = max(worst["p7.decoder"], _against_bound(pairs))

        # The Bernoulli log-likelihood as printed, against scipy's logpmf and the implementation's
        # stable form; its logit gradient against central differences of scipy's.
        dec_bw = decoder_backward(P, x, fw["z"])
        pairs, fd_err = [], 0.0
        for logits, impl_ll in zip(fw["logits"], dec_bw["log_lik"]):
            y = np.asarray(evaluate(bern[1].rhs, {n["a_i"]: logits}), dtype=float)
            ll = float(evaluate(bern[0].rhs, {n["D"]: len(x)}, samples={n["x_i"]: x, n["y_i"]: y}))
            terms = stats.bernoulli.logpmf(x, special.expit(logits))
            # y to ~4 eps relative, so log y and log(1 - y) to a few eps (1 + 1/min(y, 1 - y)); eps |term|
            # for each log's own rounding, and D eps sum |term| for the sum
            bound = float(np.sum(8 * eps_ * (1 + 1 / np.minimum(y, 1 - y)) + eps_ * np.abs(terms))
                          + len(x) * eps_ * np.sum(np.abs(terms)))
            pairs += [(ll, terms.sum(), bound), (ll, impl_ll, bound)]
            grad_p = np.asarray(evaluate(eqs["p7.bernoulli_grad"].rhs, {n["x_i"]: x, n["y_i"]: special.expit(logits)}),
                                dtype=float)
            a = logits.copy()
            fd = central_differences(lambda: float(stats.bernoulli.logpmf(x, special.expit(a)).sum()), [a])[0]
            fd_err = max(fd_err, relative_error(grad_p, fd))
        worst["p7.bernoulli"] = max(worst["p7.bernoulli"], _against_bound(pairs))
        worst["p7.bernoulli_grad"] = max(worst["p7.bernoulli_grad"], fd_err)

        # dL~/dmu and dL~/dlog sigma^2 as printed, g^(m) from the decoder's backward pass, against
        # central differences of the estimator run from the encoder outputs themselves.
        values = {nt["M"]: M, n["mu_j"]: mu, n["sigma_j"]: np.exp(0.5 * lv)}
        samples = {n["g_jm"]: dec_bw["d_z"].T, n["eps_jm"]: e.T}
        printed = np.concatenate([np.ravel(evaluate(st.rhs, values, samples=samples)) for st in (grad_mu, grad_lv)])
        mu_v, lv_v = mu.copy(), lv.copy()
        fd = np.concatenate([central_differences(lambda: estimator_from_encoder(P, x, mu_v, lv_v, e), [A])[0]
                             for A in (mu_v, lv_v)])
        worst["p7.grad_mu_logvar"] = max(worst["p7.grad_mu_logvar"], relative_error(printed, fd))

        # grad_theta as printed, per-sample decoder gradients from the backward pass, against central
        # differences of the whole estimator in the decoder's weights.
        keys = ("Wd", "bd", "Wo", "bo")
        per_sample = np.concatenate([dec_bw["theta"][k].reshape(M, -1) for k in keys], axis=1)
        printed = np.ravel(evaluate(eqs["p7.grad_theta"].rhs, {nt["M"]: M}, samples={n["grad_theta_term"]: per_sample.T}))
        fd = np.concatenate([central_differences(lambda: vae_estimator(P, x, e), [P[k]])[0].ravel() for k in keys])
        worst["p7.grad_theta"] = max(worst["p7.grad_theta"], relative_error(printed, fd))

    # The symbolic routes: d/da of the Bernoulli term, and the printed gradients as derivatives of the
    # printed estimator (with M = 3 the sums are written out).
    derived, (xs, _, ys) = bernoulli_logit_derivative()
    resid_bern = sp.simplify(derived - plain(eqs["p7.bernoulli_grad"].rhs).xreplace({n["x_i"]: xs, n["y_i"]: ys}))
    derivs, (mu_s, v, g, E, m) = estimator_derivatives(eqs["p7.estimator"][0], nt)
    to_derivation = {n["mu_j"]: mu_s, n["sigma_j"]: sp.exp(v / 2), n["g_jm"]: g[m], n["eps_jm"]: E[m]}
    resid_grad = [sp.simplify(sp.expand((d - plain(st.rhs).xreplace(to_derivation)).subs(nt["M"], 3).doit()))
                  for d, st in zip(derivs, (grad_mu, grad_lv))]
    return worst, {"p7.bernoulli_grad": resid_bern, "p7.grad_mu_logvar": resid_grad}


def verify_implementation(eqs, nt, nt_impl):
    """The claims of part (vii) as implemented (``nt``: the notation of the estimator, ``nt_impl``: of
    the implemented statements)."""
    claims = []
    impl, resid = check_implementation(eqs, nt, nt_impl)
    rep = f"check_implementation(seed={IMPL_SEED}): {IMPL_NETWORKS} tiny VAEs, x in {{0,1}}^5, d_z = 2, M = {IMPL_SAMPLES}"
    for cid, what in (("p7.encoder", "printed encoder, sigma and samples vs the code"),
                      ("p7.decoder", "printed decoder vs the code's logits at every z^(m)"),
                      ("p7.bernoulli", "printed log-likelihood vs SciPy and the code")):
        # error in units of each value's own round-off bound (eps x operation count x magnitudes,
        # twice for two routes)
        claims.append(numeric_claim(cid, eqs[cid], impl[cid], 1.0, method=what + " (round-off units)",
                                    reproduce=rep))
    ok = sp.simplify(resid["p7.bernoulli_grad"]) == 0
    claims.append(numeric_claim("p7.bernoulli_grad", eqs["p7.bernoulli_grad"], impl["p7.bernoulli_grad"] if ok else np.inf,
                                FD_TOL, method="central differences of SciPy's log-pmf; SymPy's derivative",
                                reproduce=rep, detail="" if ok else f"SymPy's d/da minus the printed: {resid['p7.bernoulli_grad']}"))
    ok = all(r == 0 for r in resid["p7.grad_mu_logvar"])
    claims.append(numeric_claim("p7.grad_mu_logvar", eqs["p7.grad_mu_logvar"], impl["p7.grad_mu_logvar"] if ok else np.inf,
                                FD_TOL, method="central differences in mu, log sigma^2; SymPy's derivatives",
                                reproduce=rep, detail="" if ok else f"SymPy's derivatives minus the printed: {resid['p7.grad_mu_logvar']}"))
    claims.append(numeric_claim("p7.grad_theta", eqs["p7.grad_theta"], impl["p7.grad_theta"], FD_TOL,
                                method="central differences in the decoder's weights", reproduce=rep))
    return claims
