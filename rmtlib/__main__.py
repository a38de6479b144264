"""``python -m rmtlib``: see :mod:`rmtlib.cli`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
