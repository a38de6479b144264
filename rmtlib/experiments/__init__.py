"""Chapter experiments: parameters in, numbers out.

Everything a chapter or a sweep runs lives here, one module per family of chapters:
:mod:`~rmtlib.experiments.tolerances` (the verdicts' tolerances, next to the
fluctuation scale they come from), :mod:`~rmtlib.experiments.power` (the verdicts'
statistics of every chapter's verdicts, their false-alarm rate and power),
:mod:`~rmtlib.experiments.verdicts` (the verdicts of T1-T4 and T6 computed from a chapter's
data), :mod:`~rmtlib.experiments.wigner` (T1-T3), :mod:`~rmtlib.experiments.full_rank` (T4),
:mod:`~rmtlib.experiments.growing` and :mod:`~rmtlib.experiments.growing_checks` (T5),
:mod:`~rmtlib.experiments.pruning` (T6, T7), :mod:`~rmtlib.experiments.rectangular_pruning`
and :mod:`~rmtlib.experiments.synthetic_pruning` (T7),
:mod:`~rmtlib.experiments.rectangular_growing` (T8),
:mod:`~rmtlib.experiments.sweep_examples` (small experiments that show the sweep
machinery on its own) and :mod:`~rmtlib.experiments.frames` (the spectra of the book's
explorable figures). Each function takes keyword-only parameters and the randomness from
the required keyword ``rng``, and returns a ``dict`` of floats or a small frozen result,
so that ``python -m rmtlib sweep`` can call it by name.
"""

from . import (
    frames,
    full_rank,
    growing,
    growing_checks,
    power,
    pruning,
    rectangular_growing,
    rectangular_pruning,
    sweep_examples,
    synthetic_pruning,
    tolerances,
    verdicts,
    wigner,
)
from .frames import *  # noqa: F401,F403
from .full_rank import *  # noqa: F401,F403
from .growing import *  # noqa: F401,F403
from .growing_checks import *  # noqa: F401,F403
from .power import *  # noqa: F401,F403
from .pruning import *  # noqa: F401,F403
from .rectangular_growing import *  # noqa: F401,F403
from .rectangular_pruning import *  # noqa: F401,F403
from .sweep_examples import *  # noqa: F401,F403
from .synthetic_pruning import *  # noqa: F401,F403
from .tolerances import *  # noqa: F401,F403
from .verdicts import *  # noqa: F401,F403
from .wigner import *  # noqa: F401,F403

__all__ = [
    *tolerances.__all__,
    *power.__all__,
    *verdicts.__all__,
    *wigner.__all__,
    *full_rank.__all__,
    *growing.__all__,
    *growing_checks.__all__,
    *pruning.__all__,
    *rectangular_pruning.__all__,
    *synthetic_pruning.__all__,
    *rectangular_growing.__all__,
    *sweep_examples.__all__,
    *frames.__all__,
]
