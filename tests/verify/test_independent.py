"""Closed forms of other formulas by an identity of models agree with the family's own.

These identities are what lets :func:`slttheory.verify.evidence.routes.independent_forms_route`
stand in for a family's formula that a claim cites: a normal crossing is a monomial whose
Newton polyhedron gives λ (Watanabe 2009 against Varchenko 1976). A deep linear network with
one hidden layer *is* reduced-rank regression too, and the values agree, but there the two
formulas are one theorem (Aoyagi 2024's Thm 1 restates Aoyagi & Watanabe 2005): neither
decides a claim citing either work.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from slttheory.models import FAMILIES
from slttheory.verify.evidence.records import PointEvidence
from slttheory.verify.evidence.routes import independent_forms_route


def _both(family, params):
    fam = FAMILIES[family]
    q = fam.validate(params)
    own = fam.closed_form(q)
    other = independent_forms_route(fam, q)[0]
    assert other.status == "ok", other.error
    assert other.standing == "established" and other.reference != own.reference
    return sp.sympify(own.value), other.sympy_value, other


@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 7), n=st.integers(1, 7), h=st.integers(1, 7), data=st.data())
def test_rrr_and_its_one_hidden_layer_network_agree(m, n, h, data):
    r = data.draw(st.integers(0, min(m, n, h)))
    own, other, ev = _both("reduced_rank_regression", {"m": m, "n": n, "h": h, "r": r})
    assert own == other and ev.formula == "deep_linear_network"
    own, other, ev = _both("deep_linear_network", {"widths": (m, h, n), "r": r})
    assert own == other and ev.formula == "reduced_rank_regression"


@pytest.mark.parametrize(("family", "params", "other"), [
    ("reduced_rank_regression", {"m": 4, "n": 8, "h": 3, "r": 0}, "deep_linear_network"),
    ("deep_linear_network", {"widths": (2, 2, 3), "r": 0}, "reduced_rank_regression"),
])
def test_one_hidden_layer_is_one_theorem_not_independent_evidence(family, params, other):
    """Aoyagi 2024's Thm 1 restates Aoyagi & Watanabe 2005: the report had confirmed each
    work's claims "by an independent closed form" from the other (an outside walkthrough).
    For a claim citing either work the other formula is context; for a third work's claim it
    still certifies (its values are checked against Pepin Lehalleur & Rimányi)."""
    from slttheory.verify.evidence.routes import closed_form_route
    from slttheory.verify.judge.facts import closed_form_grade

    fam = FAMILIES[family]
    q = fam.validate(params)
    (ev,) = [e for e in independent_forms_route(fam, q) if e.formula == other]
    own = closed_form_route(fam, q)  # the family's own formula: the same theorem
    for form in (ev, own):
        for source in ("Aoyagi & Watanabe 2005, Neural Networks 18(7), main theorem",
                       "Aoyagi 2024, Neural Networks 172:106132, Thm 2"):
            grade, note = closed_form_grade(SimpleNamespace(source=source), form)
            assert grade == "context" and "own source" in note, (form.formula, source, note)
        assert closed_form_grade(SimpleNamespace(source="Someone 2020"), form)[0] == \
            "certified"


@settings(max_examples=30, deadline=None)
@given(powers=st.lists(st.integers(0, 4), min_size=1, max_size=4).filter(any))
def test_normal_crossing_and_its_newton_polyhedron_agree(powers):
    own, other, ev = _both("normal_crossing", {"powers": tuple(powers)})
    assert own == other and ev.formula == "newton_polyhedron"


@settings(max_examples=30, deadline=None)
@given(widths=st.lists(st.integers(1, 6), min_size=2, max_size=6), data=st.data())
def test_every_deep_linear_network_gets_the_fibre_codimension_bound(widths, data):
    """Any depth: λ ≤ codim/2 of the multiplication map's fibre (Pepin Lehalleur & Rimányi),
    certified independently of Aoyagi 2024 — and Aoyagi's λ attains it."""
    r = data.draw(st.integers(0, min(widths)))
    fam = FAMILIES["deep_linear_network"]
    q = fam.validate({"widths": tuple(widths), "r": r})
    bound = independent_forms_route(fam, q)[-1]
    assert bound.formula == "dln_codimension_bound" and bound.value is None
    assert bound.standing == "established" and bound.reference == "Pepin Lehalleur & Rimányi 2024"
    assert bound.sympy_lower == 0 and bound.sympy_upper == sp.sympify(fam.closed_form(q).value)


def test_other_families_have_none():
    reg = FAMILIES["regular"]
    assert independent_forms_route(reg, reg.validate({"d": 3})) == ()


def test_evidence_round_trips_with_its_independent_forms():
    fam = FAMILIES["normal_crossing"]
    ind = independent_forms_route(fam, fam.validate({"powers": (1, 2)}))
    ev = PointEvidence(None, None, None, 0.5, independent=ind)
    back = PointEvidence.from_dict(ev.to_dict())
    assert back == ev and back.independent[0].value == "1/4"
    assert PointEvidence.from_dict({"closed_form": None, "rank": None, "llc": None}) \
        .independent == ()


def test_a_claim_quoting_aoyagi_2024_is_still_judged_by_the_fibre_bound():
    """A deep network (no RRR identity), a claim citing the family's own formula: an
    overstated λ is refuted (certified) by Pepin Lehalleur & Rimányi's bound; the true value
    is not confirmed by it (a bound, and the family's formula is context)."""
    from slttheory.verify.claims import parse_claim
    from slttheory.verify.evidence.routes import closed_form_route
    from slttheory.verify.judge import point_verdict

    fam = FAMILIES["deep_linear_network"]
    q = fam.validate({"widths": (7, 7, 8, 9, 12, 13), "r": 0})
    ev = PointEvidence(closed_form_route(fam, q), None, None, 0.0,
                       independent=independent_forms_route(fam, q))

    def verdict(predicted, relation="=="):
        c = parse_claim({"id": "c", "title": "t", "family": "deep_linear_network",
                         "source": "Aoyagi 2024, Neural Networks 172:106132, Thm 2",
                         "kind": "closed_form", "predicted": predicted, "relation": relation,
                         "evidence": ["closed_form"],
                         "grid": {"widths": [[7, 7, 8, 9, 12, 13]], "r": [0]}},
                        "c.toml", FAMILIES)
        p = dict(q)
        return point_verdict(c, p, ev, c.predicted_at(p))

    over = verdict("20")
    assert (over.verdict, over.grade) == ("refuted", "certified")
    assert "Pepin Lehalleur & Rimányi" in over.reason
    assert verdict("39/2").verdict == "inconclusive"
    assert verdict("39/2", "<=").verdict == "confirmed"


def test_one_tanh_unit_is_a_normal_crossing():
    """h = 1: K(a, b) = ½a²b²·u(b) with u(0) = E[x²] > 0, so λ = 1/2, m = 2 by the normal
    crossing rule (Watanabe 2009), independently of Aoyagi & Watanabe 2005's tanh formula
    (as stated); larger h have no identity here."""
    import torch

    own, other, ev = _both("tanh_network", {"h": 1})
    assert own == other == sp.Rational(1, 2) and ev.multiplicity == "2"
    fam = FAMILIES["tanh_network"]
    assert independent_forms_route(fam, fam.validate({"h": 2})) == ()
    # the unit: K/(a²b²) at small (a, b) is ½·E[x²] on the family's own inputs
    prob = fam.build({"h": 1, "noise": 0.0}, n=2000, refine_steps=0, generator=0)
    x = prob.data[0].double().reshape(-1)
    for a, b in ((1e-3, 1e-3), (2e-3, -1e-3)):
        k = 0.5 * ((a * torch.tanh(b * x)) ** 2).mean()
        assert float(k / (a * a * b * b)) == pytest.approx(0.5 * float((x * x).mean()), rel=1e-5)


def test_one_tanh_unit_cited_from_watanabe_2009_is_decided_by_varchenko():
    """A claim citing Watanabe 2009 (whose normal crossing rule gives the tanh unit's λ) stayed
    inconclusive while the same crossing on the normal_crossing family was confirmed by
    Varchenko's Newton polyhedron (an outside acceptance run): both identities are routes."""
    from slttheory.verify.claims import parse_claim
    from slttheory.verify.evidence.routes import closed_form_route
    from slttheory.verify.judge import point_verdict

    fam = FAMILIES["tanh_network"]
    q = fam.validate({"h": 1})
    ind = independent_forms_route(fam, q)
    assert [f.formula for f in ind] == ["normal_crossing", "newton_polyhedron"]
    assert all(f.sympy_value == sp.Rational(1, 2) for f in ind)
    ev = PointEvidence(closed_form_route(fam, q), None, None, 0.0, independent=ind)

    def verdict(predicted):
        c = parse_claim({"id": "c", "title": "t", "family": "tanh_network",
                         "source": "Watanabe 2009, Algebraic Geometry and SLT, Ch. 7",
                         "kind": "closed_form", "predicted": predicted,
                         "evidence": ["closed_form"], "grid": {"h": [1]}}, "c.toml", FAMILIES)
        return point_verdict(c, dict(q), ev, c.predicted_at(dict(q)))

    true, false = verdict("1/2"), verdict("1")
    assert (true.verdict, true.grade) == ("confirmed", "certified")
    assert "Varchenko" in true.reason
    assert (false.verdict, false.grade) == ("refuted", "certified")
