"""Problem 7 (VAE): symbolic identities, numeric checks by other routes, properties, caught faults."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import integrate, stats

from derivations import vae
from derivations.display import InOrder
from derivations.numerics import central_differences
from derivations.vae import checks, method
from tests.conftest import with_statement as _with


@pytest.fixture(scope="module")
def derivation():
    return vae.derive()


# --------------------------------------------------------------------------- symbolic


def test_negative_kl_from_gaussian_integrals_is_appendix_b():
    neg_kl, _, _, (mu, sigma) = vae.negative_kl_per_dimension(vae.gaussian_integrals())
    paper = sp.Rational(1, 2) * (1 + sp.log(sigma**2) - mu**2 - sigma**2)
    assert sp.simplify(sp.expand_log(neg_kl - paper, force=True)) == 0


def test_eq12_and_eq13_hold_for_symbolic_K():
    ids = vae.evidence_identities()
    assert vae.sum_residual(sp.Eq(vae.LOG_PX, vae.KL_POST + vae.ELBO), ids) == 0
    assert vae.sum_residual(sp.Eq(vae.ELBO, InOrder(-vae.KL_PRIOR, vae.E_REC)), ids) == 0
    # a sign error in the printed identity is not a constant times sum q: caught
    assert vae.sum_residual(sp.Eq(vae.ELBO, InOrder(vae.KL_PRIOR, vae.E_REC)), ids) != 0


def test_score_function_and_reparameterization_are_unbiased_exactly():
    var = vae.estimator_variances(vae.gaussian_integrals())
    for i in range(2):
        assert sp.simplify(var["sf_mean"][i] - var["exact"][i]) == 0
        assert sp.simplify(var["rp_mean"][i] - var["exact"][i]) == 0


def test_reparameterized_variance_of_mu_gradient_is_w4_sigma2_over_s4():
    g = vae.gaussian_integrals()
    var = vae.estimator_variances(g)
    assert sp.simplify(var["rp_var"][0] - g["sigma"] ** 2 * g["w"] ** 4 / g["s"] ** 4) == 0


# --------------------------------------------------------------------------- numeric, other routes


def test_gaussian_kl_matches_quadrature():
    mu, log_var = np.array([0.3, -1.2]), np.array([0.5, -0.7])
    total = 0.0
    for m, lv in zip(mu, log_var):
        q = stats.norm(m, np.exp(0.5 * lv))
        total += integrate.quad(lambda t: q.pdf(t) * (q.logpdf(t) - stats.norm.logpdf(t)), -30, 30)[0]
    assert vae.gaussian_kl(mu, log_var) == pytest.approx(total, rel=1e-9)


def test_gaussian_kl_matches_scipy_entropy_of_a_fine_discretisation():
    # an independent route: KL between histograms of the two densities on a fine grid
    x = np.linspace(-12, 12, 200_001)
    p = stats.norm(0.7, 1.6).pdf(x)
    q = stats.norm.pdf(x)
    assert vae.gaussian_kl([0.7], [2 * np.log(1.6)]) == pytest.approx(stats.entropy(p, q), rel=1e-6)


def test_estimator_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    params = method._init_vae(rng)
    x = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    eps = rng.standard_normal((3, 2))
    grads = vae.vae_estimator_gradients(params, x, eps)
    for k in ("We", "Wlv", "bmu", "Wo"):
        A = params[k]
        idx = (0,) * A.ndim
        old = A[idx]
        A[idx] = old + 1e-6
        fp = vae.vae_estimator(params, x, eps)
        A[idx] = old - 1e-6
        fm = vae.vae_estimator(params, x, eps)
        A[idx] = old
        assert grads[k][idx] == pytest.approx((fp - fm) / 2e-6, rel=1e-6, abs=1e-9)


def test_every_claim_passes(derivation):
    claims = vae.verify(derivation)
    assert all(c.id.startswith("p7.") for c in claims)
    failed = [(c.id, c.error, c.tolerance) for c in claims if not c.passed]
    assert not failed


# --------------------------------------------------------------------------- properties

finite = st.floats(-3, 3, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(arrays(float, st.integers(1, 5), elements=finite), arrays(float, st.integers(1, 5), elements=finite))
def test_gaussian_kl_is_nonnegative_and_zero_only_at_the_prior(mu, log_var):
    n = min(len(mu), len(log_var))
    mu, log_var = mu[:n], log_var[:n]
    kl = vae.gaussian_kl(mu, log_var)
    # each term mu^2 + (expm1(v) - v) is >= 0 up to an ulp of expm1 (|v| <= 3: < 1e-15 for 5 terms);
    # near the prior (|mu|, |v| <= 1e-8) the KL is below 1e-15; 1e-12 bounds both
    assert kl >= -1e-12
    if np.allclose(mu, 0) and np.allclose(log_var, 0):
        assert kl == pytest.approx(0.0, abs=1e-12)
    else:
        assert kl > 0


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3), st.integers(0, 2**31 - 1))
def test_gaussian_kl_sums_over_last_axis_and_broadcasts(batch, J, seed):
    rng = np.random.default_rng(seed)
    mu, lv = rng.normal(size=(batch, J)), rng.normal(size=(batch, J))
    out = vae.gaussian_kl(mu, lv)
    assert out.shape == (batch,)
    assert np.allclose(out, [vae.gaussian_kl(mu[i], lv[i]) for i in range(batch)])
    assert np.allclose(vae.gaussian_kl(mu, lv[0]), [vae.gaussian_kl(mu[i], lv[0]) for i in range(batch)])
    # additive over dimensions
    assert np.allclose(out, sum(vae.gaussian_kl(mu[:, j : j + 1], lv[:, j : j + 1]) for j in range(J)))


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 8), st.integers(0, 2**31 - 1))
def test_discrete_model_identities_and_bound(K, seed):
    rng = np.random.default_rng(seed)
    prior, q = rng.dirichlet(np.ones(K)), rng.dirichlet(np.ones(K))
    lik = rng.uniform(0.01, 1.0, K)
    t = vae.discrete_model_terms(prior, lik, q)
    tol = vae.roundoff_bound(t)  # eps x magnitude of the summed terms x length of the sums
    assert t["log_px"] == pytest.approx(t["kl_post"] + t["elbo"], abs=tol)
    assert t["elbo"] == pytest.approx(-t["kl_prior"] + t["rec"], abs=tol)
    assert t["elbo"] <= t["log_px"] + tol
    at_post = vae.discrete_model_terms(prior, lik, t["posterior"])
    assert at_post["elbo"] == pytest.approx(at_post["log_px"], abs=vae.roundoff_bound(at_post))


def test_gaussian_kl_needs_a_latent_axis():
    with pytest.raises(ValueError, match="last axis"):
        vae.gaussian_kl(0.0, 0.0)


# --------------------------------------------------------------------------- deliberate faults are caught


def _failed(derivation):
    return {c.id for c in vae.verify(derivation) if not c.passed}


def test_a_sign_error_in_the_kl_is_caught(derivation, monkeypatch):
    def wrong_kl(mu, log_var):  # +mu^2 instead of -mu^2
        mu, log_var = np.broadcast_arrays(np.asarray(mu, float), np.asarray(log_var, float))
        return -0.5 * np.sum(1.0 + log_var + mu**2 - np.exp(log_var), axis=-1)

    monkeypatch.setattr(checks, "gaussian_kl", wrong_kl)  # where verify looks it up
    failed = _failed(derivation)
    assert {"p7.kl_quadrature", "p7.kl_monte_carlo", "p7.eq13_numeric"} <= failed


def test_a_dropped_half_in_the_kl_is_caught(derivation, monkeypatch):
    monkeypatch.setattr(checks, "gaussian_kl", lambda mu, lv: 2 * np.asarray(-0.5 * np.sum(
        1.0 + np.asarray(lv) - np.asarray(mu) ** 2 - np.exp(lv), axis=-1)))
    assert "p7.kl_quadrature" in _failed(derivation)


def test_a_wrong_score_is_caught(derivation, monkeypatch):
    real = checks.score_function_gradient

    def wrong(mu, sigma, x, w, s, eps, baseline=0.0):  # forgets the 1/sigma^2 of d log q / d mu
        g_mu, g_sigma = real(mu, sigma, x, w, s, eps, baseline)
        return g_mu * sigma**2, g_sigma

    monkeypatch.setattr(checks, "score_function_gradient", wrong)
    assert "p7.score_estimator" in _failed(derivation)


def test_a_wrong_normalising_constant_of_f_is_caught(derivation, monkeypatch):
    """log N(x; w z, s^2) with 3 pi for 2 pi: the estimator's mean is unchanged and its variance
    moves within the noise, but on the same noise it no longer equals the printed estimator."""
    real = method._f_and_grad

    def wrong(z, x, w, s):
        f, grad = real(z, x, w, s)
        return f - 0.5 * np.log(1.5), grad

    monkeypatch.setattr(method, "_f_and_grad", wrong)  # score_function_gradient calls it
    assert "p7.score_estimator" in _failed(derivation)


def test_a_wrong_reparameterized_gradient_in_the_estimator_is_caught(derivation, monkeypatch):
    real = checks.vae_estimator_gradients

    def wrong(params, x, eps):  # drops the sampling path into log sigma^2
        g = real(params, x, eps)
        g["blv"] = g["blv"] * 0.5
        return g

    monkeypatch.setattr(checks, "vae_estimator_gradients", wrong)
    assert "p7.estimator" in _failed(derivation)


@pytest.mark.parametrize("claim_id, wrong, failing", [
    ("p7.eq12", lambda eqs: (sp.Eq(vae.LOG_PX, vae.KL_POST - vae.ELBO), eqs["p7.eq12"][1]), {"p7.eq12"}),
    # the numeric twins evaluate the printed Eq. 12 and Eq. 13 themselves
    ("p7.eq13", lambda eqs: sp.Eq(vae.ELBO, InOrder(vae.KL_PRIOR, vae.E_REC)), {"p7.eq13", "p7.eq13_numeric"}),
    ("p7.eq12", lambda eqs: (sp.Eq(vae.LOG_PX, vae.KL_POST + 2 * vae.ELBO), eqs["p7.eq12"][1]), {"p7.eq12_numeric"}),
    ("p7.bound", lambda eqs: sp.Le(vae.LOG_PX, vae.ELBO), {"p7.bound"}),
    ("p7.variance_sf", lambda eqs: tuple(sp.Eq(e.lhs, e.rhs * sp.Symbol("M", positive=True) ** 2)
                                         for e in eqs["p7.variance_sf"]), {"p7.variance_sf"}),
    # -KL is printed once (p7.neg_kl): quadrature, Monte Carlo and the estimator all evaluate it
    ("p7.neg_kl", lambda eqs: sp.Eq(eqs["p7.neg_kl"].lhs, 2 * eqs["p7.neg_kl"].rhs),
     {"p7.neg_kl", "p7.kl_quadrature", "p7.kl_monte_carlo", "p7.estimator", "p7.estimator_unbiased"}),
    # the estimator with +KL instead of -KL
    ("p7.estimator", lambda eqs: (sp.Eq(eqs["p7.estimator"][0].lhs, eqs["p7.estimator"][0].rhs.xreplace(
        {vae.KL_PRIOR: -vae.KL_PRIOR})), eqs["p7.estimator"][1]), {"p7.estimator", "p7.estimator_unbiased"}),
])
def test_a_fault_in_a_printed_statement_is_caught(derivation, claim_id, wrong, failing):
    assert failing <= _failed(_with(derivation, claim_id, wrong(derivation.equations)))


def test_numeric_twins_print_a_reference_not_the_formula_again(derivation):
    """Issue 14: a formula is displayed once; its numeric re-checks print a reference to it."""
    eqs = derivation.equations
    for twin, of in (("p7.eq12_numeric", "p7.eq12"), ("p7.eq13_numeric", "p7.eq13"),
                     ("p7.kl_quadrature", "p7.neg_kl"), ("p7.kl_monte_carlo", "p7.neg_kl")):
        assert eqs[twin] == vae.numerically(of)
    assert vae.KL_PRIOR in eqs["p7.estimator"][0].rhs.free_symbols  # -KL by name, not its sum again


def test_printed_formulas_evaluate_to_the_code():
    from derivations.display import Scaled, evaluate

    m, i, t = sp.Symbol("m"), sp.Symbol("i"), sp.Symbol("t_i")
    assert evaluate(Scaled(1, m, sp.Sum(t, (i, 1, m))), {m: 4}, samples={t: np.array([1.0, 2, 3, 6])}) == 3.0


def test_the_old_claim_that_the_reparameterized_variance_vanishes_is_caught(derivation):
    """As sigma -> 0 only the mu-component's variance vanishes; stating 0 for the sigma-component
    (the report's former sentence) fails the claim, and so does dropping the square."""
    from tests.conftest import with_statement

    from derivations.vae import verify

    mu_part, sigma_part = derivation.equations["p7.rp_variance_limit"]
    for wrong in (sp.Eq(sigma_part.lhs, 0, evaluate=False), sp.Eq(sigma_part.lhs, sp.sqrt(sigma_part.rhs), evaluate=False)):
        changed = with_statement(derivation, "p7.rp_variance_limit", (mu_part, wrong))
        claim = next(c for c in verify(changed) if c.id == "p7.rp_variance_limit")
        assert not claim.passed


def test_a_wrong_baseline_variance_is_caught(derivation):
    """p7.variance_baseline: the printed variances with b = E_q f are re-measured by Monte Carlo; the
    variances without the baseline (a plausible slip) fail the claim."""
    from tests.conftest import with_statement

    from derivations.vae import verify

    without = tuple(sp.Eq(new.lhs, old.rhs, evaluate=False) for new, old in
                    zip(derivation.equations["p7.variance_baseline"], derivation.equations["p7.variance_sf"]))
    claim = next(c for c in verify(with_statement(derivation, "p7.variance_baseline", without))
                 if c.id == "p7.variance_baseline")
    assert not claim.passed


# --------------------------------------------------------------------------- part (vii) as implemented


def test_bernoulli_logit_derivative_is_x_minus_sigmoid():
    derived, (x, a, y) = vae.bernoulli_logit_derivative()
    assert sp.simplify(derived - (x - y)) == 0


def test_estimator_derivatives_are_the_printed_gradients(derivation):
    """SymPy's derivatives of the printed estimator, with M = 2 written out, are -mu + mean g and
    (1 - sigma^2)/2 + sigma/2 mean(g eps)."""
    nt = derivation.context["notation"]
    (d_mu, d_lv), (mu, v, g, eps, m) = vae.estimator_derivatives(derivation.equations["p7.estimator"][0], nt)
    at2 = lambda e: sp.expand(e.subs(nt["M"], 2).doit())  # noqa: E731
    assert at2(d_mu - (-mu + (g[1] + g[2]) / 2)) == 0
    sigma = sp.exp(v / 2)
    assert at2(d_lv - ((1 - sigma**2) / 2 + sigma / 2 * (g[1] * eps[1] + g[2] * eps[2]) / 2)) == 0


def test_decoder_backward_matches_finite_differences_in_z():
    rng = np.random.default_rng(3)
    params = method._init_vae(rng)
    x = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    z = rng.standard_normal((2, 2))
    out = method.decoder_backward(params, x, z)
    for m in range(2):  # sample m's log-likelihood depends on row m of z only
        (fd,) = central_differences(lambda: method.decoder_backward(params, x, z)["log_lik"][m], [z])
        assert out["d_z"][m] == pytest.approx(fd[m], rel=1e-6, abs=1e-9)


def _impl(derivation):
    return derivation.context["implemented"]


def _grad_wrong(derivation, which):
    """p7.grad_mu_logvar with one plausible slip in the printed log-variance (or mean) gradient."""
    from derivations.display import Paren, Product, Scaled

    n, M = _impl(derivation), derivation.context["notation"]["M"]
    m = n["m"]
    grad_mu, grad_lv = derivation.equations["p7.grad_mu_logvar"]
    s, g, e = n["sigma_j"], n["g_jm"], n["eps_jm"]
    kl = Scaled(1, 2, Paren(InOrder(1, -s**2)))
    rec = Scaled(s, 2, Scaled(1, M, sp.Sum(Product(g, e), (m, 1, M))))
    rhs = {
        "dropped half": InOrder(Paren(InOrder(1, -s**2)), rec),
        "sigma for sigma/2": InOrder(kl, Scaled(s, 1, Scaled(1, M, sp.Sum(Product(g, e), (m, 1, M))))),
        "missing eps": InOrder(kl, Scaled(s, 2, Scaled(1, M, sp.Sum(g, (m, 1, M))))),
    }
    if which == "plus mu":
        return (sp.Eq(grad_mu.lhs, InOrder(n["mu_j"], Scaled(1, M, sp.Sum(g, (m, 1, M)))), evaluate=False), grad_lv)
    return (grad_mu, sp.Eq(grad_lv.lhs, rhs[which], evaluate=False))


@pytest.mark.parametrize("which", ["dropped half", "sigma for sigma/2", "missing eps", "plus mu"])
def test_a_wrong_printed_estimator_gradient_is_caught(derivation, which):
    changed = _with(derivation, "p7.grad_mu_logvar", _grad_wrong(derivation, which))
    assert "p7.grad_mu_logvar" in _failed(changed)


def _implemented_faults(derivation):
    from derivations.display import AsWritten, Elementwise, MatInOrder, Scaled

    n, eqs = _impl(derivation), derivation.equations
    M, m = derivation.context["notation"]["M"], n["m"]
    enc, dec, bern = eqs["p7.encoder"], eqs["p7.decoder"], eqs["p7.bernoulli"]
    return [
        ("p7.encoder", (*enc[:2], AsWritten(n["log_var"], MatInOrder(sp.MatMul(n["W_mu"], n["h_e"]), n["b_lv"])), enc[3])),
        ("p7.encoder", (*enc[:3], sp.Eq(n["sigma_j"], sp.exp(n["log_var_j"]), evaluate=False))),  # variance for sd
        ("p7.decoder", (dec[0], AsWritten(n["a"], sp.MatMul(n["W_o"], n["h_d"])))),  # dropped bias
        ("p7.decoder", (AsWritten(n["h_d"], MatInOrder(sp.MatMul(n["W_d"], n["z"]), n["b_d"])), dec[1])),  # no tanh
        ("p7.bernoulli", (bern[0], sp.Eq(n["y_i"], 1 / (1 + sp.exp(n["a_i"])), evaluate=False))),  # sign of the logit
        ("p7.bernoulli", (sp.Eq(bern[0].lhs, sp.Sum(n["x_i"] * sp.log(n["y_i"]) + sp.log(1 - n["y_i"]), (n["i"], 1, n["D"])),
                                evaluate=False), bern[1])),  # dropped (1 - x_i)
        # 1 - e^-a for 1 + e^-a: y outside (0, 1), logs of negative numbers (NaN must fail, not vanish)
        ("p7.bernoulli", (bern[0], sp.Eq(n["y_i"], 1 / (1 - sp.exp(-n["a_i"])), evaluate=False))),
        ("p7.bernoulli_grad", sp.Eq(eqs["p7.bernoulli_grad"].lhs, InOrder(n["y_i"], -n["x_i"]), evaluate=False)),
        ("p7.bernoulli_grad", sp.Eq(eqs["p7.bernoulli_grad"].lhs, n["x_i"] - n["y_i"] ** 2, evaluate=False)),
        ("p7.grad_theta", sp.Eq(eqs["p7.grad_theta"].lhs, sp.Sum(n["grad_theta_term"], (m, 1, M)), evaluate=False)),  # no 1/M
        ("p7.grad_theta", sp.Eq(eqs["p7.grad_theta"].lhs, Scaled(1, 2 * M, sp.Sum(n["grad_theta_term"], (m, 1, M))),
                                evaluate=False)),
    ]


@pytest.mark.parametrize("k", range(11))
def test_a_wrong_printed_implementation_formula_is_caught(derivation, k):
    from derivations.vae.checks_implementation import verify_implementation

    claim_id, wrong = _implemented_faults(derivation)[k]
    changed = _with(derivation, claim_id, wrong)
    with np.errstate(invalid="ignore", divide="ignore"):  # the NaN fault's logs of negative numbers
        claims = verify_implementation(changed.equations, changed.context["notation"], _impl(changed))
    assert not next(c for c in claims if c.id == claim_id).passed


def test_a_wrong_decoder_backward_pass_is_caught(derivation, monkeypatch):
    """g^(m) from a backward pass that forgets tanh' (1 - h^2): the printed gradient no longer
    matches the estimator's finite differences."""
    from derivations.vae import checks_implementation

    def wrong(params, x, z):
        out = method.decoder_backward(params, x, z)
        hd = np.tanh(z @ params["Wd"].T + params["bd"])
        d_ad = (x - 1 / (1 + np.exp(-(hd @ params["Wo"].T + params["bo"])))) @ params["Wo"]
        return {**out, "d_z": d_ad @ params["Wd"]}

    monkeypatch.setattr(checks_implementation, "decoder_backward", wrong)
    claims = checks_implementation.verify_implementation(derivation.equations, derivation.context["notation"], _impl(derivation))
    assert not next(c for c in claims if c.id == "p7.grad_mu_logvar").passed
