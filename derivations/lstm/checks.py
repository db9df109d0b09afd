"""Problem 4's checks, each by a route that does not reuse the formula it checks.

* every BPTT statement is evaluated, leaf by leaf, on a tiny unrolled LSTM with symbolic
  entries, and must equal exactly what SymEngine (a second computer-algebra system) gets by
  differentiating J directly (the deltas by differentiating J after perturbing that one
  intermediate quantity);
* the implemented gradients agree with central finite differences of the implemented loss on
  random sizes (relative error <= 1e-6, float64);
* the parameter count formula agrees with counting the implementation's arrays;
* the cell-state Jacobians are checked against SymEngine's Jacobian of one unrolled step;
* the experiment's printed and drawn numbers are recomputed by complex-step derivatives.
"""

from __future__ import annotations

import numpy as np
import symengine as se
import sympy as sp

from derivations import exact
from derivations.display import Diag, GateSum
from derivations.ledger import Derivation, numeric_claim, relative_error, symbolic_claim
from derivations.lstm.derivation import D_, H_, K_, STAR, TAU, T_SYM, TINY_SIZES, _LEAVES, _Sigmoid
from derivations.lstm.experiment import CS_STEP, REACH, REACH_CHECK_DISTANCES, REACH_INIT_Z, reach_data
from derivations.lstm.method import (
    GATES,
    PARAM_SHAPES,
    _forward_core,
    _sigmoid_np,
    _softmax_np,
    bptt,
    gradients,
    init_params,
    loss,
    parameter_count,
)
from derivations.numerics import central_differences as _central_differences

__all__ = ["verify", "finite_difference_error", "tiny_model"]


# --------------------------------------------------------------------------- symbolic model (SymEngine)


def _engine_sigmoid(z):
    """sigma(x) = (1 + tanh(x/2)) / 2, an exact identity: SymEngine then differentiates it as
    (1 - tanh(x/2)^2) / 4 = sigma (1 - sigma), a polynomial in the same atom tanh(x/2)."""
    return np.array([(1 + se.tanh(e / 2)) / 2 for e in z], dtype=object)


def _engine_tanh(z):
    return np.array([se.tanh(e) for e in z], dtype=object)


def _engine_softmax(a):
    total = sum(se.exp(e) for e in a)
    return np.array([se.exp(e) / total for e in a], dtype=object)


def tiny_model(*, D: int, H: int, K: int, tau: int):
    """An unrolled LSTM with SymEngine symbols for parameters and inputs (object arrays); targets one-hot."""
    P = {}
    for k, shape in PARAM_SHAPES.items():
        size = tuple({"D": D, "H": H, "K": K}[s] for s in shape)
        P[k] = _engine_vector(k, int(np.prod(size))).reshape(size)
    X = _engine_vector("x", tau * D).reshape(tau, D)
    T = np.zeros((tau, K), dtype=int)
    T[np.arange(tau), np.arange(tau) % K] = 1
    return P, X, T


def _engine_forward(P, X, perturb=None):
    """The forward pass on SymEngine symbols (sigma, tanh and softmax written out)."""
    return _forward_core(P, X, _engine_sigmoid, _engine_tanh, _engine_softmax, perturb)


def _engine_loss(T, rec):
    """J = -sum_t sum_k t_k (a_k - ln sum_j e^{a_j}), a = the logits: SymEngine differentiates this."""
    J = se.Integer(0)
    for t in range(1, len(T) + 1):
        a = rec["logits"][t]
        lse = se.log(sum(se.exp(e) for e in a))
        J -= sum(int(T[t - 1, k]) * (a[k] - lse) for k in range(len(a)))
    return J


def _engine_vector(name, n):
    return np.array(se.symbols(f"{name}_0:{n}"), dtype=object)


def _direct_delta(P, X, T, quantity, t, n) -> se.DenseMatrix:
    """dJ/d(quantity at step t) by SymEngine: perturb it by eps, differentiate J, set eps = 0."""
    eps = _engine_vector("eps", n)
    J = _engine_loss(T, _engine_forward(P, X, {(quantity, t): eps}))
    return se.DenseMatrix(n, 1, exact.derivatives(J, eps, eps))


class _Truth:
    """True values of every leaf in the tiny symbolic LSTM (SymEngine matrices), computed lazily."""

    SIZES = TINY_SIZES

    def __init__(self, **sizes):
        sizes = {**self.SIZES, **sizes}
        self.tau = sizes.pop("tau")
        self.sizes = sizes  # D, H, K
        self.dims = {D_: sizes["D"], H_: sizes["H"], K_: sizes["K"]}
        self.P, self.X, self.T = tiny_model(**sizes, tau=self.tau)
        self.rec = _engine_forward(self.P, self.X)
        self.J = _engine_loss(self.T, self.rec)
        self._cache = {}
        self.extra = {}  # further named values at a time step, (name, t) -> matrix (the Jacobians of part (iii))

    def delta(self, which, t):
        """dJ/d(quantity)^(t); zero past the last step."""
        n = self.sizes["K"] if which == "a" else self.sizes["H"]
        if t > self.tau:
            return se.zeros(n, 1)
        key = (which, t)
        if key not in self._cache:
            quantity = {"a": "logits", "h": "h", "c": "c"}.get(which, f"z_{which}")
            self._cache[key] = _direct_delta(self.P, self.X, self.T, quantity, t, n)
        return self._cache[key]

    def value(self, quantity, t, gate):
        """The explicit matrix a leaf stands for at time t (``gate`` replaces the generic star)."""
        kind, _, name = quantity.partition(":")
        name = name.replace(STAR, gate)
        H = self.sizes["H"]
        if kind == "one":
            return se.ones(H, 1)
        if kind == "param":
            A = np.atleast_2d(self.P[name].T).T
            return se.DenseMatrix(A.shape[0], A.shape[1], list(A.ravel()))
        if kind == "grad":  # dJ/d(parameter) by SymEngine, entry by entry
            A = np.atleast_2d(self.P[name].T).T
            return se.DenseMatrix(A.shape[0], A.shape[1], exact.derivatives(self.J, A.ravel()))
        if kind == "delta":
            return self.delta(name, t)
        if kind == "input":
            return _column((self.X if name == "x" else self.T)[t - 1])
        if kind == "sq":
            return self.value(f"fw:{name}", t, gate).applyfunc(lambda e: e**2)
        if kind == "fw":
            if t > self.tau:  # past the last step: only ever multiplies a zero delta
                return se.zeros(H, 1)
            return _column(self.rec[name][t])
        if (quantity, t) in self.extra:
            return self.extra[(quantity, t)]
        raise KeyError(f"no value for leaf quantity {quantity!r}")


def _column(values) -> se.DenseMatrix:
    return se.DenseMatrix(len(values), 1, [exact.engine(int(v) if isinstance(v, np.integer) else v) for v in values])


def _evaluate(expr, truth: _Truth, t: int, gate: str):
    """Replace every leaf by its true value at time t (sums over t expanded) and compute; every matrix
    node's value must have the shape the statement gives it (D, H, K taken at the tiny sizes)."""
    value = _evaluate_node(expr, truth, t, gate)
    if isinstance(expr, sp.MatrixExpr):
        want = tuple(int(sp.sympify(n).subs(truth.dims)) for n in expr.shape)
        if value.shape != want:
            raise ValueError(f"{expr} has shape {expr.shape} = {want} but evaluates to {value.shape}")
    return value


def _evaluate_node(expr, truth: _Truth, t: int, gate: str):
    if isinstance(expr, sp.Sum):  # the summand at each t between the printed limits (tau -> truth.tau)
        (var, lower, upper), = expr.limits
        if var != T_SYM:
            raise TypeError(f"a statement's sum must run over t; got {var}")
        lower, upper = (int(sp.sympify(v).subs(TAU, truth.tau)) for v in (lower, upper))
        terms = [_evaluate(expr.function, truth, s, gate) for s in range(lower, upper + 1)]
        if not terms:
            raise ValueError(f"empty sum in a statement: {expr}")
        out = terms[0]
        for term in terms[1:]:
            out = out + term
        return out
    if isinstance(expr, GateSum):
        out = _evaluate(expr.args[0], truth, t, GATES[0])
        for other in GATES[1:]:
            out = out + _evaluate(expr.args[0], truth, t, other)
        return out
    if isinstance(expr, Diag):
        return se.diag(*_evaluate(expr.args[0], truth, t, gate).ravel())
    if isinstance(expr, sp.MatrixSymbol):
        quantity, shift = _LEAVES[expr.name]
        return truth.value(quantity, t + (shift or 0), gate)
    if isinstance(expr, sp.Transpose):
        return _evaluate(expr.arg, truth, t, gate).T
    if isinstance(expr, sp.MatAdd):
        out = _evaluate(expr.args[0], truth, t, gate)
        for a in expr.args[1:]:
            out = out + _evaluate(a, truth, t, gate)
        return out
    if isinstance(expr, sp.MatMul):
        scalar, out = sp.Integer(1), None
        for a in expr.args:
            if isinstance(a, (sp.MatrixExpr, sp.Sum)):
                v = _evaluate(a, truth, t, gate)
                out = v if out is None else out * v
            else:
                scalar *= a
        return exact.engine(scalar) * out
    if isinstance(expr, sp.HadamardProduct):
        out = _evaluate(expr.args[0], truth, t, gate)
        for a in expr.args[1:]:
            out = out.multiply_elementwise(_evaluate(a, truth, t, gate))
        return out
    raise TypeError(f"cannot evaluate {type(expr).__name__} in a statement: {expr}")


def _statement_residual(statement, truth: _Truth, times, gates) -> sp.Matrix:
    """lhs - rhs of an equation, evaluated at every time and gate and expanded by SymEngine (see
    :mod:`derivations.exact`): all entries in one column, exactly 0 when the statement holds."""
    entries = []
    for gate in gates:
        for t in times:
            entries += list(exact.residual(_evaluate(statement.lhs, truth, t, gate),
                                           _evaluate(statement.rhs, truth, t, gate)))
    return sp.Matrix(entries)


# --------------------------------------------------------------------------- verification


FD_SEED = 0  # seed of the random sizes, parameters and data of the finite-difference check
FD_TRIALS = 6  # how many random (D, H, K, tau) the finite-difference check draws
FD_WEIGHT_STD = 0.8  # std of the random weights there (large enough for saturating gates)
FD_BIAS_STD = 0.5  # std of the random biases there (nonzero, so no term vanishes by symmetry)


def finite_difference_error(seed=FD_SEED, trials=FD_TRIALS):
    """Worst relative error between BPTT and central differences of J, over random sizes."""
    rng = np.random.default_rng(seed)
    errors = []
    cases = []
    for _ in range(trials):
        D, H, K = (int(s) for s in rng.integers(1, 5, size=3))
        tau = int(rng.integers(1, 6))
        p = init_params(D, H, K, rng, scale=FD_WEIGHT_STD)
        for k in p:
            if k.startswith("b_"):
                p[k] = FD_BIAS_STD * rng.normal(size=p[k].shape)
        p["c"] = FD_BIAS_STD * rng.normal(size=K)
        X = rng.normal(size=(tau, D))
        T = np.eye(K)[rng.integers(0, K, size=tau)]
        G = bptt(p, X, T)
        keys = list(PARAM_SHAPES)
        arrays = [p[k] for k in keys] + [X]
        num = _central_differences(lambda: loss(p, X, T), arrays)
        ana = [G[k] for k in keys] + [G["x"]]
        err = relative_error(np.concatenate([a.ravel() for a in ana]), np.concatenate([n.ravel() for n in num]))
        errors.append(err)
        cases.append((D, H, K, tau))
    return float(np.max(errors)), cases  # np.max, unlike max(), keeps a NaN: a NaN must fail


# Two exact routes (BPTT, complex step), each tau = 60 steps of H = 16-term inner products: without
# cancellation they round to ~2 tau H eps = 4e-13 relative apart; 1e-10 allows cancellation by a
# factor 250 in the matrix-vector products (measured 6e-15 to 9e-15 across BLAS kernels), and a
# misprinted or wrongly computed number is off by 1e-3 (relative) or more.
REACH_TOL = 1e-10
# The text prints the experiment's numbers to 3 significant digits (|num); they move by ~1e-13
# (relative) from one BLAS kernel to another, so each must sit this far (relative) from the point
# where its last printed digit changes (the closest is 2e-4 away).
PRINTED_DIGITS, PRINTED_MARGIN = 3, 1e-9


def _rounding_clearance(value, digits=PRINTED_DIGITS):
    """Distance (relative to |value|) from ``value`` to the nearest point where its rounding to
    ``digits`` significant digits changes, in exact decimal arithmetic (inf for 0 or exact digits)."""
    from decimal import Decimal

    exact, shown = Decimal(float(value)), Decimal(f"{float(value):.{digits - 1}e}")
    if value == 0 or shown == exact:
        return np.inf
    return float((Decimal(1).scaleb(shown.adjusted() - (digits - 1)) / 2 - abs(exact - shown)) / abs(exact))


def _identity(a):
    return a


def _complex_step_columns(X, rows):
    """X (tau, D) -> (tau, D, len(rows) * D): column (j, e) is X with i * CS_STEP added to X[rows[j], e]."""
    D = X.shape[1]
    n = len(rows) * D
    Xc = np.repeat(X.astype(complex)[:, :, None], n, axis=2)
    j, e = np.divmod(np.arange(n), D)
    Xc[np.asarray(rows)[j], e, np.arange(n)] += 1j * CS_STEP
    return Xc


def _last_step_loss(logits, target):
    """l = -ln softmax(logits)_k = ln sum_j e^{a_j} - a_k, columnwise, k the target class; complex-safe.
    No max-shift: the logits V h + c are bounded (|h| <= 1), and a real shift would not touch Im l."""
    return np.log(np.exp(logits).sum(axis=0)) - logits[int(np.argmax(target))]  # target one-hot: exact 0/1


def _complex_step_norms_lstm(params, X, T, distances):
    """||d l^(tau) / d x^(tau-d)|| at the given distances d by the complex step through the LSTM's
    forward pass, all directions at once (the forward core runs on (size, columns) arrays); and f."""
    tau, D = X.shape
    P = {k: (np.asarray(v)[:, None] if np.ndim(v) == 1 else np.asarray(v)) for k, v in params.items()}
    rec = _forward_core(P, _complex_step_columns(X, [tau - 1 - d for d in distances]), _sigmoid_np, np.tanh, _identity)
    grad = (_last_step_loss(rec["logits"][tau], T[tau - 1]).imag / CS_STEP).reshape(len(distances), D)
    f = np.array([v.real for v in rec["f"][1:]])  # (tau, H, columns): the real part is the forward pass
    return np.linalg.norm(grad, axis=1), f


def _complex_step_norms_rnn(params, X, T, distances):
    """The same for the RNN of Problem 2, h^(t) = tanh(W x^(t) + U h^(t-1) + b), logits V h^(t) + c."""
    tau, D = X.shape
    W, U, V, b, c = (np.asarray(params[k]) for k in ("W", "U", "V", "b", "c"))
    Xc = _complex_step_columns(X, [tau - 1 - d for d in distances])
    h = np.zeros((len(b), Xc.shape[2]), dtype=complex)
    for t in range(tau):
        h = np.tanh(W @ Xc[t] + U @ h + b[:, None])
    grad = (_last_step_loss(V @ h + c[:, None], T[tau - 1]).imag / CS_STEP).reshape(len(distances), D)
    return np.linalg.norm(grad, axis=1)


TINY = "symbolic LSTM, tau = 2"


def _check_parameter_count(eq, table):
    """Part (i): the count formula against the implementation's arrays and the printed table, D, H, K = 1..4."""
    worst = 0
    for D in range(1, 5):
        for H in range(1, 5):
            for K in range(1, 5):
                p = init_params(D, H, K, np.random.default_rng(0))
                sizes = {D_: D, H_: H, K_: K}
                formula = int(eq["p4.param_count"].rhs.doit().subs(sizes))
                n_grads = parameter_count(gradients(p, np.zeros((2, D)), np.eye(K)[[0, K - 1]]))
                # the table's rows, as printed (number of arrays times entries per array), added up
                n_table = sum(int(n * per_array.subs(sizes)) for n, per_array in (r["entries"] for r in table))
                worst = max(worst, abs(formula - parameter_count(p)), abs(formula - n_grads), abs(formula - n_table))
    return numeric_claim(  # tolerance 0: every count is a Python int
        "p4.param_count", eq["p4.param_count"], worst, 0,
        method="counting the implementation's arrays and the parameter list, D, H, K = 1..4",
        reproduce="init_params(D, H, K), gradients(...) for D, H, K in 1..4",
    )


def _check_bptt_statements(eq, truth: _Truth):
    """Part (ii): each statement, evaluated on the tiny LSTM, against SymEngine's derivative of J."""
    all_t = list(range(1, truth.tau + 1))
    checks = {  # claim id: (what SymEngine differentiates, times, gates to check)
        "p4.delta_out": ("dJ/da(t) (a: the logits)", all_t, ("f",)),
        "p4.grad_output": ("dJ/dV, dJ/dc", [1], ("f",)),  # sums over t: t is not free
        "p4.delta_h": ("dJ/dh(t)", all_t, ("f",)),
        "p4.delta_c": ("dJ/dc(t)", all_t, ("f",)),
        "p4.delta_gates": ("dJ/dz(t) of each gate", all_t, ("f",)),
        "p4.grad_params": ("dJ/dW, dJ/dU, dJ/db of each gate", [1], GATES),
    }
    claims = []
    for cid, (what, times, gates) in checks.items():
        statement = eq[cid]
        residual = sp.Integer(0)
        for part in statement if isinstance(statement, tuple) else (statement,):
            residual = _statement_residual(part, truth, times, gates)
            if any(r != 0 for r in residual):
                break
        claims.append(symbolic_claim(
            cid, statement, residual,
            method=f"exact: equals SymEngine's {what} on the {TINY}",
            reproduce=f"derivations.lstm.checks._Truth() with sizes {_Truth.SIZES}, t = 1..{truth.tau}",
        ))
    return claims


def _check_cell_jacobians(eq, truth: _Truth):
    """Part (iii): the cell-to-cell Jacobians against SymEngine's Jacobian of step 2 of the tiny LSTM."""
    P, X = truth.P, truth.X
    H, t = truth.sizes["H"], 2
    eps = _engine_vector("eps", H)

    def jacobian(perturb):
        c_t = _engine_forward(P, X, {perturb: eps})["c"][t]
        return se.DenseMatrix(H, H, [d for r in range(H) for d in exact.derivatives(c_t[r], eps, eps)])

    # c^(t-1) perturbed: h^(t-1) = o^(t-1) tanh(c^(t-1)) follows it; "carry": only the f * c^(t-1) term
    truth.extra[("jac_c_full", t)] = jacobian(("c", t - 1))
    truth.extra[("jac_c_direct", t)] = jacobian(("carry", t))
    # the abbreviations of p4.cell_jacobian take the values of their defining rows, as printed
    for row in eq["p4.cell_jacobian"][1:]:
        truth.extra[(_LEAVES[row.lhs.name][0], t)] = _evaluate(row.rhs, truth, t, "f")
    claims = []
    for cid in ("p4.cell_direct", "p4.cell_jacobian"):
        result = eq[cid][0] if isinstance(eq[cid], tuple) else eq[cid]  # row 0; the rest define abbreviations
        claims.append(symbolic_claim(
            cid, eq[cid], _statement_residual(result, truth, [t], ("f",)),
            method=f"exact: SymEngine Jacobian of one step of the {TINY}",
            reproduce="derivations.lstm.checks._Truth(), t = 2",
        ))
    return claims


def _check_gradient_reach(derivation: Derivation, config=REACH):
    """Part (iii): the drawn and printed numbers of the experiment, recomputed by the complex step.

    Each curve of the figure at d = 0, report_distance, tau - 1, each fall over d steps, mean f and
    (mean f)^d in the table are recomputed from complex-step derivatives of the two models' last-step loss on the same
    data; the largest relative difference is the error.  The stated set-up is checked too: each
    weight matrix's sample second moment x fan-in, pooled over seeds, within REACH_INIT_Z standard
    errors of 1 (std of w^2 for a standard normal w: sqrt 2), and the biases as stated.
    """
    D, H, K, tau, d = (config[k] for k in ("D", "H", "K", "tau", "report_distance"))
    biases = config["forget_biases"]
    dist = list(REACH_CHECK_DISTANCES)  # the curves' first point, the table's distance, the last point
    assert dist[1] == d, "REACH_CHECK_DISTANCES[1] must be the table's distance"
    norms = {"rnn": [], **{b: [] for b in biases}}
    fs = {b: [] for b in biases}
    moments = {}  # weight name -> (sum of w^2 * fan-in, count)
    setup_ok = True
    fan = {"W": D, "U": H, "V": H}
    for seed in range(config["seeds"]):
        X, T, rnn, lstm_params = reach_data(seed, config)
        norms["rnn"].append(_complex_step_norms_rnn(rnn, X, T, dist))
        for name, params in [("rnn", rnn)] + [(b, lstm_params[b]) for b in biases]:
            for k, v in params.items():
                if k[0] in fan:
                    # exact comparisons: the same drawn weights, and biases set by assignment
                    setup_ok &= name == "rnn" or bool(np.array_equal(v, lstm_params[biases[0]][k]))
                    if name in ("rnn", biases[0]):  # the LSTMs share their weights: count them once
                        s2, n = moments.get((name, k), (0.0, 0))
                        moments[(name, k)] = (s2 + float(np.sum(v**2)) * fan[k[0]], n + v.size)
                elif k != "b_f" or name == "rnn":
                    setup_ok &= bool(np.all(v == 0))
                else:
                    setup_ok &= bool(np.all(v == name))
        for b in biases:
            n_b, f = _complex_step_norms_lstm(lstm_params[b], X, T, dist)
            norms[b].append(n_b)
            fs[b].append(f)
    z = float(np.max([abs(s2 / n - 1) / np.sqrt(2 / n) for s2, n in moments.values()]))

    curves = derivation.figures[1].data
    summary = derivation.context["reach"]
    pairs = []  # (printed or drawn, recomputed)
    med_rnn = np.median(norms["rnn"], axis=0)  # at the distances dist
    pairs += [(curves["rnn"][dist], med_rnn), (summary["rnn_ratio"], med_rnn[1] / med_rnn[0])]
    for row, b in zip(summary["lstm"], biases):
        med = np.median(norms[b], axis=0)
        mean_f = float(np.mean(fs[b]))
        pairs += [(curves["lstm"][b][dist], med), (row["ratio"], med[1] / med[0]), (row["mean_f"], mean_f),
                  (row["mean_f_power"], np.exp(d * np.log(mean_f)))]
    setup_ok &= bool(np.array_equal(curves["distance"][dist], dist))  # the figure's x-axis (integers: exact)
    # np.max over one array, unlike max(), keeps a NaN (which must fail)
    error = float(np.max(np.concatenate([np.ravel(np.abs(np.asarray(a) - r) / np.abs(r)) for a, r in pairs])))
    err_sym = sp.Symbol(r"\max \lvert v - v_{\mathrm{CS}} \rvert / \lvert v_{\mathrm{CS}} \rvert")
    detail = "" if setup_ok and z <= REACH_INIT_Z else (
        f"set-up not as stated: biases and distances as stated {setup_ok}; "
        f"largest |variance x fan-in - 1| = {z:.1f} standard errors")
    # every number the text prints from the experiment clear of its rounding boundary
    shown = [summary["rnn_ratio"], derivation.context["reach_check"]["smallest"]]
    shown += [row[k] for row in summary["lstm"] for k in ("mean_f", "ratio", "mean_f_power")]
    clearance = min(_rounding_clearance(v) for v in shown)
    if not clearance >= PRINTED_MARGIN:
        detail += (f"; a printed number lies within a relative {clearance:.1e} of its rounding boundary at "
                   f"{PRINTED_DIGITS} digits (needed {PRINTED_MARGIN:g})")
    return numeric_claim(
        "p4.reach_complex_step", sp.Le(err_sym, sp.Symbol(f"10^{{{round(np.log10(REACH_TOL))}}}"), evaluate=False),
        error if not detail else np.inf, REACH_TOL,
        method=f"complex step ({CS_STEP:g}), every seed, d = {', '.join(map(str, dist))}; printed numbers "
               f"{PRINTED_MARGIN:g} clear of rounding",
        reproduce=f"reach_data(seed, REACH) for seed in 0..{config['seeds'] - 1}",
        detail=detail,
    )


def verify(derivation: Derivation):
    """The claims of Problem 4, each checked by a route that does not reuse its formula."""
    eq = derivation.equations
    truth = _Truth()
    claims = [_check_parameter_count(eq, derivation.context["params"])]

    # the printed statement with sigma written out as 1/(1+exp(-x)), differentiated by SymPy
    def explicit(side):
        return side.replace(_Sigmoid, lambda a: 1 / (1 + sp.exp(-a))).doit()

    # and the derivative rule the symbolic sigma carries (its fdiff) is the printed one
    st = eq["p4.sigmoid"]
    x = next(iter(st.lhs.free_symbols))
    claims.append(symbolic_claim(
        "p4.sigmoid", st,
        sp.Matrix([explicit(st.lhs) - explicit(st.rhs), sp.diff(_Sigmoid(x), x) - st.rhs.doit()]),
        method="SymPy's derivative of 1/(1+exp(-x)); the symbolic sigma's own derivative rule",
    ))

    claims += _check_bptt_statements(eq, truth)

    worst, cases = finite_difference_error()
    err_sym = sp.Symbol(r"\max|\nabla_{\mathrm{BPTT}} J - \nabla_{\mathrm{FD}} J| / \max|\nabla_{\mathrm{FD}} J|")
    claims.append(numeric_claim(
        "p4.bptt_fd", sp.Le(err_sym, sp.Symbol("10^{-6}"), evaluate=False), worst, 1e-6,
        method="central differences of J, all parameters and inputs, 6 random sizes",
        reproduce=f"finite_difference_error(seed={FD_SEED}): (D, H, K, tau) = {cases}",
    ))

    claims += _check_cell_jacobians(eq, truth)
    claims.append(_check_gradient_reach(derivation))
    return claims
