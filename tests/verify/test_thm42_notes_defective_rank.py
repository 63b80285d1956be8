"""The notes of the Thm 4.2 claim state the dimension of the generic image of θ ↦ (Q_1, …, Q_p)
for p ≥ 2 as min(K(d + p − 1), p·d(d+1)/2), its expected dimension. That image is a secant
variety of the Segre–Veronese P^{p−1} × ν₂(P^{d−1}), which can be defective: at
(d, p, K) = (4, 3, 5), a point of the claim's full grid, the exact generic rank is 29, not 30
(tests/formulas/test_quadratic.py's DEFECTIVE). There Thm 4.2 fails on every reading (both give
15, the rank gives 29/2), so the notes must name the exception rather than state the count as a
fact (an outside theorist's audit)."""

from __future__ import annotations

from pathlib import Path

from slttheory.models import FAMILIES
from slttheory.verify.claims import load_claim
from slttheory.verify.evidence.routes import rank_route

CLAIM = Path(__file__).parents[2] / "verification" / "seed001" / "thm4.2-underparametrised.toml"


def test_notes_name_every_grid_point_where_the_generic_rank_is_below_its_expected_dimension():
    fam = FAMILIES["quadratic_network"]
    claim = load_claim(CLAIM, FAMILIES)
    defective: set[tuple[int, int, int]] = set()
    seen: set[tuple[int, int, int]] = set()
    for profile in ("quick", "full"):
        for pt in claim.points(profile):
            d, p, k = pt["d"], pt["p"], pt["k"]
            if p < 2 or (d, p, k) in seen:
                continue
            seen.add((d, p, k))
            r = rank_route(fam, fam.validate(pt), {})
            assert r.certified and r.determines_lambda, (d, p, k)
            if r.rank != min(k * (d + p - 1), p * d * (d + 1) // 2):
                defective.add((d, p, k))
    assert defective == {(4, 3, 5)}
    for d, p, k in defective:
        assert f"(d, p, K) = ({d}, {p}, {k})" in claim.notes, (d, p, k)
