"""Experiment claims name every fault of a file in one error, as point claims do
(``claims.common.Faults``): independent faults together, in the order the checks run; one fault
as it always read; a check that needs another's result only where that passed."""

from pathlib import Path

import pytest

from slttheory.experiments import EXPERIMENTS
from slttheory.verify.claims import (
    ClaimError,
    Criterion,
    ExperimentClaim,
    load_claim,
    parse_experiment_claim,
    read_toml,
)

ROOT = Path(__file__).resolve().parents[2] / "verification" / "experiments"

EXPECT_UP = "criteria[0].expect: must be one of positive, negative, above, below, within, got 'up'"
ALPHA = ("criteria[1].alpha: must be a number in (0, 0.1] (an interval at level 1 − alpha of at "
         "least 90%: a larger alpha narrows it towards a bare point estimate), got 0.5")
FAMILY = ("family: unknown key for kind = 'experiment' (allowed: criteria, criterion, "
          "differences, experiment, id, kind, notes, profiles, settings, source, statement, "
          "title, withhold)")


def _claim(**over):
    d = {"id": "x", "title": "t", "source": "s", "kind": "experiment",
         "experiment": "_selftest",
         "criteria": [{"statistic": "mean", "expect": "positive"},
                      {"statistic": "mean", "expect": "positive"}]}
    d.update(over)
    return {k: v for k, v in d.items() if v is not None}


def _three_faults():
    """A bad expect, a bad alpha in another criterion, an unknown top-level key."""
    return _claim(family="x", criteria=[{"statistic": "mean", "expect": "up"},
                                        {"statistic": "mean", "expect": "positive",
                                         "alpha": 0.5}])


def _message(data, path="f.toml"):
    with pytest.raises(ClaimError) as e:
        parse_experiment_claim(data, path)
    return str(e.value)


def test_three_independent_faults_are_named_together_in_a_stable_order():
    msg = _message(_three_faults())
    assert msg == f"f.toml: 3 faults: {FAMILY}; {EXPECT_UP}; {ALPHA}"
    assert _message(_three_faults()) == msg


def test_three_faults_in_a_file_name_the_file_and_each_key(tmp_path):
    data = _three_faults()
    f = tmp_path / "bad.toml"
    f.write_text(
        'id = "x"\ntitle = "t"\nsource = "s"\nkind = "experiment"\nexperiment = "_selftest"\n'
        'family = "x"\n[[criteria]]\nstatistic = "mean"\nexpect = "up"\n'
        '[[criteria]]\nstatistic = "mean"\nexpect = "positive"\nalpha = 0.5\n')
    assert read_toml(f.read_text(), str(f)) == data
    with pytest.raises(ClaimError) as e:
        load_claim(f, {})
    assert str(e.value) == f"{f}: 3 faults: {FAMILY}; {EXPECT_UP}; {ALPHA}"


@pytest.mark.parametrize("data, alone", [
    (_claim(family="x"), FAMILY),
    (_claim(criteria=[{"statistic": "mean", "expect": "up"},
                      {"statistic": "mean", "expect": "positive"}]), EXPECT_UP),
    (_claim(criteria=[{"statistic": "mean", "expect": "positive"},
                      {"statistic": "mean", "expect": "positive", "alpha": 0.5}]), ALPHA),
])
def test_one_fault_reads_as_before(data, alone):
    assert _message(data) == f"f.toml: {alone}"


def test_faults_of_every_part_are_gathered_in_the_order_the_checks_run():
    msg = _message(_claim(title=None, statement="", settings={"runs": 0},
                          criterion={"statistic": "zzz", "expect": "positive", "bogus": 1},
                          withhold=" ", differences=[1]))
    keys = [m.split(": ", 1)[0] for m in msg.removeprefix("f.toml: 7 faults: ").split("; ")]
    assert keys == ["title", "statement", "criterion.bogus", "criterion.statistic", "withhold",
                    "differences", "settings"], msg
    assert "settings: runs must be >= 1, got 0" in msg


@pytest.mark.parametrize("data, alone", [
    # a threshold or range is checked only against a valid expect
    (_claim(criterion={"statistic": "mean", "expect": "up", "threshold": 1, "range": [2, 1]},
            criteria=None),
     "criterion.expect: must be one of positive, negative, above, below, within, got 'up'"),
    # statistics, shapes and settings only against a registered experiment
    (_claim(experiment="nope", settings={"bogus": 1},
            criterion={"statistic": "zzz", "expect": "positive", "shape": "s"}, criteria=None),
     "experiment: unknown experiment 'nope'"),
    (_claim(experiment=3), "experiment: must be a non-empty string, got 3"),
    # a shape only of a known statistic
    (_claim(criterion={"statistic": "zzz", "expect": "positive", "shape": "s"}, criteria=None),
     "criterion.statistic: 'zzz' is not a statistic of this experiment (allowed: mean)"),
    # a table that fails alone is not merged into a profile's settings too
    (_claim(profiles={"quick": {"settings": {"runs": 0}}}),
     "profiles.quick.settings: runs must be >= 1, got 0"),
    (_claim(settings=3), "settings: must be a table"),
    (_claim(settings={"runs": 10**400}), "settings.runs: "),
    # [[criteria]] that is not an array does not also make [criterion] missing
    (_claim(criteria=[]), "criteria: must be a non-empty array of tables ([[criteria]])"),
])
def test_a_check_that_needs_another_runs_only_where_that_passed(data, alone):
    msg = _message(data)
    assert msg.startswith(f"f.toml: {alone}") and " faults: " not in msg, msg


def test_a_bad_criterion_does_not_hide_a_bad_setting():
    msg = _message(_claim(settings={"runs": 0},
                          criteria=[{"statistic": "mean", "expect": "up"}]))
    assert msg.startswith("f.toml: 2 faults: criteria[0].expect: ") and msg.endswith(
        "; settings: runs must be >= 1, got 0"), msg


def _expected(f: Path) -> ExperimentClaim:
    """The claim a valid file stands for, read off its TOML without the validator."""
    d = read_toml(f.read_text(), str(f))
    raw = ([d["criterion"]] if "criterion" in d else []) + d.get("criteria", [])
    crits = tuple(Criterion(
        c["statistic"], c["expect"],
        float(c["threshold"]) if "threshold" in c else None,
        tuple(float(x) for x in c["range"]) if "range" in c else None,
        float(c.get("alpha", 0.05)), c.get("shape")) for c in raw)
    settings = {"": dict(d.get("settings", {})),
                **{p: dict(t.get("settings", {})) for p, t in d.get("profiles", {}).items()}}
    return ExperimentClaim(
        d["id"], d["title"], d["source"], d["experiment"], settings, crits,
        d.get("statement", ""), d.get("notes", ""), str(f),
        implemented=EXPERIMENTS[d["experiment"]].implemented,
        withhold=d.get("withhold", "").strip(), differences=tuple(d.get("differences", [])))


@pytest.mark.parametrize("f", sorted(ROOT.glob("*.toml")), ids=lambda f: f.name)
def test_every_shipped_experiment_claim_loads_as_it_reads(f):
    c = load_claim(f, {})
    assert c == _expected(f)
    assert [type(x.threshold) for x in c.criteria] == [
        type(x.threshold) for x in _expected(f).criteria]
