"""Problem 8's derivation: Proposition 1 and Theorem 1 by SymPy, the saturation of the generator's
loss, Adam's rule as printed, and the statements the report prints (``derive``).

SymPy maximises y -> a log y + b log(1 - y) (Proposition 1), rewrites C(G) with exact sums over K
points to -log 4 + 2 JSD (Theorem 1) and differentiates both generator losses through the
discriminator's logit.  The training runs behind the figures and the measured numbers are in
:mod:`derivations.gan.experiment`, the checks in :mod:`derivations.gan.checks`.
"""

from __future__ import annotations

import functools

import sympy as sp

from derivations.display import InOrder, Paren, Product, Scaled, plain, reference_to
from derivations.gan.experiment import SEED_STUDY, _train_runs
from derivations.gan.method import ADAM_BETAS, ADAM_EPS, GanConfig
from derivations.gan.panels import D_A, DATA, ETA, G_START, X, logit_b, panel_model
from derivations.gan.notation import (
    C_G,
    JSD,
    LOG4,
    LOG_1M_D_GZ,
    LOG_D_X,
    M_BATCH,
    SIGMA_A,
    optimal_discriminator_statement,
)
from derivations.gan.quotes import QUOTES
from derivations.ledger import Derivation, Figure
from derivations.numerics import one_blas_thread
from derivations.tex import tex

__all__ = [
    "pointwise_maximum",
    "criterion_terms",
    "criterion_residual",
    "saturation",
    "adam_rule",
    "ADAM_T",
    "ADAM_SYMBOLS",
    "TRAINING_END_GAP",
    "TRAINING_END_TOL",
    "derive",
    "numerically",
    "panel_statements",
    "PANEL_JSD",
    "PANEL_V_A",
    "PANEL_C_A",
    "PANEL_FLOW",
    "PANEL_ETA",
    "PANEL_THETA",
    "PANEL_GRAD",
]

# The redrawn Figure 1 (derivations.gan.panels): the symbols its claims print.
PANEL_JSD = {t: sp.Symbol(r"\operatorname{JSD}\bigl(p_{\mathrm{data}}\,\|\,p_{g}^{(\mathrm{%s})}\bigr)" % t) for t in "bc"}
PANEL_V_A = sp.Symbol(r"V\bigl(D_{(\mathrm{a})},G_{(\mathrm{a})}\bigr)")  # V(D, G), the assignment's order
PANEL_C_A = sp.Symbol(r"C\bigl(G_{(\mathrm{a})}\bigr)")
PANEL_D_BC = sp.Symbol(r"D_{(\mathrm{b})}(x),\ D_{(\mathrm{c})}(x)")
PANEL_ARGMAX = sp.Symbol(r"\operatorname*{arg\,max}_{y\in(0,1)}\Bigl(p_{\mathrm{data}}(x)\log y+p_{g}(x)\log(1-y)\Bigr)")
PANEL_D_D = sp.Symbol(r"D^{*}_{G_{(\mathrm{d})}}(x)")
PANEL_THETA = {t: sp.Symbol(r"\theta_{(\mathrm{%s})}" % t) for t in "bc"}
PANEL_ETA = sp.Symbol(r"\eta")
PANEL_GRAD = sp.Symbol(r"\nabla_{\theta}\,\E_{z}\log\bigl(1-D_{(\mathrm{b})}(G_{\theta}(z))\bigr)\big|_{\theta=\theta_{(\mathrm{b})}}")
PANEL_FLOW = {t: sp.Symbol(r"\E_{z}\,D_{(\mathrm{b})}\bigl(G_{(\mathrm{%s})}(z)\bigr)" % t) for t in "bc"}


def panel_statements():
    """What the redrawn panels state, as printed."""
    return {
        "p8.panel_partial": sp.Contains(PANEL_V_A, sp.Interval.open(-LOG4, PANEL_C_A), evaluate=False),
        "p8.panel_optimal": sp.Eq(PANEL_D_BC, PANEL_ARGMAX, evaluate=False),
        "p8.panel_update": sp.Eq(PANEL_THETA["c"], InOrder(PANEL_THETA["b"], -PANEL_ETA * PANEL_GRAD)),
        "p8.panel_flow": sp.Gt(PANEL_FLOW["c"], PANEL_FLOW["b"], evaluate=False),
        "p8.panel_half": sp.Eq(PANEL_D_D, sp.Rational(1, 2), evaluate=False),
        "p8.panel_jsd": sp.Contains(PANEL_JSD["c"], sp.Interval.open(0, PANEL_JSD["b"]), evaluate=False),
    }

# "At the end p_g matches p_data in mean and spread and D is close to 1/2 on the data's bulk", as a
# claim: the largest of |mean_g - mu| / sigma, |std_g / sigma - 1| and |D - 1/2| on the core interval.
TRAINING_END_GAP = sp.Symbol(r"\max\bigl\{\lvert\bar{x}_g-\mu\rvert/\sigma,\ \lvert s_g/\sigma-1\rvert,\ "
                             r"\max_{\mathrm{core}}\lvert D-\tfrac12\rvert\bigr\}")
TRAINING_END_TOL = 0.1


numerically = reference_to  # a numeric re-check shows as a reference to the formula it evaluates


# --------------------------------------------------------------------------- derivation


def pointwise_maximum():
    """Maximise f(y) = a log y + b log(1 - y) over y in (0, 1) for a, b > 0, with SymPy."""
    a, b = sp.symbols("a b", positive=True)
    y = sp.Symbol("y", positive=True)
    f = a * sp.log(y) + b * sp.log(1 - y)
    stationary = sp.solve(sp.Eq(sp.diff(f, y), 0), y)
    assert len(stationary) == 1, stationary
    y_star = sp.simplify(stationary[0])
    f2 = sp.diff(f, y, 2)
    f2_at_star = sp.factor(sp.simplify(f2.subs(y, y_star)))
    # Concave on all of (0, 1): write y = t / (1 + t), t > 0, and ask SymPy for the sign.
    t = sp.Symbol("t", positive=True)
    concave_everywhere = bool(sp.simplify(f2.subs(y, t / (1 + t))).is_negative)
    ends = (sp.limit(f, y, 0, "+"), sp.limit(f, y, 1, "-"))
    return dict(a=a, b=b, y=y, f=f, y_star=y_star, f2=f2, f2_at_star=f2_at_star,
                concave_everywhere=concave_everywhere, ends=ends)


def criterion_terms():
    """C(G), JSD and log 4 for distributions on K points (K symbolic), as exact sums over k.

    Returns the notation symbols the report prints mapped to their sums, and the index k and the
    IndexedBases a (p_data) and b (p_g) that :func:`criterion_residual` needs.
    """
    K = sp.Symbol("K", integer=True, positive=True)
    k = sp.Symbol("k", integer=True, positive=True)
    a, b = sp.IndexedBase("a", positive=True), sp.IndexedBase("b", positive=True)  # p_data, p_g
    d_star = a[k] / (a[k] + b[k])
    mix = (a[k] + b[k]) / 2
    terms = {
        C_G: sp.Sum(a[k] * sp.log(d_star) + b[k] * sp.log(1 - d_star), (k, 1, K)),
        JSD: sp.Sum(sp.Rational(1, 2) * (a[k] * sp.log(a[k] / mix) + b[k] * sp.log(b[k] / mix)), (k, 1, K)),
        LOG4: sp.log(4),
    }
    return {"terms": terms, "k": k, "a": a, "b": b}


def criterion_residual(statement, ct):
    """lhs - rhs of the printed Theorem 1 with C, JSD and log 4 replaced by their exact values.

    The sums over k merge into one summand, which must be c_a a_k + c_b b_k with constants c_a,
    c_b; since both distributions sum to one it adds up to c_a + c_b.  Returns (that plus the
    terms outside the sums, the merged summand): the first is 0 when the theorem holds for every K.
    """
    return _criterion_residual(statement, tuple(ct["terms"].items()), ct["k"], ct["a"], ct["b"])


@functools.lru_cache(maxsize=16)
def _criterion_residual(statement, terms, k, a, b):
    """:func:`criterion_residual` on hashable arguments: derive (for the summand it prints) and
    verify (for the residual it checks) ask about the same statement, and SymPy's simplification
    is the cost; a changed statement is a different key."""
    total = sp.expand(plain(statement.lhs - statement.rhs).xreplace(dict(terms)))
    summand, rest = sp.Integer(0), sp.Integer(0)
    for term in sp.Add.make_args(total):
        coeff, inner = term.as_coeff_Mul()
        if isinstance(inner, sp.Sum) and inner.limits[0][0] == k:
            summand += coeff * inner.function
        else:
            rest += term
    summand = sp.expand(sp.expand_log(sp.simplify(summand), force=True))
    ca, cb = summand.coeff(a[k]), summand.coeff(b[k])
    if ca.has(k) or cb.has(k) or sp.simplify(summand - ca * a[k] - cb * b[k]) != 0:
        return sp.Symbol("not_linear_in_p"), summand  # no conclusion
    return sp.simplify(ca + cb + rest), summand


def saturation():
    """d/da of both generator losses through the discriminator's logit a, D = sigmoid(a)."""
    a = sp.Symbol("a", real=True)
    D = 1 / (1 + sp.exp(-a))
    sat = sp.simplify(sp.diff(sp.log(1 - D), a))
    nonsat = sp.simplify(sp.diff(sp.log(D), a))
    return dict(a=a, D=D, sat=sat, nonsat=nonsat,
                sat_limit=sp.limit(sat, a, -sp.oo), nonsat_limit=sp.limit(nonsat, a, -sp.oo))


ADAM_T = sp.Symbol("t", integer=True, positive=True)
ADAM_SYMBOLS = dict(zip(
    ("theta", "theta_prev", "m", "m_prev", "v", "v_prev", "g", "m_hat", "v_hat", "alpha", "beta1", "beta2", "eps"),
    sp.symbols(r"\theta_{t} \theta_{t-1} m_{t} m_{t-1} v_{t} v_{t-1} g_{t} \hat{m}_{t} \hat{v}_{t} \alpha \beta_{1} \beta_{2} \epsilon"),
))


def adam_rule():
    """Adam's update (Kingma & Ba) as printed, for a parameter that is descended (D's ascends: +)."""
    s, t = ADAM_SYMBOLS, ADAM_T
    # as Kingma and Ba write it: (1 - beta) g_t, not g_t (1 - beta); sqrt(v_hat) + eps, not eps + sqrt(v_hat)
    return (
        sp.Eq(s["m"], InOrder(s["beta1"] * s["m_prev"], Product(Paren(InOrder(1, -s["beta1"])), s["g"]))),
        sp.Eq(s["v"], InOrder(s["beta2"] * s["v_prev"], Product(Paren(InOrder(1, -s["beta2"])), s["g"] ** 2))),
        sp.Eq(s["m_hat"], s["m"] / (1 - s["beta1"] ** t)),
        sp.Eq(s["v_hat"], s["v"] / (1 - s["beta2"] ** t)),
        sp.Eq(s["theta"], InOrder(s["theta_prev"], Scaled(-s["alpha"], InOrder(sp.sqrt(s["v_hat"]), s["eps"]), s["m_hat"]))),
    )


@one_blas_thread()  # OpenBLAS spinning in L-BFGS-B and gaussian_kde's tiny solves
def derive() -> Derivation:
    pm = pointwise_maximum()
    ct = criterion_terms()
    sat = saturation()
    a, b, y = pm["a"], pm["b"], pm["y"]
    m, i = M_BATCH, sp.Symbol("i", integer=True, positive=True)
    argmax = sp.Symbol(r"\operatorname*{arg\,max}_{y\in(0,1)}\;\bigl(a\log y+b\log(1-y)\bigr)")
    f2 = sp.Symbol(r"\frac{d^{2}}{dy^{2}}\bigl(a\log y+b\log(1-y)\bigr)")
    equations = {
        "p8.stationary": sp.Eq(argmax, a / (a + b)),
        "p8.concavity": sp.Eq(f2, InOrder(-a / y**2, -b / (1 - y) ** 2)),
        "p8.optimal_discriminator": optimal_discriminator_statement(),
        "p8.criterion_jsd": sp.Eq(C_G, InOrder(-LOG4, 2 * JSD)),
        # numeric re-checks of Theorem 1: printed as a reference to it, their checks evaluate it
        "p8.criterion_discrete": numerically("p8.criterion_jsd"),
        "p8.criterion_gaussian": numerically("p8.criterion_jsd"),
        "p8.global_minimum": sp.Eq(sp.Symbol(r"\min_{p_g} C(G)"), -LOG4),
        **panel_statements(),
        "p8.gan_gradients": (
            sp.Eq(sp.Symbol("J_D"), Scaled(1, m, sp.Sum(Paren(InOrder(LOG_D_X, LOG_1M_D_GZ)), (i, 1, m)))),
            sp.Eq(sp.Symbol("J_G"), Scaled(1, m, sp.Sum(LOG_1M_D_GZ, (i, 1, m)))),
        ),
        "p8.adam": adam_rule(),
        "p8.training_end": sp.Le(TRAINING_END_GAP, sp.Symbol(f"{TRAINING_END_TOL:g}"), evaluate=False),
        "p8.saturation": (
            sp.Eq(sp.Symbol(r"\frac{\partial}{\partial a}\log\bigl(1-\sigma(a)\bigr)"), -SIGMA_A),
            sp.Eq(sp.Symbol(r"\frac{\partial}{\partial a}\log\sigma(a)"), InOrder(1, -SIGMA_A)),
        ),
    }
    main = GanConfig()
    others = [GanConfig(seed=seed, snapshots=main.snapshots[-1:]) for seed in SEED_STUDY if seed != main.seed]
    run, *other_runs = _train_runs([main] + others, summary=range(1, len(others) + 1))
    finals = {main.seed: run["snapshots"][-1], **{c.seed: r["snapshots"][-1] for c, r in zip(others, other_runs)}}
    seeds = [{"seed": seed, **{k: finals[seed][k] for k in ("D_core", "g_mean", "g_std")}} for seed in SEED_STUDY]
    figure = {k: run[k] for k in ("snapshots", "grid", "data_mean", "data_std")}
    context = {
        "pm": pm,
        "ct": ct,
        "cj_summand_tex": tex(criterion_residual(equations["p8.criterion_jsd"], ct)[1]),
        "f2_at_star_tex": tex(pm["f2_at_star"]),
        "sat": sat,
        "config": GanConfig().__dict__,
        "adam": {"beta1": ADAM_BETAS[0], "beta2": ADAM_BETAS[1], "eps": ADAM_EPS},
        "run": {k: v for k, v in run.items() if k not in ("params", "snapshot_params")},
        # the G and D of the run's last snapshot, which the check of its end re-measures
        "final_params": run["snapshot_params"][run["snapshots"][-1]["iteration"]],
        "seeds": seeds,
        "panels": panel_model(),
        "panel_data_exact": DATA,  # p_data's exact (mean, sd), for the exact check of panel (d)
        "panel_exact": {"data": [tex(v) for v in DATA], "g": [tex(v) for v in G_START], "eta": tex(ETA),
                        "logit_a": tex(D_A[0] * X + D_A[1]), "logit_b": tex(logit_b())},
    }
    figures = (
        Figure("p08_figure_one", "figures.gan:figure_one", context["panels"], width=6.2, height=2.0, ncols=4),
        Figure("p08_training", "figures.gan:training_stages", figure, width=6.2, height=1.95, ncols=4),
    )
    return Derivation(problem=8, equations=equations, context=context, figures=figures, quotes=QUOTES)
