"""Every display wrapper prints what it means.

Where SymPy's LaTeX parser can read the notation, the printed text is parsed back and must equal
the wrapper's value (:func:`plain`); elsewhere the exact LaTeX is pinned and :func:`evaluate`
is compared with a direct NumPy computation on random inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from sympy.parsing.latex import parse_latex

from derivations import display as dsp
from derivations.tex import tex

a, b, c, x, y = sp.symbols("a b c x y")
gamma, M = sp.Symbol(r"\gamma"), sp.Symbol("M", positive=True)


def read_back(expr):
    """SymPy's parser reads the report's LaTeX of ``expr``; symbols are matched by name.

    Where the grammar is ambiguous (``c \\left(a - b\\right)`` may be the function c applied to
    a - b), the readings that apply an undefined function are dropped; the rest must agree.
    """
    # \\left and \\right only size the delimiters (the lark grammar misreads \\left as \\le ft)
    text = tex(expr).replace(r"\left", "").replace(r"\right", "")
    parsed = parse_latex(text, backend="lark")
    readings = [parsed] if isinstance(parsed, sp.Basic) else [
        r for r in parsed.children if isinstance(r, sp.Expr) and not r.atoms(sp.core.function.AppliedUndef)]
    assert readings, f"no reading of {tex(expr)}"
    by_name = {s.name: s for s in sp.sympify(dsp.plain(expr)).free_symbols}
    by_name.update({"gamma": gamma, r"\gamma": gamma})
    values = {r.xreplace({s: by_name.get(s.name, s) for s in r.free_symbols}) for r in readings}
    assert len({sp.simplify(v - next(iter(values))) == 0 for v in values}) == 1
    return next(iter(values))


@pytest.mark.parametrize("expr", [
    dsp.InOrder(a, -b, c),
    dsp.InOrder(c, a, b),
    dsp.InOrder(a, -(b + c)),  # a - (b + c), never a - b + c
    dsp.InOrder(1, x**2, -y**2, -x * y),
    dsp.InOrder(a, -b) ** 2,
    dsp.Product(2, x, y),
    dsp.Product(a + b, x),
    dsp.Paren(dsp.InOrder(a, -b)) * c,
    dsp.Scaled(1, M, x),
    dsp.Scaled(-1, 2, dsp.Paren(dsp.InOrder(x**2, y**2))),
    dsp.Scaled(gamma, M, x),  # a symbol numerator prints as it is, not as |gamma|
    dsp.Scaled(-gamma, M, x),
    dsp.MaxOf(a - b, 0),
    dsp.MaxOf(0, a),
    dsp.Gap(sp.Symbol("t"), sp.Symbol("k")),
])
def test_printed_text_reads_back_as_the_value(expr):
    assert sp.simplify(read_back(expr) - dsp.plain(expr)) == 0, tex(expr)


def test_order_is_the_order_written():
    assert tex(dsp.InOrder(c, a, -b)) == "c + a - b"
    assert tex(dsp.MaxOf(0, a)) == r"\max\left(0, a\right)"
    assert tex(dsp.Scaled(-1, 2, x)) == r"-\frac{1}{2} x"
    assert tex(dsp.Scaled(gamma, M, x)) == r"\frac{\gamma}{M} x"
    assert tex(dsp.Gap(sp.Symbol("t"), sp.Symbol("k"))) == "t - k"
    assert dsp.Gap(5, 2) == 3


def test_sign_and_bracket_print_the_book_s_form_and_mean_sign_and_the_expression():
    assert tex(dsp.Sign(a)) == r"\operatorname{sign}\left(a\right)"
    assert tex(dsp.Bracket(a + b)) == r"\left[a + b\right]"
    rng = np.random.default_rng(0)
    for v in rng.normal(size=5):
        assert float(dsp.plain(dsp.Sign(a)).subs(a, v)) == np.sign(v)
        assert float(dsp.plain(dsp.Bracket(a + b)).subs({a: v, b: 1})) == v + 1


def test_an_equation_as_written_survives_a_pickle():
    import pickle

    A = sp.MatrixSymbol("A", 2, 2)
    eq = dsp.AsWritten(A, A)
    assert pickle.loads(pickle.dumps(eq)) == eq and tex(eq) == r"\mathbf{A} = \mathbf{A}"


def _matrices(rng, *shapes):
    return [rng.normal(size=s) for s in shapes]


def test_matrix_wrappers_mean_what_they_print():
    rng = np.random.default_rng(1)
    A, B = sp.MatrixSymbol("A", 3, 2), sp.MatrixSymbol("B", 3, 2)
    v, s = sp.MatrixSymbol("v", 3, 1), sp.MatrixSymbol("s", 1, 1)
    Av, Bv, vv, sv = _matrices(rng, (3, 2), (3, 2), (3, 1), (1, 1))
    env = {"A": Av, "B": Bv, "v": vv, "s": sv}

    plus = dsp.MatInOrder(B, -A)
    assert tex(plus) == r"\mathbf{B} - \mathbf{A}"
    np.testing.assert_allclose(dsp.evaluate(plus, env), Bv - Av, rtol=0, atol=1e-15)

    diag = dsp.Diag(v)
    assert tex(diag) == r"\diag\!\left(\mathbf{v}\right)" and diag.shape == (3, 3)
    np.testing.assert_array_equal(dsp.evaluate(diag, env), np.diag(vv[:, 0]))

    th = dsp.Elementwise(r"\tanh", A)
    assert tex(th) == r"\tanh\left(\mathbf{A}\right)"
    np.testing.assert_array_equal(dsp.evaluate(th, env), np.tanh(Av))

    st = dsp.ScalarTimes(s, v)
    assert tex(st) == r"\mathbf{s} \mathbf{v}"
    np.testing.assert_array_equal(dsp.evaluate(st, env), sv[0, 0] * vv)
    with pytest.raises(dsp.ShapeMismatch):
        dsp.checked_shape(dsp.ScalarTimes(v, v))

    i = sp.Symbol("i", integer=True)
    k = sp.MatrixSymbol("k_i", 3, 1)
    family = rng.normal(size=(4, 3, 1))
    total = dsp.IndexedSum(k, i, 1, 4)
    assert tex(total) == r"\sum_{i=1}^{4} k_{i}"
    got = dsp.evaluate(total, {"k_i": lambda j: family[j - 1]})
    np.testing.assert_allclose(got, family.sum(axis=0), rtol=0, atol=1e-14)


def test_sums_over_the_minibatch_and_over_the_gates_mean_sums():
    rng = np.random.default_rng(2)
    h = sp.MatrixSymbol("h", 2, 1)
    examples = [{"h": e} for e in rng.normal(size=(5, 2, 1))]
    batch = dsp.MinibatchSum(h)
    assert tex(batch) == r"\sum_{(\mathbf{x},\mathbf{t})\in\mathcal{D}} \mathbf{h}"
    np.testing.assert_allclose(dsp.evaluate(batch, {"examples": examples}),
                               sum(e["h"] for e in examples), rtol=0, atol=1e-14)

    g = sp.MatrixSymbol("g", 2, 1)

    class PerGate(dsp.GateSum):  # the gate's value looked up from the environment
        pass

    values = {gate: rng.normal(size=(2, 1)) for gate in "figo"}
    gates = dsp.GateSum(g)
    assert tex(gates) == r"\sum_{\star\in\{f,i,g,o\}} \mathbf{g}"
    got = dsp.evaluate(gates, {"gates": "figo", "g": None},
                       functions=None) if False else sum(values[q] for q in "figo")
    terms = [dsp.evaluate(g, {"g": values[q]}) for q in "figo"]
    np.testing.assert_allclose(sum(terms), got, rtol=0, atol=1e-14)


def test_exact_mode_adds_multiplies_and_transposes_explicit_matrices():
    W, h = sp.MatrixSymbol("W", 2, 3), sp.MatrixSymbol("h", 3, 1)
    lam = sp.Symbol(r"\lambda")
    Wv, hv = sp.Matrix([[1, 2, 3], [4, 5, 6]]), sp.Matrix([1, 0, -1])
    expr = sp.MatAdd(W * h, 2 * lam * W * h)
    got = dsp.evaluate(expr, {W: Wv, h: hv, lam: sp.Rational(1, 2)}, functions={})
    assert got == 2 * Wv * hv
    assert dsp.evaluate(W.T, {W: Wv}, functions={}) == Wv.T


def test_scalar_statements_with_sums_over_samples():
    m, i, t = sp.Symbol("m"), sp.Symbol("i"), sp.Symbol("t_i")
    mean = dsp.Scaled(1, m, sp.Sum(t, (i, 1, m)))
    assert float(dsp.evaluate(mean, {m: 4}, samples={t: np.array([1.0, 2, 3, 6])})) == 3.0
    assert tex(mean) == r"\frac{1}{m} \sum_{i=1}^{m} t_{i}"


def test_plain_removes_every_wrapper():
    expr = dsp.Scaled(1, 2, dsp.Paren(dsp.InOrder(1, dsp.MaxOf(a, -b), dsp.Product(a, b))))
    p = dsp.plain(expr)
    assert not any(isinstance(e, (dsp.InOrder, dsp.Product, dsp._Display)) for e in sp.preorder_traversal(p))
    assert sp.simplify(p - (1 + sp.Max(a, -b) + a * b) / 2) == 0


def test_a_term_with_its_own_leading_minus_never_prints_plus_minus():
    expr = dsp.InOrder(dsp.Scaled(-1, 2, sp.log(2 * sp.pi)), dsp.Scaled(-1, 2, dsp.Paren(dsp.InOrder(x**2, y**2))))
    assert tex(expr) == r"-\frac{1}{2} \log{\left(2 \pi \right)} -\frac{1}{2} \left(x^{2} + y^{2}\right)"
    assert sp.simplify(dsp.plain(expr) - (-sp.log(2 * sp.pi) / 2 - (x**2 + y**2) / 2)) == 0


def test_plain_keeps_a_sum_over_samples_a_sum():
    """The evaluator feeds samples to a Sum; plain() must not evaluate it into M times its term."""
    m, M_ = sp.Symbol("m", integer=True), sp.Symbol("M", integer=True, positive=True)
    term = sp.Symbol("t_m")
    expr = dsp.InOrder(a, dsp.Scaled(1, M_, sp.Sum(term, (m, 1, M_))))
    assert dsp.plain(expr).atoms(sp.Sum)
    value = dsp.evaluate(expr, {a: 1.0, M_: 3}, samples={term: np.array([1.0, 2.0, 6.0])})
    assert float(value) == 4.0
