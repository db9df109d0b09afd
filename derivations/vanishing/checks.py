"""Problem 3's checks: the Jacobian formulas exactly (SymPy's ``jacobian`` of the unrolled map), the
unrolled gradients by central finite differences, the bound on the seeded runs, the
counterexample's growth measured by finite differences of an independent state loop, and the
clipping rule (printed and implemented) against what it means: norm min(||g||, theta), along g."""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from derivations import exact, rnn
from derivations.display import plain
from derivations.ledger import Derivation, numeric_claim, relative_error, symbolic_claim
from derivations.rnn import ONES, V_T, t, tau
from derivations.seqnotation import Env, evaluate
from derivations.vanishing.derivation import GAMMA, GHAT, GNORM, SIGMA, THETA, U, j, k
from derivations.vanishing.experiment import COUNTER_RUN, NORM_RUN
from derivations.vanishing.method import clip_gradient

__all__ = ["verify", "states_from", "loss_from", "jacobian_by_differences", "clipping_cases", "evaluate_piecewise",
           "CLIP_RUN"]

FD_RUN = {"H": 3, "D": 2, "K": 3, "tau": 6, "seed": 5}
SYMBOLIC_RUN = {"H": 2, "steps": 3}  # the symbolic RNN of the exact Jacobian checks
JAC_FD = {"distances": (1, 5, 10), "sequence": 0}  # Jacobians checked by differences, in each NORM_RUN run
CLIP_RUN = {"seed": 13, "random": 400, "max_dim": 64, "log10_scale": 3.0, "log10_ratio": 2.0}
# Vectors whose Euclidean norm is an integer (Pythagorean tuples): times a power of two, with signs
# and order shuffled, they give ||g|| == theta exactly in float64 (every square, sum and root is exact).
PYTHAGOREAN = (((5,), 5), ((3, 4), 5), ((1, 2, 2), 3), ((2, 3, 6), 7), ((1, 4, 8), 9), ((2, 6, 9), 11),
               ((12, 16, 21), 29), ((1, 1, 1, 1), 2), ((1, 1, 3, 5), 6))


# =========================================================================== independent routes


def states_from(params, X, k: int, hk) -> np.ndarray:
    """h^(k), ..., h^(tau) when the state at step k is *set* to ``hk`` (an independent loop).

    Used to measure dh^(t)/dh^(k) and dJ/dh^(k) by finite differences, without the Jacobian formula.
    """
    W, U_, b = params["W"], params["U"], params["b"]
    out = [np.asarray(hk, dtype=float)]
    for s in range(k + 1, X.shape[0] + 1):
        out.append(np.tanh(W @ X[s - 1] + U_ @ out[-1] + b))
    return np.array(out)


def loss_from(params, X, T, k: int, hk) -> float:
    """The part of J that depends on h^(k): sum over t >= k of J^(t), with h^(k) set to ``hk``."""
    hs = states_from(params, X, k, hk)
    o = hs @ params["V"].T + params["c"]
    o = o - o.max(axis=1, keepdims=True)
    logy = o - np.log(np.exp(o).sum(axis=1, keepdims=True))
    return float(-(T[k - 1:] * logy).sum())


def _central(f, x0, eps=1e-6) -> np.ndarray:
    """Central differences of a vector- or scalar-valued f at x0: columns are d f / d x_i."""
    cols = []
    for i in range(x0.size):
        e = np.zeros_like(x0)
        e[i] = eps
        cols.append((np.asarray(f(x0 + e)) - np.asarray(f(x0 - e))) / (2 * eps))
    return np.stack(cols, axis=-1)


def jacobian_by_differences(params, X, t_: int, k_: int, eps=1e-6) -> np.ndarray:
    """dh^(t)/dh^(k) by central differences of the state-injected forward pass."""
    hk = rnn.forward(params, X)["h"][k_]
    return _central(lambda v: states_from(params, X, k_, v)[t_ - k_], hk, eps)


def clipping_cases(cfg=CLIP_RUN) -> list:
    """Seeded (g, theta) pairs with ||g|| below, exactly at and above theta, and g = 0.

    Random cases: g normal in 1..max_dim dimensions at a scale 10^U(-3, 3), theta = ||g|| / r with
    the ratio r = ||g|| / theta log-uniform in [1e-2, 1e2] but at least 1e-3 decades from 1.  Exact
    cases: each Pythagorean tuple times 2^e (e in -3..3), signs and order random, theta = its norm,
    and theta = its norm times 2 and / 2 (clean cases just below and above).
    """
    rng = np.random.default_rng(cfg["seed"])
    cases = []
    for _ in range(cfg["random"]):
        d = int(rng.integers(1, cfg["max_dim"] + 1))
        g = rng.standard_normal(d) * 10.0 ** rng.uniform(-cfg["log10_scale"], cfg["log10_scale"])
        log_ratio = rng.uniform(1e-3, cfg["log10_ratio"]) * rng.choice((-1.0, 1.0))
        cases.append((g, float(np.linalg.norm(g)) / 10.0 ** log_ratio))
    for entries, norm in PYTHAGOREAN:
        for e in range(-3, 4):
            g = rng.permutation(np.array(entries, dtype=float)) * rng.choice((-1.0, 1.0), len(entries)) * 2.0 ** e
            for factor in (1.0, 2.0, 0.5):
                cases.append((g, norm * 2.0 ** e * factor))
    for d in (1, 3, 10):
        cases.append((np.zeros(d), float(10.0 ** rng.uniform(-3, 3))))
    return cases


def evaluate_piecewise(rhs, values: dict):
    """The value of a printed ``Piecewise`` on numbers: the first branch whose condition holds, that
    branch alone evaluated (a walk, so the unused branch is never computed, e.g. theta/0 at g = 0).
    ``values`` maps the symbols to numbers or arrays (the vector symbol to an array)."""
    if not isinstance(rhs, sp.Piecewise):
        raise TypeError(f"evaluate_piecewise: not a Piecewise: {rhs!r}")
    names = tuple(values)
    for expr, cond in rhs.args:
        cond = plain(cond)
        holds = cond if cond in (sp.true, sp.false) else sp.lambdify(names, cond, "numpy")(*values.values())
        if bool(holds):
            return np.asarray(sp.lambdify(names, plain(expr), "numpy")(*values.values()), dtype=float)
    raise ValueError("no branch of the Piecewise holds")


def _meaning_error(g, theta: float, r):
    """How far a clipped gradient r is from what clipping means, computed without the rule.

    The meaning: r is g itself when ||g|| <= theta (at equality theta/||g|| = 1), else it has norm
    theta and points along g.  Norms here are ``math.hypot`` (an accumulation independent of NumPy's),
    the inner product ``math.fsum``.  Returns (error, what): 0 or inf for the exact cases (compared
    exactly: the rule does no arithmetic on g below theta, and at equality every case is a small
    integer times a power of two, so theta/||g|| = 1 and each product is exact), else the larger of
    | ||r|| - theta | / theta and |1 - cos(r, g)|.
    """
    r = np.asarray(r, dtype=float)
    if r.shape != g.shape or not np.isfinite(r).all():
        return math.inf, f"shape {r.shape} or non-finite result for ||g|| = {math.hypot(*g):.6g}, theta = {theta:.6g}"
    norm_g, norm_r = math.hypot(*g), math.hypot(*r)
    if norm_g <= theta:
        ok = np.array_equal(r, g)  # exact: see the docstring
        return (0.0, "") if ok else (math.inf, f"not g itself for ||g|| = {norm_g:.6g} <= theta = {theta:.6g}")
    cosine = math.fsum(r * g) / (norm_r * norm_g)
    err = max(abs(norm_r - theta) / theta, abs(1.0 - cosine))
    return err, f"||r|| = {norm_r:.6g}, theta = {theta:.6g}, cos = {cosine:.17g}"


def _check_clipping(statement, cases, clip=None) -> tuple:
    """The printed rule (its right side walked on each g, theta, ||g||) and ``clip_gradient`` against
    the meaning of clipping (:func:`_meaning_error`), on ``cases``.

    A decision on floats is made twice (the rule's ||g|| >= theta with NumPy's norm, the meaning's
    with ``math.hypot``): every random case must sit 1e-9 (relative) or more from the threshold, the
    exact cases exactly on it (both norms equal theta), so the two decisions agree on every machine.
    Returns (worst error, detail, counts below/equal/above).
    """
    clip = clip or clip_gradient  # looked up at call time: a monkeypatched clip_gradient is the one checked
    worst, detail, counts = 0.0, "", {"below": 0, "equal": 0, "above": 0}
    for g, theta in cases:
        norm_np, norm_hypot = float(np.linalg.norm(g)), math.hypot(*g)
        if norm_np == theta or norm_hypot == theta:
            if not (norm_np == theta == norm_hypot):  # exact: an equality case must be exact in both norms
                return math.inf, f"equality case not exact: {norm_np!r}, {norm_hypot!r}, theta {theta!r}", counts
            counts["equal"] += 1
        elif abs(norm_hypot - theta) < 1e-9 * theta:
            return math.inf, f"case within 1e-9 of the threshold: ||g|| = {norm_hypot!r}, theta = {theta!r}", counts
        else:
            counts["below" if norm_hypot < theta else "above"] += 1
        printed = evaluate_piecewise(statement.rhs, {GHAT: g, THETA: theta, GNORM: norm_np})
        for who, r in (("printed rule", printed), ("clip_gradient", clip(g.copy(), theta))):
            err, what = _meaning_error(g, theta, r)
            if err > worst or not math.isfinite(err):
                worst, detail = err, f"{who}: {what}"
            if not math.isfinite(err):
                return worst, detail, counts
    return worst, detail, counts


# =========================================================================== verification


def _symbolic_jacobian_checks(eq: dict, H: int, steps: int) -> dict:
    """Residuals of the step Jacobian and of the product formula against SymPy's ``jacobian``."""
    M = lambda name, r, c: sp.Matrix(r, c, lambda a, b_: sp.Symbol(f"{name}_{a + 1}{b_ + 1}", real=True))  # noqa: E731
    Um = M("U", H, H)
    s = M("s", H, 1)  # an arbitrary state h^(0): the map h^(0) -> h^(steps) is differentiated
    drive = {i: M(f"a{i}", H, 1) for i in range(1, steps + 1)}  # W x^(i) + b: any vector, free of h
    hs = {0: s}
    for i in range(1, steps + 1):
        hs[i] = (drive[i] + Um * hs[i - 1]).applyfunc(sp.tanh)
    # The left sides dh^(a)/dh^(0) by SymPy's jacobian: both sides of each statement are evaluated.
    direct = {(a, 0): hs[a].jacobian(s) for a in hs}
    env = Env(seqs={"h": hs, "jac": direct}, consts={U: Um, ONES: sp.ones(H, 1)})
    res = {}
    for cid, scalars in (("p3.step_jacobian", {j: sp.Integer(1)}),
                         ("p3.jacobian_product", {t: sp.Integer(steps), k: sp.Integer(0)})):
        env.scalars = scalars
        res[cid] = exact.residual(evaluate(eq[cid].rhs, env), evaluate(eq[cid].lhs, env))
    return res


def _numeric_env(params, X, T) -> Env:
    """Float values of h, delta_o = y - t and every dh^(t)/dh^(k) (k <= t) as SymPy matrices."""
    fw = rnn.forward(params, X)
    steps = X.shape[0]
    col = lambda v: sp.Matrix(v.reshape(-1, 1))  # noqa: E731
    step_jac = rnn.step_jacobians(params, X)
    jac = {}
    for t_ in range(0, steps + 1):
        P = np.eye(len(params["U"]))
        jac[(t_, t_)] = sp.Matrix(P)
        for k_ in range(t_ - 1, -1, -1):
            P = P @ step_jac[k_]
            jac[(t_, k_)] = sp.Matrix(P)
    return Env(
        seqs={"h": {s: col(fw["h"][s]) for s in range(steps + 1)},
              "delta_o": {s: col(fw["y"][s - 1] - T[s - 1]) for s in range(1, steps + 1)},
              "jac": jac},
        consts={V_T: sp.Matrix(params["V"].T), ONES: sp.ones(len(params["U"]), 1)},
        scalars={tau: sp.Integer(steps)},
    )


def _unrolled_gradient_checks(eq: dict, cfg=FD_RUN):
    """Relative errors of the unrolled delta_h and dJ/dU statements against central differences."""
    rng = np.random.default_rng(cfg["seed"])
    params, X, T = rnn.random_problem(rng, cfg["D"], cfg["H"], cfg["K"], cfg["tau"])
    env = _numeric_env(params, X, T)
    fw_h = rnn.forward(params, X)["h"]
    derived, numeric = [], []
    for k_ in range(1, cfg["tau"] + 1):
        env.scalars[k] = sp.Integer(k_)
        derived.append(np.array(evaluate(eq["p3.delta_unrolled"].rhs, env), dtype=float).ravel())
        numeric.append(_central(lambda v: loss_from(params, X, T, k_, v), fw_h[k_].copy()).ravel())
    err_delta = relative_error(np.concatenate(derived), np.concatenate(numeric))
    env.scalars.pop(k)
    dU = np.array(evaluate(eq["p3.gradU_terms"].rhs, env), dtype=float)
    fdU = rnn.central_differences(lambda: rnn.loss(params, X, T), {"U": params["U"]})["U"]
    return err_delta, relative_error(dU, fdU)


def _check_norm_bound(statement, runs, rows=()) -> float:
    """The printed bound evaluated at every run, sequence and pair (t, k) = (tau, k), k = 0..tau.

    The left side ``Norm2(Jac(t, k))`` is evaluated on the Jacobians of the implemented RNN
    (:func:`derivations.rnn.hidden_jacobians`), the right side with gamma = 1 (tanh) and
    sigma_max(U) from the SVD.  Returns max(lhs / rhs) - 1 (at most 0 when the bound holds),
    or 1 if what the report shows differs from these evaluations: the plotted norms (figure
    p03_jacobian_norms) or a row of the table ``rows`` (geometric mean of the left side at
    k = 0 over the sequences, and the right side there).
    """
    worst = 0.0
    for i, r in enumerate(runs):
        sigma = sp.Float(np.linalg.svd(r["params"]["U"], compute_uv=False)[0])
        steps = r["X"][0].shape[0]
        rhs = [float(statement.rhs.subs({GAMMA: 1, SIGMA: sigma, t: steps, k: k_})) for k_ in range(steps + 1)]
        across = []  # the left side at k = 0, one per sequence
        for X, plotted in zip(r["X"], r["norms"]):
            jac = rnn.hidden_jacobians(r["params"], X)
            env = Env(seqs={"jac": {(steps, k_): J for k_, J in enumerate(jac)}}, scalars={t: sp.Integer(steps)})
            for k_ in range(steps + 1):
                env.scalars[k] = sp.Integer(k_)
                lhs = evaluate(statement.lhs, env)
                if not np.isclose(plotted[steps - k_], lhs, rtol=1e-12, atol=0.0):
                    return 1.0
                worst = max(worst, lhs / rhs[k_] - 1.0)
                if k_ == 0:
                    across.append(lhs)
        if rows:
            geometric_mean = np.prod(across) ** (1.0 / len(across))
            if not (np.isclose(rows[i]["measured"], geometric_mean, rtol=1e-9, atol=0.0)
                    and np.isclose(rows[i]["bound"], rhs[0], rtol=1e-12, atol=0.0)):
                return 1.0
    return worst


def _jacobian_fd_error(runs, distances=JAC_FD["distances"], sequence=JAC_FD["sequence"]) -> float:
    """Relative error of the product-of-Jacobians against central differences of the forward pass."""
    worst = 0.0
    for r in runs:
        params, X = r["params"], r["X"][sequence]
        steps = X.shape[0]
        jac = rnn.hidden_jacobians(params, X)
        for n in distances:
            worst = max(worst, relative_error(jac[steps - n], jacobian_by_differences(params, X, steps, steps - n)))
    return worst


def _check_counterexample(statement, ctx) -> tuple:
    """The printed ||dh^(tau)/dh^(tau - n*)||_2 > 100 with its left side measured by central differences.

    The numbers the text quotes about the run are checked too, each by a second route: the norm
    at n* in the caption (product of step Jacobians) against the differences; rho(U) and
    rho(U)^n* from the diagonal of the triangular U; sigma_max(U) from the eigenvalues of U^T U;
    max |h| from the state loop :func:`states_from`.  Returns (error, what was measured): the
    largest relative mismatch if one exceeds 1e-6, else max(0, (rhs - lhs) / rhs).
    """
    c = ctx["counter"]
    steps, U_ = c["X"].shape[0], c["params"]["U"]
    late, early = (int(sp.sympify(a).subs(tau, steps)) for a in statement.lhs.args[0].args)
    env = Env(seqs={"jac": {(late, early): jacobian_by_differences(c["params"], c["X"], late, early)}},
              scalars={tau: sp.Integer(steps)})
    lhs, rhs = evaluate(statement.lhs, env), float(statement.rhs)
    radius = float(np.abs(np.diag(U_)).max()) if np.array_equal(U_, np.triu(U_)) else np.inf
    pairs = [
        (c["norms"][late - early], lhs),
        (c["rho"], radius),
        (ctx["rho_pow_nstar"], radius ** (late - early)),
        (c["sigma_max"], float(np.sqrt(np.linalg.eigvalsh(U_.T @ U_).max()))),
        (c["max_h"], float(np.abs(states_from(c["params"], c["X"], 0, np.zeros(U_.shape[0]))).max())),
    ]
    mismatch = max(relative_error(np.array([quoted]), np.array([second])) for quoted, second in pairs)
    if mismatch > 1e-6:
        return mismatch, f"a quoted number is off by {mismatch:.2g}"
    return max(0.0, (rhs - lhs) / rhs), f"norm {lhs:.4g} at distance {late - early}"


def verify(derivation: Derivation):
    eq, ctx = derivation.equations, derivation.context
    claims = []
    sym = _symbolic_jacobian_checks(eq, **SYMBOLIC_RUN)
    for cid, what in (("p3.step_jacobian", "one step"), ("p3.jacobian_product", "{steps} steps".format(**SYMBOLIC_RUN))):
        claims.append(symbolic_claim(
            cid, eq[cid], sym[cid], method=f"exact: SymPy's jacobian of the unrolled map, symbolic entries ({what}, H = {SYMBOLIC_RUN['H']})",
            where="derivations.vanishing.checks:_symbolic_jacobian_checks",
            reproduce="derivations.vanishing.checks._symbolic_jacobian_checks(derive().equations, **SYMBOLIC_RUN)",
        ))
    err_delta, err_U = _unrolled_gradient_checks(eq)
    fd = "H={H}, D={D}, K={K}, tau={tau}, seed {seed}".format(**FD_RUN)
    claims.append(numeric_claim(
        "p3.delta_unrolled", eq["p3.delta_unrolled"], err_delta, 1e-6,
        method="central differences of J in an injected state h(k), every k",
        where="derivations.vanishing.checks:_unrolled_gradient_checks", reproduce=fd,
    ))
    claims.append(numeric_claim(
        "p3.gradU_terms", eq["p3.gradU_terms"], err_U, 1e-6,
        method="central differences of J in U",
        where="derivations.vanishing.checks:_unrolled_gradient_checks", reproduce=fd,
    ))
    runs = ctx["runs"]
    claims.append(numeric_claim(
        "p3.norm_bound", eq["p3.norm_bound"], _check_norm_bound(eq["p3.norm_bound"], runs, ctx["decay_rows"]), 1e-12,
        method="evaluated at every run, sequence and distance (sigma_max by SVD): max lhs/rhs - 1",
        where="derivations.vanishing.checks:_check_norm_bound",
        reproduce="NORM_RUN = {}".format(NORM_RUN),
    ))
    err_jac = _jacobian_fd_error(runs)
    claims.append(numeric_claim(
        "p3.jacobian_fd",
        sp.Le(sp.Symbol(r"\varepsilon_{\mathrm{rel}}"), sp.Symbol(r"10^{-6}"), evaluate=False),  # measured: appendix
        err_jac, 1e-6,
        method="products of step Jacobians vs central differences of the forward pass, t - k = {}".format(
            ", ".join(map(str, JAC_FD["distances"]))),
        where="derivations.vanishing.checks:_jacobian_fd_error", reproduce="NORM_RUN, JAC_FD = {}".format(JAC_FD),
    ))
    error, measured = _check_counterexample(eq["p3.eigen_counterexample"], ctx)
    claims.append(numeric_claim(
        "p3.eigen_counterexample", eq["p3.eigen_counterexample"], error, 0.0,
        method=f"{measured} by central differences; the run's quoted numbers by second routes",
        where="derivations.vanishing.checks:_check_counterexample", reproduce="COUNTER_RUN = {}".format(COUNTER_RUN),
    ))
    error, detail, counts = _check_clipping(eq["p3.clipping"], clipping_cases())
    # Tolerance, first order in u = 2^-53, for d <= max_dim entries: NumPy's ||g|| has relative error
    # <= (d/2 + 1) u (a d-term dot product, then a square root), theta/||g|| and the product with g_i
    # add 2 u, math.hypot of the result 1 u: (d/2 + 4) u for the norm.  The cosine: fsum and hypot
    # round to about 1 u each, the product and quotient 2 u, the branch's per-entry roundings move the
    # direction only by O(u^2): 5 u.  The larger is (max_dim/2 + 4) u.
    tol = (CLIP_RUN["max_dim"] / 2 + 4) * 2.0 ** -53
    claims.append(numeric_claim(
        "p3.clipping", eq["p3.clipping"], error, tol,
        method="rule and clip_gradient, {below}/{equal}/{above} gradients below/at/above theta: "
               "g, else norm theta along g".format(**counts),
        where="derivations.vanishing.checks:_check_clipping", reproduce="CLIP_RUN = {}".format(CLIP_RUN),
        detail=detail,
    ))
    return claims
