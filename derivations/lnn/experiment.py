"""Problem 14's worked examples: a small Smokers-and-Friends knowledge base and the two proposals.

The experiment room: the theories the report runs inference on (Part (ii), the knowledge base;
Part (iii), the NLP and vision proposals and the conflicting detector), and ``run``, which infers
to convergence and gives the rows of the printed tables.  They are the report's worked examples,
not part of the statements, so they live here rather than in the derivation; nothing is random
(no seed): inference on these theories is deterministic.

Truth values are dyadic rationals (multiples of 1/8) so that every bound the inference computes
is exact in floating point and can be compared with brute-force enumeration without tolerance.
"""

from __future__ import annotations

from derivations.lnn.learning import ALPHA, INITIAL
from derivations.lnn.method import LNN, UNKNOWN_L, UNKNOWN_U

# every connective of the worked examples: two inputs, weights 2 and bias 7/4, the one dyadic
# neuron that meets the alpha constraints at alpha = 3/4 (checked, with the learned ones)
W, BETA = INITIAL[:2], INITIAL[2]
CONFLICT_DETECTOR = (0.125, 0.5)  # the bicycle detector's bounds in the conflicting vision example


def smokers():
    """Smokers and friends, grounded on four people (the paper's first benchmark, in miniature).

    Rules (axioms): Smokes(x) & Friends(x, y) -> Smokes(y), truth [1, 1], along the chain
    anna-bob-carl; Smokes(x) -> Cancer(x), a soft rule with truth [7/8, 1], for carl and eve.
    Facts: anna smokes; the friendships have truth 7/8 and 5/8; eve has no cancer (truth at most
    1/8).  Everything else is unknown, [0, 1].
    """
    m = LNN()
    facts = {"Smokes(anna)": (1.0, 1.0), "Friends(anna,bob)": (0.875, 0.875),
             "Friends(bob,carl)": (0.625, 0.625), "Cancer(eve)": (0.0, 0.125)}
    chain = (("anna", "bob"), ("bob", "carl"))
    for p in ("anna", "bob", "carl", "eve"):
        m.atom(f"Smokes({p})", *facts.get(f"Smokes({p})", (UNKNOWN_L, UNKNOWN_U)))
    for a, b in chain:
        m.atom(f"Friends({a},{b})", *facts[f"Friends({a},{b})"])
    for p in ("carl", "eve"):
        m.atom(f"Cancer({p})", *facts.get(f"Cancer({p})", (UNKNOWN_L, UNKNOWN_U)))
    for a, b in chain:
        body = m.conj(f"Smokes({a})", f"Friends({a},{b})", weights=W, beta=BETA)
        m.implies(body, f"Smokes({b})", weights=W, beta=BETA, L=1.0, U=1.0, name=f"smoking spreads {a}->{b}")
    for p in ("carl", "eve"):
        m.implies(f"Smokes({p})", f"Cancer({p})", weights=W, beta=BETA, L=0.875, U=1.0,
                  name=f"smoking causes cancer ({p})")
    return m


def nlp_proposal():
    """Question answering over relations that a neural extractor reads from text.

    Text: "Marie Curie was born in Warsaw." and "Warsaw is the capital of Poland."  A relation
    extractor supplies bounds on BornIn(curie, warsaw) and LocatedIn(warsaw, poland); a knowledge
    base supplies LocatedIn(poland, europe).  Rules: BornIn(x, y) & LocatedIn(y, z) -> BornIn(x, z);
    LocatedIn(x, y) & LocatedIn(y, z) -> LocatedIn(x, z); BornIn(x, europe) -> ~BornIn(x, asia).
    Question: was Curie born in Europe?  In Asia?  In France (no evidence at all)?
    """
    m = LNN()
    m.atom("BornIn(curie,warsaw)", 0.875, 1.0)
    m.atom("LocatedIn(warsaw,poland)", 0.875, 1.0)
    m.atom("LocatedIn(poland,europe)", 1.0, 1.0)
    for q in ("BornIn(curie,poland)", "BornIn(curie,europe)", "LocatedIn(warsaw,europe)",
              "BornIn(curie,asia)", "BornIn(curie,france)"):
        m.atom(q)
    rules = [
        (("BornIn(curie,warsaw)", "LocatedIn(warsaw,poland)"), "BornIn(curie,poland)"),
        (("BornIn(curie,poland)", "LocatedIn(poland,europe)"), "BornIn(curie,europe)"),
        (("LocatedIn(warsaw,poland)", "LocatedIn(poland,europe)"), "LocatedIn(warsaw,europe)"),
    ]
    for body, head in rules:
        m.implies(m.conj(*body, weights=W, beta=BETA), head, weights=W, beta=BETA, L=1.0, U=1.0)
    m.implies("BornIn(curie,europe)", m.neg("BornIn(curie,asia)"), weights=W, beta=BETA, L=1.0, U=1.0, name="europe excludes asia")
    return m, ("BornIn(curie,warsaw)", "LocatedIn(warsaw,poland)", "LocatedIn(poland,europe)", "BornIn(curie,poland)",
               "BornIn(curie,europe)", "BornIn(curie,asia)", "BornIn(curie,france)")


def vision_proposal(bicycle_detector=(0.25, 0.875)):
    """Object recognition with part-whole rules over detector outputs.

    Part detectors supply Wheel and Handlebar, object detectors Bicycle, Motorbike and Engine.
    Rules: Wheel & Handlebar -> Bicycle | Motorbike; Motorbike -> Engine; Bicycle -> ~Motorbike.
    With an occluded bicycle the object detector is unsure, the parts are clear, and no engine is
    seen; the logic then raises the bicycle's lower bound.  If the detector's upper bound is too
    low, the bounds cross: a contradiction, measured by the contradiction loss.
    """
    m = LNN()
    m.atom("Wheel", 0.9375, 1.0)
    m.atom("Handlebar", 0.9375, 1.0)
    m.atom("Bicycle", *bicycle_detector)
    m.atom("Motorbike", 0.0, 0.5)
    m.atom("Engine", 0.0, 0.0625)
    parts = m.conj("Wheel", "Handlebar", weights=W, beta=BETA)
    either = m.disj("Bicycle", "Motorbike", weights=W, beta=BETA)
    m.implies(parts, either, weights=W, beta=BETA, L=1.0, U=1.0, name="parts make a two-wheeler")
    m.implies("Motorbike", "Engine", weights=W, beta=BETA, L=1.0, U=1.0, name="a motorbike has an engine")
    m.implies("Bicycle", m.neg("Motorbike"), weights=W, beta=BETA, L=1.0, U=1.0, name="bicycle excludes motorbike")
    return m, ("Wheel", "Handlebar", "Engine", "Motorbike", "Bicycle")


def vision_conflict():
    """The vision proposal with a bicycle detector that is confident there is no bicycle."""
    return vision_proposal(bicycle_detector=CONFLICT_DETECTOR)


def run(model_and_atoms, alpha: float = ALPHA):
    """Infer to convergence; rows of (atom, initial bounds, final bounds, classical reading)."""
    m, atoms = model_and_atoms
    history = m.infer()
    final = m.bounds()  # after inference (at the first crossing, if bounds cross)
    rows = [
        {"atom": a, "L0": history[0][a][0], "U0": history[0][a][1], "L": final[a][0],
         "U": final[a][1], "state": m.state(a, alpha)}
        for a in atoms
    ]
    return {"rows": rows, "iterations": len(history) - 1, "loss": m.contradiction_loss(),
            "conflicts": m.contradictions()}
