"""What every kind of claim file shares: the error type, the profiles, validation helpers.

Errors always name the file and the key (``verification/x.toml: grid.d: must be …``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = [
    "PROFILES",
    "MAX_SEED",
    "ClaimError",
    "BadClaim",
    "ID_PATTERN",
    "claim_id",
    "point_key",
    "err",
    "escape_controls",
    "Faults",
    "finite",
    "int_limit",
    "string",
    "texts",
    "number",
    "table",
    "check_keys",
    "source_keys",
    "same_source",
    "mentioned",
    "cites",
    "cite_match",
]

PROFILES = ("quick", "full")
"""``quick``: minutes on a CPU, LLCs only where no certified route decides; ``full``: sized to
the sources' own experiments (a GPU), LLCs at every point that asks for one."""

MAX_SEED = 2**31 - 1
"""Largest magnitude of a seed in a claim file (``[llc] seed``, ``[rank] seed``, a family's or
an experiment's ``*seed`` parameter): the verifier adds offsets to seeds and hands them to
torch and numpy, whose generators take 64-bit (torch) or non-negative (numpy) seeds."""


def int_limit(name: str, default: int) -> int:
    """The largest integer a setting or parameter ``name`` without its own maximum may take:
    :data:`MAX_SEED` for a ``*seed``, else ``default``.

    >>> int_limit("init_seed", 10), int_limit("steps", 10)
    (2147483647, 10)
    """
    return MAX_SEED if name.endswith("seed") else default


class ClaimError(ValueError):
    """A claim file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class BadClaim:
    """A claim file that could not be loaded: reported with verdict ``error``. A ``message``
    longer than :data:`MAX_MESSAGE` keeps its start and end and says how much was cut (a 200 000
    character value was quoted in full by a family's check, an outside fuzzer).

    >>> len(BadClaim("x.toml", "x.toml: k: bad value " + "x" * 10**5).message) < 1100
    True
    """

    path: str
    message: str
    id: str | None = None
    title: str = ""
    source: str = ""
    family: str = ""
    kind: str = ""

    def __post_init__(self) -> None:
        if len(self.message) > MAX_MESSAGE:  # its start and end: where, and what is wanted
            m, keep = self.message, MAX_MESSAGE // 2
            object.__setattr__(self, "message", f"{m[:keep]} … [{len(m) - 2 * keep} characters "
                               f"cut] … {m[-keep:]}")


MAX_MESSAGE = 1000
"""Longest error message of a claim file kept in the report."""


def point_key(params: Mapping[str, Any]) -> str:
    """Canonical text of a grid point (sorted JSON), the store's key.

    >>> point_key({"p": 2, "d": 3, "widths": (2, 3)})
    '{"d": 3, "p": 2, "widths": [2, 3]}'
    """
    return json.dumps(
        {k: list(v) if isinstance(v, tuple) else v for k, v in sorted(params.items())},
        sort_keys=True,
    )


def err(path: str, key: str, msg: str) -> ClaimError:
    r"""``ClaimError("<path>: <key>: <msg>")``, the key as :func:`escape_controls` writes it.

    >>> str(err("x.toml", "grid.\x1b[2K\rd", "unknown variable"))
    'x.toml: grid.\\x1b[2K\\rd: unknown variable'
    """
    return ClaimError(f"{path}: {escape_controls(key)}: {msg}")


_UNSHOWN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escape_controls(text: str) -> str:
    r"""A key (or a claim id, file name or message the console prints) with its control
    characters, line breaks and direction overrides written as Python escapes (``\x1b``,
    ``\n``, ``\u202e``), as error messages quote values (``got '\x1b…'``). A file's keys, unlike
    its values, were quoted as they are: an unknown key ``"\u001b[2K\rconfirmed"`` erased the
    terminal line of ``invalid claim: …`` and wrote its own in its place (an outside audit of
    the reports' inputs). Other text reads unchanged.

    >>> escape_controls("grid.d"), escape_controls("a\nb\u202ec")
    ('grid.d', 'a\\nb\\u202ec')
    """
    return _UNSHOWN.sub(lambda m: repr(m.group())[1:-1], str(text))


class Faults:
    """The faults of one claim file, gathered over checks that do not depend on each other, so
    that a file with several is told them in one run, not one per run.

    :meth:`take` runs a check and returns its result, or ``None`` where it raised
    :class:`ClaimError` (kept; any other exception propagates: a loader bug is not a fault of
    the file). A check that needs another's result runs only where that result is not
    ``None``. :meth:`raise_any` raises them together in the order taken, naming the file once
    ("<path>: 2 faults: title: …; kind: …"), or the one fault exactly as its check wrote it.

    ``weak=True`` marks a fault that a later, dependent check (a grid point's validation)
    finds too, in its own words (the point where it fails): alone, it is left to that check,
    so that a file with one fault reads as it did.

    >>> f = Faults("x.toml")
    >>> f.take(string, {"title": 3}, "title", "x.toml") is None
    True
    >>> f.take(string, {}, "source", "x.toml"), f.take(string, {"id": "a"}, "id", "x.toml")
    (None, 'a')
    >>> f.raise_any()
    Traceback (most recent call last):
    ...
    slttheory.verify.claims.common.ClaimError: x.toml: 2 faults: title: must be a non-empty \
string, got 3; source: missing (required)
    """

    def __init__(self, path: str):
        self.path = path
        self.faults: list[tuple[str, str, bool]] = []  # (key, message, weak)

    def __len__(self) -> int:
        """How many faults were taken so far (weak ones included): a caller compares it before
        and after checks to tell whether they all passed."""
        return len(self.faults)

    def take(self, check: Callable[..., T], *args: Any, weak: bool = False) -> T | None:
        try:
            return check(*args)
        except ClaimError as e:
            message = str(e)
            key = message.removeprefix(f"{self.path}: ").split(": ", 1)[0]
            self.faults.append((key, message, weak))
            return None

    def raise_any(self) -> None:
        """Raise the faults taken so far, if any; none, or one weak fault alone, returns. A
        key's first fault is its fault (a later one follows from it: a grid variable whose
        values are not numbers fails in ``predicted`` and in ``constraint``), a weak one only
        where the key has no other."""
        strong = {key for key, _, weak in self.faults if not weak}
        kept, seen = [], set()
        for key, m, weak in self.faults:
            if key not in seen and not (weak and key in strong):
                seen.add(key)
                kept.append((m, weak))
        if not kept or (len(kept) == 1 and kept[0][1]):
            return
        if len(kept) == 1:
            raise ClaimError(kept[0][0])
        pre = f"{self.path}: "
        raise ClaimError(f"{pre}{len(kept)} faults: " + "; ".join(
            m.removeprefix(pre) for m, _ in kept))


def texts(data: Mapping[str, Any], key: str, path: str, what: str) -> tuple[str, ...]:
    """An optional list of non-empty strings at ``key`` (``differences``, ``hypotheses``);
    errors name ``what`` it must list.

    >>> texts({"differences": ["n = 100"]}, "differences", "x.toml", "non-empty strings")
    ('n = 100',)
    """
    v = data.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
        raise err(path, key, f"must be a list of {what}, got {v!r}")
    return tuple(v)


def string(data: Mapping[str, Any], key: str, path: str, required: bool = True,
           prefix: str = "") -> str | None:
    """A non-empty string at ``key`` (``None`` when optional and absent); errors name
    ``prefix + key``."""
    if key not in data:
        if required:
            raise err(path, prefix + key, "missing (required)")
        return None
    v = data[key]
    if not isinstance(v, str) or not v.strip():
        raise err(path, prefix + key, f"must be a non-empty string, got {v!r}")
    return v


ID_PATTERN = re.compile(r"(?!.*__)[A-Za-z0-9][A-Za-z0-9._-]{0,79}")
"""A claim id: letters, digits, ``.``, ``_`` and ``-``, at most 80 characters, so that it is
its own file name and report anchor (two ids may not differ only in case), and no ``__``,
which separates an id from its figures' names (``<id>__scans.png``): a claim with the id
``victim__scans`` had overwritten claim ``victim``'s scan figure (an outside audit)."""


def claim_id(data: Mapping[str, Any], path: str) -> str:
    """The ``id`` of a claim file, checked against :data:`ID_PATTERN`."""
    v = string(data, "id", path)
    if not ID_PATTERN.fullmatch(v):
        raise err(path, "id", f"must be letters, digits, '.', '_' and '-' (at most 80, "
                  f"starting with a letter or digit, no '__'), got {v[:60]!r}")
    return v


def finite(v: int | float) -> bool:
    """Whether the number ``v`` is finite and fits a float (a TOML integer may not)."""
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


def number(
    v: Any, path: str, key: str, minimum: float | None = None, maximum: float | None = None
) -> float:
    """A finite number within ``[minimum, maximum]``."""
    if isinstance(v, bool) or not isinstance(v, int | float) or not finite(v):
        raise err(path, key, f"must be a finite number, got {v!r}")
    if minimum is not None and v < minimum:
        raise err(path, key, f"must be >= {minimum}, got {v}")
    if maximum is not None and v > maximum:
        raise err(path, key, f"must be <= {maximum}, got {v}")
    return float(v)


def table(data: Mapping[str, Any], key: str, path: str, prefix: str = "") -> dict[str, Any]:
    """The sub-table at ``key`` (``{}`` when absent); errors name ``prefix + key``."""
    v = data.get(key, {})
    if not isinstance(v, dict):
        raise err(path, prefix + key, f"must be a table, got {type(v).__name__}")
    return v


def check_keys(table_: Mapping[str, Any], allowed: Iterable[str], path: str, prefix: str) -> None:
    """Raise naming the first key of ``table_`` that is not in ``allowed``."""
    unknown = sorted(set(table_) - set(allowed))
    if unknown:
        raise err(
            path, f"{prefix}{unknown[0]}", f"unknown key (allowed: {', '.join(sorted(allowed))})"
        )


_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")
_ARXIV = re.compile(r"\b(\d{4}\.\d{4,5})\b")
_LATIN = [chr(c) for c in range(0x250)]  # Basic Latin to Latin Extended-B
# a capitalised word of Latin letters ("Rimányi", "Łojasiewicz", "Kovačević"): "[A-Z][A-Za-zÀ-ÿ]"
# took "Érdi 2001, Thm 2" for Thm's and "Kovačević" for "Kova", so a claim citing the
# formula's own source by such a first author read as another work (a mutation audit)
_NAME = re.compile("[{}][{}'’\\-]+".format(
    re.escape("".join(c for c in _LATIN if c.isupper())),
    re.escape("".join(c for c in _LATIN if c.isalpha()))))
_LINK = re.compile(r"(?:doi:\s*|https?://)\S+|\b10\.\d{4,9}/\S+", re.IGNORECASE)


def source_keys(text: str) -> set[str]:
    """Identifying keys of a citation: ``surname:year`` of its first author and its arXiv ids.

    >>> sorted(source_keys("Aoyagi & Watanabe 2005, Neural Networks 18(7):924–933"))
    ['aoyagi:2005']
    >>> sorted(source_keys("Cullen et al. 2026, arXiv 2603.01192, Theorem 4.2"))
    ['2603.01192', 'cullen:2026']
    >>> sorted(source_keys("Pepin Lehalleur & Rimányi 2024"))
    ['lehalleur:2024', 'pepin:2024']
    """
    keys = set(_ARXIV.findall(text))
    year = _YEAR.search(text)
    if year:
        # every capitalised word of the first author's name ("Pepin Lehalleur & Rimányi"):
        # a citation may give a compound surname in part
        first = re.split(r" & | and |,| et al|\(|\b(?:19|20)\d\d\b", text, maxsplit=1)[0]
        names = _NAME.findall(first) or _NAME.findall(text)[:1]
        keys |= {f"{n.lower()}:{year.group(1)}" for n in names}
    return keys


def cites(claim_source: str, reference: str, formula_source: str = "") -> bool:
    """Whether a claim's source is a formula's own source: its ``reference`` key is cited
    (:func:`slttheory.formulas.standing.cites_reference`), or the first author and year (or
    an arXiv id) agree with the reference or the formula's source text. Errs towards "own".

    >>> cites("Aoyagi & Watanabe 2005, Neural Networks 18(7)", "Aoyagi & Watanabe 2005")
    True
    >>> cites("Aoyagi 2024, Thm 2", "Aoyagi & Watanabe 2005", "Aoyagi & Watanabe 2005, NN")
    False
    >>> cites("M. Aoyagi and S. Watanabe, Neural Networks 18(7)", "Aoyagi & Watanabe 2005")
    True
    """
    return bool(cite_match(claim_source, reference, formula_source))


def cite_match(claim_source: str, reference: str, formula_source: str = "") -> str:
    """Why :func:`cites` takes a claim's source for a formula's own, in words ("" when it
    does not), so that a reason can say what matched.

    >>> cite_match("Lau et al. 2023, arXiv:2308.12108", "Aoyagi 2024",
    ...            "Aoyagi 2024, Thm 2; as coded by Lau et al. (arXiv:2308.12108)")
    "the claim's citation and the formula's source share arXiv:2308.12108"
    >>> cite_match("Aoyagi 2024, Thm 2; Pepin Lehalleur & Rimányi worked example", "",
    ...            "Pepin Lehalleur & Rimányi 2024, Geometry of fibers")
    "the claim's citation mentions Lehalleur and the year 2024"
    >>> cite_match("a textbook", "Aoyagi 2024")
    'the claim names no year or arXiv id, so it may be the same work'
    >>> cite_match("Aoyagi 2024, Thm 2", "Aoyagi & Watanabe 2005")
    ''
    """
    from slttheory.formulas.standing import cites_reference

    bare = _LINK.sub(" ", claim_source)  # a year inside a DOI or URL names no author
    if not (_YEAR.search(bare) or _ARXIV.search(claim_source)):
        return "the claim names no year or arXiv id, so it may be the same work"
    try:
        if reference and cites_reference(claim_source, reference):
            return f"the claim cites {reference}"
    except (TypeError, ValueError):
        pass
    for other in (reference or formula_source, formula_source):
        shared = sorted(mentioned(claim_source, source_keys(other))) if other else []
        if shared:
            ids = [k for k in shared if ":" not in k]
            if ids:
                return f"the claim's citation and the formula's source share arXiv:{ids[0]}"
            name, _, year = shared[0].partition(":")
            # the year may stand beside another author of the claim's citation
            # the name and the year only, credited to no work: the formula's reference and
            # its source may be two works of one author ("first author (Aoyagi) and its year
            # (2005)" beside "Aoyagi 2024" read as a misattribution, an outside review)
            return f"the claim's citation mentions {name.title()} and the year {year}"
    for other in (formula_source, reference):
        if other and (work := shared_work(claim_source, other)):
            return work
    return ""


_QUOTED = re.compile(r"['‘\"“]([^'’\"”]{20,})['’\"”]")
_DOI = re.compile(r"\b10\.\d{4,9}/[^\s,;()]+", re.IGNORECASE)
_VOLUME_PAGE = re.compile(r"\b(\d+)(?:\(\d+\))?:(\d+)")


def _plain(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def shared_work(claim_source: str, formula_source: str) -> str:
    """Why a claim's citation names the work of a formula's source without its first author
    ("" when it does not): a DOI in common, the formula's quoted title, or its journal volume
    and first page (``18(7):924-933``). A citation by title or journal alone ("Stochastic
    complexities of reduced rank regression …, Neural Networks 18(7):924–933, 2005") names no
    author, so it had read as another work and the claim's own formula certified it.

    >>> shared_work("Stochastic complexities of reduced rank regression in Bayesian estimation,"
    ...             " 2005", "Aoyagi & Watanabe 2005, 'Stochastic complexities of reduced rank"
    ...             " regression in Bayesian estimation', Neural Networks 18(7):924-933")
    "the claim's citation gives the title of the formula's source"
    >>> shared_work("Neural Netw. 18 (2005) 924", "Aoyagi & Watanabe 2005, Neural Networks "
    ...             "18(7):924-933")
    "the claim's citation gives the formula's source's volume 18 and page 924"
    >>> shared_work("Watanabe 2009, Ch. 2", "Aoyagi & Watanabe 2005, NN 18(7):924-933")
    ''
    """
    dois = {d.rstrip(".").lower() for d in _DOI.findall(formula_source)}
    for doi in _DOI.findall(claim_source):
        if doi.rstrip(".").lower() in dois:
            return f"the claim's citation and the formula's source share doi:{doi.rstrip('.')}"
    plain = f" {_plain(claim_source)} "
    for title in _QUOTED.findall(formula_source):
        if len(words := _plain(title)) >= 20 and f" {words} " in plain:
            return "the claim's citation gives the title of the formula's source"
    numbers = set(re.findall(r"\d+", claim_source))
    for volume, page in _VOLUME_PAGE.findall(formula_source):
        if volume in numbers and page in numbers:
            return (f"the claim's citation gives the formula's source's volume {volume} and "
                    f"page {page}")
    return ""


def mentioned(text: str, keys: Iterable[str]) -> set[str]:
    """The keys of ``keys`` (:func:`source_keys`' ``name:year`` and arXiv ids) that ``text``
    mentions: the arXiv id, or the name as a capitalised word and the year anywhere in it, so
    that a citation that leads with its title or journal still matches its first author.
    Linear in the text (every name with every year, built as a set, took 80 s and 1.3 GB for a
    180 kB source, an outside audit).

    >>> sorted(mentioned("Stochastic complexities of RRR, M. Aoyagi 2005",
    ...                  ["aoyagi:2005", "watanabe:2005", "aoyagi:2024"]))
    ['aoyagi:2005']
    """
    arxiv = set(_ARXIV.findall(text))
    years = set(_YEAR.findall(text))
    names = {n.lower() for n in _NAME.findall(text)}
    out = set()
    for key in keys:
        name, _, year = key.rpartition(":")
        if key in arxiv or (name in names and year in years):
            out.add(key)
    return out


def same_source(claim_source: str, other: str) -> bool:
    """Whether a claim's citation names the work ``other`` cites first: an arXiv id in common,
    the same first author and year, or ``other``'s first author and year both mentioned in the
    claim's citation (wherever they stand: a citation may lead with its title or journal).
    ``other``'s later citations do not count (a formula's source names its theorem first and
    then where else it is presented). Used so that a statement never counts as evidence for
    itself; when unsure it errs towards "same" (two papers of one first author in one year
    count as one).

    >>> same_source("Watanabe 2009, Ch. 2 (monomial rule)", "Watanabe 2009, Algebraic Geometry")
    True
    >>> same_source("Aoyagi 2024, Neural Networks 172", "Aoyagi & Watanabe 2005")
    False
    >>> same_source("Stochastic complexities of reduced rank regression, M. Aoyagi (2005)",
    ...             "Aoyagi & Watanabe 2005")
    True
    >>> same_source("Watanabe 2009", "Varchenko 1976, Newton polyhedra; Watanabe 2009, Ch. 7")
    False
    """
    return bool(mentioned(claim_source, source_keys(other)))
