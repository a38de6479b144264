"""Shared test settings.

Property tests (hypothesis) run derandomized by default, so that a run is repeatable and
CI cannot fail on an example that no earlier run saw; set HYPOTHESIS_PROFILE=explore to
search new examples locally.
"""

import os

from hypothesis import settings
from tiny_book import tiny_book  # noqa: F401 - the tiny book of the book-build tests

settings.register_profile("repeatable", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
