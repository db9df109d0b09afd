"""Problem 4's experiment of part (iii): how far back the gradient of the last step's loss reaches,
the RNN of Problem 2 against the LSTM with three forget biases, on the same seeded data."""

from __future__ import annotations

import numpy as np

from derivations.lstm.method import bptt, forward, init_params
from derivations.rnn import forward as rnn_forward

__all__ = ["REACH", "reach_data", "gradient_reach", "CS_STEP", "REACH_CHECK_DISTANCES", "REACH_INIT_Z"]

REACH_LSTM_SEED_OFFSET = 1000  # the LSTM's weights of seed s come from seed s + this (not the RNN's stream)
REACH = {"D": 4, "H": 16, "K": 5, "tau": 60, "seeds": 20, "forget_biases": (0.0, 1.0, 3.0), "report_distance": 20}

# How the check p4.reach_complex_step recomputes the experiment (the text states these settings).
# Complex step: f'(x) = Im f(x + i h) / h for a real-analytic f, with no difference taken, so neither
# truncation (O(h^2)) nor cancellation limits it: it resolves gradients of size 1e-14 as well as 1.
CS_STEP = 1e-20  # the imaginary step of the complex-step derivative
REACH_CHECK_DISTANCES = (0, REACH["report_distance"], REACH["tau"] - 1)  # where the curves are recomputed
REACH_INIT_Z = 5.0  # standard errors allowed for a weight matrix's sample variance x fan-in against 1


def _rnn_input_gradients(rnn_params, X, T):
    """d l^(tau) / d x^(k) for k = 1..tau, shape (tau, D), l^(tau) the last step's loss, for the RNN of
    Problem 2: its forward pass from derivations.rnn.forward, the backward steps of Eq. 4 written out."""
    fw = rnn_forward(rnn_params, X)
    h, y = fw["h"], fw["y"]
    tau = X.shape[0]
    W, U, V = rnn_params["W"], rnn_params["U"], rnn_params["V"]
    d_h = V.T @ (y[tau - 1] - T[tau - 1])  # only the last step's loss
    out = np.zeros((tau, X.shape[1]))
    for t in range(tau, 0, -1):
        d_z = d_h * (1.0 - h[t] ** 2)
        out[t - 1] = W.T @ d_z
        d_h = U.T @ d_z
    return out


def reach_data(seed: int, config=REACH):
    """One sequence of the experiment: inputs X (tau, D) standard normal, one-hot targets T, the RNN's
    parameters and the LSTM's for each forget bias; weights normal with variance 1/fan-in, biases 0."""
    D, H, K, tau = config["D"], config["H"], config["K"], config["tau"]
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(tau, D))
    T = np.eye(K)[rng.integers(0, K, size=tau)]
    rnn = {"W": rng.normal(size=(H, D)) / np.sqrt(D), "U": rng.normal(size=(H, H)) / np.sqrt(H),
           "V": rng.normal(size=(K, H)) / np.sqrt(H), "b": np.zeros(H), "c": np.zeros(K)}
    base = init_params(D, H, K, np.random.default_rng(REACH_LSTM_SEED_OFFSET + seed))
    return X, T, rnn, {b: dict(base, b_f=np.full(H, b)) for b in config["forget_biases"]}


def gradient_reach(config=REACH) -> dict:
    """Median over seeds of ||d l^(tau)/d x^(tau-d)|| against d, RNN and LSTM on the same data."""
    D, H, K, tau = config["D"], config["H"], config["K"], config["tau"]
    curves = {"distance": np.arange(tau), "rnn": [], "lstm": {b: [] for b in config["forget_biases"]}}
    mean_f = {b: [] for b in config["forget_biases"]}
    for seed in range(config["seeds"]):
        X, T, rnn, lstm_params = reach_data(seed, config)
        g = _rnn_input_gradients(rnn, X, T)
        curves["rnn"].append(np.linalg.norm(g, axis=1)[::-1])
        for b in config["forget_biases"]:
            p = lstm_params[b]
            G = bptt(p, X, T, steps=[tau])
            curves["lstm"][b].append(np.linalg.norm(G["x"], axis=1)[::-1])
            mean_f[b].append(forward(p, X)["f"].mean())
    med = {"distance": curves["distance"], "rnn": np.median(curves["rnn"], axis=0),
           "lstm": {b: np.median(v, axis=0) for b, v in curves["lstm"].items()},
           "mean_f": {b: float(np.mean(v)) for b, v in mean_f.items()}}
    d = config["report_distance"]
    summary = {k: v for k, v in config.items() if k != "forget_biases"}
    summary["rnn_ratio"] = float(med["rnn"][d] / med["rnn"][0])
    summary["lstm"] = [
        {"b": f"{b:g}", "mean_f": med["mean_f"][b], "ratio": float(c[d] / c[0]), "mean_f_power": med["mean_f"][b] ** d}
        for b, c in med["lstm"].items()
    ]
    return {"curves": med, "summary": summary}

