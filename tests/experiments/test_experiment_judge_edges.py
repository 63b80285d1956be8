"""The experiment judge's decision table (``slttheory.verify.judge.experiment``), edge by edge:
strict inequalities, the end of the interval each rule reads, the minimum count, the
one-sided intervals, and the shape rules' thresholds."""

import math

import pytest

from slttheory.experiments import ShapeTest, Statistic
from slttheory.verify.claims import Criterion
from slttheory.verify.judge.experiment import judge_criterion
from slttheory.verify.judge.scaling import MIN_VALUES


def _s(est, lo, hi, n=10, min_n=5, **kw):
    return Statistic("s", est, lo, hi, 0.95, "t", n, min_n=min_n, **kw)


@pytest.mark.parametrize("crit, iv, verdict", [
    # positive / negative: strict, on the near end
    (Criterion("s", "positive"), (1.0, 0.2, 2.0), "confirmed"),
    (Criterion("s", "positive"), (1.0, 0.0, 2.0), "inconclusive"),     # lo == 0
    (Criterion("s", "positive"), (0.5, -0.5, 1.5), "inconclusive"),
    (Criterion("s", "positive"), (-1.0, -2.0, -0.1), "refuted"),
    (Criterion("s", "negative"), (-1.0, -2.0, 0.0), "inconclusive"),   # hi == 0
    (Criterion("s", "negative"), (-1.0, -2.0, -0.1), "confirmed"),
    (Criterion("s", "negative"), (1.0, 0.1, 2.0), "refuted"),
    # above t: confirmed only by lo > t, refuted only by hi < t
    (Criterion("s", "above", threshold=0.5), (0.55, 0.3, 0.8), "inconclusive"),
    (Criterion("s", "above", threshold=0.5), (0.7, 0.5, 0.9), "inconclusive"),  # lo == t
    (Criterion("s", "above", threshold=0.5), (0.7, 0.6, 0.9), "confirmed"),
    (Criterion("s", "above", threshold=0.5), (0.3, 0.1, 0.45), "refuted"),
    (Criterion("s", "above", threshold=0.5), (0.45, 0.2, 0.6), "inconclusive"),
    # below t
    (Criterion("s", "below", threshold=0.5), (0.45, 0.2, 0.6), "inconclusive"),
    (Criterion("s", "below", threshold=0.5), (0.3, 0.1, 0.45), "confirmed"),
    (Criterion("s", "below", threshold=0.5), (0.7, 0.6, 0.9), "refuted"),
    # within [a, b]: confirmed only when the whole interval lies inside
    (Criterion("s", "within", range=(0.75, 1.25)), (1.0, 0.8, 1.2), "confirmed"),
    (Criterion("s", "within", range=(0.75, 1.25)), (1.0, 0.5, 1.5), "inconclusive"),
    (Criterion("s", "within", range=(0.75, 1.25)), (1.0, 0.7, 1.2), "inconclusive"),
    (Criterion("s", "within", range=(0.75, 1.25)), (1.5, 1.3, 1.7), "refuted"),
    (Criterion("s", "within", range=(0.75, 1.25)), (0.5, 0.3, 0.7), "refuted"),
    # ... ends included (a ≤ lo, hi ≤ b); an interval that touches [a, b] is not disjoint
    (Criterion("s", "within", range=(0.75, 1.25)), (1.0, 0.75, 1.25), "confirmed"),
    (Criterion("s", "within", range=(0.75, 1.25)), (1.3, 1.25, 1.4), "inconclusive"),
    (Criterion("s", "within", range=(0.75, 1.25)), (0.7, 0.6, 0.75), "inconclusive"),
])
def test_interval_rules_read_the_right_end_strictly(crit, iv, verdict):
    assert judge_criterion(crit, _s(*iv))[0] == verdict


def test_min_n_is_the_fewest_units_that_decide():
    c = Criterion("s", "positive")
    assert judge_criterion(c, _s(1.0, 0.5, 1.5, n=5, min_n=5))[0] == "confirmed"
    assert judge_criterion(c, _s(1.0, 0.5, 1.5, n=4, min_n=5))[0] == "inconclusive"
    assert judge_criterion(Criterion("s", "negative"),
                           _s(1.0, 0.5, 1.5, n=4, min_n=5))[0] == "inconclusive"


def test_an_interval_known_on_one_side_decides_only_through_that_side():
    """extreme_ratio's max with some value lacking an interval: low known, high NaN (the max
    is at least low and unbounded above). It can confirm "above t" and refute "below t", never
    confirm "below t"; the min (high known, low NaN) mirrors it."""
    mx = _s(2.0, 1.5, math.nan)
    assert judge_criterion(Criterion("s", "below", threshold=1.0), mx)[0] == "refuted"
    assert judge_criterion(Criterion("s", "below", threshold=3.0), mx)[0] == "inconclusive"
    assert judge_criterion(Criterion("s", "above", threshold=1.0), mx)[0] == "confirmed"
    assert judge_criterion(Criterion("s", "within", range=(1.0, 3.0)), mx)[0] == "inconclusive"
    mn = _s(0.5, math.nan, 0.8)
    assert judge_criterion(Criterion("s", "above", threshold=1.0), mn)[0] == "refuted"
    assert judge_criterion(Criterion("s", "above", threshold=0.1), mn)[0] == "inconclusive"
    assert judge_criterion(Criterion("s", "below", threshold=1.0), mn)[0] == "confirmed"


def test_a_non_finite_estimate_decides_nothing():
    assert judge_criterion(Criterion("s", "positive"),
                           _s(math.nan, 0.5, 1.5))[0] == "inconclusive"
    assert judge_criterion(Criterion("s", "positive"),
                           _s(math.inf, 0.5, 1.5))[0] == "inconclusive"


def test_a_refutation_by_the_clean_values_stands_a_confirmation_does_not():
    c = Criterion("s", "positive")
    assert judge_criterion(c, _s(-1.0, -2.0, -0.5, n_excluded=2))[0] == "refuted"
    assert judge_criterion(c, _s(1.0, 0.5, 1.5, n_excluded=2))[0] == "inconclusive"


def _shaped(values, p_stated, p_rival, complete=True):
    t = ShapeTest("p", values, complete, (("a", "y ∝ a", p_stated), ("b", "y ∝ b", p_rival)),
                  {"a": "b", "b": "a"})
    return _s(1.0, 0.9, 1.1, shape=t)


@pytest.mark.parametrize("values, p_stated, p_rival, verdict", [
    (MIN_VALUES, 0.5, 0.01, "confirmed"),
    (MIN_VALUES - 1, 0.5, 0.01, "inconclusive"),        # too few grid values
    (MIN_VALUES, 0.5, 0.07, "inconclusive"),            # rival not rejected at 0.05
    (MIN_VALUES, 0.5, 0.049, "confirmed"),
    (MIN_VALUES, 0.04, 0.001, "inconclusive"),          # stated shape fits with p < 0.05
    (MIN_VALUES, 0.005, 0.5, "refuted"),                # stated shape rejected at 0.01
    (MIN_VALUES, 0.011, 0.5, "inconclusive"),
])
def test_shape_rule_thresholds(values, p_stated, p_rival, verdict):
    c = Criterion("s", "within", range=(0.75, 1.25), shape="a")
    assert judge_criterion(c, _shaped(values, p_stated, p_rival))[0] == verdict


def test_a_claim_is_refuted_by_any_criterion_and_confirmed_only_by_all():
    from types import SimpleNamespace

    from slttheory.verify.judge import judge_experiment

    stats = {"up": Statistic("up", 1.0, 0.5, 1.5, 0.95, "t", 10, min_n=5),
             "down": Statistic("down", -1.0, -1.5, -0.5, 0.95, "t", 10, min_n=5),
             "near": Statistic("near", 0.1, -0.5, 0.7, 0.95, "t", 10, min_n=5)}
    res = {0.05: SimpleNamespace(statistics=stats)}

    def verdict(*names):
        claim = SimpleNamespace(criteria=[Criterion(n, "positive") for n in names])
        return judge_experiment(claim, res)[0]

    assert verdict("up", "down") == "refuted"      # one refuted criterion suffices
    assert verdict("up", "near") == "inconclusive"
    assert verdict("up", "up") == "confirmed"


@pytest.mark.parametrize("lo, hi, level", [
    (0.5, -1.0, 0.95),              # ends out of order: the low end alone read "above 0"
    (math.inf, math.inf, 0.95),     # no interval at all
    (0.5, 2.0, 0.80),               # a narrower interval than the criterion's 95 %
])
def test_a_malformed_or_narrower_interval_decides_nothing(lo, hi, level):
    s = Statistic("s", 1.0, lo, hi, level, "t", 10, min_n=5)
    for c in (Criterion("s", "positive"), Criterion("s", "above", threshold=0.2)):
        assert judge_criterion(c, s)[0] == "inconclusive"
    # the criterion's own level decides as before
    ok = Statistic("s", 1.0, 0.5, 2.0, 0.9, "t", 10, min_n=5)
    assert judge_criterion(Criterion("s", "positive", alpha=0.1), ok)[0] == "confirmed"
