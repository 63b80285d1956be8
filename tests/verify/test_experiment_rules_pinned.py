"""Rules of the README's verdict table that no test had pinned, each test killing a
mutation of the judge that had passed every test before (a mutation audit):

- experiments (``judge/experiment.py``): the interval's far end refutes strictly (hi == 0 does
  not refute "positive", lo == t does not refute "below t"); a 90 % interval does not decide a
  95 % criterion; a stated shape's confirmation needs every LLC estimate; a shape statistic
  without controls is not refuted by its fit; every rerun must be computed and judged by the
  same rules; reruns are read at the criterion's own alpha; an undefined goodness-of-fit p
  confirms nothing;
- scaling (``judge/scaling.py``): a stated shape is refuted at χ² p < 0.01, not 0.05.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
from test_judge import scaled, scaling_claim

from slttheory.experiments import ShapeTest, Statistic
from slttheory.verify.claims import Criterion
from slttheory.verify.evidence.records import RERUN_SETTINGS
from slttheory.verify.judge import judge_criterion, judge_experiment
from slttheory.verify.judge import scaling as S
from slttheory.verify.judge.scaling import MIN_VALUES


def _s(est, lo, hi, n=10, min_n=5, level=0.95, **kw):
    return Statistic("s", est, lo, hi, level, "t", n, min_n=min_n, **kw)


# ---- scaling: refuted at p < 0.01, not 0.05 ------------------------------------------------

def test_a_shape_misfit_at_p_between_001_and_005_outside_every_band_is_not_refuted():
    """χ² p of the stated linear shape in (0.01, 0.05), and no line through every value's
    band (the first and last values' bands admit no common slope): the values fail condition
    2 (p ≥ 0.05) but do not reject the shape (p < 0.01), so inconclusive. Refuting at 0.05
    would refute it."""
    s, ds = 0.005, (1, 2, 4, 8, 16)
    ratio = {1: 1 + 2.2 * s, 2: 1 - 0.8 * s, 4: 1.0, 8: 1 + 0.8 * s, 16: 1 - 2.2 * s}
    params, ev, ctl = scaled(lambda d: 0.5 * d * ratio[d], spread=s, ds=ds)
    claim = scaling_claim(shape="linear", ds=ds)
    v = S.scaling_verdict(claim, params, ev, ctl)
    p = next(f.p_value for f in v.fits if f.role == "stated")
    assert 0.01 < p < 0.05, p
    rows = []
    for q, e in zip(params, ev, strict=True):
        c = S._controlled(claim, q, e, ctl)
        assert not isinstance(c, str), c
        rows.append(S._Row(float(q["d"]), *c[:2], e, *c[2:]))
    assert not S._within_every_band(rows, "linear")  # the band rule does not hold it
    assert v.verdict == "inconclusive", v.reason
    assert "goodness of fit p = 0.0" in v.reason and "rejected" not in v.reason, v.reason


# ---- experiments: the criterion from the 1 − α interval ------------------------------------

@pytest.mark.parametrize("crit, iv", [
    (Criterion("s", "positive"), (-1.0, -2.0, 0.0)),                  # hi == 0
    (Criterion("s", "above", threshold=0.5), (0.3, 0.1, 0.5)),        # hi == t
    (Criterion("s", "negative"), (1.0, 0.0, 2.0)),                    # lo == 0
    (Criterion("s", "below", threshold=0.5), (0.7, 0.5, 0.9)),        # lo == t
])
def test_an_interval_touching_the_bound_from_the_far_side_does_not_refute(crit, iv):
    """Refuted only when hi < 0 (positive), hi < t (above), lo > 0 (negative), lo > t
    (below): strictly, as the confirmations are."""
    assert judge_criterion(crit, _s(*iv))[0] == "inconclusive"


def test_a_90_percent_interval_does_not_decide_a_95_percent_criterion():
    """The interval must be at level 1 − α or more: 90 % against the default α = 0.05 (a
    reading of 1 − 2α passed the 80 % test alone)."""
    s = _s(1.0, 0.5, 1.5, level=0.90)
    assert judge_criterion(Criterion("s", "positive"), s)[0] == "inconclusive"
    assert judge_criterion(Criterion("s", "positive", alpha=0.1), s)[0] == "confirmed"


@pytest.mark.parametrize("crit", [Criterion("s", "positive"),
                                  Criterion("s", "above", threshold=0.0),
                                  Criterion("s", "within", range=(-1.0, 1.0))])
def test_an_interval_with_no_finite_end_decides_nothing(crit):
    """Neither end finite: [−∞, −∞] (an end infinite on the wrong side) is no interval."""
    assert judge_criterion(crit, _s(-1.0, -math.inf, -math.inf))[0] == "inconclusive"


# ---- shapes as scaling -----------------------------------------------------------------------

def _shape(p_stated=0.5, p_rival=0.001, values=MIN_VALUES, complete=True):
    return ShapeTest("p", values, complete, (("a", "y ∝ a", p_stated), ("b", "y ∝ b", p_rival)),
                     {"a": "b", "b": "a"})


WITHIN = Criterion("s", "within", range=(0.75, 1.25), shape="a")


def test_the_shape_fixture_confirms_on_clean_values():
    assert judge_criterion(WITHIN, _s(1.0, 0.9, 1.1, shape=_shape()))[0] == "confirmed"


def test_a_stated_shape_is_not_confirmed_with_an_llc_estimate_excluded():
    """Excluded LLCs refute only, with a shape too (the shape path had skipped the rule)."""
    s = _s(1.0, 0.9, 1.1, shape=_shape(), n_excluded=1)
    assert judge_criterion(WITHIN, s)[0] == "inconclusive"


def test_a_shape_on_errors_without_between_run_spread_is_not_confirmed():
    s = _s(1.0, 0.9, 1.1, shape=_shape(complete=False))
    assert judge_criterion(WITHIN, s)[0] == "inconclusive"


@pytest.mark.parametrize("p_stated, p_rival", [(None, 0.001), (0.5, None)])
def test_an_undefined_fit_p_confirms_no_shape(p_stated, p_rival):
    """Replicates without spread leave the lack-of-fit p undefined: it decides nothing, as
    neither a fit (stated) nor a rejection (rival)."""
    s = _s(1.0, 0.9, 1.1, shape=_shape(p_stated, p_rival))
    assert judge_criterion(WITHIN, s)[0] == "inconclusive"


def test_a_shape_not_fitted_decides_nothing():
    c = Criterion("s", "within", range=(0.75, 1.25), shape="c")
    assert judge_criterion(c, _s(1.0, 0.9, 1.1, shape=_shape()))[0] == "inconclusive"


def test_a_one_sided_interval_never_confirms_a_shape_but_refutes_by_its_end():
    shaped = Criterion("s", "above", threshold=1.0, shape="a")
    assert judge_criterion(shaped, _s(2.0, 1.5, math.nan, shape=_shape()))[0] == "inconclusive"
    below = Criterion("s", "below", threshold=1.0, shape="a")
    assert judge_criterion(below, _s(2.0, 1.5, math.nan, shape=_shape()))[0] == "refuted"


def test_a_refutation_by_the_interval_stands_whatever_the_shape_fit_says():
    """Too few values and an unrejected rival keep a shape from being confirmed, not an
    interval disjoint from the range from refuting."""
    s = _s(2.0, 1.8, 2.2, shape=_shape(p_rival=0.5, values=MIN_VALUES - 1))
    assert judge_criterion(WITHIN, s)[0] == "refuted"


def test_an_uncontrolled_absolute_lambda_is_not_refuted_by_its_shape_fit():
    """needs_controls: it decides nothing, not even by a shape rejected at p < 0.01."""
    s = _s(1.0, 0.9, 1.1, shape=_shape(p_stated=0.001, p_rival=0.5), needs_controls=True)
    assert judge_criterion(WITHIN, s)[0] == "inconclusive"
    assert judge_criterion(WITHIN, _s(1.0, 0.9, 1.1, shape=_shape(0.001, 0.5)))[0] == "refuted"


# ---- statements about λ survive the reruns ---------------------------------------------------

def _lam(est, **kw):
    return Statistic("s", est, est - 0.5, est + 0.5, 0.95, "t", 10, min_n=5, about="lambda",
                     **kw)


def test_every_rerun_must_be_computed():
    c = Criterion("s", "positive")
    for missing in RERUN_SETTINGS:
        reruns = {k: _lam(2.0) for k in RERUN_SETTINGS if k != missing}
        assert judge_criterion(c, _lam(2.0), reruns)[0] == "inconclusive", missing
    assert judge_criterion(c, _lam(2.0), {k: _lam(2.0) for k in RERUN_SETTINGS})[0] == "confirmed"


@pytest.mark.parametrize("moved", RERUN_SETTINGS)
def test_a_verdict_that_moves_at_any_one_rerun_is_not_decided(moved):
    reruns = {k: _lam(0.2 if k == moved else 2.0) for k in RERUN_SETTINGS}
    assert judge_criterion(Criterion("s", "positive"), _lam(2.0), reruns)[0] == "inconclusive"


def test_a_rerun_is_judged_by_the_same_rules_as_the_estimate():
    """A rerun whose statistic excluded an LLC estimate cannot confirm there, so the
    confirmation does not survive it (the reruns had been read by their interval alone)."""
    reruns = {k: _lam(2.0, n_excluded=1 if k == RERUN_SETTINGS[0] else 0)
              for k in RERUN_SETTINGS}
    assert judge_criterion(Criterion("s", "positive"), _lam(2.0), reruns)[0] == "inconclusive"


def test_reruns_are_read_at_the_criterions_own_alpha():
    res = {0.1: SimpleNamespace(statistics={"s": _lam(2.0)})}
    claim = SimpleNamespace(criteria=[Criterion("s", "positive", alpha=0.1)], withhold="")
    v, why, _ = judge_experiment(claim, res, reruns={k: res for k in RERUN_SETTINGS})
    assert v == "confirmed", why


# ---- refuted if any, confirmed if all --------------------------------------------------------

def test_the_claim_verdict_does_not_depend_on_the_criteria_order():
    stats = {"up": _s(1.0, 0.5, 1.5), "near": _s(0.1, -0.5, 0.7), "down": _s(-1.0, -1.5, -0.5)}
    res = {0.05: SimpleNamespace(statistics=stats)}

    def verdict(*names):
        claim = SimpleNamespace(criteria=[Criterion(n, "positive") for n in names], withhold="")
        return judge_experiment(claim, res)[0]

    assert verdict("near", "up") == verdict("up", "near") == "inconclusive"
    assert verdict("down", "up") == verdict("up", "down") == "refuted"
    assert verdict("near", "down", "up") == "refuted"


def test_a_refutation_about_lambda_must_survive_the_reruns_too():
    """Not only a confirmation: a refutation that moves at a rerun, or lacks one, is not
    decided (the rule had been checked on confirmations only)."""
    c = Criterion("s", "positive")
    assert judge_criterion(c, _lam(-2.0), {k: _lam(-2.0) for k in RERUN_SETTINGS})[0] == "refuted"
    moved = {k: _lam(-0.2 if k == RERUN_SETTINGS[-1] else -2.0) for k in RERUN_SETTINGS}
    assert judge_criterion(c, _lam(-2.0), moved)[0] == "inconclusive"
    assert judge_criterion(c, _lam(-2.0), None)[0] == "inconclusive"


def test_a_claim_of_no_criterion_is_never_confirmed():
    """The claim loader refuses an empty [[criteria]]; called directly, the judge had read
    all([]) as every criterion confirmed."""
    from types import SimpleNamespace

    from slttheory.verify.judge.experiment import judge_experiment

    verdict, reason, outcomes = judge_experiment(SimpleNamespace(criteria=()), {})
    assert (verdict, outcomes) == ("inconclusive", []) and "no criterion" in reason
