"""Problem 1 (derivations.mlp): exact symbolic checks, finite differences, shapes, and a wrong gradient caught."""

import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations import mlp
from derivations.display import MatInOrder, MinibatchSum, evaluate
from derivations.ledger import Derivation, is_zero
from derivations.mlp import checks as mlp_checks
from derivations.mlp import derivation as mlp_derivation
from derivations.mlp import experiment as mlp_experiment
from derivations.mlp import method as mlp_method
from derivations.tex import tex


# The SymPy-only route the build used before SymEngine, kept here as a cross-check of the new one.


def _sympy_check_delta_h(net, l, statement):
    """delta_h^(l-1) by SymPy's differentiation minus the statement's W^(l)T delta_z^(l)."""
    s = mlp_derivation._layer_symbols()
    H = net.free("eta", l - 1)
    Z = net.free("zeta", l)
    dh = mlp_checks._grad(net.J_from_h(l - 1, H), H)
    dz = mlp_checks._grad(net.J_from_z(l, Z), Z)
    at_h = {z: v for i in range(net.m) for z, v in zip(Z[i], net.W[l] * H[i] + net.b[l])}
    residual = []
    for i in range(net.m):
        values = {s["dh_prev"]: dh[i], s["W"]: net.W[l], s["dz"]: dz[i].subs(at_h)}
        residual.append(evaluate(statement.lhs, values, functions={}) - evaluate(statement.rhs, values, functions={}))
    return sp.Matrix.vstack(*residual)


def _sympy_numerators(residual):
    """The residual's entries as expanded numerators (SymPy's together + expand): the first
    nonzero one, else zero.  The denominators are softmax normalisers, never zero."""
    numerators = residual.applyfunc(lambda r: sp.expand(sp.fraction(sp.together(r))[0]))
    return next((n for n in numerators if not n.is_zero), sp.zeros(*numerators.shape))

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def derivation():
    return mlp.derive()


# --------------------------------------------------------------------------- exact (symbolic)


def test_output_delta_is_y_minus_t_for_symbolic_K():
    component, _ = mlp.output_delta()
    y, t = sp.IndexedBase("y"), sp.IndexedBase("t")
    j = sp.Symbol("j", integer=True, positive=True)
    assert sp.expand(component - (y[j] - t[j])) == 0


def test_the_steps_of_iv_print_in_the_order_a_person_writes_them():
    _, steps = mlp.output_delta()
    assert tex(sp.Eq(*steps["log_y"], evaluate=False), ln_notation=True).split("=")[1].lstrip().startswith("{z}_{k} -")
    assert tex(steps["J"], ln_notation=True).startswith(r"- \sum_{k=1}^{K} {t}_{k} {z}_{k} + \left(\sum")


@pytest.mark.parametrize(
    "wrong",
    [
        {"Product": lambda *factors: 2 * sp.Mul(*factors)},  # J printed with a doubled normaliser term
        {"InOrder": lambda *terms: sp.Add(*terms[1:])},  # a term dropped from ln y_k and J
    ],
)
def test_a_printed_step_of_iv_that_is_not_the_derivation_is_refused(wrong, monkeypatch):
    for name, replacement in wrong.items():
        monkeypatch.setattr(mlp_derivation, name, replacement)
    with pytest.raises(AssertionError, match="printed as"):
        mlp.output_delta()


@pytest.mark.parametrize("activation", ["smooth", "relu"])
def test_delta_z_equals_delta_h_times_slope_exactly(activation, derivation):
    if activation == "smooth":
        net = mlp_checks._SymbolicNet(sp.Function("f"))
        assert is_zero(mlp_checks._engine_check_delta_z(net, 1, derivation.equations["p1.delta_z"]))
        assert is_zero(_sympy_numerators(mlp_checks._check_delta_z(net, 1, derivation.equations["p1.delta_z"])))  # SymPy alone
    else:
        net = mlp_checks._SymbolicNet(mlp_checks._relu)
        residual = mlp_checks._check_delta_z(net, 1, derivation.equations["p1.delta_z_relu"], mlp_checks._relu_indicator)
        assert is_zero(mlp_checks._engine_numerators(residual))
        assert is_zero(_sympy_numerators(residual))  # SymPy's together + expand agrees


@pytest.mark.parametrize("layer", [1, 2])
def test_delta_h_is_W_transpose_delta_z_exactly(layer, derivation):
    net = mlp_checks._SymbolicNet(sp.Function("f"))
    assert is_zero(mlp_checks._engine_check_delta_h(net, layer, derivation.equations["p1.delta_h"]))
    assert is_zero(_sympy_numerators(_sympy_check_delta_h(net, layer, derivation.equations["p1.delta_h"])))


def test_parameter_gradients_equal_entrywise_derivatives_exactly(derivation):
    net = mlp_checks._SymbolicNet(sp.Function("f"))
    res_W, res_b = mlp_checks._engine_check_parameter_gradients(net, derivation.equations)
    assert all(is_zero(r) for r in res_W + res_b)
    res_W, res_b = mlp_checks._check_parameter_gradients(net, derivation.equations)
    assert is_zero(_sympy_numerators(mlp_checks._flat(res_W + res_b)))


def test_symengine_checks_fail_a_wrong_statement_or_slope(derivation, monkeypatch):
    """Renaming f'(v), Max and Heaviside applications to symbols cannot make a wrong formula pass."""
    s = mlp_derivation._layer_symbols()
    smooth, relu = mlp_checks._SymbolicNet(sp.Function("f")), mlp_checks._SymbolicNet(mlp_checks._relu)
    no_slope = sp.Eq(s["dz"], s["dh"], evaluate=False)
    assert not is_zero(mlp_checks._engine_check_delta_z(smooth, 1, no_slope))
    assert not is_zero(mlp_checks._engine_numerators(mlp_checks._check_delta_z(relu, 1, no_slope, mlp_checks._relu_indicator)))
    no_transpose_twice = sp.Eq(s["dh_prev"], 2 * s["W"].T * s["dz"], evaluate=False)
    assert not is_zero(mlp_checks._engine_check_delta_h(smooth, 1, no_transpose_twice))
    flipped = lambda v: sp.Heaviside(-v)  # noqa: E731
    res_W, res_b = mlp_checks._check_parameter_gradients(relu, derivation.equations, flipped)
    assert not is_zero(mlp_checks._engine_numerators(mlp_checks._flat(res_W + res_b)))
    # f' taken at the wrong point (z of the other example) is caught by the generic-f check
    right = mlp_checks._Slopes.matrix
    monkeypatch.setattr(mlp_checks._Slopes, "matrix", lambda self, values: right(self, values[::-1, :]))
    res_W, res_b = mlp_checks._engine_check_parameter_gradients(smooth, derivation.equations)
    assert not all(is_zero(r) for r in res_W + res_b)


def test_evaluating_a_statement_gives_explicit_matrices():
    s = mlp_derivation._layer_symbols()
    W, dz = sp.Matrix([[1, 2, 3], [4, 5, 6]]), sp.Matrix([1, -1])
    assert evaluate(s["W"].T * s["dz"], {s["W"]: W, s["dz"]: dz}, functions={}) == W.T * dz
    grad = MatInOrder(MinibatchSum(s["dz"] * s["h_prev"].T), 2 * s["lam"] * s["W"], evaluate=False)
    examples = [{s["dz"]: dz, s["h_prev"]: sp.Matrix([1, 0, 2])}, {s["dz"]: 2 * dz, s["h_prev"]: sp.Matrix([0, 1, 0])}]
    expected = dz * sp.Matrix([[1, 0, 2]]) + 2 * dz * sp.Matrix([[0, 1, 0]]) + 2 * sp.Rational(1, 10) * W
    assert evaluate(grad, {s["W"]: W, s["lam"]: sp.Rational(1, 10), "examples": examples}, functions={}) == expected


def test_verify_catches_a_printed_gradient_without_two_lambda(derivation):
    """The statement printed with lambda W instead of 2 lambda W fails the exact check."""
    s = mlp_derivation._layer_symbols()
    wrong = dict(derivation.equations)
    wrong["p1.grad_W"] = sp.Eq(
        s["dW"], MatInOrder(MinibatchSum(s["dz"] * s["h_prev"].T), s["lam"] * s["W"], evaluate=False)
    )
    claims = {c.id: c for c in mlp.verify(Derivation(1, wrong, derivation.context, derivation.figures))}
    assert not claims["p1.grad_W"].passed
    assert "lambda" in claims["p1.grad_W"].detail
    assert claims["p1.grad_b"].passed  # the bias gradient was not touched


def test_verify_catches_a_printed_output_delta_with_the_wrong_sign(derivation):
    s = mlp_derivation._layer_symbols()
    wrong = dict(derivation.equations)
    wrong["p1.delta_output"] = sp.Eq(wrong["p1.delta_output"].lhs, MatInOrder(s["y"], s["t"], evaluate=False))
    claims = {c.id: c for c in mlp.verify(Derivation(1, wrong, derivation.context, derivation.figures))}
    assert not claims["p1.delta_output"].passed
    assert not claims["p1.grad_W"].passed  # Algorithm 1 run with the printed (iv) goes wrong too


# --------------------------------------------------------------------------- numeric


@pytest.mark.parametrize("L", [1, 2, 3, 4, 5])
def test_gradients_match_central_differences(L):
    rng = np.random.default_rng(100 + L)
    sizes = [int(s) for s in rng.integers(2, 6, size=L + 1)]
    Ws, bs, X, T = mlp.random_network(rng, sizes, m=6)
    assert mlp_experiment._fd_error(Ws, bs, X, T, lam=0.3) <= mlp.FD_TOLERANCE


def test_loss_matches_an_independent_evaluation():
    """J of Eq. 2 written out per example with an explicit softmax."""
    rng = np.random.default_rng(7)
    Ws, bs, X, T = mlp.random_network(rng, [3, 4, 2], m=5)
    lam, J = 0.2, 0.0
    for x, t in zip(X, T):
        h = np.maximum(Ws[0] @ x + bs[0], 0)
        z = Ws[1] @ h + bs[1]
        y = np.exp(z) / np.exp(z).sum()
        J -= t @ np.log(y)
    J += lam * sum((W**2).sum() for W in Ws)
    assert mlp.loss(Ws, bs, X, T, lam) == pytest.approx(J, rel=1e-12)


widths = st.lists(st.integers(1, 5), min_size=2, max_size=5)


@settings(max_examples=40, deadline=None)
@given(sizes=widths, m=st.integers(1, 7), lam=st.floats(0.01, 2.0), seed=st.integers(0, 2**32 - 1))
def test_gradients_have_the_inputs_shapes_and_match_differences(sizes, m, lam, seed):
    rng = np.random.default_rng(seed)
    Ws, bs, X, T = mlp.random_network(rng, sizes, m)
    before = [W.copy() for W in Ws]
    dW, db = mlp.gradients(Ws, bs, X, T, lam)
    assert [g.shape for g in dW] == [W.shape for W in Ws]
    assert [g.shape for g in db] == [b.shape for b in bs]
    assert all(np.array_equal(a, b) for a, b in zip(before, Ws))  # inputs untouched
    _, zs, _ = mlp_method._forward(Ws, bs, X)
    if all(np.abs(z).min() > 1e-3 for z in zs[:-1]):  # away from ReLU's kink, where J is differentiable
        assert mlp_experiment._fd_error(Ws, bs, X, T, lam) <= mlp.FD_TOLERANCE


def test_verify_catches_a_gradient_without_two_lambda(monkeypatch, derivation):
    right = mlp.gradients

    def dropped_two(weights, biases, X, T, lam):  # lambda W instead of 2 lambda W
        dW, db = right(weights, biases, X, T, lam)
        return [g - lam * np.asarray(W) for g, W in zip(dW, weights)], db

    monkeypatch.setattr(mlp_experiment, "gradients", dropped_two)  # where _fd_error looks it up
    claims = {c.id: c for c in mlp.verify(derivation)}
    assert not claims["p1.backprop_fd"].passed
    assert claims["p1.backprop_fd"].error > 1e-3


def test_verify_passes_every_claim(derivation):
    claims = mlp.verify(derivation)
    assert {c.id for c in claims} == set(derivation.equations)
    assert all(c.passed for c in claims), [c.id for c in claims if not c.passed]


def test_an_epoch_that_skips_the_last_minibatch_fails_the_epoch_check(derivation, monkeypatch):
    right = mlp.sgd

    def skipping(weights, biases, X, T, lam, *, learning_rate, batch_size, epochs, seed=0):
        keep = len(X) - len(X) % batch_size or len(X) - batch_size  # drop the last (short) minibatch
        return right(weights, biases, X[:keep], T[:keep], lam, learning_rate=learning_rate,
                     batch_size=batch_size, epochs=epochs, seed=seed)

    monkeypatch.setattr(mlp_checks, "sgd", skipping)  # where _check_sgd_epoch looks it up
    error, _ = mlp_checks._check_sgd_epoch(derivation.equations["p1.sgd_epoch"])
    assert error > 1e-3


def test_a_printed_epoch_derivative_with_the_wrong_sign_is_caught(derivation):
    """The check evaluates the printed right-hand side, so +dJ/dTheta for -dJ/dTheta fails it (a
    mutation survivor when the check hard-coded the minus sign)."""
    st = derivation.equations["p1.sgd_epoch"]
    error, _ = mlp_checks._check_sgd_epoch(sp.Eq(st.lhs, -st.rhs, evaluate=False))
    assert error > 1


def test_training_replay_catches_a_misreported_accuracy(derivation):
    context = dict(derivation.context, train_accuracy=derivation.context["train_accuracy"] - 100 / 180)
    assert mlp_checks._check_training_replay(context) > mlp.REPLAY_TOLERANCE
    assert mlp_checks._check_training_replay(derivation.context) <= mlp.REPLAY_TOLERANCE


def test_sgd_lowers_the_training_loss(derivation):
    history = derivation.context["training"]["history"]
    assert history[-1] < history[0] / 10
    assert derivation.context["train_accuracy"] > 90


# --------------------------------------------------------------------------- bad input


def _net():
    rng = np.random.default_rng(0)
    return mlp.random_network(rng, [3, 4, 2], m=5)


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda Ws, bs, X, T: ([Ws[0].T, Ws[1]], bs, X, T),
            r"weights\[0\] \(W\^\(1\)\) has shape \(3, 4\).*expected \(3, 3\)",
        ),
        (lambda Ws, bs, X, T: (Ws, [bs[0][:-1], bs[1]], X, T), r"biases\[0\].*expected \(4,\)"),
        (lambda Ws, bs, X, T: (Ws, bs[:1], X, T), r"2 weight matrices but 1 bias"),
        (lambda Ws, bs, X, T: (Ws, bs, X[:, :2], T), r"weights\[0\].*input has 2 units"),
        (lambda Ws, bs, X, T: (Ws, bs, X[0], T), r"X must be \(m, d_0\)"),
        (lambda Ws, bs, X, T: (Ws, bs, X, T[:3]), r"T has shape \(3, 2\); expected \(m, K\) = \(5, 2\)"),
        (lambda Ws, bs, X, T: (Ws, bs, X, 2 * T), r"sum to 1"),
        (lambda Ws, bs, X, T: ([], [], X, T), r"at least one layer"),
    ],
)
@pytest.mark.parametrize("function", [mlp.loss, mlp.gradients])
def test_bad_shapes_raise_value_error_saying_what_is_wrong(change, message, function):
    Ws, bs, X, T = change(*_net())
    with pytest.raises(ValueError, match=message):
        function(Ws, bs, X, T, 0.1)


# --------------------------------------------------------------------------- report


def test_algorithm_lines_match_the_code_comments():
    """Every numbered line of Algorithm 1 is implemented, and the code cites only lines that exist."""
    template = (ROOT / "templates/problems/p01.tex.j2").read_text()
    body = template[template.index(r"\begin{algorithmic}") : template.index(r"\end{algorithmic}")]
    numbered = len(re.findall(r"^\s*\\(State|For|If|ElsIf|Else|While)\b", body, flags=re.M))
    code = (ROOT / "derivations/mlp/method.py").read_text()
    cited = set()
    for first, last in re.findall(r"# lines? (\d+)(?:-(\d+))?", code):
        cited.update(range(int(first), int(last or first) + 1))
    assert cited == set(range(1, numbered + 1))


def test_statements_print_without_double_superscripts(derivation):
    for statement in derivation.equations.values():
        assert not re.search(r"\^\{[^{}]*\}\^", tex(statement)), tex(statement)


def test_derivation_pickles(derivation):
    assert pickle.loads(pickle.dumps(derivation)).equations.keys() == derivation.equations.keys()


def test_network_drawing_uses_the_code_layer_sizes(derivation):
    from figures.mlp import network_tikz

    source = network_tikz({"sizes": mlp.LAYER_SIZES})
    d0, d1, K = mlp.LAYER_SIZES
    assert source.count("{$x_") == d0 and source.count("{$h_") == d1 and source.count("{$y_") == K


def test_the_separability_program_tells_separable_from_spiral_data():
    """The text's 'no linear classifier can separate' the spirals is decided by a linear program; it
    must say separable for data split by a line and not separable for the report's spirals."""
    from derivations.mlp.experiment import _training_run

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    assert mlp_checks._linearly_separable(X, (X[:, 0] + 0.5 * X[:, 1] > 0.1).astype(int))
    run = _training_run()
    assert not mlp_checks._linearly_separable(run["X"], run["labels"])
