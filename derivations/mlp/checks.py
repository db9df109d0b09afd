"""Problem 1's checks, each by a route that does not reuse the formula it checks.

* exact: on a small network whose every entry is a SymPy symbol, a computer-algebra system
  differentiates the scalar J entry by entry and the formulas (i)-(iii) equal those derivatives
  exactly: SymEngine for a generic f (f'(v) kept as one symbol per point v), SymPy for ReLU
  (whose derivative of Max(z, 0) is Heaviside(z)), both expanded by SymEngine; (iv) against
  SymPy's derivative for a symbolic number of classes K;
* numeric: the implementation :func:`derivations.mlp.method.gradients` against central finite
  differences of :func:`derivations.mlp.method.loss` on random networks with L = 1, ..., 5
  layers; one epoch of SGD against a full-batch step; the training run's reported numbers
  against an independent (lambdified SymPy) replay.
"""

from __future__ import annotations

import numpy as np
import symengine as se
import sympy as sp

from derivations.display import evaluate
from derivations.exact import residual
from derivations.ledger import Derivation, numeric_claim, relative_error, symbolic_claim
from derivations.mlp.derivation import (
    FD_DEPTHS,
    FD_TOLERANCE,
    REPLAY_TOLERANCE,
    SGD_CHECK,
    SYMBOLIC_M,
    SYMBOLIC_SIZES,
    _layer_symbols,
    output_delta,
)
from derivations.mlp.experiment import INIT, LAYER_SIZES, SPIRAL, TRAINING, _fd_error
from derivations.mlp.method import _forward, loss, random_network, sgd
from derivations.numerics import FD_STEP, central_differences

__all__ = ["verify"]

FD_SEED = 0  # seed of the random networks of the finite-difference check
KINK_MARGIN = 1e3 * FD_STEP  # random test networks keep every hidden |z| above this (clear of ReLU's kink)


# --------------------------------------------------------------------------- exact check


class _SymbolicNet:
    """A small MLP whose weights, biases and inputs are SymPy symbols, one-hot targets fixed.

    ``f`` is the hidden activation (a SymPy function of one argument).  Layers are numbered
    1..L as in the assignment; ``J_from_z(l, Z)`` and ``J_from_h(l, H)`` give the loss as a
    function of free per-example values of z^(l) or h^(l), so that SymPy can differentiate
    J directly with respect to them.
    """

    def __init__(self, f, sizes=SYMBOLIC_SIZES, m=SYMBOLIC_M):
        self.f, self.sizes, self.m, self.L = f, sizes, m, len(sizes) - 1
        self.W = {
            l: sp.Matrix(sizes[l], sizes[l - 1], lambda r, c, l=l: sp.Symbol(f"w{l}_{r}{c}"))
            for l in range(1, self.L + 1)
        }
        self.b = {l: sp.Matrix(sizes[l], 1, lambda r, c, l=l: sp.Symbol(f"b{l}_{r}")) for l in range(1, self.L + 1)}
        self.X = [sp.Matrix(sizes[0], 1, lambda r, c, i=i: sp.Symbol(f"x{i}_{r}")) for i in range(m)]
        K = sizes[-1]
        self.T = [sp.Matrix(K, 1, lambda r, c, i=i: 1 if r == i % K else 0) for i in range(m)]
        self.lam = sp.Symbol("lambda", positive=True)

    def regulariser(self):
        return self.lam * sum(sum(w**2 for w in W) for W in self.W.values())

    def J_from_z(self, l, Z):
        if l == self.L:  # -sum_i t_i^T ln softmax(z_i^(L)): the loss of Eq. 2, as written
            ce = 0
            for z, t in zip(Z, self.T):
                e = z.applyfunc(sp.exp)
                ce -= sum(t[k] * sp.log(e[k] / sum(e)) for k in range(len(t)))
            return ce + self.regulariser()
        return self.J_from_h(l, [z.applyfunc(self.f) for z in Z])

    def J_from_h(self, l, H):
        return self.J_from_z(l + 1, [self.W[l + 1] * h + self.b[l + 1] for h in H])

    def J(self):
        return self.J_from_h(0, self.X)

    def forward(self):
        """h^(l) and z^(l) of every example as expressions in the symbols."""
        h, z = {0: self.X}, {}
        for l in range(1, self.L + 1):
            z[l] = [self.W[l] * hi + self.b[l] for hi in h[l - 1]]
            h[l] = [zi.applyfunc(self.f) for zi in z[l]]
        return h, z

    def free(self, name, l):
        return [sp.Matrix(self.sizes[l], 1, lambda r, c, i=i: sp.Symbol(f"{name}{l}_{i}_{r}")) for i in range(self.m)]


def _grad(J, vectors):
    """dJ/dv for each per-example column vector v, differentiated entry by entry."""
    return [v.applyfunc(lambda s: sp.diff(J, s)) for v in vectors]


def _fprime(f, values):
    s = sp.Dummy("s")
    d = sp.diff(f(s), s)
    return values.applyfunc(lambda v: d.subs(s, v))


def _check_delta_z(net, l, statement, indicator=None):
    """delta_z^(l) by direct differentiation of J minus the statement's right-hand side.

    The right-hand side delta_h^(l) (.) f'(z^(l)) (or (.) 1[z^(l) > 0]) is evaluated with
    delta_h^(l) = dJ/dh^(l), also by direct differentiation, at h^(l) = f(z^(l)).
    """
    s = _layer_symbols()
    Z = net.free("zeta", l)
    H = net.free("eta", l)
    dz = _grad(net.J_from_z(l, Z), Z)
    dh = _grad(net.J_from_h(l, H), H)
    at_h = {h: v for i in range(net.m) for h, v in zip(H[i], Z[i].applyfunc(net.f))}
    residual = []
    for i in range(net.m):
        dh_i = dh[i].xreplace(at_h)  # evaluated at h^(l) = f(z^(l))
        slope = Z[i].applyfunc(indicator) if indicator else _fprime(net.f, Z[i])
        values = {s["dz"]: dz[i], s["dh"]: dh_i, s["fprime"]: slope, s["relu_mask"]: slope}
        lhs, rhs = (evaluate(side, values, functions={}) for side in (statement.lhs, statement.rhs))
        residual.append(lhs - rhs)
    return sp.Matrix.vstack(*residual)


def _backprop_symbolic(net, eq, indicator=None, slope=None):
    """Algorithm 1 on the symbolic network, every step a printed statement (i)-(iv) evaluated."""
    s = _layer_symbols()
    h, z = net.forward()
    dW, db = {}, {}
    delta = []
    for zi, t in zip(z[net.L], net.T):
        e = zi.applyfunc(sp.exp)
        delta.append(evaluate(eq["p1.delta_output"].rhs, {s["y"]: e / sum(e), s["t"]: t}, functions={}))  # (iv)
    rule_i = eq["p1.delta_z_relu"] if indicator else eq["p1.delta_z"]
    for l in range(net.L, 0, -1):
        examples = [{s["dz"]: d, s["h_prev"]: hi} for d, hi in zip(delta, h[l - 1])]
        shared = {s["W"]: net.W[l], s["lam"]: net.lam}
        dW[l] = evaluate(eq["p1.grad_W"].rhs, {**shared, "examples": examples}, functions={})  # (iii)
        db[l] = evaluate(eq["p1.grad_b"].rhs, {**shared, "examples": examples}, functions={})  # (iii)
        if l > 1:
            delta_h = [evaluate(eq["p1.delta_h"].rhs, {**shared, s["dz"]: d}, functions={}) for d in delta]  # (ii)
            slopes = [
                slope(zi) if slope else zi.applyfunc(indicator) if indicator else _fprime(net.f, zi) for zi in z[l - 1]
            ]
            delta = [
                evaluate(rule_i.rhs, {s["dh"]: dh, s["fprime"]: g, s["relu_mask"]: g}, functions={})  # (i)
                for dh, g in zip(delta_h, slopes)
            ]
    return dW, db


def _check_parameter_gradients(net, eq, indicator=None):
    """Delta W^(l), Delta b^(l) of Algorithm 1 minus dJ/dW, dJ/db differentiated entry by entry."""
    J = net.J()
    dW, db = _backprop_symbolic(net, eq, indicator)
    res_W = [dW[l] - net.W[l].applyfunc(lambda w: sp.diff(J, w)) for l in dW]
    res_b = [db[l] - net.b[l].applyfunc(lambda b: sp.diff(J, b)) for l in db]
    return res_W, res_b


def _check_output_delta(statement):
    """SymPy's dJ/dz_j for symbolic K (:func:`output_delta`) minus entry j of the statement."""
    s = _layer_symbols()
    component, _ = output_delta()
    y, t = sp.IndexedBase("y"), sp.IndexedBase("t")
    j = sp.Symbol("j", integer=True, positive=True)
    entry = {s["y"]: sp.Matrix([y[j]]), s["t"]: sp.Matrix([t[j]])}  # the statement is entry-wise
    return sp.Matrix([component]) - evaluate(statement.rhs, entry, functions={})


def _relu(s):
    return sp.Max(s, 0)


def _relu_indicator(s):
    """1[s > 0]: SymPy's derivative of Max(s, 0) is Heaviside(s)."""
    return sp.Heaviside(s)


def _flat(mats):
    return sp.Matrix.vstack(*[M.reshape(len(M), 1) for M in mats])


# --------------------------------------------------------------------------- exact check, generic f, by SymEngine
#
# With a generic f, SymEngine writes f'(v) as Derivative(f(v), v) when v is a symbol and as
# Subs(Derivative(f(_xi_1), _xi_1), (_xi_1), (v)) when the chain rule meets f(v) with v an
# expression (and as Derivative(f(v), v) after substituting an expression for a symbol).  The
# checks below name every such f'(v) by one fresh symbol per point v, on the derivative side
# (:meth:`_Slopes.rename`) and on the statement side (:meth:`_Slopes.at`) alike: f stays an
# unknown function, and an expanded 0 is a proof for every f.  A point written two ways would
# get two symbols and could only fail a right formula, never pass a wrong one.


class _Slopes:
    """One symbol ``_fprime<n>`` per point v at which f' is taken (v a SymEngine expression)."""

    def __init__(self, f):
        self.f, self.names = se.Function(str(f)), {}

    def at(self, v):
        v = se.sympify(v)
        if v not in self.names:
            self.names[v] = f"_fprime{len(self.names)}"
        return sp.Symbol(self.names[v])

    def matrix(self, values):
        return values.applyfunc(self.at)

    def _point(self, atom):
        if isinstance(atom, se.Subs) and len(atom.args) == 3:  # (Derivative(f(xi), xi), xi, v)
            xi = atom.args[1]
            return atom.args[2] if atom.args[0] == se.diff(self.f(xi), xi) else None
        if isinstance(atom, se.Derivative) and len(atom.args) == 2 and atom.args[0] == self.f(atom.args[1]):
            return atom.args[1]
        return None

    def rename(self, expr):
        """``expr`` with every f'(v) SymEngine wrote replaced by the symbol of v."""
        atoms = expr.atoms(se.Subs, se.Derivative)
        names = {a: se.sympify(self.at(p)) for a in atoms if (p := self._point(a)) is not None}
        return expr.subs(names) if names else expr


def _expanded(expr):
    """``expr`` as a Laurent polynomial, expanded by SymEngine: 0 only when ``expr`` is 0.

    Every sum raised to a negative power (the softmax normalisers sum_k exp(z_k)) becomes one
    symbol ``_sigma<n>`` first, wherever it stands, so that 1/S^2 and S stay powers of one atom
    instead of expand multiplying S^2 out; then every exponent of exp is expanded too, until
    nothing changes (substituting z = W h + b leaves exponents such as 2*(w h + b)).  A Laurent
    polynomial in independent atoms that expands to 0 is 0 for every value of the atoms, so a 0
    is still a proof; a true identity could at worst stay nonzero (a failed right formula).
    """
    bases = {a.args[0] for a in expr.atoms(se.Pow) if isinstance(a.args[0], se.Add) and a.args[1].is_negative}
    if bases:
        expr = expr.subs({b: se.Symbol(f"_sigma{n}") for n, b in enumerate(sorted(bases, key=str))})
    expr = se.expand(expr)
    for _ in range(5):
        powers = {a for a in expr.atoms(se.Pow) if a.args[0] == se.E}
        names = {a: se.exp(se.expand(a.args[1])) for a in powers}
        names = {a: v for a, v in names.items() if v != a}
        if not names:
            return expr
        expr = se.expand(expr.subs(names))
    return expr


def _engine_residual(derived, direct=None):
    """:func:`derivations.exact.residual` with :func:`_expanded`: derived - direct entry by
    entry (direct 0 when omitted), a SymPy matrix that is exactly 0 when the sides are equal."""
    derived = list(derived)
    direct = [0] * len(derived) if direct is None else list(direct)
    entries = [_expanded(se.sympify(a) - se.sympify(b)) for a, b in zip(derived, direct, strict=True)]
    return residual(se.DenseMatrix(len(entries), 1, entries), [0] * len(entries))


def _first_nonzero(*residuals):
    """The first nonzero entry of the residual matrices, else a zero (a failed check reports,
    and lets the ledger simplify, only that entry)."""
    entries = (e for r in residuals for e in (r if isinstance(r, sp.MatrixBase) else [r]))
    return next((e for e in entries if e != 0), sp.zeros(1, 1))


def _engine_numerators(residual):
    """The first nonzero entry of a SymPy residual holding Max(., 0) and Heaviside(.) (the ReLU
    network: SymPy differentiated J, and knows d Max(z, 0)/dz = Heaviside(z)), expanded by
    SymEngine instead: each distinct Max(...) or Heaviside(...) becomes one fresh symbol (the
    same application, the same symbol, on both sides), then :func:`_expanded`.  Renaming
    applications consistently keeps a nonzero difference nonzero, so a 0 is still a proof."""
    atoms = sorted(residual.atoms(sp.Max, sp.Heaviside), key=sp.default_sort_key)
    names = {a: sp.Symbol(f"_relu{n}") for n, a in enumerate(atoms)}
    return _first_nonzero(_engine_residual(residual.xreplace(names)))


def _engine_grad(J, vectors, slopes):
    """SymEngine's dJ/dv for each per-example column vector v (SymPy symbols), f' renamed."""
    J = se.sympify(J)
    return [[slopes.rename(se.diff(J, se.sympify(v))) for v in vector] for vector in vectors]


def _placeholders(name, rows, cols):
    return sp.Matrix(rows, cols, lambda r, c: sp.Symbol(f"_{name}_{r}_{c}"))


def _engine_statement(statement, values, truth):
    """lhs - rhs of ``statement`` evaluated on placeholder matrices, the placeholders then
    replaced (in SymEngine) by ``truth``: placeholder SymPy symbol -> SymEngine expression."""
    lhs, rhs = (evaluate(side, values, functions={}) for side in (statement.lhs, statement.rhs))
    diff = lhs - rhs
    at = {se.sympify(k): v for k, v in truth.items()}
    return [se.sympify(e).subs(at) for e in diff]


def _engine_check_delta_z(net, l, statement):
    """:func:`_check_delta_z` for a generic f, differentiated and expanded by SymEngine."""
    s = _layer_symbols()
    slopes = _Slopes(net.f)
    Z, H = net.free("zeta", l), net.free("eta", l)
    dz = _engine_grad(net.J_from_z(l, Z), Z, slopes)
    dh = _engine_grad(net.J_from_h(l, H), H, slopes)
    at_h = {se.sympify(h): se.sympify(v) for i in range(net.m) for h, v in zip(H[i], Z[i].applyfunc(net.f))}
    n = net.sizes[l]
    derived = []
    for i in range(net.m):
        P = {k: _placeholders(k, n, 1) for k in ("dz", "dh")}
        slope = slopes.matrix(Z[i])
        values = {s["dz"]: P["dz"], s["dh"]: P["dh"], s["fprime"]: slope, s["relu_mask"]: slope}
        truth = {**dict(zip(P["dz"], dz[i])), **{p: e.subs(at_h) for p, e in zip(P["dh"], dh[i])}}
        derived += _engine_statement(statement, values, truth)
    return _engine_residual(derived)


def _engine_check_delta_h(net, l, statement):
    """delta_h^(l-1) by SymEngine's differentiation of J minus the statement's W^(l)T delta_z^(l),
    for a generic f (f' one symbol per point)."""
    s = _layer_symbols()
    slopes = _Slopes(net.f)
    H, Z = net.free("eta", l - 1), net.free("zeta", l)
    dh = _engine_grad(net.J_from_h(l - 1, H), H, slopes)
    Jz = se.sympify(net.J_from_z(l, Z))
    at_h = {se.sympify(z): se.sympify(v) for i in range(net.m) for z, v in zip(Z[i], net.W[l] * H[i] + net.b[l])}
    dz = [[slopes.rename(se.diff(Jz, se.sympify(z)).subs(at_h)) for z in Zi] for Zi in Z]  # at z^(l) = W h + b
    derived = []
    for i in range(net.m):
        P = {"dh": _placeholders("dh", net.sizes[l - 1], 1), "dz": _placeholders("dz", net.sizes[l], 1)}
        values = {s["dh_prev"]: P["dh"], s["W"]: net.W[l], s["dz"]: P["dz"]}
        derived += _engine_statement(statement, values, {**dict(zip(P["dh"], dh[i])), **dict(zip(P["dz"], dz[i]))})
    return _engine_residual(derived)


def _engine_check_parameter_gradients(net, eq):
    """:func:`_check_parameter_gradients` for a generic f: Algorithm 1 (the printed statements)
    in SymPy with f' as symbols, dJ/dW and dJ/db by SymEngine; the expanded residuals."""
    slopes = _Slopes(net.f)
    J = se.sympify(net.J())
    dW, db = _backprop_symbolic(net, eq, slope=slopes.matrix)
    res = {}
    for name, derived, params in (("W", dW, net.W), ("b", db, net.b)):
        direct = {l: [slopes.rename(se.diff(J, se.sympify(p))) for p in params[l]] for l in derived}
        res[name] = [_engine_residual(derived[l], direct[l]) for l in derived]
    return res["W"], res["b"]


# --------------------------------------------------------------------------- numeric check


def _fd_networks(seed=FD_SEED, depths=FD_DEPTHS):
    """Random networks for the finite-difference check, clear of ReLU's kink.

    A pre-activation within 1e3 steps of 0 could flip sign under a perturbation, where J is
    not differentiable; such draws are redrawn (and counted).
    """
    rng = np.random.default_rng(seed)
    nets, redrawn = [], 0
    for L in depths:
        while True:
            sizes = [int(s) for s in rng.integers(2, 7, size=L + 1)]
            m = int(rng.integers(5, 9))
            Ws, bs, X, T = random_network(rng, sizes, m)
            lam = float(rng.uniform(0.05, 0.5))
            _, (*hidden, _), _ = _forward(Ws, bs, X)  # the output layer has no ReLU
            if all(np.abs(z).min() > KINK_MARGIN for z in hidden):
                nets.append((sizes, m, lam, Ws, bs, X, T))
                break
            redrawn += 1
    return nets, redrawn


def _check_sgd_epoch(statement, cfg=SGD_CHECK):
    """d Theta_epoch / d eta at eta = 0 (one epoch of :func:`sgd`, lambda = 0) against the printed
    right-hand side (-dJ_X/dTheta), evaluated with dJ_X/dTheta bound to its measured value.

    Both by central differences: in eta of the parameters after one epoch (eta = +-step), and in
    Theta of :func:`loss` summed over the whole training set.  Every example lies in exactly one
    minibatch, so to first order in eta the epoch's steps add up to one full-batch step.
    """
    nets, _ = _fd_networks(seed=cfg["seed"], depths=(cfg["depth"],))
    sizes, m, _, Ws, bs, X, T = nets[0]
    step, batch = cfg["eta_step"], cfg["batch_size"]
    after = {}
    for sign in (1, -1):
        W1, b1, _ = sgd(Ws, bs, X, T, 0.0, learning_rate=sign * step, batch_size=batch, epochs=1, seed=cfg["seed"])
        after[sign] = np.concatenate([a.ravel() for a in W1 + b1])
    moved = (after[1] - after[-1]) / (2 * step)
    full = central_differences(lambda: loss(Ws, bs, X, T, 0.0), Ws + bs)
    gradient, = statement.rhs.free_symbols  # the printed dJ_X/dTheta
    printed = sp.lambdify(gradient, statement.rhs, "numpy")(np.concatenate([g.ravel() for g in full]))
    error = relative_error(moved, printed)
    return error, f"widths {tuple(sizes)}, m = {m}, minibatches of {batch}, eta = +-{step:g}, seed {cfg['seed']}"


def _replay_network(sizes):
    """The ReLU MLP written out in SymPy and compiled by lambdify: (x, Ws, bs) -> class probabilities.

    An independent forward pass for the training run's reported numbers (it shares no code with
    :func:`_forward`).
    """
    x = sp.symbols(f"x0:{sizes[0]}")
    Ws = [sp.Matrix(o, i, lambda r, c, l=l: sp.Symbol(f"w{l}_{r}_{c}")) for l, (i, o) in enumerate(zip(sizes, sizes[1:]))]
    bs = [sp.Matrix(o, 1, lambda r, c, l=l: sp.Symbol(f"b{l}_{r}")) for l, o in enumerate(sizes[1:])]
    h = sp.Matrix(x)
    for l, (W, b) in enumerate(zip(Ws, bs)):
        z = W * h + b
        h = z.applyfunc(lambda v: sp.Max(v, 0)) if l < len(Ws) - 1 else z
    e = h.applyfunc(sp.exp)
    y = list(e / sum(e))
    params = [s for M in Ws + bs for s in M]
    f = sp.lambdify([x, params], y, "numpy")

    def probabilities(points, W_values, b_values):
        flat = [float(v) for A in list(W_values) + list(b_values) for v in np.ravel(A)]
        return np.column_stack(f(tuple(points.T), flat))

    return probabilities


def _check_training_replay(ctx):
    """Largest relative difference between the reported training numbers and an independent replay.

    The replay evaluates the stored initial and final parameters with :func:`_replay_network`:
    the mean cross-entropy before and after training (the text and the right panel), the
    training accuracy in percent, and the class of every grid point (the left panel; a
    mismatch counts as a relative difference of 1).
    """
    run = ctx["training"]
    forward = _replay_network(LAYER_SIZES)
    X, labels = run["X"], run["labels"]
    rows = np.arange(len(X))
    y0 = forward(X, *run["initial"])
    y1 = forward(X, *run["final"])
    gx, gy = np.meshgrid(run["grid"], run["grid"])
    y_grid = forward(np.column_stack([gx.ravel(), gy.ravel()]), *run["final"])
    replay = {
        "train_first": -np.log(y0[rows, labels]).mean(),
        "train_last": -np.log(y1[rows, labels]).mean(),
        "train_accuracy": 100.0 * np.mean(y1.argmax(axis=1) == labels),
    }
    errors = [abs(ctx[key] - value) / abs(value) for key, value in replay.items()]
    errors.append(float(np.mean(y_grid.argmax(axis=1).reshape(gx.shape) != run["regions"])))
    errors += [abs(run["history"][i] - replay[key]) / replay[key] for i, key in ((0, "train_first"), (-1, "train_last"))]
    # The text says no linear classifier separates the data: the linear program "some W, b give every
    # point a margin of at least 1 over every other class" must be infeasible (HiGHS's own decision;
    # separable data are feasible at some scale, so infeasibility is the exact statement).
    if _linearly_separable(X, labels):
        return float("inf")
    return max(errors)


def _linearly_separable(X, labels) -> bool:
    """Whether W, b exist with (w_y - w_j).x + b_y - b_j >= 1 for every point and every other class j."""
    from scipy.optimize import linprog

    n, d = X.shape
    K = int(labels.max()) + 1
    rows = []
    for x, y in zip(X, labels):
        for j in range(K):
            if j == y:
                continue
            row = np.zeros(K * (d + 1))  # variables: w_0, b_0, w_1, b_1, ...
            row[y * (d + 1):(y + 1) * (d + 1)] = -np.append(x, 1.0)
            row[j * (d + 1):(j + 1) * (d + 1)] = np.append(x, 1.0)
            rows.append(row)
    result = linprog(np.zeros(K * (d + 1)), A_ub=np.array(rows), b_ub=-np.ones(len(rows)),
                     bounds=[(None, None)] * (K * (d + 1)), method="highs")
    if result.status not in (0, 2):  # 0: feasible (separable), 2: infeasible (not separable)
        raise RuntimeError(f"the separability LP ended with status {result.status}: {result.message}")
    return result.status == 0


def verify(derivation: Derivation):
    eq = derivation.equations
    claims = []

    claims.append(
        symbolic_claim(
            "p1.delta_output",
            eq["p1.delta_output"],
            _check_output_delta(eq["p1.delta_output"]),
            where="derivations.mlp.checks:_check_output_delta",
            method="SymPy differentiation of softmax cross-entropy, symbolic K",
        )
    )

    f = sp.Function("f")
    smooth, relu = _SymbolicNet(f), _SymbolicNet(_relu)
    small = f"sizes {SYMBOLIC_SIZES}, m = {SYMBOLIC_M}, all entries symbols, targets one-hot"
    claims.append(
        symbolic_claim(
            "p1.delta_z",
            eq["p1.delta_z"],
            _first_nonzero(_engine_check_delta_z(smooth, 1, eq["p1.delta_z"])),
            where="derivations.mlp.checks:_engine_check_delta_z",
            method="exact: SymEngine dJ/dz and dJ/dh entry by entry, generic f",
            reproduce=small,
        )
    )
    claims.append(
        symbolic_claim(
            "p1.delta_z_relu",
            eq["p1.delta_z_relu"],
            _engine_numerators(_check_delta_z(relu, 1, eq["p1.delta_z_relu"], _relu_indicator)),
            where="derivations.mlp.checks:_check_delta_z",
            method="exact: SymPy dJ/dz and dJ/dh entry by entry, f = max(z, 0)",
            reproduce=small,
        )
    )
    claims.append(
        symbolic_claim(
            "p1.delta_h",
            eq["p1.delta_h"],
            _first_nonzero(*[_engine_check_delta_h(smooth, l, eq["p1.delta_h"]) for l in (2, 1)]),
            where="derivations.mlp.checks:_engine_check_delta_h",
            method="exact: SymEngine dJ/dh(l-1), dJ/dz(l), l = 1, 2",
            reproduce=small,
        )
    )
    res_W, res_b = _engine_check_parameter_gradients(smooth, eq)
    relu_W, relu_b = _check_parameter_gradients(relu, eq, _relu_indicator)
    claims.append(
        symbolic_claim(
            "p1.grad_W",
            eq["p1.grad_W"],
            _first_nonzero(*res_W, _engine_numerators(_flat(relu_W))),
            where="derivations.mlp.checks:_check_parameter_gradients",
            method="exact: Algorithm 1 vs dJ/dW entrywise, generic f and ReLU",
            reproduce=small,
        )
    )
    claims.append(
        symbolic_claim(
            "p1.grad_b",
            eq["p1.grad_b"],
            _first_nonzero(*res_b, _engine_numerators(_flat(relu_b))),
            where="derivations.mlp.checks:_check_parameter_gradients",
            method="exact: Algorithm 1 vs dJ/db entrywise, generic f and ReLU",
            reproduce=small,
        )
    )

    nets, redrawn = _fd_networks(FD_SEED)
    errors = [_fd_error(Ws, bs, X, T, lam) for (_, _, lam, Ws, bs, X, T) in nets]
    shapes = "; ".join(f"L={len(s) - 1} widths {tuple(s)} m={m}" for s, m, *_ in nets)
    claims.append(
        numeric_claim(
            "p1.backprop_fd",
            eq["p1.backprop_fd"],
            max(errors),
            FD_TOLERANCE,
            where="derivations.mlp.experiment:_fd_error",
            method=f"central differences of J, step {FD_STEP:g}, L = 1..{max(FD_DEPTHS)}, m = 5..8",
            reproduce=f"derivations.mlp.checks._fd_networks(seed={FD_SEED}): {shapes}; {redrawn} draws near a kink redrawn",
        )
    )
    epoch_error, epoch_setup = _check_sgd_epoch(eq["p1.sgd_epoch"])
    claims.append(
        numeric_claim(
            "p1.sgd_epoch",
            eq["p1.sgd_epoch"],
            epoch_error,
            FD_TOLERANCE,
            where="derivations.mlp.checks:_check_sgd_epoch",
            method="one epoch's dTheta/deta vs -dJ/dTheta, central differences",
            reproduce=f"derivations.mlp.checks._check_sgd_epoch(SGD_CHECK): {epoch_setup}",
        )
    )
    claims.append(
        numeric_claim(
            "p1.training_replay",
            eq["p1.training_replay"],
            _check_training_replay(derivation.context),
            REPLAY_TOLERANCE,
            where="derivations.mlp.checks:_check_training_replay",
            method="independent SymPy forward pass; LP: no linear separator",
            reproduce=f"SPIRAL = {SPIRAL}, TRAINING = {TRAINING}, INIT = {INIT}",
        )
    )
    return claims

