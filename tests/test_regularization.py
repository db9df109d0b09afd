"""Problems 5 and 6 (derivations.regularization): exact identities, independent numeric routes,
properties of the shrinkage maps, and deliberately wrong formulas that the checks must catch."""

from dataclasses import replace

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations import regularization
from derivations.regularization import checks as checks_l2
from derivations.regularization import checks_l1, derivation_l1
from derivations.regularization import derivation as derivation_l2
from derivations.regularization import ridge_solution, soft_threshold


@pytest.fixture(scope="module")
def l2():
    return regularization.derive_l2()


@pytest.fixture(scope="module")
def l1():
    return regularization.derive_l1()


def _failed(claims):
    return {c.id for c in claims if not c.passed}


# --------------------------------------------------------------------------- symbolic


def test_stationary_point_equals_closed_form_exactly():
    for n in (2, 3):
        solution, (_, w_star, H) = derivation_l2.solve_stationary(n)
        residual = solution - checks_l2.closed_form_710(H, w_star)
        assert residual.applyfunc(sp.cancel) == sp.zeros(n, 1)


def test_matrix_calculus_gradient_is_alpha_w_plus_H_times_difference():
    _, gradient = derivation_l2.gradient_by_matrix_calculus()
    w, w_star, _, H, _ = derivation_l2._symbols(derivation_l2.N)
    difference = sp.expand(gradient - (derivation_l2.ALPHA * w + H * (w - w_star)))
    assert difference == sp.ZeroMatrix(derivation_l2.N, 1) or sp.simplify(difference) == 0


def test_piecewise_minimiser_is_the_soft_threshold():
    a, h, c = derivation_l2.ALPHA, derivation_l1.H, derivation_l1.C
    pw, cases, (right, left) = derivation_l1.minimise_piecewise()
    assert cases["positive"][0] == c - a / h and cases["negative"][0] == c + a / h
    assert sp.simplify(right - (a - h * c)) == 0 and sp.simplify(left - (-a - h * c)) == 0
    t = sp.Symbol("t", positive=True)
    assert checks_l1._evaluate_piecewise(pw, a / h + t) == t
    stated = derivation_l1.eq_723(derivation_l1.WS_I, derivation_l1.H_II, a)
    assert checks_l1._plain(stated, -a / h - t) == -t


def test_all_claims_pass(l1, l2):
    claims = regularization.verify_l2(l2) + regularization.verify_l1(l1)
    assert not _failed(claims)
    assert all(c.id.startswith(("p5.", "p6.")) for c in claims)
    assert {c.id for c in claims} >= {"p5.ridge", "p5.eigen", "p6.soft_threshold", "p6.exact_zeros"}


# --------------------------------------------------------------------------- numeric, other routes


def test_ridge_solution_matches_augmented_least_squares():
    # min alpha/2 |w|^2 + 1/2 |H^(1/2)(w - w*)|^2 is the least-squares problem [H^(1/2); sqrt(alpha) I] w ~ [H^(1/2) w*; 0]
    rng = np.random.default_rng(0)
    for n in (1, 2, 4, 7):
        Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
        lam = rng.uniform(0.1, 10, size=n)
        H, root = Q @ np.diag(lam) @ Q.T, Q @ np.diag(np.sqrt(lam)) @ Q.T
        alpha, w_star = 0.7, rng.normal(size=n)
        A = np.vstack([root, np.sqrt(alpha) * np.eye(n)])
        b = np.concatenate([root @ w_star, np.zeros(n)])
        expected = np.linalg.lstsq(A, b, rcond=None)[0]
        np.testing.assert_allclose(ridge_solution(H, alpha, w_star), expected, rtol=1e-10, atol=1e-12)


def test_soft_threshold_matches_golden_section_and_gives_exact_zeros():
    w_star = np.array([3.0, -0.5, -2.0, 0.25, 1.0, 0.0])
    h = np.array([1.0, 1.0, 2.0, 4.0, 2.0, 3.0])
    out = soft_threshold(w_star, h, 1.0)
    np.testing.assert_array_equal(out, [2.0, 0.0, -1.5, 0.0, 0.5, 0.0])  # exact: dyadic inputs, one - and max
    assert not np.any(np.signbit(out[out == 0]))  # +0.0, not -0.0
    brute = checks_l1.golden_section(w_star, h, np.ones_like(h))
    np.testing.assert_allclose(out, brute, atol=1e-7)


# --------------------------------------------------------------------------- properties

finite = st.floats(-10, 10, allow_nan=False, allow_subnormal=False)  # H w/(H + a) of a subnormal can round to 0
positive = st.floats(0.05, 20, allow_nan=False)
alphas = st.floats(0, 10, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(finite, positive), min_size=1, max_size=8), alphas)
def test_shrinkage_never_increases_magnitude_nor_flips_sign(pairs, alpha):
    w_star, h = (np.array(x) for x in zip(*pairs))
    for out in (soft_threshold(w_star, h, alpha), regularization.l2_shrink_diagonal(w_star, h, alpha)):
        assert np.all(np.abs(out) <= np.abs(w_star))
        assert np.all(out * w_star >= 0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(finite, positive), min_size=1, max_size=8), alphas)
def test_zeros_exactly_where_predicted(pairs, alpha):
    w_star, h = (np.array(x) for x in zip(*pairs))
    out = soft_threshold(w_star, h, alpha)
    # exact: both sides compare |w*| with the same correctly rounded alpha/h, and the IEEE difference
    # |w*| - alpha/h is <= 0 exactly when |w*| <= alpha/h
    np.testing.assert_array_equal(out == 0.0, np.abs(w_star) <= alpha / h)
    l2_zero = regularization.l2_shrink_diagonal(w_star, h, alpha) == 0.0
    np.testing.assert_array_equal(l2_zero, w_star == 0.0)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 6), st.integers(0, 2**32 - 1), st.floats(0, 5))
def test_ridge_is_stationary_and_shrinks_each_eigen_component(n, seed, alpha):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    lam = rng.uniform(0.1, 10, size=n)
    H, w_star = Q @ np.diag(lam) @ Q.T, rng.normal(size=n)
    w = ridge_solution(H, alpha, w_star)
    # a solve's residual is ~n cond(H + alpha I) eps (< 1e-12 here) of the right side; 1e-9 leaves room
    np.testing.assert_allclose(alpha * w + H @ (w - w_star), 0, atol=1e-9 * (1 + np.abs(H @ w_star).max()))
    # each eigen-component shrinks (by lambda/(lambda + alpha) <= 1: equality at alpha = 0, so the
    # comparison needs the round-off of the solve and the rotation, 10 n cond eps max|w*|)
    slack = 10 * n * np.linalg.cond(H + alpha * np.eye(n)) * np.finfo(float).eps * np.abs(w_star).max()
    assert np.all(np.abs(Q.T @ w) <= np.abs(Q.T @ w_star) + slack)


def test_alpha_zero_is_the_identity():
    H, w = np.array([[2.0, 0.5], [0.5, 1.0]]), np.array([1.0, -3.0])
    np.testing.assert_allclose(ridge_solution(H, 0.0, w), w)
    np.testing.assert_array_equal(soft_threshold(w, np.diag(H), 0.0), w)  # exact: sign(w) max(|w| - 0, 0) is w


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: ridge_solution(np.array([[1.0, 0], [0, -1.0]]), 1.0, np.ones(2)), "positive definite"),
        (lambda: ridge_solution(np.array([[1.0, 2.0], [0.0, 1.0]]), 1.0, np.ones(2)), "symmetric"),
        (lambda: ridge_solution(np.eye(2), -0.1, np.ones(2)), "alpha must be"),
        (lambda: ridge_solution(np.eye(2), 1.0, np.ones(3)), "shape mismatch"),
        (lambda: ridge_solution(np.ones(3), 1.0, np.ones(3)), "square matrix"),
        (lambda: soft_threshold(np.ones(2), np.array([1.0, 0.0]), 1.0), "h_diag must be > 0"),
        (lambda: soft_threshold(np.ones(2), np.ones(3), 1.0), "shape mismatch"),
        (lambda: soft_threshold(np.ones(2), np.ones(2), float("nan")), "alpha must be"),
        (lambda: soft_threshold(np.ones(2), np.ones(2), -1.0), "alpha must be"),
    ],
)
def test_bad_input_raises_value_error_naming_the_problem(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------------------------- wrong formulas are caught


def test_alpha_in_place_of_alpha_over_H_is_caught(l1, monkeypatch):
    def wrong(w_star, h_diag, alpha):
        w = np.asarray(w_star, float)
        return np.sign(w) * np.maximum(np.abs(w) - alpha, 0.0)

    monkeypatch.setattr(checks_l1, "soft_threshold", wrong)  # where verify_l1 looks it up
    assert {"p6.brute_force", "p6.exact_zeros", "p6.lasso_path"} <= _failed(regularization.verify_l1(l1))


def test_printed_eq_723_without_H_is_caught(monkeypatch):
    from derivations.display import InOrder, MaxOf, Product, Sign

    monkeypatch.setattr(derivation_l1, "eq_723", lambda c, h, alpha: Product(Sign(c), MaxOf(InOrder(sp.Abs(c), -alpha), 0)))
    assert "p6.soft_threshold" in _failed(regularization.verify_l1(regularization.derive_l1()))


def _with(derivation, claim_id, statement):
    return replace(derivation, equations={**derivation.equations, claim_id: statement})


def test_printed_cases_that_overlap_are_caught(l1):
    # the third condition printed as w* < alpha/H (sign dropped): it overlaps the middle case
    wi, ws, h, a = derivation_l1.W_I, derivation_l1.WS_I, derivation_l1.H_II, derivation_l2.ALPHA
    wrong = sp.Eq(wi, sp.Piecewise((ws - a / h, ws > a / h), (0, sp.Abs(ws) <= a / h), (ws + a / h, ws < a / h)))
    assert _failed(regularization.verify_l1(_with(l1, "p6.cases", wrong))) == {"p6.cases"}


def test_printed_l2_diagonal_without_H_is_caught(l1):
    wrong = sp.Eq(sp.Symbol("w"), 1 / (derivation_l1.H_II + derivation_l2.ALPHA) * derivation_l1.WS_I)
    assert {"p6.l2_diagonal", "p6.l2_numeric"} <= _failed(regularization.verify_l1(_with(l1, "p6.l2_diagonal", wrong)))


def test_wrong_l2_shrink_in_the_figures_is_caught(monkeypatch):
    # the figures' L2 curves are made by derive_l1, which looks the function up in derivation_l1
    monkeypatch.setattr(derivation_l1, "l2_shrink_diagonal", lambda w, h, a: np.asarray(w) * h / (h + 2 * a))
    assert "p6.l2_numeric" in _failed(regularization.verify_l1(regularization.derive_l1()))


def test_ridge_without_alpha_is_caught(l2, monkeypatch):
    wrong = lambda H, alpha, w: np.linalg.solve(H, H @ w)  # noqa: E731
    # verify_l2 (checks) and derive_l2 (derivation, the figure) each look the function up in their own module
    monkeypatch.setattr(checks_l2, "ridge_solution", wrong)
    monkeypatch.setattr(derivation_l2, "ridge_solution", wrong)
    assert {"p5.ridge_bfgs", "p5.eigen_numeric"} <= _failed(regularization.verify_l2(l2))
    # derived under the wrong function, the figure's numbers are wrong too
    assert {"p5.figure", "p5.figure_coords"} <= _failed(regularization.verify_l2(regularization.derive_l2()))


def test_printed_closed_form_without_alpha_is_caught(monkeypatch):
    wrong = lambda H, I, w: sp.MatMul(sp.Inverse(H), H, w)  # noqa: E731
    # the printed statement (derive_l2) and its evaluation on explicit matrices (closed_form_710 in checks)
    monkeypatch.setattr(derivation_l2, "ridge_expression", wrong)
    monkeypatch.setattr(checks_l2, "ridge_expression", wrong)
    assert {"p5.ridge", "p5.eigen", "p5.factor"} <= _failed(regularization.verify_l2(regularization.derive_l2()))


def test_printed_eigen_form_without_transpose_is_caught(l2):
    stated = l2.equations["p5.eigen"]
    Q = sp.MatrixSymbol("Q", derivation_l2.N, derivation_l2.N)
    wrong = sp.Eq(stated.lhs, stated.rhs.xreplace({Q.T: Q}), evaluate=False)
    assert _failed(regularization.verify_l2(_with(l2, "p5.eigen", wrong))) == {"p5.eigen"}


def test_eigen_coordinates_without_transpose_are_caught(l2):
    H, Q, _, _, w_star, w_tilde = derivation_l2.figure_case()
    stated = l2.equations["p5.figure_coords"]
    # the printed rows w^T Q with the values of w^T Q^T (coordinates along the rows of Q)
    wrong = tuple(
        sp.Eq(e.lhs, sp.ImmutableMatrix(np.round(Q @ v, 3).reshape(1, 2)), evaluate=False) for e, v in zip(stated, (w_star, w_tilde))
    )
    assert _failed(regularization.verify_l2(_with(l2, "p5.figure_coords", wrong))) == {"p5.figure_coords"}
    # the printed left side w~^T Q^T in place of w~^T Q
    first, second = l2.equations["p5.figure_coords"]
    Q2 = sp.MatrixSymbol("Q", 2, 2)
    wrong = (first, sp.Eq(second.lhs.xreplace({Q2: Q2.T}), second.rhs, evaluate=False))
    assert _failed(regularization.verify_l2(_with(l2, "p5.figure_coords", wrong))) == {"p5.figure_coords"}


def test_wrong_soft_threshold_fails_the_build(monkeypatch, capsys, tmp_path):
    import build

    def wrong(w_star, h_diag, alpha):
        w = np.asarray(w_star, float)
        return np.sign(w) * np.maximum(np.abs(w) - alpha, 0.0)

    monkeypatch.setattr(derivation_l1, "soft_threshold", wrong)  # the figures
    monkeypatch.setattr(checks_l1, "soft_threshold", wrong)  # the checks
    args = ["--problems", "6", "--verify-only", "--jobs", "1", "--no-cache", "--cache-dir", str(tmp_path / "c")]
    code = build.main(args + ["--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == build.EXIT_CHECK
    assert "p6.brute_force" in err and "derivations.regularization.checks_l1:verify_l1" in err


def test_printed_eigen_sum_with_a_wrong_factor_is_caught(l2):
    # the sum over eigenvectors with alpha/(lambda + alpha), the share the penalty removes, as the factor
    from derivations.display import IndexedSum

    stated = l2.equations["p5.eigen_numeric"]
    (term, i, lo, hi) = stated.rhs.args
    lam = sp.Symbol(r"\lambda_i", positive=True)
    wrong_term = term.xreplace({lam / (lam + derivation_l2.ALPHA): derivation_l2.ALPHA / (lam + derivation_l2.ALPHA)})
    assert wrong_term != term
    wrong = sp.Eq(stated.lhs, IndexedSum(wrong_term, i, lo, hi), evaluate=False)
    assert _failed(regularization.verify_l2(_with(l2, "p5.eigen_numeric", wrong))) == {"p5.eigen_numeric"}


def test_zero_case_is_printed_as_an_absolute_bound_and_a_wrong_one_is_caught(monkeypatch):
    from derivations.display import plain

    a, h, c = derivation_l2.ALPHA, derivation_l1.H, derivation_l1.C
    _, cases, (right, left) = derivation_l1.minimise_piecewise()
    assert cases["zero"][1] == sp.Le(sp.Abs(c), a / h)
    assert cases["positive"][1] == sp.Gt(c, a / h)  # solved for c, as a person writes it
    assert plain(right) == a - h * c and plain(left) == -a - h * c
    with pytest.raises(ValueError, match="symmetric bound"):
        derivation_l1._as_abs_bound(sp.And(c >= -a / h, c <= 2 * a / h), c)
    # a strict bound: on the threshold itself no printed case holds
    monkeypatch.setattr(derivation_l1, "_as_abs_bound", lambda cond, x: sp.Lt(sp.Abs(x), a / h))
    assert "p6.cases" in _failed(regularization.verify_l1(regularization.derive_l1()))


def test_printed_one_sided_derivative_with_a_wrong_sign_is_caught(monkeypatch):
    from derivations.display import InOrder

    def flipped(expr):  # alpha - h c printed as -alpha - h c
        return InOrder(*sorted((-t if t.has(derivation_l2.ALPHA) else t for t in sp.Add.make_args(expr)),
                               key=lambda t: not t.has(derivation_l2.ALPHA)))

    monkeypatch.setattr(derivation_l1, "_alpha_first", flipped)
    assert "p6.cases" in _failed(regularization.verify_l1(regularization.derive_l1()))


def test_figure_drawing_another_penalty_is_caught(l2):
    # Figure 1a's dotted circles from alpha/2 (x^3 + y^3) instead of the penalty alpha/2 |w|^2
    (fig, *rest) = l2.figures
    assert fig.name == "p05_fig71"
    data = {**fig.data, "penalty": 0.5 * fig.data["alpha"] * (fig.data["X"] ** 3 + fig.data["Y"] ** 3)}
    wrong = replace(l2, figures=(replace(fig, data=data), *rest))
    assert _failed(regularization.verify_l2(wrong)) == {"p5.figure"}
