"""Chapter experiments: parameters in, numbers and verdicts out, one module per chapter.

Each chapter imports its own module by name (``from rmtlib.experiments import full_rank``):

* :mod:`~rmtlib.experiments.semicircle` (T1), :mod:`~rmtlib.experiments.deformed_wigner` (T2),
  :mod:`~rmtlib.experiments.spikes` (T3), :mod:`~rmtlib.experiments.full_rank` (T4),
  :mod:`~rmtlib.experiments.growing` (T5), :mod:`~rmtlib.experiments.rectangular` (T6),
  :mod:`~rmtlib.experiments.pruning` (T7), :mod:`~rmtlib.experiments.rectangular_growing` (T8),
  :mod:`~rmtlib.experiments.group_threshold` (T9);
* :mod:`~rmtlib.experiments.statistics`: every statistical test and interval of the verdicts,
  returning the keyword arguments of :func:`rmtlib.verdict.check`;
* :mod:`~rmtlib.experiments.frames`: the spectra of the book's explorable figures;
* :mod:`~rmtlib.experiments.sweep_examples`: small experiments that show the sweep machinery.

Each chapter module ends with ``<subject>_verdicts(...)``, the list of the chapter's verdicts.
Each function that draws takes keyword-only parameters and the randomness from the required
keyword ``rng``, and returns a ``dict`` of floats or a small frozen result, so that
``python -m rmtlib sweep`` can call it by name. The experiments that sweep files name without a
module (``experiment: outlier_errors``) are the only names defined here.
"""

from . import (
    deformed_wigner,
    frames,
    full_rank,
    group_threshold,
    growing,
    pruning,
    rectangular,
    rectangular_growing,
    semicircle,
    spikes,
    statistics,
    sweep_examples,
)
from .growing import outlier_errors
from .rectangular_growing import rectangular_outlier_errors

__all__ = [
    "deformed_wigner",
    "frames",
    "full_rank",
    "group_threshold",
    "growing",
    "outlier_errors",
    "pruning",
    "rectangular",
    "rectangular_growing",
    "rectangular_outlier_errors",
    "semicircle",
    "spikes",
    "statistics",
    "sweep_examples",
]
