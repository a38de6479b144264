"""Parameter sweeps: the public names of :mod:`rmtlib.pipeline.sweep`.

``rmtlib.sweep.run_sweep``, ``load_results``, ``task_rng`` and ``load_config`` are
documented in the book (*Parameter sweeps*); they are defined in the pipeline's
``sweep`` package and only re-exported here.
"""

from .pipeline.sweep import *  # noqa: F401,F403
from .pipeline.sweep import __all__  # noqa: F401
