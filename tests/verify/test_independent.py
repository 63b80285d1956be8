"""Closed forms of other formulas by an identity of models agree with the family's own.

These identities are what lets :func:`slttheory.verify.evidence.routes.independent_forms_route`
stand in for a family's formula that a claim cites: a deep linear network with one hidden
layer *is* reduced-rank regression (Aoyagi & Watanabe 2005 against Aoyagi 2024), and a normal
crossing is a monomial whose Newton polyhedron gives λ (Watanabe 2009 against Varchenko 1976).
"""

from __future__ import annotations

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
    (other,) = independent_forms_route(fam, q)
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


@settings(max_examples=30, deadline=None)
@given(powers=st.lists(st.integers(0, 4), min_size=1, max_size=4).filter(any))
def test_normal_crossing_and_its_newton_polyhedron_agree(powers):
    own, other, ev = _both("normal_crossing", {"powers": tuple(powers)})
    assert own == other and ev.formula == "newton_polyhedron"


def test_deeper_networks_and_other_families_have_none():
    dln = FAMILIES["deep_linear_network"]
    assert independent_forms_route(dln, dln.validate({"widths": (2, 3, 3, 2), "r": 1})) == ()
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
