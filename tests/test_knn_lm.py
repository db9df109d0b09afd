"""Problem 11 (kNN-LM): Eqs. 2 and 3, the neural LM, the docstring experiment, and faults the checks catch.

The million-key sweep, the cost formulas and the tie rule are tested at the end.
"""

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import derivations.knn_lm as knn
import derivations.knn_lm.derivation as D
from derivations.knn_lm import checks, experiment, interpolate, knn_distribution
from derivations.knn_lm import model as M
from derivations.knn_lm.checks import _check_sum_linearity
from derivations.knn_lm.text import BOS, UNK, load_corpus, tokenize
from derivations.ledger import Derivation


@pytest.fixture(scope="session")
def derivation():
    return knn.derive()


def claims_of(derivation, groups):
    return {c.id: c for c in knn.verify(derivation, groups=groups)}


# --------------------------------------------------------------------------- symbolic


def test_mixture_normalisation_is_exact():
    assert _check_sum_linearity(knn.statements()) == 0


def test_mixture_normalisation_catches_a_printed_slip():
    eqs = knn.statements()
    wrong_sign = {**eqs, "p11.interp_eq3": sp.Eq(knn.P_MIX, D._lam * knn.P_KNN - (1 - D._lam) * knn.P_LM)}
    wrong_range = {**eqs, "p11.interp_normalised": sp.Eq(sp.Sum(knn.P_MIX, (D._y, 2, D._V)), 1)}
    assert _check_sum_linearity(wrong_sign) != 0
    assert _check_sum_linearity(wrong_range) != 0


def test_eq2_on_a_case_with_exact_weights():
    # weights e^0, e^0, e^{-ln 2} = 1, 1, 1/2: word 1 carries 2 of 5/2, word 0 carries 1/2.
    d0, d1 = sp.Integer(0), sp.log(2)
    weights = [sp.exp(-d0), sp.exp(-d0), sp.exp(-d1)]
    exact = [weights[2] / sum(weights), (weights[0] + weights[1]) / sum(weights), 0]
    assert [sp.nsimplify(e) for e in exact] == [sp.Rational(1, 5), sp.Rational(4, 5), 0]
    got = knn_distribution([0.0, 0.0, math.log(2.0)], [1, 1, 0], 3)
    np.testing.assert_allclose(got, [float(e) for e in exact], rtol=1e-15, atol=0)


def test_statements_print_the_paper_form():
    from derivations.tex import tex

    eqs = knn.statements()
    assert r"e^{- {d}_{i}}" in tex(eqs["p11.knn_eq2"])
    assert tex(eqs["p11.interp_eq3"].rhs).startswith(r"\lambda p_{\mathrm{kNN}}")
    assert r"\left(1 - \lambda\right) p_{\mathrm{LM}}" in tex(eqs["p11.interp_eq3"])
    assert tex(eqs["p11.context_key"].rhs) == r"\tanh{\left(\mathbf{W} \mathbf{x}_{t} + \mathbf{b} \right)}"
    assert tex(eqs["p11.integer_exact"].rhs) == "2^{24}"


# --------------------------------------------------------------------------- numeric, another route


def test_eq2_matches_a_plain_loop_with_a_batch_axis():
    rng = np.random.default_rng(3)
    d = rng.uniform(0, 30, size=(5, 8))
    v = rng.integers(0, 4, size=(5, 8))
    p = knn_distribution(d, v, 4)
    for b in range(5):
        total = math.fsum(math.exp(-x) for x in d[b])
        for y in range(4):
            ref = math.fsum(math.exp(-x) for x, t in zip(d[b], v[b]) if t == y) / total
            assert abs(p[b, y] - ref) <= 1e-15
    np.testing.assert_array_equal(p[2], knn_distribution(d[2], v[2], 4))


def test_far_neighbours_do_not_underflow():
    p = knn_distribution([1000.0, 1001.0], [0, 1], 2)
    np.testing.assert_allclose(p, [1 / (1 + math.exp(-1)), math.exp(-1) / (1 + math.exp(-1))], rtol=1e-14)


def test_corpus_splits_whole_docstrings_and_caps_the_vocabulary():
    corpus = load_corpus(300)
    assert len(corpus.vocab) == 300 and corpus.vocab[:2] == (BOS, UNK)
    for stream in (corpus.train, corpus.valid, corpus.test):
        assert stream[0] == 0 and stream.min() >= 0 and stream.max() < 300  # each text opens with <s>
    n_docs = [int(np.count_nonzero(x == 0)) for x in (corpus.train, corpus.valid, corpus.test)]
    assert abs(n_docs[1] - sum(n_docs) / 10) <= 1 and abs(n_docs[2] - sum(n_docs) / 10) <= 1
    assert tokenize("Return the value (a str).") == ["return", "the", "value", "(", "a", "str", ")", "."]


def test_backpropagation_matches_central_differences():
    rng = np.random.default_rng(0)
    params = M.init_params(12, 3, 4, 5, seed=1)
    params = {k: v + 0.1 * rng.standard_normal(v.shape) for k, v in params.items()}
    ids = rng.integers(0, 12, 40)
    ctx, tgt = M.contexts(ids, np.arange(2, 10), 3), ids[3:11]
    _, grads = M.loss_and_grads(params, ctx, tgt)
    for name, value in params.items():
        for at in np.ndindex(value.shape):
            plus = {k: v.copy() for k, v in params.items()}
            minus = {k: v.copy() for k, v in params.items()}
            plus[name][at] += 1e-6
            minus[name][at] -= 1e-6
            fd = (M.loss_and_grads(plus, ctx, tgt)[0] - M.loss_and_grads(minus, ctx, tgt)[0]) / 2e-6
            assert abs(fd - grads[name][at]) <= 1e-7 * max(1.0, abs(fd)), (name, at)


def test_training_is_deterministic_for_a_seed():
    ids = np.random.default_rng(4).integers(0, 20, 600)
    p0 = M.init_params(20, 3, 4, 6, seed=2)
    a, la = M.train(ids, p0, 3, 64, 1e-2, seed=3)
    b, lb = M.train(ids, p0, 3, 64, 1e-2, seed=3)
    assert la == lb and all(np.array_equal(a[k], b[k]) for k in a)
    assert np.mean(la[-3:]) < np.mean(la[:3])  # it learns


# --------------------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None)
@given(k=st.integers(1, 12), V=st.integers(1, 9), seed=st.integers(0, 2**32 - 1), shift=st.floats(0.0, 500.0))
def test_eq2_is_a_distribution_invariant_to_order_and_shift(k, V, seed, shift):
    rng = np.random.default_rng(seed)
    d = rng.uniform(0, 20, k)
    v = rng.integers(0, V, k)
    p = knn_distribution(d, v, V)
    assert np.all(p >= 0) and abs(p.sum() - 1.0) < 1e-12
    assert np.all(p[np.setdiff1d(np.arange(V), v)] == 0)  # only retrieved words get mass
    perm = rng.permutation(k)
    np.testing.assert_allclose(knn_distribution(d[perm], v[perm], V), p, atol=1e-14)
    np.testing.assert_allclose(knn_distribution(d + shift, v, V), p, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(V=st.integers(1, 10), lam=st.floats(0.0, 1.0), seed=st.integers(0, 2**32 - 1))
def test_interpolation_is_a_distribution_between_its_endpoints(V, lam, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.dirichlet(np.ones(V)), rng.dirichlet(np.ones(V))
    p = interpolate(a, b, lam)
    assert np.all(p >= 0) and abs(p.sum() - 1.0) < 1e-12
    assert np.all(p <= np.maximum(a, b) + 1e-15) and np.all(p >= np.minimum(a, b) - 1e-15)
    np.testing.assert_array_equal(interpolate(a, b, 0.0), b)
    np.testing.assert_array_equal(interpolate(a, b, 1.0), a)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: knn_distribution([0.1, 0.2], [0], 3), "same shape"),
        (lambda: knn_distribution([-0.1], [0], 3), "squared L2"),
        (lambda: knn_distribution([np.nan], [0], 3), "squared L2"),
        (lambda: knn_distribution([0.1], [3], 3), "word ids"),
        (lambda: knn_distribution([0.1], [0.5], 3), "word ids"),
        (lambda: knn_distribution([], [], 3), "k >= 1"),
        (lambda: knn_distribution([0.1], [0], 0), "vocab_size"),
        (lambda: interpolate([1.0, 0.0], [0.5, 0.5], 1.5), r"\[0, 1\]"),
        (lambda: interpolate([1.0, 0.0], [0.5, 0.5, 0.0], 0.5), "same shape"),
        (lambda: interpolate([0.7, 0.7], [0.5, 0.5], 0.5), "probability distributions"),
    ],
)
def test_bad_input_names_the_problem(call, match):
    with pytest.raises(ValueError, match="Problem 11") as info:
        call()
    assert info.match(match)


# --------------------------------------------------------------------------- the experiment and its claims


def test_all_claims_pass(derivation):
    claims = {c.id: c for c in knn.verify(derivation)}
    assert set(claims) == set(derivation.equations)
    assert all(c.passed for c in claims.values()), [(c.id, c.detail) for c in claims.values() if not c.passed]


def test_learned_keys_beat_untrained_keys_and_the_lm(derivation):
    c = derivation.context
    assert c["ppl_test"]["learned"] < c["ppl_test"]["untrained"] < c["ppl_lm"]["test"]


# --------------------------------------------------------------------------- deliberately wrong formulas


def _wrong_sign(distances, targets, vocab_size):
    d = np.atleast_2d(np.asarray(distances, dtype=float))
    v = np.atleast_2d(np.asarray(targets))
    w = np.exp(d - d.max(axis=1, keepdims=True))  # exp(+d): far neighbours weigh most
    p = np.zeros((d.shape[0], vocab_size))
    for b in range(d.shape[0]):
        np.add.at(p[b], v[b], w[b])
    p /= w.sum(axis=1, keepdims=True)
    return p[0] if np.ndim(distances) == 1 else p


def test_exp_of_plus_distance_is_caught(derivation, monkeypatch):
    for room in (checks, experiment):  # the checks' calls and the stored neighbours' p_kNN
        monkeypatch.setattr(room, "knn_distribution", _wrong_sign)
    assert not claims_of(derivation, ["eq2"])["p11.knn_eq2"].passed


def test_lambda_on_the_wrong_term_is_caught(derivation, monkeypatch):
    wrong = lambda a, b, lam: (1 - lam) * np.asarray(a) + lam * np.asarray(b)  # noqa: E731
    monkeypatch.setattr(checks, "interpolate", wrong)
    assert not claims_of(derivation, ["mixture"])["p11.interp_eq3"].passed


def _with_equations(derivation, **changes):
    eqs = dict(derivation.equations)
    eqs.update({f"p11.{k}": v for k, v in changes.items()})
    return Derivation(problem=11, equations=eqs, context=derivation.context)


def _with_run(derivation, **changes):
    res = {**derivation.context["_run"], **changes}
    return Derivation(problem=11, equations=derivation.equations, context={**derivation.context, "_run": res})


def test_printed_eq2_with_exp_of_plus_distance_is_caught(derivation):
    st_ = derivation.equations["p11.knn_eq2"]
    wrong = _with_equations(derivation, knn_eq2=sp.Eq(st_.lhs, st_.rhs.replace(sp.exp, lambda z: sp.exp(-z))))
    assert not claims_of(wrong, ["eq2"])["p11.knn_eq2"].passed


def test_printed_eq3_with_a_minus_sign_is_caught(derivation):
    wrong = _with_equations(derivation, interp_eq3=sp.Eq(knn.P_MIX, D._lam * knn.P_KNN - (1 - D._lam) * knn.P_LM))
    claims = claims_of(wrong, ["mixture"])
    assert not claims["p11.interp_eq3"].passed and not claims["p11.interp_normalised"].passed


def test_a_printed_key_without_the_bias_is_caught(derivation):
    st_ = derivation.equations["p11.context_key"]
    wrong = _with_equations(derivation, context_key=sp.Eq(st_.lhs, sp.tanh(D._W * D._x)))
    assert not claims_of(wrong, ["lm"])["p11.context_key"].passed


def test_a_printed_gradient_with_the_wrong_sign_is_caught(derivation):
    st_ = derivation.equations["p11.lm_gradient"]
    wrong = _with_equations(derivation, lm_gradient=sp.Eq(st_.lhs, D._e_y - D._p_vec))
    assert not claims_of(wrong, ["lm"])["p11.lm_gradient"].passed


def test_backpropagation_without_the_tanh_derivative_is_caught(derivation, monkeypatch):
    right = M.loss_and_grads

    def wrong(params, ctx, targets):
        loss, grads = right(params, ctx, targets)
        B = len(ctx)
        x = params["E"][ctx].reshape(B, -1)
        h = np.tanh(x @ params["W"].T + params["b"])
        dz = np.exp(M.log_probs(params, h))
        dz[np.arange(B), targets] -= 1.0
        da = (dz / B) @ params["U"]  # the factor 1 - h^2 dropped
        return loss, {**grads, "W": da.T @ x, "b": da.sum(axis=0)}

    monkeypatch.setattr(checks, "loss_and_grads", wrong)
    assert not claims_of(derivation, ["lm"])["p11.lm_gradient"].passed


def test_perplexity_of_a_mixture_that_forgets_the_lm_is_caught(derivation):
    ppl = dict(derivation.context["_run"]["ppl"])
    curve = ppl[("learned", "test")]
    ppl[("learned", "test")] = [curve[1]] + curve[1:]  # lambda = 0.05 reported as lambda = 0
    assert not claims_of(_with_run(derivation, ppl=ppl), ["lm"])["p11.ppl_lambda0"].passed


def test_a_lambda_that_is_not_the_validation_optimum_is_caught(derivation):
    ctx = {**derivation.context, "lam_hat": {**derivation.context["lam_hat"], "learned": 0.9}}
    wrong = Derivation(problem=11, equations=derivation.equations, context=ctx)
    assert not claims_of(wrong, ["mixture"])["p11.lambda_best"].passed


def test_swapped_perplexities_of_the_two_keys_are_caught(derivation):
    got = derivation.context["ppl_test"]
    ctx = {**derivation.context, "ppl_test": {"learned": got["untrained"], "untrained": got["learned"]}}
    wrong = Derivation(problem=11, equations=derivation.equations, context=ctx)
    assert not claims_of(wrong, ["mixture"])["p11.learned_keys"].passed


def test_neighbours_that_are_not_the_nearest_are_caught(derivation):
    dist, ids = derivation.context["_run"]["neighbours"]["untrained"]
    shifted = (dist, np.roll(ids, 1, axis=1) + 1)  # other keys than the nearest
    neighbours = {**derivation.context["_run"]["neighbours"], "untrained": shifted}
    assert not claims_of(_with_run(derivation, neighbours=neighbours), ["search"])["p11.flat_exact"].passed


# --------------------------------------------------------------------------- a million keys, and the costs


def test_our_codes_are_faiss_codes_where_no_sub_centroids_tie():
    """The codes we write into FAISS's lists are those FAISS's own encoder gives, wherever a
    sub-vector's two nearest sub-centroids are not tied (there the rule is ours: smaller index)."""
    import faiss

    from derivations.knn_lm import scale as S

    rng = np.random.default_rng(2)
    x = rng.integers(-6, 7, (3000, 32)).astype(np.float32)
    coarse = S.integer_kmeans(x, 4, 5, seed=0)
    lists = S.nearest(x, coarse)
    r = x - coarse[lists]
    sub = np.stack([S.integer_kmeans(np.ascontiguousarray(r[:, 4 * j : 4 * j + 4]), 16, 5, seed=j) for j in range(8)])
    ours = S.pq_codes(x, lists, coarse, sub)
    pq = faiss.ProductQuantizer(32, 8, 4)
    faiss.copy_array_to_vector(sub.ravel(), pq.centroids)
    packed = pq.compute_codes(r)
    np.testing.assert_array_equal(S.pack_codes(ours, 4)[:1], S.pack_codes(ours, 4)[:1])
    dist = np.square(r.reshape(-1, 8, 1, 4) - sub[None]).sum(axis=3)  # (n, m, 16), integers
    two = np.sort(dist, axis=2)[:, :, :2]
    clear = np.all(two[:, :, 1] > two[:, :, 0], axis=1)
    assert clear.mean() > 0.3  # the comparison is not vacuous
    np.testing.assert_array_equal(S.pack_codes(ours, 4)[clear], packed[clear])
    np.testing.assert_array_equal(ours, np.argmin(dist, axis=2))  # ties: the smaller index


def test_integer_kmeans_returns_integer_centroids_and_is_reproducible():
    from derivations.knn_lm import scale as S

    x = np.random.default_rng(0).integers(-5, 6, (500, 16)).astype(np.float32)
    a, b = S.integer_kmeans(x, 8, 4, seed=1), S.integer_kmeans(x, 8, 4, seed=1)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, np.rint(a))


def test_a_recall_or_codes_count_misreported_is_caught(derivation):
    import copy

    big = copy.deepcopy({k: v for k, v in derivation.context["_scale"].items() if k != "index_blobs"})
    big["index_blobs"] = derivation.context["_scale"]["index_blobs"]
    m = min(big["sweep"])
    big["sweep"][m]["hits"][-1] += 1
    ctx = {**derivation.context, "_scale": big}
    assert not claims_of(Derivation(problem=11, equations=derivation.equations, context=ctx), ["search"])["p11.flat_exact"].passed
    big["sweep"][m]["hits"][-1] -= 1
    big["sweep"][m]["ndis"][0] += 1
    assert not claims_of(Derivation(problem=11, equations=derivation.equations, context=ctx), ["search"])["p11.ivf_scan"].passed


def test_memory_formula_without_ids_is_caught(derivation):
    m, b, N, d, nlist = D._m, D._b, D._N, D._d, D._nlist
    wrong = _with_equations(
        derivation,
        mem_ivfpq_per_key=sp.Eq(derivation.equations["p11.mem_ivfpq_per_key"].lhs, m * b / 8),
        mem_ivfpq=sp.Eq(derivation.equations["p11.mem_ivfpq"].lhs, N * m * b / 8 + 4 * d * (nlist + 2**b)),
    )
    claims = claims_of(wrong, ["cost"])
    assert not claims["p11.mem_ivfpq_per_key"].passed and not claims["p11.mem_ivfpq"].passed


def test_flat_memory_in_float64_is_caught(derivation):
    wrong = _with_equations(derivation, mem_flat=sp.Eq(derivation.equations["p11.mem_flat"].lhs, 8 * D._N * D._d))
    assert not claims_of(wrong, ["cost"])["p11.mem_flat"].passed


def test_work_formula_without_the_table_term_is_caught(derivation):
    flat, ivf = derivation.equations["p11.work_per_query"]
    wrong = _with_equations(derivation, work_per_query=(flat, sp.Eq(ivf.lhs, ivf.rhs - 2**D._b * D._d)))
    assert not claims_of(wrong, ["cost"])["p11.work_per_query"].passed


def test_a_speedup_in_the_text_that_is_not_the_formulas_is_caught(derivation):
    ctx = {**derivation.context, "paper_speedup": derivation.context["paper_speedup"] * 2}
    wrong = Derivation(problem=11, equations=derivation.equations, context=ctx)
    assert not claims_of(wrong, ["cost"])["p11.work_per_query"].passed


def test_a_float32_bound_printed_too_high_is_caught(derivation):
    wrong = _with_equations(derivation, integer_exact=sp.Lt(derivation.equations["p11.integer_exact"].lhs, 2**20))
    assert not claims_of(wrong, ["search"])["p11.integer_exact"].passed


# --------------------------------------------------------------------------- the tie rule's slow paths


def _float32_error_with_q2_over_k2(keys, queries):
    """A planted fault (a mutation survivor): the cross term 2 sqrt(q2 / k2) instead of 2 sqrt(q2 k2)."""
    eps32 = float(np.finfo(np.float32).eps)
    q2 = np.square(queries.astype(np.float64)).sum(axis=1)
    k2 = float(np.square(keys.astype(np.float64)).sum(axis=1).max())
    return 4 * keys.shape[1] * eps32 * (q2 + k2 + 2 * np.sqrt(q2 / k2))


def _search_ties_complete_when_last_id_positive(index, queries, k):
    """A planted fault (a mutation survivor): ``ids[:, -1] > 0`` for ``< 0`` in the completeness test."""
    out_d = np.empty((len(queries), k), dtype=np.float32)
    out_i = np.empty((len(queries), k), dtype=np.int64)
    todo, width = np.arange(len(queries)), 2 * k
    while len(todo):
        dist, ids = index.search(queries[todo], width)
        dist, ids = experiment.sort_by_distance_then_id(dist, ids)
        complete = (dist[:, -1] > dist[:, k - 1]) | (ids[:, -1] > 0) | (width >= index.ntotal)
        out_d[todo[complete]], out_i[todo[complete]] = dist[complete, :k], ids[complete, :k]
        todo, width = todo[~complete], 2 * width
    return out_d, out_i


def test_exact_neighbours_break_ties_by_id_whatever_faiss_returns(monkeypatch):
    """A fake index that returns candidates in reversed order gives the same neighbours."""
    import faiss

    rng = np.random.default_rng(3)
    keys = np.repeat(rng.normal(size=(6, 4)).astype(np.float32), 3, axis=0)  # ties at every distance
    queries = rng.normal(size=(5, 4)).astype(np.float32)
    want = experiment.exact_neighbours(keys, queries, 4)
    assert np.all(np.diff(want[1], axis=1)[np.diff(want[0], axis=1) == 0] > 0)  # equal distances: ids increase

    class Reversed(faiss.IndexFlatL2):
        def search(self, x, k):
            d, i = super().search(x, k)
            return d[:, ::-1].copy(), i[:, ::-1].copy()

    monkeypatch.setattr(experiment.faiss, "IndexFlatL2", Reversed)
    got = experiment.exact_neighbours(keys, queries, 4)
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(got[0], want[0])  # the same computation on the same pairs


def test_the_tie_checks_run_the_wider_searches(monkeypatch):
    """On the check's constructed data both searches widen (at the report's settings they rarely do)."""
    widths = []
    sort = experiment.sort_by_distance_then_id

    def spy(dist, ids):
        widths.append(np.shape(ids))
        return sort(dist, ids)

    monkeypatch.setattr(experiment, "sort_by_distance_then_id", spy)
    assert checks._check_tie_machinery() == []
    k_exact, k_ivf = 5, 3
    assert (25, 2 * experiment.EXACT_CANDIDATES * k_exact) in widths  # exact_neighbours searched again
    assert any(len(w) == 2 and w[1] >= 4 * 2 * k_ivf for w in widths)  # search_ties_by_id twice again


@pytest.mark.parametrize("name, fault, message", [
    ("_float32_distance_error", _float32_error_with_q2_over_k2, "float32 error bound more than"),
    ("search_ties_by_id", _search_ties_complete_when_last_id_positive, "search_ties_by_id on an IVF index"),
])
def test_a_tie_rule_fault_the_report_settings_never_reach_is_caught(monkeypatch, name, fault, message):
    monkeypatch.setattr(experiment, name, fault)  # the checks look both up in experiment at call time
    failures = checks._check_tie_machinery()
    assert any(message in f for f in failures)


def test_the_vocabulary_check_recounts_the_shipped_docstrings():
    from derivations.knn_lm.checks import _vocabulary_as_described
    from derivations.knn_lm.text import load_corpus

    vocab = load_corpus(200).vocab
    assert _vocabulary_as_described(vocab)
    swapped = list(vocab)
    swapped[-1], swapped[2] = swapped[2], swapped[-1]  # the most frequent word moved to the end
    assert not _vocabulary_as_described(swapped)
    assert not _vocabulary_as_described(vocab[:2] + ("zzz-not-a-word",) + vocab[3:])
