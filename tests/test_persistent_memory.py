"""Problem 10: the feedforward sublayer as attention, and the all-attention layer."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import build
from derivations import persistent_memory as P
from derivations.display import ShapeMismatch, checked_shape
from derivations.persistent_memory import checks, method
from derivations.registry import by_number


@pytest.fixture(scope="module")
def derivation():
    return P.derive()


def test_every_claim_passes(derivation):
    claims = P.verify(derivation)
    assert {c.id for c in claims} == set(derivation.equations)
    assert all(c.passed for c in claims), [(c.id, c.error, c.detail) for c in claims if not c.passed]


def test_parameter_counts_are_exact(derivation):
    p_ff, p_mem, diff = derivation.equations["p10.parameter_count"]
    assert sp.expand(p_ff.rhs - (2 * P.d * P.d_f + P.d + P.d_f)) == 0
    assert sp.expand(p_mem.rhs - 2 * P.N * P.d) == 0
    assert sp.expand(diff.rhs - (P.d + P.d_f)) == 0


def test_ff_identity_with_the_real_relu_exactly():
    """U max(0, Vx + b) + c = sum_i max(0, x.k_i + b_i) v_i + c with symbolic entries, d = 2, d_f = 3."""
    U = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"u{i}{j}", real=True))
    V = sp.Matrix(3, 2, lambda i, j: sp.Symbol(f"v{i}{j}", real=True))
    b = sp.Matrix(3, 1, lambda i, j: sp.Symbol(f"b{i}", real=True))
    c = sp.Matrix(2, 1, lambda i, j: sp.Symbol(f"c{i}", real=True))
    x = sp.Matrix(2, 1, lambda i, j: sp.Symbol(f"x{i}", real=True))
    relu = lambda z: sp.Max(0, z)  # noqa: E731
    lhs = U * (V * x + b).applyfunc(relu) + c
    rhs = sum((relu((x.T * V[i, :].T)[0] + b[i]) * U[:, i] for i in range(3)), sp.zeros(2, 1)) + c
    assert sp.simplify(lhs - rhs) == sp.zeros(2, 1)


def test_keys_as_columns_of_V_is_a_shape_error():
    s = P.ff_symbols()
    with pytest.raises(ShapeMismatch):
        checked_shape(sp.Eq(s["k"], sp.MatMul(s["V"], s["e_f"]), evaluate=False))


@settings(max_examples=40, deadline=None)
@given(d=st.integers(1, 12), df=st.integers(1, 40), seed=st.integers(0, 2**16))
def test_ff_equals_relu_attention_over_fixed_pairs(d, df, seed):
    rng = np.random.default_rng(seed)
    p = P.init_ff(d, df, rng)
    X = rng.normal(size=(3, d))
    keys, values = p["V"], p["U"].T  # rows of V, columns of U
    by_pairs = np.stack([
        sum(max(x @ keys[i] + p["b"][i], 0.0) * values[i] for i in range(df)) + p["c"] for x in X
    ])
    # two routes through the same d_f + d + 2 term sums: each within gamma_(d + d_f + 2) of the sum of
    # the terms' magnitudes (Higham); ReLU is 1-Lipschitz, so a pre-activation near 0 adds nothing
    size = (np.abs(X) @ np.abs(p["V"]).T + np.abs(p["b"])) @ np.abs(p["U"]).T + np.abs(p["c"])
    assert np.all(np.abs(P.feedforward(p, X) - by_pairs) <= 2 * P.gamma(d + df + 2) * size)


@settings(max_examples=25, deadline=None)
@given(T=st.integers(1, 6), H=st.integers(1, 3), dh=st.integers(1, 4), N=st.integers(1, 5),
       window=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_one_softmax_equals_two_mixed_softmaxes(T, H, dh, N, window, seed):
    rng = np.random.default_rng(seed)
    p = P.init_all_attention(H * dh, H, N, window, rng)
    X = rng.normal(size=(T, H * dh)) * 2
    vec, loops = P.all_attention(p, X), P.all_attention_loops(p, X)
    # the verify's round-off bound: the longest inner products (d, the window, N memory slots, d_h)
    # times the largest value (outputs are convex combinations of values)
    vmax = max(float(np.abs(np.einsum("hed,td->hte", p["W_v"], X)).max()), float(np.abs(p["M_v"]).max()))
    bound = P.gamma(H * dh + window + N + dh)
    assert np.abs(vec["y"] - loops["y"]).max() <= 4 * bound * vmax
    # K = T + N softmax weights (at most) sum to 1 within (K - 1/2) eps; the memory share and 1 - lambda
    # are two such routes (sums and a quotient), within 2 (K + 2) eps
    eps = np.finfo(float).eps
    np.testing.assert_allclose(vec["a"].sum(axis=-1), 1.0, rtol=0, atol=(T + N) * eps)
    # memory weights are the 1 - lambda share of the joint softmax
    np.testing.assert_allclose(vec["a"][..., T:].sum(axis=-1), 1 - loops["lam"], rtol=0, atol=2 * (T + N + 2) * eps)


def test_softmax_over_the_wrong_axis_fails_the_build(monkeypatch):
    def wrong(z):
        z = z - z.max(axis=-2, keepdims=True)
        e = np.exp(np.nan_to_num(z, nan=-np.inf))
        return e / e.sum(axis=-2, keepdims=True)

    monkeypatch.setattr(method, "_softmax_rows", wrong)  # all_attention looks it up in method
    out = build.solve(by_number(10), None)
    with pytest.raises(build.BuildError, match="p10.all_attention"):
        build.check_ledger([out])


def test_V_in_place_of_its_transpose_fails_the_build(monkeypatch):
    """Run on a square case the wrong FF gives wrong numbers; otherwise it fails on shapes."""
    wrong = lambda p, X: np.maximum(X @ p["V"] + p["b"], 0.0) @ p["U"].T + p["c"]  # noqa: E731
    monkeypatch.setattr(checks, "feedforward", wrong)  # verify looks it up in checks
    out = build.solve(by_number(10), None)
    with pytest.raises(build.BuildError, match="p10.keys_values"):
        build.check_ledger([out])


def test_dropped_key_bias_is_caught(derivation, monkeypatch):
    wrong = lambda p, X: np.maximum(X @ p["V"].T, 0.0) @ p["U"].T + p["c"]  # noqa: E731
    monkeypatch.setattr(checks, "feedforward", wrong)  # verify looks it up in checks
    failed = {c.id for c in P.verify(derivation) if not c.passed}
    assert failed == {"p10.keys_values"}


def test_a_wrong_printed_equation_is_caught(derivation):
    """Persistent *keys* printed among the values: the printed layer no longer matches the model."""
    import dataclasses

    a = P.attention_symbols()
    eqs = dict(derivation.equations)
    k_plus, v_plus, softmax, output = eqs["p10.all_attention"]
    wrong_values = sp.Eq(a["V_plus"], sp.BlockMatrix([[a["V_t"], a["M_k"]]]), evaluate=False)
    eqs["p10.all_attention"] = (k_plus, wrong_values, softmax, output)
    failed = {c.id for c in P.verify(dataclasses.replace(derivation, equations=eqs)) if not c.passed}
    assert failed == {"p10.all_attention"}


def test_a_wrong_printed_difference_is_caught(derivation):
    """P_FF + P_mem printed where P_FF - P_mem is meant: the printed left side is evaluated."""
    import dataclasses

    eqs = dict(derivation.equations)
    p_ff, p_mem, diff = eqs["p10.parameter_count"]
    wrong = sp.Eq(sp.Subs(p_ff.lhs + p_mem.lhs, P.N, P.d_f), diff.rhs, evaluate=False)
    eqs["p10.parameter_count"] = (p_ff, p_mem, wrong)
    failed = {c.id for c in P.verify(dataclasses.replace(derivation, equations=eqs)) if not c.passed}
    assert failed == {"p10.parameter_count"}


def test_a_zero_count_in_the_text_that_the_printed_weights_do_not_give_is_caught(derivation):
    import dataclasses

    shown = dict(derivation.context["ff_weights"], zero=derivation.context["ff_weights"]["zero"] + 1)
    wrong = dataclasses.replace(derivation, context=dict(derivation.context, ff_weights=shown))
    failed = {c.id for c in P.verify(wrong) if not c.passed}
    assert failed == {"p10.keys_values"}


def test_a_wrong_printed_lambda_is_caught(derivation):
    """lambda_t = Z_ctx (Z_ctx + Z_mem) printed instead of the ratio: the printed mixture is evaluated."""
    import dataclasses

    a = P.attention_symbols()
    eqs = dict(derivation.equations)
    mix, lam = eqs["p10.split_softmax"]
    wrong = sp.Eq(a["lam"], a["Z_ctx"] * (a["Z_ctx"] + a["Z_mem"]), evaluate=False)
    eqs["p10.split_softmax"] = (mix, wrong)
    failed = {c.id for c in P.verify(dataclasses.replace(derivation, equations=eqs)) if not c.passed}
    assert failed == {"p10.split_softmax"}


def test_gamma_is_highams_bound():
    u = np.finfo(float).eps / 2
    assert P.gamma(1) == u / (1 - u) and P.gamma(10) == 10 * u / (1 - 10 * u)


def test_the_softmax_step_catches_a_wrong_printed_memory():
    """p10.ff_softmax: keys as the columns of V (not of V^T), values from V, or a missing softmax fail."""
    from tests.conftest import with_statement

    derivation = P.derive()
    main, keys, values = derivation.equations["p10.ff_softmax"]
    s = P.derivation.ff_symbols()
    wrong = [
        (main, sp.Eq(keys.lhs, s["V"].T * 2, evaluate=False), values),  # a factor 2 on the keys
        (main, keys, sp.Eq(values.lhs, 2 * s["U"], evaluate=False)),  # a factor 2 on the values
        (sp.Eq(main.lhs, values.lhs * keys.lhs.T * s["x"], evaluate=False), keys, values),  # no softmax
    ]
    for statement in wrong:
        claims = {c.id: c for c in P.verify(with_statement(derivation, "p10.ff_softmax", statement))}
        assert not claims["p10.ff_softmax"].passed
