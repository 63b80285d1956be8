"""How the verifier runs its LLC controls."""

from __future__ import annotations

from types import SimpleNamespace

from slttheory.verify.evidence import controls as ctl


def test_a_controls_data_sets_are_independent_runs(monkeypatch):
    """Each data set of a control gets its own chain seed (its data seed), different from the
    point's (``settings["seed"]``): with one seed shared by every data set, the chains' noise
    would be common to them and their spread would not measure it."""
    seen = {}

    def fake_estimate_many(problems, settings, device, seed):
        seen["seed"] = list(seed)
        return [SimpleNamespace() for _ in problems]

    monkeypatch.setattr(ctl, "_build", lambda fam, q, settings, device, data_seed: data_seed)
    monkeypatch.setattr(ctl, "_estimate_many", fake_estimate_many)
    monkeypatch.setattr(ctl, "llc_evidence", lambda est: SimpleNamespace(
        mean=1.0, std_error=0.1, clean=True, problems=()))
    c = ctl.Control("regular", {"d": 2}, "regular", "1", 1, "test")
    settings = {"seed": 7}
    seeds = ctl.data_seeds(settings)
    runs = ctl.run_control_jobs([(c, s) for s in seeds], {"regular": None}, settings, "cpu")
    assert seen["seed"] == seeds and len(set(seeds)) == len(seeds) and 7 not in seeds
    assert [r.data_seed for r in runs] == seeds
