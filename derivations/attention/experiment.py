"""Problem 9, the seeded runs: random decoders and part (ii)'s measured dependence on the source.

:func:`feedback_dependence` perturbs the source states of a seeded decoder and measures how far
the first layer's state at step 2 moves, with input feeding and without; the report quotes both.
"""

from __future__ import annotations

import numpy as np

from derivations.attention.method import decode, init_params

__all__ = ["CHECK_SIZES", "FEEDBACK_SEED", "FEEDBACK_DELTA", "FEEDBACK_STEP", "feedback_dependence"]

# Settings of the random test decoder (the checks hold for any values; part (ii) quotes a number
# that depends on them).
CHECK_SIZES = {"d": 5, "n": 4, "S": 6, "V": 7, "L": 3, "B": 3, "T": 5}  # sizes of the checked decoder
FEEDBACK_SEED = 1  # seed of the decoder whose source states part (ii) perturbs
FEEDBACK_DELTA = 1e-3  # std of that perturbation of the source states
FEEDBACK_STEP = 1  # the 0-based decoding step at which the first layer's state is compared (step 2)


def _random_problem(sizes: dict, seed: int, input_feeding: bool = True):
    rng = np.random.default_rng(seed)
    params = init_params(sizes, rng, input_feeding)
    B, T, S_, n_, L_ = sizes["B"], sizes["T"], sizes["S"], sizes["n"], sizes["L"]
    Hbar = rng.normal(size=(B, S_, n_))
    y_prev = rng.integers(0, sizes["V"], size=(B, T))
    h0 = [np.tanh(rng.normal(size=(B, n_))) for _ in range(L_)]
    m0 = [rng.normal(size=(B, n_)) for _ in range(L_)]
    return params, Hbar, y_prev, h0, m0


def feedback_dependence(sizes: dict, seed: int) -> dict:
    """How much the first layer's state at step 2 moves when the source states are perturbed.

    With input feeding h_2^(1) depends on the source through htilde_1 (the previous alignment);
    without it the dependence is exactly zero.
    """
    res = {}
    for feed in (True, False):
        params, Hbar, y_prev, h0, m0 = _random_problem(sizes, seed, feed)
        delta = np.random.default_rng(seed + 1).normal(scale=FEEDBACK_DELTA, size=Hbar.shape)
        a = decode(params, Hbar, y_prev, h0, m0, feed)
        b = decode(params, Hbar + delta, y_prev, h0, m0, feed)
        moved = a["h_layers"][0, :, FEEDBACK_STEP] - b["h_layers"][0, :, FEEDBACK_STEP]
        res["with" if feed else "without"] = float(np.abs(moved).max())
    return res
