"""Problem 14's derivation: what the report states about logical neural networks.

``statements`` gives the results as SymPy objects (the classical truth tables, De Morgan,
monotonicity, the downward rules for AND and for the implication, the classical reading at
alpha, and exact inference on the report's theories); ``derive`` adds the LaTeX context: the
rules of modus ponens and tollens with unit weights, and the tables of inferred bounds for the
worked examples of :mod:`derivations.lnn.experiment`, with the convergence figure.
"""

from __future__ import annotations

import sympy as sp

from derivations.display import InOrder, Paren, Product
from derivations.ledger import Derivation, Figure
from derivations.lnn.experiment import ALPHA, CONFLICT_DETECTOR, nlp_proposal, run, smokers, vision_conflict, vision_proposal
from derivations.lnn.learning import LAMBDA, RATE, STEPS, TEMPERATURE
from derivations.lnn.proposals import SEEDS, nlp_data, run_proposal, vision_data
from derivations.tex import power_of_ten_above, tex

__all__ = ["derive", "statements", "PROBLEM", "UNIT_WEIGHTS"]

PROBLEM = 14  # this problem's number in the registry
UNIT_WEIGHTS = {"w_x": 1, "w_y": 1, r"\beta": 1}  # plain Lukasiewicz logic: unit weights, beta = 1
CORNER = {"w_x": sp.Integer(2), "w_y": sp.Integer(2), r"\beta": sp.Rational(7, 4)}  # the worked examples' neurons


def _fn(name, *args):
    return sp.Function(name)(*args)


def statements(results=None):
    """The results of Problem 14 as SymPy objects, keyed by claim id; ``results`` gives each
    proposal's misread counts (model alone, rule at its initial weights, learned rule)."""
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
    alpha, sum_w = sp.Symbol(r"\alpha"), sp.Symbol(r"\textstyle\sum_i w_i")
    t, z, score = sp.Symbol("t"), sp.Symbol("z"), sp.Symbol("s")
    errors = sp.Tuple(sp.Symbol(r"E_{\mathrm{model}}"), sp.Symbol(r"E^{0}_{\mathrm{LNN}}"), sp.Symbol(r"E_{\mathrm{LNN}}"))
    return {
        "p14.classical": (
            sp.Eq(_fn(AND1, x), sp.Product(xi, (i, 1, n))),
            sp.Eq(_fn(OR1, x), 1 - sp.Product(1 - xi, (i, 1, n))),
            sp.Eq(sp.Symbol(r"(x \to y)_{\mathbf{1},1}"), 1 - xs + xs * y),
        ),
        "p14.de_morgan": sp.Eq(1 - _fn(ANDw, x), _fn(ORw, 1 - x), evaluate=False),
        "p14.monotone": (
            sp.Ge(sp.Symbol(r"\partial \operatorname{AND}_{\mathbf{w},\beta} / \partial x_i"), 0),
            sp.Ge(sp.Symbol(r"\partial \operatorname{OR}_{\mathbf{w},\beta} / \partial x_i"), 0),
            sp.Le(sp.Symbol(r"\partial (x \to y) / \partial x"), 0),
            sp.Ge(sp.Symbol(r"\partial (x \to y) / \partial y"), 0),
        ),
        "p14.and_downward": (  # terms in the order a person writes them: beta - L - sum
            sp.Ge(sp.Symbol("x_i"), 1 - InOrder(beta, -L, -S_hi) / wi),
            sp.Le(sp.Symbol("x_i"), 1 - InOrder(beta, -U, -S_lo) / wi),
        ),
        "p14.modus_ponens": (
            sp.Ge(y, InOrder(Limp, beta, -1, -wx * (1 - Lx)) / wy),
            sp.Le(xs, 1 - InOrder(Limp, beta, -1, -Product(wy, Uy)) / wx),
        ),
        "p14.alpha_classical": (
            sp.Ge(sp.Symbol(r"\min_{\mathbf{x} \in [\alpha, 1]^n} \operatorname{AND}_{\mathbf{w},\beta}(\mathbf{x})"),
                  sp.Symbol(r"\alpha")),
            sp.Le(sp.Symbol(r"\max_{\mathbf{x} \in [0, 1]^n,\ \min_i x_i \le 1 - \alpha} "
                            r"\operatorname{AND}_{\mathbf{w},\beta}(\mathbf{x})"),
                  1 - sp.Symbol(r"\alpha")),
        ),
        "p14.constraints": (
            sp.Ge(InOrder(beta, -Product(Paren(InOrder(1, -alpha)), sum_w)), alpha, evaluate=False),
            sp.Le(InOrder(beta, -Product(alpha, wi)), InOrder(1, -alpha), evaluate=False),
        ),
        "p14.score_bounds": sp.Eq(sp.Tuple(sp.Symbol("L"), sp.Symbol("U")),
                                  sp.Tuple(sp.Max(0, InOrder(2 * score, -1)), sp.Min(1, 2 * score)), evaluate=False),
        "p14.task_loss": sp.Eq(sp.Symbol(r"\ell(L, t)"),
                               InOrder(Product(t, sp.log(InOrder(1, sp.exp(-z)))),
                                       Product(Paren(InOrder(1, -t)), sp.log(InOrder(1, sp.exp(z))))),
                               evaluate=False),
        **({} if results is None else {
            "p14.nlp_result": sp.Eq(errors, sp.Tuple(*results["nlp"]), evaluate=False),
            "p14.vision_result": sp.Eq(errors, sp.Tuple(*results["vision"]), evaluate=False),
        }),
        "p14.kb_exact": (
            sp.Eq(sp.Symbol(r"[L_{a}, U_{a}]"), sp.Symbol(r"[\min_{\mathcal{C}} a, \max_{\mathcal{C}} a]"),
                  evaluate=False),
            sp.Equivalent(sp.Symbol(r"\mathcal{C} = \emptyset"),
                          sp.Symbol(r"\textstyle\sum_{\text{neurons}} \max(0, L - U) > 0")),
        ),
    }


# --------------------------------------------------------------------------- derive


def derive() -> Derivation:
    runs = {"nlp": run_proposal(nlp_data(), 1), "vision": run_proposal(vision_data(), 2)}
    equations = statements({k: (r["baseline"], r["initial"], r["trained"]) for k, r in runs.items()})
    # the rules of modus ponens and tollens with unit weights and beta = 1, from the printed ones
    mp_unit, mp_corner = ([tex(rel.func(rel.lhs, _as_written(rel.rhs.subs({v: params[k] for k, v in _symbols(rel.rhs).items()
                                                                             if k in params})), evaluate=False))
                            for rel in equations["p14.modus_ponens"]] for params in (UNIT_WEIGHTS, CORNER))
    kb = smokers()
    history = kb.infer()
    atoms = [n.name for n in kb.nodes if n.kind == "atom"]
    unknown = [a for a in atoms if history[0][a] == (0.0, 1.0)]
    final = kb.bounds()  # after inference
    kb_rows = [{"atom": a, "L0": history[0][a][0], "U0": history[0][a][1], "L": final[a][0],
                "U": final[a][1], "state": kb.state(a, ALPHA)} for a in atoms]
    context = {
        "alpha": ALPHA,
        "mp_unit": mp_unit,
        "mp_corner": mp_corner,
        "kb_rows": kb_rows,
        "kb_bounds": {a: final[a] for a in atoms},
        "kb_state": {r["atom"]: r["state"] for r in kb_rows},
        "kb_iterations": len(history) - 1,
        "kb_loss": kb.contradiction_loss(),
        "kb_neurons": len(kb.nodes),
        "nlp": run(nlp_proposal()),
        "vision": run(vision_proposal()),
        "vision_conflict": run(vision_conflict()),
        "conflict_detector": CONFLICT_DETECTOR,
        # every deciding quantity clears its threshold by more than 10^this (a bound, safe by a factor 2)
        "learn_gap_decade": -power_of_ten_above(1 / min(r["gap"] for r in runs.values())),
        "learn": {"lambda": LAMBDA, "tau": TEMPERATURE, "seeds": SEEDS, "steps": STEPS, "rate": RATE,
                  **{k: {key: v for key, v in r.items() if key != "history"} | {"J0": r["history"][0], "J": r["history"][-1]}
                     for k, r in runs.items()}},
    }
    figure = Figure(
        "p14_kb_convergence", "figures.lnn:bounds_ladder",
        {"atoms": unknown, "history": [[h[a] for a in unknown] for h in history]},
        width=2.5, height=1.6,
    )
    return Derivation(problem=PROBLEM, equations=equations, context=context, figures=(figure,))


def _as_written(expr):
    """The expanded sum with the bounds first (L_x, U_y, then the rule's bound) and the constant last."""
    rank = {"L_x": 0, "U_y": 0, r"L_{x \to y}": 1}
    terms = sp.Add.make_args(sp.expand(expr))
    return InOrder(*sorted(terms, key=lambda t: rank.get(str(next(iter(t.free_symbols), "")), 2)))


def _symbols(expr):
    return {str(s): s for s in expr.free_symbols}
