"""Seed 001's Thm 5.5 at a zero of the loss with inactive units (eq. 5: v_k = 0, w_k
generic): the exact rank at w* exceeds twice the stated K_eff(d + p − 1)/2, a certified
refutation (λ ≥ rank J(w*)/2, splitting lemma: no LLC estimate) wherever the theorem's measured
hypotheses hold at w*."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp
import torch

from slttheory.models import FAMILIES
from slttheory.models.hypotheses import stage_two_hypotheses
from slttheory.verify import check
from slttheory.verify.claims import load_claim
from slttheory.verify.evidence.routes import rank_route

CLAIM = Path(__file__).parents[2] / "verification" / "seed001" / "thm5.5-inactive-units.toml"


@pytest.mark.parametrize(("d", "p", "k", "k_eff"),
                         [(3, 2, 2, 1), (3, 2, 3, 2), (3, 3, 3, 1), (4, 2, 3, 2), (4, 3, 4, 4)])
def test_rank_at_w_star_counts_p_directions_per_inactive_unit(d, p, k, k_eff):
    fam = FAMILIES["quadratic_stage_two"]
    q = fam.validate({"d": d, "p": p, "k": k, "k_eff": k_eff})
    r = rank_route(fam, q, {})
    # each active unit d + p − 1 directions (Thm 4.2's count, generic here), each inactive
    # unit the p directions δv_k ⊗ w_k w_kᵀ; capped by the space of p quadratic forms
    expected = min(k_eff * (d + p - 1) + p * (k - k_eff), p * d * (d + 1) // 2)
    assert r.point_rank == expected and r.point_rank_certified
    assert not r.determines_lambda  # a special point: a lower bound on λ only
    assert fam.closed_form(q).value == sp.Rational(k_eff * (d + p - 1), 2)


def test_k_eff_above_k_is_refused_naming_the_key():
    with pytest.raises(ValueError, match="k_eff must be <= k"):
        FAMILIES["quadratic_stage_two"].validate({"k": 2, "k_eff": 3})


def test_the_claim_is_refuted_where_units_are_inactive_and_holds_where_none_is():
    r = check(CLAIM, device="cpu")
    assert r.verdict.verdict == "refuted" and r.verdict.grade == "certified"
    by_point = {(p.params["k"], p.params["k_eff"]): p.verdict.verdict for p in r.points}
    assert by_point == {(2, 1): "refuted", (3, 1): "refuted", (3, 2): "refuted",
                        (2, 2): "confirmed", (3, 3): "confirmed"}


def test_every_point_with_no_inactive_unit_has_the_stated_rank_in_both_profiles():
    # the notes say eq. 6 holds at K_eff = K (constant rank, Thm 4.2's count); at d = 3,
    # K_eff = 4 that count exceeds p·d(d+1)/2 and the rank is capped (12 < 16, 18 < 20): the
    # full grid refuted those points, Thm 4.2's literal count failing, not inactive units
    # (a review); the claim's constraint keeps K_eff(d + p − 1) <= p·d(d+1)/2
    fam = FAMILIES["quadratic_stage_two"]
    claim = load_claim(CLAIM, FAMILIES)
    for profile in ("quick", "full"):
        for pt in claim.points(profile):
            if pt["k_eff"] != pt["k"]:
                continue
            r = rank_route(fam, fam.validate(pt), {})
            assert r.point_rank == pt["k_eff"] * (pt["d"] + pt["p"] - 1), (profile, pt)


def test_effective_width_is_not_met_where_eq5_counts_other_than_the_family_k_eff():
    # the prediction uses the family's k_eff; eq. 5 counting another number of active units
    # (here an active unit's v_k shrunk to 1e-6 of the others, a clear count of 1) must not
    # read as Thm 5.5's hypothesis met for k_eff = 2
    prob = FAMILIES["quadratic_stage_two"].build(
        {"d": 3, "k": 3, "k_eff": 2, "p": 2}, n=50, generator=torch.Generator().manual_seed(0),
        refine_steps=0)
    met = {h.name: h.met for h in stage_two_hypotheses(prob)}
    assert met["effective_width"] is True
    with torch.no_grad():
        prob.model.V[:, 1] *= 1e-6
    width = {h.name: h for h in stage_two_hypotheses(prob)}["effective_width"]
    assert width.met is False and "k_eff = 2" in width.measured
