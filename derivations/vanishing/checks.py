"""Problem 3's checks: the Jacobian formulas exactly (SymPy's ``jacobian`` of the unrolled map), the
unrolled gradients by central finite differences, the bound on the seeded runs, and the
counterexample's growth measured by finite differences of an independent state loop."""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations import exact, rnn
from derivations.ledger import Derivation, numeric_claim, relative_error, symbolic_claim
from derivations.rnn import ONES, V_T, t, tau
from derivations.seqnotation import Env, evaluate
from derivations.vanishing.derivation import GAMMA, SIGMA, U, j, k
from derivations.vanishing.experiment import COUNTER_RUN, NORM_RUN

__all__ = ["verify", "states_from", "loss_from", "jacobian_by_differences"]

FD_RUN = {"H": 3, "D": 2, "K": 3, "tau": 6, "seed": 5}
SYMBOLIC_RUN = {"H": 2, "steps": 3}  # the symbolic RNN of the exact Jacobian checks
JAC_FD = {"distances": (1, 5, 10), "sequence": 0}  # Jacobians checked by differences, in each NORM_RUN run


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
            cid, eq[cid], sym[cid], method=f"SymPy jacobian of the unrolled map, symbolic entries ({what}, H = {SYMBOLIC_RUN['H']})",
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
        method="the statement evaluated at every distance and run: lhs/rhs - 1 (gamma = 1, largest singular value by SVD); float64 rounding",
        where="derivations.vanishing.checks:_check_norm_bound",
        reproduce="NORM_RUN = {}".format(NORM_RUN),
    ))
    err_jac = _jacobian_fd_error(runs)
    claims.append(numeric_claim(
        "p3.jacobian_fd",
        sp.Le(sp.Symbol(r"\varepsilon_{\mathrm{rel}}"), sp.Symbol(r"10^{-6}"), evaluate=False),  # measured: appendix
        err_jac, 1e-6,
        method="product of step Jacobians vs central differences of the forward pass, distances {}".format(JAC_FD["distances"]),
        where="derivations.vanishing.checks:_jacobian_fd_error", reproduce="NORM_RUN, JAC_FD = {}".format(JAC_FD),
    ))
    error, measured = _check_counterexample(eq["p3.eigen_counterexample"], ctx)
    claims.append(numeric_claim(
        "p3.eigen_counterexample", eq["p3.eigen_counterexample"], error, 0.0,
        method=f"the statement with its norm measured by central differences ({measured}); "
               "quoted numbers of the run each by a second route",
        where="derivations.vanishing.checks:_check_counterexample", reproduce="COUNTER_RUN = {}".format(COUNTER_RUN),
    ))
    return claims
