"""Problem 4 (derivations.lstm): exact symbolic agreement, finite differences, properties over
shapes, input errors, and deliberately wrong gradients that the checks must catch."""

import re

import numpy as np
import pytest
import symengine as se
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations import exact, lstm
from derivations.display import Diag
from derivations.ledger import Derivation, Figure, relative_error
from derivations.lstm import checks as lstm_checks
from derivations.lstm import derivation as lstm_derivation
from derivations.lstm import experiment as lstm_experiment
from derivations.lstm import method as lstm_method
from derivations.numerics import central_differences


def random_problem(seed, D=3, H=4, K=3, tau=5):
    rng = np.random.default_rng(seed)
    p = lstm.init_params(D, H, K, rng, scale=0.8)
    for k in p:
        if k.startswith("b_") or k == "c":
            p[k] = 0.5 * rng.normal(size=p[k].shape)
    X = rng.normal(size=(tau, D))
    T = np.eye(K)[rng.integers(0, K, size=tau)]
    return p, X, T


@pytest.fixture(scope="module")
def derivation():
    return lstm.derive()


@pytest.fixture(scope="module")
def claims(derivation):
    return {c.id: c for c in lstm.verify(derivation)}


# --------------------------------------------------------------------------- the claims


def test_every_claim_passes(claims):
    expected = {
        "p4.param_count", "p4.sigmoid", "p4.delta_out", "p4.grad_output", "p4.delta_h", "p4.delta_c",
        "p4.delta_gates", "p4.grad_params", "p4.bptt_fd", "p4.cell_direct", "p4.cell_jacobian",
        "p4.reach_complex_step",
    }
    assert set(claims) == expected
    failed = {k: (c.error, c.detail) for k, c in claims.items() if not c.passed}
    assert not failed


def test_symbolic_claims_are_exact(claims):
    for cid in ("p4.delta_h", "p4.delta_c", "p4.delta_gates", "p4.grad_params", "p4.cell_jacobian"):
        assert claims[cid].error == 0 and claims[cid].tolerance == 0


def test_finite_difference_error_is_float64_small(claims):
    assert claims["p4.bptt_fd"].error < 1e-8


# --------------------------------------------------------------------------- symbolic, exact


def test_implemented_bptt_equals_symengine_derivative_exactly():
    """The implementation's own backward pass, run on symbolic objects, equals dJ/dtheta from SymEngine."""
    truth = lstm_checks._Truth(D=1)
    P, rec = truth.P, truth.rec
    delta_out = [None] + [rec["y"][t] - truth.T[t - 1] for t in range(1, truth.tau + 1)]
    G, _ = lstm_method._backward_core(P, truth.X, rec, delta_out)
    for key in lstm.PARAM_SHAPES:
        derived = se.DenseMatrix(G[key].size, 1, list(np.ravel(G[key])))
        assert exact.residual(derived, exact.derivatives(truth.J, np.ravel(P[key]))).is_zero_matrix, key


def test_symengine_truth_equals_the_float_gradients():
    """The truth the exact checks use (SymEngine, sigma written as (1 + tanh(x/2))/2) evaluated at
    a random point equals the float BPTT gradients to rounding (those, which write sigma as
    1/(1 + e^-x), agree with central differences: claim p4.bptt_fd)."""
    truth = lstm_checks._Truth(D=2, H=2, K=2)
    rng = np.random.default_rng(5)
    p = {k: rng.normal(size=np.shape(truth.P[k])) for k in lstm.PARAM_SHAPES}
    X = rng.normal(size=np.shape(truth.X))
    point = {s_: float(v) for k in p for s_, v in zip(np.ravel(truth.P[k]), np.ravel(p[k]))}
    point.update({s_: float(v) for s_, v in zip(np.ravel(truth.X), np.ravel(X))})
    keys = list(lstm.PARAM_SHAPES)
    bptt = lstm.gradients(p, X, truth.T)
    for k in keys:
        exact_grad = np.array([float(d.subs(point)) for d in exact.derivatives(truth.J, np.ravel(truth.P[k]))])
        assert relative_error(exact_grad, bptt[k].ravel()) < 1e-12, k


def test_sigmoid_rule_used_by_sympy_is_the_true_derivative():
    x = sp.Symbol("x")
    s = 1 / (1 + sp.exp(-x))
    assert sp.simplify(sp.diff(s, x) - s * (1 - s)) == 0
    assert sp.diff(lstm_derivation._Sigmoid(x), x) == lstm_derivation._Sigmoid(x) * (1 - lstm_derivation._Sigmoid(x))


@pytest.mark.parametrize("cid, row, latex", [
    ("p4.delta_out", 0, r"{\boldsymbol{\delta}_{a}^{(t)}} = {\mathbf{y}^{(t)}} - {\mathbf{t}^{(t)}}"),
    ("p4.delta_h", 0, r"{\boldsymbol{\delta}_{h}^{(t)}} = \mathbf{V}^{\top} {\boldsymbol{\delta}_{a}^{(t)}} + "
                      r"\sum_{\star\in\{f,i,g,o\}} \mathbf{U}_{\star}^{\top} {\boldsymbol{\delta}_{z_{\star}}^{(t+1)}}"),
    ("p4.delta_c", 0, r"{\boldsymbol{\delta}_{c}^{(t)}} = {\boldsymbol{\delta}_{h}^{(t)}} \odot {\mathbf{o}^{(t)}} \odot "
                      r"\left(\mathbf{1} - {\tanh^{2}\mathbf{c}^{(t)}}\right) + {\mathbf{f}^{(t+1)}} \odot "
                      r"{\boldsymbol{\delta}_{c}^{(t+1)}}"),
    ("p4.grad_output", 0, r"\frac{\partial J}{\partial \mathbf{V}} = \sum_{t=1}^{\tau} "
                          r"{\boldsymbol{\delta}_{a}^{(t)}} {{\mathbf{h}^{(t)}}}^{\top}"),
    ("p4.cell_jacobian", 0, r"\frac{\partial \mathbf{c}^{(t)}}{\partial \mathbf{c}^{(t-1)}} = \diag\!\left({\mathbf{f}^{(t)}}\right)"
                            r" + \left(\mathbf{A}_{f}^{(t)} \mathbf{U}_{f} + \mathbf{A}_{i}^{(t)} \mathbf{U}_{i} + "
                            r"\mathbf{A}_{g}^{(t)} \mathbf{U}_{g}\right) \mathbf{B}^{(t-1)}"),
    ("p4.cell_jacobian", 4, r"\mathbf{B}^{(t-1)} = \diag\!\left({\mathbf{o}^{(t-1)}} \odot "
                            r"\left(\mathbf{1} - {\tanh^{2}\mathbf{c}^{(t-1)}}\right)\right)"),
    ("p4.param_count", 0, r"N_{\mathrm{LSTM}} = 4 \left(D H + H^{2} + H\right) + H K + K"),
    ("p4.sigmoid", 0, r"\frac{d}{d x} \sigma\left(x\right) = \sigma\left(x\right) \left(1 - \sigma\left(x\right)\right)"),
])
def test_statements_print_exactly_as_written(derivation, cid, row, latex):
    """The typesetting code (_print_signed_terms, the _latex methods) is tested by exact LaTeX:
    verify() evaluates the SymPy objects, not their printout."""
    from derivations.tex import tex

    statement = derivation.equations[cid]
    assert tex(statement[row] if isinstance(statement, tuple) else statement) == latex


# --------------------------------------------------------------------------- numeric, another route


def test_gradients_match_central_differences():
    p, X, T = random_problem(7)
    G = lstm.gradients(p, X, T)
    keys = list(lstm.PARAM_SHAPES)
    num = central_differences(lambda: lstm.loss(p, X, T), [p[k] for k in keys])
    for k, n in zip(keys, num):
        assert G[k].shape == p[k].shape
        assert relative_error(G[k], n) < 1e-6, k


def test_loss_matches_an_independent_forward_pass():
    """J recomputed with plain loops and 1/(1+e^-z): the vectorised forward pass is the LSTM."""
    p, X, T = random_problem(3, D=2, H=3, K=4, tau=4)
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    h = c = np.zeros(3)
    J = 0.0
    for t in range(4):
        x = X[t]
        gate = {k: p[f"W_{k}"] @ x + p[f"U_{k}"] @ h + p[f"b_{k}"] for k in "fiog"}
        c = sig(gate["f"]) * c + sig(gate["i"]) * np.tanh(gate["g"])
        h = sig(gate["o"]) * np.tanh(c)
        a = p["V"] @ h + p["c"]
        J -= T[t] @ (a - np.log(np.exp(a).sum()))
    assert abs(lstm.loss(p, X, T) - J) < 1e-12 * max(1.0, abs(J))


def test_last_step_gradients_for_the_figure_match_finite_differences():
    """The quantities plotted in part (iii), for both models, against central differences."""
    from derivations import rnn

    rng = np.random.default_rng(11)
    D, H, K, tau = 2, 3, 3, 6
    X = rng.normal(size=(tau, D))
    T = np.eye(K)[rng.integers(0, K, size=tau)]

    def last_loss_lstm(p):
        y = lstm.forward(p, X)["y"][-1]
        return -float(T[-1] @ np.log(y))

    p = lstm.init_params(D, H, K, rng, forget_bias=1.0)
    num = central_differences(lambda: last_loss_lstm(p), [X])[0]
    assert relative_error(lstm.bptt(p, X, T, steps=[tau])["x"], num) < 1e-6

    q = {"W": rng.normal(size=(H, D)), "U": rng.normal(size=(H, H)) / 2, "V": rng.normal(size=(K, H)),
         "b": np.zeros(H), "c": np.zeros(K)}
    num = central_differences(lambda: -float(T[-1] @ np.log(rnn.forward(q, X)["y"][-1])), [X])[0]
    assert relative_error(lstm_experiment._rnn_input_gradients(q, X, T), num) < 1e-6


def test_complex_step_norms_match_bptt_on_a_small_problem():
    """The complex-step route of the reach check, against BPTT and the RNN's backward steps."""
    rng = np.random.default_rng(5)
    D, H, K, tau = 2, 3, 3, 7
    X = rng.normal(size=(tau, D))
    T = np.eye(K)[rng.integers(0, K, size=tau)]
    p = lstm.init_params(D, H, K, rng, forget_bias=1.0)
    dist = [0, 3, tau - 1]
    norms, f = lstm_checks._complex_step_norms_lstm(p, X, T, dist)
    want = np.linalg.norm(lstm.bptt(p, X, T, steps=[tau])["x"], axis=1)[::-1][dist]
    eps = np.finfo(float).eps
    # two exact routes of tau steps of H-term inner products: ~2 tau H eps apart, times 100 for
    # cancellation in the matrix-vector products (as REACH_TOL argues)
    rtol = 100 * 2 * tau * H * eps
    assert np.allclose(norms, want, rtol=rtol, atol=0)
    # the real part of the complex forward pass: complex exp/tanh round a few eps apart from the real
    # ones at each of the tau steps
    assert np.allclose(f, lstm.forward(p, X)["f"][:, :, None], rtol=10 * tau * eps)
    q = {"W": rng.normal(size=(H, D)), "U": rng.normal(size=(H, H)) / 2, "V": rng.normal(size=(K, H)),
         "b": rng.normal(size=H), "c": rng.normal(size=K)}
    want = np.linalg.norm(lstm_experiment._rnn_input_gradients(q, X, T), axis=1)[::-1][dist]
    assert np.allclose(lstm_checks._complex_step_norms_rnn(q, X, T, dist), want, rtol=rtol, atol=0)


# --------------------------------------------------------------------------- properties over shapes


@settings(max_examples=25, deadline=None)
@given(D=st.integers(1, 4), H=st.integers(1, 4), K=st.integers(1, 4), tau=st.integers(1, 5),
       seed=st.integers(0, 2**16))
def test_gradient_shapes_count_and_directional_derivative(D, H, K, tau, seed):
    p, X, T = random_problem(seed, D, H, K, tau)
    G = lstm.gradients(p, X, T)
    assert set(G) == set(lstm.PARAM_SHAPES)
    assert all(G[k].shape == p[k].shape for k in p)
    assert lstm.parameter_count(p) == 4 * (H * D + H * H + H) + K * H + K
    J = lstm.loss(p, X, T)
    assert np.isfinite(J) and J >= 0
    # directional derivative along a random direction, by central differences
    rng = np.random.default_rng(seed + 1)
    v = {k: rng.normal(size=p[k].shape) for k in p}
    eps = 1e-6
    plus = lstm.loss({k: p[k] + eps * v[k] for k in p}, X, T)
    minus = lstm.loss({k: p[k] - eps * v[k] for k in p}, X, T)
    fd = (plus - minus) / (2 * eps)
    an = sum(float((G[k] * v[k]).sum()) for k in p)
    assert abs(fd - an) <= 1e-6 * max(1.0, abs(an))


# --------------------------------------------------------------------------- input errors


@pytest.mark.parametrize(
    "mutate, needle",
    [
        (lambda p, X, T: (dict((k, v) for k, v in p.items() if k != "U_g"), X, T), "lacks U_g"),
        (lambda p, X, T: (dict(p, U_i=np.zeros((2, 2))), X, T), "U_i must have shape"),
        (lambda p, X, T: (dict(p, extra=1), X, T), "unknown keys extra"),
        (lambda p, X, T: (p, X[:, :2], T), "X must be (tau, D)"),
        (lambda p, X, T: (p, X, T[:-1]), "T must be (tau, K)"),
        (lambda p, X, T: (p, X, 0.5 * T), "T must be one-hot"),
        (lambda p, X, T: (dict(p, V=p["V"] * np.nan), X, T), "V contains NaN"),
        (lambda p, X, T: ([1, 2], X, T), "params must be a dict"),
    ],
)
def test_bad_input_raises_value_error_naming_the_problem(mutate, needle):
    p, X, T = random_problem(0)
    p, X, T = mutate(p, X, T)
    with pytest.raises(ValueError, match=re.escape(needle)):
        lstm.gradients(p, X, T)


def test_bptt_rejects_steps_outside_the_sequence():
    p, X, T = random_problem(0)
    with pytest.raises(ValueError, match="steps must lie in 1..tau"):
        lstm.bptt(p, X, T, steps=[0])


# --------------------------------------------------------------------------- wrong formulas are caught


def test_dropping_the_carry_in_the_code_fails_verify(monkeypatch, derivation):
    """BPTT code without the f (.) carry term in delta_c: verify() must report p4.bptt_fd as failed."""
    monkeypatch.setattr(lstm_method, "_cell_delta", lambda d_h, o, tanh_c, f_next, d_c_next: d_h * o * (1 - tanh_c**2))
    result = {c.id: c for c in lstm.verify(derivation)}
    assert not result["p4.bptt_fd"].passed
    assert result["p4.bptt_fd"].error > 1e-3
    assert result["p4.delta_c"].passed  # the derived statement itself is still right


def test_dropping_the_carry_in_the_statement_fails_the_symbolic_claim(derivation):
    eq = lstm.statements()
    wrong = eq["p4.delta_c"]
    carry_free = sp.Eq(wrong.lhs, wrong.rhs.args[0], evaluate=False)  # only the term through h^(t)
    truth = lstm_checks._Truth()
    assert lstm_checks._statement_residual(wrong, truth, [1, 2], ("f",)).is_zero_matrix
    assert not lstm_checks._statement_residual(carry_free, truth, [1, 2], ("f",)).is_zero_matrix


def test_a_wrong_abbreviation_in_the_cell_jacobian_fails(derivation):
    """The rows defining A_g etc. are evaluated too: A_g = diag(i (1 - g)) (tanh' taken as 1 - g) fails."""
    rows = derivation.equations["p4.cell_jacobian"]
    i_vec, one_minus_gg = rows[3].rhs.args[0].args
    wrong_g = sp.Eq(rows[3].lhs, Diag(lstm_derivation._had(i_vec, lstm_derivation._one_minus(one_minus_gg.args[1].args[1].args[0]))),
                    evaluate=False)
    eq = dict(derivation.equations, **{"p4.cell_jacobian": rows[:3] + (wrong_g,) + rows[4:]})
    result = {c.id: c for c in lstm_checks._check_cell_jacobians(eq, lstm_checks._Truth())}
    assert not result["p4.cell_jacobian"].passed
    assert result["p4.cell_direct"].passed
    assert all(c.passed for c in lstm_checks._check_cell_jacobians(derivation.equations, lstm_checks._Truth()))


def test_a_wrong_statement_fails_in_verify(monkeypatch, derivation):
    """End to end: verify() reports the claim as failed when the derived statement is wrong."""
    eq = dict(derivation.equations)
    rows = eq["p4.delta_gates"]
    # delta_o without the sigmoid's derivative factor o (1 - o)
    wrong_o = sp.Eq(rows[3].lhs, sp.HadamardProduct(*rows[3].rhs.args[:2], evaluate=False), evaluate=False)
    eq["p4.delta_gates"] = rows[:3] + (wrong_o,)
    broken = Derivation(problem=4, equations=eq, context=derivation.context, figures=derivation.figures)
    monkeypatch.setattr(lstm_checks, "finite_difference_error", lambda: (0.0, []))  # not under test here
    result = {c.id: c for c in lstm.verify(broken)}
    assert not result["p4.delta_gates"].passed
    assert result["p4.delta_c"].passed


def test_a_nan_gradient_fails_the_finite_difference_claim(monkeypatch, derivation):
    """max() would drop a NaN error (NaN > x is False); the claim must fail instead."""
    monkeypatch.setattr(lstm_method, "_cell_delta", lambda d_h, o, tanh_c, f_next, d_c_next: d_h * np.nan)
    worst, _ = lstm.finite_difference_error()
    assert not np.isfinite(worst)


def test_a_sum_with_the_wrong_lower_limit_fails():
    """The checks read a printed sum's limits: sum_{t=2}^{tau} in dJ/dc is caught."""
    eq = lstm.statements()
    right = eq["p4.grad_output"][1]
    summand = right.rhs.function
    wrong = sp.Eq(right.lhs, sp.Sum(summand, (lstm.T_SYM, 2, lstm.TAU)), evaluate=False)
    truth = lstm_checks._Truth()
    assert lstm_checks._statement_residual(right, truth, [1], ("f",)).is_zero_matrix
    assert not lstm_checks._statement_residual(wrong, truth, [1], ("f",)).is_zero_matrix


def _with_reach(derivation, summary=None, curves=None):
    figures = derivation.figures
    if curves is not None:
        figures = (figures[0], Figure(figures[1].name, figures[1].draw, curves, width=figures[1].width,
                                           height=figures[1].height))
    context = dict(derivation.context, reach=summary or derivation.context["reach"])
    return Derivation(problem=4, equations=derivation.equations, context=context, figures=figures)


def test_a_wrong_number_in_the_reach_table_fails(derivation):
    import copy

    assert lstm_checks._check_gradient_reach(derivation).passed
    for key in ("ratio", "mean_f", "mean_f_power"):
        summary = copy.deepcopy(derivation.context["reach"])
        summary["lstm"][1][key] *= 1 + 1e-6
        assert not lstm_checks._check_gradient_reach(_with_reach(derivation, summary=summary)).passed, key
    summary = copy.deepcopy(derivation.context["reach"])
    summary["rnn_ratio"] *= 1 - 1e-6
    assert not lstm_checks._check_gradient_reach(_with_reach(derivation, summary=summary)).passed


def test_a_wrong_curve_in_the_reach_figure_fails(derivation):
    import copy

    curves = copy.deepcopy(derivation.figures[1].data)
    curves["lstm"][3.0] = curves["lstm"][3.0] * 1.001
    assert not lstm_checks._check_gradient_reach(_with_reach(derivation, curves=curves)).passed
    curves = copy.deepcopy(derivation.figures[1].data)
    curves["rnn"][-1] = 0.0
    assert not lstm_checks._check_gradient_reach(_with_reach(derivation, curves=curves)).passed


def test_a_set_up_other_than_stated_fails(monkeypatch, derivation):
    """Weights with std 1 instead of 1/sqrt(fan-in): the variance test names it."""
    real = lstm.reach_data

    def wide(seed, config=lstm.REACH):
        X, T, rnn, params = real(seed, config)
        return X, T, dict(rnn, U=rnn["U"] * np.sqrt(config["H"])), params

    monkeypatch.setattr(lstm_checks, "reach_data", wide)  # where _check_gradient_reach looks it up
    claim = lstm_checks._check_gradient_reach(derivation)
    assert not claim.passed and "standard errors" in claim.detail


def test_the_parameter_table_adds_up_to_the_count(derivation):
    H, D, K = lstm.H_, lstm.D_, lstm.K_
    total = sum(n * per_array for n, per_array in (row["entries"] for row in derivation.context["params"]))
    assert sp.expand(total - derivation.equations["p4.param_count"].rhs.doit()) == 0
    assert sp.expand(total - (4 * (H * D + H**2 + H) + K * H + K)) == 0


# --------------------------------------------------------------------------- figures


def test_cell_diagram_is_tikz_in_the_assignments_notation():
    from figures.lstm import cell_diagram

    src = cell_diagram({})
    assert src.startswith(r"\begin{tikzpicture}") and src.rstrip().endswith(r"\end{tikzpicture}")
    for label in (r"\mathbf{c}^{(t-1)}", r"\mathbf{h}^{(t-1)}", r"\mathbf{x}^{(t)}", r"\mathbf{f}^{(t)}",
                  r"\mathbf{i}^{(t)}", r"\mathbf{g}^{(t)}", r"\mathbf{o}^{(t)}", r"\mathbf{W}_{f}"):
        assert label in src


def test_gradient_reach_data_shows_the_forget_bias_effect(derivation):
    curves = derivation.figures[1].data
    d = 20
    fall = {b: c[d] / c[0] for b, c in curves["lstm"].items()}
    assert fall[3.0] > fall[1.0] > fall[0.0]


def test_statements_survive_pickling(derivation, claims):
    """Problems run in worker processes and are cached: a statement must print the same after a
    pickle round trip (SymPy rebuilds objects with evaluation on)."""
    import pickle

    from derivations.tex import tex

    def rows(statement):
        return [tex(s) for s in (statement if isinstance(statement, tuple) else (statement,))]

    for cid, statement in derivation.equations.items():
        assert rows(pickle.loads(pickle.dumps(statement))) == rows(statement), cid
    for cid, claim in claims.items():
        again = pickle.loads(pickle.dumps(claim))
        assert rows(again.statement) == rows(claim.statement), cid
        assert "False" not in " ".join(rows(again.statement)), cid


def test_no_delta_means_two_things_across_problems_2_and_4(derivation):
    """Problem 2's delta_o is the error at its logits o^(t); here o^(t) is the output gate, so the gates'
    errors are named by their pre-activations (delta_{z_o}) and the logits' error is delta_a."""
    from derivations.tex import tex

    printed = " ".join(tex(s) for st in derivation.equations.values() for s in (st if isinstance(st, tuple) else (st,)))
    assert r"\boldsymbol{\delta}_{o}" not in printed and r"\boldsymbol{\delta}_{\star}" not in printed
    for name in (r"\boldsymbol{\delta}_{z_{o}}", r"\boldsymbol{\delta}_{z_{\star}}", r"\boldsymbol{\delta}_{a}"):
        assert name in printed


def test_figures_are_legible_at_printed_size(derivation, tmp_path):
    """Each figure renders at its printed size through the shared style (which refuses small text)."""
    from figures import style

    for spec in derivation.figures:
        assert style.render_figure(spec, tmp_path).stat().st_size > 0
