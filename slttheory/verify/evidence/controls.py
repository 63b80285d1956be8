r"""LLC controls: models of certified λ, estimated under the point's own estimator rules.

An LLC estimate decides nothing until its bias at the point's n, nβ, γ and step-size rules is
measured. Controls measure it: for each point whose verdict an LLC is to decide, at least three
models of **certified** λ that resemble the point are estimated under exactly the same rules
(family ``build`` with the same ``n``; the same sampler, step-size and length rules, method,
dtype and device), each on at least three independent data sets (each with its own chain
seed, :func:`run_control_jobs`). How the estimates become a
band is :func:`slttheory.verify.judge.llc.llc_band`.

Choosing controls (:func:`choose_controls`) never looks at the predicted λ. Candidates come
from the family's own rule (same sizes where the family has certified points: a regular point
— e.g. reduced-rank regression with r = min(m, n, h), where λ = rank/2 — and singular points
of multiplicity 1 and 2 from an established formula), then from generic controls (a regular
linear model, the normal crossings w₁w₂² (λ = 1/4, m = 1) and w₁w₂ (λ = 1/2, m = 2)). A
candidate is kept only if its λ is certified by an exact route *independent of the claim's
source*: an ``"established"`` library formula whose reference is not the claim's source, or an
exact Jacobian rank where the family states λ = rank/2 (a regular point only). For the linear
networks that leaves a claim citing Aoyagi 2024 or Aoyagi & Watanabe 2005 (one theorem,
restated, behind every other rank-deficient point of both families) the singular points with
one hidden unit at the true product 0, a normal crossing in polar coordinates
(:func:`_one_unit_candidates`). The first regular, multiplicity-1 and
multiplicity-2 candidates that certify are used, then further ones up to ``CONTROLS``. A family
whose every point is regular (:data:`REGULAR_ONLY`) has no singular kind to span: its controls
are the same family at neighbouring sizes, which share the point's conditioning and noise.
Every candidate whose family has a target ``noise`` takes the point's (the data law is part
of the estimator's rules; 0 where the point's family has none, a trained network sampled at
its w* with the plain estimand), and each runs at the point's sample size
(:func:`control_settings`). A model spelt another way (a normal crossing's coordinates in
another order, :data:`SAME_MODEL`) is the point, never its control.

Controls are keyed by a hash of the estimator rules, the chosen controls, the device and the
library version (:func:`control_key`), so points that share rules share controls.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slttheory._provenance import code_fingerprint
from slttheory.formulas.standing import multiplicity_checked
from slttheory.verify.claims.common import cites
from slttheory.verify.evidence.records import ControlRun, ControlSet
from slttheory.verify.evidence.routes import (
    W_STAR_RULE,
    _build,
    _estimate_many,
    _identities,
    attribution,
    closed_form_route,
    describe_error,
    llc_evidence,
    rank_route,
    restated_source,
    rests_on,
)

__all__ = [
    "CONTROLS",
    "DATASETS",
    "KINDS",
    "MAX_MULTIPLICITY",
    "REGULAR_ONLY",
    "Control",
    "candidates",
    "choose_controls",
    "control_key",
    "control_settings",
    "run_controls",
    "run_control_jobs",
    "data_seeds",
    "run_key",
]

CONTROLS = 3
"""Controls per point (a regular one, a singular one of multiplicity 1, and of multiplicity 2)."""

DATASETS = 3
"""Independent data sets per control."""

KINDS = ("regular", "singular, m = 1", "singular, m = 2")
"""The kinds of singularity the controls span, in the order they are chosen."""

MAX_MULTIPLICITY = 2
"""The highest multiplicity among :data:`KINDS`: a point of higher multiplicity has no control
that measures its bias (:func:`slttheory.verify.judge.llc.beyond_controls`)."""


@dataclass(frozen=True)
class Control:
    """A certified control: family, parameters, λ (exact text), multiplicity, how certified."""

    family: str
    params: Mapping[str, Any]
    kind: str
    lam: str
    multiplicity: int | None
    certified_by: str

    def run(self, data_seed: int, **result: Any) -> ControlRun:
        """The record of this control estimated on data set ``data_seed`` (``result``: mean,
        std_error, passed, problems, elapsed_s, or error)."""
        return ControlRun(self.family, dict(self.params), self.kind, self.lam, self.multiplicity,
                          self.certified_by, data_seed, **result)


Candidate = tuple[str, dict[str, Any]]


def _one_unit_candidates(m: int, n: int) -> list[Candidate]:
    """Reduced-rank regression with one hidden unit at the true product 0, at the point's
    input and output sizes, then square (multiplicity 2) and not (multiplicity 1) at the
    smaller: the linear networks' singular points whose λ = min(m, n)/2 an identity certifies
    without Aoyagi's formulas (a normal crossing in polar coordinates, Watanabe 2009;
    :func:`~slttheory.verify.evidence.routes._one_unit`). Every other rank-deficient point of
    both families is certified by Aoyagi 2024 or Aoyagi & Watanabe 2005 (one theorem, restated)
    only, so a claim citing either had got generic crossings alone as singular controls."""
    k = min(m, n)
    return [("reduced_rank_regression", {"m": a, "n": b, "h": 1, "r": 0})
            for a, b in ((m, n), (k, k), (k, k + 1))]


def _rrr(q: Mapping[str, Any]) -> list[Candidate]:
    m, n, h = q["m"], q["n"], q["h"]
    top = min(m, n, h)
    out: list[Candidate] = [("reduced_rank_regression", {"m": m, "n": n, "h": h, "r": top})]
    out += [("reduced_rank_regression", {"m": m, "n": n, "h": h, "r": r}) for r in range(top)]
    out += [("deep_linear_network", {"widths": (m, h, h, n), "r": r}) for r in range(top)]
    return out + _one_unit_candidates(m, n)


def _dln(q: Mapping[str, Any]) -> list[Candidate]:
    w = tuple(q["widths"])
    top = min(w)
    out: list[Candidate] = [("deep_linear_network", {"widths": w, "r": top})]
    out += [("deep_linear_network", {"widths": w, "r": r}) for r in range(top)]
    h = min(w[1:-1]) if len(w) > 2 else min(w)
    rrr = [("reduced_rank_regression", {"m": w[0], "n": w[-1], "h": h, "r": r})
           for r in range(min(w[0], w[-1], h))] + _one_unit_candidates(w[0], w[-1])
    # one hidden layer is reduced-rank regression itself: at the point's own r that is the
    # point under another name (an outside audit), never its control
    same = {"m": w[0], "n": w[-1], "h": w[1], "r": q.get("r")} if len(w) == 3 else None
    return out + [c for c in rrr if c[1] != same]


def _quadratic(q: Mapping[str, Any]) -> list[Candidate]:
    return [("quadratic_network", {"d": q["d"], "k": q["k"], "p": q.get("p", 1)})]


def _modular(q: Mapping[str, Any]) -> list[Candidate]:
    return [("quadratic_network", {"d": 2 * q["p"], "k": q["k"], "p": q["p"]})]


def _normal_crossing(q: Mapping[str, Any]) -> list[Candidate]:
    d = len(q["powers"])
    return [("regular", {"d": d}), ("normal_crossing", {"powers": (1, 2)}),
            ("normal_crossing", {"powers": (1, 1)}), ("normal_crossing", {"powers": (2, 2)}),
            ("normal_crossing", {"powers": (1, 3)})]


def _tanh(q: Mapping[str, Any]) -> list[Candidate]:
    return [("regular", {"d": 2 * q["h"]})]


def _neighbours(family: str, size: str, low: int, steps: tuple[int, ...]
                ) -> Callable[[Mapping[str, Any]], list[Candidate]]:
    """The same family at neighbouring sizes (every other parameter kept: noise, interval,
    so that conditioning and noise level resemble the point's)."""
    def rule(q: Mapping[str, Any]) -> list[Candidate]:
        x = int(q[size])
        return [(family, {**q, size: x + s}) for s in steps if x + s >= low]
    return rule


REGULAR_ONLY = frozenset({"regular", "polynomial_regression", "linear_regression_toy"})
"""Families all of whose points are regular (λ = d/2 at every point, certified by the exact
rank): the only kind of singularity they have is "regular", so their controls are regular
models of the same family at neighbouring sizes, never the generic singular ones."""


RULES: dict[str, Callable[[Mapping[str, Any]], list[Candidate]]] = {
    "reduced_rank_regression": _rrr,
    "deep_linear_network": _dln,
    "quadratic_network": _quadratic,
    "modular_addition": _modular,
    "normal_crossing": _normal_crossing,
    "tanh_network": _tanh,
    "tanh_sine_toy": lambda q: [("regular", {"d": 4})],
    "regular": _neighbours("regular", "d", 1, (1, -1, 2, -2, 3)),
    "polynomial_regression": _neighbours("polynomial_regression", "degree", 0,
                                         (1, -1, 2, -2, 3)),
    "linear_regression_toy": lambda q: [("regular", {"d": d, "noise": q.get("noise", 1.0)})
                                        for d in (2, 1, 3)],
}
"""Family → candidate controls resembling a point of that family (same sizes first)."""

GENERIC: tuple[Candidate, ...] = (
    ("regular", {"d": 4}),
    ("normal_crossing", {"powers": (1, 2)}),
    ("normal_crossing", {"powers": (1, 1)}),
)
"""Generic controls: a regular model (λ = 2), w₁w₂² (λ = 1/4, m = 1), w₁w₂ (λ = 1/2, m = 2)."""


def with_generic_controls(families: Mapping[str, Any]) -> Mapping[str, Any]:
    """``families`` with the package's families of the :data:`GENERIC` controls added where
    it lacks them (a ``--families`` mapping of a user's own models): a point of a plugin
    family then gets the same generic controls as the package's, and its LLC can be
    controlled (an outside acceptance run found every plugin LLC uncontrolled). A family of
    the mapping keeps its name."""
    missing = {fam for fam, _ in GENERIC} - set(families)
    if not missing:
        return families
    import slttheory.models  # noqa: F401 - registers the families
    from slttheory.models.registry import FAMILIES

    return {**{f: FAMILIES[f] for f in missing if f in FAMILIES}, **families}


def candidates(family: str, params: Mapping[str, Any]) -> list[Candidate]:
    """The family's own candidates, then the generic ones (duplicates and the point removed)."""
    own = RULES.get(family, lambda q: [])(params)
    seen, out = set(), []
    point = (family, json.dumps(dict(params), sort_keys=True, default=list))
    for fam, q in [*own, *(() if family in REGULAR_ONLY else GENERIC)]:
        key = (fam, json.dumps(q, sort_keys=True, default=list))
        if key in seen or key == point:
            continue
        seen.add(key)
        out.append((fam, q))
    return out


def _alternative(family: str, q: Mapping[str, Any], claim_source: str
                 ) -> tuple[str, Any, str, dict[str, Any]] | None:
    """``(formula name, result, the work it rests on there, its arguments)``: an independent
    closed *value*
    for a control's λ where the family's own is excluded, the first of
    :func:`~slttheory.verify.evidence.routes.independent_forms_route`'s identities that gives
    one from an *established* formula not of ``claim_source`` (e.g. the Newton polyhedron,
    Varchenko 1976, for a normal crossing); an as_stated formula is never a control's
    certificate. An identity of the claim's own source is passed over, not the end of the
    search: a deep linear network with one hidden unit is reduced-rank regression (Aoyagi &
    Watanabe 2005, restated by Aoyagi 2024) before it is a normal crossing (Watanabe 2009), and
    stopping at the first had left an Aoyagi 2024 claim no singular control of its kind."""
    from slttheory import formulas

    for name, args, _ in _identities(family, q):
        lc = getattr(formulas, name)(**args)
        if not hasattr(lc, "value") or getattr(lc, "standing", "") != "established":
            continue
        work = rests_on(name, args) or str(getattr(lc, "reference", ""))
        source = f"{getattr(lc, 'source', '')}; {restated_source(name, work)}"
        if not cites(claim_source, work, source):
            return name, lc, work, dict(args)
    return None


def certify(family: Any, params: Mapping[str, Any], claim_source: str) -> Control | None:
    """The control with its certified λ, or ``None`` where no exact route independent of
    ``claim_source`` certifies one."""
    q = family.validate(dict(params))
    rk = rank_route(family, q, {}) if getattr(family, "rank_problem", None) else None
    if rk is not None and rk.determines_lambda and rk.equality_certified:
        return Control(family.name, q, "regular", rk.lam or "", 1,
                       f"exact Jacobian rank {rk.rank} of {rk.n_params}, λ = rank/2 "
                       f"({rk.reason})")
    cf = closed_form_route(family, q)
    lc = None
    how = ""
    if (cf.status == "ok" and cf.value is not None and cf.standing == "established"
            and not cites(claim_source, cf.reference,
                          f"{cf.source}; {restated_source(str(cf.formula), cf.reference)}")):
        lc, how = cf, f"{cf.formula} ({cf.source}; established: {cf.established_by})"
        formula, args = str(cf.formula), q
    else:
        alt = _alternative(family.name, q, claim_source)
        if alt is not None:
            formula, lc, work, args = alt
            how = f"{formula} ({attribution(formula, work) or lc.source}; established)"
    if lc is None:
        return None
    mult = getattr(lc, "multiplicity", None)
    mult = None if mult is None else int(mult)
    if mult is not None and not multiplicity_checked(formula, args):
        # λ certified, its multiplicity only as the source states it (an audit of the
        # formulas' checks): not a control of that kind, nor one that measures a point's m
        how += f"; its multiplicity {mult} as stated, not checked here"
        mult = None
    kind = f"singular, m = {mult}" if mult is not None else "singular"
    value = lc.value if isinstance(lc.value, str) else str(lc.value)
    return Control(family.name, q, kind, value, mult, how)


SAME_MODEL: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "normal_crossing": lambda q: {**q, "powers": sorted(q["powers"])},
}
"""Family → the parameters of one model spelt one way, where several spellings are the same
model: a normal crossing's coordinates in any order (w₁²w₂ is w₁w₂² relabelled: the same
f, prior and data, so the same estimate's law). The point (2, 1) had been controlled by the
candidate (1, 2), itself under another name, whose certified λ is the point's (an audit of
the controls)."""


def _spelt(params: Mapping[str, Any], family: str = "") -> str:
    """Validated parameters as one comparable text (tuples and lists alike), without the
    noise level: the same model with other noise is the point, not its control (a noise-free
    point had been controlled by itself at noise 1, with its own certified λ, an outside
    audit); ``family``'s other spellings of one model as one (:data:`SAME_MODEL`)."""
    same = SAME_MODEL.get(family)
    if same is not None:
        try:
            params = same(params)
        except (KeyError, TypeError, ValueError):
            pass
    return json.dumps({k: list(v) if isinstance(v, tuple) else v for k, v in params.items()
                       if k != "noise"}, sort_keys=True, default=list)


def _noise_names(family: Any) -> set[Any]:
    return {getattr(ps, "name", None) for ps in getattr(family, "parameters", ())}


def _with_point_noise(q: Mapping[str, Any], family: Any, point: Mapping[str, Any],
                      point_family: Any = None) -> dict[str, Any]:
    """A candidate's parameters with the point's target noise where the candidate leaves it
    to its family. The data law is part of the estimator's rules: noisy data are sampled at
    w0 with the symmetrised estimand and noise-free data at w* with the slowest law, so a
    noise-free point had been corrected by controls at noise 1, whose bias belongs to the
    other estimand; and the candidate rules read the point as the claim spells it, so a
    ``linear_regression_toy`` point at its default noise 0 got regular controls at noise 1
    (an outside audit).

    A point of a family without target noise (``point_family`` has no ``noise``: a trained
    network, ``tanh_sine_toy``, ``relu_autoencoder``, ``modular_addition``, or a plugin's
    model) is sampled at its w* with the plain estimand (``routes.at_true_parameter`` is
    false there), as a noise-free point is: its controls are noise-free too. They had run at
    their families' noise 1, at w0 with the symmetrised estimand, so that such a point was
    corrected by the other estimand's bias (an audit of the controls)."""
    names = _noise_names(family)
    if "noise" not in names or "noise" in q:
        return dict(q)
    if "noise" in point:
        return {**q, "noise": point["noise"]}
    if point_family is not None and "noise" not in _noise_names(point_family):
        return {**q, "noise": 0.0}
    return dict(q)


def choose_controls(family: str, params: Mapping[str, Any], families: Mapping[str, Any],
                    claim_source: str, count: int = CONTROLS,
                    deadline: float | None = None) -> list[Control]:
    """Up to ``count`` certified controls resembling the point: the first regular,
    multiplicity-1 and multiplicity-2 ones, then more in candidate order. ``deadline``
    (``time.monotonic()``): no candidate is certified after it (the caller discards the
    partial choice)."""
    certified: list[Control] = []
    families = with_generic_controls(families)
    try:  # the point itself is never its own control, however its parameters are spelt
        valid = families[family].validate(dict(params))
        point = (family, _spelt(valid, family))
    except (KeyError, TypeError, ValueError):
        valid, point = dict(params), None
    for fam, q in candidates(family, valid):
        if deadline is not None and time.monotonic() > deadline:
            break
        if fam not in families:
            continue
        q = _with_point_noise(q, families[fam], valid, families.get(family))
        try:
            c = certify(families[fam], q, claim_source)
        except (TypeError, ValueError):
            continue
        if c is not None and (c.family, _spelt(c.params, c.family)) != point:
            certified.append(c)
    chosen: list[Control] = []
    for kind in KINDS:
        c = next((c for c in certified if c.kind == kind), None)
        if c is not None:
            chosen.append(c)
    for c in certified:
        if len(chosen) >= count:
            break
        if c not in chosen:
            chosen.append(c)
    return chosen[:count]


def control_settings(settings: Mapping[str, Any], family: Any) -> dict[str, Any]:
    """The rules a point's controls run under: the point's LLC ``settings``, with the sample
    size the point is built at where they leave it to the family (``family.default_n``).

    A control is built with ``settings["n"]``; left unset, each control family used its *own*
    default, so a point of a family with ``default_n = 100`` (``tanh_sine_toy``,
    ``linear_regression_toy``) was controlled at n = 1000 — another nβ, another bias — and
    shared its control key with points at n = 1000 (an outside audit). Families whose data
    set is fixed by their parameters ignore ``n`` (``Problem.note`` says so).

    >>> from types import SimpleNamespace
    >>> control_settings({"draws": 50}, SimpleNamespace(default_n=100))
    {'draws': 50, 'n': 100}
    >>> control_settings({"n": 300}, SimpleNamespace(default_n=100))
    {'n': 300}
    """
    out = dict(settings)
    n = getattr(family, "default_n", None)
    if out.get("n") is None and isinstance(n, int) and not isinstance(n, bool) and n > 0:
        out["n"] = n
    return out


def control_key(controls: Sequence[Control], settings: Mapping[str, Any], device: str,
                families_code: str = "") -> str:
    """Hash of the estimator rules, the controls, the device, the library version and the
    code that computes evidence."""
    from slttheory import __version__
    from slttheory.sampling.estimator import ESTIMATOR_REVISION

    blob = json.dumps({
        "rules": dict(settings), "device": device, "version": __version__,
        "code": code_fingerprint(), **({"families": families_code} if families_code else {}),
        "estimator": ESTIMATOR_REVISION, "w*": W_STAR_RULE,
        # how each λ is certified too: claims of different sources certify it by different
        # formulas, and a stored set shows its certificates
        "controls": [[c.family, dict(c.params), c.lam, c.kind, c.multiplicity,
                      c.certified_by] for c in controls],
        "datasets": DATASETS, "chains": "seeded by data set",
        "error": "total (law spread included)",
    }, sort_keys=True, default=list)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def data_seeds(settings: Mapping[str, Any], datasets: int = DATASETS) -> list[int]:
    """The seeds of a control's independent data sets under ``settings``."""
    seed = int(settings.get("seed", 0))
    return [seed + 101 * (s + 1) for s in range(datasets)]


def run_key(c: Control, seed: int, settings: Mapping[str, Any], device: str,
            families_code: str = "") -> str:
    """Key of one control run: the same control, data set, rules and estimator revision
    give the same run."""
    from slttheory.sampling.estimator import ESTIMATOR_REVISION

    blob = json.dumps([c.family, dict(c.params), seed, dict(settings), device,
                       "chains seeded by data set", ESTIMATOR_REVISION, W_STAR_RULE,
                       code_fingerprint(), *([families_code] if families_code else [])],
                      sort_keys=True,
                      default=list)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def run_controls(controls: Sequence[Control], families: Mapping[str, Any],
                 settings: Mapping[str, Any], device: str, key: str,
                 datasets: int = DATASETS) -> ControlSet:
    """Estimate every control on ``datasets`` independent data sets under ``settings``
    (one batched sampler call per architecture). Never raises."""
    t0 = time.perf_counter()
    jobs = [(c, s) for c in controls for s in data_seeds(settings, datasets)]
    runs = run_control_jobs(jobs, families, settings, device)
    return ControlSet(key, dict(settings), tuple(runs), round(time.perf_counter() - t0, 3))


def run_control_jobs(jobs: Sequence[tuple[Control, int]], families: Mapping[str, Any],
                     settings: Mapping[str, Any], device: str) -> list[ControlRun]:
    """Estimate each (control, data seed) under ``settings``, batched per architecture, so
    that controls shared by many points' control sets run once. Each run's chains are seeded
    by its data seed: the data sets of a control are independent runs (a seed shared between
    them would share the chains' noise, and the spread over data sets would miss it), and
    independent of the point's own chains (seeded by ``settings["seed"]``). Never raises."""
    runs: list[ControlRun | None] = [None] * len(jobs)
    probs: dict[int, Any] = {}
    families = with_generic_controls(families)
    for i, (c, ds) in enumerate(jobs):
        try:
            probs[i] = _build(families[c.family], c.params, settings, device, data_seed=ds)
        except Exception as e:  # noqa: BLE001
            runs[i] = c.run(ds, error=describe_error(e))
    idx = sorted(probs)
    t0 = time.perf_counter()
    try:
        ests = _estimate_many([probs[i] for i in idx], settings, device,
                              [jobs[i][1] for i in idx])
    except Exception as e:  # noqa: BLE001
        ests = [e] * len(idx)
    share = (time.perf_counter() - t0) / max(len(idx), 1)  # one batched call: equal shares
    for i, est in zip(idx, ests, strict=True):
        c, ds = jobs[i]
        if isinstance(est, BaseException):
            runs[i] = c.run(ds, error=describe_error(est))
            continue
        ev = llc_evidence(est)
        runs[i] = c.run(ds, mean=ev.mean, std_error=ev.std_error, passed=ev.clean,
                       problems=ev.problems, elapsed_s=round(share, 3))
    return runs  # type: ignore[return-value]

