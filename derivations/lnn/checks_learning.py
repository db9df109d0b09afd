"""Problem 14's checks of the learned rules: the constraints, the objective and both proposals.

- Every neuron of the report (the worked theories and the learned rules) satisfies the printed
  alpha constraints, in exact rational arithmetic (each float parameter is a dyadic rational).
- The printed task loss, evaluated from its SymPy object, against the implementation on every
  query; the analytic gradient of the objective against central finite differences at the
  learned and the initial weights (with every kink farther than the step); the contradiction
  loss against the sum of the contradiction losses of the grounded LNNs built with the core.
- Each proposal's printed misread counts against a recount: every test query with a proof
  rebuilt as a grounded LNN with the learned weights, inferred with the core's upward and
  downward passes and read at alpha; queries without a proof read from the model's bounds; the
  deciding quantities clear of their thresholds by a margin.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import sympy as sp

from derivations.ledger import numeric_claim
from derivations.display import plain
from derivations.lnn.experiment import nlp_proposal, smokers, vision_conflict, vision_proposal
from derivations.lnn.learning import ALPHA, INITIAL, TEMPERATURE, RuleData, forward, gradient, objective, task_loss
from derivations.lnn.method import LNN
from derivations.lnn.proposals import TRAIN_SHARE, _bounds, nlp_data, vision_data

__all__ = ["check_constraints", "check_score_bounds", "check_task_loss", "check_proposal", "grounded_readings"]

DATA = {"nlp": (nlp_data, 1), "vision": (vision_data, 2)}


def _split(key):
    make, n_rules = DATA[key]
    data = make()
    n = data.label.shape[0]
    cut = int(round(TRAIN_SHARE * n))
    return data.subset(np.arange(cut)), data.subset(np.arange(cut, n)), n_rules


def check_constraints(statement, ctx):
    """Both printed inequalities, alpha and every neuron's parameters substituted as exact
    rationals: every connective of the worked theories and every learned neuron."""
    sum_rel, each_rel = statement
    sym = {str(s): s for s in sum_rel.free_symbols | each_rel.free_symbols}
    alpha = Fraction(ALPHA)
    neurons = [(n.weights, n.beta) for f in (smokers, lambda: nlp_proposal()[0], lambda: vision_proposal()[0],
                                             lambda: vision_conflict()[0])
               for n in f().nodes if n.kind in ("and", "or")]
    for key in ("nlp", "vision"):
        for row in np.asarray(ctx["learn"][key]["theta"]):
            neurons += [(tuple(row[:2]), row[2]), (tuple(row[3:5]), row[5])]
    violations = 0
    for w, beta in neurons:
        w = [Fraction(float(v)) for v in w]  # floats are dyadic rationals: exact
        env = {sym[r"\beta"]: sp.Rational(Fraction(float(beta))), sym[r"\alpha"]: sp.Rational(alpha),
               sym[r"\textstyle\sum_i w_i"]: sp.Rational(sum(w))}
        ok = bool(plain(sum_rel).subs(env))
        for wi in w:
            ok &= bool(plain(each_rel).subs(env | {sym["w_i"]: sp.Rational(wi)}))
        violations += not ok
    # tolerance 0: rational arithmetic, a count of neurons that break either inequality
    return numeric_claim("p14.constraints", statement, violations if neurons else math.inf, 0,
                         method=f"both inequalities, all {len(neurons)} neurons, exact rationals",
                         reproduce="seeds of derivations.lnn.proposals")


def check_score_bounds(statement):
    """The printed map from a score to bounds, on the grid of 64ths, against what the text says it
    means (from s = 1/2, where it says nothing, evidence for the atom rises linearly to [1, 1] at
    s = 1 and evidence against falls linearly to [0, 0] at s = 0), and the implementation against it."""
    (s_sym,) = statement.rhs.free_symbols
    printed = sp.lambdify(s_sym, plain(statement.rhs), "numpy")
    grid = np.arange(65) / 64
    L, U = (np.broadcast_to(np.asarray(v, dtype=float), grid.shape) for v in printed(grid))
    meant_L = np.where(grid >= 0.5, 2 * (grid - 0.5), 0.0)
    meant_U = np.where(grid >= 0.5, 1.0, 2 * grid)
    impl_L, impl_U = _bounds(grid)
    # tolerance 0: 64ths doubled and shifted by 1 are exact
    worst = max(float(np.max(np.abs(L - meant_L))), float(np.max(np.abs(U - meant_U))),
                float(np.max(np.abs(impl_L - L))), float(np.max(np.abs(impl_U - U))))
    return numeric_claim("p14.score_bounds", statement, worst, 0,
                         method="printed map and implementation vs its meaning, scores in 64ths",
                         reproduce="exhaustive")


def _as_described(key, data: RuleData):
    """The generated data match the text's words ('usually', 'half', 'some'); '' or what differs."""
    L0, U0 = data.det_L, data.det_U
    # every bound pair a model gives comes from the printed map: evidence for or against, not both
    if not np.all((L0 == 0) | (U0 == 1)):
        return "a model's bounds that the score map cannot give"
    if key == "nlp":
        rows = np.arange(len(data.label))
        birth = data.body_a[rows, data.label, 0]
        clear = float(np.mean(birth >= 0.7))
        lived = float(np.mean(data.valid[:, :, 1].any(axis=1)))
        said = (L0 > 0) | (U0 < 1)  # what the texts say about countries directly
        named = int(np.sum(said & (data.targets == 1)))
        denied = int(np.sum(said & (data.targets == 0)))
        # a text names the true country (evidence for) or denies a false one (evidence against)
        plain_words = bool(np.all(L0[said & (data.targets == 1)] >= 0.5) and np.all(U0[said & (data.targets == 0)] <= 0.2))
        ok = (L0.shape == (300, 6) and not data.rule.any() and 0.55 <= clear <= 0.85 and 0.35 <= lived <= 0.65 and named > 0 and denied > 0
              and plain_words)
        return "" if ok else f"clear {clear}, lived-in {lived}, named {named}, denied {denied}"
    # vision: an occluded object leaves the detector undecided on both classes (L <= 0.4, U >= 0.6)
    occluded = float(np.mean(np.all((L0 <= 0.4) & (U0 >= 0.6), axis=1)))
    moto, wheels = data.label == 1, data.body_a[:, 0, 0]
    hidden = float(np.mean(data.body_b[moto, 1, 0] < 0.8))
    # wheels on two-wheelers only, no engine seen on anything but a motorbike, a rule per class
    parts = bool(np.all((wheels > 0) == (data.label < 2)) and np.all(data.body_b[~moto, 0, 0] >= 0.8))
    ok = (L0.shape == (400, 2) and 0.4 <= occluded <= 0.6 and 0 < hidden < 0.5 and parts
          and list(data.rule) == [0, 1])
    return "" if ok else f"occluded {occluded}, engine hidden {hidden}, parts {parts}, rules {list(data.rule)}"


def _kink_distance(theta, data):
    """The smallest distance of any clipped or maximised quantity from its kink."""
    f = forward(theta, data)
    v = data.valid
    d = [np.abs(np.where(v, f["pre_body"], np.inf)), np.abs(np.where(v, f["pre_body"] - 1, np.inf)),
         np.abs(np.where(v, f["proof"], np.inf)), np.abs(np.where(v, f["proof"] - 1, np.inf)),
         np.abs(np.where(v, f["pre_imp"], np.inf)), np.abs(np.where(v, f["pre_imp"] - 1, np.inf))]
    # the max over proofs and with the model's bound: a kink only where the largest proof is
    # positive (a proof clipped at 0 is flat, and then so is the max)
    top = np.sort(np.where(v, f["proof_c"], -1.0), axis=2)
    live = top[:, :, -1] > 0
    if top.shape[2] > 1:
        d.append(np.where(live & (top[:, :, -2] > 0), top[:, :, -1] - top[:, :, -2], np.inf))
    d.append(np.where(live, np.abs(f["rule_L"] - data.det_L), np.inf))
    return float(min(x.min() for x in d))


def check_task_loss(statement, ctx):
    """The printed loss against the implementation on every query; the objective's gradient
    against central differences; the contradiction loss against the grounded LNNs."""
    sym = {str(s): s for s in statement.rhs.free_symbols}
    printed = sp.lambdify((sym["t"], sym["z"]), plain(statement.rhs), "numpy")
    worst_loss = worst_grad = worst_contra = 0.0
    h = 1e-6
    for key in ("nlp", "vision"):
        train, test, n_rules = _split(key)
        theta = np.asarray(ctx["learn"][key]["theta"])
        start = np.tile(np.array(INITIAL * 2), (n_rules, 1))
        for th, d in ((theta, train), (start, train), (theta, test)):
            L = forward(th, d)["L"]
            ref = printed(d.targets, (L - ALPHA) / TEMPERATURE)
            # logaddexp against log(1 + exp): both within a few ulps of values below 1/tau = 16
            worst_loss = max(worst_loss, float(np.max(np.abs(ref - task_loss(L, d.targets)))))
        for th in (theta, start):
            # the step must not cross a kink: every partial derivative of the clipped quantities is
            # at most 1 + max|theta| (the weights in denominators are >= 2), so a clearance of
            # 10 h (1 + max|theta|) keeps both sides of every difference on one smooth piece
            clear = _kink_distance(th, train) > 10 * h * (1 + np.abs(th).max())
            g = gradient(th, train)
            fd = np.zeros_like(g)
            for i in np.ndindex(th.shape):
                e = np.zeros_like(th)
                e[i] = h
                fd[i] = (objective(th + e, train) - objective(th - e, train)) / (2 * h)
            rel = float(np.max(np.abs(fd - g)) / np.max(np.abs(g)))
            worst_grad = max(worst_grad, rel if clear else math.inf)
        f = forward(theta, test)
        graph_total = sum(m.contradiction_loss() for m, _ in grounded_models(theta, test))
        worst_contra = max(worst_contra, abs(graph_total - float(f["contra"].sum())))
        # the printed objective before and after training: at the initial and the learned weights
        for printed_J, th in ((ctx["learn"][key]["J0"], start), (ctx["learn"][key]["J"], theta)):
            worst_loss = max(worst_loss, abs(printed_J - objective(th, train)))
    # tolerances: the losses are below 1/tau = 16 and the two formulas agree to a few ulps, far
    # inside 1e-12; central differences at h = 1e-6 of an objective below 1 carry round-off
    # eps / h ~ 1e-10 and truncation ~ h^2 |J'''| ~ 1e-12 (tau = 1/16 gives third derivatives near 1e3),
    # far inside 1e-6 of a gradient of size 1e-2; the contradiction sums add at most 720 terms,
    # each computed by both routes to a few ulps of 1: 1e-12
    worst = worst_grad if worst_loss <= 1e-12 and worst_contra <= 1e-12 else math.inf
    return numeric_claim("p14.task_loss", statement, worst, 1e-6,
                         method="printed loss; gradient vs central differences; LNNs",
                         reproduce="seeds of derivations.lnn.proposals; h = 1e-6",
                         detail=f"loss {worst_loss:.2e}, gradient {worst_grad:.2e}, contradiction {worst_contra:.2e}")


def grounded_models(theta, data: RuleData):
    """One grounded LNN per query with at least one proof, built with the core and inferred:
    yields (model, (n, c))."""
    N, C, K = data.body_a.shape
    for n in range(N):
        for c in range(C):
            ks = np.flatnonzero(data.valid[n, c])
            if ks.size == 0:
                continue
            w1, w2, b1, wx, wy, b2 = (float(v) for v in np.asarray(theta)[data.rule[c]])
            m = LNN()
            m.atom("head", float(data.det_L[n, c]), float(data.det_U[n, c]))
            for k in ks:
                a = m.atom(f"a{k}", float(data.body_a[n, c, k]), 1.0)
                b = m.atom(f"b{k}", float(data.body_b[n, c, k]), 1.0)
                body = m.conj(a, b, weights=(w1, w2), beta=b1)
                m.implies(body, "head", weights=(wx, wy), beta=b2, L=1.0, U=1.0)
            m.infer()
            yield m, (n, c)


def grounded_readings(theta, data: RuleData):
    """Every query read at alpha: by the grounded LNN where a proof exists, else from the
    model's own bounds, counted directly."""
    read = np.where(data.det_L >= ALPHA, "true", np.where(data.det_U <= 1 - ALPHA, "false", "unknown"))
    read = read.astype(object)
    for m, (n, c) in grounded_models(theta, data):
        read[n, c] = "contradiction" if m.contradiction_loss() > 0 else m.state("head", ALPHA)
    return read


def check_proposal(key, statement, ctx):
    """The printed counts (model alone, initial rule, learned rule) against a recount."""
    _, test, n_rules = _split(key)
    make, _ = DATA[key]
    described = _as_described(key, make())
    run = ctx["learn"][key]
    start = np.tile(np.array(INITIAL * 2), (n_rules, 1))
    counts = []
    for th, use_rules in ((start, False), (start, True), (np.asarray(run["theta"]), True)):
        d = test if use_rules else RuleData(test.det_L, test.det_U, test.body_a, test.body_b,
                                            np.zeros_like(test.valid), test.rule, test.label)
        read = grounded_readings(th, d)
        truth = d.label[:, None] == np.arange(d.det_L.shape[1])[None, :]
        counts.append(sum(1 for r, t in zip(read.ravel(), truth.ravel()) if (r == "true") != bool(t)))
    printed = [int(v) for v in statement.rhs]
    # decisions: every lower bound, upper bound and implication bound at least 1e-9 from its threshold
    margin_ok = run["gap"] > 1e-9
    worst = max(abs(a - b) for a, b in zip(printed, counts)) + (0 if margin_ok and not described else math.inf)
    # tolerance 0: counts of discrete readings
    return numeric_claim(f"p14.{key}_result", statement, worst, 0,
                         method=f"{test.det_L.size} test atoms re-read by grounded LNNs; margins",
                         reproduce=f"seed {ctx['learn']['seeds'][key]}",
                         detail=f"recounted {counts}, smallest decision gap {run['gap']:.2e} {described}")
