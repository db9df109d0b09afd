"""Problem 8 (GAN): symbolic results, numeric checks by other routes, properties, caught faults."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon

from derivations import gan
from derivations.display import InOrder, Paren, Product
from derivations.gan import checks, experiment, method
from tests.conftest import with_statement as _with


@pytest.fixture(scope="module")
def derivation():
    return gan.derive()


# --------------------------------------------------------------------------- symbolic


def test_pointwise_maximum_is_a_over_a_plus_b_and_concave():
    pm = gan.pointwise_maximum()
    a, b = pm["a"], pm["b"]
    assert sp.simplify(pm["y_star"] - a / (a + b)) == 0
    assert sp.simplify(pm["f2_at_star"] + (a + b) ** 3 / (a * b)) == 0
    assert pm["concave_everywhere"]
    assert pm["ends"] == (-sp.oo, -sp.oo)


def test_criterion_minus_twice_jsd_is_minus_log_4_for_symbolic_K():
    ct = gan.criterion_terms()
    theorem = sp.Eq(gan.C_G, InOrder(-gan.LOG4, 2 * gan.JSD))
    residual, summand = gan.criterion_residual(theorem, ct)
    assert residual == 0
    # a wrong constant in the printed theorem leaves a non-zero residual
    assert gan.criterion_residual(sp.Eq(gan.C_G, InOrder(gan.LOG4, 2 * gan.JSD)), ct)[0] != 0


def test_saturating_gradient_vanishes_and_non_saturating_does_not():
    s = gan.saturation()
    assert s["sat_limit"] == 0 and s["nonsat_limit"] == 1
    assert sp.simplify(s["sat"] + s["D"]) == 0


# --------------------------------------------------------------------------- numeric, other routes


def test_optimal_discriminator_beats_a_grid_search():
    p_data, p_g = np.array([0.1, 0.6, 0.3]), np.array([0.5, 0.2, 0.3])
    grid = np.linspace(1e-4, 1 - 1e-4, 20001)
    best = [grid[np.argmax(a * np.log(grid) + b * np.log(1 - grid))] for a, b in zip(p_data, p_g)]
    assert np.allclose(gan.optimal_discriminator(p_data, p_g), best, atol=1e-4)


def test_criterion_matches_scipy_jensen_shannon():
    # abs 1e-12: both sides sum 6 terms of size < 1 (with scipy's normalisation, square root and our
    # square), rounding to < 20 eps x 4 ~ 2e-14 (the claim p8.criterion_discrete argues the same)
    rng = np.random.default_rng(3)
    for _ in range(20):
        p, q = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))
        assert gan.virtual_training_criterion(p, q) == pytest.approx(-np.log(4) + 2 * jensenshannon(p, q) ** 2, abs=1e-12)


def test_zero_log_zero_is_zero():
    # disjoint supports: D* is 1 on the data and 0 on p_g; C = 0, the maximum (JSD = log 2)
    # exact: p/(p + q) is 1 or 0 here, log 1 = 0 and xlogy(0, 0) = 0
    assert gan.virtual_training_criterion([0.5, 0.5, 0, 0], [0, 0, 0.25, 0.75]) == 0.0
    assert gan.jensen_shannon([1.0, 0.0], [0.0, 1.0]) == pytest.approx(np.log(2))
    assert gan.optimal_discriminator([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]).tolist() == [1.0, 0.0, 0.5]


def test_gan_gradients_match_finite_differences():
    cfg = gan.GanConfig()
    rng = np.random.default_rng(9)
    P = gan.init_gan(rng, cfg)
    x, z = rng.normal(2.0, 0.5, 5), rng.standard_normal(4)
    for loss in ("saturating", "non-saturating"):
        gd, gg = gan.gan_gradients(P, x, z, loss)
        nd = checks._fd(lambda: gan.gan_losses(P, x, z, loss)[0], P, gan.D_KEYS)
        ng = checks._fd(lambda: gan.gan_losses(P, x, z, loss)[1], P, gan.G_KEYS)
        for k in gan.D_KEYS:
            assert np.allclose(gd[k], nd[k], rtol=1e-6, atol=1e-9)
        for k in gan.G_KEYS:
            assert np.allclose(gg[k], ng[k], rtol=1e-6, atol=1e-9)


def test_training_is_seeded_and_ends_near_the_data(derivation):
    last = derivation.context["run"]["snapshots"][-1]
    assert last["g_mean"] == pytest.approx(2.0, abs=0.1)
    assert last["g_std"] == pytest.approx(0.5, abs=0.1)
    assert 0.4 < last["D_core"][0] <= last["D_core"][1] < 0.6
    short = gan.GanConfig(iterations=50, snapshots=(49,))
    a, b = gan.train_gan(short), gan.train_gan(short)
    assert a["snapshots"][-1]["D"] == b["snapshots"][-1]["D"]  # exact: the same computation on the same inputs


def _numbers(run):
    """A run's parameters and every number of its snapshots, as one flat array (keys in order)."""
    out = [run["params"][k].ravel() for k in gan.D_KEYS + gan.G_KEYS]

    def walk(v):
        if isinstance(v, dict):
            for k in sorted(v):
                walk(v[k])
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)
        else:
            out.append(np.atleast_1d(np.asarray(v, dtype=float)))

    walk(run["snapshots"])
    return np.concatenate(out)


def _rounding_tolerance(cfg, monkeypatch):
    """How far two float routes of the same training may drift apart, from the run's own sensitivity.

    Each step's gradients are sums over 2m points, so two routes (a stack of runs and one run may take
    different BLAS kernel paths) differ by at most ~2m eps relative per step.  We measure the run's
    response to one such change, its initial weights scaled by (1 + 2m eps); T steps of rounding are
    T such changes, each amplified no more than one made at the start (times 10 for cancellation in
    the sums).  A row mixed with another run or a wrong noise stream moves the numbers by ~lr per step.
    """
    delta = 2 * cfg.m * np.finfo(float).eps
    init = gan.init_gan

    def nudged(rng, c):
        P = init(rng, c)
        P["theta_d"] *= 1 + delta
        P["theta_g"] *= 1 + delta
        return P

    base = _numbers(gan.train_gan(cfg))
    with monkeypatch.context() as m:
        m.setattr(experiment, "init_gan", nudged)  # where _train_runs looks it up
        response = float(np.max(np.abs(_numbers(gan.train_gan(cfg)) - base)))
    return 10 * max(cfg.iterations, 1) * max(response, delta * float(np.max(np.abs(base))))


def test_runs_side_by_side_equal_runs_alone(monkeypatch):
    # The seed study trains its runs stacked; each must be the run train_gan makes alone, to rounding
    # (the two routes need not round alike: see _rounding_tolerance).
    cfgs = [gan.GanConfig(seed=seed, iterations=60, snapshots=snaps) for seed, snaps in ((0, (0, 59)), (3, (59,)))]
    together = experiment._train_runs(cfgs)
    for cfg, run in zip(cfgs, together):
        alone = gan.train_gan(cfg)
        assert [s["iteration"] for s in run["snapshots"]] == [s["iteration"] for s in alone["snapshots"]]
        tol = _rounding_tolerance(cfg, monkeypatch)
        assert tol < 1e-4 * cfg.lr_g  # far below a real mistake (~lr per step)
        assert np.max(np.abs(_numbers(run) - _numbers(alone))) <= tol
    with pytest.raises(ValueError, match="differ only in seed"):
        experiment._train_runs([gan.GanConfig(), gan.GanConfig(m=64)])


def test_one_step_by_hand_matches_the_batched_step(monkeypatch):
    # Algorithm 1's first iteration written with the single-run gradients and the printed Adam rule;
    # to rounding (the by-hand route works on copies, the batched one on views: see _rounding_tolerance)
    cfg = gan.GanConfig(iterations=1, snapshots=())
    rng = np.random.default_rng(cfg.seed)
    P = gan.init_gan(rng, cfg)
    z, x = rng.standard_normal(cfg.m), rng.normal(cfg.data_mean, cfg.data_std, cfg.m)
    gd = np.concatenate([v for v in gan.discriminator_gradients(P, x, z).values()])
    method._Adam(P["theta_d"].size, cfg.lr_d).step(P["theta_d"], gd, ascend=True)
    gg = np.concatenate([v for v in gan.generator_gradients(P, rng.standard_normal(cfg.m)).values()])
    method._Adam(P["theta_g"].size, cfg.lr_g).step(P["theta_g"], gg, ascend=False)
    params = gan.train_gan(cfg)["params"]
    tol = _rounding_tolerance(cfg, monkeypatch)
    assert tol < 1e-4 * cfg.lr_g
    for k in gan.D_KEYS + gan.G_KEYS:
        assert np.max(np.abs(params[k] - P[k])) <= tol


def test_plain_normal_density_matches_scipy():
    from scipy import stats

    pdf = checks._normal_pdf(-1.0, 0.5)
    for x in (-7.0, -1.3, -1.0, 0.2, 4.0):
        # exp(-t^2/2) inherits the rounding of its argument, ~t^2 u, plus a few u per route
        t = (x + 1.0) / 0.5
        assert pdf(x) == pytest.approx(stats.norm(-1.0, 0.5).pdf(x), rel=(t * t + 4) * np.finfo(float).eps)


def test_every_claim_passes(derivation):
    failed = [(c.id, c.error, c.tolerance) for c in gan.verify(derivation) if not c.passed]
    assert not failed


# --------------------------------------------------------------------------- properties


def _pair(seed, n, zeros):
    rng = np.random.default_rng(seed)
    return checks._random_pair(rng, n, zeros=zeros)


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 12), st.booleans())
def test_criterion_is_at_least_minus_log_4_symmetric_and_tight_at_equality(seed, n, zeros):
    p, q = _pair(seed, n, zeros)
    c = gan.virtual_training_criterion(p, q)
    # slack 1e-12: C is a sum of n <= 12 terms x log(x / (p + q)) of total size < 4, rounding to
    # < (n + 4) eps x 4 ~ 1.4e-14 (the same bound serves every comparison of this test and the next)
    assert c >= -np.log(4) - 1e-12
    assert c <= 1e-12  # JSD <= log 2
    assert c == pytest.approx(gan.virtual_training_criterion(q, p), abs=1e-12)
    assert gan.virtual_training_criterion(p, p) == pytest.approx(-np.log(4), abs=1e-12)


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 12))
def test_optimal_discriminator_beats_any_other(seed, n):
    p, q = _pair(seed, n, zeros=False)
    other = np.random.default_rng(seed + 1).uniform(0.001, 0.999, n)
    d_star = gan.optimal_discriminator(p, q)
    assert gan.value_function(d_star, p, q) >= gan.value_function(other, p, q) - 1e-12
    assert gan.value_function(d_star, p, q) == pytest.approx(gan.virtual_training_criterion(p, q), abs=1e-12)


@pytest.mark.parametrize(
    "p_data, p_g, message",
    [
        ([0.5, 0.6], [0.5, 0.5], "p_data sums to"),
        ([0.5, 0.5], [1.5, -0.5], "p_g has negative entries"),
        ([0.5, 0.5], [0.2, 0.3, 0.5], "same shape"),
        ([np.nan, 1.0], [0.5, 0.5], "non-finite"),
    ],
)
def test_bad_input_names_the_problem(p_data, p_g, message):
    for func in (gan.optimal_discriminator, gan.virtual_training_criterion):
        with pytest.raises(ValueError, match=message):
            func(p_data, p_g)


# --------------------------------------------------------------------------- deliberate faults are caught


def _failed(derivation):
    return {c.id for c in gan.verify(derivation) if not c.passed}


@pytest.mark.parametrize(
    "wrong",
    [
        lambda a, b: np.asarray(b) / (np.asarray(a) + np.asarray(b)),  # b / (a + b)
        lambda a, b: np.asarray(a) / (np.asarray(a) + 2 * np.asarray(b)),  # a / (a + 2b)
        lambda a, b: np.full(np.shape(a), 0.5),  # always 1/2
    ],
)
def test_a_wrong_optimal_discriminator_is_caught(derivation, monkeypatch, wrong):
    monkeypatch.setattr(checks, "optimal_discriminator", wrong)  # where the check looks it up
    assert "p8.optimal_discriminator" in _failed(derivation)


def test_a_wrong_criterion_is_caught(derivation, monkeypatch):
    real = gan.virtual_training_criterion
    monkeypatch.setattr(checks, "virtual_training_criterion", lambda p, q: real(p, q) + np.log(2))  # -log 2, not -log 4
    assert {"p8.criterion_discrete", "p8.global_minimum"} <= _failed(derivation)


def test_a_wrong_generator_gradient_is_caught(derivation, monkeypatch):
    real = gan.generator_gradients

    def wrong(P, z, loss="saturating"):  # sign slip in the saturating branch
        g = real(P, z, "non-saturating" if loss == "saturating" else loss)
        return g

    monkeypatch.setattr(method, "generator_gradients", wrong)  # gan_gradients calls it
    assert "p8.gan_gradients" in _failed(derivation)


@pytest.mark.parametrize("claim_id, wrong", [
    ("p8.concavity", lambda eqs: sp.Eq(eqs["p8.concavity"].lhs, -eqs["p8.concavity"].rhs.args[0])),
    ("p8.optimal_discriminator", lambda eqs: sp.Eq(gan.D_STAR, gan.P_DATA / (gan.P_DATA + 2 * gan.P_G))),
    ("p8.criterion_jsd", lambda eqs: sp.Eq(gan.C_G, InOrder(-gan.LOG4, gan.JSD))),
    ("p8.global_minimum", lambda eqs: sp.Eq(eqs["p8.global_minimum"].lhs, gan.LOG4)),
    ("p8.gan_gradients", lambda eqs: (eqs["p8.gan_gradients"][0],
                                      sp.Eq(eqs["p8.gan_gradients"][1].lhs, 2 * eqs["p8.gan_gradients"][1].rhs))),
    ("p8.adam", lambda eqs: eqs["p8.adam"][:3] + (sp.Eq(eqs["p8.adam"][3].lhs, gan.ADAM_SYMBOLS["v"]),) + eqs["p8.adam"][4:]),
    # the display wrappers of Kingma and Ba's order still print the checked object: (1 + beta_1) g_t fails
    ("p8.adam", lambda eqs: (sp.Eq(eqs["p8.adam"][0].lhs, InOrder(
        gan.ADAM_SYMBOLS["beta1"] * gan.ADAM_SYMBOLS["m_prev"],
        Product(Paren(InOrder(1, gan.ADAM_SYMBOLS["beta1"])), gan.ADAM_SYMBOLS["g"]))),) + eqs["p8.adam"][1:]),
    ("p8.saturation", lambda eqs: (sp.Eq(eqs["p8.saturation"][0].lhs, gan.SIGMA_A), eqs["p8.saturation"][1])),
])
def test_a_fault_in_a_printed_statement_is_caught(derivation, claim_id, wrong):
    assert claim_id in _failed(_with(derivation, claim_id, wrong(derivation.equations)))


def test_theorem_1_is_displayed_once_and_its_numeric_checks_evaluate_it(derivation):
    """Issue 14: the numeric re-checks of Theorem 1 print a reference to it, and a wrong printed
    theorem (JSD without its factor 2) fails them too."""
    eqs = derivation.equations
    for twin in ("p8.criterion_discrete", "p8.criterion_gaussian"):
        assert eqs[twin] == gan.numerically("p8.criterion_jsd")
    wrong = sp.Eq(gan.C_G, InOrder(-gan.LOG4, gan.JSD))
    assert {"p8.criterion_jsd", "p8.criterion_discrete", "p8.criterion_gaussian"} <= _failed(
        _with(derivation, "p8.criterion_jsd", wrong))


def test_the_value_function_is_written_v_of_d_g(derivation):
    """The assignment writes V(D, G); so does the report."""
    from derivations.gan.derivation import PANEL_V_A

    assert PANEL_V_A.name.startswith(r"V\bigl(D_")


def test_a_wrong_adam_step_is_caught(derivation, monkeypatch):
    monkeypatch.setattr(method._Adam, "__init__", lambda self, size, lr: (
        setattr(self, "lr", lr), setattr(self, "b1", 0.5), setattr(self, "b2", 0.999), setattr(self, "eps", 1e-8),
        setattr(self, "t", 1), setattr(self, "m", np.zeros(size)), setattr(self, "v", np.zeros(size))) and None)
    assert "p8.adam" in _failed(derivation)  # the bias correction starts one step late


def test_the_end_of_the_training_run_is_re_measured(derivation):
    """'At the end p_g matches p_data and D is close to 1/2' holds for the trained networks; an
    untrained generator fails it, and so does a printed final mean that the networks do not give."""
    eq, ctx = derivation.equations["p8.training_end"], derivation.context
    assert checks._check_training_end(eq, ctx).passed
    untrained = gan.init_gan(np.random.default_rng(0), gan.GanConfig())
    assert not checks._check_training_end(eq, {**ctx, "final_params": untrained}).passed
    run = dict(ctx["run"])
    run["snapshots"] = run["snapshots"][:-1] + [{**run["snapshots"][-1], "g_mean": run["snapshots"][-1]["g_mean"] + 0.05}]
    assert not checks._check_training_end(eq, {**ctx, "run": run}).passed


def test_a_printed_adam_rule_that_divides_by_zero_fails(derivation):
    """1 - beta1 t for 1 - beta1^t: with beta1 = 1/2 the step t = 2 divides by 0 and the parameters
    become NaN; the check must fail, not drop the NaN from its running maximum."""
    rule = derivation.equations["p8.adam"]
    m_hat = rule[2]
    t = gan.ADAM_T
    beta1 = gan.ADAM_SYMBOLS["beta1"]
    wrong = sp.Eq(m_hat.lhs, m_hat.rhs.xreplace({beta1**t: beta1 * t}), evaluate=False)
    assert wrong != m_hat
    settings_ = dict(derivation.context["adam"], beta1=0.5)
    with np.errstate(divide="ignore", invalid="ignore"):  # the planted fault divides by 0
        assert not gan.check_adam(rule[:2] + (wrong,) + rule[3:], settings_) <= 1e-12


def test_a_printed_run_number_on_a_rounding_boundary_fails(derivation):
    """A number the text prints to 3 digits must sit clear of the point where its last digit changes:
    0.3055 (a hair from 0.305|0.306) would print differently after a rounding-sized change."""
    eq, ctx = derivation.equations["p8.training_end"], derivation.context
    assert min(gan.rounding_clearance(v) for _, v in gan.printed_run_numbers(ctx)) >= gan.PRINTED_MARGIN
    run = dict(ctx["run"])
    run["snapshots"] = [{**run["snapshots"][0], "g_std": 0.3055}] + run["snapshots"][1:]
    claim = checks._check_training_end(eq, {**ctx, "run": run})
    assert not claim.passed and "rounding boundary" in claim.detail
    assert gan.rounding_clearance(0.3054) > 1e-4 and gan.rounding_clearance(0.5) == float("inf")


# --------------------------------------------------------------------------- the redrawn Figure 1


def _panel_claims(derivation, equations=None, **panel_changes):
    """check_panels on the derivation with some of the model's panels (tag -> changes) replaced."""
    model = derivation.context["panels"]
    panels = {tag: {**p, **panel_changes.get(tag, {})} for tag, p in model["panels"].items()}
    ctx = {**derivation.context, "panels": {**model, "panels": panels}}
    return {c.id: c for c in checks.check_panels({**derivation.equations, **(equations or {})}, ctx)}


def test_the_panels_follow_algorithm_1(derivation):
    from derivations.gan import panels as model

    m = derivation.context["panels"]
    (m_b, s_b), (m_c, s_c) = ((m["panels"][t]["m"], m["panels"][t]["s"]) for t in "bc")
    assert m_c < m_b  # G's step moved p_g towards the data (mean 0)
    assert m["panels"]["d"]["D"] == [0.5] * len(m["x"])  # exact: p / (p + p) = 1/2 in floating point
    # D*_(b) is sigmoid(9/2 - 6x), exactly
    assert sp.simplify(model.logit_b() - (sp.Rational(9, 2) - 6 * model.X)) == 0
    # the Gauss-Hermite gradient against central differences of the Gauss-Hermite objective (other route: the claim)
    J = lambda th: model.generator_objective(th[0], np.exp(th[1]))[0]  # noqa: E731
    th, h = np.array([m_b, np.log(s_b)]), 1e-5
    fd = [(J(th + h * e) - J(th - h * e)) / (2 * h) for e in np.eye(2)]
    assert np.allclose(model.generator_objective(m_b, s_b)[1], fd, rtol=1e-6)
    assert all(c.passed for c in _panel_claims(derivation).values())


def test_a_wrong_discriminator_in_panels_b_and_c_is_caught(derivation):
    p = derivation.context["panels"]
    a, b = np.array(p["p_data"]), np.array(p["panels"]["b"]["p_g"])
    wrong = (a / (a + 2 * b)).tolist()  # a / (a + 2b)
    assert not _panel_claims(derivation, b={"D": wrong})["p8.panel_optimal"].passed
    # the D of (b) drawn over (c)'s p_g: not the optimum for that generator
    assert not _panel_claims(derivation, c={"D": p["panels"]["b"]["D"]})["p8.panel_optimal"].passed


def test_panel_a_must_be_partial(derivation):
    """A D in panel (a) that is already optimal, or no better than 1/2, fails 'partially accurate'."""
    model = derivation.context["panels"]
    logit = float(sp.Rational(9, 2)), -6.0  # D*_(b) = sigmoid(9/2 - 6x) as (c, w)
    for D_a in ((logit[1], logit[0]), (0.0, 0.0)):
        ctx = {**derivation.context, "panels": {**model, "D_a": D_a}}
        claim = next(c for c in checks.check_panels(derivation.equations, ctx) if c.id == "p8.panel_partial")
        assert not claim.passed


def test_a_wrong_step_of_g_is_caught(derivation, monkeypatch):
    from derivations.gan import panels as model

    c = derivation.context["panels"]["panels"]["c"]
    assert not _panel_claims(derivation, c={"m": c["m"] + 1e-3})["p8.panel_update"].passed
    # ascending instead of descending: p_g moves away from the data
    real = model.generator_objective
    monkeypatch.setattr(model, "generator_objective", lambda m, s, **kw: (real(m, s)[0], -real(m, s)[1]))
    away = model.panel_model()["panels"]["c"]
    failed = {k for k, v in _panel_claims(derivation, c={k: away[k] for k in ("m", "s", "p_g", "D", "Gz")}).items()
              if not v.passed}
    assert {"p8.panel_update", "p8.panel_flow", "p8.panel_jsd"} <= failed
    # no step at all: the divergence does not fall from (b) to (c)
    b = derivation.context["panels"]["panels"]["b"]
    assert not _panel_claims(derivation, c={k: b[k] for k in ("m", "s")})["p8.panel_jsd"].passed


@pytest.mark.parametrize("claim_id, wrong", [
    ("p8.panel_half", lambda eqs: sp.Eq(eqs["p8.panel_half"].lhs, sp.Rational(1, 3), evaluate=False)),
    ("p8.panel_update", lambda eqs: sp.Eq(eqs["p8.panel_update"].lhs, InOrder(*eqs["p8.panel_update"].rhs.args[:1],
                                                                         -eqs["p8.panel_update"].rhs.args[1]))),
    ("p8.panel_update", lambda eqs: sp.Eq(eqs["p8.panel_update"].lhs, InOrder(
        *eqs["p8.panel_update"].rhs.args[:1], -sp.Symbol(r"\eta") * sp.Symbol(r"\nabla_{\theta}J_D")))),  # another gradient
    ("p8.panel_jsd", lambda eqs: sp.Contains(eqs["p8.panel_jsd"].args[1].end,
                                             sp.Interval.open(0, eqs["p8.panel_jsd"].args[0]), evaluate=False)),
    ("p8.panel_flow", lambda eqs: sp.Gt(eqs["p8.panel_flow"].rhs, eqs["p8.panel_flow"].lhs, evaluate=False)),
    ("p8.panel_partial", lambda eqs: sp.Contains(eqs["p8.panel_partial"].args[1].end,
                                                 sp.Interval.open(-gan.LOG4, eqs["p8.panel_partial"].args[0]), evaluate=False)),
])
def test_a_fault_in_a_printed_panel_statement_is_caught(derivation, claim_id, wrong):
    assert not _panel_claims(derivation, {claim_id: wrong(derivation.equations)})[claim_id].passed


def test_panel_d_must_have_p_g_equal_to_p_data(derivation):
    p = derivation.context["panels"]
    a = np.array(p["p_data"])
    b = a * (1 + 1e-3)
    assert not _panel_claims(derivation, d={"p_g": b.tolist(), "D": (a / (a + b)).tolist()})["p8.panel_half"].passed
    assert not _panel_claims(derivation, d={"m": 0.01})["p8.panel_jsd"].passed
