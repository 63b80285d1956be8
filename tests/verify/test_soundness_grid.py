"""A soundness grid, end to end: the package's families of proved λ, judged by the certified
routes only (closed forms and exact ranks, no LLC), never confirm a false value nor refute a
true one, and decide wherever their certified facts force a decision.

For each point the true claim is run through the engine (:func:`run_claims`, as the CLI
does) three times: with a source that cites no formula's reference ("own"), so that the
family's established closed form is certified evidence; with the source of that formula
itself (Watanabe 2009; Aoyagi & Watanabe 2005; Aoyagi 2024: "cites"), so that it is the
claim's own statement and only the other routes may decide (the exact Jacobian rank at w*,
the generic rank where the family states λ = rank/2, λ ≤ d/2, the Hessian-rank bound, the
independent forms); and citing every formula that gives λ or a bound for the model (also
Varchenko 1976 and Pepin Lehalleur & Rimányi 2024: "rank"), so that only the rank route and
the dimension decide. The engine computes each point's evidence once (its routes do not
depend on the claim's source or prediction), and the three true claims and the false values
at the point (λ ± 1/2, 5λ/4, 4λ/5, d/2, rank/2, and just beyond R₀/2 and d/2) are judged
on it by :func:`point_verdict`, the function the engine judges with; one test runs them all
through the engine too.
Truth, per family:

- ``regular``, ``polynomial_regression``, ``linear_regression_toy``: λ = d/2 (Watanabe 2009,
  regular case; the polynomial's Jacobian is a Vandermonde matrix of full rank);
- ``low_rank_linear``: λ = r(2d − r)/2, half the dimension of the rank-r d×d matrices
  (Watanabe 2009, regular case after reparametrisation);
- ``normal_crossing``: λ = 1/(2 max k_j) for K = Π w_j^{2k_j} (Watanabe 2009, Ch. 2);
- ``reduced_rank_regression``: Aoyagi & Watanabe 2005, Neural Networks 18(7):924–933, main
  theorem, cases 1–4 (written out again here, :func:`rrr_lambda`);
- ``deep_linear_network``: Aoyagi 2024, Neural Networks 172:106132, Thm 2 (the package's
  form, checked here against :func:`rrr_lambda` at one hidden layer and d/2 at none).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slttheory.formulas import deep_linear_network
from slttheory.models import FAMILIES
from slttheory.verify.claims import parse_claim_text
from slttheory.verify.evidence.records import PointEvidence, no_minimum_for_the_llc
from slttheory.verify.judge.facts import facts_of
from slttheory.verify.judge.point import point_verdict
from slttheory.verify.run import run_claims

# cites no formula's reference (a year none of them has): the family's form is certified
OWN = "Soundness grid 2026, tests/verify/test_soundness_grid.py"
# the reference of each family's formula (slttheory.formulas.standing): the claim's own source
CITES = {
    "regular": "Watanabe 2009, Algebraic Geometry and Statistical Learning Theory",
    "polynomial_regression": "Watanabe 2009, Algebraic Geometry and Statistical Learning Theory",
    "linear_regression_toy": "Watanabe 2009, Algebraic Geometry and Statistical Learning Theory",
    "low_rank_linear": "Watanabe 2009, Algebraic Geometry and Statistical Learning Theory",
    "normal_crossing": "Watanabe 2009, Algebraic Geometry and Statistical Learning Theory, Ch. 2",
    "reduced_rank_regression": "Aoyagi & Watanabe 2005, Neural Networks 18(7)",
    "deep_linear_network": "Aoyagi 2024, Neural Networks 172:106132, Thm 2",
}
# the family's reference and every independent form's: only rank and dimension facts remain
RANK_ONLY = {
    **CITES,
    "normal_crossing": CITES["normal_crossing"] + "; Varchenko 1976, Newton polyhedra",
    # and the normal crossing that one hidden unit at the true product 0 is, in polar
    # coordinates (Watanabe 2009)
    "reduced_rank_regression": CITES["reduced_rank_regression"]
    + "; Pepin Lehalleur & Rimányi 2024, Prop. 8.4; " + CITES["normal_crossing"],
    "deep_linear_network": CITES["deep_linear_network"]
    + "; Pepin Lehalleur & Rimányi 2024, Prop. 8.4; " + CITES["normal_crossing"],
}
# families whose λ an independent established form fixes even for a claim citing the
# family's own: a normal crossing is a monomial, its Newton polyhedron (Varchenko 1976)
EXACT_INDEPENDENT = {"normal_crossing"}


def exact_independent(case: Case) -> bool:
    """Whether an independent established form fixes λ at ``case`` for a claim citing the
    family's own formula: every normal crossing (its Newton polyhedron), and a linear network
    with one hidden unit at the true product 0 (a normal crossing in polar coordinates,
    Watanabe 2009)."""
    if case.family in EXACT_INDEPENDENT:
        return True
    q = dict(case.params)
    if case.family == "reduced_rank_regression":
        return (q["h"], q["r"]) == (1, 0)
    if case.family == "deep_linear_network":
        w = tuple(q["widths"])
        return len(w) == 3 and (w[1], q["r"]) == (1, 0)
    return False


def rrr_lambda(m: int, n: int, h: int, r: int) -> Fraction:
    """λ of reduced-rank regression y = BAx, x ∈ ℝ^m, A: h×m, B: n×h, true rank r (Aoyagi &
    Watanabe 2005, Neural Networks 18(7):924–933, main theorem, in its letters M = m,
    N = n, H = h)."""
    if m + h < n + r:  # case 2
        return Fraction(h * m - h * r + n * r, 2)
    if n + h < m + r:  # case 3
        return Fraction(h * n - h * r + m * r, 2)
    if m + n < h + r:  # case 4
        return Fraction(m * n, 2)
    odd = (m + n + h + r) % 2  # case 1, +1/8 where m + n + h + r is odd
    return Fraction(2 * (h + r) * (m + n) - (m - n) ** 2 - (h + r) ** 2 + odd, 8)


def dln_lambda(widths: tuple[int, ...], r: int) -> Fraction:
    """λ of the deep linear network of ``widths`` (input first) at true rank r (Aoyagi 2024,
    Neural Networks 172:106132, Thm 2), from the package's form, which must agree with
    Aoyagi & Watanabe 2005 at one hidden layer and with d/2 at none."""
    lam = Fraction(str(deep_linear_network(list(widths), r=r).value))
    if len(widths) == 2:
        assert lam == Fraction(widths[0] * widths[1], 2)
    if len(widths) == 3:
        assert lam == rrr_lambda(widths[0], widths[2], widths[1], r), widths
    return lam


@dataclass(frozen=True)
class Case:
    """One grid point of one family with its true λ, dimension d and (where this file can
    say it independently) the generic rank R and the rank R₀ at the family's true point."""

    family: str
    params: dict[str, Any]
    lam: Fraction
    d: int
    generic_rank: int | None = None
    point_rank: int | None = None
    label: str = field(default="", compare=False)

    def toml(self) -> str:
        """The point as a claim's ``[fixed]`` table."""
        def val(v: Any) -> str:
            if isinstance(v, bool):
                return str(v).lower()
            if isinstance(v, list | tuple):
                return "[" + ", ".join(str(x) for x in v) + "]"
            return repr(v)
        return "\n".join(f"{k} = {val(v)}" for k, v in self.params.items())


def regular(d: int, noise: float = 1.0) -> Case:
    return Case("regular", {"d": d, "noise": noise}, Fraction(d, 2), d, d, d)


def poly(degree: int, noise: float = 1.0) -> Case:
    k = degree + 1
    return Case("polynomial_regression", {"degree": degree, "noise": noise}, Fraction(k, 2),
                k, k, k)


def toy() -> Case:
    return Case("linear_regression_toy", {}, Fraction(1), 2, 2, 2)


def low_rank(d: int, r: int, noise: float = 1.0) -> Case:
    dim = r * (2 * d - r)
    return Case("low_rank_linear", {"d": d, "r": r, "noise": noise}, Fraction(dim, 2),
                2 * d * r, dim, dim)


def normal_crossing(powers: tuple[int, ...], noise: float = 1.0) -> Case:
    return Case("normal_crossing", {"powers": list(powers), "noise": noise},
                Fraction(1, 2 * max(powers)), len(powers))


def rrr(m: int, n: int, h: int, r: int, noise: float = 1.0) -> Case:
    k = min(m, n, h)
    return Case("reduced_rank_regression", {"m": m, "n": n, "h": h, "r": r, "noise": noise},
                rrr_lambda(m, n, h, r), h * (m + n), k * (m + n - k), r * (m + n - r))


def dln(widths: tuple[int, ...], r: int, noise: float = 1.0) -> Case:
    k = min(widths)
    d = sum(a * b for a, b in itertools.pairwise(widths))
    return Case("deep_linear_network", {"widths": list(widths), "r": r, "noise": noise},
                dln_lambda(widths, r), d, k * (widths[0] + widths[-1] - k))


# every case boundary of the formulas: RRR's four cases and case 1's parity, the equalities
# between them (m + h = n + r, n + h = m + r, h + r = m + n), r = 0 and r = min(m, n, h);
# DLN at no hidden layer, one (= RRR), ties among the reduced widths and r = min(widths);
# normal crossings with ties of the largest power and zero powers; regular models at d = 1
BOUNDARY = [
    regular(1), regular(4, noise=0.0), poly(0), poly(3), toy(),
    low_rank(1, 1), low_rank(3, 1), low_rank(3, 3), low_rank(2, 2, noise=0.0),
    normal_crossing((1,)), normal_crossing((2, 2)), normal_crossing((0, 3)),
    normal_crossing((1, 1, 1)), normal_crossing((3, 1, 2), noise=0.0),
    normal_crossing((5, 5)),  # its rank map leaves float64: the rank route errors
    rrr(2, 2, 2, 0),  # case 1 even
    rrr(3, 3, 1, 0),  # case 1 odd
    rrr(2, 4, 1, 0),  # case 2
    rrr(4, 2, 1, 0),  # case 3
    rrr(1, 1, 3, 0),  # case 4 at r = 0
    rrr(1, 1, 2, 1),  # case 4 at r = min
    rrr(2, 3, 1, 0),  # m + h = n + r: case 1 meets case 2
    rrr(3, 2, 1, 0),  # n + h = m + r: case 1 meets case 3
    rrr(1, 2, 3, 0),  # h + r = m + n: case 1 meets case 4
    rrr(3, 3, 2, 2),  # r = h = min
    rrr(2, 3, 3, 2),  # r = m = min
    rrr(3, 4, 2, 1, noise=0.0),
    dln((2, 3), 0), dln((3, 2), 2),
    dln((2, 2, 3), 0), dln((2, 1, 2), 0), dln((2, 1, 2), 1),
    dln((2, 2, 2, 2), 0), dln((1, 2, 2, 1), 0), dln((3, 2, 2, 3), 1),
    dln((2, 3, 2, 3), 2), dln((2, 2, 2), 1, noise=0.0),
]


def _claim(case: Case, predicted: Fraction, source: str, cid: str, relation: str = "=="):
    """The claim that λ ``relation`` ``predicted`` (λ = P by default) at ``case``'s point,
    in TOML as a researcher writes it, parsed as the CLI parses a file; certified routes
    only."""
    text = f'''
id = "{cid}"
title = "soundness grid: {case.family}"
source = "{source}"
family = "{case.family}"
kind = "closed_form"
predicted = "{predicted.numerator}/{predicted.denominator}"
relation = "{relation}"
evidence = ["closed_form", "rank"]
[grid]
[fixed]
{case.toml()}
'''
    return parse_claim_text(text, f"{cid}.toml", FAMILIES)


@dataclass(frozen=True)
class Forced:
    """What the certified facts at the point force, computed here from the evidence's
    exact numbers by the theorems alone: ``low ≤ λ ≤ high`` (λ ≥ 0 holds for every model,
    and the verifier draws it with λ ≤ d/2, so a negative prediction is refuted), and
    ``low < λ`` where ``low_open`` (λ > 0 where the loss is not flat near w*)."""

    low: Fraction
    high: Fraction
    low_open: bool = False

    def __contains__(self, p: Fraction) -> bool:
        return (self.low < p if self.low_open else self.low <= p) and p <= self.high


def forced(case: Case, ev: PointEvidence, mode: str) -> Forced:
    """The interval the certified facts force (verification/README.md, Evidence):
    λ ≥ R₀/2 (splitting lemma, R₀ the exact rank at w*); λ ≤ d/2; λ ≤ R₀/2 + (d − R₀)/4
    where R₀ = rank J(w*) exactly (the Hessian of K is 2JᵀJ); λ = R/2 where the family
    justifies it or R₀ equals the generic rank R; and, where the claim does not cite it, the
    family's established closed form; a normal crossing's Newton polyhedron unless it is
    cited too."""
    lo = Fraction(0)
    hi = Fraction(case.d, 2)
    if mode == "own" or (mode == "cites" and exact_independent(case)):
        return Forced(case.lam, case.lam)
    rk = ev.rank
    if rk is None or rk.status != "ok":  # e.g. a map whose integer values leave float64
        return Forced(lo, hi)
    assert rk.n_params == case.d, (case, rk.n_params)
    if case.generic_rank is not None:  # the rank map's exact rank against the theory
        assert rk.rank == case.generic_rank, (case, rk.rank)
    if case.point_rank is not None and rk.point_rank is not None:
        assert rk.point_rank == case.point_rank, (case, rk.point_rank)
    assert not no_minimum_for_the_llc(ev.at_point, ev.llc), case  # w* is the true parameter
    r0 = rk.point_rank
    # λ > 0 where the rank at w* is 0 but the map is not constant (generic rank ≥ 1): K ≢ 0
    # near the zero w* of K, so ζ's largest pole is negative
    positive = False
    if r0 is not None and rk.point_rank_certified and rk.inputs_determine:
        lo = Fraction(r0, 2)
        positive = r0 == 0 and rk.certified and rk.rank > 0
        if rk.point_rank_exact and rk.true_point != "trained" and r0 < case.d:
            hi = min(hi, Fraction(case.d + r0, 4))
    if rk.equality_certified and (rk.determines_lambda or (
            rk.point_rank_certified and rk.inputs_determine and r0 == rk.rank)):
        return Forced(Fraction(rk.rank, 2), Fraction(rk.rank, 2))
    return Forced(lo, hi, positive)


def _fraction(x: Any) -> Fraction | None:
    return None if x is None else Fraction(str(sp.nsimplify(x)))


def holds(lam: Fraction, rel: str, p: Fraction) -> bool:
    """Whether ``λ rel p``."""
    return {"<=": lam <= p, "<": lam < p, ">=": lam >= p, ">": lam > p, "==": lam == p}[rel]


def implied(lo: Fraction | None, hi: Fraction | None, rel: str, p: Fraction,
            lo_open: bool = False) -> bool:
    """Whether every λ in [lo, hi] (``(lo, hi]`` where ``lo_open``) satisfies ``λ rel p``
    (``None``: that side open)."""
    if rel in ("<=", "<"):
        return hi is not None and holds(hi, rel, p)
    if rel in (">=", ">"):
        return lo is not None and (holds(lo, rel, p) or (lo_open and rel == ">" and lo == p))
    return lo is not None and lo == hi == p and not lo_open


def excluded(lo: Fraction | None, hi: Fraction | None, rel: str, p: Fraction,
             lo_open: bool = False) -> bool:
    """Whether no λ in [lo, hi] (``(lo, hi]`` where ``lo_open``) satisfies ``λ rel p``."""
    if rel in ("<=", "<"):
        return lo is not None and (not holds(lo, rel, p) or (lo_open and p == lo))
    if rel in (">=", ">"):
        return hi is not None and not holds(hi, rel, p)
    return ((lo is not None and (p < lo or (lo_open and p == lo)))
            or (hi is not None and p > hi))


def check_reason(v: Any, rel: str, p: Fraction, mode: str, formula: str) -> None:
    """The reason says what decided, and what it says is true: it opens with the verdict;
    a decided point names its grade (and, for a bound, the relation) and only certified
    facts before "against"/"gives", each of which excludes P alone (a refutation) or implies
    the bound alone (a confirmation of ``<``, ``<=``, ``>``, ``>=``), or which together fix
    λ = P (a confirmation of ``==``); a claim citing the family's form is never decided by
    that form, nor one citing every form by any form."""
    reason = v.reason
    assert reason.startswith(v.verdict), reason
    if v.verdict not in ("confirmed", "refuted"):
        assert "(certified)" not in reason.split(";")[0], reason
        return
    assert v.grade == "certified" and f"{v.verdict} (certified)" in reason, reason
    if rel != "==":
        assert f"predicted λ {rel} " in reason, reason
    head = reason.split(", against the predicted" if v.verdict == "refuted"
                        else " gives the predicted")[0]
    named = [f for f in v.facts if f.text in head]
    assert named and all(f.grade == "certified" for f in named), reason
    if mode == "rank":
        assert all(f.route not in ("closed form", "independent closed form")
                   for f in named), reason
    if mode != "own":
        assert f"closed form {formula} λ" not in head.replace(
            f"independent closed form {formula}", ""), reason
    bounds = [(_fraction(f.low), _fraction(f.high), f.low_open) for f in named]
    if v.verdict == "confirmed" and rel == "==":  # together they fix λ = P
        los = [lo for lo, _, _ in bounds if lo is not None]
        his = [hi for _, hi, _ in bounds if hi is not None]
        assert los and his and max(los) == min(his) == p, (reason, p)
        return
    decide = excluded if v.verdict == "refuted" else implied
    for (lo, hi, lo_open), f in zip(bounds, named, strict=True):
        assert decide(lo, hi, rel, p, lo_open), (reason, f.text, p)


TALLY: dict[str, int] = {}


def _count(key: str) -> None:
    TALLY[key] = TALLY.get(key, 0) + 1


def false_values(case: Case, ev: PointEvidence) -> dict[str, Fraction]:
    """The false predictions at the point: λ ± 1/2, 5λ/4, 4λ/5, d/2 and rank/2 (at w* and the
    generic rank) where they differ from λ; −1/4 (below the λ ≥ 0 every model has: a stated
    formula that goes negative at a case boundary); just below the splitting lemma's R₀/2 and
    just above d/2 (which only the rank at w* and the dimension refute where the claim cites every
    formula for the model and w* has no exact rank, e.g. reduced-rank regression at r > 0)."""
    lam, rk = case.lam, ev.rank
    out = {"lambda+1/2": lam + Fraction(1, 2), "5/4*lambda": lam * Fraction(5, 4),
           "lambda-1/2": lam - Fraction(1, 2), "4/5*lambda": lam * Fraction(4, 5),
           "d/2": Fraction(case.d, 2), "d/2+1/4": Fraction(case.d, 2) + Fraction(1, 4),
           "-1/4": Fraction(-1, 4)}
    if rk is not None and rk.status == "ok" and rk.point_rank is not None:
        out["rank_at_w*/2"] = Fraction(rk.point_rank, 2)
        if rk.point_rank > 0:
            out["rank_at_w*/2-1/4"] = Fraction(rk.point_rank, 2) - Fraction(1, 4)
    if rk is not None and rk.status == "ok":
        out["generic_rank/2"] = Fraction(rk.rank, 2)
    return {k: v for k, v in out.items() if v != lam}


def _certified(claim: Any, ev: PointEvidence) -> list[Any]:
    return [f for f in facts_of(claim, ev) if f.grade == "certified"]


def judge_grid_point(case: Case, engine_modes: tuple[str, ...] = ("rank",)) -> None:
    """Run the true claim end to end in ``engine_modes`` (the others are judged on the
    evidence of the first: the routes do not depend on the claim's source or prediction);
    judge the false ones on that evidence; assert soundness (never a wrong verdict, never an
    error) and completeness where the certified facts force a decision."""
    formula = FAMILIES[case.family].formula.__name__
    modes = {"own": OWN, "cites": CITES[case.family], "rank": RANK_ONLY[case.family]}
    claims = {m: _claim(case, case.lam, src, f"true-{m}") for m, src in modes.items()}
    results = dict(zip(engine_modes, run_claims([claims[m] for m in engine_modes],
                                                profile="quick", families=FAMILIES,
                                                device="cpu"), strict=True))
    for mode, source in modes.items():
        (pt,) = results.get(mode, results[engine_modes[0]]).points
        ev = pt.evidence
        f = forced(case, ev, mode)
        assert case.lam in f, (case, f)  # the facts themselves are sound
        v = point_verdict(claims[mode], pt.params, ev, sp.Rational(case.lam.numerator,
                                                                   case.lam.denominator))
        if mode in results:  # the engine judged as point_verdict does
            assert (pt.verdict.verdict, pt.verdict.reason) == (v.verdict, v.reason)
        assert v.verdict in ("confirmed", "inconclusive"), (case, mode, v.reason)
        if f.low == f.high:
            assert v.verdict == "confirmed", (case, mode, v.reason)
        check_reason(v, "==", case.lam, mode, formula)
        _count(f"true/{mode}/{v.verdict}")
        drawn = _certified(claims[mode], ev)
        for what, p in false_values(case, ev).items():
            c = _claim(case, p, source, "false")
            # never a statement as evidence for itself: the certified facts depend on the
            # claim's source (which formulas are its own), never on what it predicts
            assert _certified(c, ev) == drawn, (case, mode, what)
            w = point_verdict(c, pt.params, ev, c.predicted_at(pt.params))
            assert w.verdict in ("refuted", "inconclusive"), (case, mode, what, p, w.reason)
            if p not in f:
                assert w.verdict == "refuted", (case, mode, what, p, f, w.reason)
            check_reason(w, "==", p, mode, formula)
            _count(f"false/{mode}/{w.verdict}")


@pytest.mark.parametrize("case", BOUNDARY, ids=lambda c: f"{c.family}-{c.toml()}".replace(
    "\n", ","))
def test_every_case_boundary_is_judged_soundly(case: Case) -> None:
    """Every case boundary of the formulas: no true value refuted, no false one confirmed,
    no error, and a decision wherever the certified facts force one."""
    judge_grid_point(case)


_SETTINGS = settings(max_examples=5, deadline=None, derandomize=True, database=None,
                     suppress_health_check=[HealthCheck.too_slow])
_NOISE = st.sampled_from([1.0, 0.0])


@st.composite
def rrr_points(draw: st.DrawFn) -> Case:
    m, n, h = (draw(st.integers(1, 4)) for _ in range(3))
    return rrr(m, n, h, draw(st.integers(0, min(m, n, h))), draw(_NOISE))


@st.composite
def dln_points(draw: st.DrawFn) -> Case:
    widths = tuple(draw(st.lists(st.integers(1, 3), min_size=2, max_size=4)))
    return dln(widths, draw(st.integers(0, min(widths))), draw(_NOISE))


@st.composite
def other_points(draw: st.DrawFn) -> Case:
    kind = draw(st.sampled_from(["regular", "poly", "low_rank", "nc"]))
    noise = draw(_NOISE)
    if kind == "regular":
        return regular(draw(st.integers(1, 6)), noise)
    if kind == "poly":
        return poly(draw(st.integers(0, 5)), noise)
    if kind == "low_rank":
        d = draw(st.integers(1, 3))
        return low_rank(d, draw(st.integers(1, d)), noise)
    powers = draw(st.lists(st.integers(0, 3), min_size=1, max_size=3).filter(any))
    return normal_crossing(tuple(powers), noise)


@_SETTINGS
@given(rrr_points())
def test_reduced_rank_regression_grid_is_sound(case: Case) -> None:
    """Reduced-rank regression at drawn (m, n, h, r) (Aoyagi & Watanabe 2005)."""
    judge_grid_point(case)


@_SETTINGS
@given(dln_points())
def test_deep_linear_network_grid_is_sound(case: Case) -> None:
    """Deep linear networks of up to three layers at drawn widths and ranks (Aoyagi 2024)."""
    judge_grid_point(case)


@_SETTINGS
@given(other_points())
def test_regular_low_rank_and_normal_crossing_grid_is_sound(case: Case) -> None:
    """Regular models, polynomial regression, the rank-r manifold, normal crossings."""
    judge_grid_point(case)


@pytest.mark.parametrize("case", [rrr(3, 3, 1, 0), rrr(2, 3, 3, 2), dln((2, 2, 2, 2), 0),
                                  normal_crossing((1, 1, 1))],
                         ids=["rrr-case1-odd", "rrr-r-min", "dln-tie", "nc-tie"])
def test_false_claims_run_end_to_end_as_judged(case: Case) -> None:
    """The true claims in every mode and the false ones, each run through the engine, get
    the verdicts the grid gives them from one claim's evidence (the routes depend neither
    on the source nor on the prediction)."""
    judge_grid_point(case, ("own", "cites", "rank"))
    src = RANK_ONLY[case.family]
    true = run_claims([_claim(case, case.lam, src, "t")], profile="quick", families=FAMILIES,
                      device="cpu")[0].points[0]
    wrong = false_values(case, true.evidence)
    claims = [_claim(case, p, src, f"f{i}") for i, p in enumerate(wrong.values())]
    for c, res in zip(claims, run_claims(claims, profile="quick", families=FAMILIES,
                                         device="cpu"), strict=True):
        (pt,) = res.points
        w = point_verdict(c, true.params, true.evidence, c.predicted_at(true.params))
        assert (pt.verdict.verdict, pt.verdict.reason) == (w.verdict, w.reason)
        assert pt.verdict.verdict != "confirmed"
