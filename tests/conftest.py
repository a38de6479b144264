"""Shared test settings.

Property tests (hypothesis) run derandomized by default, so that a run is repeatable and
CI cannot fail on an example that no earlier run saw; set HYPOTHESIS_PROFILE=explore to
search new examples locally.

The test process computes with one BLAS thread, the rule the chapters' kernels and the
sweep workers follow (:func:`rmtlib.pipeline.runner.blas_threads_environment`): two
processes of two BLAS threads each on two cores slow each other down many times over,
and the test run gets its parallelism from processes (``pytest -n 2``). A thread count
set in the environment (``OPENBLAS_NUM_THREADS=2 pytest ...``) is kept.
"""

import os

import threadpoolctl
from hypothesis import settings
from tiny_book import tiny_book  # noqa: F401 - the tiny book of the book-build tests

from rmtlib.pipeline.runner import BLAS_THREAD_VARIABLES

if not any(name in os.environ for name in BLAS_THREAD_VARIABLES):
    threadpoolctl.threadpool_limits(1)

settings.register_profile("repeatable", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
