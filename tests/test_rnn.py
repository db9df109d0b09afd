"""Problem 2 (derivations.rnn): exact symbolic BPTT, finite differences, shapes, wrong gradients caught."""

import pickle

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations import exact, rnn
from derivations.ledger import Derivation
from derivations.rnn import checks as rnn_checks
from derivations.rnn.method import _check
from derivations.seqnotation import Plus
from derivations.tex import tex

SMALL = {"D": 1, "H": 2, "K": 2, "steps": 2}  # the exact check at a size that runs in about a second


@pytest.fixture(scope="module")
def derivation():
    return rnn.derive()


def _small(derivation, **changes) -> Derivation:
    """The derivation with some statements replaced and the small symbolic size."""
    eq = dict(derivation.equations, **changes)
    return Derivation(problem=2, equations=eq, context=dict(derivation.context, symbolic_sizes=SMALL),
                      figures=derivation.figures)


def _flat(g):
    return np.concatenate([np.ravel(g[k]) for k in ("W", "U", "V", "b", "c")])


# --------------------------------------------------------------------------- exact (symbolic)


def test_symengine_derivatives_equal_sympy_derivatives():
    """The exact checks' truth: SymEngine's dJ/dv on the unrolled RNN is SymPy's, exactly."""
    J, params, xs, ts, hs, ys, eps = rnn.unrolled_rnn(D=1, H=2, K=2, steps=2)
    variables = [v for M in params.values() for v in M] + [v for M in eps.values() for v in M]
    zero = {e: 0 for M in eps.values() for e in M}
    by_sympy = [sp.diff(J, v).xreplace(zero) for v in variables]
    assert exact.residual(sp.Matrix(by_sympy), exact.derivatives(J, variables, zero)).is_zero_matrix


def test_every_statement_equals_symengine_derivative_exactly(derivation):
    residuals = rnn.symbolic_check(derivation.equations, **SMALL)
    assert set(residuals) == {"p2.delta_o", "p2.delta_h", "p2.delta_z", "p2.delta_h_recurrence",
                              "p2.grad_W", "p2.grad_U", "p2.grad_b", "p2.grad_V", "p2.grad_c"}
    for cid, R in residuals.items():
        assert all(e == 0 for e in R), cid


def test_statements_print_in_the_assignments_notation(derivation):
    eq = derivation.equations
    assert tex(eq["p2.delta_o"]) == r"\boldsymbol{\delta}_{o}^{(t)} = \mathbf{y}^{(t)} - \mathbf{t}^{(t)}"
    assert tex(eq["p2.grad_W"]) == (
        r"\frac{\partial J}{\partial \mathbf{W}} = \sum_{t=1}^{\tau} \boldsymbol{\delta}_{z}^{(t)} \mathbf{x}^{(t)\top}"
    )
    assert r"\mathbf{U}^{\top} \boldsymbol{\delta}_{z}^{(t + 1)}" in tex(eq["p2.delta_h"][1])


def test_derivation_pickles(derivation):
    again = pickle.loads(pickle.dumps(derivation))
    assert tex(again.equations["p2.delta_z"]) == tex(derivation.equations["p2.delta_z"])


# --------------------------------------------------------------------------- numeric (another route)


def test_gradients_match_central_differences():
    worst, sizes = rnn.finite_difference_check(trials=4, seed=1)
    assert worst <= 1e-6 and len(sizes) == 4


def test_forward_layout():
    rng = np.random.default_rng(0)
    params, X, _ = rnn.random_problem(rng, D=3, H=4, K=5, steps=6)
    fw = rnn.forward(params, X)
    assert fw["z"].shape == (6, 4) and fw["h"].shape == (7, 4)
    assert fw["o"].shape == (6, 5) and fw["y"].shape == (6, 5)
    assert np.all(fw["h"][0] == 0)
    np.testing.assert_allclose(fw["h"][1:], np.tanh(fw["z"]))
    np.testing.assert_allclose(fw["y"].sum(axis=1), 1.0)
    # step 2 by hand, from Eq. 4
    z2 = params["W"] @ X[1] + params["U"] @ fw["h"][1] + params["b"]
    np.testing.assert_allclose(fw["z"][1], z2)


def test_hidden_jacobians_match_differences():
    from derivations.vanishing import jacobian_by_differences

    rng = np.random.default_rng(2)
    params, X, _ = rnn.random_problem(rng, D=2, H=3, K=2, steps=7)
    jac = rnn.hidden_jacobians(params, X)
    assert len(jac) == 8 and np.allclose(jac[7], np.eye(3))
    for k in (0, 3, 6):
        fd = jacobian_by_differences(params, X, 7, k)
        assert np.max(np.abs(jac[k] - fd)) <= 1e-6 * max(1.0, np.max(np.abs(fd)))


# --------------------------------------------------------------------------- properties (Hypothesis)


@settings(max_examples=25, deadline=None)
@given(D=st.integers(1, 4), H=st.integers(1, 4), K=st.integers(1, 4), steps=st.integers(1, 6),
       seed=st.integers(0, 2**31 - 1))
def test_gradient_shapes_and_softmax_identities(D, H, K, steps, seed):
    params, X, T = rnn.random_problem(np.random.default_rng(seed), D, H, K, steps)
    g = rnn.gradients(params, X, T)
    assert {k: v.shape for k, v in g.items()} == {k: np.shape(v) for k, v in params.items()}
    # y and t both sum to 1, so delta_o sums to 0: dJ/dc and every column of dJ/dV sum to 0
    assert abs(g["c"].sum()) < 1e-12 * steps * K + 1e-12
    np.testing.assert_allclose(g["V"].sum(axis=0), 0.0, atol=1e-12 * steps * K + 1e-12)
    # h^(0) = 0: with one step U gets no gradient
    if steps == 1:
        assert np.all(g["U"] == 0)


@settings(max_examples=10, deadline=None)
@given(D=st.integers(1, 3), H=st.integers(1, 3), K=st.integers(2, 3), steps=st.integers(1, 5),
       seed=st.integers(0, 2**31 - 1))
def test_gradients_agree_with_differences_over_shapes(D, H, K, steps, seed):
    params, X, T = rnn.random_problem(np.random.default_rng(seed), D, H, K, steps)
    fd = rnn.central_differences(lambda: rnn.loss(params, X, T), params)
    from derivations.ledger import relative_error

    assert relative_error(_flat(rnn.gradients(params, X, T)), _flat(fd)) <= 1e-6


# --------------------------------------------------------------------------- wrong formulas are caught


def _wrong_bptt(drop):
    def wrong(params, X, T):
        (W, U, V, b, c, X, T), (H, _, _) = _check(params, X, T)
        fw = rnn.forward(params, X)
        h, y = fw["h"], fw["y"]
        g = {k: np.zeros_like(np.asarray(params[k], dtype=float)) for k in params}
        dz_next = np.zeros(H)
        for s in range(X.shape[0], 0, -1):
            do = y[s - 1] - T[s - 1]
            g["V"] += np.outer(do, h[s])
            g["c"] += do
            dh = V.T @ do + (U if drop == "transpose" else U.T) @ dz_next
            dz = dh if drop == "tanh_slope" else dh * (1 - h[s] ** 2)
            g["W"] += np.outer(dz, X[s - 1])
            g["U"] += np.outer(dz, h[s - 1])
            g["b"] += dz
            dz_next = dz
        return g

    return wrong


@pytest.mark.parametrize("drop", ["transpose", "tanh_slope"])
def test_wrong_gradient_fails_the_finite_difference_claim(monkeypatch, drop):
    monkeypatch.setattr(rnn_checks, "gradients", _wrong_bptt(drop))  # where finite_difference_check looks it up
    worst, _ = rnn.finite_difference_check(trials=rnn.FD_TRIALS, seed=0)
    assert worst > 1e-3


def test_wrong_statement_fails_its_symbolic_claim(derivation):
    d = _small(derivation, **{"p2.delta_z": sp.Eq(rnn.delta_z(rnn.t), rnn.delta_h(rnn.t), evaluate=False)})
    residuals = rnn.symbolic_check(d.equations, **SMALL)
    assert any(e != 0 for e in residuals["p2.delta_z"])
    assert any(e != 0 for e in residuals["p2.grad_U"])  # the error propagates to the gradients


@pytest.mark.parametrize("wrong", ["diag at h(t)", "no diag", "no output term"])
def test_a_wrong_recurrence_fails_its_claim(derivation, wrong):
    """The recurrence in delta_h alone (the book's Eq. 10.21) with a planted fault: the tanh derivative
    taken at the wrong step, left out, or the output's contribution dropped."""
    from derivations.seqnotation import Diag, Had

    t, h, ones = rnn.t, rnn.h, rnn.ONES
    recurrent = {
        "diag at h(t)": rnn.U_T * Diag(ones - Had(h(t), h(t))) * rnn.delta_h(t + 1),
        "no diag": rnn.U_T * rnn.delta_h(t + 1),
        "no output term": None,
    }[wrong]
    right = derivation.equations["p2.delta_h_recurrence"]
    rhs = Plus(rnn.V_T * rnn.delta_o(t), recurrent) if recurrent is not None else right.rhs.args[1]
    claims = {c.id: c for c in rnn.verify(_small(derivation, **{
        "p2.delta_h_recurrence": sp.Eq(right.lhs, rhs, evaluate=False)}))}
    assert not claims["p2.delta_h_recurrence"].passed
    assert claims["p2.delta_h"].passed  # only the planted statement fails


def test_verify_fails_the_claim_when_V_transpose_is_dropped(derivation):
    last, general = derivation.equations["p2.delta_h"]
    wrong = sp.Eq(general.lhs, Plus(rnn.delta_o(rnn.t), rnn.U_T * rnn.delta_z(rnn.t + 1)), evaluate=False)
    claims = {c.id: c for c in rnn.verify(_small(derivation, **{"p2.delta_h": (last, wrong)}))}
    assert not claims["p2.delta_h"].passed and "residual" in claims["p2.delta_h"].detail
    assert claims["p2.bptt_fd"].passed  # the NumPy code is still right


def test_verify_passes_and_all_claims_are_p2(derivation):
    claims = rnn.verify(_small(derivation))
    assert [c.id for c in claims if not c.passed] == []
    assert all(c.id.startswith("p2.") for c in claims) and len(claims) == 10


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("change, match", [
    (lambda p, X, T: (dict(p, U=np.zeros((2, 3))), X, T), "U must be"),
    (lambda p, X, T: (p, X[:, :1], T), "X must be"),
    (lambda p, X, T: (p, X, T[:, :1]), "T must be"),
    (lambda p, X, T: ({k: v for k, v in p.items() if k != "c"}, X, T), "lacks c"),
    (lambda p, X, T: (dict(p, b=np.full(3, np.nan)), X, T), "NaN"),
    (lambda p, X, T: (p, X, 2 * T), "one-hot"),
])
def test_bad_input_names_the_problem(change, match):
    params, X, T = rnn.random_problem(np.random.default_rng(0), D=2, H=3, K=2, steps=4)
    p, X2, T2 = change(params, X, T)
    with pytest.raises(ValueError, match=rf"Problem 2 .*{match}"):
        rnn.gradients(p, X2, T2)
