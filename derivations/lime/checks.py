"""Problem 12's checks: each statement the report makes about LIME, by another route.

``verify`` evaluates each printed statement (lambdified, or walked on the experiment's arrays)
and checks it by another route: SciPy's distances over every mask, the NumPy kernel and SymPy for
the kernel of the ``lime`` package, scikit-learn's weighted linear regression on the very samples
of the text explanation, exact recovery of a linear model, brute-force subset search for K-Lasso
(:func:`best_subset`), brute-force search for SP-LIME's coverage, the text classifier's own
coefficients, and direct deletion of pixels for the digits.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import sympy as sp

from derivations.ledger import Derivation, is_zero, numeric_claim, relative_error
from derivations.lime.checks_faithfulness import (
    check_off_data,
    check_seed_spread,
    check_text_deletion,
    check_width_limit,
)
from derivations.lime.derivation import digit_phrase
from derivations.lime.method import (
    cosine_distance,
    coverage,
    explain_full,
    k_lasso,
    kernel,
    l2_distance,
    weighted_least_squares,
)
from derivations.numerics import one_blas_thread

__all__ = ["verify", "verify_claim", "best_subset"]

EPS = np.finfo(float).eps


# --------------------------------------------------------------------------- verify


def _matrix_value(expr, arrays, sizes):
    """Evaluate a SymPy matrix expression on NumPy arrays.

    ``arrays`` maps each MatrixSymbol's name to an array whose shape must be the symbol's
    declared shape with ``sizes`` (symbol -> int) substituted; products, sums, transposes and
    integer powers (inverses included) are carried out in NumPy.  Anything else raises.
    """
    if isinstance(expr, sp.MatrixSymbol):
        a = np.asarray(arrays[expr.name], dtype=float)
        declared = tuple(int(sp.sympify(n).subs(sizes)) for n in expr.shape)
        if declared != a.shape:
            raise ValueError(f"{expr.name} is declared {declared} but the data are {a.shape}")
        return a
    if isinstance(expr, sp.Transpose):
        return _matrix_value(expr.arg, arrays, sizes).T
    if isinstance(expr, sp.MatPow):  # Inverse is MatPow(., -1)
        return np.linalg.matrix_power(_matrix_value(expr.base, arrays, sizes), int(expr.exp))
    if isinstance(expr, sp.MatMul):
        coeff, factors = expr.as_coeff_matrices()
        out = _matrix_value(factors[0], arrays, sizes)
        for m in factors[1:]:
            out = out @ _matrix_value(m, arrays, sizes)
        return float(coeff) * out
    if isinstance(expr, sp.MatAdd):
        return sum(_matrix_value(a, arrays, sizes) for a in expr.args)
    raise TypeError(f"cannot evaluate {type(expr).__name__} on arrays")


def _by_name(expr):
    """The scalar symbols of a statement by name, the sizes of its matrix symbols included."""
    symbols = set(expr.free_symbols)
    for m in expr.atoms(sp.MatrixSymbol):
        for n in m.shape:
            symbols |= sp.sympify(n).free_symbols
    return {s.name: s for s in symbols if isinstance(s, sp.Symbol)}


def _check_distances(statement):
    """Both printed distances, lambdified in (|z'|, d'), and the NumPy implementations against
    SciPy's cosine and Euclidean distances for every non-empty mask, d' = 1..10."""
    from scipy.spatial.distance import cosine, euclidean

    printed = []
    for eq in statement:
        sym = _by_name(eq.rhs)
        printed.append(sp.lambdify((sym[r"|\mathbf{z}'|"], sym["d'"]), eq.rhs, "numpy"))
    worst = 0.0
    for d in range(1, 11):
        masks = np.array(list(itertools.product((0.0, 1.0), repeat=d)))[1:]  # every non-empty mask
        kept = masks.sum(axis=1)
        for formula, ours, theirs in ((printed[0], cosine_distance, cosine), (printed[1], l2_distance, euclidean)):
            ref = np.array([theirs(np.ones(d), m) for m in masks])
            worst = max(worst, float(np.max(np.abs(formula(kept, float(d)) - ref))),
                        float(np.max(np.abs(ours(masks) - ref))))
    return numeric_claim("p12.mask_distances", statement, worst, 8 * EPS,
                         method="printed formulas and code vs SciPy's distances, every mask, d' = 1..10",
                         reproduce="exhaustive, d' <= 10")


def _check_lime_kernel(statement):
    """The two printed sides lambdified against the NumPy kernel at sigma = sqrt(2) w, on a grid;
    and the printed difference simplified by SymPy."""
    sym = _by_name(statement.lhs)
    D, w = sym["D"], sym["w"]
    lhs = sp.lambdify((D, w), statement.lhs, "numpy")
    rhs = sp.lambdify((D, w), statement.rhs, "numpy")
    Dg, wg = np.meshgrid(np.linspace(0.0, 1.5, 31), np.array([0.1, 0.25, 0.75, 3.0, 25.0]))
    ref = kernel(Dg, np.sqrt(2.0) * wg)
    err = max(float(np.max(np.abs(lhs(Dg, wg) - ref))), float(np.max(np.abs(rhs(Dg, wg) - ref))))
    if not is_zero(statement.lhs - statement.rhs):
        err = math.inf
    return numeric_claim("p12.lime_kernel", statement, err, 8 * EPS,
                         method="both sides vs the kernel at sigma = sqrt(2) w on a grid; difference simplifies to 0",
                         reproduce="grid 31 x 5")


def _check_wls(statement, fit):
    """The printed normal-equation solution, evaluated on the samples of the text explanation,
    and the implementation (with its weighted R^2) against scikit-learn's weighted regression."""
    from sklearn.linear_model import LinearRegression, Ridge

    N, d = fit.Z.shape
    # the samples are the ones the text describes: x' = 1 first, then masks with 1 to d' features off
    off = d - fit.Z.sum(axis=1)
    if not (np.all(fit.Z[0] == 1) and np.all((off[1:] >= 1) & (off[1:] <= d)) and set(np.unique(fit.Z)) <= {0, 1}):
        return numeric_claim("p12.wls", statement, math.inf, 1.0, detail="the samples are not LIME's masks",
                             method="the text explanation's samples")
    Zt = np.hstack([np.ones((N, 1)), fit.Z])
    sizes = {_by_name(statement.rhs)["N"]: N, _by_name(statement.rhs)["d'"]: d}
    arrays = {r"\tilde{\mathbf{Z}}": Zt, r"\boldsymbol{\Pi}": np.diag(fit.weights), r"\mathbf{f}": fit.y[:, None]}
    try:
        printed = _matrix_value(statement.rhs, arrays, sizes)
        _matrix_value(statement.lhs, {statement.lhs.name: printed}, sizes)  # its declared shape
    except (ValueError, TypeError, np.linalg.LinAlgError) as exc:
        return numeric_claim("p12.wls", statement, math.inf, 1.0, detail=f"the printed formula: {exc}",
                             method="the printed formula evaluated on the text explanation's samples")
    b, c = weighted_least_squares(fit.Z, fit.y, fit.weights)
    ref = LinearRegression().fit(fit.Z, fit.y, sample_weight=fit.weights)
    ref_beta = np.r_[ref.intercept_, ref.coef_]
    kappa = _design_condition(fit.Z, fit.weights)
    # the condition number that sizes the tolerances, confirmed from the printed Gram matrix
    gram = _matrix_value(statement.rhs.args[0].arg, arrays, sizes)
    if not abs(kappa - math.sqrt(np.linalg.cond(gram))) <= 1e-6 * kappa:
        return numeric_claim("p12.wls", statement, math.inf, 1.0, detail=f"cond(A) = {kappa} disagrees with the Gram "
                             "matrix", method="condition number of the weighted design")
    # Tolerances from first-order perturbation bounds of least squares (Higham, Accuracy and
    # Stability of Numerical Algorithms, ch. 20), with the worst-case constant N + p for sums of N
    # products in p unknowns: a backward-stable solve (the implementation's and scikit-learn's SVD
    # and LAPACK solvers) errs by up to (N + p) eps (cond(A) + cond(A)^2 tan(theta)), theta the angle
    # between b and its fit; the normal equations (the printed formula) by (N + p) eps cond(A)^2.
    p = Zt.shape[1]
    A = Zt * np.sqrt(fit.weights)[:, None]
    fitted = A @ ref_beta
    tan_theta = float(np.linalg.norm(fit.y * np.sqrt(fit.weights) - fitted) / np.linalg.norm(fitted))
    tol = (N + p) * EPS * (kappa + kappa**2 * tan_theta)
    tol_normal = (N + p) * EPS * kappa**2 * (1 + tan_theta)
    # the lime package's final fit: ridge with alpha = 1, intercept not penalised
    b1, c1 = weighted_least_squares(fit.Z, fit.y, fit.weights, ridge=1.0)
    ref1 = Ridge(alpha=1.0).fit(fit.Z, fit.y, sample_weight=fit.weights)
    err = max(relative_error(np.r_[b, c], ref_beta) / tol,
              relative_error(np.r_[b1, c1], np.r_[ref1.intercept_, ref1.coef_]) / tol,
              relative_error(printed.ravel(), ref_beta) / tol_normal,
              abs(fit.score - ref.score(fit.Z, fit.y, sample_weight=fit.weights)) / tol)
    return numeric_claim("p12.wls", statement, err, 1.0,
                         method="printed formula and code vs sklearn weighted regression; Higham LS error bounds",
                         reproduce=f"text explanation, N = {N}, seed 12")


def _design_condition(Z, weights):
    A = np.hstack([np.ones((Z.shape[0], 1)), Z]) * np.sqrt(weights)[:, None]
    return float(np.linalg.cond(A))


def _check_linear_recovery(statement):
    rng = np.random.default_rng(3)
    worst, tol = 0.0, 0.0
    d_sym = _by_name(statement.lhs)["d'"]
    for d in (2, 5, 12):
        w = rng.normal(size=d)
        w0 = float(rng.normal())
        fit = explain_full(lambda Z, w=w, w0=w0: w0 + Z @ w, d, 400, 0.25, seed=d)
        arrays = {statement.lhs.name: fit.coef[:, None], statement.rhs.name: w[:, None]}
        sizes = {d_sym: d}
        try:
            worst = max(worst, relative_error(_matrix_value(statement.lhs, arrays, sizes),
                                              _matrix_value(statement.rhs, arrays, sizes)))
        except (ValueError, TypeError) as exc:
            return numeric_claim("p12.linear_recovery", statement, math.inf, 0.0, detail=f"the printed equation: {exc}",
                                 method="the printed equation evaluated on LIME's coefficients")
        tol = max(tol, 10 * _design_condition(fit.Z, fit.weights) * EPS)
    return numeric_claim("p12.linear_recovery", statement, worst, tol,
                         method="LIME on random linear f, d' = 2, 5, 12; tolerance 10 cond(A) eps",
                         reproduce="seed 3, N = 400")


def best_subset(Z, y, weights, K: int):
    """Brute force: the K-subset of features with the smallest weighted least-squares loss.

    Every subset is solved from the Gram matrix of the sqrt(weight)-scaled design (intercept
    always included): loss(S) = b.b - r_S . G_S^{-1} r_S.  Returns ``(loss, subset)``.
    """
    Z = np.asarray(Z, dtype=float)
    sw = np.sqrt(np.asarray(weights, dtype=float))
    A = np.hstack([np.ones((Z.shape[0], 1)), Z]) * sw[:, None]
    b = np.asarray(y, dtype=float) * sw
    G, r, bb = A.T @ A, A.T @ b, float(b @ b)
    best = (math.inf, None)
    for S in itertools.combinations(range(Z.shape[1]), K):
        cols = [0] + [j + 1 for j in S]
        rs = r[cols]
        best = min(best, (bb - float(rs @ np.linalg.solve(G[np.ix_(cols, cols)], rs)), S))
    return best


# Random instances for K-Lasso's second route: (N samples, d' features, K) drawn from these
# ranges with a fixed seed.  The response has mean about 3, so a mis-centred design changes the
# path; the weights span decades and the heavier half of the samples follows another linear model,
# so centring or scaling with the wrong weights changes the subset.  (Centring the response alone
# cannot matter: the weighted-centred columns scaled by sqrt(w) are orthogonal to sqrt(w), so any
# multiple of sqrt(w) added to the response only adds a constant to the Lasso loss.)
KLASSO_SEED, KLASSO_INSTANCES = 12, 12
# Margin rule for the second route.  The decision is which breakpoint of the path separates the
# K-th entry from the (K+1)-th; an instance whose two entry penalties lie within a relative
# KLASSO_MARGIN of each other is skipped (LARS decides them to ~cond(A) eps, about 1e-14 here,
# and coordinate descent at tol 1e-12 resolves a zero from a non-zero coefficient far inside this
# margin).  Instances where a coefficient leaves the path are skipped too: there "the first K to
# enter" and "the last point with at most K" differ by definition.
KLASSO_MARGIN = 1e-3
KLASSO_MIN_USED = 6  # fewer usable instances than this fails the claim: the route must not go empty


def _klasso_instances():
    rng = np.random.default_rng(KLASSO_SEED)
    for _ in range(KLASSO_INSTANCES):
        N, d, K = int(rng.integers(50, 201)), int(rng.integers(4, 11)), int(rng.integers(2, 5))
        Z = rng.integers(0, 2, size=(N, d)).astype(float)
        w = np.exp(2.0 * rng.normal(size=N))
        w *= N / w.sum()  # sum N: scikit-learn's Lasso rescales to this, so its alpha is lars_path's
        heavy = w > np.median(w)
        y = 3.0 + Z @ rng.normal(size=d) + heavy * (Z @ rng.normal(size=d)) + 2.0 * rng.normal(size=N)
        yield Z, y, w, K


def _project_out(s, M):
    """M with its component along the vector s removed (column by column): (I - s s^T / s.s) M."""
    return M - np.multiply.outer(s, s @ M) / (s @ s)


def _klasso_second_route():
    """K-Lasso's subset on random instances, by two routes that share no centring code with it.

    (a) LARS on the design with the intercept projected out (P = I - s s^T / s.s, s = sqrt(w)):
    the first K features to enter; (b) scikit-learn's ``Lasso(fit_intercept=True)`` with
    ``sample_weight`` (its own weighted centring) at the geometric mean of the K-th and
    (K+1)-th entry penalties.  Returns (mismatches, used instances).
    """
    from sklearn.linear_model import Lasso, lars_path

    bad, used = [], 0
    for n, (Z, y, w, K) in enumerate(_klasso_instances()):
        s = np.sqrt(w)
        alphas, _, coefs = lars_path(_project_out(s, Z * s[:, None]), _project_out(s, y * s), method="lasso")
        counts = np.count_nonzero(coefs, axis=0)
        if not np.array_equal(counts, np.arange(len(counts))):  # a coefficient left the path
            continue
        if len(alphas) <= K or alphas[K] > (1 - KLASSO_MARGIN) * alphas[K - 1]:  # K-th, (K+1)-th entries too close
            continue
        used += 1
        first_K = tuple(int(j) for j in np.flatnonzero(coefs[:, K]))
        alpha = math.sqrt(alphas[K - 1] * alphas[K]) if alphas[K] > 0 else alphas[K - 1] / 2
        cd = Lasso(alpha=alpha, fit_intercept=True, tol=1e-12, max_iter=100_000).fit(Z, y, sample_weight=w)
        by_cd = tuple(int(j) for j in np.flatnonzero(cd.coef_))
        theirs = tuple(int(j) for j in k_lasso(Z, y, w, K))
        if not (theirs == first_K == by_cd):
            bad.append(f"instance {n} (N={len(y)}, d'={Z.shape[1]}, K={K}): k_lasso {theirs}, "
                       f"LARS on projected data {first_K}, weighted Lasso {by_cd}")
    return bad, used


def _check_klasso(statement, fit):
    worst, tol = 0.0, 0.0
    kappa = _design_condition(fit.Z, fit.weights)
    for K in range(1, 6):
        S = tuple(k_lasso(fit.Z, fit.y, fit.weights, K))
        b, c = weighted_least_squares(fit.Z[:, S], fit.y, fit.weights)
        loss = float(np.sum(fit.weights * (fit.y - b - fit.Z[:, S] @ c) ** 2))
        best, _ = best_subset(fit.Z, fit.y, fit.weights, K)
        # two-sided: K-Lasso's subset is one of the candidates, so the minimum cannot exceed it
        worst = max(worst, abs(loss - best) / best)
        # the brute force goes through the normal equations: loss = b.b - r.G^-1 r cancels
        tol = max(tol, 10 * kappa**2 * EPS * float(np.sum(fit.weights * fit.y**2)) / best)
    # second route: a set of feature indices is compared exactly (integers), decided with a margin
    bad, used = _klasso_second_route()
    if bad or used < KLASSO_MIN_USED:
        worst = math.inf
    detail = "; ".join(bad) + (f" only {used} usable random instances" if used < KLASSO_MIN_USED else "")
    return numeric_claim("p12.klasso_subset", statement, worst, tol,
                         method="brute force over all K-subsets, K <= 5; LARS and weighted Lasso on random instances",
                         reproduce=f"text explanation, d' = {fit.Z.shape[1]}", detail=detail)


def _check_sp(statement, W, picked):
    """The greedy pick against brute force over every set of B explanations.

    Exact parts (integers, SymPy, or the same float computation twice): the printed constant is
    lim 1 - (1 - 1/B)^B, c(empty set) = 0, and each pick is replayed as the largest gain.  Float
    parts, each with its own tolerance: the printed ratio evaluated through SymPy Floats against
    greedy/best (a few roundings apart: 8 eps relative), the ratio clear of the bound, and each
    greedy decision clear of the runner-up that covers a different set of words (coverages are
    sums of at most d' importances, rounded to d' eps relative; the margin asked is 1e-9, far
    above that).  Candidates covering the same words tie exactly and are broken by the smaller
    index, the rule :func:`derivations.lime.submodular_pick` documents.
    """
    importance = np.sqrt(np.abs(W).sum(axis=0))
    B = len(picked)
    best = max(coverage(W, V, importance) for V in itertools.combinations(range(W.shape[0]), B))
    greedy = coverage(W, picked, importance)
    # the printed ratio, with the measured coverages substituted
    sym = _by_name(statement.lhs)
    ratio = float(statement.lhs.subs({next(v for k, v in sym.items() if k.startswith("c(")): greedy,
                                      next(v for k, v in sym.items() if k.startswith(r"\max")): best}))
    # the printed constant is the limit of the greedy guarantee 1 - (1 - 1/B)^B (Nemhauser et al.)
    n = sp.Symbol("n", positive=True, integer=True)
    bound = statement.rhs
    if not is_zero(sp.limit(1 - (1 - 1 / n) ** n, n, sp.oo) - bound):
        return numeric_claim("p12.sp_coverage", statement, math.inf, 1.0,
                             method="the printed constant is not lim 1 - (1 - 1/B)^B", detail=str(bound))
    support = np.abs(W) > 0
    exact_faults = abs(coverage(W, [], importance)) > 0  # the guarantee needs c(empty set) = 0
    closest = math.inf  # the smallest relative gap between a greedy pick and a runner-up covering other words
    for t in range(B):
        # the pick is greedy: the same computation as each candidate's, so compared exactly
        chosen = coverage(W, picked[: t + 1], importance)
        rivals = {j: coverage(W, picked[:t] + [j], importance) for j in range(W.shape[0]) if j not in picked[: t + 1]}
        exact_faults += chosen != max([chosen, *rivals.values()])
        covered = support[picked[: t + 1]].any(axis=0)
        others = [gain for j, gain in rivals.items()
                  if not np.array_equal(support[picked[:t] + [j]].any(axis=0), covered)]
        if others:
            closest = min(closest, (chosen - max(others)) / chosen)
    margin = 1e-9
    parts = [
        math.inf if exact_faults else 0.0,
        abs(ratio - greedy / best) / (8 * EPS * (greedy / best)),  # printed ratio vs float ratio
        0.0 if ratio - float(bound) > margin else math.inf,  # the guarantee holds, clear of rounding
        0.0 if closest >= margin else math.inf,  # no greedy decision within rounding of a different one
    ]
    return numeric_claim("p12.sp_coverage", statement, max(parts), 1.0,
                         method=f"brute force over all {math.comb(W.shape[0], B)} sets of B = {B}; "
                                "greedy picks with margins",
                         reproduce=f"SP-LIME on {W.shape[0]} test sentences, K = 4, seed 12")


RANK_MARGIN = 1e-6  # relative gap between consecutive class probabilities the text's ranking needs
ORDER_MARGIN = 1e-9  # relative gap between consecutive LIME weights of the ink blocks (their order)
# A row's class probabilities from the perceptron by two batchings of the same inputs: BLAS may
# sum the 64 + 32 products of a row in another order, an error of (64 + 32) eps times the terms'
# magnitude (below 10 here) in the logits, and a probability moves by at most as much: 1e-12 covers it.
BATCH_TOL = 1e-12
MC_ORDERS = 200  # random orders the check draws to estimate the standard error of one order's area


def _ink_blocks(image):
    """The 2 x 2 blocks (row-major ids) with a pixel above 0, by walking the pixels."""
    return sorted({(r // 2) * 4 + c // 2 for r in range(8) for c in range(8) if image[8 * r + c] > 0})


def _areas(classifier, image, label, coef, ink, block):
    """(the area in LIME's order, the exact mean area over random orders of the ink blocks, the
    standard deviation of one random order's area, LIME's order clear of round-off)."""
    w = np.asarray(coef)[ink]
    order = [ink[i] for i in np.argsort(-w)]
    clear = bool(np.all(-np.diff(np.sort(w)[::-1]) >= ORDER_MARGIN * np.max(np.abs(w))))
    curve = [image * ~np.isin(block, order[:k]) for k in range(len(order) + 1)]
    lime_area = float(classifier.predict_proba(np.array(curve))[:, label].mean())
    # a random order's first k blocks are a uniform k-subset: the expected curve at k is the mean
    # over all k-subsets, and the expected area their mean over k.  Subset b removes ink block i
    # when bit i of b is set.
    n = len(ink)
    bits = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    removed = np.zeros((2**n, n_blocks := int(block.max()) + 1), dtype=bool)
    removed[:, ink] = bits.astype(bool)
    p = classifier.predict_proba(image * ~removed[:, block])[:, label]
    sizes = bits.sum(axis=1)
    exact = float(np.mean([p[sizes == k].mean() for k in range(n + 1)]))
    rng = np.random.default_rng(7)
    one = []
    for _ in range(MC_ORDERS):
        first = np.cumsum(np.r_[0, 1 << rng.permutation(n)])  # the subset removed after k steps, as bits
        one.append(float(p[first].mean()))
    return lime_area, exact, float(np.std(one)), clear


def _check_deletion(statement, digits, classifier):
    """For each explained (digit, class), and for the held-out digits of the summary: the deletion
    curve in LIME's order recomputed by zeroing pixels, the random-order baseline against its exact
    value (every subset of the ink blocks), within 4 standard errors of the Monte Carlo mean, and
    the printed relation evaluated on the recomputed areas."""
    from sklearn.datasets import load_digits

    X = load_digits().data / 16.0
    block = np.add.outer(4 * (np.arange(8) // 2), np.arange(8) // 2).ravel()  # 2 x 2 blocks, row-major
    n_blocks = int(block.max()) + 1
    worst = 0.0 if digits["n_segments"] == n_blocks else math.inf
    faults = []
    R = digits["n_random"]

    def compare(where, image, label, row):
        nonlocal worst
        ink = _ink_blocks(image)
        lime_area, exact, sd, clear = _areas(classifier, image, label, row["coef"], ink, block)
        holds = bool(statement.func(lime_area, exact)) and exact - lime_area >= ORDER_MARGIN * exact
        if not (clear and holds):
            faults.append(f"{where}: " + ("LIME's order within round-off" if not clear else "the relation fails"))
        worst = max(worst, abs(row["auc_lime"] - lime_area) / BATCH_TOL, abs(row["auc_random"] - exact) / (4 * sd / math.sqrt(R)))
        return lime_area, exact, holds

    for row in digits["rows"]:
        image, label = X[row["index"]], row["label"]
        proba = classifier.predict_proba(image[None, :])[0]
        # the explained classes are the most probable ones, in order
        shown = [r["label"] for r in digits["rows"] if r["index"] == row["index"]]
        ranked = np.argsort(-proba, kind="stable")
        top = proba[ranked[: len(shown) + 1]]
        clear = bool(np.all(-np.diff(top) >= RANK_MARGIN * top[:-1]))  # no rank decided by round-off
        phrase_ok = digits["phrases"][digits["explained"].index(row["index"])] == digit_phrase(row["true"], ranked)
        if not (shown == list(ranked[: len(shown)]) and clear and phrase_ok) or row["n_ink"] != len(_ink_blocks(image)):
            faults.append(f"digit {row['index']}: ranking, phrase or ink count")
        worst = max(worst, abs(row["probability"] - proba[label]) / (8 * EPS))
        compare(f"digit {row['index']}, class {label}", image, label, row)
    areas = []
    for m in digits["many"]:
        proba = classifier.predict_proba(X[m["index"]][None, :])[0]
        s = np.sort(proba)
        if int(np.argmax(proba)) != m["label"] or s[-1] - s[-2] < RANK_MARGIN * s[-1]:
            faults.append(f"digit {m['index']}: top class")
        areas.append(compare(f"digit {m['index']}", X[m["index"]], m["label"], m))
    wins = sum(h for *_, h in areas)
    if wins != digits["many_wins"] or len(areas) != digits["many_n"]:
        faults.append(f"wins {wins} of {len(areas)}, printed {digits['many_wins']} of {digits['many_n']}")
    worst = max(worst, abs(np.mean([a for a, *_ in areas]) - digits["many_lime"]) / BATCH_TOL,
                abs(np.mean([m["auc_random"] for m in digits["many"]]) - digits["many_random"]) / (16 * EPS))
    return numeric_claim("p12.deletion", statement, math.inf if faults else worst, 1.0,
                         method="curves recomputed by zeroing pixels; random order exact over all ink-block "
                                "subsets (4 s.e.); error in tolerance units",
                         reproduce=f"digits {sorted({r['index'] for r in digits['rows']})} and "
                                   f"{digits['many_n']} held-out digits, seed 12", detail="; ".join(faults[:5]))


# Each claim's check, from the derivation's equations and context, in the order of the text.
_CHECKS = {
    "p12.mask_distances": lambda eq, ctx: _check_distances(eq["p12.mask_distances"]),
    "p12.lime_kernel": lambda eq, ctx: _check_lime_kernel(eq["p12.lime_kernel"]),
    "p12.wls": lambda eq, ctx: _check_wls(eq["p12.wls"], ctx["text_fit"]),
    "p12.linear_recovery": lambda eq, ctx: _check_linear_recovery(eq["p12.linear_recovery"]),
    "p12.klasso_subset": lambda eq, ctx: _check_klasso(eq["p12.klasso_subset"], ctx["text_fit"]),
    "p12.sp_coverage": lambda eq, ctx: _check_sp(eq["p12.sp_coverage"], ctx["sp_W"], ctx["sp_picked"]),
    "p12.text_deletion": lambda eq, ctx: check_text_deletion(
        eq["p12.text_deletion"], ctx["text_deletion"], ctx["text"], ctx["top_words"], ctx["text_classifier"]),
    "p12.deletion": lambda eq, ctx: _check_deletion(eq["p12.deletion"], ctx["digits"], ctx["digit_classifier"]),
    "p12.width_limit": lambda eq, ctx: check_width_limit(
        eq["p12.width_limit"], ctx["text_fit"], ctx["text"], ctx["limits"], ctx["text_classifier"]),
    "p12.seed_spread": lambda eq, ctx: check_seed_spread(
        eq["p12.seed_spread"], ctx["text"], ctx["limits"], ctx["text_classifier"]),
    "p12.off_data": lambda eq, ctx: check_off_data(
        eq["p12.off_data"], ctx["text_fit"], ctx["text"], ctx["limits"], ctx["text_classifier"]),
}


def verify(derivation: Derivation):
    with one_blas_thread():  # many small least-squares solves
        return [check(derivation.equations, derivation.context) for check in _CHECKS.values()]


def verify_claim(derivation: Derivation, claim_id: str):
    """One claim's check alone (what :func:`verify` returns for that id)."""
    with one_blas_thread():
        return _CHECKS[claim_id](derivation.equations, derivation.context)
