"""slttheory: check claims of singular learning theory against computation.

Layers (see README.md):

1. :mod:`slttheory.formulas`: exact closed forms (sympy) for learning coefficients.
2. :mod:`slttheory.geometry`: Jacobian ranks, numerical and certified exact.
3. :mod:`slttheory.models`, :mod:`slttheory.train`, :mod:`slttheory.sampling`: torch models,
   training, and LLC estimation.
4. :mod:`slttheory.verify`: claims as data, verdicts and reports.

Importing ``slttheory`` loads only the symbolic layer (sympy); torch is imported
by the numeric sub-packages when they are used.
"""

from slttheory.formulas import *  # noqa: F403
from slttheory.formulas import __all__ as _formula_names

__version__ = "0.1.0"

__all__ = [*_formula_names, "__version__"]
