"""Problem 14's proposals, executable: generated data, learned rules, metric against the baseline.

Both proposals share one shape (:mod:`derivations.lnn.learning`): a neural model gives every
query atom bounds, a first-order rule with learned weights proves heads from grounded body
atoms, and the metric counts the query atoms misread at alpha (a true atom not read true, a false
one read true).

- NLP, question answering over extracted relations: "in which country was person x born?"
  Rule: forall x, y, z  BornIn(x, y) & LocatedIn(y, z) -> BornIn(x, z), grounded over the
  cities y that the extractor links to x.  A generated world (seeded) of persons, cities and
  countries; a simulated relation extractor reads a short biography: the birth city (usually
  clearly, sometimes weakly), sometimes a city x only lived in (a distractor it half-believes),
  sometimes the birth country directly, and sometimes a denial ("not born in France").  The
  gazetteer gives LocatedIn exactly.  Baseline: the extractor's direct statements alone.
- Vision, objects from their parts: "is this a bicycle or a motorbike?"  Rules:
  TwoWheels(x) & NOT Engine(x) -> Bicycle(x) and TwoWheels(x) & Engine(x) -> Motorbike(x).  A
  simulated object detector, blind on occluded images, and part detectors (wheels, engine) that
  still see the parts.  Baseline: the object detector alone.

A score s in [0, 1] becomes the bounds [2s - 1, 2s] clipped to [0, 1]: above 1/2 it is evidence
for the atom (a lower bound), below 1/2 evidence against (an upper bound), 1/2 says nothing; a
statement the model does not make gives [0, 1] (open world).
"""

from __future__ import annotations

import numpy as np

from derivations.lnn.learning import ALPHA, RuleData, errors, readings, train

__all__ = ["nlp_data", "vision_data", "run_proposal", "SEEDS", "SIZES"]

SEEDS = {"nlp": 1401, "vision": 1402}
SIZES = {"nlp": (300, 6, 5), "vision": (400,)}  # persons, countries, cities per country; images
TRAIN_SHARE = 0.6


def _bounds(s):
    """A score above 1/2 is evidence for the atom, below 1/2 evidence against: [2s - 1, 2s] clipped."""
    return np.clip(2 * s - 1, 0.0, 1.0), np.clip(2 * s, 0.0, 1.0)


def nlp_data(seed=SEEDS["nlp"]):
    """The generated world and the extractor's output, as a RuleData (candidates: countries)."""
    rng = np.random.default_rng(seed)
    P, C, per = SIZES["nlp"]
    country_of = np.repeat(np.arange(C), per)  # city -> country (the gazetteer)
    birth_city = rng.integers(0, C * per, P)
    label = country_of[birth_city]
    det_L, det_U = np.zeros((P, C)), np.ones((P, C))
    body_a = np.zeros((P, C, 2))  # groundings: the birth city, a distractor city
    valid = np.zeros((P, C, 2), dtype=bool)
    for p in range(P):
        clear = rng.random() < 0.7
        s = rng.uniform(0.85, 1.0) if clear else rng.uniform(0.6, 0.85)
        body_a[p, label[p], 0], valid[p, label[p], 0] = _bounds(s)[0], True
        if rng.random() < 0.5:  # a city the person only lived in, half-believed as the birthplace
            other = rng.choice(np.flatnonzero(country_of != label[p]))
            c = country_of[other]
            body_a[p, c, 1], valid[p, c, 1] = _bounds(rng.uniform(0.55, 0.9))[0], True
        if rng.random() < 0.3:  # the biography names the country
            det_L[p, label[p]], det_U[p, label[p]] = _bounds(rng.uniform(0.8, 1.0))
        if rng.random() < 0.4:  # a denial: "not born in <another country>"
            c = rng.choice(np.flatnonzero(np.arange(C) != label[p]))
            det_L[p, c], det_U[p, c] = _bounds(rng.uniform(0.0, 0.1))
    body_b = np.where(valid, 1.0, 0.0)  # LocatedIn(y, z) from the gazetteer: [1, 1]
    return RuleData(det_L, det_U, body_a, body_b, valid, np.zeros(C, dtype=int), label)


def vision_data(seed=SEEDS["vision"]):
    """Images of a bicycle (0), a motorbike (1) or neither (2), with detector and part scores."""
    rng = np.random.default_rng(seed)
    (N,) = SIZES["vision"]
    label = rng.choice(3, size=N, p=[0.4, 0.35, 0.25])
    occluded = rng.random(N) < 0.5
    det_L, det_U = np.zeros((N, 2)), np.ones((N, 2))
    wheels, engine = np.zeros(N), np.zeros(N)
    for n in range(N):
        for c in range(2):
            if occluded[n]:
                s = rng.uniform(0.3, 0.7)  # the object detector cannot tell
            elif label[n] == c:
                s = rng.uniform(0.8, 1.0)
            elif label[n] == 2:
                s = rng.uniform(0.0, 0.2)
            else:
                s = rng.uniform(0.2, 0.6)  # bicycles and motorbikes look alike
            det_L[n, c], det_U[n, c] = _bounds(s)
        two_wheeler = label[n] < 2
        if two_wheeler:  # the wheels stay visible unless the occluder hides one of them
            wheels[n] = rng.uniform(0.9, 1.0) if rng.random() < 0.85 else rng.uniform(0.6, 0.9)
        else:
            wheels[n] = rng.uniform(0.0, 0.5)
        if label[n] == 1:  # the engine is sometimes hidden behind the rider's leg
            engine[n] = rng.uniform(0.9, 1.0) if rng.random() < 0.8 else rng.uniform(0.5, 0.9)
        else:
            engine[n] = rng.uniform(0.0, 0.1)
    wL, _ = _bounds(wheels)
    eL, eU = _bounds(engine)
    body_a = np.stack([wL, wL], axis=1)[:, :, None]
    body_b = np.stack([1 - eU, eL], axis=1)[:, :, None]  # NOT Engine for the bicycle, Engine for the motorbike
    valid = np.ones((N, 2, 1), dtype=bool)
    return RuleData(det_L, det_U, body_a, body_b, valid, np.array([0, 1]), label)


def run_proposal(data: RuleData, n_rules: int, alpha=ALPHA):
    """Train on the first TRAIN_SHARE of the examples, evaluate on the rest.

    Returns the learned parameters, the objective's history, and on the test examples the
    number of correct answers of the baseline (the neural model's own bounds), of the rule
    with its initial weights and of the trained rule, and the smallest decision gap."""
    n = data.label.shape[0]
    cut = int(round(TRAIN_SHARE * n))
    tr, te = data.subset(np.arange(cut)), data.subset(np.arange(cut, n))
    theta, history = train(tr, n_rules)
    start = np.tile(np.array([2.0, 2.0, 1.75] * 2), (n_rules, 1))
    # the baseline: no rule fires (every grounding removed)
    alone = RuleData(te.det_L, te.det_U, te.body_a, te.body_b, np.zeros_like(te.valid), te.rule, te.label)
    out = {"theta": theta, "history": history, "n_train": cut, "n_test": n - cut, "atoms": int(te.det_L.size),
           "gap": np.inf}
    for name, th, d in (("baseline", start, alone), ("initial", start, te), ("trained", theta, te)):
        read, _, gap = readings(th, d, alpha)
        out[name] = errors(read, d)
        out[name + "_flags"] = int((read == "contradiction").sum())
        out["gap"] = min(out["gap"], gap)
    return out
