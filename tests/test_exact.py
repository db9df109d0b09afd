"""derivations.exact: SymEngine's derivatives and the zero test of residuals."""

import symengine as se
import sympy as sp

from derivations import exact

x, y, z = sp.symbols("x y z")


def test_derivatives_are_sympys_and_set_the_perturbations_to_zero():
    e = sp.Symbol("e")
    J = sp.tanh(x * y + e) * sp.exp(x) + sp.log(1 + sp.exp(e * y))
    got = exact.derivatives(J, [x, y, e], zero=[e])
    want = [sp.diff(J, v).subs(e, 0) for v in (x, y, e)]
    assert exact.residual(sp.Matrix(want), got).is_zero_matrix


def test_an_identity_is_zero_and_a_wrong_one_is_not():
    s = sp.exp(x) + sp.exp(y)
    right = sp.Matrix([sp.exp(x) / s * (1 - sp.tanh(z) ** 2)])
    assert exact.residual(right, [sp.diff(sp.log(s), x) * sp.diff(sp.tanh(z), z)]).is_zero_matrix
    wrong = exact.residual(sp.Matrix([sp.exp(x) / s * (1 + sp.tanh(z) ** 2)]),
                           [sp.diff(sp.log(s), x) * sp.diff(sp.tanh(z), z)])
    assert wrong[0] != 0 and sp.expand(wrong[0]) != 0


def test_the_shortcut_gives_the_same_verdicts_as_expanding_the_whole_residual():
    """Atoms replaced by symbols, or the whole difference expanded: the same zeros."""
    s_ = sp.exp(x) + sp.exp(y)
    cases = [(sp.exp(x) / s_ * sp.tanh(z) ** 2, sp.exp(x) * sp.tanh(z) ** 2 / s_, True),
             ((1 - sp.tanh(x + sp.tanh(y)) ** 2) * (1 - sp.tanh(y) ** 2), sp.diff(sp.tanh(x + sp.tanh(y)), y), True),
             (sp.tanh(x * (y + z)), sp.tanh(x * y + x * z), False)]  # equal, but not as polynomials in atoms
    for a, b, zero in cases:
        whole = se.expand(exact.engine(a) - exact.engine(b)) == 0
        shortcut = all(e == 0 for e in exact.residual(sp.Matrix([a]), [b]))
        assert shortcut == whole == zero, (a, b)


def test_outer_atoms_stop_at_the_first_atom_on_each_path():
    inner = se.tanh(se.Symbol("y"))
    outer = se.tanh(se.Symbol("x") + inner)
    atoms = exact._outer_atoms([outer * inner + se.exp(se.Symbol("x")) / (1 + inner)])
    assert outer in atoms and inner in atoms  # inner also stands outside outer
    assert se.exp(se.Symbol("x")) in atoms and (1 + inner) ** -1 in atoms
    assert exact._outer_atoms([outer]) == {outer}
