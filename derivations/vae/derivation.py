"""Problem 7's derivation: Eqs. 12-13 as exact sums, the Gaussian integrals behind the two gradient
estimators and the analytic KL, and the statements the report prints (``derive``).

Every term of Eqs. 12 and 13 is written as an exact sum over a latent with K values (K symbolic);
the score-function and reparameterized estimators of grad E_q f are integrated exactly for a 1-D
Gaussian q and f(z) = log N(x; w z, s^2) (their means and variances); -KL(q || N(0, I)) comes from
the same Gaussian moment integrals (the paper's Appendix B).  The seeded runs behind the figures
are in :mod:`derivations.vae.experiment`, the checks in :mod:`derivations.vae.checks`.
"""

from __future__ import annotations

import sympy as sp

from derivations.display import AsWritten, Elementwise, InOrder, MatInOrder, Paren, Product, Scaled, plain, reference_to
from derivations.ledger import Derivation, Figure
from derivations.tex import mat, tex, vec
from derivations.vae.experiment import VARIANCE_SETTING, bound_curve, variance_study
from derivations.vae.quotes import QUOTES

__all__ = [
    "LOG_PX",
    "ELBO",
    "KL_POST",
    "KL_PRIOR",
    "E_DEF",
    "E_REC",
    "evidence_identities",
    "gaussian_integrals",
    "estimator_variances",
    "negative_kl_per_dimension",
    "implementation_statements",
    "estimator_derivatives",
    "bernoulli_logit_derivative",
    "numerically",
    "derive",
]

# Notation of the assignment, as LaTeX-named symbols (printed verbatim by derivations.tex).
_q = r"q_{\boldsymbol{\phi}}(\mathbf{z}|\mathbf{x})"
LOG_PX = sp.Symbol(r"\log p_{\boldsymbol{\theta}}(\mathbf{x})")
ELBO = sp.Symbol(r"\mathcal{L}(\boldsymbol{\theta},\boldsymbol{\phi};\mathbf{x})")
KL_POST = sp.Symbol(r"\KL\bigl(%s\,\|\,p_{\boldsymbol{\theta}}(\mathbf{z}|\mathbf{x})\bigr)" % _q)
KL_PRIOR = sp.Symbol(r"\KL\bigl(%s\,\|\,p_{\boldsymbol{\theta}}(\mathbf{z})\bigr)" % _q)
E_DEF = sp.Symbol(r"\E_{%s}\bigl[-\log %s + \log p_{\boldsymbol{\theta}}(\mathbf{x},\mathbf{z})\bigr]" % (_q, _q))
E_REC = sp.Symbol(r"\E_{%s}\bigl[\log p_{\boldsymbol{\theta}}(\mathbf{x}|\mathbf{z})\bigr]" % _q)

VARIANCE_DIGITS, RATIO_DIGITS = 4, 3  # significant digits of the printed variances and their ratio


numerically = reference_to  # a numeric re-check shows as a reference to the formula it evaluates


# --------------------------------------------------------------------------- derivation


def evidence_identities():
    """Every term of Eqs. 12 and 13 for a latent with K values (K symbolic), as exact sums.

    Returns the notation symbols the report prints (log p(x), L, the two KLs, the reconstruction
    term) mapped to sums over k, and the index k and the IndexedBase q (q_k = q(z = k | x)) that
    :func:`sum_residual` needs to collapse a printed identity with sum_k q_k = 1.
    """
    K = sp.Symbol("K", integer=True, positive=True)
    k, i = sp.symbols("k i", integer=True, positive=True)
    q = sp.IndexedBase("q", positive=True)  # q(z = k | x)
    prior = sp.IndexedBase(r"\pi", positive=True)  # p(z = k)
    lik = sp.IndexedBase(r"\ell", positive=True)  # p(x | z = k)
    evidence = sp.Sum(prior[i] * lik[i], (i, 1, K))
    posterior = prior[k] * lik[k] / evidence
    elbo = sp.Sum(q[k] * (-sp.log(q[k]) + sp.log(prior[k] * lik[k])), (k, 1, K))  # the definition E_DEF
    terms = {
        LOG_PX: sp.log(evidence),
        KL_POST: sp.Sum(q[k] * (sp.log(q[k]) - sp.log(posterior)), (k, 1, K)),
        ELBO: elbo,
        E_DEF: elbo,
        KL_PRIOR: sp.Sum(q[k] * (sp.log(q[k]) - sp.log(prior[k])), (k, 1, K)),
        E_REC: sp.Sum(q[k] * sp.log(lik[k]), (k, 1, K)),
    }
    return {"terms": terms, "k": k, "q": q, "evidence": evidence}


def _gaussian_expectation(moments, z):
    """E over N(mu, sigma^2) of a polynomial in z, from the Gaussian moment integrals."""

    def expect(expr):
        poly = sp.Poly(sp.expand(expr), z)
        return sp.expand(sum(c * moments[m[0]] for m, c in zip(poly.monoms(), poly.coeffs())))

    return expect


def gaussian_integrals():
    """SymPy objects for the 1-D Gaussian q = N(mu, sigma^2) and f(z) = log N(x; w z, s^2)."""
    z, x, w, mu = sp.symbols("z x w mu", real=True)
    s, sigma = sp.symbols("s sigma", positive=True)
    eps = sp.Symbol("epsilon", real=True)
    q = sp.exp(-((z - mu) ** 2) / (2 * sigma**2)) / sp.sqrt(2 * sp.pi * sigma**2)
    # E[z^n] for z = mu + sigma eps: the standard normal integrals E[eps^k], then the binomial sum.
    phi = sp.exp(-(eps**2) / 2) / sp.sqrt(2 * sp.pi)
    # (conds="none": the integrands converge absolutely, so SymPy need not derive convergence conditions)
    std = [sp.integrate(phi * eps**n, (eps, -sp.oo, sp.oo), conds="none") for n in range(9)]
    moments = [
        sp.expand(sum(sp.binomial(n, k) * mu ** (n - k) * sigma**k * std[k] for k in range(n + 1))) for n in range(9)
    ]
    f = -((x - w * z) ** 2) / (2 * s**2) - sp.log(2 * sp.pi * s**2) / 2
    return dict(z=z, x=x, w=w, mu=mu, s=s, sigma=sigma, eps=eps, q=q, moments=moments, f=f)


def estimator_variances(g):
    """Exact per-sample means and variances of both estimators of grad_(mu, sigma) E_q f."""
    z, mu, sigma, f, q = g["z"], g["mu"], g["sigma"], g["f"], g["q"]
    E = _gaussian_expectation(g["moments"], z)
    Ef = E(f)
    exact = [sp.diff(Ef, mu), sp.diff(Ef, sigma)]
    # Score function: f(z) d/dphi log q(z); multiply by sigma^3 to keep a polynomial in z.
    score = [sp.expand(sp.diff(sp.log(q), mu) * sigma**2), sp.expand(sp.diff(sp.log(q), sigma) * sigma**3)]
    scale = [sigma**2, sigma**3]
    sf_mean = [E(f * sc) / a for sc, a in zip(score, scale)]
    # The variances are needed at the study's setting only: substitute before the 8th moments.
    at = {g[k]: sp.nsimplify(v) for k, v in VARIANCE_SETTING.items()}
    E_at = _gaussian_expectation([mo.subs(at) for mo in g["moments"]], z)
    sf_var = [
        sp.expand(E_at(sp.expand((f * sc).subs(at) ** 2)) / a.subs(at) ** 2 - e.subs(at) ** 2)
        for sc, a, e in zip(score, scale, exact)
    ]
    # With the baseline b = E_q f subtracted from f (a control variate: the score has mean zero, so the
    # mean is unchanged), at the study's setting.
    Ef_at = sp.expand(Ef.subs(at))
    sf_base_var = [
        sp.expand(E_at(sp.expand(((f.subs(at) - Ef_at) * sc.subs(at)) ** 2)) / a.subs(at) ** 2 - e.subs(at) ** 2)
        for sc, a, e in zip(score, scale, exact)
    ]
    # Reparameterized: z = mu + sigma*eps, d/dphi f(z) = f'(z) dz/dphi with dz/dmu = 1, dz/dsigma = eps.
    fz = sp.diff(f, z)
    rp = [fz, sp.expand(fz * (z - mu))]  # f'(z) and sigma * f'(z) eps
    rp_scale = [1, sigma]
    rp_mean = [E(r) / a for r, a in zip(rp, rp_scale)]
    rp_var = [sp.factor(E(r**2) / a**2 - e**2) for r, a, e in zip(rp, rp_scale, exact)]
    return dict(exact=exact, Ef=Ef, sf_mean=sf_mean, sf_var=sf_var, rp_mean=rp_mean, rp_var=rp_var,
                baseline=Ef_at, sf_base_var=sf_base_var)


def negative_kl_per_dimension(g):
    """-KL(N(mu, sigma^2) || N(0, 1)) from the Gaussian integrals (the paper's Appendix B)."""
    z, mu, sigma, q = g["z"], g["mu"], g["sigma"], g["q"]
    E = _gaussian_expectation(g["moments"], z)
    log_prior = sp.expand(-sp.log(2 * sp.pi) / 2 - z**2 / 2)
    log_q = sp.expand(sp.expand_log(sp.log(q), force=True))
    cross = E(log_prior)  # integral q log p(z)
    neg_entropy = E(log_q)  # integral q log q
    # both are expanded polynomials in mu, sigma and log sigma: expand collects their difference exactly
    return sp.expand(cross - neg_entropy), cross, neg_entropy, (mu, sigma)


def implementation_statements(M):
    """Part (vii) as implemented: the encoder and decoder MLPs of the tiny VAE, the Bernoulli
    likelihood and its logit gradient, and the estimator's gradients (statements and notation)."""
    # sizes of x, of the hidden layers, of z (d_z: J is the loss elsewhere in the report)
    D, H, J = sp.symbols("d_{x} H d_{z}", integer=True, positive=True)
    i, m = sp.symbols("i m", integer=True, positive=True)
    x, z = vec("x", D), vec("z", J)
    h_e, h_d, a = vec("h", H, sub="e"), vec("h", H, sub="d"), vec("a", D)
    mu, log_var = vec(r"\mu", J), sp.MatrixSymbol(r"\log\boldsymbol{\sigma}^{2}", J, 1)
    W_e, b_e = mat("W", H, D, sub="e"), vec("b", H, sub="e")
    W_mu, b_mu = mat("W", J, H, sub=r"\mu"), vec("b", J, sub=r"\mu")
    W_lv, b_lv = mat("W", J, H, sub=r"\log\sigma^{2}"), vec("b", J, sub=r"\log\sigma^{2}")
    W_d, b_d = mat("W", H, J, sub="d"), vec("b", H, sub="d")
    W_o, b_o = mat("W", D, H, sub="o"), vec("b", D, sub="o")
    sigma_j, log_var_j, mu_j = sp.Symbol(r"\sigma_{j}"), sp.Symbol(r"\log\sigma_{j}^{2}"), sp.Symbol(r"\mu_{j}")
    encoder = (
        AsWritten(h_e, Elementwise(r"\tanh", MatInOrder(sp.MatMul(W_e, x), b_e))),
        AsWritten(mu, MatInOrder(sp.MatMul(W_mu, h_e), b_mu)),
        AsWritten(log_var, MatInOrder(sp.MatMul(W_lv, h_e), b_lv)),
        sp.Eq(sigma_j, sp.exp(Scaled(1, 2, log_var_j)), evaluate=False),
    )
    decoder = (
        AsWritten(h_d, Elementwise(r"\tanh", MatInOrder(sp.MatMul(W_d, z), b_d))),
        AsWritten(a, MatInOrder(sp.MatMul(W_o, h_d), b_o)),
    )
    x_i, y_i, a_i = sp.Symbol("x_{i}"), sp.Symbol("y_{i}"), sp.Symbol("a_{i}")
    log_lik = sp.Symbol(r"\log p_{\boldsymbol{\theta}}(\mathbf{x}|\mathbf{z})")
    bernoulli = (
        sp.Eq(log_lik, sp.Sum(InOrder(Product(x_i, sp.log(y_i)), Product(Paren(InOrder(1, -x_i)), sp.log(InOrder(1, -y_i)))),
                              (i, 1, D)), evaluate=False),
        sp.Eq(y_i, 1 / (1 + sp.exp(-a_i)), evaluate=False),
    )
    d_logit = sp.Symbol(r"\frac{\partial\log p_{\boldsymbol{\theta}}(\mathbf{x}|\mathbf{z})}{\partial a_{i}}")
    bernoulli_grad = sp.Eq(d_logit, InOrder(x_i, -y_i), evaluate=False)
    # The estimator's gradients per latent dimension j; g^(m) = grad_z log p(x|z) at z^(m).
    g_jm, eps_jm = sp.Symbol(r"g_{j}^{(m)}"), sp.Symbol(r"\epsilon_{j}^{(m)}")
    Lt = r"\widetilde{\mathcal{L}}"
    grad_mu = sp.Eq(sp.Symbol(r"\frac{\partial%s}{\partial\mu_{j}}" % Lt),
                    InOrder(-mu_j, Scaled(1, M, sp.Sum(g_jm, (m, 1, M)))), evaluate=False)
    grad_lv = sp.Eq(sp.Symbol(r"\frac{\partial%s}{\partial\log\sigma_{j}^{2}}" % Lt),
                    InOrder(Scaled(1, 2, Paren(InOrder(1, -sigma_j**2))),
                            Scaled(sigma_j, 2, Scaled(1, M, sp.Sum(Product(g_jm, eps_jm), (m, 1, M))))), evaluate=False)
    grad_theta_term = sp.Symbol(r"\nabla_{\boldsymbol{\theta}}\log p_{\boldsymbol{\theta}}(\mathbf{x}|\mathbf{z}^{(m)})")
    grad_theta = sp.Eq(sp.Symbol(r"\nabla_{\boldsymbol{\theta}}%s" % Lt),
                       Scaled(1, M, sp.Sum(grad_theta_term, (m, 1, M))), evaluate=False)
    statements = {
        "p7.encoder": encoder,
        "p7.decoder": decoder,
        "p7.bernoulli": bernoulli,
        "p7.bernoulli_grad": bernoulli_grad,
        "p7.grad_mu_logvar": (grad_mu, grad_lv),
        "p7.grad_theta": grad_theta,
    }
    notation = {"D": D, "H": H, "J": J, "i": i, "m": m, "x": x, "z": z, "h_e": h_e, "h_d": h_d, "a": a, "mu": mu,
                "log_var": log_var, "W_e": W_e, "b_e": b_e, "W_mu": W_mu, "b_mu": b_mu, "W_lv": W_lv, "b_lv": b_lv,
                "W_d": W_d, "b_d": b_d, "W_o": W_o, "b_o": b_o, "sigma_j": sigma_j, "log_var_j": log_var_j,
                "mu_j": mu_j, "x_i": x_i, "y_i": y_i, "a_i": a_i, "g_jm": g_jm, "eps_jm": eps_jm,
                "grad_theta_term": grad_theta_term}
    return statements, notation


def estimator_derivatives(estimator, nt):
    """d/d mu_j and d/d log sigma_j^2 of the printed estimator (its first equation), by SymPy.

    Dimension j of the KL sum is kept (the others do not depend on mu_j, sigma_j); the
    reconstruction term log p(x|z^(m)) becomes F(mu + e^(v/2) eps^(m)), F an undefined function of
    z_j (the other coordinates held), v = log sigma_j^2.  Returns the two derivatives with F' at
    z^(m) written g[m], and the symbols (mu, v, g, eps, m) they are in.
    """
    j, m = nt["j"], nt["m"]
    mu, v = sp.symbols("mu v", real=True)
    g, eps = sp.IndexedBase("g"), sp.IndexedBase("epsilon")
    F = sp.Function("F")
    L = plain(estimator.rhs).xreplace({KL_PRIOR: -plain(nt["kl_sum"])})  # the -KL term as printed in p7.neg_kl
    L = L.replace(lambda e: isinstance(e, sp.Sum) and e.limits[0][0] == j, lambda e: e.function)
    L = L.xreplace({nt["rec_term"]: F(mu + sp.exp(v / 2) * eps[m])}).subs({nt["mu_j"][j]: mu, nt["sigma_j"][j]: sp.exp(v / 2)})

    def named(d):  # F' at z^(m) (a Subs of a Derivative, or a Derivative) written g[m]
        for kind in (sp.Subs, sp.Derivative):
            d = d.xreplace({e: g[m] for e in d.atoms(kind) if e.has(F)})
        return d

    derivs = [named(sp.diff(L, s)) for s in (mu, v)]
    return derivs, (mu, v, g, eps, m)


def bernoulli_logit_derivative():
    """d/da of x log y + (1 - x) log(1 - y), y = 1/(1 + e^-a), by SymPy, and its symbols (x, a)."""
    x, a = sp.symbols("x a", real=True)
    y = 1 / (1 + sp.exp(-a))
    return sp.simplify(sp.diff(x * sp.log(y) + (1 - x) * sp.log(1 - y), a)), (x, a, y)


def derive() -> Derivation:
    ids = evidence_identities()
    g = gaussian_integrals()
    var = estimator_variances(g)
    neg_kl, cross, neg_entropy, (mu, sigma) = negative_kl_per_dimension(g)

    # The two integrals in the paper's grouping; verify ties each display to SymPy's integral.
    cross_display = InOrder(Scaled(-1, 2, sp.log(2 * sp.pi)), Scaled(-1, 2, Paren(InOrder(mu**2, sigma**2))))
    neg_entropy_display = InOrder(Scaled(-1, 2, sp.log(2 * sp.pi)), Scaled(-1, 2, Paren(InOrder(1, sp.log(sigma**2)))))

    # Statements, in the assignment's notation.
    # d_z latent dimensions (J is the loss elsewhere in the report), M samples z^(m) (the paper's L)
    J = sp.Symbol("d_{z}", integer=True, positive=True)
    M = sp.Symbol("M", integer=True, positive=True)
    Lsym, l = M, sp.Symbol("m", integer=True, positive=True)
    j, m = sp.symbols("j m", integer=True, positive=True)
    muj, sigj = sp.IndexedBase(r"\mu"), sp.IndexedBase(r"\sigma")
    kl_sum = Scaled(1, 2, sp.Sum(Paren(InOrder(1, sp.log(sigj[j] ** 2), -muj[j] ** 2, -sigj[j] ** 2)), (j, 1, J)))
    zm = sp.Symbol(r"\mathbf{z}^{(m)}")
    rec_term = sp.Symbol(r"\log p_{\boldsymbol{\theta}}(\mathbf{x}|\mathbf{z}^{(m)})")
    rec_mc = Scaled(1, M, sp.Sum(rec_term, (m, 1, M)))
    L_tilde = sp.Symbol(r"\widetilde{\mathcal{L}}(\boldsymbol{\theta},\boldsymbol{\phi};\mathbf{x})")
    grad_Ef = sp.Symbol(r"\nabla_{\boldsymbol{\phi}}\E_{%s}\bigl[f(\mathbf{z})\bigr]" % _q)
    sf_rhs = sp.Symbol(r"\E_{%s}\bigl[f(\mathbf{z})\,\nabla_{\boldsymbol{\phi}}\log %s\bigr]" % (_q, _q))
    g_sf = sp.Symbol(r"\hat{\mathbf{g}}_{\mathrm{SF}}")
    g_rp = sp.Symbol(r"\hat{\mathbf{g}}_{\mathrm{RP}}")
    sf_term = sp.Symbol(r"\log p_{\boldsymbol{\theta}}(\mathbf{x}|\mathbf{z}^{(m)})\,\nabla_{\boldsymbol{\phi}}"
                        r"\log q_{\boldsymbol{\phi}}(\mathbf{z}^{(m)}|\mathbf{x})")
    sf_est = Scaled(1, Lsym, sp.Sum(sf_term, (l, 1, Lsym)))
    rp_rhs = sp.Symbol(
        r"\E_{\boldsymbol{\epsilon}\sim\mathcal{N}(\mathbf{0},\mathbf{I})}\bigl[\nabla_{\boldsymbol{\phi}}"
        r"f(\boldsymbol{\mu}+\boldsymbol{\sigma}\odot\boldsymbol{\epsilon})\bigr]"
    )
    E_gsf = sp.Symbol(r"\E\bigl[\hat{\mathbf{g}}_{\mathrm{SF}}\bigr]")
    E_grp = sp.Symbol(r"\E\bigl[\hat{\mathbf{g}}_{\mathrm{RP}}\bigr]")
    grad_rec = sp.Symbol(r"\nabla_{\boldsymbol{\phi}}\E_{%s}\bigl[\log p_{\boldsymbol{\theta}}(\mathbf{x}|\mathbf{z})\bigr]" % _q)
    eps_m = sp.Symbol(r"\boldsymbol{\mu}+\boldsymbol{\sigma}\odot\boldsymbol{\epsilon}^{(m)}")

    setting = {g[k]: sp.nsimplify(v) for k, v in VARIANCE_SETTING.items()}
    var_num = {
        name: [float(sp.N(e.subs(setting))) for e in var[name]] for name in ("exact", "sf_var", "rp_var", "sf_base_var")
    }
    var_num["baseline"] = float(var["baseline"])
    vsb = [sp.Symbol(r"\operatorname{Var}\bigl[\hat{g}_{\mathrm{SF}-b,%s}\bigr]" % c) for c in (r"\mu", r"\sigma")]
    vsf = [sp.Symbol(r"\operatorname{Var}\bigl[\hat{g}_{\mathrm{SF},%s}\bigr]" % c) for c in (r"\mu", r"\sigma")]
    vrp = [sp.Symbol(r"\operatorname{Var}\bigl[\hat{g}_{\mathrm{RP},%s}\bigr]" % c) for c in (r"\mu", r"\sigma")]
    sym_l = sp.Symbol("M", positive=True)  # the number of samples, as a divisor
    # Samples the score-function estimator needs for the variance of one reparameterized sample.
    # r_mu, r_sigma: Var[g_SF] / Var[g_RP] per component (the text defines them)
    ratio = [sp.Symbol(r"r_{%s}" % c) for c in (r"\mu", r"\sigma")]

    # Part (vi): what the reparameterized estimator's variance tends to as sigma -> 0.  Its
    # mu-component f'(mu + sigma eps) stops fluctuating; its sigma-component eps f'(mu + sigma eps)
    # keeps the noise as a factor, so its variance tends to f'(mu)^2, not to 0.
    lim_rp = [sp.limit(v, sigma, 0) for v in var["rp_var"]]
    fprime_mu = sp.Symbol(r"f'(\mu)")
    slope_at_mu = sp.diff(g["f"], g["z"]).subs(g["z"], mu)
    vlim = [sp.Symbol(r"\lim_{\sigma\to0}\operatorname{Var}\bigl[\hat{g}_{\mathrm{RP},%s}\bigr]" % c)
            for c in (r"\mu", r"\sigma")]
    # printed as f'(mu)^2 where the limit is exactly that square, else as the limit itself
    named = [fprime_mu**2 if sp.expand(lim - slope_at_mu**2) == 0 else sp.factor(lim) for lim in lim_rp]
    limit_statement = tuple(sp.Eq(v, value, evaluate=False) for v, value in zip(vlim, named))

    equations = {
        "p7.rp_variance_limit": limit_statement,
        "p7.eq12": (sp.Eq(LOG_PX, KL_POST + ELBO), sp.Eq(ELBO, E_DEF)),
        "p7.eq12_numeric": numerically("p7.eq12"),
        "p7.bound": sp.Le(ELBO, LOG_PX),
        "p7.eq13": sp.Eq(ELBO, InOrder(-KL_PRIOR, E_REC)),
        "p7.eq13_numeric": numerically("p7.eq13"),
        "p7.score_identity": sp.Eq(grad_Ef, sf_rhs),
        "p7.score_estimator": (sp.Eq(g_sf, sf_est), sp.Eq(E_gsf, grad_rec)),
        "p7.variance_sf": tuple(sp.Eq(v, sp.Float(c, VARIANCE_DIGITS) / sym_l) for v, c in zip(vsf, var_num["sf_var"])),
        "p7.variance_baseline": tuple(sp.Eq(v, sp.Float(c, VARIANCE_DIGITS) / sym_l)
                                      for v, c in zip(vsb, var_num["sf_base_var"])),
        "p7.variance_rp": tuple(sp.Eq(v, sp.Float(c, VARIANCE_DIGITS) / sym_l) for v, c in zip(vrp, var_num["rp_var"])),
        "p7.variance_ratio": tuple(sp.Eq(r, sp.Float(a / b, RATIO_DIGITS)) for r, a, b in zip(ratio, var_num["sf_var"], var_num["rp_var"])),
        "p7.reparam_identity": sp.Eq(grad_Ef, rp_rhs),
        "p7.reparam_unbiased": sp.Eq(E_grp, grad_rec),
        "p7.neg_kl": sp.Eq(-KL_PRIOR, kl_sum),
        "p7.kl_quadrature": numerically("p7.neg_kl"),
        "p7.kl_monte_carlo": numerically("p7.neg_kl"),
        "p7.estimator": (sp.Eq(L_tilde, InOrder(-KL_PRIOR, rec_mc)), sp.Eq(zm, eps_m)),
        "p7.estimator_unbiased": sp.Eq(sp.Symbol(r"\E_{\boldsymbol{\epsilon}}\bigl[\widetilde{\mathcal{L}}\bigr]"), ELBO),
    }
    # (vii) as implemented: the MLPs, the Bernoulli likelihood and the gradients of the estimator.
    implemented, impl_nt = implementation_statements(M)
    equations.update(implemented)

    # The variance study and the bound's picture come from seeded runs.
    study = variance_study(var_num)
    bound = bound_curve()
    figures = (
        Figure("p07_bound_variance", "figures.vae:bound_and_variance", {"bound": bound, "study": study},
               width=6.2, height=2.1, ncols=3),
    )
    context = {
        "symbolic": {"ids": ids, "var": var, "g": g, "neg_kl": neg_kl, "cross": cross, "neg_entropy": neg_entropy,
                     "mu": mu, "sigma": sigma},
        "setting": VARIANCE_SETTING,
        "var_num": var_num,
        "study": study,
        "bound": bound,
        "notation": {"J": J, "M": M, "L": Lsym, "var_L": sym_l, "mu_j": muj, "sigma_j": sigj,
                     "sf_term": sf_term, "rec_term": rec_term, "j": j, "m": m, "kl_sum": kl_sum},
        "implemented": impl_nt,
        "cross_display": cross_display,
        "neg_entropy_display": neg_entropy_display,
        "cross_tex": tex(cross_display),
        "rp_limit": {"fprime_mu": fprime_mu, "slope_at_mu": slope_at_mu},
        "neg_entropy_tex": tex(neg_entropy_display),
    }
    return Derivation(problem=7, equations=equations, context=context, figures=figures, quotes=QUOTES)
