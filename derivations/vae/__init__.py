"""Problem 7: the variational auto-encoder (Kingma & Welling 2014).

Data come from p(z) p(x|z); the posterior p(z|x) = p(x|z) p(z) / p(x) needs the evidence
p(x) = integral of p(x|z) p(z) dz, which has no closed form for a neural decoder.  With a
variational model q(z|x) we derive (Eq. 12) log p(x) = KL(q || p(z|x)) + L and (Eq. 13)
L = -KL(q || p(z)) + E_q[log p(x|z)], the score-function (REINFORCE) estimator of
grad_phi E_q[log p(x|z)] and its variance problem, the reparameterization z = mu + sigma * eps,
and, for a diagonal Gaussian q (Eq. 14), the estimator with M noise samples whose KL term is
analytic: -KL = 1/2 sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2).

Verification goes by other routes: exact sums over a discrete latent and Gauss-Hermite
quadrature on a linear-Gaussian model whose posterior is known in closed form (Eqs. 12-13 and
the bound), SymPy Gaussian integrals (gradient identities, estimator variances), Monte Carlo
and scipy quadrature (the KL), and central finite differences (the estimator's gradient).

Rooms:

* ``method.py``: the numeric API (``gaussian_kl``, both exactly computable models, the two
  gradient estimators, the tiny VAE: encoder, decoder backward pass, estimator, backpropagation);
* ``experiment.py``: the seeded runs behind the figures (the variance study, the bound's curve);
* ``derivation.py``: the notation, the exact sums and Gaussian integrals, ``derive``;
* ``checks.py``: ``verify`` and its independent routes;
* ``checks_implementation.py``: part (vii) as implemented (MLPs, Bernoulli likelihood, the
  estimator's gradients) against scipy and central finite differences.

The display wrappers (``InOrder``, ``Scaled``, ...) and the evaluator of printed formulas
come from :mod:`derivations.display`.
"""

from derivations.vae.checks import sum_residual, verify
from derivations.vae.derivation import (
    E_REC,
    ELBO,
    KL_POST,
    KL_PRIOR,
    LOG_PX,
    bernoulli_logit_derivative,
    derive,
    estimator_derivatives,
    estimator_variances,
    evidence_identities,
    gaussian_integrals,
    negative_kl_per_dimension,
    numerically,
)
from derivations.vae.method import (
    discrete_model_terms,
    gaussian_kl,
    linear_gaussian_terms,
    reparameterized_gradient,
    roundoff_bound,
    score_function_gradient,
    vae_estimator,
    vae_estimator_gradients,
)

__all__ = [
    "gaussian_kl",
    "discrete_model_terms",
    "linear_gaussian_terms",
    "score_function_gradient",
    "reparameterized_gradient",
    "vae_estimator",
    "vae_estimator_gradients",
    "derive",
    "verify",
    # used by the tests: the notation and the symbolic steps
    "LOG_PX",
    "ELBO",
    "KL_POST",
    "KL_PRIOR",
    "E_REC",
    "evidence_identities",
    "sum_residual",
    "gaussian_integrals",
    "estimator_variances",
    "negative_kl_per_dimension",
    "estimator_derivatives",
    "bernoulli_logit_derivative",
    "numerically",
    "roundoff_bound",
]
