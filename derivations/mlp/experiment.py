"""Problem 1's seeded runs: SGD training on three spiral arms (figure p01_training), and the error
of central differences against their step (the appendix's note on the step of the checks)."""

from __future__ import annotations

import numpy as np

from derivations.ledger import relative_error
from derivations.mlp.method import _forward, gradients, loss, random_network, sgd
from derivations.numerics import FD_STEP, central_differences
from derivations.tex import common_decade, power_of_ten_above

__all__ = ["LAYER_SIZES", "make_dataset"]

#: Layer widths (d_0, d_1, K) of the three-layer MLP of the assignment's Figure 1, as the
#: code uses them: the training run (figure p01_training) uses this very network, and the
#: TikZ drawing (figure p01_mlp) is made from it.
LAYER_SIZES = (2, 6, 3)
# The training run of figure p01_training: spiral data, He initialisation, SGD settings.
SPIRAL = {"per_class": 60, "turns": 3.0, "noise": 0.12, "seed": 1}
TRAINING = {"learning_rate": 0.05, "batch_size": 10, "epochs": 300, "lam": 1e-3, "seed": 3}
INIT = {"gain": 2.0, "seed": 2}  # initial weights ~ N(0, gain / fan-in) (He et al.), biases 0
FD_SWEEP = {"sizes": (3, 5, 4, 3), "m": 6, "lam": 0.1, "clearance": 0.05, "seed": 4}  # the step sweep


# The error of the gradients against central differences: the step sweep measures it here, and
# the check p1.backprop_fd measures it at the step FD_STEP.
def _fd_error(Ws, bs, X, T, lam, step=FD_STEP):
    """Relative error between :func:`gradients` and central differences of :func:`loss`."""
    dW, db = gradients(Ws, bs, X, T, lam)
    num = central_differences(lambda: loss(Ws, bs, X, T, lam), Ws + bs, step)
    exact = np.concatenate([g.ravel() for g in dW + db])
    return relative_error(exact, np.concatenate([g.ravel() for g in num]))


def make_dataset(seed=SPIRAL["seed"], per_class=SPIRAL["per_class"]):
    """Three interleaved spiral arms in the plane, one class each (X: (3n, 2), one-hot T)."""
    rng = np.random.default_rng(seed)
    K = LAYER_SIZES[-1]
    X, labels = [], []
    for k in range(K):
        r = np.linspace(0.15, 1.0, per_class)
        angle = 2 * np.pi * k / K + SPIRAL["turns"] * r + rng.normal(scale=SPIRAL["noise"], size=per_class)
        X.append(np.column_stack([r * np.cos(angle), r * np.sin(angle)]))
        labels.append(np.full(per_class, k))
    X, labels = np.concatenate(X), np.concatenate(labels)
    return X, np.eye(K)[labels], labels


def _initial_network(sizes, seed=INIT["seed"]):
    """He initialisation: W^(l) ~ N(0, gain / d_{l-1}) entry by entry, b^(l) = 0."""
    rng = np.random.default_rng(seed)
    pairs = list(zip(sizes[:-1], sizes[1:]))
    Ws = [rng.normal(scale=np.sqrt(INIT["gain"] / fan_in), size=(fan_out, fan_in)) for fan_in, fan_out in pairs]
    bs = [np.zeros(fan_out) for _, fan_out in pairs]
    return Ws, bs


def _training_run():
    X, T, labels = make_dataset()
    Ws0, bs0 = _initial_network(LAYER_SIZES)
    setup = dict(TRAINING)
    lam = setup.pop("lam")
    Ws, bs, history = sgd(Ws0, bs0, X, T, lam, **setup)
    g = np.linspace(-1.2, 1.2, 121)
    gx, gy = np.meshgrid(g, g)
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    _, _, log_y = _forward(Ws, bs, grid)
    regions = log_y.argmax(axis=1).reshape(gx.shape)
    _, _, log_y_train = _forward(Ws, bs, X)
    accuracy = float((log_y_train.argmax(axis=1) == labels).mean())
    return {
        "X": X,
        "labels": labels,
        "grid": g,
        "regions": regions,
        "history": np.asarray(history),
        "accuracy": accuracy,
        "initial": (Ws0, bs0),
        "final": (Ws, bs),
        **TRAINING,
    }


def _fd_step_sweep(cfg=FD_SWEEP):
    """Error of central differences against the step: truncation ~ step^2, round-off ~ eps/step.

    The network is redrawn until every hidden pre-activation is at least ``clearance`` from
    ReLU's kink, so that no step up to 1e-3 crosses it (crossing would add an O(1) error).
    """
    rng = np.random.default_rng(cfg["seed"])
    sizes, m = cfg["sizes"], cfg["m"]
    while True:
        Ws, bs, X, T = random_network(rng, list(sizes), m)
        _, (*hidden, _), _ = _forward(Ws, bs, X)  # the output layer has no ReLU
        if all(np.abs(z).min() > cfg["clearance"] for z in hidden):
            break
    steps = np.logspace(-12, -3, 28)
    errors = np.array([_fd_error(Ws, bs, X, T, cfg["lam"], step) for step in steps])
    return {"steps": steps, "errors": errors, "sizes": sizes, "m": m, "check_step": FD_STEP}


def _experiments():
    training = _training_run()
    sweep = _fd_step_sweep()
    # The smallest error is round-off-sized, so its argmin and its digits differ between processors:
    # the text prints the decade shared by every step within a factor 2 of the smallest error, and a
    # power of ten above that error (both refuse when round-off could change them).
    errors = sweep["errors"]
    near_best = sweep["steps"][errors <= 2 * errors.min()]
    return {
        "training": training,
        "fd_steps": sweep,
        "train_first": training["history"][0],
        "train_last": training["history"][-1],
        "train_accuracy": 100 * training["accuracy"],
        "train_m": len(training["X"]),
        "fd_best_decade": common_decade(near_best),
        "fd_best_bound": power_of_ten_above(errors.min()),
        "fd_sizes": sweep["sizes"],
    }
