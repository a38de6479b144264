"""Chapter experiments: parameters in, numbers out.

Everything a chapter or a sweep runs lives here, one module per family of chapters:
:mod:`~rmtlib.experiments.tolerances` (the verdicts' tolerances, next to the
fluctuation scale they come from), :mod:`~rmtlib.experiments.wigner` (T1-T3),
:mod:`~rmtlib.experiments.full_rank` (T4), :mod:`~rmtlib.experiments.growing` (T5),
:mod:`~rmtlib.experiments.rectangular_growing` (T8),
:mod:`~rmtlib.experiments.rectangular_pruning` and
:mod:`~rmtlib.experiments.synthetic_pruning` (T7) and
:mod:`~rmtlib.experiments.sweep_examples` (small experiments that show the sweep
machinery on its own). Each function takes keyword-only parameters and the randomness
from the required keyword ``rng``, and returns a ``dict`` of floats or a small frozen
result, so that ``python -m rmtlib sweep`` can call it by name.
"""

from . import (
    full_rank,
    growing,
    rectangular_growing,
    rectangular_pruning,
    sweep_examples,
    synthetic_pruning,
    tolerances,
    wigner,
)
from .full_rank import *  # noqa: F401,F403
from .growing import *  # noqa: F401,F403
from .rectangular_growing import *  # noqa: F401,F403
from .rectangular_pruning import *  # noqa: F401,F403
from .sweep_examples import *  # noqa: F401,F403
from .synthetic_pruning import *  # noqa: F401,F403
from .tolerances import *  # noqa: F401,F403
from .wigner import *  # noqa: F401,F403

__all__ = [
    *tolerances.__all__,
    *wigner.__all__,
    *full_rank.__all__,
    *growing.__all__,
    *rectangular_growing.__all__,
    *rectangular_pruning.__all__,
    *sweep_examples.__all__,
    *synthetic_pruning.__all__,
]
