"""Write corpus.tsv: short sentences of two topics, astronomy (0) and medicine (1).

The corpus is small and synthetic on purpose.  It carries one planted artifact, like the
"Posting"/"Host" headers of the 20 newsgroups data in Ribeiro et al. (2016): most medicine
sentences end with the sign-off word "regards", few astronomy sentences do.  A classifier
trained on it learns the sign-off as evidence, and LIME should show that.

Run ``python data/lime/make_corpus.py`` to regenerate (seeded, byte-identical output).
"""

from __future__ import annotations

import random
from pathlib import Path

SUBJECTS = {
    0: ["the telescope", "our observatory", "the astronomer", "a space probe", "the satellite",
        "the student", "the research team", "an amateur observer"],
    1: ["the doctor", "our clinic", "the nurse", "a surgeon", "the pharmacist",
        "the student", "the research team", "a patient"],
}
VERBS = {
    0: ["observed", "tracked", "photographed", "measured", "detected", "mapped"],
    1: ["treated", "examined", "diagnosed", "monitored", "vaccinated", "measured"],
}
OBJECTS = {
    0: ["a faint comet", "the rings of saturn", "a distant galaxy", "the orbit of mars",
        "a bright supernova", "the moons of jupiter", "an eclipse", "a cluster of stars",
        "the spectrum of a nebula", "the solar corona"],
    1: ["a child with fever", "the infection", "a broken wrist", "the blood pressure",
        "an allergic reaction", "the heart rhythm", "a persistent cough", "the diabetes",
        "a skin rash", "the flu symptoms"],
}
TAILS = {
    0: ["last night", "through the clouds", "with a new lens", "before dawn", "from the mountain",
        "for the catalogue", "during the week"],
    1: ["last night", "with antibiotics", "at the hospital", "before surgery", "in the ward",
        "for the report", "during the week"],
}
SIGN_OFF = "regards"
SIGN_OFF_RATE = {0: 0.1, 1: 0.7}


def sentences(n_per_class: int = 200, seed: int = 12):
    rng = random.Random(seed)
    rows = []
    for label in (0, 1):
        for _ in range(n_per_class):
            words = [rng.choice(SUBJECTS[label]), rng.choice(VERBS[label]), rng.choice(OBJECTS[label])]
            if rng.random() < 0.6:
                words.append(rng.choice(TAILS[label]))
            if rng.random() < SIGN_OFF_RATE[label]:
                words.append(SIGN_OFF)
            rows.append((label, " ".join(words)))
    rng.shuffle(rows)
    return rows


if __name__ == "__main__":
    out = Path(__file__).with_name("corpus.tsv")
    lines = ["label\ttext"] + [f"{label}\t{text}" for label, text in sentences()]
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {len(lines) - 1} sentences to {out}")
