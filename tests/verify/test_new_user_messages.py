"""Messages a new user meets first (an outside usability audit): a misspelt family is named
with its nearest known name, a family of the user's own module points at ``--families``, and
an unquoted number in ``predicted`` says to quote it."""

from __future__ import annotations

import pytest

from slttheory.models import FAMILIES
from slttheory.verify.claims import ClaimError, parse_claim

BASE = {"id": "c", "title": "t", "source": "s", "family": "regular", "kind": "closed_form",
        "evidence": ["closed_form"], "grid": {"d": [2]}, "predicted": "d/2"}


def _error(**changed) -> str:
    with pytest.raises(ClaimError) as e:
        parse_claim({**BASE, **changed}, "c.toml", FAMILIES)
    return str(e.value)


def test_a_misspelt_family_names_the_nearest_one():
    why = _error(family="reduced_rank_regresion")
    assert "c.toml" in why and "did you mean 'reduced_rank_regression'?" in why


def test_an_unknown_family_points_at_families_option():
    assert "--families MODULE:NAME" in _error(family="my_cubic_model")


@pytest.mark.parametrize("value", [0.5, 1])
def test_an_unquoted_predicted_number_says_to_quote_it(value):
    why = _error(predicted=value)
    assert "predicted" in why and "quote it" in why and str(value) in why


def test_families_info_describes_a_family_without_claim_files(tmp_path, monkeypatch, capsys):
    """What a claim can set, found without reading the source (an outside usability audit:
    the only way had been FAMILIES[name].parameters in Python)."""
    from slttheory.verify import cli

    monkeypatch.chdir(tmp_path)  # no verification/ here: --families-info needs none
    assert cli.main(["--families-info", "quadratic_network"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("quadratic_network: ")
    assert "loss     one of centred, mse, default 'centred'" in out
    assert "hypotheses: units_active" in out
    with pytest.raises(SystemExit) as e:
        cli.main(["--families-info", "quadratic"])
    assert e.value.code == 2 and "unknown family 'quadratic'" in capsys.readouterr().err
