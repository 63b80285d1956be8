"""The works a report cites, in full, so that the report stands alone.

Claims, formulas and reasons cite by short name ("Aoyagi & Watanabe 2005", "arXiv:2603.01192");
:func:`cited` finds which of :data:`REFERENCES` a report's text names, and the reports list
them at the end.

>>> [r.key for r in cited("λ from Aoyagi & Watanabe 2005; see arXiv 2603.01192")]
['Aoyagi & Watanabe 2005', 'Cullen et al. 2026']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Reference", "REFERENCES", "cited"]


@dataclass(frozen=True)
class Reference:
    """A work: its short name, the pattern that finds it in a text, and its full citation."""

    key: str
    pattern: str
    citation: str


def _ref(key: str, citation: str, *also: str) -> Reference:
    alts = [re.escape(key).replace(r"\ ", r"\s+")] + list(also)
    return Reference(key, "|".join(f"(?:{a})" for a in alts), citation)


REFERENCES: tuple[Reference, ...] = (
    # the same authors' IEICE paper of that year (next) is cited as "... 2005 (IEICE)" or
    # "... 2005, IEICE Trans.": those name it, not this one
    Reference("Aoyagi & Watanabe 2005",
              r"Aoyagi\s+&\s+Watanabe\s+2005(?!,?\s*\(?IEICE)",
              "M. Aoyagi and S. Watanabe, Stochastic complexities of reduced rank regression in "
              "Bayesian estimation, Neural Networks 18(7):924–933, 2005."),
    Reference("Aoyagi & Watanabe 2005 (IEICE)",
              r"IEICE\s+Trans\.?\s*J88-D-II|Aoyagi\s+&\s+Watanabe\s+2005\s*\(IEICE\)",
              "M. Aoyagi and S. Watanabe, Resolution of singularities and the generalization "
              "error with Bayesian estimation for layered neural network, IEICE Transactions "
              "D-II J88-D-II(10), 2005 (in Japanese; the tanh network's λ)."),
    _ref("Aoyagi 2024", "M. Aoyagi, Consideration on the learning efficiency of "
         "multiple-layered neural networks with linear units, Neural Networks 172:106132, "
         "2024."),
    Reference("Bonett & Wright 2000", r"Bonett[-–\s&]+Wright",
              "D. G. Bonett and T. A. Wright, Sample size requirements for estimating Pearson, "
              "Kendall and Spearman correlations, Psychometrika 65(1):23–28, 2000."),
    Reference("Cohen 1988", r"Cohen's", "J. Cohen, Statistical Power Analysis for the "
              "Behavioral Sciences, 2nd ed., Lawrence Erlbaum, 1988 (r = 0.5: a 'large' "
              "correlation)."),
    _ref("Cullen et al. 2026", "Cullen, Estan-Ruiz, Danait and Li, Grokking as a phase "
         "transition between competing basins: a singular learning theory approach, "
         "arXiv:2603.01192v2, 2026 (theorem numbers as in v1–v2; v3 is retitled A "
         "basin-selection perspective on grokking via singular learning theory).",
         r"arXiv[: ]?2603\.01192"),
    Reference("Fieller 1954", r"Fieller", "E. C. Fieller, Some problems in interval "
              "estimation, Journal of the Royal Statistical Society B 16(2):175–185, 1954."),
    _ref("Lakkapragada 2025", "A. Lakkapragada, Using physics-inspired singular learning "
         "theory to understand grokking & other phase transitions in modern neural networks, "
         "arXiv:2512.00686, 2025.", r"arXiv[: ]?2512\.00686"),
    _ref("Lau et al. 2023", "E. Lau, Z. Furman, G. Wang, D. Murfet and S. Wei, The local "
         "learning coefficient: a singularity-aware complexity measure, arXiv:2308.12108, "
         "2023.", r"arXiv[: ]?2308\.12108", r"Lau et al\."),
    Reference("MacKinnon & White 1985", r"\bHC3\b", "J. G. MacKinnon and H. White, Some "
              "heteroskedasticity-consistent covariance matrix estimators with improved finite "
              "sample properties, Journal of Econometrics 29(3):305–325, 1985 (HC3)."),
    _ref("Panickssery & Vaintrob 2023", "N. Panickssery and D. Vaintrob, Investigating the "
         "learning coefficient of modular addition: hackathon project, LessWrong, 2023."),
    _ref("Pepin Lehalleur & Rimányi 2024", "S. Pepin Lehalleur and R. Rimányi, Geometry of "
         "fibers of the multiplication map of deep linear neural networks, arXiv:2411.19920, "
         "2024.", r"Lehalleur\s*&\s*Rimányi", r"arXiv[: ]?2411\.19920"),
    _ref("Schwarz 1978", "G. Schwarz, Estimating the dimension of a model, Annals of "
         "Statistics 6(2):461–464, 1978."),
    _ref("Tian 2025", "Y. Tian, Provable scaling laws of feature emergence from learning "
         "dynamics of grokking, arXiv:2509.21519, 2025."),
    _ref("Tóth-Czifra 2026", "Z. Tóth-Czifra, Singular learning theory: AI learns like ice "
         "melts, blog post, https://tcz.hu/blog/2026/02/26/singular-learning-theory/, 2026."),
    _ref("Varchenko 1976", "A. N. Varchenko, Newton polyhedra and estimation of oscillating "
         "integrals, Functional Analysis and Its Applications 10:175–196, 1976."),
    _ref("Watanabe 2009", "S. Watanabe, Algebraic Geometry and Statistical Learning Theory, "
         "Cambridge University Press, 2009."),
    Reference("Webb 2023", r"Webb weights", "M. D. Webb, Reworking wild bootstrap-based "
              "inference for clustered errors, Canadian Journal of Economics 56(3), 2023 (Webb "
              "weights)."),
    _ref("Wei et al. 2022", "S. Wei, D. Murfet, M. Gong, H. Li, J. Gell-Redman and T. Quella, "
         "Deep learning is singular, and that's good, IEEE Transactions on Neural Networks and "
         "Learning Systems, 2022; arXiv:2010.11560.", r"arXiv[: ]?2010\.11560"),
)
"""Every work the claims, formulas, families and statistics cite by short name (alphabetical)."""


def cited(text: str) -> list[Reference]:
    """The references ``text`` names, in :data:`REFERENCES`' order."""
    return [r for r in REFERENCES if re.search(r.pattern, text)]
