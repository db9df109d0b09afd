"""Problem 2's checks: the statements evaluated on a symbolic unrolled RNN against SymEngine's own
derivatives of J (exact), and the implemented gradients against central differences of the loss."""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations import exact
from derivations.ledger import Derivation, numeric_claim, relative_error, symbolic_claim
from derivations.numerics import central_differences
from derivations.rnn.derivation import FD_TRIALS, ONES, U_T, V_T, t, tau
from derivations.rnn.method import gradients, loss, random_problem
from derivations.seqnotation import Env, evaluate

__all__ = ["verify", "unrolled_rnn", "symbolic_check", "finite_difference_check", "bptt_from_statements"]

FD_SEED = 0  # seed of the finite-difference check's random sizes and networks


def bptt_from_statements(eq: dict, env: Env, steps: int) -> dict:
    """Evaluate the derived statements backwards in time on a concrete unrolled network.

    ``env`` holds x, h (with h^(0)), y, t and the constants U^T, V^T, 1; the deltas are added
    to it as they are computed (t = tau first).  Returns the five gradients.
    """
    for key in ("delta_o", "delta_h", "delta_z"):
        env.seqs[key] = {}
    env.scalars[tau] = sp.Integer(steps)
    last, general = eq["p2.delta_h"]
    for s in range(steps, 0, -1):
        env.seqs["delta_o"][s] = evaluate(eq["p2.delta_o"].rhs.subs(t, s), env)
        rule = last if s == steps else general
        env.seqs["delta_h"][s] = evaluate(rule.rhs.subs(t, s), env)
        env.seqs["delta_z"][s] = evaluate(eq["p2.delta_z"].rhs.subs(t, s), env)
    return {k: evaluate(eq[f"p2.grad_{k}"].rhs, env) for k in ("W", "U", "V", "b", "c")}


def unrolled_rnn(D: int, H: int, K: int, steps: int, perturb: bool = True):
    """A tiny RNN with symbolic entries, unrolled over ``steps`` steps.

    Returns ``(J, params, xs, ts, hs, ys, eps)``: the loss as one SymPy scalar in log-sum-exp
    form, J = -sum_t sum_k t_k (o_k - ln sum_j e^{o_j}) (Eq. 5 with ln softmax written out);
    parameter matrices of symbols; inputs; targets (t_1, 1 - t_1) for K = 2 (they sum to 1, as
    one-hot vectors do); the hidden states, from a symbolic initial state h^(0) (the statements
    hold for any), and outputs; and zero-valued perturbations ``eps[(name, t)]`` added to o^(t),
    h^(t) and z^(t), so that dJ/d eps = dJ/d(that quantity).
    """
    Msym = lambda name, r, c: sp.Matrix(r, c, lambda i, j: sp.Symbol(f"{name}_{i + 1}{j + 1}", real=True))  # noqa: E731
    params = {"W": Msym("W", H, D), "U": Msym("U", H, H), "V": Msym("V", K, H),
              "b": Msym("b", H, 1), "c": Msym("c", K, 1)}
    xs = {s: Msym(f"x{s}", D, 1) for s in range(1, steps + 1)}
    ts = {}
    for s in range(1, steps + 1):
        p = [sp.Symbol(f"t{s}_{k + 1}", real=True) for k in range(K - 1)]
        ts[s] = sp.Matrix(p + [1 - sum(p)])
    eps = {}
    for s in range(1, steps + 1):
        for name, n in (("z", H), ("h", H), ("o", K)):
            eps[(name, s)] = Msym(f"e{name}{s}", n, 1) if perturb else sp.zeros(n, 1)
    hs, ys, losses = {0: Msym("h0", H, 1)}, {}, []  # any initial state (the report uses h^(0) = 0)
    for s in range(1, steps + 1):
        z = params["W"] * xs[s] + params["U"] * hs[s - 1] + params["b"] + eps[("z", s)]
        hs[s] = z.applyfunc(sp.tanh) + eps[("h", s)]
        o = params["V"] * hs[s] + params["c"] + eps[("o", s)]
        lse = sp.log(sum(sp.exp(o[k]) for k in range(K)))
        losses.append(-sum(ts[s][k] * (o[k] - lse) for k in range(K)))  # J^(s)
        ys[s] = o.applyfunc(sp.exp) / sum(sp.exp(o[k]) for k in range(K))
    return sum(losses), params, xs, ts, hs, ys, eps


def symbolic_check(eq: dict, D: int, H: int, K: int, steps: int) -> dict:
    """Residuals (claim id -> matrix) of the derived statements against SymEngine's own dJ/d(.).

    The statements are evaluated (in SymPy) on the symbolic RNN; SymEngine differentiates the
    scalar J by every entry of the parameters and perturbations and expands the differences
    (see :mod:`derivations.exact` for why an expanded 0 proves the identity).
    """
    J, params, xs, ts, hs, ys, eps = unrolled_rnn(D, H, K, steps)
    zero = {e: 0 for M in eps.values() for e in M}
    hs0 = {s: hs[s].xreplace(zero) for s in hs}
    ys0 = {s: ys[s].xreplace(zero) for s in ys}
    env = Env(
        seqs={"x": xs, "h": hs0, "y": ys0, "t": ts},
        consts={U_T: params["U"].T, V_T: params["V"].T, ONES: sp.ones(H, 1)},
    )
    derived = bptt_from_statements(eq, env, steps)
    J = exact.engine(J)

    def direct(var):  # SymEngine differentiates the scalar J, then sets the perturbations to 0
        return exact.derivatives(J, var, zero)

    res = {}
    for key, name in (("delta_o", "o"), ("delta_h", "h"), ("delta_z", "z")):
        res[f"p2.{key}"] = sp.Matrix.vstack(
            *[exact.residual(env.seqs[key][s], direct(eps[(name, s)])) for s in range(1, steps + 1)]
        )
    for k in ("W", "U", "V", "b", "c"):
        res[f"p2.grad_{k}"] = exact.residual(derived[k], direct(params[k]))
    res["p2.delta_h_recurrence"] = _recurrence_residual(eq["p2.delta_h_recurrence"], env, direct, eps, H, K, steps)
    return res


def _recurrence_residual(statement, env: Env, direct, eps, H: int, K: int, steps: int) -> sp.Matrix:
    """The recurrence in delta_h alone, for t = 1, ..., tau - 1, with every delta on its right-hand
    side SymEngine's own dJ/d(.) (not the statements' values): its right-hand side, evaluated on
    placeholders for delta_o^(t) and delta_h^(t+1) that are then replaced by those derivatives,
    minus SymEngine's dJ/dh^(t)."""
    placeholders = {
        "delta_o": {s: sp.Matrix(K, 1, lambda i, _, s=s: sp.Symbol(f"_po{s}_{i}")) for s in range(1, steps + 1)},
        "delta_h": {s: sp.Matrix(H, 1, lambda i, _, s=s: sp.Symbol(f"_ph{s}_{i}")) for s in range(1, steps + 1)},
    }
    truth = {}
    for key, name in (("delta_o", "o"), ("delta_h", "h")):
        for s, P in placeholders[key].items():
            truth.update({exact.engine(p): d for p, d in zip(P, direct(eps[(name, s)]))})
    at = Env(seqs={**env.seqs, **placeholders}, consts=env.consts, scalars=env.scalars)
    rows = []
    for s in range(1, steps):
        rhs = exact.engine_matrix(evaluate(statement.rhs.subs(t, s), at)).subs(truth)
        rows.append(exact.residual(rhs, direct(eps[("h", s)])))
    return sp.Matrix.vstack(*rows)


def finite_difference_check(trials: int = FD_TRIALS, seed: int = FD_SEED):
    """Worst relative error of :func:`gradients` against central differences of :func:`loss`."""
    rng = np.random.default_rng(seed)
    worst, sizes = 0.0, []
    for _ in range(trials):
        D, H, K = (int(v) for v in rng.integers(1, 6, size=3))
        steps = int(rng.integers(1, 9))
        params, X, T = random_problem(rng, D, H, K, steps)
        analytic = gradients(params, X, T)
        numeric = central_differences(lambda: loss(params, X, T), params)
        flat = lambda g: np.concatenate([g[k].ravel() for k in ("W", "U", "V", "b", "c")])  # noqa: E731
        worst = max(worst, relative_error(flat(analytic), flat(numeric)))
        sizes.append((D, H, K, steps))
    return worst, sizes


def verify(derivation: Derivation):
    eq = derivation.equations
    sizes = derivation.context["symbolic_sizes"]
    residuals = symbolic_check(eq, **sizes)
    shape = "D = {D}, H = {H}, K = {K}, tau = {steps}".format(**sizes)
    method = "exact: SymEngine's dJ, symbolic RNN, D={D}, H={H}, K={K}, tau={steps}".format(**sizes)
    claims = []
    for cid in ("p2.delta_o", "p2.delta_h", "p2.delta_z", "p2.delta_h_recurrence",
                "p2.grad_W", "p2.grad_U", "p2.grad_b", "p2.grad_V", "p2.grad_c"):
        route = "exact: its right side on SymEngine's dJ/do, dJ/dh vs dJ/dh" if cid == "p2.delta_h_recurrence" else method
        claims.append(symbolic_claim(
            cid, eq[cid], residuals[cid], method=route, where="derivations.rnn.checks:symbolic_check",
            reproduce=f"derivations.rnn.checks.symbolic_check(derive().equations, **{sizes})",
        ))
    worst, tried = finite_difference_check(trials=derivation.context["fd_trials"], seed=FD_SEED)
    # The text states the bound that was checked; the measured value is round-off-sized and differs
    # in its digits from one processor to another, so it is given in the appendix only.
    measured = sp.Symbol(r"\varepsilon_{\mathrm{rel}}")
    claims.append(
        numeric_claim(
            "p2.bptt_fd",
            sp.Le(measured, sp.Symbol(r"10^{-6}"), evaluate=False),
            worst,
            1e-6,
            method=f"central differences of J, step 1e-6, {len(tried)} random sizes",
            where="derivations.rnn.checks:finite_difference_check",
            reproduce=f"derivations.rnn.checks.finite_difference_check(trials={len(tried)}, seed={FD_SEED})",
        )
    )
    return claims
