"""Problem 14's derivation and checks: what the report states about the LNN core.

Every check goes by enumeration.  Truth values, weights and biases are dyadic rationals, so the
activations and bound rules are computed exactly in floating point and the tolerances are 0:
classical truth tables against Python's booleans; De Morgan and monotonicity on grids; the
downward rules (for AND and for the implication: modus ponens and tollens) against the
extremes of every grid point consistent with the bounds; and the converged bounds of the
Smokers-and-Friends theory against brute force over all its consistent grid assignments.
"""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp

from derivations.ledger import Derivation, Figure, numeric_claim

__all__ = ["derive", "verify", "statements", "consistent_extremes"]


def _fn(name, *args):
    return sp.Function(name)(*args)


def statements():
    """The results of Problem 14 as SymPy objects, keyed by claim id."""
    x, y = sp.Symbol(r"\mathbf{x}"), sp.Symbol("y")
    xs = sp.Symbol("x")
    i, n = sp.Symbol("i", integer=True, positive=True), sp.Symbol("n", integer=True, positive=True)
    xi = sp.IndexedBase("x")[i]
    AND1, OR1 = r"\operatorname{AND}_{\mathbf{1},1}", r"\operatorname{OR}_{\mathbf{1},1}"
    ANDw, ORw = r"\operatorname{AND}_{\mathbf{w},\beta}", r"\operatorname{OR}_{\mathbf{w},\beta}"
    beta, L, U = sp.Symbol(r"\beta"), sp.Symbol("L"), sp.Symbol("U")
    wi, wx, wy = sp.Symbol("w_i", positive=True), sp.Symbol("w_x", positive=True), sp.Symbol("w_y", positive=True)
    S_hi = sp.Symbol(r"\textstyle\sum_{j \ne i} w_j (1 - U_j)")
    S_lo = sp.Symbol(r"\textstyle\sum_{j \ne i} w_j (1 - L_j)")
    Limp, Lx, Uy = sp.Symbol(r"L_{x \to y}"), sp.Symbol("L_x"), sp.Symbol("U_y")
    return {
        "p14.classical": (
            sp.Eq(_fn(AND1, x), sp.Product(xi, (i, 1, n))),
            sp.Eq(_fn(OR1, x), 1 - sp.Product(1 - xi, (i, 1, n))),
            sp.Eq(sp.Symbol(r"(x \to y)_{\mathbf{1},1}"), 1 - xs + xs * y),
        ),
        "p14.de_morgan": sp.Eq(1 - _fn(ANDw, x), _fn(ORw, sp.Symbol(r"\mathbf{1} - \mathbf{x}")), evaluate=False),
        "p14.monotone": (
            sp.Ge(sp.Symbol(r"\partial \operatorname{AND}_{\mathbf{w},\beta} / \partial x_i"), 0),
            sp.Ge(sp.Symbol(r"\partial \operatorname{OR}_{\mathbf{w},\beta} / \partial x_i"), 0),
            sp.Le(sp.Symbol(r"\partial (x \to y) / \partial x"), 0),
            sp.Ge(sp.Symbol(r"\partial (x \to y) / \partial y"), 0),
        ),
        "p14.and_downward": (
            sp.Ge(sp.Symbol("x_i"), 1 - (beta - L - S_hi) / wi),
            sp.Le(sp.Symbol("x_i"), 1 - (beta - U - S_lo) / wi),
        ),
        "p14.modus_ponens": (
            sp.Ge(y, (Limp - 1 + beta - wx * (1 - Lx)) / wy),
            sp.Le(xs, 1 - (Limp - 1 + beta - wy * Uy) / wx),
        ),
        "p14.alpha_classical": (
            sp.Ge(sp.Symbol(r"\min_{\mathbf{x} \in [\alpha, 1]^n} \operatorname{AND}_{\mathbf{w},\beta}(\mathbf{x})"),
                  sp.Symbol(r"\alpha")),
            sp.Le(sp.Symbol(r"\max_{\mathbf{x} \in [0, 1]^n,\ \min_i x_i \le 1 - \alpha} "
                            r"\operatorname{AND}_{\mathbf{w},\beta}(\mathbf{x})"),
                  1 - sp.Symbol(r"\alpha")),
        ),
        "p14.kb_exact": sp.Eq(sp.Symbol(r"[L_{a}, U_{a}]"), sp.Symbol(r"[\min_{\mathcal{C}} a, \max_{\mathcal{C}} a]"),
                              evaluate=False),
    }


# --------------------------------------------------------------------------- derive


def derive() -> Derivation:
    from derivations.lnn_examples import ALPHA, nlp_proposal, run, smokers, vision_proposal

    kb = smokers()
    history = kb.infer()
    atoms = [n.name for n in kb.nodes if n.kind == "atom"]
    unknown = [a for a in atoms if history[0][a] == (0.0, 1.0)]
    kb_rows = [{"atom": a, "L0": history[0][a][0], "U0": history[0][a][1], "L": history[-1][a][0],
                "U": history[-1][a][1], "state": kb.state(a, ALPHA)} for a in atoms]
    context = {
        "alpha": ALPHA,
        "kb_rows": kb_rows,
        "kb_bounds": {a: history[-1][a] for a in atoms},
        "kb_iterations": len(history) - 1,
        "kb_loss": kb.contradiction_loss(),
        "kb_neurons": len(kb.nodes),
        "nlp": run(nlp_proposal()),
        "vision": run(vision_proposal()),
        "vision_conflict": run(vision_proposal(bicycle_detector=(0.125, 0.5))),
    }
    figure = Figure(
        "p14_kb_convergence", "figures.lnn:bounds_ladder",
        {"atoms": unknown, "history": [[h[a] for a in unknown] for h in history]},
        width=5.6, height=2.5,
    )
    return Derivation(problem=14, equations=statements(), context=context, figures=(figure,))


# --------------------------------------------------------------------------- verify

DYADIC_W = (0.5, 1.0, 2.0)


def _grid(step):
    return np.arange(0, 1 + step / 2, step)


def _check_classical(statement):
    from derivations.lnn import weighted_and, weighted_implies, weighted_or

    worst = 0.0
    for n in range(1, 6):
        X = np.array(list(itertools.product((0.0, 1.0), repeat=n)))
        truth_and = np.array([float(all(r)) for r in X])
        truth_or = np.array([float(any(r)) for r in X])
        worst = max(worst, np.max(np.abs(weighted_and(X, np.ones(n), 1.0) - truth_and)),
                    np.max(np.abs(weighted_or(X, np.ones(n), 1.0) - truth_or)))
    for a, b in itertools.product((0.0, 1.0), repeat=2):
        worst = max(worst, abs(float(weighted_implies(a, b)) - float((not a) or b)))
    return numeric_claim("p14.classical", statement, worst, 0.0,
                         method="exact enumeration of all 0/1 inputs, n = 1..5, against Python's all, any and (not x or y)",
                         reproduce="exhaustive")


def _check_de_morgan(statement):
    from derivations.lnn import weighted_and, weighted_or

    X = np.array(list(itertools.product(_grid(0.125), repeat=3)))
    worst = 0.0
    for w in itertools.product(DYADIC_W, repeat=3):
        for beta in (0.5, 1.0, 1.5):
            worst = max(worst, float(np.max(np.abs(1 - weighted_and(X, w, beta) - weighted_or(1 - X, w, beta)))))
    return numeric_claim("p14.de_morgan", statement, worst, 0.0,
                         method="exact dyadic grid: three inputs in steps of 1/8, each weight in {1/2, 1, 2}, beta in {1/2, 1, 3/2}",
                         reproduce="exhaustive")


def _check_monotone(statement):
    from derivations.lnn import weighted_and, weighted_implies, weighted_or

    h = 0.125
    X = np.array(list(itertools.product(_grid(h)[:-1], repeat=3)))
    worst = 0.0
    for w in itertools.product(DYADIC_W, repeat=3):
        for beta in (0.5, 1.0, 1.5):
            for i in range(3):
                Xh = X.copy()
                Xh[:, i] += h
                for f in (weighted_and, weighted_or):
                    worst = max(worst, float(np.max(f(X, w, beta) - f(Xh, w, beta))))
    g = _grid(h)
    for wx, wy in itertools.product(DYADIC_W, repeat=2):
        I = weighted_implies(g[:, None], g[None, :], wx, wy)
        worst = max(worst, float(np.max(np.diff(I, axis=0))), float(np.max(-np.diff(I, axis=1))))
    return numeric_claim("p14.monotone", statement, worst, 0.0,
                         method="largest wrong-way step of size 1/8 on the dyadic grid (3 inputs, 27 weight "
                                "vectors, 3 biases)", reproduce="exhaustive")


def _check_alpha(statement):
    """Every dyadic (w, beta) that meets the paper's constraints for AND at alpha = 7/8 behaves
    classically on the whole 1/16 grid of three inputs.  (At alpha = 3/4 no three-input AND
    meets them: they need n (beta - 1 + alpha) / alpha <= (beta - alpha) / (1 - alpha).)"""
    from derivations.lnn import weighted_and

    alpha = 0.875
    g = _grid(1 / 16)
    X = np.array(list(itertools.product(g, repeat=3)))
    true_in = np.all(X >= alpha, axis=1)
    false_in = np.min(X, axis=1) <= 1 - alpha
    worst, n_ok = 0.0, 0
    for w in itertools.product(np.arange(10, 19) / 8, repeat=3):  # 5/4 .. 9/4
        for beta in np.arange(8, 21) / 8:  # 1 .. 5/2
            w_arr = np.array(w)
            if beta - (1 - alpha) * w_arr.sum() < alpha or np.any(beta - alpha * w_arr > 1 - alpha):
                continue  # outside the constraints
            n_ok += 1
            out = weighted_and(X, w_arr, float(beta))
            worst = max(worst, float(np.max(alpha - out[true_in], initial=0)),
                        float(np.max(out[false_in] - (1 - alpha), initial=0)))
    return numeric_claim("p14.alpha_classical", statement, max(worst, 0.0), 0.0,
                         method=f"all {n_ok} dyadic (w, beta) meeting the constraints, alpha = 7/8, "
                                "every point of the 1/16 grid of three inputs",
                         reproduce="exhaustive")


def consistent_extremes(model_factory, step):
    """Brute force: min and max of every atom over the grid assignments consistent with the theory.

    Every atom ranges over the grid points in its initial bounds; an assignment is consistent
    when every neuron's truth value, computed forward with the activations, lies in that
    neuron's initial bounds.  Returns ``{atom: (min, max)}``, or ``None`` if none is consistent.
    """
    from derivations.lnn import weighted_and, weighted_or

    m = model_factory()
    atoms = [n for n in m.nodes if n.kind == "atom"]
    axes = [_grid(step)[(_grid(step) >= a.L) & (_grid(step) <= a.U)] for a in atoms]
    mesh = np.meshgrid(*axes, indexing="ij")
    value = {a.name: g.ravel() for a, g in zip(atoms, mesh)}
    ok = np.ones(mesh[0].size, dtype=bool)
    for node in m.nodes:
        if node.kind != "atom":
            ops = np.stack([value[o] for o in node.operands], axis=-1)
            if node.kind == "not":
                value[node.name] = 1 - ops[:, 0]
            elif node.kind == "and":
                value[node.name] = weighted_and(ops, node.weights, node.beta)
            else:
                value[node.name] = weighted_or(ops, node.weights, node.beta)
        ok &= (value[node.name] >= node.L) & (value[node.name] <= node.U)
    if not ok.any():
        return None
    return {a.name: (float(value[a.name][ok].min()), float(value[a.name][ok].max())) for a in atoms}


def _compare(model_factory, step):
    """Largest |LNN bound - brute-force extreme| over atoms; 1 if they disagree on consistency."""
    m = model_factory()
    m.infer()
    brute = consistent_extremes(model_factory, step)
    if brute is None or m.contradiction_loss() > 0:
        return 0.0 if (brute is None) == (m.contradiction_loss() > 0) else 1.0
    b = m.bounds()
    return max(max(abs(b[k][0] - lo), abs(b[k][1] - hi)) for k, (lo, hi) in brute.items())


class _AndTheory:
    """A picklable factory: one weighted AND with bounds on it and on its three operands."""

    def __init__(self, bounds, w, beta, fbounds):
        self.bounds, self.w, self.beta, self.fbounds = bounds, w, beta, fbounds

    def __call__(self):
        from derivations.lnn import LNN

        m = LNN()
        names = [m.atom(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(self.bounds)]
        m.conj(*names, weights=self.w, beta=self.beta, L=self.fbounds[0], U=self.fbounds[1])
        return m


class _ImpliesTheory:
    def __init__(self, xb, yb, w, beta, ib):
        self.xb, self.yb, self.w, self.beta, self.ib = xb, yb, w, beta, ib

    def __call__(self):
        from derivations.lnn import LNN

        m = LNN()
        m.atom("x", *self.xb)
        m.atom("y", *self.yb)
        m.implies("x", "y", weights=self.w, beta=self.beta, L=self.ib[0], U=self.ib[1])
        return m


def _pairs(rng, k):
    v = np.sort(rng.integers(0, 9, size=(k, 2)), axis=1) / 8
    return [(float(a), float(b)) for a, b in v]


def _check_and_downward(statement):
    rng = np.random.default_rng(14)
    worst, cases = 0.0, 150
    for _ in range(cases):
        theory = _AndTheory(_pairs(rng, 3), tuple(float(v) for v in rng.choice(DYADIC_W, 3)),
                            float(rng.choice([1.0, 1.25, 1.5])), _pairs(rng, 1)[0])
        worst = max(worst, _compare(theory, 1 / 32))
    return numeric_claim("p14.and_downward", statement, worst, 0.0,
                         method=f"{cases} random dyadic cases (3 operands): LNN bounds against the extremes of "
                                "all consistent points of the 1/32 grid",
                         reproduce="seed 14")


def _check_modus_ponens(statement):
    rng = np.random.default_rng(15)
    worst, cases = 0.0, 150
    for _ in range(cases):
        xb, yb, ib = _pairs(rng, 3)
        theory = _ImpliesTheory(xb, yb, tuple(float(v) for v in rng.choice(DYADIC_W, 2)),
                                float(rng.choice([1.0, 1.25, 1.5])), ib)
        worst = max(worst, _compare(theory, 1 / 64))
    return numeric_claim("p14.modus_ponens", statement, worst, 0.0,
                         method=f"{cases} random dyadic cases: LNN bounds on x and y against the extremes of "
                                "all consistent points of the 1/64 grid",
                         reproduce="seed 15")


def _check_kb(statement):
    from derivations.lnn_examples import smokers

    err = _compare(smokers, 1 / 8)
    return numeric_claim("p14.kb_exact", statement, err, 0.0,
                         method="brute force over all consistent assignments of the theory on the 1/8 grid",
                         reproduce="Smokers and Friends of derivations.lnn_examples")


def verify(derivation: Derivation):
    eq = derivation.equations
    return [
        _check_classical(eq["p14.classical"]),
        _check_de_morgan(eq["p14.de_morgan"]),
        _check_monotone(eq["p14.monotone"]),
        _check_and_downward(eq["p14.and_downward"]),
        _check_modus_ponens(eq["p14.modus_ponens"]),
        _check_alpha(eq["p14.alpha_classical"]),
        _check_kb(eq["p14.kb_exact"]),
    ]
