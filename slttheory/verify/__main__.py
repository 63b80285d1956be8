"""Entry point: ``python -m slttheory.verify`` (see :mod:`slttheory.verify.cli`)."""

import sys

from slttheory.verify.cli import main

if __name__ == "__main__":
    sys.exit(main(cap_memory=True))
