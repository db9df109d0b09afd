"""Problem 11 (kNN-LM): Eq. 2 and Eq. 3, the LM and the FAISS experiment, and faults the checks catch."""

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import derivations.knn_lm as knn
import derivations.knn_lm.derivation as D
from derivations.knn_lm import checks, experiment, interpolate, knn_distribution
from derivations.knn_lm.checks import CheckCounterLM, _check_sum_linearity
from derivations.knn_lm.corpus import TrigramLM, make_corpus
from derivations.ledger import Derivation


@pytest.fixture(scope="module")
def derivation():
    return knn.derive()


def claims_by_id(derivation):
    return {c.id: c for c in knn.verify(derivation)}


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


def test_trigram_lm_matches_counters_and_normalises():
    corpus = make_corpus(seed=0)
    V = len(corpus.vocab)
    ids = corpus.ids(corpus.train)
    lm, ref = TrigramLM(ids, V), CheckCounterLM(corpus.train, V)
    rng = np.random.default_rng(0)
    for u, v in rng.integers(0, V, size=(20, 2)):  # mostly unseen contexts: back-off paths
        p = lm.distribution(int(u), int(v))
        assert abs(p.sum() - 1.0) < 1e-12
        w = int(rng.integers(V))
        assert abs(p[w] - ref.prob(corpus.vocab[u], corpus.vocab[v], corpus.vocab[w])) < 1e-15


# --------------------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None)
@given(
    k=st.integers(1, 12),
    V=st.integers(1, 9),
    seed=st.integers(0, 2**32 - 1),
    shift=st.floats(0.0, 500.0),
)
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
    claims = claims_by_id(derivation)
    assert set(claims) == set(derivation.equations)
    assert all(c.passed for c in claims.values()), [c.id for c in claims.values() if not c.passed]


def test_experiment_is_reproducible(derivation):
    again = experiment.run()
    first = derivation.context["_run"]
    assert again["ppl"] == first["ppl"]
    assert again["sweeps"] == first["sweeps"]
    for m, blob in first["index_bytes"].items():
        np.testing.assert_array_equal(again["index_bytes"][m], blob)


def test_knn_lm_beats_the_lm_where_facts_are_stated(derivation):
    c = derivation.context
    assert c["ppl_best"]["exact"] < c["ppl_base"]
    assert c["breakdown"]["attribute"]["mix"] < c["breakdown"]["attribute"]["lm"]


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
    # verify calls knn_distribution from checks, the stored neighbours' p_kNN through experiment
    for room in (checks, experiment):
        monkeypatch.setattr(room, "knn_distribution", _wrong_sign)
    assert not claims_by_id(derivation)["p11.knn_eq2"].passed


def test_lambda_on_the_wrong_term_is_caught(derivation, monkeypatch):
    wrong = lambda a, b, lam: (1 - lam) * np.asarray(a) + lam * np.asarray(b)  # noqa: E731
    monkeypatch.setattr(checks, "interpolate", wrong)  # verify looks it up in checks
    assert not claims_by_id(derivation)["p11.interp_eq3"].passed


def _with_equations(derivation, **changes):
    eqs = dict(derivation.equations)
    eqs.update({f"p11.{k}": v for k, v in changes.items()})
    return Derivation(problem=11, equations=eqs, context=derivation.context)


def test_memory_formula_without_ids_is_caught(derivation):
    m, b, N, d, nlist = D._m, D._b, D._N, D._d, D._nlist
    wrong = _with_equations(
        derivation,
        mem_ivfpq_per_key=sp.Eq(derivation.equations["p11.mem_ivfpq_per_key"].lhs, m * b / 8),
        mem_ivfpq=sp.Eq(derivation.equations["p11.mem_ivfpq"].lhs, N * m * b / 8 + 4 * d * (nlist + 2**b)),
    )
    claims = claims_by_id(wrong)
    assert not claims["p11.mem_ivfpq_per_key"].passed and not claims["p11.mem_ivfpq"].passed


def test_flat_memory_in_float64_is_caught(derivation):
    wrong = _with_equations(derivation, mem_flat=sp.Eq(derivation.equations["p11.mem_flat"].lhs, 8 * D._N * D._d))
    assert not claims_by_id(wrong)["p11.mem_flat"].passed


def test_printed_eq2_with_exp_of_plus_distance_is_caught(derivation):
    st = derivation.equations["p11.knn_eq2"]
    wrong = _with_equations(derivation, knn_eq2=sp.Eq(st.lhs, st.rhs.replace(sp.exp, lambda z: sp.exp(-z))))
    assert not claims_by_id(wrong)["p11.knn_eq2"].passed


def test_printed_eq3_with_a_minus_sign_is_caught(derivation):
    wrong = _with_equations(derivation, interp_eq3=sp.Eq(knn.P_MIX, D._lam * knn.P_KNN - (1 - D._lam) * knn.P_LM))
    claims = claims_by_id(wrong)
    assert not claims["p11.interp_eq3"].passed and not claims["p11.interp_normalised"].passed


def test_work_formula_without_the_table_term_is_caught(derivation):
    flat, ivf = derivation.equations["p11.work_per_query"]
    wrong = _with_equations(derivation, work_per_query=(flat, sp.Eq(ivf.lhs, ivf.rhs - 2**D._b * D._d)))
    assert not claims_by_id(wrong)["p11.work_per_query"].passed


def test_a_speedup_in_the_text_that_is_not_the_formulas_is_caught(derivation):
    ctx = {**derivation.context, "paper_speedup": derivation.context["paper_speedup"] * 2}
    wrong = Derivation(problem=11, equations=derivation.equations, context=ctx)
    assert not claims_by_id(wrong)["p11.work_per_query"].passed


def test_perplexity_of_a_mixture_that_forgets_the_lm_is_caught(derivation):
    res = dict(derivation.context["_run"])
    ppl = dict(res["ppl"])
    ppl[("exact", "test")] = [ppl[("exact", "test")][1]] + ppl[("exact", "test")][1:]  # lambda = 0.05 as lambda = 0
    res["ppl"] = ppl
    wrong = Derivation(problem=11, equations=derivation.equations, context={**derivation.context, "_run": res})
    assert not claims_by_id(wrong)["p11.ppl_lambda0"].passed


def test_a_printed_key_formula_with_gamma_times_j_is_caught(derivation):
    st = derivation.equations["p11.context_key"]
    wrong = _with_equations(derivation, context_key=sp.Eq(st.lhs, st.rhs.xreplace({D._gamma**D._jj: D._gamma * D._jj})))
    assert not claims_by_id(wrong)["p11.context_key"].passed


def test_a_datastore_whose_values_are_the_current_word_is_caught(derivation):
    import copy

    res = dict(derivation.context["_run"])
    store = copy.copy(res["store"])
    ids = {w: i for i, w in enumerate(store.vocab)}
    store.values = np.array([ids[w] for w in store.streams["train"][1:-1]])
    res["store"] = store
    wrong = Derivation(problem=11, equations=derivation.equations, context={**derivation.context, "_run": res})
    assert not claims_by_id(wrong)["p11.context_key"].passed


# --------------------------------------------------------------------------- what is kept, and how it is trained


def test_a_pickled_datastore_rebuilds_the_same_arrays(derivation):
    import pickle

    store = derivation.context["_run"]["store"]
    blob = pickle.dumps(store, protocol=pickle.HIGHEST_PROTOCOL)
    again = pickle.loads(blob)
    assert len(blob) < store.keys.nbytes  # keys, queries and LM distributions are left out
    np.testing.assert_array_equal(again.keys, store.keys)
    for split in ("valid", "test"):
        np.testing.assert_array_equal(again.queries[split], store.queries[split])
        np.testing.assert_array_equal(again.p_lm[split], store.p_lm[split])
    np.testing.assert_array_equal(again.values, store.values)


def test_blas_distances_assign_as_the_direct_loop_does_outside_rounding(derivation):
    """k-means trains with FAISS's BLAS distances (|x|^2 + |c|^2 - 2 x.c) instead of its direct
    loop: a speed choice that must not change an assignment.  The two float32 routes round
    differently, so they may disagree only where a point's two nearest centroids are closer than
    twice the float32 error bound; everywhere else the nearest centroid must be the same."""
    import faiss

    keys, s = derivation.context["_run"]["store"].keys, experiment.SETTINGS
    index = faiss.deserialize_index(derivation.context["_run"]["index_bytes"][min(s["code_bytes"])])
    centroids = index.quantizer.reconstruct_n(0, index.nlist)
    sample = keys[np.sort(np.random.default_rng(s["seed"]).choice(len(keys), s["pq_train_points"], replace=False))]
    flat = faiss.IndexFlatL2(centroids.shape[1])
    flat.add(centroids)
    with experiment._blas_threshold(experiment.TRAIN_BLAS_THRESHOLD):
        _, by_blas = flat.search(sample, 1)
    with experiment._blas_threshold(len(sample) + 1):
        _, direct = flat.search(sample, 1)
    exact = experiment.exact_sq_distances(centroids, sample, np.tile(np.arange(index.nlist), (len(sample), 1)))
    two = np.sort(exact, axis=1)[:, :2]
    clear = two[:, 1] - two[:, 0] > 2 * experiment._float32_distance_error(centroids, sample)
    assert clear.mean() > 0.99  # the comparison is not vacuous
    np.testing.assert_array_equal(by_blas[clear, 0], direct[clear, 0])
    np.testing.assert_array_equal(direct[clear, 0], np.argmin(exact, axis=1)[clear])


def test_exact_neighbours_break_ties_by_id_whatever_faiss_returns(monkeypatch):
    """Keys repeat, so the k-th distance is often shared; the k nearest must not depend on the order
    in which FAISS returns equal distances.  A fake index that returns candidates in reversed
    order gives the same neighbours."""
    import faiss

    rng = np.random.default_rng(3)
    base = rng.normal(size=(6, 4)).astype(np.float32)
    keys = np.repeat(base, 3, axis=0)  # every key three times: ties at every distance
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


def test_a_sweep_that_misreports_recall_or_codes_scanned_is_caught(derivation):
    import copy

    for key, claim_ids in (("recall", ("p11.flat_exact",)), ("scanned", ("p11.flat_exact", "p11.ivf_scan"))):
        res = dict(derivation.context["_run"])
        res["sweeps"] = copy.deepcopy(res["sweeps"])
        res["sweeps"][8][key][-1] *= 1.01  # nprobe = n_list, a value the text does not quote
        wrong = Derivation(problem=11, equations=derivation.equations, context={**derivation.context, "_run": res})
        claims = claims_by_id(wrong)
        assert not any(claims[c].passed for c in claim_ids), key


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


def test_the_tie_checks_run_the_wider_searches(monkeypatch):
    """On the check's constructed data both searches widen (at the report's settings they never do)."""
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
def test_a_tie_rule_fault_the_report_settings_never_reach_is_caught(derivation, monkeypatch, name, fault, message):
    monkeypatch.setattr(experiment, name, fault)  # the checks look both up in experiment at call time
    claim = claims_by_id(derivation)["p11.flat_exact"]
    assert not claim.passed and message in claim.detail
