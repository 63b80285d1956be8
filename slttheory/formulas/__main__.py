"""``python -m slttheory.formulas``: see :mod:`slttheory.formulas.cli`."""

import sys

from slttheory.formulas.cli import main

if __name__ == "__main__":
    if hasattr(sys.stdout, "reconfigure"):  # λ, ≤, Piecewise braces on a non-UTF-8 terminal
        sys.stdout.reconfigure(errors="replace")
    raise SystemExit(main())
