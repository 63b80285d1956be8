"""LearningCoefficient.subs: no text evaluated, and the formula's own checks re-run."""

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from slttheory.formulas import (
    LearningCoefficient,
    quadratic_network,
    reduced_rank_regression,
)

m, n, h, r = sp.symbols("m n h r", integer=True, positive=True)
RRR = reduced_rank_regression(m, n, h, r)


def test_text_is_refused_and_never_evaluated(tmp_path):
    marker = tmp_path / "evaluated"
    payload = f"5 + 0*len(__import__('pathlib').Path('{marker}').write_text('x') * [0])"
    with pytest.raises(TypeError, match="number or a sympy expression"):
        RRR.subs(m, payload)
    with pytest.raises(TypeError, match="number or a sympy expression"):
        RRR.subs({m: payload})
    assert not marker.exists()
    with pytest.raises(TypeError, match="Symbol"):
        RRR.subs("m", 5)


@pytest.mark.parametrize("values", [
    {m: 2, n: 2, h: 1, r: 3},                 # r > min(m, n, h)
    {m: 2, n: 2, h: 1, r: sp.Rational(1, 2)},  # a non-integer rank
    {m: -1, n: 2, h: 1, r: 0},                # a negative size
])
def test_substituted_sizes_are_checked_as_in_a_direct_call(values):
    with pytest.raises((ValueError, TypeError)) as direct:
        reduced_rank_regression(*(values[s] for s in (m, n, h, r)))
    with pytest.raises(direct.type, match=str(direct.value)[:20]):
        RRR.subs(values)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.integers(1, 7), st.integers(1, 7), st.integers(1, 7), st.data())
def test_subs_equals_the_direct_call(mm, nn, hh, data):
    rr = data.draw(st.integers(0, min(mm, nn, hh)))
    got = RRR.subs({m: mm, n: nn, h: hh, r: rr})
    assert got == reduced_rank_regression(mm, nn, hh, rr)
    partial = RRR.subs(m, mm).subs({n: nn, h: hh}).subs(r, rr)  # in steps, the same
    assert partial == got


def test_keyword_arguments_are_kept():
    d = sp.Symbol("d", integer=True, positive=True)
    assert quadratic_network(d, 2, 1, bias=True).subs(d, 4) == quadratic_network(4, 2, 1,
                                                                                  bias=True)


def test_hand_made_results_substitute_their_fields():
    d = sp.Symbol("d", integer=True, positive=True)
    lc = LearningCoefficient(value=d / 2, multiplicity=1, dimension=d, case="regular")
    assert lc.subs(d, 6).value == 3 and lc.subs(d, 6).dimension == 6


def test_sympify_is_exact_value_and_latex():
    """sympy arithmetic on a LearningCoefficient uses its exact value, never float()."""
    import sympy as sp

    from slttheory.formulas import reduced_rank_regression

    lc = reduced_rank_regression(5, 5, 3)
    assert sp.Rational(1, 2) + lc == 7 and (sp.Rational(1, 2) + lc).is_Integer
    assert sp.Symbol("n") * lc == sp.Rational(13, 2) * sp.Symbol("n")
    assert sp.latex(lc) == r"\frac{13}{2}"
    m, n, h = sp.symbols("m n h", positive=True, integer=True)
    assert sp.sympify(reduced_rank_regression(m, n, h)) == reduced_rank_regression(m, n, h).value


def test_print_shows_the_summary_and_repr_the_fields():
    """print(lc) had shown the whole dataclass repr; it shows the summary (an outside
    theorist's audit), and repr stays the fields."""
    from slttheory.formulas import dln_codimension_bound, reduced_rank_regression

    lc = reduced_rank_regression(5, 5, 3)
    assert str(lc) == lc.summary() and str(lc).startswith("λ             13/2")
    assert repr(lc).startswith("LearningCoefficient(value=13/2, multiplicity=2")
    b = dln_codimension_bound([2, 2, 2])
    assert str(b) == b.summary() and str(b).startswith("λ lower")
