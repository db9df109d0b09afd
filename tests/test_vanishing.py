"""Problem 3 (derivations.vanishing): exact Jacobian formulas, the singular-value bound, the
eigenvalue counterexample, clipping, and wrong formulas caught."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations import rnn, vanishing
from derivations.display import Gap, Scaled
from derivations.ledger import Derivation
from derivations.rnn import method as rnn_method
from derivations.seqnotation import Jac, Norm2
from derivations.tex import tex
from derivations.vanishing import checks as vanishing_checks
from derivations.vanishing.checks import (
    _check_clipping, _check_norm_bound, _jacobian_fd_error, _symbolic_jacobian_checks, clipping_cases,
    evaluate_piecewise,
)
from derivations.vanishing.derivation import CLIPPED, GHAT, GNORM, THETA, clipping_rule


@pytest.fixture(scope="module")
def derivation():
    return vanishing.derive()


@pytest.fixture(scope="module")
def claims(derivation):
    return {c.id: c for c in vanishing.verify(derivation)}


# --------------------------------------------------------------------------- exact (symbolic)


def test_jacobian_formulas_equal_sympy_jacobian_exactly(derivation):
    res = _symbolic_jacobian_checks(derivation.equations, **vanishing.SYMBOLIC_RUN)
    for cid in ("p3.step_jacobian", "p3.jacobian_product"):
        assert all(e == 0 for e in res[cid]), cid


def test_statements_print_with_the_singular_value(derivation):
    s = tex(derivation.equations["p3.norm_bound"])
    assert r"\sigma_{\max}(\mathbf{U})" in s and r"\leq" in s and "^{t - k}" in s
    assert r"\prod_{j=k + 1}^{t}" in tex(derivation.equations["p3.jacobian_product"])


# --------------------------------------------------------------------------- the claims


def test_every_claim_passes(claims):
    assert [cid for cid, c in claims.items() if not c.passed] == []
    assert set(claims) == {"p3.step_jacobian", "p3.jacobian_product", "p3.delta_unrolled", "p3.gradU_terms",
                           "p3.norm_bound", "p3.jacobian_fd", "p3.eigen_counterexample", "p3.clipping"}


def test_counterexample_has_spectral_radius_below_one_but_grows(derivation):
    c = derivation.context["counter"]
    assert c["rho"] < 1 < c["sigma_max"]
    assert c["norms"][c["n_star"]] > 100 > 1 > c["rho"] ** c["n_star"]
    # the eigenvalue "bound" fails, the singular-value bound holds at every distance
    n = np.arange(c["norms"].size)
    assert np.any(c["norms"] > c["rho"] ** n)
    assert np.all(c["norms"] <= c["sigma_max"] ** n * (1 + 1e-12))


def test_experiment_covers_sigma_below_at_and_above_one(derivation):
    sigmas = [r["sigma_max"] for r in derivation.context["runs"]]
    assert min(sigmas) < 1 and any(abs(s - 1) < 1e-12 for s in sigmas) and max(sigmas) > 1


# --------------------------------------------------------------------------- properties (Hypothesis)


@settings(max_examples=30, deadline=None)
@given(H=st.integers(1, 6), steps=st.integers(1, 25), scale=st.floats(0.1, 3.0), seed=st.integers(0, 2**31 - 1))
def test_measured_norms_never_exceed_the_bound(H, steps, scale, seed):
    rng = np.random.default_rng(seed)
    params, X, _ = rnn.random_problem(rng, D=2, H=H, K=2, steps=steps, scale=scale)
    sigma = np.linalg.svd(params["U"], compute_uv=False)[0]
    norms = vanishing.jacobian_norms(params, X)
    assert np.all(norms <= sigma ** np.arange(steps + 1) * (1 + 1e-10) + 1e-300)


@settings(max_examples=30, deadline=None)
@given(g=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=8), threshold=st.floats(1e-3, 1e3))
def test_clipping_caps_the_norm_and_keeps_the_direction(g, threshold):
    g = np.array(g)
    clipped = vanishing.clip_gradient(g, threshold)
    norm = np.linalg.norm(g)
    assert np.linalg.norm(clipped) == pytest.approx(min(norm, threshold), rel=1e-12, abs=1e-300)
    if norm > 0:
        assert np.dot(clipped, g) >= 0 and np.allclose(clipped * norm, g * np.linalg.norm(clipped), rtol=1e-9)


# --------------------------------------------------------------------------- wrong formulas are caught


def test_dropping_the_tanh_slope_fails_the_symbolic_claims(derivation):
    j, U = vanishing.j, vanishing.U
    wrong = dict(derivation.equations)
    wrong["p3.step_jacobian"] = sp.Eq(Jac(j, j - 1), U, evaluate=False)
    wrong["p3.jacobian_product"] = sp.Eq(Jac(vanishing.t, vanishing.k), sp.Product(U, (j, vanishing.k + 1, vanishing.t)),
                                         evaluate=False)
    claims = {c.id: c for c in vanishing.verify(Derivation(3, wrong, derivation.context, derivation.figures))}
    assert not claims["p3.step_jacobian"].passed and not claims["p3.jacobian_product"].passed


def test_a_wrong_step_jacobian_in_the_code_fails_the_difference_check(monkeypatch, derivation):
    def transposed(params, X):  # U^T instead of U: a dropped/extra transpose
        h = rnn.forward(params, X)["h"]
        return (1.0 - h[1:] ** 2)[:, :, None] * np.asarray(params["U"]).T[None, :, :]

    monkeypatch.setattr(rnn_method, "step_jacobians", transposed)  # where rnn.hidden_jacobians looks it up
    assert _jacobian_fd_error(derivation.context["runs"]) > 1e-3


def test_a_bound_with_the_eigenvalue_would_fail(derivation):
    c = derivation.context["counter"]
    run = {"params": dict(c["params"]), "X": [c["X"]], "norms": c["norms"][None, :]}
    assert _check_norm_bound(derivation.equations["p3.norm_bound"], [run]) <= 1e-12  # singular value: holds
    eig = c["rho"] ** np.arange(c["norms"].size)
    assert np.max(c["norms"] / eig - 1) > 1e3  # eigenvalue: violated by orders of magnitude


def test_a_tighter_printed_bound_fails_the_norm_check(derivation):
    """The statement itself is evaluated: one more factor gamma sigma makes it false at distance 0."""
    wrong = sp.Le(Norm2(Jac(vanishing.t, vanishing.k)),
                  sp.Pow(vanishing.GAMMA * vanishing.SIGMA, Gap(vanishing.t, vanishing.k) + 1), evaluate=False)
    assert _check_norm_bound(wrong, derivation.context["runs"]) > 1e-3


# --------------------------------------------------------------------------- gradient clipping (p3.clipping)


def test_clipping_prints_as_the_template_did(derivation):
    s = tex(derivation.equations["p3.clipping"])
    assert r"\frac{\theta}{\lVert\hat{\mathbf{g}}\rVert} \hat{\mathbf{g}}" in s
    assert r"\lVert\hat{\mathbf{g}}\rVert \geq \theta" in s and r"\text{otherwise}" in s


def test_clipping_cases_cover_below_at_and_above():
    counts = _check_clipping(clipping_rule(), clipping_cases())[2]
    assert min(counts.values()) >= 50


def _clipping_claim(equations, derivation):
    wrong = dict(derivation.equations, **equations)
    claims = {c.id: c for c in vanishing.verify(Derivation(3, wrong, derivation.context, derivation.figures))}
    return claims["p3.clipping"]


def _printed(scaled, condition):
    return sp.Eq(CLIPPED, sp.Piecewise((scaled, condition), (GHAT, True)), evaluate=False)


@pytest.mark.parametrize("statement", [
    _printed(THETA * GNORM * GHAT, sp.Ge(GNORM, THETA)),  # theta ||g|| for theta / ||g||
    _printed(Scaled(GNORM, THETA, GHAT), sp.Ge(GNORM, THETA)),  # the fraction upside down
    _printed(Scaled(THETA, GNORM, GHAT), sp.Le(GNORM, THETA)),  # the comparison flipped
    _printed(Scaled(THETA, GNORM, GHAT), sp.Lt(GNORM, THETA)),
    _printed(Scaled(-THETA, GNORM, GHAT), sp.Ge(GNORM, THETA)),  # the direction reversed
], ids=["theta*norm", "norm/theta", "le", "lt", "minus"])
def test_a_wrong_printed_rule_fails_the_claim(statement):
    error, detail, _ = _check_clipping(statement, clipping_cases())
    assert error > 1e-3, detail


def test_a_wrong_printed_rule_fails_through_verify(derivation):
    assert not _clipping_claim({"p3.clipping": _printed(THETA * GNORM * GHAT, sp.Ge(GNORM, THETA))}, derivation).passed


def _times(g, threshold):
    norm = float(np.linalg.norm(g))
    return g * (threshold * norm) if norm >= threshold else g


def _flipped(g, threshold):
    norm = float(np.linalg.norm(g))
    return g * (threshold / norm) if norm <= threshold else g


def _divided(g, threshold):
    norm = float(np.linalg.norm(g))
    return g / (threshold / norm) if norm >= threshold else g


@pytest.mark.parametrize("wrong", [_times, _flipped, _divided], ids=["threshold*norm", "flipped", "divided"])
def test_a_wrong_clip_gradient_fails_the_claim(monkeypatch, derivation, wrong):
    monkeypatch.setattr(vanishing_checks, "clip_gradient", wrong)  # where _check_clipping looks it up
    claim = _clipping_claim({}, derivation)
    assert not claim.passed and "clip_gradient" in claim.detail


def test_the_printed_rule_and_clip_gradient_agree_bit_for_bit_on_exact_cases():
    """On the Pythagorean cases (small integers times powers of two) every operation is exact."""
    rule = clipping_rule()
    for g, theta in clipping_cases()[vanishing.CLIP_RUN["random"]:]:
        printed = evaluate_piecewise(rule.rhs, {GHAT: g, THETA: theta, GNORM: float(np.linalg.norm(g))})
        assert np.array_equal(printed, vanishing.clip_gradient(g, theta))


# --------------------------------------------------------------------------- what the text prints


def test_a_wrong_number_quoted_from_the_runs_fails_the_bound_claim(derivation):
    """The text quotes the geometric mean and the bound across all tau steps (decay_rows): a number
    off by 1% makes p3.norm_bound fail."""
    for key in ("measured", "bound"):
        rows = [dict(r) for r in derivation.context["decay_rows"]]
        rows[-1][key] *= 1.01
        assert _check_norm_bound(derivation.equations["p3.norm_bound"], derivation.context["runs"], rows) > 1e-3


def test_figures_are_legible_at_printed_size(derivation, tmp_path):
    """Each figure renders at its printed size through the shared style (which refuses small text)."""
    from figures import style

    for spec in derivation.figures:
        assert style.render_figure(spec, tmp_path).stat().st_size > 0
