"""Problem 9: the input-feeding decoder, its printed equations and their checks."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import build
from derivations import attention as A
from derivations.attention import method
from derivations.attention.experiment import _random_problem
from derivations.display import _column_softmax
from derivations.registry import by_number


@pytest.fixture(scope="module")
def derivation():
    return A.derive()


def test_every_claim_passes(derivation):
    claims = A.verify(derivation)
    assert {c.id for c in claims} == set(derivation.equations)
    assert all(c.passed for c in claims), [(c.id, c.error) for c in claims if not c.passed]


def test_parameter_count_is_exact(derivation):
    d, n, V, L = A.d, A.n, A.V, A.L
    by_hand = 4 * n * (d + 2 * n) + 4 * n + (L - 1) * (8 * n**2 + 4 * n) + d * V + n**2 + 2 * n**2 + V * n
    assert sp.expand(derivation.equations["p9.parameter_count"].rhs - by_hand) == 0


def test_vector_scores_are_the_general_scores_exactly(derivation):
    """Entry s of Hbar^T W_a^T h is h^T W_a hbar_s, for symbolic 3 x 3 matrices and S = 2."""
    sym = A.decoder_symbols()
    Wa = sp.Matrix(3, 3, lambda i, j: sp.Symbol(f"w{i}{j}"))
    h = sp.Matrix(3, 1, lambda i, j: sp.Symbol(f"h{i}"))
    Hb = sp.Matrix(3, 2, lambda i, j: sp.Symbol(f"g{i}{j}"))
    env = {sym["W_a"].name: Wa, sym["h"].name: h, sym["Hbar"].name: Hb}
    ident = {r"\softmax": lambda M: M}
    vector = A.evaluate(derivation.equations["p9.alignment"].rhs.arg, env, ident)
    for s in range(2):
        env[sym["hbar_s"].name] = Hb[:, s]
        scalar = A.evaluate(derivation.equations["p9.score_general"].rhs, env, ident)
        assert sp.expand(vector[s, 0] - scalar[0, 0]) == 0


def test_shape_checker_rejects_a_wrong_matrix():
    sym = A.decoder_symbols()
    wrong = sp.MatrixSymbol("W_c", A.n, A.n)  # needs 2n columns for [c_t; h_t]
    with pytest.raises(A.ShapeMismatch, match="columns"):
        A.checked_shape(sp.MatMul(wrong, sp.BlockMatrix([[sym["c"]], [sym["h"]]])))
    with pytest.raises(A.ShapeMismatch):
        A.checked_shape(sp.Eq(sym["a"], sp.MatMul(sym["Hbar"], sym["a"]), evaluate=False))


def test_context_is_the_weighted_sum_by_loops():
    sizes = {"d": 3, "n": 4, "S": 5, "V": 6, "L": 1, "B": 2, "T": 1}
    params, Hbar, _, _, _ = _random_problem(sizes, 7)
    h = np.random.default_rng(8).normal(size=(2, 4))
    out = A.attention_step(params, h, Hbar)
    for b in range(2):
        scores = [h[b] @ params["W_a"] @ Hbar[b, s] for s in range(5)]
        w = np.exp(np.array(scores) - max(scores))
        w /= w.sum()
        c = sum(w[s] * Hbar[b, s] for s in range(5))
        # the scores are n^2-term sums computed in two orders: absolute round-off ~n^2 eps times the
        # size of their terms, which exp turns into that relative error of the weights; the context
        # adds S eps of max |Hbar|
        size = max(np.abs(h[b]) @ np.abs(params["W_a"]) @ np.abs(Hbar[b, s]) for s in range(5))
        tol = 2 * (4 * 4 + 5 + 4) * np.finfo(float).eps * (1 + size)
        np.testing.assert_allclose(out["a"][b], w, rtol=tol, atol=0)
        np.testing.assert_allclose(out["c"][b], c, rtol=0, atol=(tol + 5 * np.finfo(float).eps) * np.abs(Hbar[b]).max())


@settings(max_examples=30, deadline=None)
@given(B=st.integers(1, 4), S=st.integers(1, 9), n=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_alignment_is_a_distribution_and_context_a_convex_combination(B, S, n, seed):
    rng = np.random.default_rng(seed)
    params = A.init_params({"d": 2, "n": n, "V": 3, "L": 1}, rng)
    Hbar = rng.normal(size=(B, S, n)) * 3
    out = A.attention_step(params, rng.normal(size=(B, n)) * 3, Hbar)
    assert (out["a"] >= 0).all()
    eps = np.finfo(float).eps
    # sum of S softmax weights: within (S - 1/2) eps of 1 (denominator, divisions, outer sum)
    np.testing.assert_allclose(out["a"].sum(axis=1), 1.0, rtol=0, atol=S * eps)
    # a convex combination with weights summing to 1 +- S eps: inside [min, max] up to 2 S eps max |Hbar|
    slack = 2 * S * eps * np.abs(Hbar).max()
    assert (out["c"] <= Hbar.max(axis=1) + slack).all() and (out["c"] >= Hbar.min(axis=1) - slack).all()


def _failed(claims):
    return {c.id for c in claims if not c.passed}


def test_softmax_over_the_wrong_axis_is_caught(derivation, monkeypatch):
    # over the batch; attention_step looks softmax up in method
    monkeypatch.setattr(method, "softmax", lambda z, axis=-1: _column_softmax(z))
    assert {"p9.alignment", "p9.output", "p9.normalised"} <= _failed(A.verify(derivation))


def test_W_a_in_place_of_its_transpose_is_caught(derivation, monkeypatch):
    right = A.attention_step

    def wrong(params, h, Hbar):
        return right(dict(params, W_a=params["W_a"].T), h, Hbar)

    monkeypatch.setattr(method, "attention_step", wrong)  # decode looks it up in method
    assert "p9.score_general" in _failed(A.verify(derivation))


def test_a_wrong_lstm_cell_fails_the_build(monkeypatch):
    """m_t = f * m_{t-1} + g (the input gate dropped): the build stops and names the claim."""

    def wrong(W, b, x, h, m):
        xh = np.concatenate([x, h], axis=1)
        f = A.sigmoid(xh @ W["f"].T + b["f"])
        o = A.sigmoid(xh @ W["o"].T + b["o"])
        g = np.tanh(xh @ W["g"].T + b["g"])
        m_new = f * m + g
        return o * np.tanh(m_new), m_new

    monkeypatch.setattr(method, "lstm_step", wrong)  # decode looks it up in method
    out = build.solve(by_number(9), None)
    assert out.crash is None
    with pytest.raises(build.BuildError, match="p9.lstm_layer"):
        build.check_ledger([out])


def test_a_wrong_printed_equation_is_caught(derivation):
    """The report's alignment printed with W_a instead of W_a^T no longer matches the decoder."""
    import dataclasses

    sym = A.decoder_symbols()
    eqs = dict(derivation.equations)
    eqs["p9.alignment"] = sp.Eq(
        sym["a"], A.Elementwise(r"\softmax", sp.MatMul(sym["Hbar"].T, sym["W_a"], sym["h"])), evaluate=False
    )
    assert "p9.alignment" in _failed(A.verify(dataclasses.replace(derivation, equations=eqs)))


def test_a_printed_sum_over_the_wrong_range_is_caught(derivation):
    """sum_{s=2}^{S} a_t(s) = 1 is false: the check walks the printed range on the decoder's arrays."""
    import dataclasses

    s = sp.Symbol("s")
    first, second = derivation.equations["p9.normalised"]
    wrong = sp.Eq(sp.Sum(first.lhs.function, (s, 2, A.S)), 1, evaluate=False)
    eqs = dict(derivation.equations, **{"p9.normalised": (wrong, second)})
    assert _failed(A.verify(dataclasses.replace(derivation, equations=eqs))) == {"p9.normalised"}


def test_part_ii_numbers_are_those_of_the_printed_decoder(derivation):
    """A feedback number in the text that the printed equations do not reproduce fails p9.input_feeding."""
    import dataclasses

    feedback = dict(derivation.context["feedback"], **{"with": derivation.context["feedback"]["with"] * 1.01})
    wrong = dataclasses.replace(derivation, context=dict(derivation.context, feedback=feedback))
    assert _failed(A.verify(wrong)) == {"p9.input_feeding"}


def test_the_count_is_printed_grouped_and_a_wrong_group_is_caught(derivation):
    """The count prints as a person groups it; a wrong grouping (3n^2 -> 2n^2) fails the check."""
    import dataclasses

    from derivations.display import InOrder, Product
    from derivations.tex import tex

    statement = derivation.equations["p9.parameter_count"]
    assert tex(statement.rhs) == (r"4 L n \left(2 n + 1\right) + 4 d n + 3 n^{2} + "
                                  r"\left(d + n\right) |\mathcal{V}|")
    d, n, V, L = A.d, A.n, A.V, A.L
    wrong = InOrder(Product(4, L, n, 2 * n + 1), 4 * d * n, 2 * n**2, Product(d + n, V))
    eqs = dict(derivation.equations, **{"p9.parameter_count": sp.Eq(statement.lhs, wrong, evaluate=False)})
    assert _failed(A.verify(dataclasses.replace(derivation, equations=eqs))) == {"p9.parameter_count"}


def test_the_cell_update_is_printed_as_written_and_a_swapped_gate_is_caught(derivation):
    """m = f * m_{t-1} + i * g prints in that order; printing o in place of i fails p9.lstm_layer."""
    import dataclasses

    from derivations.display import MatInOrder
    from derivations.tex import tex

    sym = A.decoder_symbols()
    cell = derivation.equations["p9.lstm_layer"][4]
    assert tex(cell.rhs) == (r"\mathbf{f}_{t}^{(l)} \odot \mathbf{m}_{t-1}^{(l)} + "
                             r"\mathbf{i}_{t}^{(l)} \odot \mathbf{g}_{t}^{(l)}")
    wrong = sp.Eq(cell.lhs, MatInOrder(sp.HadamardProduct(sym["gate_f"], sym["m_prev"], evaluate=False),
                                       sp.HadamardProduct(sym["gate_o"], sym["gate_g"], evaluate=False)),
                  evaluate=False)
    lstm = list(derivation.equations["p9.lstm_layer"])
    lstm[4] = wrong
    eqs = dict(derivation.equations, **{"p9.lstm_layer": tuple(lstm)})
    assert "p9.lstm_layer" in _failed(A.verify(dataclasses.replace(derivation, equations=eqs)))


def test_input_and_recurrent_weights_swapped_is_a_shape_error():
    """U x + W h: U has n columns, x has d_l rows; the shape checker refuses it for all sizes."""
    sym = A.decoder_symbols()
    with pytest.raises(A.ShapeMismatch):
        A.checked_shape(sp.MatAdd(sym["U_i"] * sym["x"], sym["W_i"] * sym["h_prev"], evaluate=False))


def test_a_wrong_printed_shape_in_the_text_is_caught(derivation):
    """The text lists E in R^{|V| x d} (rows and columns swapped), or W_c with n columns: the shapes,
    read back from the LaTeX, no longer match the arrays the decoder allocates."""
    import dataclasses

    for i, old, new in ((0, r"d \times |\mathcal{V}|", r"|\mathcal{V}| \times d"),
                        (5, r"n \times 2 n", r"n \times n")):
        spaces = list(derivation.context["params"])
        assert old in spaces[i]
        spaces[i] = spaces[i].replace(old, new)
        wrong = dataclasses.replace(derivation, context=dict(derivation.context, params=spaces))
        assert _failed(A.verify(wrong)) == {"p9.parameter_count"}
