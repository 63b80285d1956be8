"""A claim that cites its source by title, journal reference or DOI, without the first
author's name, is still that source's claim: its own formula must not certify it.

A red-team run: the reduced-rank regression claim of case 1 with source "Stochastic
complexities of reduced rank regression in Bayesian estimation, Neural Networks
18(7):924-933, 2005" (Aoyagi & Watanabe 2005 by title) was "confirmed (certified)" by the
family's Aoyagi & Watanabe formula and Aoyagi 2024's restatement of it, while the same
claim citing "Aoyagi & Watanabe 2005" was inconclusive; likewise a deep linear network claim
citing Aoyagi 2024 by title.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from slttheory.models import FAMILIES
from slttheory.verify.claims.common import cite_match
from slttheory.verify.evidence.routes import closed_form_route, independent_forms_route
from slttheory.verify.judge.facts import closed_form_grade

AW2005_BY_TITLE = ("Stochastic complexities of reduced rank regression in Bayesian estimation,"
                   " Neural Networks 18(7):924-933, 2005")
AW2005_BY_JOURNAL = "Neural Netw. 18 (2005) 924"
AW2005_BY_DOI = "doi:10.1016/j.neunet.2005.03.014, 2005"
A2024_BY_TITLE = ("Consideration on the learning efficiency of multiple-layered neural "
                  "networks with linear units, Neural Networks (2024)")


def _forms(family, params):
    fam = FAMILIES[family]
    q = fam.validate(params)
    return [closed_form_route(fam, q), *(e for e in independent_forms_route(fam, q)
                                         if e.formula in ("reduced_rank_regression",
                                                          "deep_linear_network"))]


@pytest.mark.parametrize("source", [AW2005_BY_TITLE, AW2005_BY_JOURNAL, AW2005_BY_DOI,
                                    A2024_BY_TITLE])
@pytest.mark.parametrize(("family", "params"), [
    ("reduced_rank_regression", {"m": 3, "n": 3, "h": 2, "r": 0}),
    ("deep_linear_network", {"widths": (2, 2, 3), "r": 0}),
])
def test_a_citation_without_its_author_is_the_formulas_own(source, family, params):
    forms = _forms(family, params)
    assert len(forms) == 2  # the family's formula and the one-hidden-layer identity
    for form in forms:
        grade, note = closed_form_grade(SimpleNamespace(source=source), form)
        assert grade == "context" and "own source" in note, (form.formula, source, note)


def test_another_work_of_the_same_year_still_certifies():
    for form in _forms("reduced_rank_regression", {"m": 3, "n": 3, "h": 2, "r": 0}):
        for source in ("Smith 2005, Neural Networks 19(2):100-110",
                       "A study of singular models, Neural Networks 18(3):300-310, 2005"):
            assert closed_form_grade(SimpleNamespace(source=source), form)[0] == \
                "certified", (form.formula, source)


def test_the_reason_says_what_matched():
    form = _forms("reduced_rank_regression", {"m": 3, "n": 3, "h": 2, "r": 0})[0]
    note = closed_form_grade(SimpleNamespace(source=AW2005_BY_JOURNAL), form)[1]
    assert "volume 18 and page 924" in note, note
    assert "title" in cite_match(AW2005_BY_TITLE, "", form.source)


@pytest.mark.parametrize("source", [AW2005_BY_TITLE, AW2005_BY_JOURNAL, A2024_BY_TITLE])
@pytest.mark.parametrize(("family", "params"), [
    ("reduced_rank_regression", {"m": 3, "n": 3, "h": 2, "r": 0}),
    ("deep_linear_network", {"widths": (2, 2, 3), "r": 0}),
])
def test_nor_does_it_certify_the_claims_controls(source, family, params):
    """A control's λ must be certified independently of the claim's source, however the
    claim cites it: these rank-deficient points rest on Aoyagi & Watanabe 2005 alone."""
    from slttheory.verify.evidence.controls import certify

    assert certify(FAMILIES[family], params, source) is None
    assert certify(FAMILIES[family], params, "Smith 2020") is not None
