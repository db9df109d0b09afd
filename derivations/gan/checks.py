"""Problem 8's checks: ``verify`` and its independent routes.

Proposition 1 by L-BFGS maximisation of V over every discriminator; Theorem 1 by exact sums
over a symbolic number of points, SciPy's Jensen-Shannon distance and quadrature for pairs of
Gaussians; the global minimum by BFGS over generator distributions; the hand-written GAN
gradients by central finite differences; Adam's printed rule against the optimiser; the end of
the training run re-measured on fresh noise.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from scipy import integrate, optimize, special
from scipy.spatial.distance import jensenshannon

from derivations.display import evaluate, plain
from derivations.gan.derivation import (
    ADAM_SYMBOLS,
    ADAM_T,
    PANEL_C_A,
    PANEL_ETA,
    PANEL_FLOW,
    PANEL_GRAD,
    PANEL_JSD,
    PANEL_THETA,
    PANEL_V_A,
    TRAINING_END_TOL,
    criterion_residual,
)
from derivations.gan.experiment import CORE_POINTS, KDE_SAMPLES
from derivations.gan.method import (
    D_KEYS,
    G_KEYS,
    GanConfig,
    _Adam,
    discriminator,
    gan_gradients,
    gan_losses,
    init_gan,
    jensen_shannon,
    optimal_discriminator,
    samples,
    value_function,
    virtual_training_criterion,
)
from derivations.gan.notation import JSD, LOG4, LOG_1M_D_GZ, LOG_D_X, M_BATCH, P_DATA, P_G, SIGMA_A
from derivations.gan.panels import normal_density
from derivations.ledger import Derivation, numeric_claim, relative_error, symbolic_claim
from derivations.numerics import one_blas_thread

__all__ = [
    "verify",
    "check_optimal_discriminator",
    "check_global_minimum",
    "check_adam",
    "rounding_clearance",
    "printed_run_numbers",
    "PRINTED_MARGIN",
    "check_panels",
]

TRAINING_END_SAMPLES, TRAINING_END_SEED = 200_000, 99  # fresh noise for re-measuring the trained G
# The text prints the runs' measurements (means, spreads, D ranges, gradient norms) with |num, to
# PRINTED_DIGITS significant digits.  Another BLAS kernel moves them by ~1e-14 relative (measured:
# the trained weights by 2e-13 after 5000 steps, the printed values by 3e-15; a 1e-13 relative change
# of the initial weights moves them by 3e-14), so each must sit at least PRINTED_MARGIN (relative)
# from the point where its last printed digit would change: four orders above that, and below the
# 9e-6 of the closest one.
PRINTED_DIGITS, PRINTED_MARGIN = 3, 1e-9


def _random_pair(rng, n, zeros=False):
    p, q = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(n))
    if zeros and n > 1:  # knock out between 1 and n - 1 entries of each (0 log 0 = 0)
        for r in (p, q):
            r[rng.permutation(n)[: rng.integers(1, n)]] = 0.0
        p, q = p / p.sum(), q / q.sum()
    return p, q


def check_optimal_discriminator(statement, trials=30, seed=0):
    """Maximise V over all discriminators D in (0,1)^n (logit parameterisation, L-BFGS) and
    compare the maximiser with Proposition 1, both the printed statement and
    ``optimal_discriminator``; returns the worst |D - D*| and the worst V gap.  Pairs with zero
    probabilities (every other trial) are compared where p_data + p_g > 0, and D* must lie in [0, 1]."""
    printed = sp.lambdify((P_DATA, P_G), statement.rhs, "numpy")
    rng = np.random.default_rng(seed)
    worst_d = worst_v = 0.0
    for trial in range(trials):
        n = int(rng.integers(2, 12))
        p, q = _random_pair(rng, n, zeros=trial % 2 == 1)

        def neg_v(s):
            # -V with D = sigmoid(s); log D = -log(1 + e^-s), log(1 - D) = -log(1 + e^s)
            val = -np.sum(-p * np.logaddexp(0, -s) - q * np.logaddexp(0, s))
            grad = -(p * special.expit(-s) - q * special.expit(s))
            return val, grad

        res = optimize.minimize(neg_v, rng.normal(size=n), jac=True, method="L-BFGS-B",
                                options={"gtol": 1e-13, "ftol": 1e-15, "maxiter": 10_000})
        D_num = special.expit(res.x)
        D_star = optimal_discriminator(p, q)
        seen = (p + q) > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            D_printed = np.asarray(printed(p, q), dtype=float)
        for D in (D_star, D_printed):
            worst_d = max(worst_d, float(np.max(np.abs(D_num - D)[seen])))
        worst_d = max(worst_d, abs(value_function(D_num, p, q) + neg_v(res.x)[0]))  # V in the logit form
        worst_d = max(worst_d, float(np.max(np.maximum(D_star - 1, -D_star))))
        worst_v = max(worst_v, value_function(D_num, p, q) - value_function(D_star, p, q))
    return worst_d, max(worst_v, 0.0)


def check_global_minimum(target, trials=20, seed=1):
    """Minimise C over p_g (softmax parameterisation, BFGS with C's exact gradient) for random
    p_data; worst |min C - target| and worst distance of the minimiser from p_data."""
    rng = np.random.default_rng(seed)
    worst_val = worst_arg = 0.0
    for _ in range(trials):
        n = int(rng.integers(2, 10))
        p = rng.dirichlet(np.ones(n))

        def c_of(s):
            # C and its gradient in the logits: dC/dq_k = log(q_k / (p_k + q_k)), through the softmax
            q = special.softmax(s)
            g = np.log(q / (p + q))
            return virtual_training_criterion(p, q), q * (g - q @ g)

        res = optimize.minimize(c_of, rng.normal(size=n), jac=True, method="BFGS", options={"gtol": 1e-10})
        worst_val = max(worst_val, abs(res.fun - target))
        worst_arg = max(worst_arg, float(np.max(np.abs(special.softmax(res.x) - p))))
    return worst_val, worst_arg


def rounding_clearance(value, digits=PRINTED_DIGITS):
    """How far (relative to |value|) ``value`` lies from the nearest point where its rounding to
    ``digits`` significant digits changes, in exact decimal arithmetic; inf for 0 or a value that
    is exactly its printed digits."""
    from decimal import Decimal

    value = float(value)
    exact = Decimal(value)
    shown = Decimal(f"{value:.{digits - 1}e}")
    if value == 0 or shown == exact:
        return math.inf
    half_quantum = Decimal(1).scaleb(shown.adjusted() - (digits - 1)) / 2
    return float((half_quantum - abs(exact - shown)) / abs(exact))


def printed_run_numbers(ctx):
    """Every measurement of the training runs the text can print: (name, value)."""
    out = []
    for s in ctx["run"]["snapshots"]:
        it = s["iteration"]
        out += [(f"iteration {it} {k}", s[k]) for k in ("g_mean", "g_std", "D_fake_mean")]
        out += [(f"iteration {it} {k}[{j}]", s[k][j]) for k in ("D_core", "Dstar_core") for j in (0, 1)]
        out += [(f"iteration {it} grad_norm {k}", v) for k, v in s["grad_norm"].items()]
    out += [(f"seed {s['seed']} D_core[{j}]", s["D_core"][j]) for s in ctx["seeds"] for j in (0, 1)]
    return out


def _check_training_end(statement, ctx):
    """The end of the run shown, re-measured from its trained parameters on fresh noise: p_g's mean
    and spread against p_data's, D on the data's core interval against 1/2; and the numbers the text
    prints for that moment (from 5000 samples) agree with these within 5 standard errors."""
    cfg = GanConfig(**ctx["config"])
    P = ctx["final_params"]
    x = samples(P, np.random.default_rng(TRAINING_END_SEED).standard_normal(TRAINING_END_SAMPLES))
    core = np.linspace(cfg.data_mean - 2 * cfg.data_std, cfg.data_mean + 2 * cfg.data_std, CORE_POINTS)
    D_core = discriminator(P, core)
    mean, std = float(x.mean()), float(x.std())
    gap = max(abs(mean - cfg.data_mean) / cfg.data_std, abs(std / cfg.data_std - 1), float(np.max(np.abs(D_core - 0.5))))
    last = ctx["run"]["snapshots"][-1]
    se = std * np.sqrt(1 / KDE_SAMPLES + 1 / TRAINING_END_SAMPLES)  # of a mean; a std's is about half of it
    # The D range is the same formula on the same weights (copied out of the stacked run): D =
    # sigmoid(v . tanh(W x + b) + c) over 16 units rounds to ~20 eps x sum |v_h| (< 1e-14); 1e-12 is
    # a hundred times that, and the text's range is printed to 3 digits.
    printed_ok = (abs(last["g_mean"] - mean) <= 5 * se and abs(last["g_std"] - std) <= 5 * se
                  and np.allclose(last["D_core"], [D_core.min(), D_core.max()], rtol=0, atol=1e-12))
    detail = "" if printed_ok else (
        f"the text's final mean {last['g_mean']:.4f}, std {last['g_std']:.4f} or D range {last['D_core']} "
        f"disagree with the re-measured {mean:.4f}, {std:.4f}, [{D_core.min():.4f}, {D_core.max():.4f}]")
    # Every printed number of the runs clear of its rounding boundary (PRINTED_MARGIN).
    clearance = min((rounding_clearance(v), name) for name, v in printed_run_numbers(ctx))
    if not clearance[0] >= PRINTED_MARGIN:
        printed_ok = False
        detail = (f"{clearance[1]} lies within a relative {clearance[0]:.1e} of a rounding boundary at "
                  f"{PRINTED_DIGITS} digits (needed {PRINTED_MARGIN:g}): its printed digits could depend on the processor")
    return numeric_claim(
        "p8.training_end", statement, gap if printed_ok else np.inf, TRAINING_END_TOL,
        method=f"trained G (seed {cfg.seed}) on fresh noise; printed numbers clear of rounding",
        reproduce=f"train_gan(GanConfig()) then samples(params, z) and discriminator(params, core)",
        detail=detail,
    )


def check_adam(rule, settings, steps=6, seed=3):
    """The printed Adam rule against ``_Adam`` on random gradients, and ``_Adam`` against its
    closed form under a constant gradient g (every bias-corrected step is alpha g / (|g| + eps),
    with the sign of the direction); worst relative error."""
    rng = np.random.default_rng(seed)
    sym, lr = ADAM_SYMBOLS, 1e-2
    lines = []  # each printed line as a NumPy function of the symbols it uses, made once (not at every step)
    for eq in rule:
        rhs = plain(eq.rhs)
        args = sorted(rhs.free_symbols, key=str)
        lines.append((eq, args, sp.lambdify(args, rhs, "numpy")))
    opt = _Adam(5, lr)
    theta = rng.normal(size=5)
    state = {"theta": theta.copy(), "m": np.zeros(5), "v": np.zeros(5)}
    worst = 0.0
    for t in range(1, steps + 1):
        g = rng.normal(size=5)
        vals = {sym["theta_prev"]: state["theta"], sym["m_prev"]: state["m"], sym["v_prev"]: state["v"], sym["g"]: g,
                sym["alpha"]: lr, sym["beta1"]: settings["beta1"], sym["beta2"]: settings["beta2"], sym["eps"]: settings["eps"],
                ADAM_T: t}
        for eq, args, f in lines:  # each line uses the values of the lines above it
            vals[eq.lhs] = np.asarray(f(*(vals[a] for a in args)), dtype=float) * np.ones(5)
        state = {"theta": vals[sym["theta"]], "m": vals[sym["m"]], "v": vals[sym["v"]]}
        opt.step(theta, g, ascend=False)
        worst = max(worst, relative_error(theta, state["theta"]))
    for ascend in (True, False):
        opt, theta, g = _Adam(5, lr), np.zeros(5), rng.normal(size=5)
        for t in range(1, steps + 1):
            opt.step(theta, g, ascend)
            closed = (1 if ascend else -1) * t * lr * g / (np.abs(g) + settings["eps"])
            worst = max(worst, relative_error(theta, closed))
    return worst


def _normal_pdf(mean, sd):
    """The N(mean, sd^2) density as a plain scalar function (quadrature calls it thousands of
    times; scipy.stats' frozen pdf costs some 50 microseconds a call)."""
    scale = 1.0 / (sd * math.sqrt(2 * math.pi))

    def pdf(x):
        t = (x - mean) / sd
        return scale * math.exp(-0.5 * t * t)

    return pdf


# --------------------------------------------------------------------------- the redrawn Figure 1

# scipy's quad is asked for 1e-12 (absolute and relative) on integrals of size < 2 (the
# expectations below); PANEL_QUAD, a thousand times that, bounds each integral's error.
PANEL_QUAD = 1e-9
PANEL_LOGIT_STEP, PANEL_LOGIT_MAX = 1 / 64, 60.0  # the grid of logits s = log(y / (1 - y)) searched by brute force


def _quad(f, lo, hi):
    return integrate.quad(f, lo, hi, epsabs=1e-12, epsrel=1e-12, limit=400)[0]


def _panel_pdfs(ctx, tag):
    model = ctx["panels"]
    return _normal_pdf(*model["data"]), _normal_pdf(*(model["panels"][tag][k] for k in ("m", "s")))


def _x_range(ctx):
    """An x-interval holding all but ~1e-32 of every panel's densities (12 standard deviations)."""
    model = ctx["panels"]
    pairs = [model["data"]] + [(p["m"], p["s"]) for p in model["panels"].values()]
    return min(m - 12 * s for m, s in pairs), max(m + 12 * s for m, s in pairs)


def _panel_v(ctx, tag, D):
    """V(D, G) = int p_data log D + p_g log(1 - D) dx for panel ``tag``'s G, by quadrature; ``D``
    returns the pair (D(x), 1 - D(x)), each computed without cancellation."""
    pd, pg = _panel_pdfs(ctx, tag)

    def f(x):
        d, one_minus_d = D(x)
        return special.xlogy(pd(x), d) + special.xlogy(pg(x), one_minus_d)

    return _quad(f, *_x_range(ctx))


def _panel_jsd(ctx, tag):
    pd, pg = _panel_pdfs(ctx, tag)

    def f(x):
        a_, b_ = pd(x), pg(x)
        mix = (a_ + b_) / 2
        return 0.5 * (special.xlogy(a_, a_ / mix) + special.xlogy(b_, b_ / mix)) if mix > 0 else 0.0

    return _quad(f, *_x_range(ctx))


def _d_star_direct(pd, pg):
    """x -> (D*, 1 - D*) = (p_data, p_g) / (p_data + p_g) from the two density functions (1/2 where
    both underflow)."""

    def D(x):
        a_, b_ = pd(x), pg(x)
        return (a_ / (a_ + b_), b_ / (a_ + b_)) if a_ + b_ > 0 else (0.5, 0.5)

    return D


def _relations_hold(relations, values):
    """Each printed relation (a strict inequality, or membership of an open interval) on the
    measured values, each uncertain by PANEL_QUAD: 2 PANEL_QUAD over the smallest gap (inf when a
    relation could fail)."""
    def num(expr):
        return float(evaluate(expr, {LOG4: np.log(4), **values})) if expr.free_symbols else float(expr)

    gaps = []
    for rel in relations:
        if isinstance(rel, sp.Contains):
            x, (lo, hi) = num(rel.args[0]), (num(rel.args[1].start), num(rel.args[1].end))
            gaps += [x - lo, hi - x]
        else:
            lhs, rhs = num(rel.lhs), num(rel.rhs)
            gaps.append((rhs - lhs) if isinstance(rel, sp.StrictLessThan) else (lhs - rhs))
    return max(2 * PANEL_QUAD / g if g > 2 * PANEL_QUAD else np.inf for g in gaps)


def check_panels(eqs, ctx):
    """The claims of the redrawn Figure 1 (derivations.gan.panels), each by quadrature or brute force."""
    model = ctx["panels"]
    panels, x = model["panels"], np.array(model["x"])
    claims = []

    # (a) D is partially accurate: -log 4 (D = 1/2) < V(D_a, G_a) < C(G_a) = V(D*, G_a).
    w, c = model["D_a"]
    v_a = _panel_v(ctx, "a", lambda t: (special.expit(w * t + c), special.expit(-(w * t + c))))
    c_a = _panel_v(ctx, "a", _d_star_direct(*_panel_pdfs(ctx, "a")))
    st = eqs["p8.panel_partial"]
    err = _relations_hold((st,), {PANEL_V_A: v_a, PANEL_C_A: c_a})
    claims.append(numeric_claim(
        "p8.panel_partial", st, err, 1.0,
        method="quadrature of V with D_(a) and with D*, against -log 4",
        reproduce="panel_model(), D_(a) = sigmoid(-2x + 1/2)"))

    # (b), (c): the plotted D maximises a log y + b log(1 - y) at every plotted x, by brute force over
    # y = sigmoid(s) on a grid of logits s (log y = -softplus(-s), log(1 - y) = -softplus(s)).
    s_grid = np.arange(-PANEL_LOGIT_MAX, PANEL_LOGIT_MAX + PANEL_LOGIT_STEP / 2, PANEL_LOGIT_STEP)
    log_y, log_1my = -np.logaddexp(0, -s_grid), -np.logaddexp(0, s_grid)
    pd_of = _normal_pdf(*model["data"])
    worst = 0.0
    for tag in "bc":
        pg_of = _normal_pdf(panels[tag]["m"], panels[tag]["s"])
        a_, b_ = np.array([pd_of(t) for t in x]), np.array([pg_of(t) for t in x])
        # the plotted densities are these (a few roundings of exp apart); else the D shown belongs to another G
        if relative_error(np.array(panels[tag]["p_g"]), b_) > 1e-13 or relative_error(np.array(model["p_data"]), a_) > 1e-13:
            worst = np.inf
        j = np.argmax(a_[:, None] * log_y + b_[:, None] * log_1my, axis=1)
        if np.any((j == 0) | (j == len(s_grid) - 1)):  # a maximiser at the grid's end: the search range is too short
            worst = np.inf
        worst = max(worst, float(np.max(np.abs(special.logit(np.array(panels[tag]["D"])) - s_grid[j]))))
    # f is concave in s, so its grid maximiser is one of the two grid points around the true one:
    # within one step of it; logit(D) rounds to ~1e-8 where D is within 1e-8 of 1, far below the step.
    claims.append(numeric_claim(
        "p8.panel_optimal", eqs["p8.panel_optimal"], worst, PANEL_LOGIT_STEP,
        method="brute-force maximisation over y at every plotted x, in logits",
        reproduce="panel_model()"))

    # (c): the printed update with the gradient by central differences of J_G, J_G by quadrature over z.
    m_b, s_b = panels["b"]["m"], panels["b"]["s"]
    D_b = _d_star_direct(pd_of, _normal_pdf(m_b, s_b))

    def j_g(theta):
        m, s = theta[0], math.exp(theta[1])
        return _quad(lambda z: math.log(D_b(m + s * special.ndtri(z))[1]), 0.0, 1.0)

    theta_b, step = np.array([m_b, math.log(s_b)]), 1e-4
    grad = np.array([(j_g(theta_b + step * e) - j_g(theta_b - step * e)) / (2 * step) for e in np.eye(2)])
    st = eqs["p8.panel_update"]
    names = {PANEL_THETA["b"]: theta_b, PANEL_ETA: np.full(2, model["eta"]), PANEL_GRAD: grad}
    shown = np.array([panels["c"]["m"], math.log(panels["c"]["s"])])
    if st.lhs == PANEL_THETA["c"] and plain(st.rhs).free_symbols <= set(names):  # the printed step, in these names
        printed = np.array([float(evaluate(st.rhs, {k: v[i] for k, v in names.items()})) for i in range(2)])
    else:
        printed = np.full(2, np.inf)
    # Central differences with step 1e-4: truncation ~ step^2 |third derivative of J| / 6 ~ 1e-9,
    # the quadrature's error over the step 1e-12 / 1e-4 = 1e-8; 1e-6 relative (the house rule for
    # differences) is above both.
    claims.append(numeric_claim(
        "p8.panel_update", st, relative_error(printed, shown), 1e-6,
        method="printed step; gradient by central differences of quadrature",
        reproduce="panel_model(); theta = (m, log s)"))

    # (c): the updated G's samples are more likely to be called data by panel (b)'s D.
    st = eqs["p8.panel_flow"]
    flow = {}
    for tag in "bc":
        m, s = panels[tag]["m"], panels[tag]["s"]
        flow[tag] = _quad(lambda z: D_b(m + s * special.ndtri(z))[0], 0.0, 1.0)
    err = _relations_hold((st,), {PANEL_FLOW[tag]: flow[tag] for tag in "bc"})
    claims.append(numeric_claim(
        "p8.panel_flow", st, err, 1.0,
        method="quadrature over z of D_(b)(G(z)) for panels (b) and (c)",
        reproduce="panel_model()"))

    # (d): D* = 1/2 when p_g = p_data, exactly.
    st = eqs["p8.panel_half"]
    prop1 = eqs["p8.optimal_discriminator"]
    gauss = normal_density(*ctx["panel_data_exact"])
    D_d = np.array(panels["d"]["D"])
    claims.append(symbolic_claim(
        "p8.panel_half", st,
        sp.Matrix([sp.simplify(prop1.rhs.subs(P_G, P_DATA) - st.rhs),
                   sp.simplify(prop1.rhs.subs({P_DATA: gauss, P_G: gauss}) - st.rhs),
                   # exact: p / (p + p) = p / (2p) is exactly 1/2 in binary floating point for p > 0
                   0 if np.all(D_d == float(st.rhs)) and np.array_equal(panels["d"]["p_g"], model["p_data"]) else 1]),
        method="SymPy: Proposition 1 with p_g = p_data; plotted D of (d) exactly"))

    # (b) -> (c) -> (d): the Jensen-Shannon divergence falls to 0.
    st = eqs["p8.panel_jsd"]
    jsd = {tag: _panel_jsd(ctx, tag) for tag in "bcd"}
    err = _relations_hold((st,), {PANEL_JSD[tag]: jsd[tag] for tag in "bc"})
    # exact: at (d) p_g is p_data, each term a log(a / ((a + a) / 2)) = a log 1 is 0.0 exactly
    err = err if jsd["d"] == float(st.args[1].start) else np.inf
    claims.append(numeric_claim(
        "p8.panel_jsd", st, err, 1.0,
        method="quadrature of the JSD for panels (b), (c), (d); (d) exactly 0",
        reproduce="panel_model()"))
    return claims


def _fd(f, params, keys, eps=1e-6):
    out = {}
    for k in keys:
        G = np.zeros_like(params[k])
        for idx in np.ndindex(params[k].shape):
            old = params[k][idx]
            params[k][idx] = old + eps
            fp = f()
            params[k][idx] = old - eps
            fm = f()
            params[k][idx] = old
            G[idx] = (fp - fm) / (2 * eps)
        out[k] = G
    return out


@one_blas_thread()  # OpenBLAS spinning in L-BFGS-B and gaussian_kde's tiny solves
def verify(derivation: Derivation):
    eqs, ctx = derivation.equations, derivation.context
    pm = ctx["pm"]
    a, b, y = pm["a"], pm["b"], pm["y"]
    claims = []

    # (ii) Proposition 1, as printed.
    st = eqs["p8.stationary"]
    claims.append(symbolic_claim(
        "p8.stationary", st, sp.Matrix([pm["y_star"] - st.rhs, sp.diff(pm["f"], y).subs(y, st.rhs)]),
        method="SymPy solve of f'(y) = 0, and f' at the printed point"))
    claims.append(symbolic_claim(
        "p8.concavity", eqs["p8.concavity"],
        sp.Matrix([pm["f2"] - plain(eqs["p8.concavity"].rhs),
                   0 if pm["concave_everywhere"] else 1,
                   0 if pm["ends"] == (-sp.oo, -sp.oo) else 1]),
        method="SymPy second derivative, its sign on (0,1), limits at both ends"))
    worst_d, worst_v = check_optimal_discriminator(eqs["p8.optimal_discriminator"])
    claims.append(numeric_claim(
        "p8.optimal_discriminator", eqs["p8.optimal_discriminator"], worst_d, 1e-6,
        method="L-BFGS maximisation of V over every D, 30 random pairs",
        reproduce="check_optimal_discriminator(statement, trials=30, seed=0)",
        detail=f"V at the optimiser's D exceeds V at D* by at most {worst_v:.1e}"))

    # (iii) Theorem 1, as printed.
    st = eqs["p8.criterion_jsd"]
    claims.append(symbolic_claim("p8.criterion_jsd", st, criterion_residual(st, ctx["ct"])[0],
                                 method="SymPy: exact sums over K points (K symbolic), both sum to 1"))

    def printed_c(statement, jsd):  # the printed right side at an array of JSD values (one lambdify)
        return np.asarray(evaluate(statement.rhs, {LOG4: np.log(4), JSD: np.asarray(jsd, dtype=float)}), dtype=float)

    rng = np.random.default_rng(2)
    c_ours, j_ours, j_scipy, with_zeros = [], [], [], 0
    for i in range(200):
        p, q = _random_pair(rng, int(rng.integers(2, 20)), zeros=i % 2 == 1)
        with_zeros += bool((p == 0).any() and (q == 0).any())
        j_scipy.append(jensenshannon(p, q) ** 2)  # scipy returns the distance sqrt(JSD), natural log
        c_ours.append(virtual_training_criterion(p, q))
        j_ours.append(jensen_shannon(p, q))
    worst = max(float(np.max(np.abs(np.array(c_ours) - printed_c(eqs["p8.criterion_jsd"], j_scipy)))),
                float(np.max(np.abs(np.array(j_ours) - np.array(j_scipy)))))
    # Round-off bound: C and JSD are sums of n <= 19 terms p log(p/m) of magnitude <= p (log 2 +
    # |log p|), summing to <= log 2 + log n < 4 each; with scipy's normalisation, square root and our
    # square, each side rounds to < (n + 6) eps (log 4 + 3 x 4) ~ 8e-14. 1e-12 is above that, and a
    # wrong factor or constant in the theorem is off by more than 1e-2.
    claims.append(numeric_claim(
        "p8.criterion_discrete", eqs["p8.criterion_discrete"], worst if with_zeros >= 100 else np.inf, 1e-12,
        method=f"SciPy's Jensen-Shannon distance, 200 random pairs ({with_zeros} with zeros)",
        reproduce="seed 2"))
    c_quad, j_quad = [], []
    panel_pairs = [(*ctx["panels"]["data"], ctx["panels"]["panels"][t]["m"], ctx["panels"]["panels"][t]["s"]) for t in "bcd"]
    for (m1, s1, m2, s2) in [(0.0, 1.0, 1.0, 1.0), (0.0, 1.0, 0.0, 2.0), (-1.0, 0.5, 2.0, 1.5), (0.3, 1.0, 0.3, 1.0)] + panel_pairs:
        pd, pg = _normal_pdf(m1, s1), _normal_pdf(m2, s2)

        def v_at_dstar(x):
            a_, b_ = pd(x), pg(x)
            return special.xlogy(a_, a_ / (a_ + b_)) + special.xlogy(b_, b_ / (a_ + b_)) if a_ + b_ > 0 else 0.0

        def jsd_integrand(x):
            a_, b_ = pd(x), pg(x)
            mix = (a_ + b_) / 2
            return 0.5 * (special.xlogy(a_, a_ / mix) + special.xlogy(b_, b_ / mix)) if mix > 0 else 0.0

        lo, hi = min(m1 - 12 * s1, m2 - 12 * s2), max(m1 + 12 * s1, m2 + 12 * s2)
        c_quad.append(integrate.quad(v_at_dstar, lo, hi, epsabs=1e-12, epsrel=1e-12, limit=200)[0])
        j_quad.append(integrate.quad(jsd_integrand, lo, hi, epsabs=1e-12, epsrel=1e-12, limit=200)[0])
    worst = float(np.max(np.abs(np.array(c_quad) - printed_c(eqs["p8.criterion_jsd"], j_quad))))
    # quad is asked for 1e-12 (absolute and relative) on integrals of size < 2; 1e-9 is a thousand
    # times that, and a wrong constant (log 2 for log 4) is off by 0.7.
    claims.append(numeric_claim(
        "p8.criterion_gaussian", eqs["p8.criterion_gaussian"], worst, 1e-9,
        method="quadrature of V at D* and of the JSD, 7 pairs of Gaussians",
        reproduce="(0,1) vs (1,1), (0,1) vs (0,2), (-1,.5) vs (2,1.5), equal; panel_model()'s (b), (c), (d)"))
    st = eqs["p8.global_minimum"]
    worst_val, worst_arg = check_global_minimum(float(evaluate(st.rhs, {LOG4: np.log(4)})))
    # BFGS stops at a gradient below 1e-10, where C is within ~gtol^2 / (smallest curvature) of its
    # minimum, plus C's round-off (n <= 9 terms: < 1e-14); 1e-9 is far above both, far below 0.7.
    claims.append(numeric_claim(
        "p8.global_minimum", st, worst_val, 1e-9,
        method="BFGS minimisation of C over p_g, 20 random p_data",
        reproduce="check_global_minimum(target, trials=20, seed=1)",
        detail=f"the minimisers are within {worst_arg:.1e} of p_data"))

    # (iv) the minibatch objectives as printed, the hand-written gradients and Adam of Algorithm 1.
    cfg = GanConfig()
    rng = np.random.default_rng(4)
    worst = 0.0
    for loss in ("saturating", "non-saturating"):
        P = init_gan(rng, cfg)
        x, z = rng.normal(cfg.data_mean, cfg.data_std, 7), rng.uniform(-1, 1, 6)
        gd, gg = gan_gradients(P, x, z, loss)
        nd = _fd(lambda: gan_losses(P, x, z, loss)[0], P, D_KEYS)
        ng = _fd(lambda: gan_losses(P, x, z, loss)[1], P, G_KEYS)
        worst = max(worst, relative_error(np.concatenate([gd[k] for k in D_KEYS]), np.concatenate([nd[k] for k in D_KEYS])),
                    relative_error(np.concatenate([gg[k] for k in G_KEYS]), np.concatenate([ng[k] for k in G_KEYS])))
    # The printed J_D and J_G on a minibatch of m = 5, per-sample terms by SciPy's log-sigmoid.
    x, z = rng.normal(cfg.data_mean, cfg.data_std, 5), rng.standard_normal(5)
    terms = {LOG_D_X: np.log(discriminator(P, x)), LOG_1M_D_GZ: np.log1p(-discriminator(P, samples(P, z)))}
    printed = [float(evaluate(e.rhs, {M_BATCH: 5}, samples=terms)) for e in eqs["p8.gan_gradients"]]
    worst = max(worst, relative_error(np.array(gan_losses(P, x, z, "saturating")), np.array(printed)))
    claims.append(numeric_claim(
        "p8.gan_gradients", eqs["p8.gan_gradients"], worst, 1e-6,
        method="objectives vs the code; gradients vs central differences",
        reproduce="seed 4, m = 7 data, 6 noise samples; m = 5 for the printed objectives"))
    # Relative round-off over 6 steps of ~10 elementwise operations is ~60 eps, except that the bias
    # correction 1 - beta2^t cancels: relative eps / (1 - beta2) = 1000 eps in v-hat, 500 eps (1.1e-13)
    # in the step after the square root. 1e-12 is above that; a wrong beta, bias correction or sign
    # changes the steps by more than 1e-3 relative.
    claims.append(numeric_claim(
        "p8.adam", eqs["p8.adam"], check_adam(eqs["p8.adam"], ctx["adam"]), 1e-12,
        method="printed rule vs the optimiser, random and constant gradients",
        reproduce="check_adam(rule, settings, steps=6, seed=3)"))
    claims += check_panels(eqs, ctx)
    claims.append(_check_training_end(eqs["p8.training_end"], ctx))
    sat = ctx["sat"]
    D = sat["D"]
    st = eqs["p8.saturation"]
    claims.append(symbolic_claim(
        "p8.saturation", st,
        sp.Matrix([sat["sat"] - plain(st[0].rhs).subs(SIGMA_A, D), sat["nonsat"] - plain(st[1].rhs).subs(SIGMA_A, D),
                   sat["sat_limit"] - 0, sat["nonsat_limit"] - 1]),
        method="SymPy differentiation through D = sigmoid(a), limits as a -> -infinity"))
    order = list(derivation.equations)  # the appendix lists the claims in the text's order
    return sorted(claims, key=lambda c: order.index(c.id))
