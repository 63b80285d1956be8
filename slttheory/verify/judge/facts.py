"""Evidence → graded facts about λ at one point.

A :class:`Fact` says ``low ≤ λ ≤ high`` (either side may be open) with a **grade**:

- ``certified``: exact, and independent of the claim. (a) The library's formula with
  ``standing = "established"`` (checked in this repository against an independent computation)
  whose reference is not the claim's own source — the family's own formula, or another that
  gives λ of the same model by an identity of models (a normal crossing is its own Newton
  polyhedron; a deep linear network with one hidden layer is reduced-rank regression, but
  there the two formulas are one theorem, each referenced to the other's work).
  (b) The exact Jacobian rank R₀ at the true point:
  λ ≥ R₀/2 always (splitting lemma: K has at least R₀ non-degenerate quadratic directions at w*).
  (c) The generic rank R where the family states that λ = rank/2 at its true point (minimally
  singular), or where the rank at w* is computed equal to it (then the map has constant rank
  near w*, its fibre is smooth of codimension R, and λ = R/2 by the constant-rank theorem):
  λ = R/2 (R is a certified lower bound on the generic rank; that it *is* the generic rank
  carries the Schwartz–Zippel bound on the chance that it is higher). Otherwise the generic
  rank bounds nothing: over ℝ, λ can exceed generic rank/2 (:mod:`slttheory.geometry`).
  (d) 0 ≤ λ ≤ d/2 for d parameters (K ≤ C‖w − w*‖² near a minimum; λ ≥ 0, since
  ζ(z) = ∫K^z φ is holomorphic on Re z > 0, and λ = 0 where K ≡ 0 near w*, a map constant
  there, as the rank route certifies for the centred NTK at rank 1: drawn with the upper
  side, so that a stated formula that goes negative at a case boundary is refuted).
  (d′) λ > 0 where the rank at the true point w* is 0 but the exact generic rank is at least
  1: the map the loss sees is a non-constant polynomial, so it is not constant on any
  neighbourhood of w*, K ≢ 0 there and the largest pole −λ of ζ is negative (Watanabe
  2009, *Algebraic Geometry and Statistical Learning Theory*, ch. 2: λ is a positive
  rational); "λ = 0" and "λ ≤ 0" are then refuted at a case boundary where no rank at w*
  bounds λ from below (a normal crossing's w₁²w₂² at 0). Where the rank at w* is at least 1,
  (b) says more. (e) λ ≤ (d − s)/2 where a
  symmetry orbit of dimension s passes through the built w* (:mod:`slttheory.models.symmetry`).
  (f) λ ≤ R/2 + (d − R)/4 where R is rank J(w*) itself (not a lower bound) at the family's true
  parameter, R < d (splitting lemma: K ≤ Σ_{i≤R} y_i² + C|z|⁴; :func:`hessian_rank_bound`).
- ``controlled``: an LLC whose bias and spread were measured in the same run on controls of
  certified λ (:mod:`slttheory.verify.judge.llc`), corrected by them, and whose verdict survives
  reruns at γ × 3, γ / 3 and ε / 2.
- ``uncontrolled``: an LLC without that: shown with its numbers, never decides.
- ``context``: the claim's own statement (an ``as_stated`` formula, or one from the claim's
  source): shown, never evidence.

An LLC that fails its diagnostics gives no fact at all (no information), and never blocks a
certified verdict.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

import sympy as sp

from slttheory.geometry.truepoint import AFFINE_HOW
from slttheory.verify.claims import Claim
from slttheory.verify.claims.common import cite_match
from slttheory.verify.evidence.records import (
    RERUN_CHANGES,
    RERUN_SETTINGS,
    RERUN_SETTINGS_TEXT,
    ClosedFormEvidence,
    ControlSet,
    LLCEvidence,
    PointEvidence,
    RankEvidence,
    Rerun,
    no_minimum_for_the_llc,
    records_say_w0,
)
from slttheory.verify.evidence.routes import (
    attribution,
    multiplicity_number,
    restated_source,
)
from slttheory.verify.expr import shorten
from slttheory.verify.judge.llc import Band, edge_text, llc_band

__all__ = [
    "GRADES", "Fact", "LLCAssessment", "facts_of", "assess_llc", "band_verdict", "fmt_value",
    "closed_form_grade", "stated_multiplicity", "rerun_unresolved", "band_outside_proof",
    "n_params_of", "rerun_labels_text", "hessian_rank_bound", "rerun_unusable",
]

GRADES = ("certified", "controlled", "uncontrolled", "context")


def fmt_value(v: Any) -> str:
    """Exact values as text, with a decimal when not an integer.

    >>> fmt_value(sp.Rational(7, 2)), fmt_value(sp.Integer(3)), fmt_value(1.23456)
    ('7/2 (3.5)', '3', '1.235')
    """
    if isinstance(v, sp.Basic):
        if v.is_Integer:
            return str(v)
        if v.is_number:
            return f"{v} ({float(v):.4g})"
        return str(v)
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


@dataclass(frozen=True)
class Fact:
    """``low ≤ λ ≤ high`` (``None``: open on that side) from ``route``, with its grade;
    ``low_open``: ``low < λ`` (strict, as λ > 0 where the loss is not flat near w*).

    >>> Fact("positivity", sp.Integer(0), None, "certified", "", low_open=True).interval_text()
    'λ > 0'
    """

    route: str
    low: Any
    high: Any
    grade: str
    text: str
    note: str = ""
    low_open: bool = False

    def interval_text(self) -> str:
        if self.low is None and self.high is None:
            return "no bound on λ"
        if self.low is not None and self.high is not None and self.low == self.high:
            return f"λ = {fmt_value(self.low)}"
        if self.high is None:
            return f"λ {'>' if self.low_open else '≥'} {fmt_value(self.low)}"
        if self.low is None:
            return f"λ ≤ {fmt_value(self.high)}"
        return f"λ ∈ {'(' if self.low_open else '['}{fmt_value(self.low)}, {fmt_value(self.high)}]"


@dataclass(frozen=True)
class LLCAssessment:
    """What the LLC route can say at a point: its grade, band and why."""

    grade: str  # "controlled" | "uncontrolled" | "failed" | "absent"
    band: Band | None
    why: str
    robust: bool = False
    # a controlled band that would decide, left uncontrolled because its reruns at γ × 3,
    # γ / 3 and ε / 2 failed, moved the verdict or were not run: what would decide is then
    # robustness, not a narrower band
    not_robust: bool = False


def rank_is_affine(rk: Any) -> bool:
    """Whether a rank record (a :class:`RankEvidence` or its report.json mapping) is of an
    affine map, as its rank at w* says (``point_rank_how``)."""
    how = rk.get("point_rank_how") if isinstance(rk, Mapping) else getattr(
        rk, "point_rank_how", "")
    return str(how or "").startswith(AFFINE_HOW)


def sz_text(bound: float | None, *, affine: bool = False) -> str:
    """The Schwartz–Zippel bound in words, its "≤" true as printed: the bound is rounded up
    to 2 significant digits (rounded to nearest, 5.112e-07 read "< 5.1e-07", an outside audit;
    "≤", as the bound is, not "<": a bound of exactly 0.25 read "< 0.25").

    >>> sz_text(5.112e-07), sz_text(2.2e-07)
    ('P(a higher generic rank unseen) ≤ 5.2e-07', 'P(a higher generic rank unseen) ≤ 2.2e-07')
    >>> sz_text(9.985e-07), sz_text(0.0)
    ('P(a higher generic rank unseen) ≤ 1e-06', 'the rank is maximal')

    A bound of 0 has two causes: the rank is the largest possible, or the map is affine
    (``affine``), whose Jacobian is the same at every point, whatever its rank ("rank 2 of 8
    … the rank is maximal" was printed for an NTK model whose rank 8 is impossible only
    because the map is affine: an outside audit).

    >>> sz_text(0.0, affine=True)
    'the map is affine: its rank is the same at every point'
    """
    if bound is None:
        return "P(a higher generic rank unseen) n/a"
    if bound == 0:
        return ("the map is affine: its rank is the same at every point" if affine
                else "the rank is maximal")
    if bound <= math.ulp(0.0):  # a positive bound below float64's range
        return "P(a higher generic rank unseen) ≤ 1e-300"
    d = Decimal(repr(float(bound)))
    step = Decimal(1).scaleb(d.adjusted() - 1)
    up = (d / step).to_integral_value(rounding=ROUND_CEILING) * step
    return f"P(a higher generic rank unseen) ≤ {float(up):.2g}"


def closed_form_grade(claim: Claim, cf: ClosedFormEvidence) -> tuple[str, str]:
    """``(grade, note)`` of a closed form for ``claim``: ``certified`` when its formula is
    established and its source is not the claim's own, else ``context``."""
    ref = cf.reference or cf.source
    if not cf.exact:
        return "context", "a floating-point value, not an exact one: never certified"
    if cf.standing != "established":
        return "context", (f"as stated by its source ({ref}), not checked independently: "
                           "never evidence")
    # where the reference is the other work of one hidden layer, its title and journal too
    source = "; ".join(filter(None, (cf.source, restated_source(cf.formula, cf.reference))))
    if why := cite_match(claim.source, cf.reference, source):
        # the work the formula rests on, credited to its own source, then what matched: "what
        # matched; the formula's reference: …" put two works of one author and two years in
        # one sentence and credited the DLN formula to Aoyagi & Watanabe 2005 (an outside
        # review; earlier, the reference alone had read as the matched paper)
        if why.startswith("the claim cites"):
            return "context", f"the claim's own source ({why}): not evidence for itself"
        work = attribution(cf.formula, ref)
        return "context", f"the claim's own source ({work}; {why}): not evidence for itself"
    return "certified", f"established ({cf.established_by or 'tests'})"


def _checked(cf: ClosedFormEvidence, grade: str, route: str) -> str:
    """What makes an independent formula established, in a few words, for the reason that
    cites it ("" elsewhere): a published formula certifies because tests check its values
    against another computation, which a reader should see beside it.

    >>> cf = ClosedFormEvidence("ok", established_by="tests/x.py::t: 2λ against a codimension"
    ...                         "; more")
    >>> _checked(cf, "certified", "independent closed form")
    ' (its implementation checked against a codimension)'

    In parentheses, so that what follows ("gives the predicted 1/2") reads as the formula's
    value: "; its values checked against … in two variables gives the predicted 1/2" had read
    as if a check in two variables decided a claim in three (an outside review).
    """
    if grade != "certified" or route == "closed form" or not cf.established_by:
        return ""
    what = cf.established_by.split(": ", 1)[-1].split(";")[0].strip()
    what = re.sub(r"^2?λ (against|from) ", "", what)
    return f" (its implementation checked against {shorten(what, 180)})" if what else ""


def _closed_form_facts(claim: Claim, cf: ClosedFormEvidence, route: str) -> list[Fact]:
    """A closed form as a fact graded by :func:`closed_form_grade`."""
    if cf.status != "ok":
        return []
    ref = cf.reference or cf.source
    grade, note = closed_form_grade(claim, cf)
    what = (f"{cf.formula} from {attribution(cf.formula, ref)}" if route != "closed form"
            else (cf.formula or ""))
    # another formula for the same model that is not independent of this claim is not called
    # "independent" ("independent closed form … — the claim's own source", a review found)
    route_text = route
    if route != "closed form" and grade != "certified":
        what, route_text = f"{what} (another formula for this model)", "closed form"
    if cf.value is not None and cf.sympy_value is not None:
        v = cf.sympy_value
        return [Fact(route, v, v, grade, f"{route_text} {what} λ = {fmt_value(v)} ({cf.case})"
                     + _checked(cf, grade, route), note)]
    if cf.value is not None or (cf.lower is not None and cf.sympy_lower is None):
        # a stored value that does not read as an exact number: said, never dropped silently
        raw = shorten(cf.value if cf.value is not None else cf.lower)
        return [Fact(route, None, None, "context", f"{route} {what}: its value {raw!r} does "
                     "not read as an exact number", "unreadable: never evidence")]
    if cf.lower is not None:
        lo, hi = cf.sympy_lower, cf.sympy_upper
        label = "closed-form" if route == "closed form" else f"{route_text} {what}"
        return [Fact(route, lo, hi, grade, f"{label} bounds λ ∈ [{lo}, {hi}] ({cf.case})",
                     note)]
    return []


def facts_of(claim: Claim, ev: PointEvidence) -> list[Fact]:
    """The exact (closed-form and rank) facts at a point, graded."""
    out: list[Fact] = []
    cf, rk = ev.closed_form, ev.rank
    if cf is not None:
        out += _closed_form_facts(claim, cf, "closed form")
    for other in ev.independent:
        out += _closed_form_facts(claim, other, "independent closed form")
    at = ev.at_point
    # λ(w*) is defined at a minimum of K, which a measured w* that is no local minimum of L_n
    # and no true parameter (a trained point short of convergence) is not known to be: no
    # fact about λ at w* itself (its rank, a symmetry orbit through it, λ ≤ d/2) applies there
    # (not one where its records disagree: a w* record that says w0 beside an LLC not
    # sampled as at w0 is not exempt, as the verdict's minimum rule has it, point.sampled_at_w0)
    undefined = no_minimum_for_the_llc(at, ev.llc)
    if undefined:
        # the w* record says w0 and the LLC's settings do not
        disagree = at is not None and bool(at.extras.get("true_parameter"))
        what = ("not known to be a true parameter (the w* record says it is one; the LLC "
                "there was not sampled as at one)" if disagree else "not a true parameter")
        out.append(Fact("w*", None, None, "context",
                        f"w* is not a local minimum of L_n and {what}, so λ at w* is not "
                        "defined", "no fact at w* (its rank, a symmetry orbit "
                        "through it, λ ≤ d/2) applies"))
    elif (at is not None and at.status == "ok" and at.checks.get("is_local_min") is None
          and not records_say_w0(at, ev.llc)):
        # a measured w* whose critical-point check gave no answer (it raised) and that is no
        # true parameter (a trained point): not known to be a minimum, so λ at w* is not known
        # to be defined, and no fact at w* is certified there either (an orbit of dimension 2
        # through such a w* had refuted λ = 3/2 as certified: an outside theorist's review)
        undefined = True
        why = at.checks.get("error") or "no result"
        out.append(Fact("w*", None, None, "context",
                        f"w* was not checked to be a local minimum of L_n ({why}) and is not "
                        "a true parameter, so λ at w* is not known to be defined",
                        "no fact at w* (its rank, a symmetry orbit through it, λ ≤ d/2) "
                        "applies"))
    if rk is not None and rk.status == "ok" and rk.rank is not None:
        r = sp.Rational(rk.rank, 2)
        if (rk.point_rank is not None and rk.point_rank_certified and rk.inputs_determine
                and not undefined):  # else the rank map may see outputs the loss does not
            if rk.point_rank > 0:
                r0 = sp.Rational(rk.point_rank, 2)
                out.append(Fact("rank at w*", r0, None, "certified",
                                f"exact Jacobian rank {rk.point_rank} at w* ⇒ λ ≥ "
                                f"{fmt_value(r0)} (splitting lemma; {rk.point_rank_how})"))
            elif rk.certified and rk.rank > 0:
                out.append(Fact("positivity", sp.Integer(0), None, "certified",
                                f"exact generic rank {rk.rank} ≥ 1: the map the loss sees is "
                                "a non-constant polynomial, so K ≢ 0 near w* (a zero of K, "
                                "the family's true parameter) ⇒ λ > 0 (the largest pole −λ "
                                "of ζ(z) = ∫K^z φ is negative)", low_open=True))
        if (hb := hessian_rank_bound(rk, n_params_of(ev), undefined)) is not None:
            out.append(hb)
        # drawn also where λ at w* is undefined: "λ = rank/2" (RankProblem.gives_lambda) is
        # the family's statement about its true parameter w0, the point the claim's params
        # fix (a generic, support or exact true point, never a trained one: every package
        # family that states it builds its true point; a plugin's statement is never taken,
        # routes.rank_route), and λ at w0 is what the claim is about (routes.W_STAR_RULE);
        # a trained w* that is no minimum leaves λ at w* undefined, not λ at w0. The rank
        # at w* equal to R (below) is about w* itself, so it is not drawn there
        if rk.determines_lambda and rk.equality_certified:
            out.append(Fact("generic rank", r, r, "certified",
                            f"exact Jacobian rank {rk.rank} of {rk.n_params}, λ = rank/2 = "
                            f"{fmt_value(r)} ({rk.reason}; "
                            f"{sz_text(rk.bound, affine=rank_is_affine(rk))})"))
        elif (rk.inputs_determine and rk.equality_certified and rk.point_rank_certified
              and rk.point_rank == rk.rank and not undefined):
            out.append(Fact("generic rank", r, r, "certified",
                            f"the rank at w* ({rk.point_rank}) equals the generic rank, so the map "
                            f"has constant rank near w* and its fibre is smooth of codimension "
                            f"{rk.rank}: λ = rank/2 = {fmt_value(r)} (constant-rank theorem; "
                            f"{sz_text(rk.bound, affine=rank_is_affine(rk))})"))
    orb = {} if at is None or at.status != "ok" or undefined else at.orbit
    if orb.get("dimension") is not None and orb.get("n_params"):
        u = sp.Rational(orb["n_params"] - orb["dimension"], 2)
        text = (f"a symmetry orbit of dimension {orb['dimension']} through w* "
                f"({orb['how']}) ⇒ λ ≤ ({orb['n_params']} − {orb['dimension']})/2 = "
                f"{fmt_value(u)}")
        if orb.get("stated"):  # a plugin's orbit (or the package's on a plugin's build)
            out.append(Fact("symmetry orbit", None, u, "context",
                            f"{text}, as stated by {orb['stated']}, outside slttheory, whose "
                            "tests do not check it", "not evidence"))
        else:
            out.append(Fact("symmetry orbit", None, u, "certified", text))
    # λ ≤ d/2 whatever the routes did: the rank record knows d even where the Jacobian was
    # too large to rank, and the measurements at w* (orbit, minimum) know it where no rank
    # route ran
    n_params = n_params_of(ev)
    if n_params and not undefined:
        d = sp.Rational(n_params, 2)
        out.append(Fact("dimension", sp.Integer(0), d, "certified",
                        f"{n_params} parameters ⇒ 0 ≤ λ ≤ {fmt_value(d)} (K ≤ C‖w − w*‖² "
                        "near a minimum; λ ≥ 0 for every model, as K ≥ 0)"))
    return out


def hessian_rank_bound(rk: RankEvidence | None, n_params: int | None,
                       undefined: bool = False) -> Fact | None:
    """λ ≤ R/2 + (d − R)/4, certified, from the exact rank R of the Hessian of K at a true
    parameter w* with d parameters, where R < d (``None`` where a condition below fails, or
    R = d: the bound is then d/2, drawn as "dimension").

    The theorem. Let K ≥ 0 be analytic near w* with K(w*) = 0 and Hessian of rank R there.
    By the splitting lemma (Gromoll & Meyer 1969; Arnold, Gusein-Zade & Varchenko 1985,
    Vol. I §11) there are analytic coordinates (y, z) ∈ ℝ^R × ℝ^(d−R) centred at w*, a local
    diffeomorphism, in which K = Σ_{i≤R} y_i² + g(z) with g(0) = 0 and a vanishing 2-jet.
    g ≥ 0 (K ≥ 0 at y = 0), so g ≡ 0 or its lowest non-zero homogeneous part g_m has even
    degree m ≥ 4: m ≥ 3 by the 2-jet, and an odd g_m takes a negative value g_m(v) < 0 (as
    g_m(−v) = −g_m(v)), whence g(tv) = t^m g_m(v) + O(t^(m+1)) < 0 for small t > 0. So
    0 ≤ g ≤ C|z|⁴ near 0, and K ≤ K₂ := Σ y_i² + C|z|⁴. A larger function has a smaller
    set {K₂ < t} ⊂ {K < t}, so its volume V₂(t) ≤ V(t), and as V(t) ≍ t^λ (log 1/t)^(m−1)
    (λ from the volume of {K < t} near w*, under a prior positive and bounded there;
    Watanabe 2009, Algebraic Geometry and Statistical Learning Theory), λ(K) ≤ λ(K₂). The
    scaling y ↦ t^(1/2) y, z ↦ t^(1/4) z maps {K₂ < 1} onto {K₂ < t}, so
    V₂(t) = c·t^(R/2 + (d−R)/4) exactly: λ(K₂) = R/2 + (d − R)/4. A change of coordinates
    by a local analytic diffeomorphism changes volumes by bounded factors and not λ. Hence
    λ(w*) ≤ R/2 + (d − R)/4 = (d + R)/4, below d/2 whenever R < d.

    R is the rank of J(w*). At a true parameter of a squared-error model (Gaussian noise,
    the centred loss on the centred map), K(w) = c·E‖f(w, x) − f(w*, x)‖² and its residuals
    vanish at w*, so the Hessian of K at w* is 2c·E[JₓᵀJₓ], of rank exactly rank J(w*)
    over the data's support; where the design's inputs determine the function, a direction
    in the kernel of J on the design is in the kernel of every Jₓ (∂f/∂w along it is a
    function of the model's class that vanishes on the design), so R = rank J(w*) on the
    design. The bound grows with R: a lower bound on rank J(w*) (a mod-p rank, a float SVD
    rank, an exact rank at another point of the stratum) would make it too small, so only a
    rank that is at least rank J(w*) counts.

    The conditions, each checked here on the rank route's record:

    (a) w* is the family's true parameter, a zero of K: the rank problem's stated point
        (``true_point`` "generic", "support" or "exact", never "trained"), and λ at w* is
        defined (``undefined``: a measured w* that is no minimum and no true parameter);
    (b) R is rank J(w*) itself, exact over ℚ (``point_rank_exact``: an exact rank at the
        integer w* or of an affine map, or the largest possible rank min(rows, d), which
        rank J(w*) cannot exceed), on the package's own rank map and build, where the loss
        is squared error on the map ranked (the rank route sets it only there);
    (c) the inputs determine the function (``inputs_determine``), so that R is the rank of
        the population Hessian;
    (d) d is the model's parameter count (:func:`n_params_of`), and the rank map has as many
        parameters (``n_params``).

    >>> rk = RankEvidence("ok", rank=1, n_params=3, point_rank=0, point_rank_certified=True,
    ...                   point_rank_exact=True, inputs_determine=True, true_point="exact")
    >>> hessian_rank_bound(rk, 3).high
    3/4
    >>> hessian_rank_bound(rk, 3, undefined=True) is None
    True
    """
    if (rk is None or rk.status != "ok" or undefined  # (a): λ at w* defined
            or rk.true_point not in ("generic", "support", "exact")  # (a): a true parameter
            or rk.point_rank is None or not rk.point_rank_certified
            or rk.point_rank_exact is not True  # (b): rank J(w*) itself, exact over ℚ
            or not rk.inputs_determine  # (c): the rank of the population Hessian
            or not n_params or rk.n_params != n_params):  # (d): d parameters, of this map
        return None
    r, d = rk.point_rank, n_params
    if not 0 <= r < d:  # R = d: λ ≤ d/2, the "dimension" fact
        return None
    hi = sp.Rational(r, 2) + sp.Rational(d - r, 4)
    return Fact("hessian rank", None, hi, "certified",
                f"the Hessian of K at the true parameter w* (a zero of K) has rank R = {r} "
                f"(exact Jacobian rank at w* of the squared-error map, whose inputs determine "
                f"the function) of d = {d} ⇒ λ ≤ R/2 + (d − R)/4 = {fmt_value(hi)} (splitting "
                f"lemma: K ≤ Σ_(i≤R) y_i² + C|z|⁴, as the rest is ≥ 0 with no 2-jet; "
                f"{rk.point_rank_how})")


def n_params_of(ev: PointEvidence) -> int | None:
    """The model's parameter count d as the routes recorded it (``None`` where none did): the
    measurements at w* (minimum, orbit) count the parameters of the model the LLC samples, and
    come first; the rank record knows d where they failed, and even where the Jacobian was too
    large to rank. (A plugin's rank map is a statement about its model: a map with fewer
    parameters than the model would make "λ ≤ d/2" too small, and refute as certified.) Known
    whatever w* is: it is what makes "λ ≤ d/2" a bound every model of the family meets
    (``judge.point``'s vacuous bounds), also where no fact at w* is drawn.

    >>> from slttheory.verify.evidence.records import AtPoint
    >>> n_params_of(PointEvidence(None, None, None, 0.0, AtPoint("ok", checks={"n_params": 4})))
    4
    """
    rk, at = ev.rank, ev.at_point
    ok = at is not None and at.status == "ok"
    orb = (at.orbit or {}) if ok else {}
    if orb.get("stated"):  # a plugin's count of its model's parameters: not taken
        orb = {}
    checks = (at.checks or {}) if ok else {}
    n = checks.get("n_params") or orb.get("n_params") or (
        rk.n_params if rk is not None and rk.n_params else None)
    return n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else None


def band_outside_proof(lo: Any, hi: Any, low: float, high: float) -> str:
    """Why an LLC band ``[low, high]`` decides nothing at a point whose certified facts allow
    λ ∈ ``[lo, hi]``, because it lies wholly outside them ("" if it does not): a band outside a
    proved bound is the estimator's error, not the theorem's."""
    if lo is None:  # λ ≥ 0 always (a log canonical threshold is positive, 0 only at a point)
        lo = sp.Integer(0)
    if (high < float(lo)) or (hi is not None and low > float(hi)):
        proved = (f"[{fmt_value(lo)}, "
                  f"{'∞' if hi is None else fmt_value(hi)}]")
        ends = tuple(float(e) for e in (lo, hi) if e is not None)  # never shown touching them
        return (f"its band [{edge_text(low, ends, 4)}, {edge_text(high, ends, 4)}] lies "
                f"outside the certified λ ∈ {proved}: "
                "the estimator or its controls are wrong here, so it decides nothing")
    return ""


def unresolved_of(lc: LLCEvidence) -> float:
    """How much higher λ may be than the estimate in directions it cannot see, as the
    estimator reports it (``diagnostics.unresolved``; 0 where absent, ``inf`` where unreadable).

    >>> unresolved_of(LLCEvidence("ok", diagnostics={"unresolved": 0.5}))
    0.5
    """
    v = (lc.diagnostics or {}).get("unresolved") if isinstance(lc.diagnostics, dict) else None
    return _excess(v)


def _excess(v: Any) -> float:
    """An ``unresolved`` as read: 0 where absent or not positive; ``inf`` where it is not a
    finite number (inf, NaN, unreadable), so that a band withholds itself rather than read an
    unknown excess as none (:func:`~slttheory.verify.judge.llc.llc_band`; an audit found
    ``inf`` read as 0, which left the band's upper end where it was)."""
    if v is None:
        return 0.0
    try:
        v = float(v)
    except (TypeError, ValueError):
        return math.inf
    if math.isnan(v):
        return math.inf
    return v if v > 0 else 0.0


def rerun_unresolved(lc: LLCEvidence, rr: Rerun) -> float:
    """What a rerun's band adds to its upper end: the larger of the base estimate's and the
    rerun's own ``unresolved`` (it grows with γ: a rerun at γ × 3 whose localisation holds
    directions the base estimate's did not must not refute a value they could reach, or a
    verdict that moves there would pass as robust).

    >>> lc = LLCEvidence("ok", diagnostics={"unresolved": 0.5})
    >>> rerun_unresolved(lc, Rerun("γ × 3", 1.0, 0.1, True, unresolved=1.5))
    1.5
    """
    return max(unresolved_of(lc), _excess(rr.unresolved))


RERUN_SHARED: tuple[str, ...] = (
    "n", "beta", "nbeta", "chains", "sampler", "batch_size", "full_batch", "params",
    "dimension", "seed", "dtype", "loss", "preconditioner", "method", "nbetas", "step_jitter",
    "multiplicity", "orbit", "exchange", "morse_bott", "true_parameter", "revision",
)
"""The ``LLCConfig`` fields a rerun shares with the estimate it reruns: everything but the
changed setting, the draws its adaptive rule ran to, the device and the list of automatic
choices. A γ rerun's ε is not among them where the estimate's was calibrated (``step_size``
in its ``auto``): the estimator calibrates it again at the rerun's γ, as it would for any
estimate at that γ; a given ε must be the same."""


def rerun_unusable(lc: LLCEvidence, rr: Rerun) -> str:
    """Why the rerun ``rr`` of the estimate ``lc`` says nothing of its verdict ("" where it
    may): it failed its diagnostics (:attr:`Rerun.clean`: failed checks listed beside
    ``passed`` count as failed), or its config, where both records keep one, is not the
    estimate's with only its setting changed by its factor (:data:`RERUN_CHANGES`,
    :data:`RERUN_SHARED`): another n, nβ, chain seed, sampler or method is no rerun of this
    estimate. Records stored without a config are compared on nothing.

    >>> lc = LLCEvidence("ok", mean=1.0, config={"seed": 1, "localization": 1.0})
    >>> rerun_unusable(lc, Rerun("γ × 3", 1.0, 0.1, True, config={"seed": 2,
    ...                                                            "localization": 3.0}))
    "its config differs from the estimate's in seed (2, not 1)"
    """
    if not rr.clean:
        return "failed its diagnostics"
    base, own = dict(lc.config or {}), dict(rr.config or {})
    if not base or not own:
        return ""
    diff = [f"{k} ({own[k]!r}, not {base[k]!r})" for k in RERUN_SHARED
            if k in base and k in own and own[k] != base[k]]
    key, factor = RERUN_CHANGES.get(rr.setting, (None, 1.0))
    others = [k for k in ("localization", "step_size") if k != key]
    if key == "localization" and "step_size" in (base.get("auto") or ()):
        others = []  # ε calibrated again at the rerun's γ
    diff += [f"{k} ({own[k]!r}, not {base[k]!r})" for k in others
             if k in base and k in own and not _same_number(own[k], base[k], 1.0)]
    if key is not None and key in base and key in own and not _same_number(
            own[key], base[key], factor):
        diff.append(f"{key} ({own[key]!r}, not {factor:.3g} × {base[key]!r})")
    return f"its config differs from the estimate's in {', '.join(diff)}" if diff else ""


def _same_number(value: Any, base: Any, factor: float) -> bool:
    """Whether ``value`` is ``factor × base`` to rounding (both numbers)."""
    try:
        return math.isclose(float(value), factor * float(base), rel_tol=1e-9, abs_tol=0.0)
    except (TypeError, ValueError):
        return False


def stated_multiplicity(ev: PointEvidence) -> tuple[int, str] | None:
    """The largest multiplicity a closed form at the point states (the family's
    formula, or one that applies by an identity of models), with the formula's name; ``None``
    where none states one. Used only to withhold an LLC's decision
    (:func:`slttheory.verify.judge.llc.beyond_controls`), so the claim's own formula may
    supply it.

    >>> cf = ClosedFormEvidence("ok", value="39/2", exact=True, multiplicity="3",
    ...                         formula="deep_linear_network")
    >>> stated_multiplicity(PointEvidence(cf, None, None, 0.0))
    (3, 'deep_linear_network')
    """
    best: tuple[int, str] | None = None
    for cf in (ev.closed_form, *ev.independent):
        # whether or not its λ is exact (a float in a plugin's value), and "3.0" as "3": a
        # multiplicity only withholds (``routes.multiplicity_number``)
        if cf is None or cf.status != "ok" or (m := multiplicity_number(cf.multiplicity)) is None:
            continue
        if best is None or m > best[0]:
            best = (m, cf.formula or "the closed form")
    # recorded with w* where the closed-form route does not run (routes._formula_multiplicity)
    extras = ev.at_point.extras if ev.at_point is not None else {}
    m = extras.get("formula_multiplicity")
    if isinstance(m, int) and not isinstance(m, bool) and (best is None or m > best[0]):
        best = (m, str(extras.get("formula_multiplicity_by") or "the family's formula"))
    return best


def assess_llc(lc: LLCEvidence | None, controls: Mapping[str, ControlSet], predicted: float,
               relation: str, tol: float, multiplicity: tuple[int, str] | None = None,
               proved: tuple[Any, Any] | None = None) -> LLCAssessment:
    """Grade an LLC: failed diagnostics give no information; without usable, agreeing controls
    of at least the point's ``multiplicity`` (:func:`stated_multiplicity`) it is uncontrolled;
    a controlled band that decides (confirms or refutes) must give the same verdict at every
    rerun. A band that decides nothing needs no robustness: it stays controlled, and the point
    is inconclusive for its width. ``proved``: the certified ``(lo, hi)`` at the point; a
    rerun whose band lies wholly outside them decides nothing there (as the point's own band
    would not: :func:`band_outside_proof`), so the verdict does not hold at that setting.
    A rerun's band is corrected by the point's controls, measured under the estimate's own
    settings (none are measured at the reruns' settings): a rerun can only withhold a
    verdict; one that failed its diagnostics or ran under other settings than the estimate's
    but its own (:func:`rerun_unusable`) leaves the verdict's robustness unknown."""
    if lc is None or lc.status != "ok":
        return LLCAssessment("absent", None, "the LLC route did not run" if lc is None
                             else f"the LLC route failed ({lc.error})")
    if not lc.clean:
        why = list(lc.problems[:3]) or [f"its value {lc.mean} is not a finite number"]
        return LLCAssessment("failed", None, "LLC diagnostics failed (no information: "
                             + "; ".join(why) + ")")
    cs = controls.get(lc.control_key) if lc.control_key else None
    unseen = unresolved_of(lc)
    band = llc_band(lc.mean, lc.std_error, cs, unseen, multiplicity)
    if not band.controlled:
        return LLCAssessment("uncontrolled", band, band.why)
    base = band_verdict(band, predicted, relation, tol)
    if base == "open":
        return LLCAssessment("controlled", band, "")
    refs = band_refs(predicted, relation, tol)  # the rerun's band is read against these
    for rr in lc.reruns:
        if why := rerun_unusable(lc, rr):
            return LLCAssessment("uncontrolled", band,
                                 f"rerun at {rr.setting} {why}, so the "
                                 "verdict's robustness is unknown", not_robust=True)
        b2 = llc_band(rr.mean, rr.std_error, cs, rerun_unresolved(lc, rr))
        # a refutation of '==' must also keep its side: bands above and below P each exclude
        # it, but they are disjoint, so one of them misses λ and the estimate is not robust
        # (a red-team audit of the LLC verdicts)
        flipped = base == "refuted" and b2.controlled and (b2.low > predicted) != (
            band.low > predicted)
        if not b2.controlled or band_verdict(b2, predicted, relation, tol) != base or flipped:
            return LLCAssessment(
                "uncontrolled", band,
                f"not robust to the estimator's settings: at {rr.setting} λ̂ = {rr.mean:.4g} "
                f"gives the band [{edge_text(b2.low, refs, 4)}, {edge_text(b2.high, refs, 4)}] "
                f"against [{edge_text(band.low, refs, 4)}, {edge_text(band.high, refs, 4)}]",
                not_robust=True)
        if proved is not None and (outside := band_outside_proof(*proved, b2.low, b2.high)):
            # the rerun's verdict is the estimator's error there, not the same verdict (a
            # band below a proved λ ≥ 1 at γ × 3 had counted as repeating a refutation)
            return LLCAssessment("uncontrolled", band, f"not robust to the estimator's "
                                 f"settings: at {rr.setting} λ̂ = {rr.mean:.4g} and {outside}",
                                 not_robust=True)
    labels = sorted(rr.setting for rr in lc.reruns)
    if labels != sorted(RERUN_SETTINGS):  # each setting once: not a count of any reruns
        return LLCAssessment("uncontrolled", band, rerun_labels_text(labels), not_robust=True)
    return LLCAssessment("controlled", band, "", robust=True)


def rerun_labels_text(labels: list[str]) -> str:
    """Why reruns labelled ``labels`` are not the reruns at :data:`RERUN_SETTINGS`, each once:
    none at all, or which expected settings are missing, which were found more than once and
    which labels are not expected settings. A rerun under an unexpected label was run (at a
    setting this judge does not know), so "were not run (found: …)" had misread it.

    >>> rerun_labels_text([])
    'the reruns at γ × 3, γ / 3 and ε / 2 were not run'
    >>> print(rerun_labels_text(["γ × 3", "γ × 2", "ε / 2"]).split(": ", 1)[1])
    missing: γ / 3; found under unexpected settings: γ × 2
    """
    if not labels:
        return f"the reruns at {RERUN_SETTINGS_TEXT} were not run"
    missing = [x for x in RERUN_SETTINGS if x not in labels]
    twice = [x for x in RERUN_SETTINGS if labels.count(x) > 1]
    unexpected = sorted({x for x in labels if x not in RERUN_SETTINGS})
    parts = ([f"missing: {', '.join(missing)}"] if missing else []) + (
        [f"run more than once: {', '.join(twice)}"] if twice else []) + (
        [f"found under unexpected settings: {', '.join(unexpected)}"] if unexpected else [])
    return (f"the reruns are not those at {RERUN_SETTINGS_TEXT}, each once: "
            + "; ".join(parts))


def band_refs(predicted: float, relation: str, tol: float) -> tuple[float, ...]:
    """The numbers :func:`band_verdict` compares a band's ends with, for
    :func:`~slttheory.verify.judge.llc.edge_text` to keep each shown end on its side of:
    the prediction and, for ``==``, the ends of its tolerance window.

    >>> band_refs(1.5, "==", 0.25), band_refs(1.5, "<=", 0.25)
    ((1.5, 1.25, 1.75), (1.5,))
    """
    return (predicted, predicted - tol, predicted + tol) if relation == "==" else (predicted,)


def band_verdict(band: Band, predicted: float, relation: str, tol: float) -> str:
    """``"refuted"`` when the band excludes the prediction, ``"confirmed"`` when it implies it
    (for ``==``: the band lies within ``predicted ± tol``, an equivalence test, so that every
    λ it admits is within the tolerance; a band of half-width ``tol`` that merely contains the
    prediction admitted values ``2 tol`` away: an outside audit), else ``"open"``.

    >>> b = Band(True, 0.9, 1.1)
    >>> band_verdict(b, 1.0, "==", 0.15), band_verdict(b, 2.0, "==", 0.15)
    ('confirmed', 'refuted')
    >>> band_verdict(b, 1.0, "==", 0.05), band_verdict(b, 1.2, "<=", 0.0)
    ('open', 'confirmed')
    >>> band_verdict(b, 0.92, "==", 0.15)   # contains 0.92, half-width 0.1, but reaches 1.1
    'open'
    """
    lo, hi, p = band.low, band.high, predicted
    if relation == "==":
        if p < lo or p > hi:
            return "refuted"
        return "confirmed" if p - tol <= lo and hi <= p + tol else "open"
    if relation in ("<=", "<"):
        if lo > p or (relation == "<" and lo >= p):
            return "refuted"
        return "confirmed" if (hi < p if relation == "<" else hi <= p) else "open"
    if hi < p or (relation == ">" and hi <= p):
        return "refuted"
    return "confirmed" if (lo > p if relation == ">" else lo >= p) else "open"
