"""Problem 14 (LNN): exact identities, enumeration against an exact-rational reference,
Hypothesis properties of the bound rules, and wrong formulas that the claims must catch."""

import dataclasses
import doctest
import itertools
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import derivations.lnn as lnn
from derivations.lnn import checks as lnn_checks
from derivations.lnn import derivation as lnn_derivation
from derivations.lnn import method as lnn_method
from derivations.display import plain
from derivations.lnn import checks_learning, experiment, learning, proposals
from derivations.lnn.experiment import nlp_proposal, run, smokers, vision_proposal


@pytest.fixture(scope="module")
def derivation():
    return lnn.derive()


# --------------------------------------------------------------------------- symbolic


def test_modus_ponens_with_unit_weights_is_lukasiewicz():
    ponens, tollens = lnn_derivation.statements()["p14.modus_ponens"]
    sym = {s.name: s for s in ponens.free_symbols | tollens.free_symbols}
    unit = {sym["w_x"]: 1, sym["w_y"]: 1, sym[r"\beta"]: 1}
    assert sp.expand(ponens.rhs.subs(unit) - (sym[r"L_{x \to y}"] + sym["L_x"] - 1)) == 0
    assert sp.expand(tollens.rhs.subs(unit) - (1 - sym[r"L_{x \to y}"] + sym["U_y"])) == 0


def test_classical_implication_statement_is_the_truth_table():
    _, _, imp = lnn_derivation.statements()["p14.classical"]
    x, y = sorted(imp.rhs.free_symbols, key=lambda s: s.name)
    table = {(a, b): imp.rhs.subs({x: a, y: b}) for a in (0, 1) for b in (0, 1)}
    assert table == {(0, 0): 1, (0, 1): 1, (1, 0): 0, (1, 1): 1}


def test_docstring_examples():
    assert doctest.testmod(lnn_method).failed == 0


# --------------------------------------------------------------------------- another route: exact rationals


def _and_exact(x, w, beta):
    return min(Fraction(1), max(Fraction(0), beta - sum(wi * (1 - xi) for wi, xi in zip(w, x))))


def _or_exact(x, w, beta):
    return min(Fraction(1), max(Fraction(0), 1 - beta + sum(wi * xi for wi, xi in zip(w, x))))


def test_activations_agree_with_exact_rationals_off_the_dyadic_grid():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(1, 5))
        x = [Fraction(int(v), 7) for v in rng.integers(0, 8, n)]
        w = [Fraction(int(v), 3) for v in rng.integers(0, 7, n)]
        beta = Fraction(int(rng.integers(1, 10)), 5)
        xf, wf = np.array(x, dtype=float), np.array(w, dtype=float)
        # round-off: x, w and beta rounded on input (u each, relative), n products and n + 1 sums, all
        # of size below beta + 1 + sum w: at most (2n + 4) u of that
        tol = (n + 2) * np.finfo(float).eps * float(beta + 1 + sum(w))
        assert float(lnn.weighted_and(xf, wf, float(beta))) == pytest.approx(float(_and_exact(x, w, beta)), rel=0, abs=tol)
        assert float(lnn.weighted_or(xf, wf, float(beta))) == pytest.approx(float(_or_exact(x, w, beta)), rel=0, abs=tol)


# --------------------------------------------------------------------------- properties

unit = st.integers(0, 16).map(lambda k: k / 16)
weight = st.sampled_from([0.5, 1.0, 1.5, 2.0])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(unit, unit), min_size=1, max_size=4), st.lists(weight, min_size=4, max_size=4),
       st.sampled_from([0.75, 1.0, 1.25]))
def test_upward_bounds_contain_every_value_from_the_operand_boxes(boxes, w, beta):
    boxes = [tuple(sorted(b)) for b in boxes]
    w = np.array(w[: len(boxes)])
    L, U = np.array([b[0] for b in boxes]), np.array([b[1] for b in boxes])
    for f, up in ((lnn.weighted_and, lnn.and_upward), (lnn.weighted_or, lnn.or_upward)):
        lo, hi = up(L, U, w, beta)
        corners = np.array(list(itertools.product(*boxes)))
        vals = f(corners, w, beta)
        # exact: sixteenths times weights in halves, plus beta in quarters, clipped: all dyadic
        assert lo == vals.min() and hi == vals.max()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(unit, unit), min_size=2, max_size=3), st.lists(weight, min_size=3, max_size=3),
       st.tuples(unit, unit), st.sampled_from([1.0, 1.25]))
def test_downward_and_never_cuts_off_a_consistent_point(boxes, w, fbox, beta):
    boxes = [tuple(sorted(b)) for b in boxes]
    Lf, Uf = sorted(fbox)
    w = np.array(w[: len(boxes)])
    L, U = np.array([b[0] for b in boxes]), np.array([b[1] for b in boxes])
    newL, newU = lnn.and_downward(L, U, Lf, Uf, w, beta)
    grid = np.arange(0, 17) / 16
    for x in itertools.product(*[grid[(grid >= lo) & (grid <= hi)] for lo, hi in boxes]):
        v = float(lnn.weighted_and(np.array(x), w, beta))
        if Lf <= v <= Uf:  # exact: v is dyadic (sixteenths, weights in halves)
            # the bounds are exact but for the division by w_i = 3/2: one rounding of a quotient below
            # 6 and one of 1 minus it, below 7: at most 13 u < 8 eps
            slack = 8 * np.finfo(float).eps
            assert np.all(np.array(x) >= newL - slack) and np.all(np.array(x) <= newU + slack)


@settings(max_examples=100, deadline=None)
@given(st.lists(unit, min_size=1, max_size=5), st.lists(weight, min_size=5, max_size=5), st.sampled_from([0.5, 1.0, 1.5]))
def test_de_morgan_and_negation_round_trip(x, w, beta):
    x, w = np.array(x), np.array(w[: len(x)])
    assert 1 - lnn.weighted_and(x, w, beta) == lnn.weighted_or(1 - x, w, beta)  # exact: dyadic x, w, beta


def test_inference_only_tightens_bounds():
    m = smokers()
    history = m.infer()
    for before, after in zip(history, history[1:]):
        for k in before:
            assert after[k][0] >= before[k][0] and after[k][1] <= before[k][1]


# --------------------------------------------------------------------------- the examples


def test_examples_behave_as_the_report_says():
    nlp = {r["atom"]: r["state"] for r in run(nlp_proposal())["rows"]}
    assert nlp["BornIn(curie,europe)"] == "true" and nlp["BornIn(curie,asia)"] == "false"
    assert nlp["BornIn(curie,france)"] == "unknown"
    vision = run(vision_proposal())
    bicycle = {r["atom"]: r for r in vision["rows"]}["Bicycle"]
    assert vision["loss"] == 0 and bicycle["L"] > bicycle["L0"]  # the parts raise the occluded bicycle
    conflict = run(vision_proposal(bicycle_detector=(0.125, 0.5)))
    assert conflict["loss"] > 0


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "args, needle",
    [
        (([0.5, 1.5], [1, 1], 1.0), r"\[0, 1\]"),
        (([0.5, 0.5], [1, -1], 1.0), "non-negative"),
        (([0.5, 0.5], [1, 1, 1], 1.0), "shapes"),
        (([0.5, 0.5], [1, 1], float("nan")), "beta"),
        (([0.5, np.nan], [1, 1], 1.0), r"\[0, 1\]"),
    ],
)
@pytest.mark.parametrize("f", [lnn.weighted_and, lnn.weighted_or])
def test_bad_input_names_the_problem(f, args, needle):
    with pytest.raises(ValueError, match=f"Problem 14.*{needle}"):
        f(*args)


def test_bad_theory_names_the_problem():
    m = lnn.LNN()
    m.atom("a")
    with pytest.raises(ValueError, match="Problem 14.*used twice"):
        m.atom("a")
    with pytest.raises(ValueError, match="Problem 14.*not defined"):
        m.conj("a", "b")
    with pytest.raises(ValueError, match="Problem 14.*L <= U"):
        m.atom("b", 0.75, 0.5)
    with pytest.raises(ValueError, match="Problem 14.*L <= U"):
        m.implies("a", "a", L=1.0, U=2.0)


# --------------------------------------------------------------------------- the claims


def test_all_claims_pass(derivation):
    assert [c.id for c in lnn.verify(derivation) if not c.passed] == []


def test_downward_rule_at_the_wrong_corner_is_caught(derivation, monkeypatch):
    """A plausible slip: bounding x_i from below with the other operands at their *lower* bounds."""

    def wrong(L, U, Lf, Uf, w, beta):
        L, U, w = (np.asarray(a, dtype=float) for a in (L, U, w))
        newL, newU = L.copy(), U.copy()
        slack = w * (1.0 - L)
        for i in range(len(w)):
            if Lf > 0:
                newL[i] = max(newL[i], 1.0 - (beta - Lf - (slack.sum() - slack[i])) / w[i])
            if Uf < 1:
                newU[i] = min(newU[i], 1.0 - (beta - Uf - (slack.sum() - slack[i])) / w[i])
        return newL, newU

    monkeypatch.setattr(lnn_method, "and_downward", wrong)  # where LNN.downward looks it up
    claims = {c.id: c for c in lnn.verify(derivation)}
    assert not claims["p14.and_downward"].passed and not claims["p14.modus_ponens"].passed


def test_or_with_the_bias_sign_flipped_is_caught(derivation, monkeypatch):
    real = lnn.weighted_or
    # patched where the De Morgan check looks it up
    monkeypatch.setattr(lnn_checks, "weighted_or", lambda x, w, beta=1.0: real(x, w, 2.0 - beta) if beta != 1.0 else real(x, w, beta))
    claims = {c.id: c for c in lnn.verify(derivation)}
    assert not claims["p14.de_morgan"].passed


def _with(derivation, equations=None, context=None):
    return dataclasses.replace(derivation, equations=derivation.equations | (equations or {}),
                               context=derivation.context | (context or {}))


def _claim(derivation, claim_id):
    return {c.id: c for c in lnn.verify(derivation)}[claim_id]


def test_wrong_printed_formulas_are_caught(derivation):
    """A fault in a printed statement, not in the code, fails its claim."""
    eq = derivation.equations
    and1, or1, imp = eq["p14.classical"]
    (prod,) = and1.rhs.atoms(sp.Product)
    i, _, n = prod.limits[0]
    lower, upper = eq["p14.and_downward"]
    ponens, tollens = eq["p14.modus_ponens"]
    sym = {str(s): s for s in ponens.rhs.free_symbols}
    alpha_lo, alpha_hi = eq["p14.alpha_classical"]
    mono = list(eq["p14.monotone"])
    mono[2] = sp.Le(mono[2].lhs, 1)  # true but loose: the bound 0 is attained
    wrong = {
        "p14.classical": (sp.Eq(and1.lhs, sp.Product(prod.function, (i, 2, n))), or1, imp),
        "p14.de_morgan": sp.Eq(eq["p14.de_morgan"].lhs, eq["p14.de_morgan"].rhs.func(*(1 - a for a in eq["p14.de_morgan"].rhs.args)),
                               evaluate=False),
        "p14.monotone": tuple(mono),
        "p14.and_downward": (lower, sp.Le(upper.lhs, upper.rhs + sp.Rational(1, 8))),
        "p14.modus_ponens": (sp.Ge(ponens.lhs, ponens.rhs.subs(sym["w_y"], 1)), tollens),
        "p14.alpha_classical": (alpha_lo, sp.Le(alpha_hi.lhs, 2 - alpha_hi.rhs + 1 - 1)),
    }
    for claim_id, statement in wrong.items():
        assert not _claim(_with(derivation, {claim_id: statement}), claim_id).passed, claim_id


def test_wrong_printed_tables_are_caught(derivation):
    ctx = derivation.context
    conflict = ctx["vision_conflict"] | {"iterations": ctx["vision_conflict"]["iterations"] + 1}
    assert not _claim(_with(derivation, context={"vision_conflict": conflict}), "p14.kb_exact").passed
    rows = [dict(r) for r in ctx["nlp"]["rows"]]
    rows[-1]["state"] = "false"  # France: no evidence, so unknown
    assert not _claim(_with(derivation, context={"nlp": ctx["nlp"] | {"rows": rows}}), "p14.kb_exact").passed
    rows = [dict(r) for r in ctx["kb_rows"]]
    rows[1]["L0"] = rows[1]["L"]  # a given bound replaced by the inferred one
    assert not _claim(_with(derivation, context={"kb_rows": rows}), "p14.kb_exact").passed


def test_a_neuron_outside_the_constraints_is_caught(monkeypatch):
    """A worked example built with plain Lukasiewicz connectives (unit weights, beta = 1) breaks the
    alpha constraints the text states for every neuron."""
    monkeypatch.setattr(experiment, "W", (1.0, 1.0))
    monkeypatch.setattr(experiment, "BETA", 1.0)
    assert not _claim(lnn.derive(), "p14.constraints").passed


def test_a_learned_neuron_outside_the_constraints_is_caught(derivation):
    learn = derivation.context["learn"]
    theta = np.array(learn["nlp"]["theta"])
    theta[0, 0] = 1.5  # below the smallest weight the constraints allow at this bias
    ctx = {"learn": learn | {"nlp": learn["nlp"] | {"theta": theta}}}
    assert not _claim(_with(derivation, context=ctx), "p14.constraints").passed


# --------------------------------------------------------------------------- learning


def _constraint_bounds(beta, alpha=learning.ALPHA):
    """Smallest weight and largest weight sum of a two-input neuron with bias beta, from
    beta - alpha w_i <= 1 - alpha and beta - (1 - alpha)(w_1 + w_2) >= alpha."""
    return (beta - 1 + alpha) / alpha, (beta - alpha) / (1 - alpha)


def test_projection_is_feasible_and_nearest():
    rng = np.random.default_rng(5)
    low, high = learning.BETA_MIN, learning.BETA_MAX
    feasible = []
    while len(feasible) < 400:  # feasible points by rejection, to compare distances with
        w, beta = rng.uniform(1.5, 16, 2), rng.uniform(low, high)
        m, total = _constraint_bounds(beta)
        if np.all(w >= m) and w.sum() <= total:
            feasible.append(np.append(w, beta))
    feasible = np.array(feasible)
    for _ in range(200):
        p = np.append(rng.uniform(0, 8, 2), rng.uniform(0, 5))
        w, beta = learning.project_neuron(p[:2], p[2])
        m, total = _constraint_bounds(beta)
        # feasible up to the round-off of the affine maps (entries below 16)
        assert np.all(w >= m - 1e-12) and w.sum() <= total + 1e-12 and low - 1e-12 <= beta <= high + 1e-12
        dist = np.linalg.norm(np.append(w, beta) - p)
        assert dist <= np.min(np.linalg.norm(feasible - p, axis=1)) + 1e-12
        again = learning.project_neuron(w, beta)
        assert np.allclose(np.append(*again), np.append(w, beta), rtol=0, atol=1e-12)


def test_wrong_gradient_is_caught(derivation, monkeypatch):
    """The contradiction term's gradient with its sign flipped."""
    real = learning.gradient

    def wrong(theta, data, lam=learning.LAMBDA, alpha=learning.ALPHA):
        return real(theta, data, -lam, alpha) if lam else real(theta, data, lam, alpha)

    monkeypatch.setattr(checks_learning, "gradient", wrong)
    assert not _claim(derivation, "p14.task_loss").passed


def test_wrong_printed_loss_is_caught(derivation):
    eq = derivation.equations["p14.task_loss"]
    t = next(s for s in eq.rhs.free_symbols if str(s) == "t")
    swapped = sp.Eq(eq.lhs, plain(eq.rhs).subs(t, 1 - t), evaluate=False)
    assert not _claim(_with(derivation, {"p14.task_loss": swapped}), "p14.task_loss").passed


def test_wrong_printed_counts_are_caught(derivation):
    eq = derivation.equations["p14.vision_result"]
    counts = list(eq.rhs)
    counts[2] = counts[2] + 1
    bad = sp.Eq(eq.lhs, sp.Tuple(*counts), evaluate=False)
    assert not _claim(_with(derivation, {"p14.vision_result": bad}), "p14.vision_result").passed
    learn = derivation.context["learn"]
    ctx = {"learn": learn | {"nlp": learn["nlp"] | {"gap": 1e-12}}}  # a reading within round-off of alpha
    assert not _claim(_with(derivation, context=ctx), "p14.nlp_result").passed


def test_a_wrong_reading_threshold_in_the_experiment_is_caught(monkeypatch):
    """The experiment reads at alpha - 1/16; the recount by grounded LNNs reads at alpha."""
    real = proposals.readings
    monkeypatch.setattr(proposals, "readings", lambda th, d, alpha=learning.ALPHA: real(th, d, alpha - 1 / 16))
    claims = {c.id: c for c in lnn.verify(lnn.derive())}
    assert not claims["p14.nlp_result"].passed and not claims["p14.vision_result"].passed


def test_wrong_printed_score_map_is_caught(derivation):
    eq = derivation.equations["p14.score_bounds"]
    (s,) = eq.rhs.free_symbols
    bad = sp.Eq(eq.lhs, sp.Tuple(sp.Max(0, 2 * s - 1), sp.Min(1, 2 * s + sp.Rational(1, 4))), evaluate=False)
    assert not _claim(_with(derivation, {"p14.score_bounds": bad}), "p14.score_bounds").passed


def test_data_unlike_their_description_are_caught(monkeypatch):
    """Scores turned into symmetric bounds [s - 1/8, s + 1/8], which the text's map cannot give."""
    monkeypatch.setattr(proposals, "_bounds", lambda s: (np.clip(s - 0.125, 0, 1), np.clip(s + 0.125, 0, 1)))
    claims = {c.id: c for c in lnn.verify(lnn.derive())}
    assert not claims["p14.nlp_result"].passed and not claims["p14.vision_result"].passed


def test_a_wrong_printed_objective_value_is_caught(derivation):
    """J printed after the first step instead of at the initial weights."""
    learn = derivation.context["learn"]
    ctx = {"learn": learn | {"vision": learn["vision"] | {"J0": learn["vision"]["J0"] * (1 - 1e-3)}}}
    assert not _claim(_with(derivation, context=ctx), "p14.task_loss").passed
