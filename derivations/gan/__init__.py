"""Problem 8: generative adversarial nets (Goodfellow et al. 2014).

A generator G maps noise z ~ p_z to samples with density p_g; a discriminator D(x) in (0, 1) says
how likely x came from the data.  They play min_G max_D V(D, G) (assignment Eq. 15).  We derive
Proposition 1 (for fixed G the best D is p_data / (p_data + p_g), because y -> a log y +
b log(1 - y) peaks at a / (a + b)) and Theorem 1 (C(G) = max_D V = -log 4 + 2 JSD(p_data || p_g),
minimal iff p_g = p_data), and train a one-dimensional GAN with Algorithm 1 to show the four
stages of the paper's Figure 1 (the assignment's Figure 4).

Verification: SymPy for the scalar maximisation and the JSD rearrangement; numerical
maximisation of V over discriminators and minimisation of C over generators on random discrete
distributions; scipy's Jensen-Shannon distance and quadrature for two Gaussians; central finite
differences for the hand-written GAN gradients.

Rooms:

* ``method.py``: the numeric API (``optimal_discriminator``, ``virtual_training_criterion``,
  ``jensen_shannon``, ``value_function``) and the one-dimensional GAN (networks, hand-written
  gradients, Adam);
* ``notation.py``: the symbols the report prints and Proposition 1's statement, which both the
  derivation and the training run use (a room of its own so that the imports run one way);
* ``experiment.py``: Algorithm 1's seeded training runs and the measurements of their snapshots;
* ``panels.py``: the explicit one-dimensional model (Gaussian p_data, G(z) = m + s Phi^{-1}(z) of
  uniform z) behind the redrawing of the paper's Figure 1, panel by panel;
* ``derivation.py``: SymPy's Proposition 1, Theorem 1 and saturation, Adam's rule, ``derive``;
* ``checks.py``: ``verify`` and its independent routes.

The display wrappers (``InOrder``, ``Scaled``, ...) and the evaluator of printed formulas
come from :mod:`derivations.display`.
"""

from derivations.gan.checks import (
    PRINTED_MARGIN,
    check_adam,
    check_global_minimum,
    check_optimal_discriminator,
    check_panels,
    printed_run_numbers,
    rounding_clearance,
    verify,
)
from derivations.gan.derivation import (
    ADAM_SYMBOLS,
    ADAM_T,
    adam_rule,
    criterion_residual,
    criterion_terms,
    derive,
    numerically,
    pointwise_maximum,
    saturation,
)
from derivations.gan.experiment import train_gan
from derivations.gan.method import (
    D_KEYS,
    G_KEYS,
    GanConfig,
    discriminator_gradients,
    gan_gradients,
    gan_losses,
    generator_gradients,
    init_gan,
    jensen_shannon,
    optimal_discriminator,
    value_function,
    virtual_training_criterion,
)
from derivations.gan.notation import C_G, D_STAR, JSD, LOG4, P_DATA, P_G, SIGMA_A

__all__ = [
    "optimal_discriminator",
    "virtual_training_criterion",
    "jensen_shannon",
    "value_function",
    "GanConfig",
    "init_gan",
    "gan_losses",
    "gan_gradients",
    "train_gan",
    "derive",
    "verify",
    # used by the tests: the notation, the symbolic steps, the networks' pieces and the checks' helpers
    "P_DATA",
    "P_G",
    "D_STAR",
    "C_G",
    "JSD",
    "LOG4",
    "SIGMA_A",
    "ADAM_T",
    "ADAM_SYMBOLS",
    "pointwise_maximum",
    "criterion_terms",
    "criterion_residual",
    "saturation",
    "adam_rule",
    "numerically",
    "D_KEYS",
    "G_KEYS",
    "discriminator_gradients",
    "generator_gradients",
    "check_optimal_discriminator",
    "check_global_minimum",
    "check_adam",
    "check_panels",
    "rounding_clearance",
    "printed_run_numbers",
    "PRINTED_MARGIN",
]
