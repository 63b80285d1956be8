"""Edge inputs that decided verdicts (an outside statistician's audit) and decide nothing
now: zero pure error in a shape's lack-of-fit test, an interval known on one side only for a
criterion that states a shape, non-positive or non-finite errors in a scaling fit."""

import math

import numpy as np

from slttheory.experiments import ShapeTest, Statistic
from slttheory.experiments import stats as st
from slttheory.verify.claims import Criterion
from slttheory.verify.judge import judge_criterion


def test_a_shape_criterion_is_not_confirmed_on_a_one_sided_interval():
    """A statistic whose interval is known on one side only is not decidable, and the shape
    rules were skipped for it: 3 values, no run spread and the rival not rejected, yet
    'confirmed'. It may still refute by its known end."""
    fits = (("exp", "GSM ∝ exp(−b·lr)", 0.5), ("power", "GSM ∝ lr^(−a)", 0.6))
    t = ShapeTest("lr", 3, False, fits, {"exp": "power", "power": "exp"})
    c = Criterion("gsm_decay_rate", "positive", shape="exp")
    one = Statistic("gsm_decay_rate", 2.0, 1.0, math.nan, 0.95, "t", 10, min_n=5, shape=t)
    assert judge_criterion(c, one)[0] == "inconclusive"
    below = Statistic("gsm_decay_rate", -2.0, math.nan, -1.0, 0.95, "t", 10, min_n=5, shape=t)
    assert judge_criterion(c, below)[0] == "refuted"


def test_lack_of_fit_without_pure_error_decides_no_shape():
    """Identical replicates (pure error 0): p was 1 for an exact line and 0 for a wiggle of
    1e-6, confirming or refuting a shape on zero errors."""
    x = np.repeat([3e-3, 5e-3, 1e-2, 2e-2], 2)
    for y in (5 - 60 * x, 5 - 60 * x + 1e-6 * np.repeat([1, -1, -1, 1], 2)):
        f = st.lack_of_fit(x, y, "exp")
        assert math.isnan(f.p_value)
        t = ShapeTest("lr", 4, True, (("exp", "e", f.p_value),
                                      ("power", "p", st.lack_of_fit(np.log(x), y, "p").p_value)),
                      {"exp": "power", "power": "exp"})
        s = Statistic("gsm_decay_rate", 60.0, 50.0, 70.0, 0.95, "t", 8, min_n=5, shape=t)
        assert judge_criterion(Criterion("gsm_decay_rate", "positive", shape="exp"),
                               s)[0] == "inconclusive"


def test_a_scaling_group_with_bad_errors_decides_nothing():
    """A controlled value's σ ≤ 0 was floored to round-off (as if certified), so 1 % off the
    line refuted 'by the controlled errors'; a NaN value or σ raised LinAlgError."""
    from test_judge import _rows, scaling_claim

    from slttheory.verify.judge.scaling import _judge_group

    c = scaling_claim([0.5], shape="linear", ds=tuple(range(1, 9)))
    vals = [(d, 0.5 * d * (1.01 if d == 3 else 1.0)) for d in range(1, 9)]
    for sigma in (lambda x, v: 0.0, lambda x, v: -0.03 * v,
                  lambda x, v: math.nan if x == 8 else 0.03 * v,
                  lambda x, v: math.inf if x == 8 else 0.03 * v):
        v, why, _, _ = _judge_group(c, {}, _rows(vals, sigma, "controlled"))
        assert v == "inconclusive" and "finite positive error" in why, why
    v, why, _, _ = _judge_group(c, {}, _rows(vals[:-1] + [(8, math.nan)],
                                             lambda x, v: 0.1, "controlled"))
    assert v == "inconclusive", why
    ok, _, _, _ = _judge_group(c, {}, _rows([(d, 0.5 * d) for d in range(1, 9)],
                                            lambda x, v: 0.03 * v, "controlled"))
    assert ok == "confirmed"


def test_a_shape_criterion_without_its_statistic_is_not_computed():
    """A criterion stating a shape whose statistic was never computed (None) reads as not
    computed, not as an AttributeError on the missing statistic."""
    c = Criterion("gsm_decay_rate", "positive", shape="exp")
    assert judge_criterion(c, None) == ("inconclusive", "gsm_decay_rate: not computed")
