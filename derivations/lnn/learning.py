"""Problem 14's learning room: rule weights trained under the paper's alpha constraints.

A *rule* is one grounded first-order implication ``A(x, y) & B(y, z) -> H(x, z)`` (or its
propositional special case) with two learned neurons, each with two inputs: the AND of the
body, ``AND(a, b; w1, w2, beta1)``, and the implication ``OR(NOT body, h; wx, wy, beta2)``.  The
rule is an axiom (truth bounds [1, 1]); each *query* atom ``H(x, z)`` has bounds from a neural
model and a list of groundings of the body (the values of the variable ``y`` that is not in the
head), each with the lower bounds of its two body atoms.

Inference on one query is closed-form: the body's lower bound by the upward pass; modus ponens
with L(rule) = 1, ``h >= (beta2 - wx (1 - L_body)) / wy``, one proof per grounding; the head's
lower bound the largest of its proofs and the model's bound (the existential aggregation of
proofs); and a contradiction at an implication neuron when the upward pass gives it an upper
bound below 1, i.e. when a proof exceeds the model's upper bound on the head.

Training minimises the task loss plus lambda times the contradiction loss by projected gradient
descent: after every step each neuron's (w, beta) is projected back onto the alpha constraints

    beta - alpha w_i <= 1 - alpha  (each i)      and      beta - (1 - alpha) sum_i w_i >= alpha,

with beta kept in [BETA_MIN, BETA_MAX].  The final parameters keep a margin of 2^-16 inside the
constraints and are rounded to multiples of 2^-20, so they satisfy them exactly as inequalities.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np
import sympy as sp

__all__ = [
    "ALPHA",
    "RuleData",
    "project_neuron",
    "feasible",
    "forward",
    "objective",
    "gradient",
    "train",
    "readings",
    "errors",
    "INITIAL",
]

ALPHA = 0.75  # the classical threshold of the report's theories and experiments
BETA_MIN, BETA_MAX = 1.75 + 1 / 64, 4.0  # two-input neurons at alpha = 3/4 need beta >= 7/4
MARGIN = 2.0 ** -16  # distance kept inside each constraint by the final projection
GRID = 2.0 ** -20  # the final parameters are multiples of this
INITIAL = (2.0, 2.0, 1.75)  # the one two-input neuron on the constraints' corner at alpha = 3/4
TEMPERATURE = 1 / 16  # of the task loss: the reading "true" softened over about +-1/16 around alpha
LAMBDA = 1.0  # weight of the contradiction loss against the task loss
STEPS, RATE = 300, 0.5  # projected gradient descent: full batch


@dataclass(frozen=True)
class RuleData:
    """Queries of one task: N examples x C candidate heads, K groundings of the body each.

    ``det_L, det_U`` (N, C): the neural model's bounds on each head; ``body_a, body_b``
    (N, C, K): lower bounds of the two body atoms of each grounding; ``valid`` (N, C, K) which
    groundings exist; ``negate_b`` (C,): the second body atom enters negated (its lower bound is
    then 1 - U of the atom, already applied in ``body_b``); ``rule`` (C,): which rule (row of the
    parameters) proves candidate c; ``label`` (N,): the true candidate, or C for none.
    """

    det_L: np.ndarray
    det_U: np.ndarray
    body_a: np.ndarray
    body_b: np.ndarray
    valid: np.ndarray
    rule: np.ndarray
    label: np.ndarray

    def subset(self, rows):
        return RuleData(self.det_L[rows], self.det_U[rows], self.body_a[rows], self.body_b[rows],
                        self.valid[rows], self.rule, self.label[rows])

    @property
    def targets(self):
        """t[n, c] = 1 if candidate c is example n's true answer."""
        return (self.label[:, None] == np.arange(self.det_L.shape[1])[None, :]).astype(float)


# --------------------------------------------------------------------------- constraints


@functools.lru_cache(maxsize=None)
def _faces(n, alpha, margin):
    """The constraints of an n-input neuron on x = (w_1..w_n, beta) as A x <= b, tightened by
    margin, and for every set of at most n + 1 independent constraints the affine map onto
    their intersection, x -> P x + q, computed in exact rationals (alpha, margin and the bounds
    on beta are dyadic) and rounded once, so that no linear-algebra kernel enters the maps."""
    al, mg = sp.Rational(alpha), sp.Rational(margin)
    rows, rhs = [], []
    for i in range(n):  # beta - alpha w_i <= 1 - alpha
        rows.append([-al if j == i else 0 for j in range(n)] + [1]), rhs.append(1 - al - mg)
    rows.append([1 - al] * n + [-1]), rhs.append(-al - mg)  # beta - (1 - alpha) sum w >= alpha
    rows.append([0] * n + [1]), rhs.append(sp.Rational(BETA_MAX))
    rows.append([0] * n + [-1]), rhs.append(-sp.Rational(BETA_MIN))
    A, b = sp.Matrix(rows), sp.Matrix(rhs)
    maps = [(np.eye(n + 1), np.zeros(n + 1))]
    for k in range(1, n + 2):
        for S in itertools.combinations(range(len(b)), k):
            AS = A.extract(list(S), list(range(n + 1)))
            G = AS * AS.T
            if G.det() == 0:  # dependent normals (the two bounds on beta)
                continue
            K = AS.T * G.inv()
            P, q = sp.eye(n + 1) - K * AS, K * b.extract(list(S), [0])
            maps.append((np.array(P.tolist(), dtype=float), np.array(q.tolist(), dtype=float).ravel()))
    return np.array(A.tolist(), dtype=float), np.array(b.tolist(), dtype=float).ravel(), maps


def _times(M, x):
    """M x by elementwise products and sums (no BLAS kernel: the same bits on every machine)."""
    return (M * x[None, :]).sum(axis=1)


def project_neuron(w, beta, margin=0.0, alpha=ALPHA):
    """Euclidean projection of (w, beta) onto the neuron's constraints (each tightened by margin)
    and BETA_MIN <= beta <= BETA_MAX: the nearest of the points projected onto each face's affine
    hull that satisfies every constraint (the projection lies in the relative interior of one face)."""
    x = np.append(np.asarray(w, dtype=float), float(beta))
    A, b, maps = _faces(len(x) - 1, alpha, margin)
    best, best_d = None, np.inf
    for P, q in maps:
        y = _times(P, x) + q
        # feasible up to the rounding of the affine map (entries of size up to BETA_MAX)
        if np.all(_times(A, y) <= b + 1e-12) and (d := float(np.sum((y - x) ** 2))) < best_d:
            best, best_d = y, d
    return best[:-1], float(best[-1])


def feasible(theta, alpha=ALPHA):
    """The final projection: every neuron of every rule strictly inside, on the 2^-20 grid."""
    out = np.array(theta, dtype=float)
    for r in range(out.shape[0]):
        for s in (slice(0, 3), slice(3, 6)):
            w, beta = project_neuron(out[r, s][:2], out[r, s][2], MARGIN, alpha)
            out[r, s] = np.round(np.append(w, np.round(beta / GRID) * GRID) / GRID) * GRID
    return out


# --------------------------------------------------------------------------- inference and loss


def forward(theta, data: RuleData, alpha=ALPHA):
    """Closed-form inference on every query: a dict of the intermediate arrays."""
    th = np.asarray(theta)[data.rule]  # (C, 6): each candidate's rule parameters
    w1, w2, b1, wx, wy, b2 = (th[:, j][None, :, None] for j in range(6))
    pre_body = b1 - w1 * (1 - data.body_a) - w2 * (1 - data.body_b)
    body = np.clip(pre_body, 0.0, 1.0)
    proof = (b2 - wx * (1 - body)) / wy  # modus ponens with L(rule) = 1
    proof_c = np.where(data.valid, np.clip(proof, 0.0, 1.0), 0.0)
    rule_L = proof_c.max(axis=2)
    L = np.maximum(data.det_L, rule_L)
    # the implication's upper bound in the upward pass: OR(1 - L_body, U_head)
    pre_imp = 1 - b2 + wx * (1 - body) + wy * data.det_U[:, :, None]
    imp_U = np.clip(pre_imp, 0.0, 1.0)
    contra = np.where(data.valid, 1 - imp_U, 0.0)
    return {"pre_body": pre_body, "body": body, "proof": proof, "proof_c": proof_c, "rule_L": rule_L,
            "L": L, "pre_imp": pre_imp, "imp_U": imp_U, "contra": contra}


def task_loss(L, t, alpha=ALPHA, tau=TEMPERATURE):
    """Per query: the cross-entropy of reading the head true, with probability
    sigma((L - alpha) / tau): log(1 + exp(-(L - alpha)/tau)) if true, log(1 + exp((L - alpha)/tau)) if not."""
    z = (L - alpha) / tau
    return t * np.logaddexp(0.0, -z) + (1 - t) * np.logaddexp(0.0, z)


def objective(theta, data: RuleData, lam=LAMBDA, alpha=ALPHA):
    """J = mean task loss over the queries + lambda * contradiction loss per query."""
    f = forward(theta, data, alpha)
    n_q = f["L"].size
    return float(task_loss(f["L"], data.targets, alpha).sum() / n_q + lam * f["contra"].sum() / n_q)


def gradient(theta, data: RuleData, lam=LAMBDA, alpha=ALPHA):
    """dJ/dtheta by the chain rule (subgradients: the max goes to the largest proof, the first
    on a tie; a clip passes the gradient strictly inside its interval)."""
    theta = np.asarray(theta, dtype=float)
    f = forward(theta, data, alpha)
    n_q = f["L"].size
    t = data.targets
    p = 0.5 * (1 + np.tanh((f["L"] - alpha) / (2 * TEMPERATURE)))  # sigma((L - alpha) / tau)
    dL = (p - t) / TEMPERATURE / n_q
    from_rule = f["rule_L"] > data.det_L  # the head's bound comes from a proof
    best = np.argmax(f["proof_c"], axis=2)
    pick = np.zeros_like(f["proof"], dtype=bool)
    np.put_along_axis(pick, best[:, :, None], True, axis=2)
    inside = (f["proof"] > 0) & (f["proof"] < 1) & data.valid
    d_proof = np.where(pick & inside, (dL * from_rule)[:, :, None], 0.0)
    # the contradiction: d(1 - imp_U) = -d pre_imp strictly inside (0, 1)
    d_pre_imp = np.where(data.valid & (f["pre_imp"] > 0) & (f["pre_imp"] < 1), -lam / n_q, 0.0)
    th = theta[data.rule]
    w1, w2, b1, wx, wy, b2 = (th[:, j][None, :, None] for j in range(6))
    body = f["body"]
    # proof = (b2 - wx (1 - body)) / wy ; pre_imp = 1 - b2 + wx (1 - body) + wy U
    d_body = d_proof * wx / wy - d_pre_imp * wx
    d_pre_body = np.where((f["pre_body"] > 0) & (f["pre_body"] < 1), d_body, 0.0)
    parts = [
        -d_pre_body * (1 - data.body_a),
        -d_pre_body * (1 - data.body_b),
        d_pre_body,
        -d_proof * (1 - body) / wy + d_pre_imp * (1 - body),
        -d_proof * f["proof"] / wy + d_pre_imp * data.det_U[:, :, None],
        d_proof / wy - d_pre_imp,
    ]
    per_candidate = np.stack([p.sum(axis=(0, 2)) for p in parts], axis=1)  # (C, 6)
    grad = np.zeros_like(theta)
    np.add.at(grad, data.rule, per_candidate)
    return grad


def train(data: RuleData, n_rules, steps=STEPS, rate=RATE, lam=LAMBDA, alpha=ALPHA):
    """Projected gradient descent from INITIAL; returns (theta, objective per step)."""
    theta = np.tile(np.array(INITIAL * 2, dtype=float), (n_rules, 1))
    history = [objective(theta, data, lam, alpha)]
    for _ in range(steps):
        theta = theta - rate * gradient(theta, data, lam, alpha)
        for r in range(n_rules):
            for s in (slice(0, 3), slice(3, 6)):
                w, beta = project_neuron(theta[r, s][:2], theta[r, s][2], 0.0, alpha)
                theta[r, s] = np.append(w, beta)
        history.append(objective(theta, data, lam, alpha))
    theta = feasible(theta, alpha)
    history.append(objective(theta, data, lam, alpha))
    return theta, history


# --------------------------------------------------------------------------- readings


def readings(theta, data: RuleData, alpha=ALPHA):
    """Each query read at alpha: 'contradiction' if any proof exceeds the model's upper bound
    (the implication's upper bound falls below 1), else 'true' (L >= alpha), 'false'
    (U <= 1 - alpha) or 'unknown'.  Returns the (N, C) readings, the heads' lower bounds, and the
    smallest distance of any deciding quantity from its threshold."""
    f = forward(theta, data, alpha)
    crossed = (f["contra"] > 0).any(axis=2)
    out = np.where(crossed, "contradiction",
                   np.where(f["L"] >= alpha, "true", np.where(data.det_U <= 1 - alpha, "false", "unknown")))
    gaps = [np.abs(f["L"] - alpha).min(), np.abs(data.det_U - (1 - alpha)).min(),
            np.abs(np.where(data.valid, f["pre_imp"] - 1, np.inf)).min()]
    return out, f["L"], float(min(gaps))


def errors(read, data: RuleData):
    """The metric: query atoms misread, a true head not read true or a false head read true
    (a contradiction is not a reading of true)."""
    return int(((read == "true") != (data.targets == 1)).sum())
